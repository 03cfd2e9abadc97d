package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

// inv is a test world for the inventory: tokens, a warehouse, Tom's van.
type inv struct {
	env                          *apitest.Env
	mgr, disp, partner, tom, sam string
	alice                        string
	warehouse, van               string
}

func newInv(t *testing.T) *inv {
	t.Helper()
	env := apitest.New(t)
	w := &inv{env: env, mgr: env.Token("manager@fieldops.test"), disp: env.Token("dispatcher@fieldops.test"),
		partner: env.Token("dispatcher@coolfix.test"), tom: env.Token("tom@fieldops.test"), sam: env.Token("sam@fieldops.test"),
		alice: env.Token("alice@example.com")}
	w.warehouse = mustStatus(t, env.Do(http.MethodPost, "/v1/stock-locations", w.disp, map[string]any{"kind": "warehouse", "name": "Central"}),
		http.StatusCreated, "warehouse").JSON["id"].(string)
	w.van = mustStatus(t, env.Do(http.MethodPost, "/v1/stock-locations", w.mgr, map[string]any{"kind": "van",
		"technician_id": env.UserID("tom@fieldops.test")}), http.StatusCreated, "tom's van").JSON["id"].(string)
	return w
}

// part adds a catalogue part; body fields override the defaults.
func (w *inv) part(t *testing.T, sku string, body map[string]any) map[string]any {
	t.Helper()
	b := map[string]any{"sku": sku, "name": "Part " + sku, "unit_price": 12900, "genuine": true, "reorder_point": 2}
	for k, v := range body {
		b[k] = v
	}
	return mustStatus(t, w.env.Do(http.MethodPost, "/v1/parts", w.mgr, b), http.StatusCreated, "part "+sku).JSON
}

func (w *inv) move(t *testing.T, tok string, body map[string]any) apitest.Response {
	t.Helper()
	return w.env.Do(http.MethodPost, "/v1/stock/movements", tok, body)
}

// stock is part's line at location (zero line when absent).
func (w *inv) stock(t *testing.T, tok, loc, part string) map[string]any {
	t.Helper()
	r := mustStatus(t, w.env.Do(http.MethodGet, "/v1/stock?location_id="+loc, tok, nil), http.StatusOK, "stock")
	for _, it := range r.Items(t) {
		if it["part_id"] == part {
			return it
		}
	}
	return map[string]any{"on_hand": float64(0), "available": float64(0)}
}

// stockIn receives qty into the warehouse and moves it to Tom's van.
func (w *inv) stockIn(t *testing.T, part string, qty int, serials ...string) {
	t.Helper()
	body := map[string]any{"kind": "receive", "part_id": part, "qty": qty, "to_location_id": w.warehouse, "supplier_ref": "PO-1"}
	if len(serials) > 0 {
		body["serials"] = serials
	}
	mustStatus(t, w.move(t, w.disp, body), http.StatusCreated, "receive")
	body = map[string]any{"kind": "transfer", "part_id": part, "qty": qty, "from_location_id": w.warehouse, "to_location_id": w.van}
	if len(serials) > 0 {
		body["serials"] = serials
	}
	mustStatus(t, w.move(t, w.disp, body), http.StatusCreated, "transfer")
}

// ledgerAgrees checks that every balance equals its ledger sum.
func ledgerAgrees(t *testing.T, env *apitest.Env) {
	t.Helper()
	var bad int64
	err := env.DB.Raw(`
WITH ledger AS (
  SELECT loc, part_id, sum(d) AS qty FROM (
    SELECT to_location_id AS loc, part_id, qty AS d FROM stock_movements WHERE to_location_id IS NOT NULL
    UNION ALL
    SELECT from_location_id, part_id, -qty FROM stock_movements WHERE from_location_id IS NOT NULL) x
  GROUP BY loc, part_id)
SELECT count(*) FROM ledger l FULL JOIN stock_balances b ON b.location_id = l.loc AND b.part_id = l.part_id
WHERE coalesce(l.qty, 0) <> coalesce(b.on_hand, 0)`).Scan(&bad).Error
	if err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d balances differ from their ledger sum", bad)
	}
}

// invField is the first field a problem names ("" for none).
func invField(r apitest.Response) string {
	if fs := fieldsOf(r); len(fs) > 0 {
		return fs[0]
	}
	return ""
}

