package api_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/api/apitest"
)

// SPEC §3 (life cycle, dispatch, appointments, warranty), §4 (due times) and
// §6 (intake, ETag/If-Match, notifications) as rules of the order API. Helpers
// (accWorld, the demo account constants) are in orders_access_test.go.

// rulesRow is one request of a table: accRow plus request headers.
type rulesRow struct {
	name       string
	method     string
	path       string
	token      string
	body       any
	headers    []string // name, value, …
	wantStatus int
	check      func(t *testing.T, r apitest.Response)
}

// rulesRun runs the rows in order, each as a subtest. Rows of one table that
// act on the same order are steps of one story and say so in their names.
func rulesRun(t *testing.T, env *apitest.Env, rows []rulesRow) {
	t.Helper()
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(tc.method, tc.path, tc.token, tc.body, tc.headers...)
			if r.Status != tc.wantStatus {
				t.Fatalf("%s %s: status %d, want %d: %s", tc.method, tc.path, r.Status, tc.wantStatus, r.Raw)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// rulesProblem checks a problem response with exactly the given fields in errors[].
func rulesProblem(status int, fields ...string) func(t *testing.T, r apitest.Response) {
	return func(t *testing.T, r apitest.Response) {
		t.Helper()
		expectProblem(t, r, status, fields...)
	}
}

// rulesConflict checks a 409 naming the current status (and, when allowed is
// not nil, exactly these allowed actions in extra.allowed_actions).
func rulesConflict(status string, allowed []string) func(t *testing.T, r apitest.Response) {
	return func(t *testing.T, r apitest.Response) {
		t.Helper()
		expectProblem(t, r, http.StatusConflict)
		extra := r.JSON // RFC 9457 extension members sit at the top level
		if extra["current_status"] != status {
			t.Errorf("extra.current_status = %v, want %s: %s", extra["current_status"], status, r.Raw)
		}
		if allowed == nil {
			return
		}
		list, ok := extra["allowed_actions"].([]any)
		if !ok {
			t.Fatalf("extra.allowed_actions is not a list: %s", r.Raw)
		}
		got := []string{}
		for _, a := range list {
			got = append(got, a.(string))
		}
		if !slices.Equal(got, allowed) {
			t.Errorf("extra.allowed_actions = %v, want %v", got, allowed)
		}
	}
}

// rulesField returns a nested member of a JSON object: rulesField(o, "sla", "first_response_due").
func rulesField(o map[string]any, path ...string) any {
	var v any = o
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// rulesWant checks members of a JSON object: path (dot-separated) → value.
func rulesWant(t *testing.T, o map[string]any, want map[string]any) {
	t.Helper()
	for path, v := range want {
		if got := rulesField(o, strings.Split(path, ".")...); got != v {
			t.Errorf("%s = %v (%T), want %v (%T)", path, got, got, v, v)
		}
	}
}

// rulesEvents returns the actions of an order's timeline, oldest first, and the entries.
func rulesEvents(t *testing.T, w *accWorld, email, id string) ([]string, []map[string]any) {
	t.Helper()
	r := mustStatus(t, w.do(t, http.MethodGet, "/v1/orders/"+id+"/events", email, nil), http.StatusOK, "events")
	var actions []string
	var items []map[string]any
	for _, it := range r.JSON["items"].([]any) {
		e := it.(map[string]any)
		actions, items = append(actions, e["action"].(string)), append(items, e)
	}
	return actions, items
}

// rulesOrderBody is a valid request of alice's without an asset; overrides
// replace members (nil removes one).
func rulesOrderBody(overrides map[string]any) map[string]any {
	b := map[string]any{"type": "repair", "description": "AC drips water", "address": accAliceAddress()}
	for k, v := range overrides {
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
	}
	return b
}

// rulesModelID returns the id of a product model by code.
func rulesModelID(t *testing.T, w *accWorld, code string) string {
	t.Helper()
	r := mustStatus(t, w.do(t, http.MethodGet, "/v1/product-models", accAlice, nil), http.StatusOK, "product models")
	for _, it := range r.JSON["items"].([]any) {
		if m := it.(map[string]any); m["code"] == code {
			return m["id"].(string)
		}
	}
	t.Fatalf("no product model %s", code)
	return ""
}

// rulesTriaged submits an order of alice's (body overrides as rulesOrderBody)
// and triages it as the in-house dispatcher.
func rulesTriaged(t *testing.T, w *accWorld, overrides map[string]any) string {
	t.Helper()
	id := w.submit(t, accAlice, rulesOrderBody(overrides))
	w.step(t, accDisp, id, "triage", map[string]any{"notes": "checked"})
	return id
}

func TestOrderIntakeRules(t *testing.T) {
	w := accNewWorld(t)
	alice, bob, disp, tom := w.token(t, accAlice), w.token(t, accBob), w.token(t, accDisp), w.token(t, accTom)

	t.Run("numbers are FO-2026-###### and unique over 20 sequential creations", func(t *testing.T) {
		pattern := regexp.MustCompile(`^FO-2026-\d{6}$`)
		seen := map[string]bool{}
		for i := range 20 {
			r := mustStatus(t, w.do(t, http.MethodPost, "/v1/orders", accAlice, rulesOrderBody(map[string]any{
				"description": fmt.Sprintf("request %d", i)})), http.StatusCreated, "create")
			n, _ := r.JSON["number"].(string)
			if !pattern.MatchString(n) {
				t.Errorf("number %q does not match %s", n, pattern)
			}
			if seen[n] {
				t.Errorf("number %s given twice", n)
			}
			seen[n] = true
		}
		if len(seen) != 20 {
			t.Errorf("%d distinct numbers for 20 orders", len(seen))
		}
	})

	aliceAC := w.asset(t, accAlice, "AC9-DEMO-0001")
	aliceWM := w.asset(t, accAlice, "WM5-DEMO-0001")
	bobAC := w.asset(t, accBob, "AC9-DEMO-0002")
	bobSofa := w.asset(t, accBob, "SOF-DEMO-0001")
	// A sofa alice bought yesterday: still inside the 14-day return window.
	newSofa := mustStatus(t, w.do(t, http.MethodPost, "/v1/assets", accAlice, map[string]any{
		"product_model_id": rulesModelID(t, w, "SOFA-3"), "serial_number": "SOF-RULES-0001", "purchase_date": "2026-05-31",
		"address": accAliceAddress()}), http.StatusCreated, "register sofa").JSON["id"].(string)
	clientID := uuid.NewString()

	rulesRun(t, w.env, []rulesRow{
		{name: "a customer may not set the priority", method: http.MethodPost, path: "/v1/orders", token: alice,
			body: rulesOrderBody(map[string]any{"priority": "P1"}), wantStatus: http.StatusUnprocessableEntity,
			check: rulesProblem(http.StatusUnprocessableEntity, "priority")},
		{name: "staff must name the customer", method: http.MethodPost, path: "/v1/orders", token: disp,
			body: rulesOrderBody(nil), wantStatus: http.StatusUnprocessableEntity,
			check: rulesProblem(http.StatusUnprocessableEntity, "customer_id")},
		{name: "staff cannot submit for a technician", method: http.MethodPost, path: "/v1/orders", token: disp,
			body: rulesOrderBody(map[string]any{"customer_id": w.env.UserID(accTom)}), wantStatus: http.StatusUnprocessableEntity,
			check: rulesProblem(http.StatusUnprocessableEntity, "customer_id")},
		{name: "a customer cannot use another customer's asset", method: http.MethodPost, path: "/v1/orders", token: alice,
			body: rulesOrderBody(map[string]any{"asset_id": bobAC}), wantStatus: http.StatusUnprocessableEntity,
			check: rulesProblem(http.StatusUnprocessableEntity, "asset_id")},
		{name: "the address needs a region", method: http.MethodPost, path: "/v1/orders", token: alice,
			body:       rulesOrderBody(map[string]any{"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport"}}),
			wantStatus: http.StatusUnprocessableEntity, check: rulesProblem(http.StatusUnprocessableEntity, "address.region")},
		{name: "a technician may not submit a request", method: http.MethodPost, path: "/v1/orders", token: tom,
			body: rulesOrderBody(nil), wantStatus: http.StatusForbidden, check: rulesProblem(http.StatusForbidden)},
		{name: "a P1 entered by staff is due for first response 30 minutes after creation", method: http.MethodPost, path: "/v1/orders",
			token: disp, body: rulesOrderBody(map[string]any{"customer_id": w.env.UserID(accAlice), "priority": "P1"}),
			wantStatus: http.StatusCreated, check: func(t *testing.T, r apitest.Response) {
				created, err := time.Parse(time.RFC3339Nano, r.JSON["created_at"].(string))
				if err != nil {
					t.Fatalf("created_at: %v", err)
				}
				rulesWant(t, r.JSON, map[string]any{"priority": "P1", "channel": "phone", "customer_id": w.env.UserID(accAlice),
					"sla.first_response_due": created.Add(30 * time.Minute).UTC().Format(time.RFC3339),
					"sla.on_site_due":        created.Add(24 * time.Hour).UTC().Format(time.RFC3339),
					"sla.resolution_due":     created.Add(48 * time.Hour).UTC().Format(time.RFC3339)})
				if r.JSON["sla"].(map[string]any)["first_response_due"] != "2026-06-01T10:30:00Z" {
					t.Errorf("first response due %v, want 2026-06-01T10:30:00Z (clock 10:00 + 30 min)", r.JSON["sla"])
				}
			}},
		{name: "an out-of-warranty asset is recorded out of warranty", method: http.MethodPost, path: "/v1/orders", token: alice,
			body: rulesOrderBody(map[string]any{"asset_id": aliceWM}), wantStatus: http.StatusCreated,
			check: func(t *testing.T, r apitest.Response) {
				// WM-500: 24 months from 2023-06-01.
				rulesWant(t, r.JSON, map[string]any{"warranty.in_warranty": false, "warranty.ends_at": "2025-06-01"})
			}},
		{name: "an in-warranty asset is recorded in warranty", method: http.MethodPost, path: "/v1/orders", token: alice,
			body: rulesOrderBody(map[string]any{"asset_id": aliceAC}), wantStatus: http.StatusCreated,
			check: func(t *testing.T, r apitest.Response) {
				rulesWant(t, r.JSON, map[string]any{"warranty.in_warranty": true, "warranty.ends_at": "2027-04-01"})
			}},
		{name: "return_exchange after the return window is 422 naming the day it ended and records nothing", method: http.MethodPost,
			path: "/v1/orders", token: bob, body: map[string]any{"type": "return_exchange", "description": "Wrong colour",
				"asset_id": bobSofa, "address": accBobAddress()}, wantStatus: http.StatusUnprocessableEntity,
			check: func(t *testing.T, r apitest.Response) {
				expectProblem(t, r, http.StatusUnprocessableEntity, "type")
				if d, _ := r.JSON["detail"].(string); !strings.Contains(d, "2026-05-15") {
					t.Errorf("detail %q does not name 2026-05-15", d)
				}
				if got := rulesField(r.JSON, "return_until"); got != "2026-05-15" {
					t.Errorf("extra.return_until = %v, want 2026-05-15", got)
				}
				var n int64
				if err := w.env.DB.Table("orders").Where("asset_id = ?", bobSofa).Count(&n).Error; err != nil || n != 0 {
					t.Errorf("orders for the sofa: %d (%v), want none", n, err)
				}
			}},
		{name: "return_exchange inside the return window is accepted", method: http.MethodPost, path: "/v1/orders", token: alice,
			body:       rulesOrderBody(map[string]any{"type": "return_exchange", "description": "Seam torn", "asset_id": newSofa}),
			wantStatus: http.StatusCreated, check: func(t *testing.T, r apitest.Response) {
				rulesWant(t, r.JSON, map[string]any{"type": "return_exchange", "asset_id": newSofa, "status": "submitted"})
			}},
		{name: "a client-supplied id is used", method: http.MethodPost, path: "/v1/orders", token: alice,
			body: rulesOrderBody(map[string]any{"id": clientID}), wantStatus: http.StatusCreated,
			check: func(t *testing.T, r apitest.Response) {
				if r.JSON["id"] != clientID || r.Header.Get("Location") != "/v1/orders/"+clientID {
					t.Errorf("id %v, Location %q, want %s", r.JSON["id"], r.Header.Get("Location"), clientID)
				}
			}},
		{name: "reusing that id (after the previous row) is 409 naming id", method: http.MethodPost, path: "/v1/orders", token: alice,
			body:       rulesOrderBody(map[string]any{"id": clientID, "description": "another request"}),
			wantStatus: http.StatusConflict, check: func(t *testing.T, r apitest.Response) {
				expectProblem(t, r, http.StatusConflict, "id")
				if o := w.get(t, accAlice, clientID); o["description"] != "AC drips water" {
					t.Errorf("the first order changed: %v", o["description"])
				}
			}},
	})
}

func TestOrderTransitionRules(t *testing.T) {
	w := accNewWorld(t)
	tom := w.token(t, accTom)
	assigned, declined := w.aliceOrder(t), w.aliceOrder(t)
	tomID := w.env.UserID(accTom)

	rulesRun(t, w.env, []rulesRow{
		{name: "departing an assigned order is 409 naming the status and what the technician may do", method: http.MethodPost,
			path: "/v1/orders/" + assigned + "/depart", token: tom, wantStatus: http.StatusConflict,
			check: rulesConflict("assigned", []string{"accept", "decline"})},
		{name: "declining without a reason is 422 naming reason", method: http.MethodPost, path: "/v1/orders/" + declined + "/decline",
			token: tom, body: map[string]any{}, wantStatus: http.StatusUnprocessableEntity,
			check: rulesProblem(http.StatusUnprocessableEntity, "reason")},
		{name: "declining with a reason hands the order back to triage without a technician", method: http.MethodPost,
			path: "/v1/orders/" + declined + "/decline", token: tom, body: map[string]any{"reason": "van broke down"},
			wantStatus: http.StatusOK, check: func(t *testing.T, r apitest.Response) {
				rulesWant(t, r.JSON, map[string]any{"status": "triaged", "technician_id": nil})
				_, evs := rulesEvents(t, w, accDisp, declined)
				last := evs[len(evs)-1]
				if last["action"] != "decline" || rulesField(last, "payload", "reason") != "van broke down" ||
					rulesField(last, "payload", "technician_id") != tomID {
					t.Errorf("decline event: %v", last)
				}
			}},
		{name: "the technician who declined (never accepted) no longer sees the order", method: http.MethodGet, path: "/v1/orders/" + declined,
			token: tom, wantStatus: http.StatusNotFound},
		{name: "accepting the declined order is 404: it left the technician's scope", method: http.MethodPost,
			path: "/v1/orders/" + declined + "/accept", token: tom, wantStatus: http.StatusNotFound},
	})
}

func TestOrderDispatchRules(t *testing.T) {
	// Nobody on duty in north: every north technician goes off duty.
	off := accNewWorld(t)
	for _, tech := range []string{accTom, accNina, accCarl} {
		mustStatus(t, off.do(t, http.MethodPatch, "/v1/users/"+off.env.UserID(tech), accManager, map[string]any{"on_duty": false}),
			http.StatusOK, "off duty")
	}
	offOrder := rulesTriaged(t, off, nil)
	westOrder := rulesTriaged(t, off, map[string]any{"address": map[string]any{"line1": "1 Far Road", "city": "Westend", "region": "west"}})
	staysTriaged := func(w *accWorld, id string) func(t *testing.T, r apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			t.Helper()
			if d := accDetail(r); !strings.Contains(d, "no on-duty technician") {
				t.Errorf("detail %q gives no reason", d)
			}
			rulesWant(t, w.get(t, accDisp, id), map[string]any{"status": "triaged", "technician_id": nil, "version": float64(2)})
			if actions, _ := rulesEvents(t, w, accDisp, id); slices.Contains(actions, "assign") {
				t.Errorf("an assign event was written: %v", actions)
			}
		}
	}
	rulesRun(t, off.env, []rulesRow{
		{name: "auto-assign with every north technician off duty is 409 with a reason and the order stays triaged",
			method: http.MethodPost, path: "/v1/orders/" + offOrder + "/assign", token: off.token(t, accDisp),
			body: map[string]any{"auto": true}, wantStatus: http.StatusConflict, check: func(t *testing.T, r apitest.Response) {
				expectProblem(t, r, http.StatusConflict)
				staysTriaged(off, offOrder)(t, r)
				if d := accDetail(r); !strings.Contains(d, `"north"`) {
					t.Errorf("detail %q does not name the region", d)
				}
			}},
		{name: "auto-assign in a region nobody serves is 409 with a reason and the order stays triaged",
			method: http.MethodPost, path: "/v1/orders/" + westOrder + "/assign", token: off.token(t, accDisp),
			body: map[string]any{"auto": true}, wantStatus: http.StatusConflict, check: func(t *testing.T, r apitest.Response) {
				staysTriaged(off, westOrder)(t, r)
				if d := accDetail(r); !strings.Contains(d, `"west"`) {
					t.Errorf("detail %q does not name the region", d)
				}
			}},
	})

	// Nearest wins between equally loaded technicians: tom is next door, carl far away.
	near := accNewWorld(t)
	locate := func(w *accWorld) {
		mustStatus(t, w.do(t, http.MethodPost, "/v1/me/location", accTom, map[string]any{"lat": 31.2410, "lng": 121.4910}), http.StatusOK, "tom's location")
		mustStatus(t, w.do(t, http.MethodPost, "/v1/me/location", accCarl, map[string]any{"lat": 31.6000, "lng": 121.9000}), http.StatusOK, "carl's location")
	}
	locate(near)
	nearOrder := rulesTriaged(t, near, nil)

	// Fewer open jobs beat distance: the same locations, but tom already has a job.
	load := accNewWorld(t)
	locate(load)
	load.aliceOrder(t) // tom: 1 open job, carl: 0
	loadOrder := rulesTriaged(t, load, nil)

	// A partner dispatcher may not hand its provider's order to an in-house technician.
	partner := accNewWorld(t)
	bobOrder := partner.bobOrder(t)

	picked := func(w *accWorld, email string, words ...string) func(t *testing.T, r apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			t.Helper()
			id := w.env.UserID(email)
			if r.JSON["technician_id"] != id || rulesField(r.JSON, "order", "technician_id") != id ||
				rulesField(r.JSON, "order", "status") != "assigned" {
				t.Errorf("picked %v, want %s: %s", r.JSON["technician_id"], email, r.Raw)
			}
			reason, _ := r.JSON["reason"].(string)
			for _, word := range words {
				if !strings.Contains(reason, word) {
					t.Errorf("reason %q does not mention %q", reason, word)
				}
			}
		}
	}
	for _, env := range []struct {
		w    *accWorld
		rows []rulesRow
	}{
		{near, []rulesRow{{name: "auto-assign picks the nearest of equally loaded technicians and says so", method: http.MethodPost,
			path: "/v1/orders/" + nearOrder + "/assign", token: near.token(t, accDisp), body: map[string]any{"auto": true},
			wantStatus: http.StatusOK, check: picked(near, accTom, "Tom North", "0 open jobs", "km away")}}},
		{load, []rulesRow{{name: "auto-assign picks the technician with fewer open jobs before the nearer one", method: http.MethodPost,
			path: "/v1/orders/" + loadOrder + "/assign", token: load.token(t, accDisp), body: map[string]any{"auto": true},
			wantStatus: http.StatusOK, check: picked(load, accCarl, "Carl CoolFix", "0 open jobs")}}},
		{partner, []rulesRow{{name: "a partner dispatcher assigning an in-house technician is 422 naming technician_id",
			method: http.MethodPost, path: "/v1/orders/" + bobOrder + "/assign", token: partner.token(t, accPartner),
			body: map[string]any{"technician_id": partner.env.UserID(accTom)}, wantStatus: http.StatusUnprocessableEntity,
			check: func(t *testing.T, r apitest.Response) {
				expectProblem(t, r, http.StatusUnprocessableEntity, "technician_id")
				rulesWant(t, partner.get(t, accPartner, bobOrder), map[string]any{"technician_id": partner.env.UserID(accCarl)})
			}}}},
	} {
		rulesRun(t, env.w.env, env.rows)
	}
}

