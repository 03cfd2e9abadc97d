// Package webhooks delivers the integration events of the transactional
// outbox (internal/platform/outbox, SPEC §6) to subscribers' HTTPS
// endpoints: subscriptions (Service.Create/List/Delete), the relay that
// turns committed outbox rows into one message per subscribed webhook
// (Relay), and delivery (Deliver/DeliverDue: signed POST, exponential
// back-off for 24 h, in order per order id), with every attempt logged.
// Targets are checked against SSRF at registration (Guard.CheckURL) and at
// every connection (Guard.Control).
package webhooks

import (
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
)

// Webhook is a subscription. Events empty means every event type; a
// ProviderID limits it to events of that provider's orders.
type Webhook struct {
	ID          uuid.UUID `gorm:"type:uuid;primaryKey"`
	URL         string
	Events      pq.StringArray `gorm:"type:text[]"`
	Description string
	Secret      string
	ProviderID  *uuid.UUID `gorm:"type:uuid"`
	APIClientID *uuid.UUID `gorm:"type:uuid"`
	CreatedBy   *uuid.UUID `gorm:"type:uuid"`
	StartSeq    int64
	CreatedAt   time.Time
	DeletedAt   *time.Time
}

// TableName is webhooks.
func (Webhook) TableName() string { return "webhooks" }

// Message statuses.
const (
	MessagePending   = "pending"
	MessageDelivered = "delivered"
	MessageFailed    = "failed"    // the retry window ended without a 2xx
	MessageCancelled = "cancelled" // the webhook was deleted
)

// Message is one outbox event to deliver to one webhook.
type Message struct {
	ID            uuid.UUID `gorm:"type:uuid;primaryKey"`
	WebhookID     uuid.UUID `gorm:"type:uuid"`
	EventID       uuid.UUID `gorm:"type:uuid"`
	Seq           int64
	OrderID       *uuid.UUID `gorm:"type:uuid"`
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	GiveUpAt      time.Time
	CreatedAt     time.Time
	DeliveredAt   *time.Time
}

// TableName is webhook_messages.
func (Message) TableName() string { return "webhook_messages" }

// Delivery is one attempt (or test ping) and its outcome. NextRetryAt is
// set when another attempt is scheduled.
type Delivery struct {
	ID          uuid.UUID  `gorm:"type:uuid;primaryKey"`
	WebhookID   uuid.UUID  `gorm:"type:uuid"`
	MessageID   *uuid.UUID `gorm:"type:uuid"` // nil for a test ping
	EventID     uuid.UUID  `gorm:"type:uuid"`
	EventType   string
	Attempt     int
	StatusCode  *int
	Error       string
	DurationMS  int64 `gorm:"column:duration_ms"`
	NextRetryAt *time.Time
	CreatedAt   time.Time
}

// TableName is webhook_deliveries.
func (Delivery) TableName() string { return "webhook_deliveries" }

// Succeeded reports a 2xx answer.
func (d Delivery) Succeeded() bool {
	return d.Error == "" && d.StatusCode != nil && *d.StatusCode >= 200 && *d.StatusCode < 300
}

// RelayCursor is the relay's position in the outbox: (txid, seq) of the last
// event turned into messages.
type RelayCursor struct {
	ID       int16 `gorm:"primaryKey"`
	LastTxid int64
	LastSeq  int64
}

// TableName is webhook_relay.
func (RelayCursor) TableName() string { return "webhook_relay" }

// TestEventType is the type of the ping POST /v1/webhooks/{id}/test sends.
const TestEventType = "webhook.test"
