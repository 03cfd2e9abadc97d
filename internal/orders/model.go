// Package orders owns the work order (工单): intake with warranty snapshot
// and SLA due times, the life cycle from submission to start of work (one
// transition table decides what is legal for whom), dispatch, appointments,
// quotes, the timeline of events and the notifications they cause.
package orders

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fieldops/fieldops/internal/catalog"
)

// Status is where an order is in its life cycle (SPEC §3).
type Status = string

// The statuses.
const (
	StatusSubmitted        Status = "submitted"
	StatusTriaged          Status = "triaged"
	StatusAssigned         Status = "assigned"
	StatusAccepted         Status = "accepted"
	StatusScheduled        Status = "scheduled"
	StatusEnRoute          Status = "en_route"
	StatusOnSite           Status = "on_site"
	StatusAwaitingApproval Status = "awaiting_approval"
	StatusInProgress       Status = "in_progress"
	StatusAwaitingParts    Status = "awaiting_parts"
	StatusCompleted        Status = "completed"
	StatusClosed           Status = "closed"
	StatusCancelled        Status = "cancelled"
)

// Statuses are all statuses, in life-cycle order.
var Statuses = []Status{StatusSubmitted, StatusTriaged, StatusAssigned, StatusAccepted, StatusScheduled, StatusEnRoute,
	StatusOnSite, StatusAwaitingApproval, StatusInProgress, StatusAwaitingParts, StatusCompleted, StatusClosed, StatusCancelled}

// OpenStatuses are the statuses in which a technician is working the order.
var OpenStatuses = []Status{StatusAssigned, StatusAccepted, StatusScheduled, StatusEnRoute, StatusOnSite,
	StatusAwaitingApproval, StatusInProgress, StatusAwaitingParts}

// Types, channels and priorities.
var (
	Types      = []string{"install", "repair", "maintenance", "inspection", "return_exchange", "consultation"}
	Channels   = []string{"app", "web", "phone", "wechat", "email", "store", "partner_api"}
	Priorities = []string{"P1", "P2", "P3", "P4"}
)

// DefaultPriority is what an order gets unless staff say otherwise.
const DefaultPriority = "P3"

// Currency of all amounts (minor units).
const Currency = "CNY"

// SkillFor is the technician skill an order type needs; "" means any technician.
var SkillFor = map[string]string{
	"install": "install", "repair": "repair", "maintenance": "maintenance", "inspection": "inspection",
	"return_exchange": "inspection", "consultation": "",
}

// Window is a time range a customer prefers, or an appointment slot.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Windows is stored as JSONB.
type Windows []Window

// Value implements driver.Valuer.
func (w Windows) Value() (driver.Value, error) { return jsonArray(w) }

// Scan implements sql.Scanner.
func (w *Windows) Scan(v any) error {
	if emptyJSONArray(v) { // most orders: no decoding (BenchmarkTechnicianJobList allocations)
		*w = Windows{}
		return nil
	}
	return scanJSON(v, w)
}

// QuoteItem is one line of a quote; amounts in minor units.
type QuoteItem struct {
	Kind        string     `json:"kind"` // part, labour, fee
	PartID      *uuid.UUID `json:"part_id,omitempty"`
	Description string     `json:"description"`
	Qty         int64      `json:"qty"`
	UnitPrice   int64      `json:"unit_price"`
	Covered     bool       `json:"covered"` // covered by warranty (priced 0 when the order is in warranty)
	Amount      int64      `json:"amount"`  // what the customer pays for the line
}

// QuoteItems is stored as JSONB.
type QuoteItems []QuoteItem

// Value implements driver.Valuer.
func (q QuoteItems) Value() (driver.Value, error) { return jsonArray(q) }

// Scan implements sql.Scanner.
func (q *QuoteItems) Scan(v any) error {
	if emptyJSONArray(v) {
		*q = QuoteItems{}
		return nil
	}
	return scanJSON(v, q)
}

// jsonArray encodes a slice for a JSONB column; nil is stored as [].
func jsonArray[T any](s []T) (driver.Value, error) {
	if s == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(s)
}