func TestOrderWorkAndChargesRules(t *testing.T) {
	w := accNewWorld(t)
	tom := w.token(t, accTom)
	onSite := func(asset string) string {
		id := w.submit(t, accAlice, rulesOrderBody(map[string]any{"asset_id": w.asset(t, accAlice, asset)}))
		w.dispatch(t, id, accTom)
		w.driveTo(t, id, accTom, "on_site")
		return id
	}
	outStart, inStart, outQuote := onSite("WM5-DEMO-0001"), onSite("AC9-DEMO-0001"), onSite("WM5-DEMO-0001")
	rulesRun(t, w.env, []rulesRow{
		{name: "starting out-of-warranty work on site is 409: it needs an approved quote", method: http.MethodPost,
			path: "/v1/orders/" + outStart + "/start", token: tom, wantStatus: http.StatusConflict,
			check: func(t *testing.T, r apitest.Response) {
				rulesConflict("on_site", []string{"quote"})(t, r)
				rulesWant(t, w.get(t, accTom, outStart), map[string]any{"status": "on_site"})
			}},
		{name: "starting in-warranty work on site is 200 at no charge", method: http.MethodPost,
			path: "/v1/orders/" + inStart + "/start", token: tom, wantStatus: http.StatusOK,
			check: func(t *testing.T, r apitest.Response) {
				rulesWant(t, r.JSON, map[string]any{"status": "in_progress", "warranty.in_warranty": true,
					"charges.amount_due": float64(0), "charges.currency": "CNY"})
			}},
		{name: "out of warranty a line marked covered is charged and shown as not covered", method: http.MethodPost,
			path: "/v1/orders/" + outQuote + "/quote", token: tom, body: map[string]any{"items": []map[string]any{
				{"kind": "part", "description": "Drain pump", "qty": 1, "unit_price": 12900, "covered": true},
				{"kind": "labour", "description": "Replace pump", "qty": 2, "unit_price": 4000, "covered": false},
			}}, wantStatus: http.StatusOK, check: func(t *testing.T, r apitest.Response) {
				rulesWant(t, r.JSON, map[string]any{"status": "awaiting_approval", "quote.status": "pending",
					"charges.parts": float64(12900), "charges.labour": float64(8000), "charges.covered": float64(0),
					"charges.amount_due": float64(20900), "quote.total": float64(20900)})
				items := rulesField(r.JSON, "quote", "items").([]any)
				if it := items[0].(map[string]any); it["covered"] != false || it["amount"] != float64(12900) {
					t.Errorf("covered line out of warranty: %v", it)
				}
			}},
	})
}

