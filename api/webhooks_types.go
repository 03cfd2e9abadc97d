package api

import (
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/webhooks"
)

// WebhookEventType is an integration event type a webhook may subscribe to
// (SPEC §6; internal/platform/outbox.Types).
type WebhookEventType string // @name WebhookEventType

// The WebhookEventType values.
const (
	WebhookEventTypeOrderCreated       WebhookEventType = "order.created"
	WebhookEventTypeOrderStatusChanged WebhookEventType = "order.status_changed"
	WebhookEventTypeOrderAssigned      WebhookEventType = "order.assigned"
	WebhookEventTypeOrderCompleted     WebhookEventType = "order.completed"
	WebhookEventTypeRatingCreated      WebhookEventType = "rating.created"
	WebhookEventTypeComplaintCreated   WebhookEventType = "complaint.created"
	WebhookEventTypeComplaintEscalated WebhookEventType = "complaint.escalated"
	WebhookEventTypeSLABreached        WebhookEventType = "sla.breached"
	WebhookEventTypeStockLow           WebhookEventType = "stock.low"
)

// WebhookRequest registers a webhook.
type WebhookRequest struct {
	URL         string             `json:"url" validate:"required,max=2048" minLength:"1" maxLength:"2048" example:"https://crm.example.com/fieldops/hooks"`                                                                                                                                // https; http and private addresses only where FIELDOPS_WEBHOOK_ALLOW_PRIVATE is on
	Events      []WebhookEventType `json:"events,omitempty" validate:"max=9,dive,oneof=order.created order.status_changed order.assigned order.completed rating.created complaint.created complaint.escalated sla.breached stock.low" maxItems:"9" example:"order.created,order.completed"` // omitted or empty: every type, including types added later
	Secret      string             `json:"secret,omitempty" validate:"omitempty,min=16,max=200" minLength:"16" maxLength:"200" example:"a-long-shared-secret-of-yours"`                                                                                                                     // HMAC key; omitted: 32 random bytes generated (whsec_ + 64 hex digits)
	Description string             `json:"description,omitempty" validate:"max=200" maxLength:"200" example:"CRM sync"`
	ProviderID  *uuid.UUID         `json:"provider_id,omitempty" swaggertype:"string" format:"uuid" example:"0190a1b2-0000-7000-8000-000000000002"` // managers: only this provider's events; an API client's webhooks always get its provider's
} // @name WebhookRequest

// WebhookResponse is a webhook as listed (never its secret).
type WebhookResponse struct {
	ID          uuid.UUID          `json:"id" format:"uuid"`
	URL         string             `json:"url" example:"https://crm.example.com/fieldops/hooks"`
	Events      []WebhookEventType `json:"events" example:"order.created,order.completed"` // empty: every type
	Description string             `json:"description" example:"CRM sync"`
	ProviderID  *uuid.UUID         `json:"provider_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`   // null: events of every provider
	APIClientID *uuid.UUID         `json:"api_client_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"` // the API client that registered it; null: a manager
	CreatedAt   time.Time          `json:"created_at" format:"date-time"`
} // @name Webhook

// WebhookCreated is a new webhook with its secret, shown only here.
type WebhookCreated struct {
	WebhookResponse
	Secret string `json:"secret" example:"whsec_4f9d2c…"` // the HMAC-SHA256 key (its UTF-8 bytes); shown once
} // @name WebhookCreated

// WebhookList is one page of webhooks, oldest first.
type WebhookList struct {
	Items      []WebhookResponse `json:"items"`
	NextCursor *string           `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMTkw"` // null on the last page
} // @name WebhookList