func TestPartsCatalogue(t *testing.T) {
	w := newInv(t)
	env := w.env
	models := mustStatus(t, env.Do(http.MethodGet, "/v1/product-models", w.mgr, nil), http.StatusOK, "models").Items(t)
	ac := models[0]["id"].(string)
	p := w.part(t, "DP-800", map[string]any{"name": "Drain pump", "compatible_model_ids": []string{ac}})
	if p["unit_price"] != float64(12900) || p["currency"] != "CNY" || p["genuine"] != true || p["serial_tracked"] != false {
		t.Errorf("part: %s", invJSON(p))
	}
	w.part(t, "FLT-1", map[string]any{"name": "Filter"})

	t.Run("sku is unique, case-insensitive", func(t *testing.T) {
		r := env.Do(http.MethodPost, "/v1/parts", w.mgr, map[string]any{"sku": "dp-800", "name": "x", "unit_price": 1, "genuine": false})
		if r.Status != http.StatusConflict || invField(r) != "sku" {
			t.Errorf("duplicate sku: %d %s", r.Status, r.Raw)
		}
	})
	t.Run("money is never fractional and never negative", func(t *testing.T) {
		r := env.Do(http.MethodPost, "/v1/parts", w.mgr, `{"sku":"X-1","name":"x","unit_price":12.5,"genuine":true}`)
		if r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
			t.Errorf("fractional price: %d %s", r.Status, r.Raw)
		}
		r = env.Do(http.MethodPost, "/v1/parts", w.mgr, map[string]any{"sku": "X-1", "name": "x", "unit_price": -1, "genuine": true})
		if r.Status != http.StatusUnprocessableEntity || invField(r) != "unit_price" {
			t.Errorf("negative price: %d %s", r.Status, r.Raw)
		}
		if env.Count("parts") != 2 {
			t.Errorf("refused parts were stored")
		}
	})
	t.Run("unknown compatible model is 422", func(t *testing.T) {
		r := env.Do(http.MethodPost, "/v1/parts", w.mgr, map[string]any{"sku": "X-2", "name": "x", "unit_price": 1, "genuine": true,
			"compatible_model_ids": []string{"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e55"}})
		if r.Status != http.StatusUnprocessableEntity || invField(r) != "compatible_model_ids" {
			t.Errorf("unknown model: %d %s", r.Status, r.Raw)
		}
	})
	t.Run("roles", func(t *testing.T) {
		for _, tok := range []string{w.tom, w.disp} {
			if r := env.Do(http.MethodPost, "/v1/parts", tok, map[string]any{"sku": "X-3", "name": "x", "unit_price": 1, "genuine": true}); r.Status != http.StatusForbidden {
				t.Errorf("non-manager create: %d", r.Status)
			}
		}
		if r := env.Do(http.MethodGet, "/v1/parts", w.alice, nil); r.Status != http.StatusForbidden {
			t.Errorf("customer list: %d", r.Status)
		}
		if r := env.Do(http.MethodGet, "/v1/parts/"+p["id"].(string), w.tom, nil); r.Status != http.StatusOK {
			t.Errorf("technician get: %d", r.Status)
		}
		if r := env.Do(http.MethodGet, "/v1/parts/0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e55", w.tom, nil); r.Status != http.StatusNotFound {
			t.Errorf("unknown part: %d", r.Status)
		}
	})
	t.Run("API clients read the catalogue with parts:read", func(t *testing.T) {
		reader := mustClientToken(t, env, mustAPIClient(t, env, "parts reader", []string{"parts:read"}, ""), "")
		if r := env.Do(http.MethodGet, "/v1/parts?q=pump", reader, nil); r.Status != http.StatusOK || len(r.Items(t)) != 1 {
			t.Errorf("parts:read list: %d %s", r.Status, r.Raw)
		}
		other := mustClientToken(t, env, mustAPIClient(t, env, "orders reader", []string{"orders:read"}, ""), "")
		if r := env.Do(http.MethodGet, "/v1/parts", other, nil); r.Status != http.StatusForbidden {
			t.Errorf("orders:read list: %d", r.Status)
		}
		if r := env.Do(http.MethodGet, "/v1/stock?location_id="+w.warehouse, reader, nil); r.Status != http.StatusForbidden {
			t.Errorf("client stock: %d", r.Status)
		}
	})
	t.Run("search by text and by model", func(t *testing.T) {
		if items := mustStatus(t, env.Do(http.MethodGet, "/v1/parts?q=pump", w.tom, nil), http.StatusOK, "q").Items(t); len(items) != 1 || items[0]["sku"] != "DP-800" {
			t.Errorf("q=pump: %v", items)
		}
		if items := mustStatus(t, env.Do(http.MethodGet, "/v1/parts?model_id="+ac, w.disp, nil), http.StatusOK, "model").Items(t); len(items) != 1 {
			t.Errorf("model_id: %v", items)
		}
		r := mustStatus(t, env.Do(http.MethodGet, "/v1/parts?limit=1", w.mgr, nil), http.StatusOK, "page")
		if len(r.Items(t)) != 1 || r.JSON["next_cursor"] == nil {
			t.Errorf("first page: %s", r.Raw)
		}
		r = mustStatus(t, env.Do(http.MethodGet, "/v1/parts?limit=1&cursor="+r.JSON["next_cursor"].(string), w.mgr, nil), http.StatusOK, "page 2")
		if items := r.Items(t); len(items) != 1 || items[0]["sku"] != "FLT-1" || r.JSON["next_cursor"] != nil {
			t.Errorf("second page: %s", r.Raw)
		}
	})
}