func TestOrderCancelAndReopenRules(t *testing.T) {
	w := accNewWorld(t)
	alice, disp := w.token(t, accAlice), w.token(t, accDisp)
	enRoute := w.aliceOrder(t)
	w.driveTo(t, enRoute, accTom, "en_route")
	completed := func(ago time.Duration) string {
		id := w.aliceOrder(t)
		if err := w.env.DB.Exec("UPDATE orders SET status = 'completed', completed_at = ? WHERE id = ?",
			w.env.Clock.Now().Add(-ago), id).Error; err != nil {
			t.Fatalf("complete: %v", err)
		}
		return id
	}
	recent, old := completed(29*24*time.Hour), completed(31*24*time.Hour)
	reason := map[string]any{"reason": "the technician is late"}

	rulesRun(t, w.env, []rulesRow{
		{name: "a customer cannot cancel once the technician is en route", method: http.MethodPost,
			path: "/v1/orders/" + enRoute + "/cancel", token: alice, body: reason, wantStatus: http.StatusConflict,
			check: rulesConflict("en_route", []string{})},
		{name: "staff cancelling without a reason is 422 naming reason", method: http.MethodPost,
			path: "/v1/orders/" + enRoute + "/cancel", token: disp, body: map[string]any{"reason": "  "},
			wantStatus: http.StatusUnprocessableEntity, check: rulesProblem(http.StatusUnprocessableEntity, "reason")},
		{name: "staff may cancel the en-route order with a reason", method: http.MethodPost,
			path: "/v1/orders/" + enRoute + "/cancel", token: disp, body: reason, wantStatus: http.StatusOK,
			check: func(t *testing.T, r apitest.Response) {
				rulesWant(t, r.JSON, map[string]any{"status": "cancelled", "cancel_reason": "the technician is late"})
				// The visit (2026-06-02 08:00, see driveTo) no longer holds tom's time.
				slots := mustStatus(t, w.do(t, http.MethodGet, "/v1/orders/"+enRoute+"/slots?from=2026-06-02&days=1", accDisp, nil),
					http.StatusOK, "slots")
				if !strings.Contains(string(slots.Raw), `"start":"2026-06-02T08:00:00Z"`) {
					t.Errorf("tom's cancelled visit still blocks his time: %s", slots.Raw)
				}
			}},
		{name: "reopening without a reason is 422 naming reason", method: http.MethodPost,
			path: "/v1/orders/" + recent + "/reopen", token: alice, body: map[string]any{},
			wantStatus: http.StatusUnprocessableEntity, check: rulesProblem(http.StatusUnprocessableEntity, "reason")},
		{name: "a customer reopens an order completed 29 days ago: triaged, repeat repair, second visit", method: http.MethodPost,
			path: "/v1/orders/" + recent + "/reopen", token: alice, body: map[string]any{"reason": "drips again"},
			wantStatus: http.StatusOK, check: func(t *testing.T, r apitest.Response) {
				rulesWant(t, r.JSON, map[string]any{"status": "triaged", "repeat_repair": true, "visit_count": float64(2),
					"technician_id": nil, "id": recent})
			}},
		{name: "an order completed 31 days ago cannot be reopened", method: http.MethodPost,
			path: "/v1/orders/" + old + "/reopen", token: alice, body: map[string]any{"reason": "drips again"},
			wantStatus: http.StatusConflict, check: func(t *testing.T, r apitest.Response) {
				rulesConflict("completed", nil)(t, r)
				rulesWant(t, w.get(t, accAlice, old), map[string]any{"status": "completed", "repeat_repair": false, "visit_count": float64(1)})
			}},
	})
}

