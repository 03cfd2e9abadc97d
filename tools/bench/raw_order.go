package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
)

// The raw server's order: the columns of `orders` it reads, scanned by name
// (rawColumns), and the response document it writes, with the keys and
// values of FieldOps's OrderResponse (api/orders_types.go) for the callers
// the raw server serves (technicians and customers).

type rawOrderRow struct {
	ID, CustomerID                                  uuid.UUID
	Number, Type, Channel, Priority, Status, Region string
	AssetID, ProductModelID, TechnicianID, Provider *uuid.UUID
	Line1, City, AddrRegion                         string
	Lat, Lng                                        *float64
	Description                                     string
	PreferredWindows, QuoteItems, PartsUsed         []byte // jsonb
	InWarranty, RepeatRepair                        bool
	WarrantyEndsAt                                  *time.Time // date
	FirstResponseDue, ResolutionDue                 time.Time
	OnSiteDue, FirstRespondedAt, ArrivedAt          *time.Time
	CompletedAt, AppointmentStart, AppointmentEnd   *time.Time
	FollowUpDueAt, ClosedAt                         *time.Time
	SLABreached                                     []string
	QuoteStatus, Currency, Resolution, CancelReason string
	ExternalRef                                     string
	Fixed                                           *bool
	VisitCount, Version                             int
	LabourMinutes                                   *int
	CreatedAt, UpdatedAt                            time.Time
	CustomerName, CustomerPhone                     *string // parties (rawPartySelect)
	TechnicianName, TechnicianPhone, AssetSerial    *string
	ModelID                                         *uuid.UUID
	ModelBrand, ModelName                           *string
	TimeZone                                        string
}

// rawOrderColumns maps the column names of rawSQLGet (o.id, …, <parties>) and of
// `RETURNING *` to where they are scanned; other columns are skipped.
var rawOrderColumns = map[string]func(r *rawOrderRow) any{
	"id": func(r *rawOrderRow) any { return &r.ID }, "number": func(r *rawOrderRow) any { return &r.Number },
	"type": func(r *rawOrderRow) any { return &r.Type }, "channel": func(r *rawOrderRow) any { return &r.Channel },
	"priority": func(r *rawOrderRow) any { return &r.Priority }, "status": func(r *rawOrderRow) any { return &r.Status },
	"customer_id": func(r *rawOrderRow) any { return &r.CustomerID }, "asset_id": func(r *rawOrderRow) any { return &r.AssetID },
	"product_model_id": func(r *rawOrderRow) any { return &r.ProductModelID },
	"technician_id":    func(r *rawOrderRow) any { return &r.TechnicianID }, "provider_id": func(r *rawOrderRow) any { return &r.Provider },
	"region": func(r *rawOrderRow) any { return &r.Region }, "address_line1": func(r *rawOrderRow) any { return &r.Line1 },
	"address_city": func(r *rawOrderRow) any { return &r.City }, "address_region": func(r *rawOrderRow) any { return &r.AddrRegion },
	"address_lat": func(r *rawOrderRow) any { return &r.Lat }, "address_lng": func(r *rawOrderRow) any { return &r.Lng },
	"description":       func(r *rawOrderRow) any { return &r.Description },
	"preferred_windows": func(r *rawOrderRow) any { return &r.PreferredWindows },
	"in_warranty":       func(r *rawOrderRow) any { return &r.InWarranty }, "warranty_ends_at": func(r *rawOrderRow) any { return &r.WarrantyEndsAt },
	"first_response_due": func(r *rawOrderRow) any { return &r.FirstResponseDue }, "on_site_due": func(r *rawOrderRow) any { return &r.OnSiteDue },
	"resolution_due": func(r *rawOrderRow) any { return &r.ResolutionDue }, "first_responded_at": func(r *rawOrderRow) any { return &r.FirstRespondedAt },
	"arrived_at": func(r *rawOrderRow) any { return &r.ArrivedAt }, "completed_at": func(r *rawOrderRow) any { return &r.CompletedAt },
	"sla_breached": func(r *rawOrderRow) any { return &r.SLABreached }, "appointment_start": func(r *rawOrderRow) any { return &r.AppointmentStart },
	"appointment_end": func(r *rawOrderRow) any { return &r.AppointmentEnd }, "quote_status": func(r *rawOrderRow) any { return &r.QuoteStatus },
	"quote_items": func(r *rawOrderRow) any { return &r.QuoteItems }, "parts_used": func(r *rawOrderRow) any { return &r.PartsUsed },
	"currency": func(r *rawOrderRow) any { return &r.Currency }, "fixed": func(r *rawOrderRow) any { return &r.Fixed },
	"resolution": func(r *rawOrderRow) any { return &r.Resolution }, "cancel_reason": func(r *rawOrderRow) any { return &r.CancelReason },
	"visit_count": func(r *rawOrderRow) any { return &r.VisitCount }, "repeat_repair": func(r *rawOrderRow) any { return &r.RepeatRepair },
	"external_ref": func(r *rawOrderRow) any { return &r.ExternalRef }, "version": func(r *rawOrderRow) any { return &r.Version },
	"created_at": func(r *rawOrderRow) any { return &r.CreatedAt }, "updated_at": func(r *rawOrderRow) any { return &r.UpdatedAt },
	"labour_minutes": func(r *rawOrderRow) any { return &r.LabourMinutes }, "follow_up_due_at": func(r *rawOrderRow) any { return &r.FollowUpDueAt },
	"closed_at": func(r *rawOrderRow) any { return &r.ClosedAt },
	// the parties
	"customer_name": func(r *rawOrderRow) any { return &r.CustomerName }, "customer_phone": func(r *rawOrderRow) any { return &r.CustomerPhone },
	"technician_name": func(r *rawOrderRow) any { return &r.TechnicianName }, "technician_phone": func(r *rawOrderRow) any { return &r.TechnicianPhone },
	"asset_serial_number": func(r *rawOrderRow) any { return &r.AssetSerial }, "model_id": func(r *rawOrderRow) any { return &r.ModelID },
	"model_brand": func(r *rawOrderRow) any { return &r.ModelBrand }, "model_name": func(r *rawOrderRow) any { return &r.ModelName },
	"region_time_zone": func(r *rawOrderRow) any { return &r.TimeZone },
}

