package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/platform/config"
)

// Preferred windows in the past or more than a year ahead are refused, on
// create and on PATCH, naming the window (the test clock is 2026-06-01 10:00 UTC).
func TestPreferredWindowsArePresentToOneYear(t *testing.T) {
	env := apitest.New(t)
	alice := env.Token("alice@example.com")
	addr := map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"}
	win := func(start, end string) map[string]any { return map[string]any{"start": start, "end": end} }
	create := func(ws ...map[string]any) apitest.Response {
		return env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{"type": "repair", "description": "noisy", "address": addr,
			"preferred_windows": ws})
	}
	tomorrow := win("2026-06-02T08:00:00Z", "2026-06-02T10:00:00Z")
	cases := []struct {
		name  string
		ws    []map[string]any
		field string
	}{
		{"yesterday", []map[string]any{win("2026-05-31T08:00:00Z", "2026-05-31T10:00:00Z")}, "preferred_windows[0].start"},
		{"started an hour ago", []map[string]any{tomorrow, win("2026-06-01T09:00:00Z", "2026-06-01T11:00:00Z")}, "preferred_windows[1].start"},
		{"in the year 2999", []map[string]any{tomorrow, win("2999-06-02T08:00:00Z", "2999-06-02T10:00:00Z")}, "preferred_windows[1].start"},
		{"a year and a day ahead", []map[string]any{win("2027-06-02T08:00:00Z", "2027-06-02T10:00:00Z")}, "preferred_windows[0].start"},
		{"ends more than a year ahead", []map[string]any{win("2027-05-31T08:00:00Z", "2027-06-03T10:00:00Z")}, "preferred_windows[0].end"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectProblem(t, create(tc.ws...), http.StatusUnprocessableEntity, tc.field)
		})
	}
	o := mustStatus(t, create(tomorrow, win("2027-05-31T08:00:00Z", "2027-05-31T10:00:00Z")), http.StatusCreated, "tomorrow and within the year").JSON
	id := o["id"].(string)
	expectProblem(t, env.Do(http.MethodPatch, "/v1/orders/"+id, alice, map[string]any{"preferred_windows": []map[string]any{
		win("2026-05-01T08:00:00Z", "2026-05-01T10:00:00Z")}}), http.StatusUnprocessableEntity, "preferred_windows[0].start")
	mustStatus(t, env.Do(http.MethodPatch, "/v1/orders/"+id, alice, map[string]any{"preferred_windows": []map[string]any{
		win("2026-06-03T08:00:00Z", "2026-06-03T10:00:00Z")}}), http.StatusOK, "a future window")
}

// The all-zero UUID names no order: 404, for staff too.
func TestOrderNilUUIDIsNotFound(t *testing.T) {
	env := apitest.New(t)
	for _, who := range []string{"manager@fieldops.test", "alice@example.com"} {
		r := env.Do(http.MethodGet, "/v1/orders/00000000-0000-0000-0000-000000000000", env.Token(who), nil)
		expectProblem(t, r, http.StatusNotFound)
	}
}

// onSiteAt drives a new order of alice's (site at 31.24, 121.49) to
// on_site, Tom checking in at lat/lng; it returns the order id.
func onSiteAt(t *testing.T, env *apitest.Env, lat, lng float64) string {
	t.Helper()
	alice, disp, tom := env.Token("alice@example.com"), env.Token("dispatcher@fieldops.test"), env.Token("tom@fieldops.test")
	o := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{"type": "repair", "description": "AC drips",
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north", "lat": 31.24, "lng": 121.49},
	}), http.StatusCreated, "create").JSON
	id := o["id"].(string)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", disp, map[string]any{}), http.StatusOK, "triage")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": env.UserID("tom@fieldops.test")}), http.StatusOK, "assign")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/accept", tom, nil), http.StatusOK, "accept")
	slots := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id+"/slots?days=2", alice, nil), http.StatusOK, "slots")
	first := slots.JSON["items"].([]any)[0].(map[string]any)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/appointment", alice, map[string]any{"start": first["start"], "end": first["end"]}), http.StatusOK, "book")
	start, err := time.Parse(time.RFC3339, first["start"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if env.Clock.Now().Before(start.Add(-time.Hour)) {
		env.Clock.Set(start.Add(-time.Hour)) // departs an hour before the window
	}
	tom = env.Token("tom@fieldops.test")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/depart", tom, nil), http.StatusOK, "depart")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/arrive", tom, map[string]any{"lat": lat, "lng": lng}), http.StatusOK, "arrive")
	return id
}