func TestOrderETagRules(t *testing.T) {
	w := accNewWorld(t)
	alice, disp, tom := w.token(t, accAlice), w.token(t, accDisp), w.token(t, accTom)
	sub := w.submit(t, accAlice, rulesOrderBody(map[string]any{"description": "first"}))
	asg := w.aliceOrder(t)
	etag := func(want string) func(t *testing.T, r apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			t.Helper()
			if got := r.Header.Get("ETag"); got != want {
				t.Errorf("ETag %q, want %q", got, want)
			}
		}
	}
	p := "/v1/orders/" + sub
	rulesRun(t, w.env, []rulesRow{
		{name: "GET returns the version as ETag", method: http.MethodGet, path: p, token: alice, wantStatus: http.StatusOK,
			check: func(t *testing.T, r apitest.Response) {
				etag(`"1"`)(t, r)
				rulesWant(t, r.JSON, map[string]any{"version": float64(1)})
			}},
		{name: "If-None-Match with the current ETag is 304 without a body", method: http.MethodGet, path: p, token: alice,
			headers: []string{"If-None-Match", `"1"`}, wantStatus: http.StatusNotModified,
			check: func(t *testing.T, r apitest.Response) {
				etag(`"1"`)(t, r)
				if len(r.Raw) != 0 {
					t.Errorf("304 with a body: %q", r.Raw)
				}
			}},
		{name: "PATCH with the current ETag is 200 with the next ETag", method: http.MethodPatch, path: p, token: disp,
			headers: []string{"If-Match", `"1"`}, body: map[string]any{"description": "second"}, wantStatus: http.StatusOK,
			check: func(t *testing.T, r apitest.Response) {
				etag(`"2"`)(t, r)
				rulesWant(t, r.JSON, map[string]any{"version": float64(2), "description": "second"})
			}},
		{name: "PATCH with the old ETag (after the previous row) is 412 and changes nothing", method: http.MethodPatch, path: p, token: disp,
			headers: []string{"If-Match", `"1"`}, body: map[string]any{"description": "stale"}, wantStatus: http.StatusPreconditionFailed,
			check: func(t *testing.T, r apitest.Response) {
				expectProblem(t, r, http.StatusPreconditionFailed)
				rulesWant(t, w.get(t, accAlice, sub), map[string]any{"description": "second", "version": float64(2)})
			}},
		{name: "If-None-Match with an old ETag returns the new version", method: http.MethodGet, path: p, token: alice,
			headers: []string{"If-None-Match", `"1"`}, wantStatus: http.StatusOK, check: etag(`"2"`)},
		{name: "the customer may edit her order before assignment", method: http.MethodPatch, path: p, token: alice,
			headers: []string{"If-Match", `"2"`}, body: map[string]any{"description": "third"}, wantStatus: http.StatusOK,
			check: func(t *testing.T, r apitest.Response) { etag(`"3"`)(t, r) }},
		{name: "the customer may not edit an assigned order", method: http.MethodPatch, path: "/v1/orders/" + asg, token: alice,
			body: map[string]any{"description": "changed my mind"}, wantStatus: http.StatusConflict,
			check: rulesConflict("assigned", nil)},
		{name: "a technician may never edit an order", method: http.MethodPatch, path: "/v1/orders/" + asg, token: tom,
			body: map[string]any{"description": "changed"}, wantStatus: http.StatusForbidden,
			check: func(t *testing.T, r apitest.Response) {
				expectProblem(t, r, http.StatusForbidden)
				rulesWant(t, w.get(t, accTom, asg), map[string]any{"description": "AC drips water"})
			}},
	})
}

