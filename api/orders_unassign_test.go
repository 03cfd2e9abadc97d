package api_test

import (
	"net/http"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

// Staff can take a scheduled job back from its technician: the order returns
// to triaged, the visit is cancelled (the slot frees up) and the technician is told.
func TestUnassignReturnsTheOrderToTriage(t *testing.T) {
	env := apitest.New(t)
	alice, disp, tom := env.Token("alice@example.com"), env.Token("dispatcher@fieldops.test"), env.Token("tom@fieldops.test")
	tomID := env.UserID("tom@fieldops.test")
	id := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{"type": "repair", "description": "Leaking",
		"address": map[string]any{"line1": "1 Road", "city": "Northport", "region": "north"}}), http.StatusCreated, "create").JSON["id"].(string)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", disp, map[string]any{}), http.StatusOK, "triage")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": tomID}), http.StatusOK, "assign")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/accept", tom, nil), http.StatusOK, "accept")
	window := map[string]any{"start": "2026-06-02T08:00:00Z", "end": "2026-06-02T10:00:00Z"}
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/appointment", alice, window), http.StatusOK, "book")

	if r := env.Do(http.MethodPost, "/v1/orders/"+id+"/unassign", disp, map[string]any{}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("unassign without a reason: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(http.MethodPost, "/v1/orders/"+id+"/unassign", alice, map[string]any{"reason": "x"}); r.Status != http.StatusForbidden {
		t.Fatalf("customer unassigning: %d", r.Status)
	}
	o := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/unassign", disp, map[string]any{"reason": "tom is sick"}), http.StatusOK, "unassign").JSON
	if o["status"] != "triaged" || o["technician_id"] != nil || o["appointment"] != nil {
		t.Fatalf("after unassign: status %v, technician %v, appointment %v", o["status"], o["technician_id"], o["appointment"])
	}
	var active int64
	if err := env.DB.Raw("SELECT count(*) FROM appointments WHERE order_id = ? AND active", id).Scan(&active).Error; err != nil || active != 0 {
		t.Fatalf("active appointments after unassign: %d (%v)", active, err)
	}
	inbox := mustStatus(t, env.Do(http.MethodGet, "/v1/notifications?unread=true", tom, nil), http.StatusOK, "inbox")
	if first := inbox.JSON["items"].([]any)[0].(map[string]any); first["kind"] != "job_unassigned" {
		t.Fatalf("tom's newest notification: %v", first)
	}
	mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, tom, nil), http.StatusOK, "tom still sees the order he had")
}
