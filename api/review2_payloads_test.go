package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/platform/outbox"
	"github.com/fieldops/fieldops/internal/webhooks"
)

// webhookPayloadSchemas is the OpenAPI component each event type's webhook
// body is documented by.
var webhookPayloadSchemas = map[string]string{
	outbox.OrderCreated: "WebhookOrderEvent", outbox.OrderStatusChanged: "WebhookOrderEvent",
	outbox.OrderAssigned: "WebhookOrderEvent", outbox.OrderCompleted: "WebhookOrderEvent",
	outbox.RatingCreated: "WebhookRatingEvent", outbox.SLABreached: "WebhookSLABreachedEvent",
	outbox.ComplaintCreated: "WebhookComplaintEvent", outbox.ComplaintEscalated: "WebhookComplaintEscalatedEvent",
	outbox.StockLow: "WebhookStockLowEvent",
}

// TestWebhookPayloadsOfEveryTypeAreDocumented: every event type a webhook
// may subscribe to has its body in the OpenAPI document, and the bodies the
// complaint and stock changes really write (read from the outbox, wrapped as
// the delivery wraps them) match it exactly.
func TestWebhookPayloadsOfEveryTypeAreDocumented(t *testing.T) {
	for _, typ := range outbox.Types {
		if webhookPayloadSchemas[typ] == "" {
			t.Errorf("event type %s has no documented payload schema", typ)
		}
	}
	w := newInv(t)
	env := w.env
	// stock.low: a stocktake takes the part below its reorder point
	p := w.part(t, "DP-800", map[string]any{"reorder_point": 5})["id"].(string)
	mustStatus(t, w.move(t, w.disp, map[string]any{"kind": "receive", "part_id": p, "qty": 10, "to_location_id": w.warehouse, "supplier_ref": "PO"}), 201, "receive")
	mustStatus(t, env.Do(http.MethodPost, "/v1/stock/counts", w.disp, map[string]any{"location_id": w.warehouse,
		"counts": []map[string]any{{"part_id": p, "counted": 4}}}), http.StatusCreated, "count")
	// complaint.created, complaint.escalated
	order := cmpOrder(t, env)
	id := mustStatus(t, env.Do(http.MethodPost, "/v1/complaints", w.alice, map[string]any{"order_id": order, "category": "attitude",
		"severity": "high", "description": "Rude on the phone"}), http.StatusCreated, "complain").JSON["id"].(string)
	mustStatus(t, env.Do(http.MethodPost, "/v1/complaints/"+id+"/escalate", w.disp, map[string]any{"reason": "VIP customer"}), http.StatusOK, "escalate")

	var rows []struct {
		ID        uuid.UUID
		Type      string
		CreatedAt time.Time
		Data      []byte
	}
	if err := env.DB.Raw(`SELECT id, type, created_at, data FROM outbox_events WHERE type IN ?`,
		[]string{outbox.StockLow, outbox.ComplaintCreated, outbox.ComplaintEscalated}).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, r := range rows {
		body, err := json.Marshal(webhooks.Envelope{ID: r.ID, Type: r.Type, CreatedAt: r.CreatedAt.UTC(), Data: r.Data})
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		if err := apitest.CheckSchema(webhookPayloadSchemas[r.Type], v); err != nil {
			t.Errorf("%s body does not match %s: %v\n%s", r.Type, webhookPayloadSchemas[r.Type], err, body)
		}
		seen = append(seen, r.Type)
	}
	for _, typ := range []string{outbox.StockLow, outbox.ComplaintCreated, outbox.ComplaintEscalated} {
		if !slices.Contains(seen, typ) {
			t.Errorf("no %s event was written", typ)
		}
	}
	// the samples show these bodies too (the exchange is checked against the document)
	s := mustStatus(t, env.Do(http.MethodGet, "/v1/webhook-event-samples", w.mgr, nil), http.StatusOK, "samples").JSON
	for _, k := range []string{"complaint_created", "complaint_escalated", "stock_low"} {
		if s[k] == nil {
			t.Errorf("no %s sample", k)
		}
	}
}