func TestStockLedger(t *testing.T) {
	w := newInv(t)
	env := w.env
	p := w.part(t, "DP-800", nil)["id"].(string)
	samVan := mustStatus(t, env.Do(http.MethodPost, "/v1/stock-locations", w.mgr, map[string]any{"kind": "van",
		"technician_id": env.UserID("sam@fieldops.test")}), http.StatusCreated, "sam's van").JSON["id"].(string)

	mustStatus(t, w.move(t, w.disp, map[string]any{"kind": "receive", "part_id": p, "qty": 20, "to_location_id": w.warehouse, "supplier_ref": "PO-7"}),
		http.StatusCreated, "receive")
	m := mustStatus(t, w.move(t, w.mgr, map[string]any{"kind": "transfer", "part_id": p, "qty": 5, "from_location_id": w.warehouse, "to_location_id": w.van}),
		http.StatusCreated, "transfer").JSON
	if m["kind"] != "transfer" || m["qty"] != float64(5) {
		t.Errorf("movement: %s", invJSON(m))
	}
	mustStatus(t, w.move(t, w.mgr, map[string]any{"kind": "adjust", "part_id": p, "qty": 1, "from_location_id": w.warehouse, "reason": "dropped"}),
		http.StatusCreated, "adjust")
	if s := w.stock(t, w.mgr, w.warehouse, p); s["on_hand"] != float64(14) || s["available"] != float64(14) || s["reserved"] != float64(0) {
		t.Errorf("warehouse: %v", s)
	}
	if s := w.stock(t, w.tom, w.van, p); s["on_hand"] != float64(5) {
		t.Errorf("van: %v", s)
	}
	ledgerAgrees(t, env)

	t.Run("technicians see their van and the warehouses only", func(t *testing.T) {
		locs := mustStatus(t, env.Do(http.MethodGet, "/v1/stock-locations", w.tom, nil), http.StatusOK, "locations").Items(t)
		if len(locs) != 2 {
			t.Errorf("tom sees %d locations, want 2 (warehouse, own van)", len(locs))
		}
		if r := env.Do(http.MethodGet, "/v1/stock?location_id="+samVan, w.tom, nil); r.Status != http.StatusUnprocessableEntity || invField(r) != "location_id" {
			t.Errorf("other van: %d %s", r.Status, r.Raw)
		}
		if r := env.Do(http.MethodGet, "/v1/stock?location_id="+w.van, w.alice, nil); r.Status != http.StatusForbidden {
			t.Errorf("customer: %d", r.Status)
		}
		if r := env.Do(http.MethodPost, "/v1/stock/movements", w.tom, map[string]any{"kind": "adjust", "part_id": p, "qty": 1,
			"to_location_id": w.van, "reason": "found"}); r.Status != http.StatusForbidden {
			t.Errorf("technician movement: %d", r.Status)
		}
		if r := w.move(t, w.partner, map[string]any{"kind": "adjust", "part_id": p, "qty": 1, "to_location_id": w.van, "reason": "x"}); r.Status != http.StatusForbidden {
			t.Errorf("partner dispatcher movement: %d", r.Status)
		}
		if r := env.Do(http.MethodGet, "/v1/parts/"+p+"/movements", w.tom, nil); r.Status != http.StatusForbidden {
			t.Errorf("technician traceability: %d", r.Status)
		}
	})

	t.Run("bad input leaves no movement behind", func(t *testing.T) {
		before := env.Count("stock_movements")
		cases := []struct {
			name   string
			body   map[string]any
			status int
			field  string
		}{
			{"unknown part", map[string]any{"kind": "receive", "part_id": "0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e55", "qty": 1, "to_location_id": w.warehouse, "supplier_ref": "x"}, 422, "part_id"},
			{"negative quantity", map[string]any{"kind": "receive", "part_id": p, "qty": -3, "to_location_id": w.warehouse, "supplier_ref": "x"}, 422, "qty"},
			{"transfer from a location without stock", map[string]any{"kind": "transfer", "part_id": p, "qty": 1, "from_location_id": samVan, "to_location_id": w.van}, 409, ""},
			{"transfer more than there is", map[string]any{"kind": "transfer", "part_id": p, "qty": 6, "from_location_id": w.van, "to_location_id": w.warehouse}, 409, ""},
			{"receive into a van", map[string]any{"kind": "receive", "part_id": p, "qty": 1, "to_location_id": w.van, "supplier_ref": "x"}, 422, "to_location_id"},
			{"receive without supplier", map[string]any{"kind": "receive", "part_id": p, "qty": 1, "to_location_id": w.warehouse}, 422, "supplier_ref"},
			{"adjust without reason", map[string]any{"kind": "adjust", "part_id": p, "qty": 1, "to_location_id": w.warehouse}, 422, "reason"},
			{"issue is the order's", map[string]any{"kind": "issue", "part_id": p, "qty": 1, "from_location_id": w.van}, 422, "kind"},
			{"serials of an untracked part", map[string]any{"kind": "receive", "part_id": p, "qty": 1, "to_location_id": w.warehouse, "supplier_ref": "x", "serials": []string{"S1"}}, 422, "serials"},
		}
		for _, c := range cases {
			r := w.move(t, w.disp, c.body)
			if r.Status != c.status || (c.field != "" && invField(r) != c.field) {
				t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
			}
			if c.status == 409 {
				if _, ok := r.JSON["available"]; !ok {
					t.Errorf("%s: no available in %s", c.name, r.Raw)
				}
			}
		}
		if n := env.Count("stock_movements"); n != before {
			t.Errorf("%d movements after refused requests, want %d", n, before)
		}
		ledgerAgrees(t, env)
	})

	t.Run("the ledger is append-only", func(t *testing.T) {
		if err := env.DB.Exec(`UPDATE stock_movements SET qty = qty + 1`).Error; err == nil {
			t.Error("UPDATE of the ledger succeeded")
		}
		if err := env.DB.Exec(`DELETE FROM stock_movements`).Error; err == nil {
			t.Error("DELETE of the ledger succeeded")
		}
		if err := env.DB.Exec(`UPDATE stock_balances SET on_hand = -1`).Error; err == nil {
			t.Error("a negative balance was stored")
		}
	})
}

