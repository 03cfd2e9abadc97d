package api_test

import (
	"net/http"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

// A partner dispatcher's intake belongs to the partner, so the dispatcher
// can work the order; registering customers' products is for in-house staff.
func TestPartnerDispatcherIntake(t *testing.T) {
	env := apitest.New(t)
	partner := env.Token("dispatcher@coolfix.test")
	bob := env.UserID("bob@example.com")
	r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", partner, map[string]any{
		"type": "repair", "description": "Called the partner hotline", "customer_id": bob,
		"address": map[string]any{"line1": "7 Garden Lane", "city": "Southbay", "region": "south"},
	}), http.StatusCreated, "partner intake")
	id := r.JSON["id"].(string)
	if r.JSON["provider_id"] == nil {
		t.Fatalf("a partner's intake has no provider: %s", r.Raw)
	}
	mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, partner, nil), http.StatusOK, "partner reads its intake")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", partner, map[string]any{}), http.StatusOK, "partner triages its intake")

	before := env.Count("assets")
	a := env.Do(http.MethodPost, "/v1/assets", partner, map[string]any{"product_model_id": "01a22380-ae3b-7e75-846e-2b4ae119113f",
		"serial_number": "P-1", "purchase_date": "2026-01-01", "customer_id": bob})
	if a.Status != http.StatusForbidden || env.Count("assets") != before {
		t.Fatalf("partner registering a product: %d %s", a.Status, a.Raw)
	}
}