func TestOrderAppointmentRules(t *testing.T) {
	w := accNewWorld(t)
	alice, disp := w.token(t, accAlice), w.token(t, accDisp)
	id := w.aliceOrder(t)
	w.driveTo(t, id, accTom, "accepted")
	p := "/v1/orders/" + id + "/appointment"
	appointmentStart := func(want string) func(t *testing.T, r apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			t.Helper()
			if got := rulesField(w.get(t, accAlice, id), "appointment", "start"); got != want {
				t.Errorf("appointment starts %v, want %s", got, want)
			}
		}
	}
	rulesRun(t, w.env, []rulesRow{
		{name: "a start in the past is 422 naming start", method: http.MethodPost, path: p, token: alice,
			body: map[string]any{"start": "2026-06-01T08:00:00Z", "end": "2026-06-01T09:00:00Z"}, wantStatus: http.StatusUnprocessableEntity,
			check: rulesProblem(http.StatusUnprocessableEntity, "start")},
		{name: "an end before the start is 422 naming end", method: http.MethodPost, path: p, token: alice,
			body: map[string]any{"start": "2026-06-03T10:00:00Z", "end": "2026-06-03T08:00:00Z"}, wantStatus: http.StatusUnprocessableEntity,
			check: rulesProblem(http.StatusUnprocessableEntity, "end")},
		{name: "the customer books a valid window", method: http.MethodPost, path: p, token: alice,
			body: map[string]any{"start": "2026-06-03T08:00:00Z", "end": "2026-06-03T10:00:00Z"}, wantStatus: http.StatusOK,
			check: func(t *testing.T, r apitest.Response) {
				rulesWant(t, r.JSON, map[string]any{"status": "scheduled", "appointment.start": "2026-06-03T08:00:00Z"})
			}},
		{name: "staff moving the booked appointment without a reason is 422 naming reason", method: http.MethodPost, path: p, token: disp,
			body: map[string]any{"start": "2026-06-03T04:00:00Z", "end": "2026-06-03T06:00:00Z"}, wantStatus: http.StatusUnprocessableEntity,
			check: func(t *testing.T, r apitest.Response) {
				expectProblem(t, r, http.StatusUnprocessableEntity, "reason")
				appointmentStart("2026-06-03T08:00:00Z")(t, r)
			}},
		{name: "staff moving it with a reason is 200 and the timeline keeps the previous start", method: http.MethodPost, path: p, token: disp,
			body:       map[string]any{"start": "2026-06-03T04:00:00Z", "end": "2026-06-03T06:00:00Z", "reason": "technician ill in the morning"},
			wantStatus: http.StatusOK, check: func(t *testing.T, r apitest.Response) {
				rulesWant(t, r.JSON, map[string]any{"status": "scheduled", "appointment.start": "2026-06-03T04:00:00Z"})
				_, evs := rulesEvents(t, w, accAlice, id)
				last := evs[len(evs)-1]
				rulesWant(t, last, map[string]any{"action": "appointment", "from": "scheduled", "to": "scheduled",
					"payload.previous_start": "2026-06-03T08:00:00Z", "payload.start": "2026-06-03T04:00:00Z",
					"payload.reason": "technician ill in the morning"})
			}},
	})
}