func TestStocktakeAndLowStock(t *testing.T) {
	w := newInv(t)
	env := w.env
	p := w.part(t, "DP-800", map[string]any{"reorder_point": 5})["id"].(string)
	q := w.part(t, "FLT-1", nil)["id"].(string)
	mustStatus(t, w.move(t, w.disp, map[string]any{"kind": "receive", "part_id": p, "qty": 10, "to_location_id": w.warehouse, "supplier_ref": "PO"}), 201, "receive")
	lowEvents := func() int64 {
		var n int64
		env.DB.Raw(`SELECT count(*) FROM outbox_events WHERE type = 'stock.low'`).Scan(&n)
		return n
	}

	t.Run("an unknown part refuses the whole count", func(t *testing.T) {
		before := env.Count("stock_movements")
		r := env.Do(http.MethodPost, "/v1/stock/counts", w.disp, map[string]any{"location_id": w.warehouse, "counts": []map[string]any{
			{"part_id": p, "counted": 3}, {"part_id": "0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e55", "counted": 1}}})
		if r.Status != http.StatusUnprocessableEntity || invField(r) != "counts[1].part_id" {
			t.Errorf("unknown part: %d %s", r.Status, r.Raw)
		}
		if env.Count("stock_movements") != before || w.stock(t, w.mgr, w.warehouse, p)["on_hand"] != float64(10) {
			t.Error("a refused stocktake changed stock")
		}
	})
	t.Run("differences become adjust movements; low stock is told once per crossing", func(t *testing.T) {
		r := mustStatus(t, env.Do(http.MethodPost, "/v1/stock/counts", w.disp, map[string]any{"location_id": w.warehouse, "counts": []map[string]any{
			{"part_id": p, "counted": 4}, {"part_id": q, "counted": 2}}}), http.StatusCreated, "count")
		ms := r.JSON["movements"].([]any)
		if len(ms) != 2 {
			t.Fatalf("movements: %s", r.Raw)
		}
		first := ms[0].(map[string]any)
		if first["kind"] != "adjust" || first["qty"] != float64(6) || first["from_location_id"] != w.warehouse || first["reason"] != "stocktake" {
			t.Errorf("adjust: %v", first)
		}
		if s := w.stock(t, w.mgr, w.warehouse, p); s["on_hand"] != float64(4) || s["low"] != true {
			t.Errorf("after count: %v", s)
		}
		if n := lowEvents(); n != 1 {
			t.Errorf("%d stock.low events, want 1", n)
		}
		var data map[string]any
		var raw string
		env.DB.Raw(`SELECT data::text FROM outbox_events WHERE type = 'stock.low'`).Scan(&raw)
		_ = json.Unmarshal([]byte(raw), &data)
		if data["sku"] != "DP-800" || data["available"] != float64(4) || data["reorder_point"] != float64(5) || data["location_id"] != w.warehouse {
			t.Errorf("stock.low data: %s", raw)
		}
		// still low: no second event
		mustStatus(t, w.move(t, w.disp, map[string]any{"kind": "adjust", "part_id": p, "qty": 1, "from_location_id": w.warehouse, "reason": "broken"}), 201, "adjust")
		if n := lowEvents(); n != 1 {
			t.Errorf("%d stock.low events while staying low, want 1", n)
		}
		// back above, then below again: a new crossing
		mustStatus(t, w.move(t, w.disp, map[string]any{"kind": "receive", "part_id": p, "qty": 10, "to_location_id": w.warehouse, "supplier_ref": "PO"}), 201, "receive")
		mustStatus(t, env.Do(http.MethodPost, "/v1/stock/counts", w.disp, map[string]any{"location_id": w.warehouse, "counts": []map[string]any{
			{"part_id": p, "counted": 1}}}), http.StatusCreated, "count")
		if n := lowEvents(); n != 2 {
			t.Errorf("%d stock.low events after a second crossing, want 2", n)
		}
		// counting what is there writes nothing
		r = mustStatus(t, env.Do(http.MethodPost, "/v1/stock/counts", w.disp, map[string]any{"location_id": w.warehouse, "counts": []map[string]any{
			{"part_id": p, "counted": 1}}}), http.StatusCreated, "count")
		if len(r.JSON["movements"].([]any)) != 0 {
			t.Errorf("no difference wrote %s", r.Raw)
		}
		ledgerAgrees(t, env)
	})
}