// WebhookDeliveryResponse is one delivery attempt (or test ping).
type WebhookDeliveryResponse struct {
	ID          uuid.UUID  `json:"id" format:"uuid"`
	EventID     uuid.UUID  `json:"event_id" format:"uuid"` // X-FieldOps-Event-Id: the same on every attempt of one event
	EventType   string     `json:"event_type" enums:"order.created,order.status_changed,order.assigned,order.completed,rating.created,complaint.created,complaint.escalated,sla.breached,stock.low,webhook.test" example:"order.created"`
	Attempt     int        `json:"attempt" minimum:"1" example:"1"`
	StatusCode  *int       `json:"status_code" extensions:"x-nullable" example:"503"`             // the receiver's HTTP status; null when none came (refused, timed out, connection failed)
	Error       *string    `json:"error" extensions:"x-nullable" example:"receiver answered 503"` // null on success
	DurationMS  int64      `json:"duration_ms" minimum:"0" example:"84"`                          // wall time of the attempt
	NextRetryAt *time.Time `json:"next_retry_at" format:"date-time" extensions:"x-nullable"`      // when the next attempt is due; null when none is planned (delivered, given up, test ping)
	Succeeded   bool       `json:"succeeded"`                                                     // a 2xx answer
	Test        bool       `json:"test"`                                                          // a POST /v1/webhooks/{id}/test ping
	CreatedAt   time.Time  `json:"created_at" format:"date-time"`
} // @name WebhookDelivery

// WebhookDeliveryList is one page of attempts, newest first.
type WebhookDeliveryList struct {
	Items      []WebhookDeliveryResponse `json:"items"`
	NextCursor *string                   `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMTkw"` // null on the last page
} // @name WebhookDeliveryList

// --- payloads: what a webhook receives (the body of each POST to its url) ---

// WebhookOrderData is the data of order.created, order.status_changed,
// order.assigned and order.completed (internal/orders.OrderEventData).
type WebhookOrderData struct {
	ID             uuid.UUID    `json:"id" format:"uuid"`
	Number         string       `json:"number" example:"FO-2026-000123"`
	Type           string       `json:"type" enums:"install,repair,maintenance,inspection,return_exchange,consultation" example:"repair"`
	Channel        string       `json:"channel" enums:"app,web,phone,wechat,email,store,partner_api" example:"partner_api"`
	Priority       string       `json:"priority" enums:"P1,P2,P3,P4" example:"P3"`
	Status         OrderStatus  `json:"status" example:"assigned"`                                 // after the change
	PreviousStatus *OrderStatus `json:"previous_status" extensions:"x-nullable" example:"triaged"` // before it (order.status_changed); null on the others
	Action         EventAction  `json:"action" example:"assign"`                                   // what caused the event: the action of the order event the change wrote
	CustomerID     uuid.UUID    `json:"customer_id" format:"uuid"`
	TechnicianID   *uuid.UUID   `json:"technician_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	ProviderID     *uuid.UUID   `json:"provider_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"` // null: in-house
	ExternalRef    *string      `json:"external_ref" extensions:"x-nullable" example:"CRM-4711"`                // the submitting API client's reference; null when none
	Region         string       `json:"region" example:"north"`
	VisitCount     int          `json:"visit_count" example:"1"`
	Version        int          `json:"version" example:"3"` // the order's version after the change
	OccurredAt     time.Time    `json:"occurred_at" format:"date-time"`
	Fixed          *bool        `json:"fixed,omitempty" example:"true"`                    // order.completed only
	CompletedAt    *time.Time   `json:"completed_at,omitempty" format:"date-time"`         // order.completed only
	ReportHash     string       `json:"report_hash,omitempty" example:"9f86d081884c7d65…"` // order.completed only: GET /v1/orders/{id}/report
} // @name WebhookOrderData

// WebhookRatingData is the data of rating.created (internal/orders.RatingEventData).
type WebhookRatingData struct {
	OrderID      uuid.UUID  `json:"order_id" format:"uuid"`
	OrderNumber  string     `json:"order_number" example:"FO-2026-000123"`
	ExternalRef  *string    `json:"external_ref" extensions:"x-nullable" example:"CRM-4711"`
	TechnicianID *uuid.UUID `json:"technician_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	ProviderID   *uuid.UUID `json:"provider_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	Visit        int        `json:"visit" example:"1"`
	Score        int        `json:"score" minimum:"1" maximum:"5" example:"5"`
	Timeliness   int        `json:"timeliness" minimum:"1" maximum:"5" example:"5"`
	Attitude     int        `json:"attitude" minimum:"1" maximum:"5" example:"5"`
	Quality      int        `json:"quality" minimum:"1" maximum:"5" example:"4"`
	Comment      string     `json:"comment" example:"Quick and tidy"`
	ComplaintID  *uuid.UUID `json:"complaint_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"` // the complaint a score of 2 or less opened
	CreatedAt    time.Time  `json:"created_at" format:"date-time"`
} // @name WebhookRatingData

