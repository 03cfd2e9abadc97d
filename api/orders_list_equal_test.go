package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
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

// TestTextInputThatPostgreSQLCannotStoreIs422: NUL characters, invalid UTF-8
// and an over-long region filter are refused with a problem naming the field,
// never a 500.
func TestTextInputThatPostgreSQLCannotStoreIs422(t *testing.T) {
	w := accNewWorld(t)
	cases := []struct {
		name, method, path string
		body               any
		field              string
	}{
		{"NUL in a filter", http.MethodGet, "/v1/orders?region=" + url.QueryEscape("no\x00rth"), nil, "region"},
		{"invalid UTF-8 in a filter", http.MethodGet, "/v1/orders?region=%ff%fe", nil, "region"},
		{"a filter longer than documented", http.MethodGet, "/v1/orders?region=" + strings.Repeat("n", 65), nil, "region"},
		{"NUL in a body string", http.MethodPost, "/v1/orders", map[string]any{"type": "repair", "description": "drips\x00",
			"address": accAliceAddress()}, "description"},
		{"NUL in a nested body string", http.MethodPost, "/v1/orders", map[string]any{"type": "repair", "description": "drips",
			"address": map[string]any{"line1": "1 Road\x00", "city": "Northport", "region": "north"}}, "address.line1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := w.do(t, c.method, c.path, accDisp, c.body)
			if c.method == http.MethodPost {
				r = w.do(t, c.method, c.path, accAlice, c.body)
			}
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Raw), `"field":"`+c.field+`"`) {
				t.Errorf("%d %s, want 422 naming %s", r.Status, r.Raw, c.field)
			}
		})
	}
}

// TestReasonLengthCountsCharacters: the 1000 a reason may have are
// characters, as documented (maxLength), not bytes: 400 Chinese characters
// (1200 bytes) are a valid reason, 1001 characters are not.
func TestReasonLengthCountsCharacters(t *testing.T) {
	w := accNewWorld(t)
	id := w.submit(t, accAlice, map[string]any{"type": "repair", "description": "AC drips water",
		"asset_id": w.asset(t, accAlice, "AC9-DEMO-0001"), "address": accAliceAddress()})
	r := w.do(t, http.MethodPost, "/v1/orders/"+id+"/cancel", accAlice, map[string]any{"reason": strings.Repeat("取", 1001)})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("1001 characters: %d %s", r.Status, r.Raw)
	}
	r = mustStatus(t, w.do(t, http.MethodPost, "/v1/orders/"+id+"/cancel", accAlice, map[string]any{"reason": strings.Repeat("取", 400)}),
		http.StatusOK, "cancel")
	if r.JSON["status"] != "cancelled" {
		t.Errorf("cancel: %s", r.Raw)
	}
}
