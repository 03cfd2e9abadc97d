package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
)

// mustStatus fails the test unless r has the wanted status.
func mustStatus(t *testing.T, r apitest.Response, want int, what string) apitest.Response {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, want, r.Raw)
	}
	return r
}

// aliceAsset returns the id of alice's in-warranty AC-9000 (demo seed).
func aliceAsset(t *testing.T, env *apitest.Env, tok string) string {
	t.Helper()
	r := mustStatus(t, env.Do(http.MethodGet, "/v1/assets", tok, nil), http.StatusOK, "list assets")
	for _, it := range r.JSON["items"].([]any) {
		a := it.(map[string]any)
		if a["serial_number"] == "AC9-DEMO-0001" {
			return a["id"].(string)
		}
	}
	t.Fatal("alice's AC9-DEMO-0001 not found")
	return ""
}

// The whole path of issue 3: customer submits → dispatcher triages →
// auto-assign → technician accepts → customer books → technician departs,
// arrives, quotes → customer approves (in progress), with the timeline.
func TestOrderHappyPathEndToEnd(t *testing.T) {
	env := apitest.New(t)
	alice := env.Token("alice@example.com")
	disp := env.Token("dispatcher@fieldops.test")
	tom := env.Token("tom@fieldops.test")

	// Alice's AC is in warranty; make the quote a chargeable one by marking it not covered.
	created := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{
		"type": "repair", "description": "AC drips water", "asset_id": aliceAsset(t, env, alice),
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north", "lat": 31.24, "lng": 121.49},
	}), http.StatusCreated, "create")
	o := created.JSON
	id := o["id"].(string)
	if o["status"] != "submitted" || o["priority"] != "P3" || o["number"] == "" {
		t.Fatalf("created order: %s", created.Raw)
	}
	if w := o["warranty"].(map[string]any); w["in_warranty"] != true {
		t.Fatalf("warranty snapshot: %v", w)
	}
	sla := o["sla"].(map[string]any)
	if sla["first_response_due"] != "2026-06-02T10:00:00Z" || sla["resolution_due"] != "2026-06-08T10:00:00Z" {
		t.Fatalf("P3 SLA due times: %v", sla)
	}

	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", disp, map[string]any{"priority": "P2", "notes": "noisy"}), http.StatusOK, "triage")
	as := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"auto": true}), http.StatusOK, "auto-assign")
	techID := as.JSON["technician_id"].(string)
	if techID != env.UserID("tom@fieldops.test") && techID != env.UserID("carl@coolfix.test") {
		t.Fatalf("auto-assign picked %s: %s", techID, as.Raw)
	}
	if as.JSON["reason"] == "" {
		t.Fatal("auto-assign gave no reason")
	}
	tech := tom
	if techID == env.UserID("carl@coolfix.test") {
		tech = env.Token("carl@coolfix.test")
	}
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/accept", tech, nil), http.StatusOK, "accept")

	slots := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id+"/slots?days=2", alice, nil), http.StatusOK, "slots")
	first := slots.JSON["items"].([]any)[0].(map[string]any)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/appointment", alice, map[string]any{"start": first["start"], "end": first["end"]}), http.StatusOK, "book")
	env.Clock.Advance(2 * time.Hour) // the day of the visit; tokens are re-issued
	techEmail := "tom@fieldops.test"
	if techID == env.UserID("carl@coolfix.test") {
		techEmail = "carl@coolfix.test"
	}
	tech, alice = env.Token(techEmail), env.Token("alice@example.com")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/depart", tech, departEarly), http.StatusOK, "depart")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/arrive", tech, map[string]any{"lat": 31.2401, "lng": 121.4902}), http.StatusOK, "arrive")
	q := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/quote", tech, map[string]any{"items": []map[string]any{
		{"kind": "part", "description": "Drain pump", "qty": 1, "unit_price": 12900, "covered": true},
		{"kind": "labour", "description": "Replace pump", "qty": 1, "unit_price": 8000, "covered": false},
	}}), http.StatusOK, "quote")
	if ch := q.JSON["charges"].(map[string]any); ch["amount_due"] != float64(8000) || ch["covered"] != float64(12900) {
		t.Fatalf("in warranty the covered part is free: %v", ch)
	}
	done := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/quote/approve", alice, nil), http.StatusOK, "approve")
	if done.JSON["status"] != "in_progress" {
		t.Fatalf("after approval: %s", done.Raw)
	}

	ev := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id+"/events", alice, nil), http.StatusOK, "events")
	want := []struct{ action, role, to string }{
		{"create", "customer", "submitted"}, {"triage", "dispatcher", "triaged"}, {"assign", "dispatcher", "assigned"},
		{"accept", "technician", "accepted"}, {"appointment", "customer", "scheduled"}, {"depart", "technician", "en_route"},
		{"arrive", "technician", "on_site"}, {"quote", "technician", "awaiting_approval"}, {"quote/approve", "customer", "in_progress"},
	}
	items := ev.JSON["items"].([]any)
	if len(items) != len(want) {
		t.Fatalf("timeline has %d events, want %d: %s", len(items), len(want), ev.Raw)
	}
	for i, w := range want {
		e := items[i].(map[string]any)
		if e["action"] != w.action || e["actor_role"] != w.role || e["to"] != w.to || e["actor_id"] == nil {
			t.Errorf("event %d = %v/%v→%v, want %s/%s→%s", i, e["action"], e["actor_role"], e["to"], w.action, w.role, w.to)
		}
	}
	// Tom learned of the job, Alice of the acceptance and the quote.
	n := mustStatus(t, env.Do(http.MethodGet, "/v1/notifications", alice, nil), http.StatusOK, "alice inbox")
	kinds := map[string]bool{}
	for _, it := range n.JSON["items"].([]any) {
		kinds[it.(map[string]any)["kind"].(string)] = true
	}
	for _, k := range []string{"job_accepted", "quote_waiting", "technician_en_route"} {
		if !kinds[k] {
			t.Errorf("alice has no %s notification: %s", k, n.Raw)
		}
	}
}