// scanPlan is, per result column, where a row's value goes (nil: skipped).
type scanPlan[T any] []func(*T) any

// planFor maps fields to cols; every name in need must be among the fields.
func planFor[T any](fields []pgconn.FieldDescription, cols map[string]func(*T) any, need []string) (scanPlan[T], error) {
	plan := make(scanPlan[T], len(fields))
	seen := map[string]bool{}
	for i, f := range fields {
		if fn, ok := cols[f.Name]; ok && !seen[f.Name] { // the first of a repeated name (o.id, not a join's id)
			plan[i], seen[f.Name] = fn, true
		}
	}
	for _, n := range need {
		if !seen[n] {
			return nil, fmt.Errorf("raw server: column %q is missing; update tools/bench/raw_sql.go", n)
		}
	}
	return plan, nil
}

// dest returns the scan destinations of one row (nil skips a column).
func (p scanPlan[T]) dest(r *T) []any {
	out := make([]any, len(p))
	for i, fn := range p {
		if fn != nil {
			out[i] = fn(r)
		}
	}
	return out
}

// --- the response document (api.OrderResponse's JSON) ---

type rawAddress struct {
	Line1  string   `json:"line1"`
	City   string   `json:"city"`
	Region string   `json:"region"`
	Lat    *float64 `json:"lat,omitempty"`
	Lng    *float64 `json:"lng,omitempty"`
}

type rawWindow struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

type rawModel struct {
	ID    uuid.UUID `json:"id"`
	Brand string    `json:"brand"`
	Name  string    `json:"name"`
}

type rawQuoteItem struct {
	Kind        string     `json:"kind"`
	PartID      *uuid.UUID `json:"part_id"`
	Description string     `json:"description"`
	Qty         int64      `json:"qty"`
	UnitPrice   int64      `json:"unit_price"`
	Covered     bool       `json:"covered"`
	Amount      int64      `json:"amount"`
}

type rawPartLine struct {
	Kind      string    `json:"kind"`
	PartID    uuid.UUID `json:"part_id"`
	SKU       string    `json:"sku"`
	Name      string    `json:"name"`
	Qty       int64     `json:"qty"`
	Serials   []string  `json:"serials"`
	UnitPrice int64     `json:"unit_price"`
	Covered   bool      `json:"covered"`
	Amount    int64     `json:"amount"`
	At        time.Time `json:"at"`
}

type rawCustomer struct {
	ID      uuid.UUID   `json:"id"`
	Name    string      `json:"name"`
	Phone   *string     `json:"phone"`
	Address *rawAddress `json:"address"`
}

type rawTechnician struct {
	ID    uuid.UUID `json:"id"`
	Name  string    `json:"name"`
	Phone *string   `json:"phone"`
}

type rawAsset struct {
	ID           uuid.UUID `json:"id"`
	SerialNumber string    `json:"serial_number"`
	ProductModel rawModel  `json:"product_model"`
}

