package orders

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/outbox"
)

// OrderEventData is the data of order.created, order.status_changed,
// order.assigned and order.completed integration events (SPEC §6): the
// order's wire summary after the change, with the API's field names. It is
// what webhooks send; api/webhooks_types.go documents it (WebhookOrderData).
// No contact data: receivers read the order with GET /v1/orders/{id}.
type OrderEventData struct {
	ID             uuid.UUID  `json:"id"`
	Number         string     `json:"number"`
	Type           string     `json:"type"`
	Channel        string     `json:"channel"`
	Priority       string     `json:"priority"`
	Status         Status     `json:"status"`
	PreviousStatus *Status    `json:"previous_status"` // null on order.created
	Action         string     `json:"action"`          // the action that caused the event (create, assign, complete…)
	CustomerID     uuid.UUID  `json:"customer_id"`
	TechnicianID   *uuid.UUID `json:"technician_id"`
	ProviderID     *uuid.UUID `json:"provider_id"`
	ExternalRef    *string    `json:"external_ref"` // null when the order has none
	Region         string     `json:"region"`
	VisitCount     int        `json:"visit_count"`
	Version        int        `json:"version"`
	OccurredAt     time.Time  `json:"occurred_at"`
	// order.completed only
	Fixed       *bool      `json:"fixed,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	ReportHash  string     `json:"report_hash,omitempty"`
}

// RatingEventData is the data of rating.created (WebhookRatingData).
type RatingEventData struct {
	OrderID      uuid.UUID  `json:"order_id"`
	OrderNumber  string     `json:"order_number"`
	ExternalRef  *string    `json:"external_ref"`
	TechnicianID *uuid.UUID `json:"technician_id"`
	ProviderID   *uuid.UUID `json:"provider_id"`
	Visit        int        `json:"visit"`
	Score        int        `json:"score"`
	Timeliness   int        `json:"timeliness"`
	Attitude     int        `json:"attitude"`
	Quality      int        `json:"quality"`
	Comment      string     `json:"comment"`
	ComplaintID  *uuid.UUID `json:"complaint_id"` // the complaint a low score opened
	CreatedAt    time.Time  `json:"created_at"`
}

func orderEventData(o Order, action string, from *Status, at time.Time) OrderEventData {
	return OrderEventData{ID: o.ID, Number: o.Number, Type: o.Type, Channel: o.Channel, Priority: o.Priority, Status: o.Status,
		PreviousStatus: from, Action: action, CustomerID: o.CustomerID, TechnicianID: o.TechnicianID, ProviderID: o.ProviderID,
		ExternalRef: externalRef(o), Region: o.Region, VisitCount: o.VisitCount, Version: o.Version, OccurredAt: at.UTC()}
}

// externalRef is o's external reference for an event's data: null when it has none.
func externalRef(o Order) *string {
	if o.ExternalRef == "" {
		return nil
	}
	ref := o.ExternalRef
	return &ref
}

// createdOutboxEvent is the order.created row of an intake, inserted by the
// intake statement itself (insertWithCreate), so it commits with the order.
func createdOutboxEvent(o Order, at time.Time) (*outbox.Event, error) {
	raw, err := json.Marshal(orderEventData(o, "create", nil, at))
	if err != nil {
		return nil, err
	}
	return &outbox.Event{ID: ids.New(), Type: outbox.OrderCreated, OrderID: &o.ID, ProviderID: o.ProviderID, Data: raw,
		CreatedAt: at.UTC()}, nil
}

// writeOutbox writes the integration events of a saved change in its
// transaction (modify): order.status_changed when the status moved,
// order.assigned when an assign put a technician on it, order.completed on
// completion, rating.created on a rating. The row's provider (whose
// provider-bound webhooks get it) is the order's after the change, or the
// one it had before when the change took it back in-house (unassign,
// decline): the partner learns that the order left it.
func (c *change) writeOutbox(action string, fromTech, fromProvider *uuid.UUID) error {
	o := *c.o
	provider := o.ProviderID
	if provider == nil {
		provider = fromProvider
	}
	write := func(typ string, data any) error {
		_, err := outbox.Write(c.ctx, c.st.db, typ, &o.ID, provider, c.now, data)
		return err
	}
	if o.Status != c.from {
		from := c.from
		if err := write(outbox.OrderStatusChanged, orderEventData(o, action, &from, c.now)); err != nil {
			return err
		}
	}
	if action == string(ActAssign) && o.TechnicianID != nil && (fromTech == nil || *fromTech != *o.TechnicianID) {
		if err := write(outbox.OrderAssigned, orderEventData(o, action, nil, c.now)); err != nil {
			return err
		}
	}
	if action == string(ActComplete) && o.Status == StatusCompleted {
		d := orderEventData(o, action, nil, c.now)
		d.Fixed, d.CompletedAt = o.Fixed, o.CompletedAt
		if h, ok := c.payload["report_hash"].(string); ok {
			d.ReportHash = h
		}
		if err := write(outbox.OrderCompleted, d); err != nil {
			return err
		}
	}
	if action == EventRating {
		r, found, err := c.st.rating(c.ctx, o.ID)
		if err != nil || !found {
			return err
		}
		d := RatingEventData{OrderID: o.ID, OrderNumber: o.Number, TechnicianID: o.TechnicianID, ProviderID: o.ProviderID,
			Visit: r.Visit, Score: r.Score, Timeliness: r.Timeliness, Attitude: r.Attitude, Quality: r.Quality, Comment: r.Comment,
			ExternalRef: externalRef(o), CreatedAt: r.CreatedAt.UTC()}
		if id, ok := c.payload["complaint_id"].(uuid.UUID); ok {
			d.ComplaintID = &id
		}
		return write(outbox.RatingCreated, d)
	}
	return nil
}