func TestOrderSlotsOfTheAssignedTechnician(t *testing.T) {
	w := accNewWorld(t)
	alice := w.token(t, accAlice)
	tomID := w.env.UserID(accTom)
	order := w.aliceOrder(t) // assigned to tom, not yet accepted
	other := w.aliceOrder(t) // tom's other job, booked 2026-06-02 02:00Z (10:00 in Asia/Shanghai)
	w.driveTo(t, other, accTom, "accepted")
	w.step(t, accDisp, other, "appointment", map[string]any{"start": "2026-06-02T02:00:00Z", "end": "2026-06-02T04:00:00Z"})
	unassigned := rulesTriaged(t, w, nil)

	starts := func(want []string, tech string) func(t *testing.T, r apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			t.Helper()
			got := []string{}
			for _, it := range r.JSON["items"].([]any) {
				s := it.(map[string]any)
				got = append(got, strings.TrimPrefix(s["start"].(string), "2026-06-02T"))
				if tech != "" && s["technician_id"] != tech {
					t.Errorf("slot %v is not tom's", s)
				}
				if tech == "" && s["technician_id"] != nil {
					t.Errorf("slot of an unassigned order names a technician: %v", s)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("slot starts %v, want %v", got, want)
			}
		}
	}
	slots := "/v1/orders/" + order + "/slots?from=2026-06-02&days=1"
	rulesRun(t, w.env, []rulesRow{
		{name: "an assigned order lists its technician's free windows (his other booking excluded)", method: http.MethodGet,
			path: slots, token: alice, wantStatus: http.StatusOK,
			check: starts([]string{"00:00:00Z", "04:00:00Z", "06:00:00Z", "08:00:00Z", "10:00:00Z"}, tomID)},
		{name: "an unassigned order lists windows where any qualified technician of the region is free", method: http.MethodGet,
			path: "/v1/orders/" + unassigned + "/slots?from=2026-06-02&days=1", token: alice, wantStatus: http.StatusOK,
			check: starts([]string{"00:00:00Z", "02:00:00Z", "04:00:00Z", "06:00:00Z", "08:00:00Z", "10:00:00Z"}, "")},
		{name: "tom accepts the order", method: http.MethodPost, path: "/v1/orders/" + order + "/accept",
			token: w.token(t, accTom), wantStatus: http.StatusOK},
		{name: "alice books 10:00-12:00", method: http.MethodPost, path: "/v1/orders/" + order + "/appointment", token: alice,
			body: map[string]any{"start": "2026-06-02T10:00:00Z", "end": "2026-06-02T12:00:00Z"}, wantStatus: http.StatusOK},
		{name: "the booked window is no longer offered", method: http.MethodGet, path: slots, token: alice, wantStatus: http.StatusOK,
			check: starts([]string{"00:00:00Z", "04:00:00Z", "06:00:00Z", "08:00:00Z"}, tomID)},
	})
}