// emptyJSONArray reports whether a JSON column's value is [], which
// json.Unmarshal would turn into an empty, non-nil slice.
func emptyJSONArray(v any) bool {
	switch b := v.(type) {
	case []byte:
		return string(b) == "[]"
	case string:
		return b == "[]"
	}
	return false
}

func scanJSON(v any, dst any) error {
	switch b := v.(type) {
	case []byte:
		return json.Unmarshal(b, dst)
	case string:
		return json.Unmarshal([]byte(b), dst)
	case nil:
		return nil
	}
	return errors.New("orders: cannot scan JSON column")
}

// Order is the work order record.
type Order struct {
	ID               uuid.UUID `gorm:"type:uuid;primaryKey"`
	Number           string
	Type             string
	Channel          string
	Priority         string
	Status           Status
	CustomerID       uuid.UUID  `gorm:"type:uuid"`
	AssetID          *uuid.UUID `gorm:"type:uuid"`
	ProductModelID   *uuid.UUID `gorm:"type:uuid"`
	TechnicianID     *uuid.UUID `gorm:"type:uuid"`
	ProviderID       *uuid.UUID `gorm:"type:uuid"`
	IntakeProviderID *uuid.UUID `gorm:"type:uuid"`
	Region           string
	Address          catalog.Address `gorm:"embedded;embeddedPrefix:address_"`
	Description      string
	PreferredWindows Windows `gorm:"type:jsonb"`
	InWarranty       bool
	WarrantyEndsAt   *time.Time `gorm:"type:date"`
	FirstResponseDue time.Time
	OnSiteDue        *time.Time
	ResolutionDue    time.Time
	FirstRespondedAt *time.Time
	ArrivedAt        *time.Time
	ArriveLat        *float64
	ArriveLng        *float64
	CompletedAt      *time.Time
	SLABreached      pq.StringArray `gorm:"column:sla_breached;type:text[]"`
	AppointmentStart *time.Time
	AppointmentEnd   *time.Time
	QuoteStatus      string
	QuoteItems       QuoteItems `gorm:"type:jsonb"`
	PartsUsed        PartLines  `gorm:"type:jsonb"` // parts used on the current visit (parts_used.go)
	Currency         string
	Fixed            *bool
	Resolution       string
	CancelReason     string
	VisitCount       int
	RepeatRepair     bool
	ExternalRef      string
	LabourMinutes    *int
	FollowUpDueAt    *time.Time // completed_at + 24 h: staff's follow-up call is due from then
	ClosedAt         *time.Time
	CreatedBy        *uuid.UUID `gorm:"type:uuid"`
	APIClientID      *uuid.UUID `gorm:"type:uuid"` // the API client that submitted it (channel partner_api), else nil
	Version          int
	CreatedAt        time.Time
	UpdatedAt        time.Time // set by PostgreSQL (time of the write) for delta sync

	// SLAPausedAt: since when the resolution clock is paused (awaiting_parts,
	// awaiting_approval; sla.go); FollowUpNotifiedAt: staff were told the
	// follow-up is due (the sweep, once).
	SLAPausedAt        *time.Time `gorm:"column:sla_paused_at"`
	FollowUpNotifiedAt *time.Time

	// Parties is what the caller of the Service method that returned the
	// order may see of its customer, technician, asset and model (not a column).
	Parties Parties `gorm:"-"`
}

// Charges sums the quote: what is charged per kind, what warranty covers, what is due.
type Charges struct {
	Parts, Labour, Fees, Covered, AmountDue int64
	Currency                                string
}

// Charges computes the order's charges: the quote's labour, fees and parts
// that name no catalogue part, and the parts used (issue 10). A quote line
// naming a catalogue part is the approved price of that part: it is charged
// as the part is used (a parts-used line), never twice.
func (o Order) Charges() Charges {
	c := Charges{Currency: o.Currency}
	for _, l := range o.PartsUsed {
		c.Parts += l.Amount
		c.Covered += l.Qty*l.UnitPrice - l.Amount
	}
	for _, it := range o.QuoteItems {
		if it.PartID != nil {
			continue
		}
		switch it.Kind {
		case "part":
			c.Parts += it.Amount
		case "labour":
			c.Labour += it.Amount
		default:
			c.Fees += it.Amount
		}
		c.Covered += it.Qty*it.UnitPrice - it.Amount
	}
	c.AmountDue = c.Parts + c.Labour + c.Fees
	return c
}

