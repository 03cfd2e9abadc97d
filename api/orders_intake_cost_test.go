package api_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// A customer's intake for their own product reads the asset, its model, the
// SLA policy and the number in one statement (internal/orders
// intakeFactsSQL): two round trips with the write, after the principal cache
// is warm (issue 8).
func TestIntakeOfOwnProductIsTwoRoundTrips(t *testing.T) {
	w, rt := rtWorld(t)
	asset := w.asset(t, accAlice, "AC9-DEMO-0001")
	mustStatus(t, w.do(t, http.MethodGet, "/v1/me", accAlice, nil), http.StatusOK, "warm up")
	for i := range 3 { // the first on a connection prepares its statements: the same count
		sqls := rt.during(func() {
			mustStatus(t, w.do(t, http.MethodPost, "/v1/orders", accAlice, map[string]any{"type": "repair", "description": "AC drips again",
				"asset_id": asset, "address": accAliceAddress()}), http.StatusCreated, "intake")
		})
		if len(sqls) > 2 {
			for j, q := range sqls {
				sqls[j] = q[:min(len(q), 60)]
			}
			t.Errorf("intake %d: %d round trips, want 2:\n%q", i, len(sqls), sqls)
		}
	}
}

// The one-statement read takes the order number only when the intake goes
// through: an intake refused for its asset (someone else's, absent) or for
// another field takes none, as when the asset was read first; and the order
// it creates is the one the catalogue's read of the asset gives (staff's
// intake for the same product).
func TestIntakeOfOwnProductMatchesTheCatalogueRead(t *testing.T) {
	w := accNewWorld(t)
	alices, bobs := w.asset(t, accAlice, "AC9-DEMO-0001"), w.asset(t, accBob, "AC9-DEMO-0002")
	body := func(asset string) map[string]any {
		return map[string]any{"type": "repair", "description": "AC drips", "asset_id": asset, "address": accAliceAddress()}
	}
	seq := func(r map[string]any) int {
		t.Helper()
		num, _ := r["number"].(string)
		n, err := strconv.Atoi(num[strings.LastIndexByte(num, '-')+1:])
		if err != nil {
			t.Fatalf("number %q: %v", num, err)
		}
		return n
	}
	first := mustStatus(t, w.do(t, http.MethodPost, "/v1/orders", accAlice, body(alices)), http.StatusCreated, "intake").JSON

	refused := []struct {
		name string
		body map[string]any
		want string
	}{
		{"someone else's product", body(bobs), "asset_id"},
		{"no such product", body(uuid.NewString()), "asset_id"},
		{"own product, description missing", map[string]any{"type": "repair", "description": " ", "asset_id": alices, "address": accAliceAddress()}, "description"},
	}
	for _, c := range refused {
		r := mustStatus(t, w.do(t, http.MethodPost, "/v1/orders", accAlice, c.body), http.StatusUnprocessableEntity, c.name)
		if !strings.Contains(string(r.Raw), `"`+c.want+`"`) {
			t.Errorf("%s: %s does not name %s", c.name, r.Raw, c.want)
		}
	}
	second := mustStatus(t, w.do(t, http.MethodPost, "/v1/orders", accAlice, body(alices)), http.StatusCreated, "intake").JSON
	if seq(second) != seq(first)+1 {
		t.Errorf("numbers %v then %v: refused intakes took numbers", first["number"], second["number"])
	}

	staff := body(alices)
	staff["customer_id"] = w.env.UserID(accAlice)
	staff["channel"] = "app"
	byStaff := mustStatus(t, w.do(t, http.MethodPost, "/v1/orders", accDisp, staff), http.StatusCreated, "staff intake").JSON
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	for _, k := range []string{"asset_id", "product_model_id", "asset", "product_model", "warranty", "sla", "priority", "region", "time_zone", "customer_id"} {
		if got, want := js(second[k]), js(byStaff[k]); got != want || got == "null" {
			t.Errorf("%s = %s, staff's intake (the catalogue's read) gives %s", k, got, want)
		}
	}
	if w, _ := second["warranty"].(map[string]any); w["in_warranty"] != true || w["ends_at"] == nil {
		t.Errorf("warranty = %v, want in warranty with an end (the demo AC)", second["warranty"])
	}
}