type rawOrderDoc struct {
	ID               uuid.UUID      `json:"id"`
	Number           string         `json:"number"`
	Type             string         `json:"type"`
	Channel          string         `json:"channel"`
	Priority         string         `json:"priority"`
	Status           string         `json:"status"`
	CustomerID       uuid.UUID      `json:"customer_id"`
	AssetID          *uuid.UUID     `json:"asset_id"`
	ProductModelID   *uuid.UUID     `json:"product_model_id"`
	TechnicianID     *uuid.UUID     `json:"technician_id"`
	ProviderID       *uuid.UUID     `json:"provider_id"`
	Customer         rawCustomer    `json:"customer"`
	Technician       *rawTechnician `json:"technician"`
	Asset            *rawAsset      `json:"asset"`
	ProductModel     *rawModel      `json:"product_model"`
	Region           string         `json:"region"`
	TimeZone         string         `json:"time_zone"`
	Address          *rawAddress    `json:"address"`
	Description      string         `json:"description"`
	PreferredWindows []rawWindow    `json:"preferred_windows"`
	Warranty         struct {
		InWarranty bool    `json:"in_warranty"`
		EndsAt     *string `json:"ends_at"`
	} `json:"warranty"`
	SLA struct {
		FirstResponseDue time.Time  `json:"first_response_due"`
		OnSiteDue        *time.Time `json:"on_site_due"`
		ResolutionDue    time.Time  `json:"resolution_due"`
		FirstRespondedAt *time.Time `json:"first_responded_at"`
		Breached         []string   `json:"breached"`
	} `json:"sla"`
	Appointment *rawWindow `json:"appointment"`
	ArrivedAt   *time.Time `json:"arrived_at"`
	Quote       struct {
		Items  []rawQuoteItem `json:"items"`
		Status string         `json:"status"`
		Total  int64          `json:"total"`
	} `json:"quote"`
	Charges struct {
		Parts     int64  `json:"parts"`
		Labour    int64  `json:"labour"`
		Fees      int64  `json:"fees"`
		Covered   int64  `json:"covered"`
		AmountDue int64  `json:"amount_due"`
		Currency  string `json:"currency"`
	} `json:"charges"`
	PartsUsed      []rawPartLine `json:"parts_used"`
	Fixed          *bool         `json:"fixed"`
	Resolution     string        `json:"resolution"`
	LabourMinutes  *int          `json:"labour_minutes"`
	CompletedAt    *time.Time    `json:"completed_at"`
	FollowUpDueAt  *time.Time    `json:"follow_up_due_at"`
	ClosedAt       *time.Time    `json:"closed_at"`
	CancelReason   string        `json:"cancel_reason"`
	VisitCount     int           `json:"visit_count"`
	RepeatRepair   bool          `json:"repeat_repair"`
	ExternalRef    string        `json:"external_ref"`
	Version        int           `json:"version"`
	AllowedActions []string      `json:"allowed_actions"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
}

// The statuses in which the assigned technician sees the customer's contact,
// and the order's customer the technician's phone (orders.partiesFor).
var (
	rawCustomerContact = []string{"accepted", "scheduled", "en_route", "on_site", "awaiting_approval", "in_progress", "awaiting_parts", "completed"}
	rawTechnicianPhone = []string{"en_route", "on_site", "awaiting_approval", "in_progress", "awaiting_parts"}
)

// rawSteps is the life-cycle table (orders.transitions) for the two roles the
// raw server serves: action → statuses it is allowed from. Every technician
// step requires the assigned technician, every customer step the order's
// customer.
var rawSteps = map[string]map[string][]string{
	"technician": {
		"accept": {"assigned"}, "decline": {"assigned"}, "appointment": {"accepted", "scheduled", "awaiting_parts"},
		"depart": {"scheduled"}, "arrive": {"en_route"}, "quote": {"on_site"}, "start": {"on_site"},
		"awaiting-parts": {"in_progress"}, "complete": {"in_progress"},
	},
	"customer": {
		"appointment": {"accepted", "scheduled", "awaiting_parts"}, "quote/approve": {"awaiting_approval"},
		"quote/reject": {"awaiting_approval"}, "cancel": {"submitted", "triaged", "assigned", "accepted", "scheduled"},
		"reopen": {"completed", "closed"},
	},
}

func utcp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func derefs(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// doc builds the response for the caller (user, role).
func (r *rawOrderRow) doc(user uuid.UUID, role string) (*rawOrderDoc, error) {
	d := &rawOrderDoc{ID: r.ID, Number: r.Number, Type: r.Type, Channel: r.Channel, Priority: r.Priority, Status: r.Status,
		CustomerID: r.CustomerID, AssetID: r.AssetID, ProductModelID: r.ProductModelID, TechnicianID: r.TechnicianID,
		ProviderID: r.Provider, Region: r.Region, TimeZone: r.TimeZone, Description: r.Description,
		ArrivedAt: utcp(r.ArrivedAt), Fixed: r.Fixed, Resolution: r.Resolution, LabourMinutes: r.LabourMinutes,
		CompletedAt: utcp(r.CompletedAt), FollowUpDueAt: utcp(r.FollowUpDueAt), ClosedAt: utcp(r.ClosedAt),
		CancelReason: r.CancelReason, VisitCount: r.VisitCount, RepeatRepair: r.RepeatRepair, ExternalRef: r.ExternalRef,
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if d.TimeZone == "" {
		d.TimeZone = "Asia/Shanghai"
	}

	// the parties, as the caller may see them
	owner := role == "customer" && r.CustomerID == user
	assignee := role == "technician" && r.TechnicianID != nil && *r.TechnicianID == user
	d.Customer = rawCustomer{ID: r.CustomerID, Name: derefs(r.CustomerName)}
	if owner || (assignee && slices.Contains(rawCustomerContact, r.Status)) {
		d.Customer.Phone = r.CustomerPhone
		d.Customer.Address = &rawAddress{Line1: r.Line1, City: r.City, Region: r.AddrRegion, Lat: r.Lat, Lng: r.Lng}
		d.Address = d.Customer.Address
	}
	if r.TechnicianID != nil {
		d.Technician = &rawTechnician{ID: *r.TechnicianID, Name: derefs(r.TechnicianName)}
		if assignee || (owner && slices.Contains(rawTechnicianPhone, r.Status)) {
			d.Technician.Phone = r.TechnicianPhone
		}
	}
	if r.ModelID != nil {
		d.ProductModel = &rawModel{ID: *r.ModelID, Brand: derefs(r.ModelBrand), Name: derefs(r.ModelName)}
	}
	if r.AssetID != nil {
		d.Asset = &rawAsset{ID: *r.AssetID, SerialNumber: derefs(r.AssetSerial)}
		if d.ProductModel != nil {
			d.Asset.ProductModel = *d.ProductModel
		}
	}

	d.PreferredWindows = []rawWindow{}
	if len(r.PreferredWindows) > 0 && string(r.PreferredWindows) != "[]" {
		if err := json.Unmarshal(r.PreferredWindows, &d.PreferredWindows); err != nil {
			return nil, err
		}
		for i, w := range d.PreferredWindows {
			d.PreferredWindows[i] = rawWindow{Start: w.Start.UTC(), End: w.End.UTC()}
		}
	}
	d.Warranty.InWarranty = r.InWarranty
	if r.WarrantyEndsAt != nil {
		s := r.WarrantyEndsAt.Format("2006-01-02")
		d.Warranty.EndsAt = &s
	}
	d.SLA.FirstResponseDue, d.SLA.OnSiteDue = r.FirstResponseDue.UTC(), utcp(r.OnSiteDue)
	d.SLA.ResolutionDue, d.SLA.FirstRespondedAt = r.ResolutionDue.UTC(), utcp(r.FirstRespondedAt)
	d.SLA.Breached = r.SLABreached
	if d.SLA.Breached == nil {
		d.SLA.Breached = []string{}
	}
	if r.AppointmentStart != nil && r.AppointmentEnd != nil {
		d.Appointment = &rawWindow{Start: r.AppointmentStart.UTC(), End: r.AppointmentEnd.UTC()}
	}

	// quote, parts used and charges (orders.Order.Charges, QuoteTotal)
	d.Quote.Items, d.Quote.Status, d.PartsUsed = []rawQuoteItem{}, r.QuoteStatus, []rawPartLine{}
	if len(r.QuoteItems) > 0 && string(r.QuoteItems) != "[]" {
		if err := json.Unmarshal(r.QuoteItems, &d.Quote.Items); err != nil {
			return nil, err
		}
	}
	if len(r.PartsUsed) > 0 && string(r.PartsUsed) != "[]" {
		if err := json.Unmarshal(r.PartsUsed, &d.PartsUsed); err != nil {
			return nil, err
		}
	}
	c := &d.Charges
	c.Currency = r.Currency
	for i, l := range d.PartsUsed {
		c.Parts += l.Amount
		c.Covered += l.Qty*l.UnitPrice - l.Amount
		d.PartsUsed[i].At = l.At.UTC()
		if l.Serials == nil {
			d.PartsUsed[i].Serials = []string{}
		}
	}
	for _, it := range d.Quote.Items {
		d.Quote.Total += it.Amount
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

	d.AllowedActions = []string{}
	if assignee || owner {
		for a, from := range rawSteps[role] {
			if slices.Contains(from, r.Status) {
				d.AllowedActions = append(d.AllowedActions, a)
			}
		}
		slices.Sort(d.AllowedActions)
	}
	return d, nil
}
