package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// --- DTOs ---

// WindowDTO is a time range (RFC 3339).
type WindowDTO struct {
	Start time.Time `json:"start" validate:"required" format:"date-time" example:"2026-06-03T08:00:00Z"`
	End   time.Time `json:"end" validate:"required" format:"date-time" example:"2026-06-03T10:00:00Z"`
} // @name Window

// OrderCreateRequest is a new service request.
type OrderCreateRequest struct {
	ID               string       `json:"id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e99"`
	Type             OrderType    `json:"type" validate:"required,oneof=install repair maintenance inspection return_exchange consultation" example:"repair"`
	Channel          OrderChannel `json:"channel,omitempty" validate:"omitempty,oneof=app web phone wechat email store partner_api" example:"app"`
	Description      string       `json:"description" validate:"required,max=4000" minLength:"1" maxLength:"4000" example:"The air conditioner drips water and makes a rattling noise."`
	AssetID          string       `json:"asset_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e13"`
	ProductModelID   string       `json:"product_model_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e11"`
	Address          AddressDTO   `json:"address"`
	PreferredWindows []WindowDTO  `json:"preferred_windows,omitempty" validate:"max=10,dive" maxItems:"10"`
	CustomerID       string       `json:"customer_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e12"`
	Priority         Priority     `json:"priority,omitempty" validate:"omitempty,oneof=P1 P2 P3 P4" example:"P3"`
	ExternalRef      string       `json:"external_ref,omitempty" validate:"max=100" maxLength:"100" example:"CRM-4711"`
} // @name OrderCreateRequest

// OrderPatchRequest changes what the customer described; absent fields stay.
type OrderPatchRequest struct {
	Description      *string      `json:"description,omitempty" validate:"omitempty,max=4000" maxLength:"4000" example:"The unit also leaks at the back."`
	Address          *AddressDTO  `json:"address,omitempty"`
	PreferredWindows *[]WindowDTO `json:"preferred_windows,omitempty" validate:"omitempty,max=10,dive" maxItems:"10"`
} // @name OrderPatchRequest

// OrderWarrantyDTO is the warranty snapshot taken at intake.
type OrderWarrantyDTO struct {
	InWarranty bool    `json:"in_warranty" example:"true"`
	EndsAt     *string `json:"ends_at" format:"date" example:"2027-03-15" extensions:"x-nullable"` // null when the order has no asset
} // @name OrderWarranty

// SLADTO are the stored due times, computed from the SLA policy of the
// order's type × priority (GET /v1/sla-policies; wall-clock or the region's
// working hours) when the order is created and again when triage changes its
// type or priority. The resolution clock pauses while the order is
// awaiting_parts or awaiting_approval: when it leaves those statuses,
// resolution_due moves later by the time spent there. Milestones: first
// response is met by the first dispatcher, manager or technician action
// after creation (first_responded_at), on site by the first arrival,
// resolution by the first completion; a milestone still unmet at its due time
// is added to breached once (with a staff-only sla.breached event).
type SLADTO struct {
	FirstResponseDue time.Time      `json:"first_response_due" format:"date-time"`
	OnSiteDue        *time.Time     `json:"on_site_due" format:"date-time" extensions:"x-nullable"` // null: by appointment (P4)
	ResolutionDue    time.Time      `json:"resolution_due" format:"date-time"`                      // the resolution clock pauses in awaiting_parts and awaiting_approval: on leaving them this moves later by the time spent there (working time for working-hours policies)
	FirstRespondedAt *time.Time     `json:"first_responded_at" format:"date-time" extensions:"x-nullable"`
	Breached         []SLAMilestone `json:"breached"` // milestones missed
} // @name SLA