// WebhookTestData is the data of a webhook.test ping.
type WebhookTestData struct {
	WebhookID uuid.UUID `json:"webhook_id" format:"uuid"`
	Message   string    `json:"message"`
} // @name WebhookTestData

// WebhookOrderEvent is the body of an order.* webhook request. Headers:
// X-FieldOps-Event-Id (= id), X-FieldOps-Event-Type (= type),
// X-FieldOps-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>.
type WebhookOrderEvent struct {
	ID        uuid.UUID        `json:"id" format:"uuid"` // the event id: the same on every retry; de-duplicate by it
	Type      string           `json:"type" enums:"order.created,order.status_changed,order.assigned,order.completed" example:"order.created"`
	CreatedAt time.Time        `json:"created_at" format:"date-time"`
	Data      WebhookOrderData `json:"data"`
} // @name WebhookOrderEvent

// WebhookRatingEvent is the body of a rating.created webhook request.
type WebhookRatingEvent struct {
	ID        uuid.UUID         `json:"id" format:"uuid"`
	Type      string            `json:"type" enums:"rating.created" example:"rating.created"`
	CreatedAt time.Time         `json:"created_at" format:"date-time"`
	Data      WebhookRatingData `json:"data"`
} // @name WebhookRatingEvent

// WebhookTestEvent is the body of a webhook.test ping.
type WebhookTestEvent struct {
	ID        uuid.UUID       `json:"id" format:"uuid"`
	Type      string          `json:"type" enums:"webhook.test" example:"webhook.test"`
	CreatedAt time.Time       `json:"created_at" format:"date-time"`
	Data      WebhookTestData `json:"data"`
} // @name WebhookTestEvent

// WebhookComplaintData is the data of complaint.created
// (internal/orders.ComplaintData: the complaint without staff notes or
// replies).
type WebhookComplaintData struct {
	ID              uuid.UUID  `json:"id" format:"uuid"`
	CustomerID      uuid.UUID  `json:"customer_id" format:"uuid"`
	OrderID         *uuid.UUID `json:"order_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"` // null: a complaint about no order
	Source          string     `json:"source" enums:"rating,customer,staff" example:"customer"`
	Category        string     `json:"category" enums:"service_quality,timeliness,attitude,billing,damage,parts,other" example:"timeliness"`
	Severity        string     `json:"severity" enums:"low,medium,high" example:"medium"`
	Description     string     `json:"description" example:"The technician came two hours late"`
	Status          string     `json:"status" enums:"open,responded,resolved,closed" example:"open"`
	Level           int        `json:"level" minimum:"0" maximum:"3" example:"0"` // 0 agent, 1 supervisor, 2 manager, 3 director
	Region          string     `json:"region" example:"north"`
	ReplyDueAt      time.Time  `json:"reply_due_at" format:"date-time"`
	ResolutionDueAt time.Time  `json:"resolution_due_at" format:"date-time"`
	CreatedAt       time.Time  `json:"created_at" format:"date-time"`
	UpdatedAt       time.Time  `json:"updated_at" format:"date-time"`
} // @name WebhookComplaintData

// WebhookComplaintEscalatedData is the data of complaint.escalated: the
// complaint at its new level, the level it left and whether the sweep
// escalated it (an unanswered complaint) rather than a person (staff, or the
// customer rejecting a resolution).
type WebhookComplaintEscalatedData struct {
	WebhookComplaintData
	FromLevel int  `json:"from_level" minimum:"0" maximum:"2" example:"0"`
	Automatic bool `json:"automatic" example:"true"`
} // @name WebhookComplaintEscalatedData

