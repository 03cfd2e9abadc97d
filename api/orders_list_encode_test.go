package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/fieldops/fieldops/api"
)

// The list page is encoded by hand (api/orders_list_encode.go). Each page a
// caller can see, decoded and encoded again by encoding/json (what c.JSON
// writes), must give back the very bytes the server sent: every role, orders
// with appointments, arrivals (coordinates), quotes and none of these.
func TestOrderListEncodingMatchesEncodingJSON(t *testing.T) {
	w := accNewWorld(t)
	plain := w.aliceOrder(t)
	w.driveTo(t, plain, accTom, "on_site")
	w.step(t, accTom, plain, "quote", map[string]any{"items": []any{
		map[string]any{"kind": "labour", "description": `Clean <filter> & "coil"` + "\u2028\ttabs", "qty": 1, "unit_price": 8000},
		map[string]any{"kind": "fee", "description": "Call-out fee", "qty": 1, "unit_price": 2500, "covered": true}}})
	other := w.submit(t, accBob, map[string]any{"type": "repair", "description": "Ünïcode — 设备 <b>&amp;</b> \\ \"quoted\"",
		"address": map[string]any{"line1": "1 Long Road", "city": "Southport", "region": "south", "lat": 0.0000001, "lng": -121.5}})
	w.dispatch(t, other, accCarl)
	w.submit(t, accAlice, map[string]any{"type": "repair", "description": "Not yet triaged", "address": accAliceAddress()})

	for _, c := range []struct{ email, query string }{
		{accAlice, ""}, {accBob, ""}, {accTom, "?status=assigned,accepted,scheduled,on_site,awaiting_approval"},
		{accTom, ""}, {accCarl, ""}, {accPartner, ""}, {accDisp, ""}, {accManager, "?limit=2"},
	} {
		r := w.do(t, http.MethodGet, "/v1/orders"+c.query, c.email, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%s GET /v1/orders%s: status %d: %s", c.email, c.query, r.Status, r.Raw)
		}
		if len(accIDs(t, r)) == 0 {
			t.Fatalf("%s: empty page", c.email)
		}
		var page api.OrderList
		if err := json.Unmarshal(r.Raw, &page); err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(page); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.Raw, want.Bytes()) {
			i := 0
			for i < len(r.Raw) && i < want.Len() && r.Raw[i] == want.Bytes()[i] {
				i++
			}
			t.Errorf("%s GET /v1/orders%s: the page differs from encoding/json's at byte %d:\n got %.200s\nwant %.200s",
				c.email, c.query, i, r.Raw[i:], want.Bytes()[i:])
		}
		// each order alone (GET /v1/orders/{id}, writeOrder) too
		for _, it := range page.Items {
			r := w.do(t, http.MethodGet, "/v1/orders/"+it.ID.String(), c.email, nil)
			var o api.OrderResponse
			if err := json.Unmarshal(r.Raw, &o); r.Status != http.StatusOK || err != nil {
				t.Fatalf("%s GET /v1/orders/%s: %d %v", c.email, it.ID, r.Status, err)
			}
			var want bytes.Buffer
			if err := json.NewEncoder(&want).Encode(o); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.Raw, want.Bytes()) {
				t.Errorf("%s GET /v1/orders/%s differs from encoding/json's:\n got %s\nwant %s", c.email, it.ID, r.Raw, want.Bytes())
			}
		}
	}
}
