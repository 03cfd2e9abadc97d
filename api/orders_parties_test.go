package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// SPEC §8 (screens in one call): an order embeds its customer, technician,
// asset and product model, reduced for the caller; events name their actor.

// Demo contact data (internal/demo/seed.go).
const (
	partAlicePhone = "+8613800138001"
	partTomPhone   = "+8613900100001"
	partNinaPhone  = "+8613900100002"
)

// partObj returns the object at key of an order (nil for JSON null).
func partObj(t *testing.T, o map[string]any, key string) map[string]any {
	t.Helper()
	v, ok := o[key]
	if !ok {
		t.Fatalf("order has no %q member: %v", key, o)
	}
	if v == nil {
		return nil
	}
	return v.(map[string]any)
}

// partCustomer checks the embedded customer: always id and name, phone and
// address only when contact is true.
func partCustomer(t *testing.T, w *accWorld, o map[string]any, contact bool) {
	t.Helper()
	c := partObj(t, o, "customer")
	if c == nil || c["id"] != w.env.UserID(accAlice) || c["name"] != "Alice Customer" {
		t.Fatalf("customer = %v, want alice's id and name", c)
	}
	if contact {
		addr, _ := c["address"].(map[string]any)
		if c["phone"] != partAlicePhone || addr == nil || addr["line1"] != "12 Harbour Road" || addr["city"] != "Northport" {
			t.Errorf("customer = %v, want phone %s and the service address", c, partAlicePhone)
		}
	} else if c["phone"] != nil || c["address"] != nil {
		t.Errorf("customer = %v, want the name only (phone and address null)", c)
	}
	// the order's own service address follows the same rule
	if top, _ := o["address"].(map[string]any); contact != (top != nil) || (top != nil && top["line1"] != "12 Harbour Road") {
		t.Errorf("order address = %v with customer contact %t: the top-level address must follow customer.address", o["address"], contact)
	}
}

// partTechnician checks the embedded technician: "none" (null), "name" (id
// and name, phone null) or "full" (with phone).
func partTechnician(t *testing.T, w *accWorld, o map[string]any, email, name, phone, want string) {
	t.Helper()
	tech := partObj(t, o, "technician")
	switch {
	case want == "none":
		if tech != nil {
			t.Errorf("technician = %v, want null", tech)
		}
	case tech == nil || tech["id"] != w.env.UserID(email) || tech["name"] != name:
		t.Errorf("technician = %v, want %s's id and name", tech, email)
	case want == "full" && tech["phone"] != phone:
		t.Errorf("technician phone = %v, want %s", tech["phone"], phone)
	case want == "name" && tech["phone"] != nil:
		t.Errorf("technician phone = %v, want null", tech["phone"])
	}
}

// partListItem returns the order id from a list as email sees it.
func partListItem(t *testing.T, w *accWorld, email, query, id string) map[string]any {
	t.Helper()
	r := mustStatus(t, w.do(t, http.MethodGet, "/v1/orders"+query, email, nil), http.StatusOK, "list orders")
	for _, it := range r.Items(t) {
		if it["id"] == id {
			return it
		}
	}
	t.Fatalf("%s's list%s lacks order %s", email, query, id)
	return nil
}