// QuoteItemRequest is one line of a new quote; money in minor units.
type QuoteItemRequest struct {
	Kind        QuoteItemKind `json:"kind" validate:"required,oneof=part labour fee" example:"part"`
	PartID      *string       `json:"part_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e55"`
	Description string        `json:"description" validate:"required,max=500" minLength:"1" maxLength:"500" example:"Drain pump"`
	Qty         int64         `json:"qty" validate:"gte=1,lte=10000" minimum:"1" maximum:"10000" example:"1"`
	UnitPrice   int64         `json:"unit_price,omitempty" validate:"gte=0" minimum:"0" example:"12900"`
	Covered     bool          `json:"covered,omitempty" example:"false"`
} // @name QuoteItemRequest

// QuoteItemDTO is one quote line; money in minor units.
type QuoteItemDTO struct {
	Kind        QuoteItemKind `json:"kind" example:"part"`
	PartID      *string       `json:"part_id" format:"uuid" extensions:"x-nullable"` // null unless a catalogue part
	Description string        `json:"description" example:"Drain pump"`
	Qty         int64         `json:"qty" minimum:"1" example:"1"`
	UnitPrice   int64         `json:"unit_price" minimum:"0" example:"12900"`
	Covered     bool          `json:"covered" example:"false"`
	Amount      int64         `json:"amount" minimum:"0" example:"12900"` // qty × unit_price, 0 when covered
} // @name QuoteItem

// QuoteDTO is the order's quote.
type QuoteDTO struct {
	Items  []QuoteItemDTO `json:"items"`
	Status QuoteStatus    `json:"status" example:"pending"`
	Total  int64          `json:"total" example:"12900"`
} // @name Quote

// ChargesDTO sums the quote: amounts in minor units of currency.
type ChargesDTO struct {
	Parts     int64    `json:"parts" example:"12900"`
	Labour    int64    `json:"labour" example:"8000"`
	Fees      int64    `json:"fees" example:"0"`
	Covered   int64    `json:"covered" example:"0"`
	AmountDue int64    `json:"amount_due" example:"20900"`
	Currency  Currency `json:"currency" example:"CNY"` // ISO 4217
} // @name Charges