// QuoteTotal is what the quote asks the customer to approve (every line).
func (o Order) QuoteTotal() int64 {
	var t int64
	for _, it := range o.QuoteItems {
		t += it.Amount
	}
	return t
}

// Event is one entry of an order's timeline.
type Event struct {
	ID         uuid.UUID `gorm:"type:uuid;primaryKey"`
	OrderID    uuid.UUID `gorm:"type:uuid"`
	Action     string
	ActorID    *uuid.UUID `gorm:"type:uuid"`
	ActorRole  string
	FromStatus string
	ToStatus   string
	Payload    JSON `gorm:"type:jsonb"`
	CreatedAt  time.Time
	// Audience is who may read the event (audience.go); Visit the order's
	// visit count after it; TechnicianID the technician it belongs to.
	Audience     Audience
	Visit        int
	TechnicianID *uuid.UUID `gorm:"type:uuid"`

	Actor *Actor `gorm:"-"` // who acted, read with the timeline; nil for system events
}

// Actor is who wrote an event: the user, the role they acted in, their name.
type Actor struct {
	ID   uuid.UUID
	Role string
	Name string
}

// TableName is order_events.
func (Event) TableName() string { return "order_events" }

// JSON is a free-form JSONB object.
type JSON map[string]any

// Value implements driver.Valuer.
func (j JSON) Value() (driver.Value, error) {
	if j == nil {
		j = JSON{}
	}
	return json.Marshal(j)
}

// Scan implements sql.Scanner.
func (j *JSON) Scan(v any) error { return scanJSON(v, j) }

// Assignment records that a technician is, or was, assigned to an order:
// the technician scope ("orders assigned to them, current and past"). A
// technician who declines without having accepted it before loses the row.
type Assignment struct {
	OrderID      uuid.UUID `gorm:"type:uuid;primaryKey"`
	TechnicianID uuid.UUID `gorm:"type:uuid;primaryKey"`
	AssignedAt   time.Time
	AcceptedAt   *time.Time // first acceptance: the technician worked the order
	// the order's updated_at and status, kept in step by the database
	// (migration 000012) for the technician's list: never written from Go
	OrderUpdatedAt time.Time `gorm:"->"`
	OrderStatus    string    `gorm:"->"`
}

// TableName is order_assignments.
func (Assignment) TableName() string { return "order_assignments" }

// Appointment is a booked visit; active ones of a technician never overlap.
type Appointment struct {
	ID           uuid.UUID `gorm:"type:uuid;primaryKey"`
	OrderID      uuid.UUID `gorm:"type:uuid"`
	TechnicianID uuid.UUID `gorm:"type:uuid"`
	During       string    `gorm:"type:tstzrange"` // written with tstzrange(start, end)
	Active       bool
	Reason       string
	BookedBy     *uuid.UUID `gorm:"type:uuid"`
	CreatedAt    time.Time
	EndedAt      *time.Time
}

// SLAPolicy gives the due times for one type × priority.
type SLAPolicy struct {
	OrderType            string `gorm:"primaryKey"`
	Priority             string `gorm:"primaryKey"`
	FirstResponseMinutes int
	OnSiteMinutes        *int
	ResolutionMinutes    int
	Clock                string // wall or working (the order region's working calendar; sla.go)
	UpdatedAt            time.Time
}

// Notification is one inbox entry of a user.
type Notification struct {
	ID        uuid.UUID `gorm:"type:uuid;primaryKey"`
	UserID    uuid.UUID `gorm:"type:uuid"`
	Kind      string
	OrderID   *uuid.UUID `gorm:"type:uuid"`
	Title     string
	Body      string
	ReadAt    *time.Time
	CreatedAt time.Time
}