func TestOrderEmbedsWhatTheJobScreenNeeds(t *testing.T) {
	w := accNewWorld(t)
	id := w.aliceOrder(t) // alice's AC9-DEMO-0001, assigned to tom

	t.Run("before accepting, the technician sees the customer's name but no contact", func(t *testing.T) {
		partCustomer(t, w, w.get(t, accTom, id), false)
		partCustomer(t, w, partListItem(t, w, accTom, "?status=assigned", id), false)
	})
	w.step(t, accTom, id, "accept", nil)

	t.Run("the accepted job's list item and detail carry contact, asset and model without another call", func(t *testing.T) {
		for what, o := range map[string]map[string]any{
			"job list":   partListItem(t, w, accTom, "?status=assigned,accepted,scheduled", id),
			"job detail": w.get(t, accTom, id),
		} {
			partCustomer(t, w, o, true)
			partTechnician(t, w, o, accTom, "Tom North", partTomPhone, "full")
			asset, model := partObj(t, o, "asset"), partObj(t, o, "product_model")
			if asset == nil || asset["id"] != o["asset_id"] || asset["serial_number"] != "AC9-DEMO-0001" {
				t.Fatalf("%s: asset = %v, want AC9-DEMO-0001", what, asset)
			}
			am := asset["product_model"].(map[string]any)
			if am["id"] != o["product_model_id"] || am["brand"] != "Coolwave" || am["name"] != "Split air conditioner 9000 BTU" {
				t.Errorf("%s: asset.product_model = %v, want the Coolwave AC-9000", what, am)
			}
			if model == nil || model["id"] != am["id"] || model["brand"] != am["brand"] || model["name"] != am["name"] {
				t.Errorf("%s: product_model = %v, want the asset's model %v", what, model, am)
			}
		}
	})

	t.Run("the asset endpoint itself stays scoped to its owner and staff", func(t *testing.T) {
		o := w.get(t, accTom, id)
		r := w.do(t, http.MethodGet, "/v1/assets/"+o["asset_id"].(string), accTom, nil)
		if r.Status == http.StatusOK {
			t.Fatalf("technician reads the asset directly: %d", r.Status)
		}
	})

	t.Run("the service returns the reduced parties without HTTP", func(t *testing.T) {
		o, err := w.env.Orders.Get(context.Background(), syncPrincipal(t, w.env, accTom), uuid.MustParse(id))
		if err != nil {
			t.Fatal(err)
		}
		if c := o.Parties.Customer; c.Phone == nil || *c.Phone != partAlicePhone || c.Address == nil {
			t.Errorf("Parties.Customer = %+v, want alice's phone and address for the accepted job's technician", c)
		}
		o, err = w.env.Orders.Get(context.Background(), syncPrincipal(t, w.env, accAlice), uuid.MustParse(id))
		if err != nil {
			t.Fatal(err)
		}
		if tech := o.Parties.Technician; tech == nil || tech.Name != "Tom North" || tech.Phone != nil {
			t.Errorf("Parties.Technician = %+v, want tom's name without phone before en_route", tech)
		}
	})
}

// partView is what one caller must see of an order's parties.
type partView struct {
	email      string
	contact    bool   // customer phone and address
	technician string // "none", "name" or "full"
}