// OrderResponse is a work order. Its times are UTC; time_zone is the IANA
// time zone of its region, in which apps show them.
type OrderResponse struct {
	ID               uuid.UUID        `json:"id" swaggertype:"string" format:"uuid"`
	Number           string           `json:"number" example:"FO-2026-000123"`
	Type             OrderType        `json:"type" example:"repair"`
	Channel          OrderChannel     `json:"channel" example:"app"`
	Priority         Priority         `json:"priority" example:"P3"`
	Status           OrderStatus      `json:"status" example:"submitted"`
	CustomerID       uuid.UUID        `json:"customer_id" swaggertype:"string" format:"uuid"`
	AssetID          *uuid.UUID       `json:"asset_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	ProductModelID   *uuid.UUID       `json:"product_model_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	TechnicianID     *uuid.UUID       `json:"technician_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	ProviderID       *uuid.UUID       `json:"provider_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	Customer         OrderCustomer    `json:"customer"`
	Technician       *OrderTechnician `json:"technician" extensions:"x-nullable"`    // null while nobody is assigned
	Asset            *OrderAsset      `json:"asset" extensions:"x-nullable"`         // null when the order has no asset
	ProductModel     *ProductModelRef `json:"product_model" extensions:"x-nullable"` // the asset's model, else the order's; null when neither
	Region           string           `json:"region" example:"north"`
	TimeZone         string           `json:"time_zone" example:"Asia/Shanghai"`
	Address          *AddressDTO      `json:"address" extensions:"x-nullable"` // the service address; null for a technician who may not see it (as customer.address)
	Description      string           `json:"description"`
	PreferredWindows []WindowDTO      `json:"preferred_windows"`
	Warranty         OrderWarrantyDTO `json:"warranty"`
	SLA              SLADTO           `json:"sla"` // due times from the SLA policy (wall or working hours), set at creation and when triage changes type or priority; milestones: first staff action after creation, first arrival, first completion; resolution pauses in awaiting_parts/awaiting_approval
	Appointment      *WindowDTO       `json:"appointment" extensions:"x-nullable"`
	ArrivedAt        *time.Time       `json:"arrived_at" format:"date-time" extensions:"x-nullable"`
	Quote            QuoteDTO         `json:"quote"`
	Charges          ChargesDTO       `json:"charges"`
	PartsUsed        []OrderPartDTO   `json:"parts_used"` // parts issued to (and returned from) the current visit, as charged
	Fixed            *bool            `json:"fixed" extensions:"x-nullable"`
	Resolution       string           `json:"resolution"`
	LabourMinutes    *int             `json:"labour_minutes" minimum:"0" extensions:"x-nullable"`          // set by completion
	CompletedAt      *time.Time       `json:"completed_at" format:"date-time" extensions:"x-nullable"`     // the current visit's completion
	FollowUpDueAt    *time.Time       `json:"follow_up_due_at" format:"date-time" extensions:"x-nullable"` // 24 h after completion; the call is due 24–72 h after it
	ClosedAt         *time.Time       `json:"closed_at" format:"date-time" extensions:"x-nullable"`
	CancelReason     string           `json:"cancel_reason"`
	VisitCount       int              `json:"visit_count" minimum:"1" example:"1"`
	RepeatRepair     bool             `json:"repeat_repair"`
	ExternalRef      string           `json:"external_ref"`
	Version          int              `json:"version" minimum:"1" example:"3"`
	AllowedActions   []OrderAction    `json:"allowed_actions" example:"accept,decline"` // POST /v1/orders/{id}/<action> the caller may call now
	CreatedAt        time.Time        `json:"created_at" format:"date-time"`
	UpdatedAt        time.Time        `json:"updated_at" format:"date-time"`
} // @name Order

// OrderList is one page of orders. synced_until: after the last page, pass
// it as updated_since for the next delta sync.
type OrderList struct {
	Items       []OrderResponse `json:"items"`
	NextCursor  *string         `json:"next_cursor" extensions:"x-nullable" example:"eyJ1IjoiMjAyNi0wNi0wMVQxMDowMDowMFoiLCJpIjoiMDE5MGYxZjQifQ"` // null on the last page
	SyncedUntil time.Time       `json:"synced_until" format:"date-time"`
} // @name OrderList

// TriageRequest classifies a request.
type TriageRequest struct {
	Priority Priority  `json:"priority,omitempty" validate:"omitempty,oneof=P1 P2 P3 P4" example:"P2"`
	Type     OrderType `json:"type,omitempty" validate:"omitempty,oneof=install repair maintenance inspection return_exchange consultation" example:"repair"`
	Region   string    `json:"region,omitempty" validate:"max=64" maxLength:"64" example:"north"`
	Notes    string    `json:"notes,omitempty" validate:"max=2000" maxLength:"2000" example:"Customer reachable after 17:00"`
} // @name TriageRequest

// AssignRequest names a technician or asks for automatic dispatch.
type AssignRequest struct {
	TechnicianID string `json:"technician_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e20"`
	Auto         bool   `json:"auto,omitempty" example:"true"`
} // @name AssignRequest

// AssignResponse says who got the job and why.
type AssignResponse struct {
	Order        OrderResponse `json:"order"`
	TechnicianID uuid.UUID     `json:"technician_id" swaggertype:"string" format:"uuid"`
	Reason       string        `json:"reason" example:"Tom North: on duty in north, 0 open jobs of capacity 6 (fewest among 2 available), 1.2 km away"`
} // @name AssignResponse

// ReasonRequest carries the reason a decline, unassign, cancel or reopen
// needs (blank is 422).
type ReasonRequest struct {
	Reason string `json:"reason" validate:"max=1000" minLength:"1" maxLength:"1000" example:"Customer no longer needs the visit"`
} // @name ReasonRequest

// RejectQuoteRequest may say why the customer rejects the quote.
type RejectQuoteRequest struct {
	Reason string `json:"reason,omitempty" validate:"max=1000" maxLength:"1000" example:"Too expensive; I will replace the unit"`
} // @name RejectQuoteRequest

// AppointmentRequest books or moves the visit.
type AppointmentRequest struct {
	Start  time.Time `json:"start" validate:"required" format:"date-time" example:"2026-06-03T08:00:00Z"`
	End    time.Time `json:"end" validate:"required" format:"date-time" example:"2026-06-03T10:00:00Z"`
	Reason string    `json:"reason,omitempty" validate:"max=1000" maxLength:"1000" example:"Customer asked for the afternoon"`
} // @name AppointmentRequest

// DepartRequest may say why the technician leaves early: required when
// departing more than 3 hours (configurable) before the appointment window.
type DepartRequest struct {
	Reason string `json:"reason,omitempty" validate:"max=1000" maxLength:"1000" example:"The previous job finished early"`
} // @name DepartRequest

// ArriveRequest is the technician's check-in position.
type ArriveRequest struct {
	Lat *float64 `json:"lat" validate:"required,gte=-90,lte=90" minimum:"-90" maximum:"90" format:"double" example:"31.2304"`
	Lng *float64 `json:"lng" validate:"required,gte=-180,lte=180" minimum:"-180" maximum:"180" format:"double" example:"121.4737"`
} // @name ArriveRequest

// QuoteRequest prices the work.
type QuoteRequest struct {
	Items []QuoteItemRequest `json:"items" validate:"required,min=1,max=100,dive" minItems:"1" maxItems:"100"`
} // @name QuoteRequest

// AwaitPartsRequest pauses the work for parts.
type AwaitPartsRequest struct {
	Note string `json:"note,omitempty" validate:"max=1000" maxLength:"1000" example:"Compressor ordered, ETA 3 days"`
} // @name AwaitPartsRequest

// EventResponse is one timeline entry.
type EventResponse struct {
	ID        uuid.UUID      `json:"id" swaggertype:"string" format:"uuid"`
	Action    EventAction    `json:"action" example:"accept"` // create, update, or the life-cycle action (route name)
	ActorID   *uuid.UUID     `json:"actor_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	ActorRole EventActorRole `json:"actor_role" example:"technician"`
	Actor     *EventActor    `json:"actor" extensions:"x-nullable"` // null for system events
	From      *OrderStatus   `json:"from" extensions:"x-nullable" example:"assigned"`
	To        OrderStatus    `json:"to" example:"accepted"`
	Payload   map[string]any `json:"payload"` // action details (reason, notes, items…), reduced to the keys the caller may read
	CreatedAt time.Time      `json:"created_at" format:"date-time"`
	Audience  EventAudience  `json:"audience" example:"all"`        // who reads this event: staff see every one, customers all/customer, technicians all/visit of their visits
	Visit     int            `json:"visit" minimum:"1" example:"1"` // the order's visit the event belongs to
} // @name OrderEvent