// arrivePayload is the payload of the order's arrive event as a manager reads it.
func arrivePayload(t *testing.T, env *apitest.Env, id string) map[string]any {
	t.Helper()
	ev := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id+"/events?limit=200", env.Token("manager@fieldops.test"), nil), http.StatusOK, "events")
	for _, e := range ev.Items(t) {
		if e["action"] == "arrive" {
			return e["payload"].(map[string]any)
		}
	}
	t.Fatalf("no arrive event: %s", ev.Raw)
	return nil
}

// A check-in farther than the configured distance from the site is recorded
// with far_from_site for staff; a near one is not flagged.
func TestArriveFarFromSiteIsFlagged(t *testing.T) {
	env := apitest.New(t)
	far := arrivePayload(t, env, onSiteAt(t, env, 31.30, 121.49)) // about 6.7 km north
	if far["far_from_site"] != true || far["distance_m"].(float64) < 6000 {
		t.Errorf("6.7 km away: %v, want far_from_site", far)
	}
	near := arrivePayload(t, env, onSiteAt(t, env, 31.2401, 121.4902))
	if _, flagged := near["far_from_site"]; flagged || near["distance_m"].(float64) > 50 {
		t.Errorf("next door: %v, want no flag", near)
	}

	t.Run("the distance is configurable", func(t *testing.T) {
		env := apitest.New(t, func(c *config.Config) { c.CheckIn.MaxDistanceM = 10000 })
		if p := arrivePayload(t, env, onSiteAt(t, env, 31.30, 121.49)); p["far_from_site"] != nil {
			t.Errorf("6.7 km within 10 km: %v", p)
		}
	})
	t.Run("FIELDOPS_CHECKIN_MAX_DISTANCE_M", func(t *testing.T) {
		cfg, err := config.Load([]string{"FIELDOPS_CHECKIN_MAX_DISTANCE_M=750"})
		if err != nil || cfg.CheckIn.MaxDistanceM != 750 {
			t.Errorf("config %d, %v", cfg.CheckIn.MaxDistanceM, err)
		}
		if cfg, _ := config.Load(nil); cfg.CheckIn.MaxDistanceM != 500 {
			t.Errorf("default %d, want 500", cfg.CheckIn.MaxDistanceM)
		}
		if _, err := config.Load([]string{"FIELDOPS_CHECKIN_MAX_DISTANCE_M=0"}); err == nil {
			t.Error("0 m accepted")
		}
	})
}

// A quote line's amount is computed by the server: a client that sends one
// gets 400 (unknown field), and nothing is quoted.
func TestQuoteAmountIsNotClientSettable(t *testing.T) {
	env := apitest.New(t)
	id := onSiteAt(t, env, 31.2401, 121.4902)
	tom := env.Token("tom@fieldops.test")
	r := env.Do(http.MethodPost, "/v1/orders/"+id+"/quote", tom, map[string]any{"items": []map[string]any{
		{"kind": "labour", "description": "Replace pump", "qty": 1, "unit_price": 8000, "amount": 1}}})
	expectProblem(t, r, http.StatusBadRequest, "amount")
	o := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, tom, nil), http.StatusOK, "get").JSON
	if o["status"] != "on_site" {
		t.Errorf("status %v after a refused quote", o["status"])
	}
	q := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/quote", tom, map[string]any{"items": []map[string]any{
		{"kind": "labour", "description": "Replace pump", "qty": 2, "unit_price": 8000}}}), http.StatusOK, "quote").JSON
	if it := q["quote"].(map[string]any)["items"].([]any)[0].(map[string]any); it["amount"] != float64(16000) {
		t.Errorf("amount %v, want the server's 2 × 8000", it["amount"])
	}
}
