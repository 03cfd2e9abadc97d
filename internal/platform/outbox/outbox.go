// Package outbox writes integration events (SPEC §6) into outbox_events
// inside the caller's transaction: the event exists if and only if the change
// that caused it committed. Delivery (webhooks) reads the table afterwards.
package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/ids"
)

// The event types of SPEC §6. Writers use these names; webhook subscriptions
// choose among them.
const (
	OrderCreated       = "order.created"
	OrderStatusChanged = "order.status_changed"
	OrderAssigned      = "order.assigned"
	OrderCompleted     = "order.completed"
	RatingCreated      = "rating.created"
	ComplaintCreated   = "complaint.created"
	ComplaintEscalated = "complaint.escalated"
	SLABreached        = "sla.breached"
	StockLow           = "stock.low"
)

// Types lists every event type, in the order the documentation shows them.
var Types = []string{OrderCreated, OrderStatusChanged, OrderAssigned, OrderCompleted,
	RatingCreated, ComplaintCreated, ComplaintEscalated, SLABreached, StockLow}

// Event is one outbox row. Data is the event's `data` object, marshalled to
// JSON with the wire (snake_case) names of the API.
type Event struct {
	ID         uuid.UUID       `gorm:"type:uuid;primaryKey"`
	Seq        int64           `gorm:"->"` // assigned by the database; delivery order
	Txid       int64           `gorm:"->"` // the writing transaction's id, the column's DEFAULT (migration 000021); the webhook relay walks (txid, seq)
	Type       string          //
	OrderID    *uuid.UUID      `gorm:"type:uuid"`
	ProviderID *uuid.UUID      `gorm:"type:uuid"`
	Data       json.RawMessage `gorm:"type:jsonb"`
	CreatedAt  time.Time
}

// TableName is outbox_events.
func (Event) TableName() string { return "outbox_events" }

// Write adds one event in tx, which must be the transaction of the change
// (database.WithTx). typ is one of Types; data must marshal to a JSON object.
// It returns the row.
func Write(ctx context.Context, tx *gorm.DB, typ string, orderID, providerID *uuid.UUID, at time.Time, data any) (*Event, error) {
	if !slices.Contains(Types, typ) {
		return nil, fmt.Errorf("outbox: event type %q is not one of Types", typ)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("outbox: %s data: %w", typ, err)
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("outbox: %s data is not a JSON object", typ)
	}
	e := &Event{ID: ids.New(), Type: typ, OrderID: orderID, ProviderID: providerID, Data: raw, CreatedAt: at.UTC()}
	if err := tx.WithContext(ctx).Omit("Seq").Create(e).Error; err != nil {
		return nil, fmt.Errorf("outbox: write %s: %w", typ, err)
	}
	return e, nil
}