// EventList is an order's timeline, oldest first.
type EventList struct {
	Items      []EventResponse `json:"items"`
	NextCursor *string         `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMTkwZjFmNC03YzFlLTdkM2EtOWQxZS0yZjliNWMxYTBlOTk"` // null on the last page
} // @name OrderEventList

// SlotResponse is a free appointment window.
type SlotResponse struct {
	Start        time.Time  `json:"start" format:"date-time"`
	End          time.Time  `json:"end" format:"date-time"`
	Technicians  int        `json:"technicians" minimum:"1" example:"2"`                                      // free technicians in the window
	TechnicianID *uuid.UUID `json:"technician_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"` // null before assignment
} // @name Slot

// SlotList lists free windows; time_zone is the order region's IANA time
// zone, whose local working hours the windows cut up.
type SlotList struct {
	Items      []SlotResponse `json:"items"`
	NextCursor *string        `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA"` // null on the last page
	TimeZone   string         `json:"time_zone" example:"Asia/Shanghai"`
} // @name SlotList

// NotificationResponse is one inbox entry.
type NotificationResponse struct {
	ID        uuid.UUID        `json:"id" swaggertype:"string" format:"uuid"`
	Kind      NotificationKind `json:"kind" example:"job_assigned"`
	OrderID   *uuid.UUID       `json:"order_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	Title     string           `json:"title" example:"New job FO-2026-000123"`
	Body      string           `json:"body"`
	Read      bool             `json:"read"`
	ReadAt    *time.Time       `json:"read_at" format:"date-time" extensions:"x-nullable"`
	CreatedAt time.Time        `json:"created_at" format:"date-time"`
} // @name Notification

// NotificationList is one page of the inbox, unread first.
type NotificationList struct {
	Items      []NotificationResponse `json:"items"`
	NextCursor *string                `json:"next_cursor" extensions:"x-nullable" example:"eyJyIjpmYWxzZSwiaSI6IjAxOTBmMWY0In0"` // null on the last page
} // @name NotificationList

// --- converters ---

func toWindows(ws []orders.Window) []WindowDTO {
	out := make([]WindowDTO, 0, len(ws))
	for _, w := range ws {
		out = append(out, WindowDTO{Start: w.Start.UTC(), End: w.End.UTC()})
	}
	return out
}

func fromWindows(ws []WindowDTO) []orders.Window {
	out := make([]orders.Window, 0, len(ws))
	for _, w := range ws {
		out = append(out, orders.Window{Start: w.Start.UTC(), End: w.End.UTC()})
	}
	return out
}

func toOrderResponse(o orders.Order, p auth.Principal) OrderResponse {
	r := OrderResponse{ID: o.ID, Number: o.Number, Type: OrderType(o.Type), Channel: OrderChannel(o.Channel), Priority: Priority(o.Priority), Status: OrderStatus(o.Status),
		CustomerID: o.CustomerID, AssetID: o.AssetID, ProductModelID: o.ProductModelID, TechnicianID: o.TechnicianID,
		ProviderID: o.ProviderID, Region: o.Region, TimeZone: o.Parties.TimeZone, Description: o.Description,
		PreferredWindows: toWindows(o.PreferredWindows), Warranty: OrderWarrantyDTO{InWarranty: o.InWarranty},
		SLA: SLADTO{FirstResponseDue: o.FirstResponseDue.UTC(), OnSiteDue: utcPtr(o.OnSiteDue), ResolutionDue: o.ResolutionDue.UTC(),
			FirstRespondedAt: utcPtr(o.FirstRespondedAt), Breached: enumsOf[SLAMilestone](o.SLABreached)},
		ArrivedAt: utcPtr(o.ArrivedAt), Fixed: o.Fixed, Resolution: o.Resolution, CancelReason: o.CancelReason,
		LabourMinutes: o.LabourMinutes, CompletedAt: utcPtr(o.CompletedAt), FollowUpDueAt: utcPtr(o.FollowUpDueAt), ClosedAt: utcPtr(o.ClosedAt),
		VisitCount: o.VisitCount, RepeatRepair: o.RepeatRepair, ExternalRef: o.ExternalRef, Version: o.Version,
		AllowedActions: enumsOf[OrderAction](orders.Allowed(p, o)), CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC()}
	if r.TimeZone == "" {
		r.TimeZone = orders.DefaultTimeZone
	}
	r.Customer, r.Technician = toOrderCustomer(o.Parties.Customer), toOrderTechnician(o.Parties.Technician)
	r.Address = r.Customer.Address // the service address, shown exactly when customer.address is (orders.partiesFor)
	r.Asset, r.ProductModel = toOrderAsset(o.Parties.Asset), toProductModelRef(o.Parties.ProductModel)
	if o.WarrantyEndsAt != nil {
		d := o.WarrantyEndsAt.Format(dateLayout)
		r.Warranty.EndsAt = &d
	}
	if o.AppointmentStart != nil && o.AppointmentEnd != nil {
		r.Appointment = &WindowDTO{Start: o.AppointmentStart.UTC(), End: o.AppointmentEnd.UTC()}
	}
	r.PartsUsed = toOrderParts(o.PartsUsed)
	ch := o.Charges()
	r.Charges = ChargesDTO{Parts: ch.Parts, Labour: ch.Labour, Fees: ch.Fees, Covered: ch.Covered, AmountDue: ch.AmountDue, Currency: Currency(ch.Currency)}
	r.Quote = QuoteDTO{Items: make([]QuoteItemDTO, 0, len(o.QuoteItems)), Status: QuoteStatus(o.QuoteStatus), Total: o.QuoteTotal()}
	for _, it := range o.QuoteItems {
		q := QuoteItemDTO{Kind: QuoteItemKind(it.Kind), Description: it.Description, Qty: it.Qty, UnitPrice: it.UnitPrice, Covered: it.Covered, Amount: it.Amount}
		if it.PartID != nil {
			s := it.PartID.String()
			q.PartID = &s
		}
		r.Quote.Items = append(r.Quote.Items, q)
	}
	return r
}

func fromOrderCreate(r OrderCreateRequest) orders.CreateInput {
	return orders.CreateInput{ID: optUUID(r.ID), Type: string(r.Type), Channel: string(r.Channel), Description: r.Description,
		AssetID: optUUID(r.AssetID), ProductModelID: optUUID(r.ProductModelID), Address: fromAddressDTO(r.Address),
		PreferredWindows: fromWindows(r.PreferredWindows), CustomerID: optUUID(r.CustomerID), Priority: string(r.Priority),
		ExternalRef: r.ExternalRef}
}

func toEventResponse(e orders.Event) EventResponse {
	return EventResponse{ID: e.ID, Action: EventAction(e.Action), ActorID: e.ActorID, ActorRole: EventActorRole(e.ActorRole), Actor: toEventActor(e.Actor),
		From: nonEmpty(OrderStatus(e.FromStatus)), To: OrderStatus(e.ToStatus), Payload: e.Payload, CreatedAt: e.CreatedAt.UTC(),
		Audience: EventAudience(e.Audience), Visit: e.Visit}
}

func toNotificationResponse(n orders.Notification) NotificationResponse {
	return NotificationResponse{ID: n.ID, Kind: NotificationKind(n.Kind), OrderID: n.OrderID, Title: n.Title, Body: n.Body,
		Read: n.ReadAt != nil, ReadAt: utcPtr(n.ReadAt), CreatedAt: n.CreatedAt.UTC()}
}

// etag is the order's entity tag: its version.
func etag(o orders.Order) string { return `"` + strconv.Itoa(o.Version) + `"` }

// ifMatchVersion reads If-Match ("*" or absent: no precondition).
func ifMatchVersion(c echo.Context) (*int, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" || h == "*" {
		return nil, nil
	}
	v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(h, "W/"), `"`))
	if err != nil {
		return nil, errs.E(errs.PreconditionFailed, "If-Match does not match the order's ETag")
	}
	return &v, nil
}

// writeOrder sends an order with its ETag.
func writeOrder(c echo.Context, status int, o orders.Order) error {
	c.Response().Header().Set("ETag", etag(o))
	resp := toOrderResponse(o, principal(c))
	return writeJSONWith(c, status, &resp, appendOrder)
}

// orderAction adapts a body-less transition (accept, depart, approve, start).
func orderAction(fn func(c echo.Context, id uuid.UUID) (orders.Order, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "order")
		if err != nil {
			return err
		}
		o, err := fn(c, id)
		if err != nil {
			return err
		}
		return writeOrder(c, http.StatusOK, o)
	}
}

// orderActionWith adapts a transition with a JSON body of type T.
func orderActionWith[T any](fn func(c echo.Context, id uuid.UUID, req T) (orders.Order, error)) echo.HandlerFunc {
	return orderAction(func(c echo.Context, id uuid.UUID) (orders.Order, error) {
		var req T
		if err := bindJSON(c, &req); err != nil {
			return orders.Order{}, err
		}
		return fn(c, id, req)
	})
}