// WebhookComplaintEvent is the body of a complaint.created webhook request.
type WebhookComplaintEvent struct {
	ID        uuid.UUID            `json:"id" format:"uuid"`
	Type      string               `json:"type" enums:"complaint.created" example:"complaint.created"`
	CreatedAt time.Time            `json:"created_at" format:"date-time"`
	Data      WebhookComplaintData `json:"data"`
} // @name WebhookComplaintEvent

// WebhookComplaintEscalatedEvent is the body of a complaint.escalated webhook request.
type WebhookComplaintEscalatedEvent struct {
	ID        uuid.UUID                     `json:"id" format:"uuid"`
	Type      string                        `json:"type" enums:"complaint.escalated" example:"complaint.escalated"`
	CreatedAt time.Time                     `json:"created_at" format:"date-time"`
	Data      WebhookComplaintEscalatedData `json:"data"`
} // @name WebhookComplaintEscalatedEvent

// WebhookStockLowData is the data of stock.low: a part's stock at a location
// fell below its reorder point (once per crossing). Stock events belong to
// no order and no provider: only webhooks bound to no provider get them.
type WebhookStockLowData struct {
	PartID       uuid.UUID `json:"part_id" format:"uuid"`
	SKU          string    `json:"sku" example:"DP-800"`
	LocationID   uuid.UUID `json:"location_id" format:"uuid"`
	OnHand       int       `json:"on_hand" minimum:"0" example:"4"`
	Reserved     int       `json:"reserved" minimum:"0" example:"0"`
	Available    int       `json:"available" example:"4"` // on_hand − reserved
	ReorderPoint int       `json:"reorder_point" minimum:"0" example:"5"`
} // @name WebhookStockLowData

// WebhookStockLowEvent is the body of a stock.low webhook request.
type WebhookStockLowEvent struct {
	ID        uuid.UUID           `json:"id" format:"uuid"`
	Type      string              `json:"type" enums:"stock.low" example:"stock.low"`
	CreatedAt time.Time           `json:"created_at" format:"date-time"`
	Data      WebhookStockLowData `json:"data"`
} // @name WebhookStockLowEvent

// WebhookEventSamples shows one body of each payload schema, built by the
// same code that writes the real events where it is exported (the contract
// check proves they match their schemas; api/review2_payloads_test.go checks
// the complaint and stock bodies the outbox really holds).
type WebhookEventSamples struct {
	OrderCreated       WebhookOrderEvent              `json:"order_created"`
	OrderStatusChanged WebhookOrderEvent              `json:"order_status_changed"`
	OrderAssigned      WebhookOrderEvent              `json:"order_assigned"`
	OrderCompleted     WebhookOrderEvent              `json:"order_completed"`
	RatingCreated      WebhookRatingEvent             `json:"rating_created"`
	ComplaintCreated   WebhookComplaintEvent          `json:"complaint_created"`
	ComplaintEscalated WebhookComplaintEscalatedEvent `json:"complaint_escalated"`
	SLABreached        WebhookSLABreachedEvent        `json:"sla_breached"`
	StockLow           WebhookStockLowEvent           `json:"stock_low"`
	Test               WebhookTestEvent               `json:"test"`
} // @name WebhookEventSamples

// --- converters ---

func fromWebhookRequest(r WebhookRequest) webhooks.CreateInput {
	return webhooks.CreateInput{URL: r.URL, Secret: r.Secret, Description: r.Description, ProviderID: r.ProviderID,
		Events: enumsOf[string](r.Events)}
}

func toWebhookResponse(w webhooks.Webhook) WebhookResponse {
	return WebhookResponse{ID: w.ID, URL: w.URL, Events: enumsOf[WebhookEventType](w.Events), Description: w.Description,
		ProviderID: w.ProviderID, APIClientID: w.APIClientID, CreatedAt: w.CreatedAt.UTC()}
}

func toWebhookDeliveryResponse(d webhooks.Delivery) WebhookDeliveryResponse {
	return WebhookDeliveryResponse{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Attempt: d.Attempt, StatusCode: d.StatusCode,
		Error: nonEmpty(d.Error), DurationMS: d.DurationMS, Succeeded: d.Succeeded(), Test: d.MessageID == nil,
		NextRetryAt: utcPtr(d.NextRetryAt), CreatedAt: d.CreatedAt.UTC()}
}