// partsOrder is an order of alice's worked by Tom, in progress: assetSerial
// picks the asset (AC9-DEMO-0001 in warranty, WM5-DEMO-0001 out of it);
// items, when given, are quoted and approved (empty: the order stays on
// site; nil: warranty work started); slot picks the appointment.
func partsOrder(t *testing.T, w *inv, assetSerial string, items []map[string]any, slot int) string {
	t.Helper()
	env := w.env
	var asset string
	for _, a := range mustStatus(t, env.Do(http.MethodGet, "/v1/assets", w.alice, nil), http.StatusOK, "assets").Items(t) {
		if a["serial_number"] == assetSerial {
			asset = a["id"].(string)
		}
	}
	id := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", w.alice, map[string]any{"type": "repair", "description": "It leaks", "asset_id": asset,
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"}}), http.StatusCreated, "create").JSON["id"].(string)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", w.disp, map[string]any{}), http.StatusOK, "triage")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", w.disp, map[string]any{"technician_id": env.UserID("tom@fieldops.test")}), http.StatusOK, "assign")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/accept", w.tom, nil), http.StatusOK, "accept")
	slots := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id+"/slots?days=3", w.alice, nil), http.StatusOK, "slots").Items(t)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/appointment", w.alice, map[string]any{"start": slots[slot]["start"], "end": slots[slot]["end"]}),
		http.StatusOK, "book")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/depart", w.tom, departEarly), http.StatusOK, "depart")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/arrive", w.tom, map[string]any{"lat": 31.24, "lng": 121.49}), http.StatusOK, "arrive")
	switch {
	case items == nil:
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/start", w.tom, nil), http.StatusOK, "start")
	case len(items) == 0: // stays on site
	default:
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/quote", w.tom, map[string]any{"items": items}), http.StatusOK, "quote")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/quote/approve", w.alice, nil), http.StatusOK, "approve")
	}
	return id
}

func invCharges(r apitest.Response) map[string]any { return r.JSON["charges"].(map[string]any) }