func TestOrderNotificationInbox(t *testing.T) {
	w := accNewWorld(t)
	tom, alice := w.token(t, accTom), w.token(t, accAlice)
	first, second := w.aliceOrder(t), w.aliceOrder(t)
	inbox := mustStatus(t, w.do(t, http.MethodGet, "/v1/notifications", accTom, nil), http.StatusOK, "tom's inbox")
	byOrder := map[string]string{}
	for _, it := range inbox.JSON["items"].([]any) {
		n := it.(map[string]any)
		if n["kind"] == "job_assigned" {
			byOrder[n["order_id"].(string)] = n["id"].(string)
		}
	}
	nFirst, nSecond := byOrder[first], byOrder[second]
	if nFirst == "" || nSecond == "" {
		t.Fatalf("tom has no job_assigned for both orders: %s", inbox.Raw)
	}
	listed := func(want []string, read map[string]bool) func(t *testing.T, r apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			t.Helper()
			var got []string
			for _, it := range r.JSON["items"].([]any) {
				n := it.(map[string]any)
				got = append(got, n["id"].(string))
				if n["kind"] != "job_assigned" || n["read"] != read[n["id"].(string)] {
					t.Errorf("notification %v: want job_assigned, read %v", n, read[n["id"].(string)])
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("inbox order %v, want %v", got, want)
			}
		}
	}
	rulesRun(t, w.env, []rulesRow{
		{name: "tom's inbox has both new jobs unread, newest first", method: http.MethodGet, path: "/v1/notifications",
			token: tom, wantStatus: http.StatusOK, check: listed([]string{nSecond, nFirst}, nil)},
		{name: "tom marks the newest read", method: http.MethodPost, path: "/v1/notifications/" + nSecond + "/read",
			token: tom, wantStatus: http.StatusOK, check: func(t *testing.T, r apitest.Response) {
				rulesWant(t, r.JSON, map[string]any{"id": nSecond, "read": true, "read_at": "2026-06-01T10:00:00Z"})
			}},
		{name: "a read notification moves after the unread ones", method: http.MethodGet, path: "/v1/notifications",
			token: tom, wantStatus: http.StatusOK, check: listed([]string{nFirst, nSecond}, map[string]bool{nSecond: true})},
		{name: "alice cannot read tom's notification", method: http.MethodPost, path: "/v1/notifications/" + nFirst + "/read",
			token: alice, wantStatus: http.StatusNotFound, check: rulesProblem(http.StatusNotFound)},
		{name: "tom's notification is still unread after alice tried", method: http.MethodGet, path: "/v1/notifications?unread=true",
			token: tom, wantStatus: http.StatusOK, check: listed([]string{nFirst}, nil)},
	})
}