func TestOrderPartiesFollowTheCallerAndTheStatus(t *testing.T) {
	w := accNewWorld(t)
	rows := []struct {
		name  string
		setup func(t *testing.T) string // an order in the state under test
		tech  string                    // the order's current technician (e-mail)
		views []partView
	}{
		{"assigned: the customer sees the technician's name, not the phone", w.aliceOrder, accTom, []partView{
			{accTom, false, "full"}, {accAlice, true, "name"}, {accDisp, true, "full"}, {accManager, true, "full"}}},
		{"scheduled: the technician sees the contact, the customer no phone yet", func(t *testing.T) string {
			id := w.aliceOrder(t)
			w.driveTo(t, id, accTom, "scheduled")
			return id
		}, accTom, []partView{{accTom, true, "full"}, {accAlice, true, "name"}}},
		{"en route: the customer sees the technician's phone", func(t *testing.T) string {
			id := w.aliceOrder(t)
			w.driveTo(t, id, accTom, "en_route")
			return id
		}, accTom, []partView{{accTom, true, "full"}, {accAlice, true, "full"}}},
		{"awaiting approval: both still see each other's phone", func(t *testing.T) string {
			id := w.aliceOrder(t)
			w.driveTo(t, id, accTom, "on_site")
			w.step(t, accTom, id, "quote", map[string]any{"items": []map[string]any{{"kind": "labour", "description": "Repair", "qty": 1, "unit_price": 8000}}})
			return id
		}, accTom, []partView{{accTom, true, "full"}, {accAlice, true, "full"}}},
		{"completed: the technician keeps the contact, the customer loses the phone", partCompleted(w), accTom, []partView{
			{accTom, true, "full"}, {accAlice, true, "name"}, {accDisp, true, "full"}}},
		{"closed: the technician sees the name only", func(t *testing.T) string {
			id := partCompleted(w)(t)
			if err := w.env.DB.Exec("UPDATE orders SET status = 'closed' WHERE id = ?", id).Error; err != nil {
				t.Fatal(err) // no route closes an order yet (follow-up)
			}
			return id
		}, accTom, []partView{{accTom, false, "full"}, {accAlice, true, "name"}, {accManager, true, "full"}}},
		{"cancelled: the technician sees the name only", func(t *testing.T) string {
			id := w.aliceOrder(t)
			w.driveTo(t, id, accTom, "scheduled")
			w.step(t, accAlice, id, "cancel", map[string]any{"reason": "fixed it myself"})
			return id
		}, accTom, []partView{{accTom, false, "full"}, {accAlice, true, "name"}}},
		{"unassigned: the past technician sees the name only and no technician", func(t *testing.T) string {
			id := w.aliceOrder(t)
			w.driveTo(t, id, accTom, "accepted")
			w.step(t, accDisp, id, "unassign", map[string]any{"reason": "tom is sick"})
			return id
		}, "", []partView{{accTom, false, "none"}, {accAlice, true, "none"}, {accDisp, true, "none"}}},
		{"reassigned: the past technician loses the contact, the new one gets it on accepting", func(t *testing.T) string {
			id := w.aliceOrder(t)
			w.driveTo(t, id, accTom, "accepted")
			w.step(t, accDisp, id, "assign", map[string]any{"technician_id": w.env.UserID(accNina)})
			w.step(t, accNina, id, "accept", nil)
			return id
		}, accNina, []partView{{accTom, false, "name"}, {accNina, true, "full"}, {accAlice, true, "name"}}},
	}
	techName := map[string]string{accTom: "Tom North", accNina: "Nina North"}
	techPhone := map[string]string{accTom: partTomPhone, accNina: partNinaPhone}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			id := row.setup(t)
			for _, v := range row.views {
				for what, o := range map[string]map[string]any{
					"detail": w.get(t, v.email, id),
					"list":   partListItem(t, w, v.email, "", id),
				} {
					t.Run(v.email+" "+what, func(t *testing.T) {
						partCustomer(t, w, o, v.contact)
						partTechnician(t, w, o, row.tech, techName[row.tech], techPhone[row.tech], v.technician)
					})
				}
			}
		})
	}
}

// partCompleted returns a setup that takes alice's order through a rejected
// quote to completed (the only route to completion today).
func partCompleted(w *accWorld) func(t *testing.T) string {
	return func(t *testing.T) string {
		t.Helper()
		id := w.aliceOrder(t)
		w.driveTo(t, id, accTom, "on_site")
		w.step(t, accTom, id, "quote", map[string]any{"items": []map[string]any{{"kind": "labour", "description": "Repair", "qty": 1, "unit_price": 8000}}})
		if r := w.step(t, accAlice, id, "quote/reject", map[string]any{"reason": "too expensive"}); r.JSON["status"] != "completed" {
			t.Fatalf("reject: status %v", r.JSON["status"])
		}
		return id
	}
}

func TestOrderEmbedsTheProductWhateverWasGiven(t *testing.T) {
	w := accNewWorld(t)
	models := mustStatus(t, w.do(t, http.MethodGet, "/v1/product-models", accAlice, nil), http.StatusOK, "models").Items(t)
	i := slices.IndexFunc(models, func(m map[string]any) bool { return m["code"] == "WM-500" })
	if i < 0 || models[i]["brand"] != "Aqualine" {
		t.Fatalf("demo model WM-500 with its brand: %v", models)
	}
	described := w.submit(t, accAlice, map[string]any{"type": "repair", "description": "Drum squeaks",
		"product_model_id": models[i]["id"], "address": accAliceAddress()})
	bare := w.submit(t, accAlice, map[string]any{"type": "consultation", "description": "Which model fits my kitchen?",
		"address": accAliceAddress()})
	rows := []struct {
		name      string
		id        string
		wantModel bool
	}{
		{"a described product: the model without an asset", described, true},
		{"no product at all: neither", bare, false},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			o := w.get(t, accDisp, row.id)
			if a := partObj(t, o, "asset"); a != nil {
				t.Errorf("asset = %v, want null", a)
			}
			m := partObj(t, o, "product_model")
			if (m != nil) != row.wantModel {
				t.Fatalf("product_model = %v, want present = %v", m, row.wantModel)
			}
			if m != nil && (m["id"] != models[i]["id"] || m["brand"] != "Aqualine" || m["name"] != models[i]["name"]) {
				t.Errorf("product_model = %v, want WM-500", m)
			}
			if tech := partObj(t, o, "technician"); tech != nil {
				t.Errorf("technician = %v, want null before assignment", tech)
			}
		})
	}
}