func TestPartsUsedWarrantyPricing(t *testing.T) {
	w := newInv(t)
	env := w.env
	p := w.part(t, "DP-800", map[string]any{"unit_price": 12900})["id"].(string)
	other := w.part(t, "FLT-1", map[string]any{"unit_price": 500})["id"].(string)
	w.stockIn(t, p, 4)
	w.stockIn(t, other, 2)

	t.Run("in warranty: covered, nothing due", func(t *testing.T) {
		id := partsOrder(t, w, "AC9-DEMO-0001", nil, 0)
		r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.tom, map[string]any{"part_id": p, "qty": 1}), http.StatusOK, "parts")
		if ch := invCharges(r); ch["amount_due"] != float64(0) || ch["covered"] != float64(12900) || ch["parts"] != float64(0) {
			t.Errorf("in-warranty charges: %v", ch)
		}
		// denial paths: another technician, a customer, bad input
		if r := env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.sam, map[string]any{"part_id": p, "qty": 1}); r.Status != http.StatusNotFound {
			t.Errorf("other technician: %d", r.Status)
		}
		if r := env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.alice, map[string]any{"part_id": p, "qty": 1}); r.Status != http.StatusForbidden {
			t.Errorf("customer: %d", r.Status)
		}
		before := env.Count("stock_movements")
		for _, c := range []struct {
			body   map[string]any
			status int
			field  string
		}{
			{map[string]any{"part_id": "0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e55", "qty": 1}, 422, "part_id"},
			{map[string]any{"part_id": p, "qty": -1}, 422, "qty"},
			{map[string]any{"part_id": p, "qty": 99}, 409, ""},
			{map[string]any{"part_id": p, "qty": 1, "serials": []string{"X"}}, 422, "serials"},
		} {
			r := env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.tom, c.body)
			if r.Status != c.status || (c.field != "" && invField(r) != c.field) {
				t.Errorf("%v: %d %s", c.body, r.Status, r.Raw)
			}
			if c.status == 409 && r.JSON["available"] != float64(3) {
				t.Errorf("409 without available 3: %s", r.Raw)
			}
		}
		if env.Count("stock_movements") != before {
			t.Error("refused parts left movements")
		}

		// a retry with the same Idempotency-Key replays, issuing nothing more
		key := []string{"Idempotency-Key", "parts-" + id}
		first := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.tom, map[string]any{"part_id": p, "qty": 1}, key...), http.StatusOK, "keyed")
		again := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.tom, map[string]any{"part_id": p, "qty": 1}, key...), http.StatusOK, "replay")
		if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Raw) != string(first.Raw) {
			t.Errorf("replay: %v %s", again.Header, again.Raw)
		}
		if n := env.Count("stock_movements"); n != before+1 {
			t.Errorf("%d movements after a keyed retry, want %d", n, before+1)
		}
		// from a warehouse by name; another technician's van is not Tom's to use
		samVan := mustStatus(t, env.Do(http.MethodPost, "/v1/stock-locations", w.mgr, map[string]any{"kind": "van",
			"technician_id": env.UserID("sam@fieldops.test")}), http.StatusCreated, "sam's van").JSON["id"].(string)
		if r := env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.tom, map[string]any{"part_id": p, "qty": 1, "location_id": samVan}); r.Status != http.StatusUnprocessableEntity || invField(r) != "location_id" {
			t.Errorf("another van: %d %s", r.Status, r.Raw)
		}
		mustStatus(t, w.move(t, w.disp, map[string]any{"kind": "receive", "part_id": p, "qty": 1, "to_location_id": w.warehouse, "supplier_ref": "PO-2"}), http.StatusCreated, "receive")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.tom, map[string]any{"part_id": p, "qty": 1, "location_id": w.warehouse}), http.StatusOK, "from the warehouse")
		if s := w.stock(t, w.tom, w.warehouse, p); s["on_hand"] != float64(0) {
			t.Errorf("warehouse after the issue: %v", s)
		}
	})

	t.Run("out of warranty: the approved quote's price is due", func(t *testing.T) {
		id := partsOrder(t, w, "WM5-DEMO-0001", []map[string]any{
			{"kind": "part", "part_id": p, "description": "Drain pump", "qty": 1, "unit_price": 12900}}, 1)
		o := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, w.alice, nil), http.StatusOK, "get")
		if ch := invCharges(o); ch["amount_due"] != float64(0) {
			t.Errorf("before the part is used: %v", ch)
		}
		r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.tom, map[string]any{"part_id": p, "qty": 1}), http.StatusOK, "parts")
		if ch := invCharges(r); ch["amount_due"] != float64(12900) || ch["parts"] != float64(12900) || ch["covered"] != float64(0) {
			t.Errorf("out-of-warranty charges: %v", ch)
		}
		r = env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.tom, map[string]any{"part_id": other, "qty": 1})
		if r.Status != http.StatusConflict || !strings.Contains(fmt.Sprint(r.JSON["detail"]), "quote first") {
			t.Errorf("part not in the quote: %d %s", r.Status, r.Raw)
		}
		r = env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.tom, map[string]any{"part_id": p, "qty": 1})
		if r.Status != http.StatusConflict {
			t.Errorf("more than quoted: %d %s", r.Status, r.Raw)
		}
	})

	t.Run("quote lines naming a part are checked against the catalogue and the model", func(t *testing.T) {
		models := mustStatus(t, env.Do(http.MethodGet, "/v1/product-models", w.mgr, nil), http.StatusOK, "models").Items(t)
		var sofa string
		for _, m := range models {
			if m["code"] == "SOFA-3" {
				sofa = m["id"].(string)
			}
		}
		misfit := w.part(t, "SOFA-LEG", map[string]any{"compatible_model_ids": []string{sofa}})["id"].(string)
		id := partsOrder(t, w, "WM5-DEMO-0001", []map[string]any{}, 2)
		for _, c := range []struct {
			item  map[string]any
			field string
		}{
			{map[string]any{"kind": "part", "part_id": "0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e55", "description": "x", "qty": 1, "unit_price": 1}, "items[0].part_id"},
			{map[string]any{"kind": "part", "part_id": misfit, "description": "x", "qty": 1, "unit_price": 1}, "items[0].part_id"},
			{map[string]any{"kind": "labour", "part_id": p, "description": "x", "qty": 1, "unit_price": 1}, "items[0].part_id"},
		} {
			r := env.Do(http.MethodPost, "/v1/orders/"+id+"/quote", w.tom, map[string]any{"items": []any{c.item}})
			if r.Status != http.StatusUnprocessableEntity || invField(r) != c.field {
				t.Errorf("quote %v: %d %s", c.item, r.Status, r.Raw)
			}
		}
		// on site, out of warranty, no quote: quote first
		r := env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.tom, map[string]any{"part_id": p, "qty": 1})
		if r.Status != http.StatusConflict || !strings.Contains(fmt.Sprint(r.JSON["detail"]), "quote first") {
			t.Errorf("no quote: %d %s", r.Status, r.Raw)
		}
	})
	ledgerAgrees(t, env)
}

func invJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestConcurrentIssuesOfTheLastUnits: 100 parts-used requests race for the
// last 10 units in Tom's van, spread over four of his orders (so they do not
// queue on one order's row lock): exactly 10 succeed, the others get 409
// with the available quantity, the balance ends at 0 and equals the ledger.
func TestConcurrentIssuesOfTheLastUnits(t *testing.T) {
	w := newInv(t)
	env := w.env
	p := w.part(t, "DP-800", nil)["id"].(string)
	w.stockIn(t, p, 10)
	orders := make([]string, 4)
	for i := range orders {
		orders[i] = partsOrder(t, w, "AC9-DEMO-0001", nil, i)
	}
	const n = 100
	statuses := make([]int, n)
	bodies := make([]apitest.Response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := env.Do(http.MethodPost, "/v1/orders/"+orders[i%len(orders)]+"/parts", w.tom, map[string]any{"part_id": p, "qty": 1})
			statuses[i], bodies[i] = r.Status, r
		}()
	}
	close(start)
	wg.Wait()
	ok, conflict := 0, 0
	for i, st := range statuses {
		switch st {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
			conflict++
			if a, has := bodies[i].JSON["available"]; !has || a != float64(0) {
				t.Errorf("409 without available 0: %s", bodies[i].Raw)
			}
		default:
			t.Errorf("request %d: %d %s", i, st, bodies[i].Raw)
		}
	}
	if ok != 10 || conflict != n-10 {
		t.Errorf("%d succeeded and %d got 409, want 10 and %d", ok, conflict, n-10)
	}
	if s := w.stock(t, w.tom, w.van, p); s["on_hand"] != float64(0) {
		t.Errorf("van balance %v, want 0", s["on_hand"])
	}
	var issues int64
	env.DB.Raw(`SELECT count(*) FROM stock_movements WHERE kind = 'issue'`).Scan(&issues)
	if issues != 10 {
		t.Errorf("%d issue movements, want 10", issues)
	}
	ledgerAgrees(t, env)
}

// TestPartTraceability: a serial-tracked part received, moved to a van, used
// on an order and returned: its traceability lists receipt → transfer →
// issue → return with actors and the order number and customer; the return
// takes the charge off the order.
func TestPartTraceability(t *testing.T) {
	w := newInv(t)
	env := w.env
	p := w.part(t, "CMP-1", map[string]any{"serial_tracked": true, "unit_price": 50000})["id"].(string)
	w.stockIn(t, p, 2, "SN-A", "SN-B")
	id := partsOrder(t, w, "WM5-DEMO-0001", []map[string]any{
		{"kind": "part", "part_id": p, "description": "Compressor", "qty": 1, "unit_price": 48000}}, 0)
	number := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, w.disp, nil), http.StatusOK, "order").JSON["number"]

	if r := env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.tom, map[string]any{"part_id": p, "qty": 1}); r.Status != http.StatusUnprocessableEntity || invField(r) != "serials" {
		t.Errorf("tracked part without serial: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.tom, map[string]any{"part_id": p, "qty": 1, "serials": []string{"SN-Z"}}); r.Status != http.StatusConflict {
		t.Errorf("serial not in the van: %d %s", r.Status, r.Raw)
	}
	r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.tom, map[string]any{"part_id": p, "qty": 1, "serials": []string{"SN-A"}}),
		http.StatusOK, "parts")
	if ch := invCharges(r); ch["amount_due"] != float64(48000) {
		t.Errorf("charged %v, want the quoted 48000", ch)
	}
	if used := r.JSON["parts_used"].([]any); len(used) != 1 || used[0].(map[string]any)["serials"].([]any)[0] != "SN-A" ||
		used[0].(map[string]any)["amount"] != float64(48000) {
		t.Errorf("parts_used on the order: %v", r.JSON["parts_used"])
	}
	// the technician's timeline shows the part
	evs := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id+"/events", w.tom, nil), http.StatusOK, "events").Items(t)
	if last := evs[len(evs)-1]; last["action"] != "parts" {
		t.Errorf("last event %v", last)
	}

	// returned unused, by staff
	if r := w.move(t, w.disp, map[string]any{"kind": "return", "part_id": p, "qty": 1, "order_id": id, "to_location_id": w.van,
		"serials": []string{"SN-B"}}); r.Status != http.StatusConflict {
		t.Errorf("return of a serial the order does not hold: %d %s", r.Status, r.Raw)
	}
	mustStatus(t, w.move(t, w.disp, map[string]any{"kind": "return", "part_id": p, "qty": 1, "order_id": id, "to_location_id": w.van,
		"serials": []string{"SN-A"}}), http.StatusCreated, "return")
	o := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, w.alice, nil), http.StatusOK, "order")
	if ch := invCharges(o); ch["amount_due"] != float64(0) || ch["parts"] != float64(0) {
		t.Errorf("after the return: %v", ch)
	}
	if used := o.JSON["parts_used"].([]any); len(used) != 2 || used[1].(map[string]any)["kind"] != "return" || used[1].(map[string]any)["qty"] != float64(-1) {
		t.Errorf("parts_used after the return: %v", o.JSON["parts_used"])
	}
	if r := w.move(t, w.disp, map[string]any{"kind": "return", "part_id": p, "qty": 1, "order_id": id, "to_location_id": w.van,
		"serials": []string{"SN-A"}}); r.Status != http.StatusConflict {
		t.Errorf("second return: %d %s", r.Status, r.Raw)
	}

	tr := mustStatus(t, env.Do(http.MethodGet, "/v1/parts/"+p+"/movements?serial=SN-A", w.mgr, nil), http.StatusOK, "trace").Items(t)
	var kinds []string
	for _, m := range tr {
		kinds = append(kinds, m["kind"].(string))
	}
	if strings.Join(kinds, ",") != "receive,transfer,issue,return" {
		t.Fatalf("trace kinds %v", kinds)
	}
	if tr[0]["supplier_ref"] != "PO-1" || tr[0]["actor"].(map[string]any)["name"] != "Dana Dispatcher" {
		t.Errorf("receipt: %v", tr[0])
	}
	issue := tr[2]
	if ord := issue["order"].(map[string]any); ord["number"] != number || ord["customer_name"] != "Alice Customer" {
		t.Errorf("issue order: %v", issue["order"])
	}
	if a := issue["actor"].(map[string]any); a["name"] != "Tom North" || a["role"] != "technician" {
		t.Errorf("issue actor: %v", a)
	}
	if tr[3]["order"].(map[string]any)["number"] != number || tr[3]["to"].(map[string]any)["id"] != w.van {
		t.Errorf("return: %v", tr[3])
	}
	if r := env.Do(http.MethodGet, "/v1/parts/"+p+"/movements", w.partner, nil); r.Status != http.StatusForbidden {
		t.Errorf("partner dispatcher traceability: %d", r.Status)
	}
	ledgerAgrees(t, env)
}

