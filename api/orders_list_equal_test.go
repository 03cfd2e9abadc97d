package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

// TestOrderListItemsEqualTheOrder: the list is read by a pgx-native scan and
// GET /v1/orders/{id} through GORM (internal/orders/list_scan.go); for every
// caller, every item of the list must be exactly the order as GET shows it,
// field for field: ids, nullable times, JSONB windows and quote lines,
// arrays, embedded parties.
func TestOrderListItemsEqualTheOrder(t *testing.T) {
	w := accNewWorld(t)
	quoted := w.aliceOrder(t) // assigned to tom
	w.driveTo(t, quoted, accTom, "on_site")
	w.step(t, accTom, quoted, "quote", map[string]any{"items": []map[string]any{
		{"kind": "labour", "description": "Clean the drain", "qty": 1, "unit_price": 8000},
		{"kind": "part", "description": "Pump", "qty": 2, "unit_price": 12900, "covered": true}}})
	w.bobOrder(t) // assigned to carl, partner
	w.submit(t, accAlice, map[string]any{"type": "consultation", "description": "Which filter fits?",
		"address": accAliceAddress(), "preferred_windows": []map[string]any{w.window()}})

	for _, email := range []string{accDisp, accTom, accAlice, "dispatcher@coolfix.test", "manager@fieldops.test"} {
		t.Run(email, func(t *testing.T) {
			seen := 0
			path := "/v1/orders?limit=3"
			for pages := 0; pages < 50; pages++ {
				r := mustStatus(t, w.do(t, http.MethodGet, path, email, nil), http.StatusOK, "list")
				var page struct {
					Items      []map[string]any `json:"items"`
					NextCursor *string          `json:"next_cursor"`
				}
				if err := json.Unmarshal(r.Raw, &page); err != nil {
					t.Fatal(err)
				}
				for _, item := range page.Items {
					one := w.get(t, email, item["id"].(string))
					if !reflect.DeepEqual(item, one) {
						a, _ := json.Marshal(item)
						b, _ := json.Marshal(one)
						t.Errorf("list item differs from GET:\nlist %s\nget  %s", a, b)
					}
					seen++
				}
				if page.NextCursor == nil {
					break
				}
				path = "/v1/orders?limit=3&cursor=" + url.QueryEscape(*page.NextCursor)
			}
			want := 1
			if email == "manager@fieldops.test" {
				want = 3 // every order this test made
			}
			if seen < want {
				t.Errorf("%s saw %d orders, want at least %d", email, seen, want)
			}
		})
	}
}

// TestOrderListFilterValuesStayValues: narrowed lists go by the simple query
// protocol, with the arguments escaped into the SQL by pgx; a filter value
// that looks like SQL must match nothing rather than widen the list.
func TestOrderListFilterValuesStayValues(t *testing.T) {
	w := accNewWorld(t)
	w.aliceOrder(t)
	for _, region := range []string{`north' OR '1'='1`, `north\' OR 1=1 --`, "north'; DROP TABLE orders; --", `$1`} {
		r := mustStatus(t, w.do(t, http.MethodGet, "/v1/orders?region="+url.QueryEscape(region), accDisp, nil), http.StatusOK, "list")
		if items := r.Items(t); len(items) != 0 {
			t.Errorf("region %q matched %d orders", region, len(items))
		}
	}
	r := mustStatus(t, w.do(t, http.MethodGet, "/v1/orders?region=north", accDisp, nil), http.StatusOK, "list")
	if len(r.Items(t)) != 1 {
		t.Errorf("region north: %s", r.Raw)
	}
}