func TestOrderEventsNameTheirActor(t *testing.T) {
	w := accNewWorld(t)
	id := w.aliceOrder(t)
	w.step(t, accTom, id, "accept", nil)
	r := mustStatus(t, w.do(t, http.MethodGet, "/v1/orders/"+id+"/events", accAlice, nil), http.StatusOK, "events")
	want := map[string]struct{ email, role, name string }{
		"create": {accAlice, "customer", "Alice Customer"},
		"triage": {accDisp, "dispatcher", "Dana Dispatcher"},
		"assign": {accDisp, "dispatcher", "Dana Dispatcher"},
		"accept": {accTom, "technician", "Tom North"},
	}
	items := r.Items(t)
	if len(items) != len(want) {
		t.Fatalf("%d events, want %d: %s", len(items), len(want), r.Raw)
	}
	for _, e := range items {
		t.Run(e["action"].(string)+" names its actor", func(t *testing.T) {
			wa := want[e["action"].(string)]
			actor, _ := e["actor"].(map[string]any)
			if actor == nil || actor["id"] != w.env.UserID(wa.email) || actor["role"] != wa.role || actor["name"] != wa.name {
				t.Errorf("actor = %v, want %s (%s, %s)", e["actor"], wa.name, wa.role, wa.email)
			}
			if e["actor_id"] != w.env.UserID(wa.email) || e["actor_role"] != wa.role {
				t.Errorf("actor_id/actor_role = %v/%v, want them kept for compatibility", e["actor_id"], e["actor_role"])
			}
		})
	}
}

func TestOrderPartiesStayWithinTheDispatchersProvider(t *testing.T) {
	w := accNewWorld(t)
	inHouse, partner := w.aliceOrder(t), w.bobOrder(t)
	t.Run("a partner dispatcher still gets 404 for another provider's order", func(t *testing.T) {
		for _, path := range []string{"/v1/orders/" + inHouse, "/v1/orders/" + inHouse + "/events"} {
			if r := w.do(t, http.MethodGet, path, accPartner, nil); r.Status != http.StatusNotFound {
				t.Errorf("GET %s as the partner dispatcher: %d, want 404", path, r.Status)
			}
		}
		if ids := accIDs(t, w.do(t, http.MethodGet, "/v1/orders", accPartner, nil)); slices.Contains(ids, inHouse) {
			t.Errorf("the partner's list holds the in-house order %s", inHouse)
		}
	})
	t.Run("a partner dispatcher sees the contacts of the partner's own order", func(t *testing.T) {
		o := w.get(t, accPartner, partner)
		c := partObj(t, o, "customer")
		if c["name"] != "Bob Customer" || c["phone"] != "+8613800138002" || c["address"] == nil {
			t.Errorf("customer = %v, want bob's contact", c)
		}
		partTechnician(t, w, o, accCarl, "Carl CoolFix", "+8613900200001", "full")
	})
}

func TestProductModelsCarryABrand(t *testing.T) {
	w := accNewWorld(t)
	rows := []struct {
		name       string
		brand      any // nil: not sent
		wantStatus int
		wantBrand  string
	}{
		{"a brand is stored and returned", "Frostline", http.StatusCreated, "Frostline"},
		{"the brand is optional", nil, http.StatusCreated, ""},
		{"a brand over 100 characters is refused", strings.Repeat("b", 101), http.StatusUnprocessableEntity, ""},
	}
	for i, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			body := map[string]any{"code": fmt.Sprintf("BR-%d", i), "name": "Portable heater"}
			if row.brand != nil {
				body["brand"] = row.brand
			}
			r := w.do(t, http.MethodPost, "/v1/product-models", accManager, body)
			if r.Status != row.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.Status, row.wantStatus, r.Raw)
			}
			if row.wantStatus == http.StatusCreated && r.JSON["brand"] != row.wantBrand {
				t.Errorf("brand = %v, want %q", r.JSON["brand"], row.wantBrand)
			}
		})
	}
}