// TestReportListsPartsUsed: the signed completion record lists the parts
// used with their serials and charges, and the report hash covers them.
func TestReportListsPartsUsed(t *testing.T) {
	w := newInv(t)
	env := w.env
	p := w.part(t, "CMP-1", map[string]any{"serial_tracked": true, "unit_price": 50000})["id"].(string)
	w.stockIn(t, p, 1, "SN-77")
	id := partsOrder(t, w, "WM5-DEMO-0001", []map[string]any{
		{"kind": "part", "part_id": p, "description": "Compressor", "qty": 1, "unit_price": 50000},
		{"kind": "labour", "description": "Fit", "qty": 1, "unit_price": 8000}}, 0)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/parts", w.tom, map[string]any{"part_id": p, "qty": 1, "serials": []string{"SN-77"}}),
		http.StatusOK, "parts")
	c := closeOut{env: env, id: id, tom: w.tom, alice: w.alice, disp: w.disp}
	mustStatus(t, c.photo(t, w.tom, "after", "after.jpg", "image/jpeg", jpegOf(t, noise(64, 48, 1))), http.StatusCreated, "after photo")
	done := mustStatus(t, c.complete(t, signaturePNG(t)), http.StatusOK, "complete")
	if ch := invCharges(done); ch["amount_due"] != float64(58000) || ch["parts"] != float64(50000) {
		t.Errorf("charges at completion: %v", ch)
	}
	rep := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id+"/report", w.alice, nil), http.StatusOK, "report")
	rec := rep.JSON["record"].(map[string]any)
	used := rec["parts_used"].([]any)
	if len(used) != 1 {
		t.Fatalf("parts_used: %v", rec["parts_used"])
	}
	u := used[0].(map[string]any)
	if u["sku"] != "CMP-1" || u["serials"].([]any)[0] != "SN-77" || u["amount"] != float64(50000) || u["kind"] != "issue" {
		t.Errorf("part used: %v", u)
	}
	if ch := rec["charges"].(map[string]any); ch["amount_due"] != float64(58000) || len(ch["items"].([]any)) != 2 {
		t.Errorf("record charges: %v", ch)
	}
	canonical := rep.JSON["canonical"].(string)
	if sha([]byte(canonical)) != rep.JSON["hash"] || !strings.Contains(canonical, `"serials":["SN-77"]`) {
		t.Errorf("the hash does not cover the parts: %s", canonical)
	}
	// parts are final with the record
	if r := w.move(t, w.disp, map[string]any{"kind": "return", "part_id": p, "qty": 1, "order_id": id, "to_location_id": w.van,
		"serials": []string{"SN-77"}}); r.Status != http.StatusConflict {
		t.Errorf("return after completion: %d %s", r.Status, r.Raw)
	}
}
