package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/auth"
)

// SPEC §1 (who sees and does what; an object the caller may not see is 404,
// not 403) and §6 (the role column of every order endpoint), checked as a
// matrix: every order endpoint × every kind of actor × own/other order.

// Demo accounts (internal/demo/seed.go).
const (
	accAlice   = "alice@example.com"
	accBob     = "bob@example.com"
	accTom     = "tom@fieldops.test"  // in-house, north, repair + aircon
	accNina    = "nina@fieldops.test" // in-house, north, install + maintenance + inspection
	accSam     = "sam@fieldops.test"  // in-house, south
	accCarl    = "carl@coolfix.test"  // partner CoolFix, south + north, aircon + repair + maintenance
	accDisp    = "dispatcher@fieldops.test"
	accPartner = "dispatcher@coolfix.test"
	accManager = "manager@fieldops.test"
)

// accWorld is one test server with lazily issued access tokens of the demo
// accounts and a supply of distinct appointment windows.
type accWorld struct {
	env   *apitest.Env
	tok   map[string]string // access token by e-mail
	slots int               // appointment windows handed out so far
}

func accNewWorld(t *testing.T) *accWorld {
	t.Helper()
	return &accWorld{env: apitest.New(t), tok: map[string]string{}}
}

// token returns an access token of a demo account (logging in once).
func (w *accWorld) token(t *testing.T, email string) string {
	t.Helper()
	if tok, ok := w.tok[email]; ok {
		return tok
	}
	w.tok[email] = w.env.Token(email)
	return w.tok[email]
}

// forgetTokens drops every token, e.g. after the clock moved past their life.
func (w *accWorld) forgetTokens() { clear(w.tok) }

// do sends a request as the demo account email ("" = anonymous).
func (w *accWorld) do(t *testing.T, method, path, email string, body any, headers ...string) apitest.Response {
	t.Helper()
	tok := ""
	if email != "" {
		tok = w.token(t, email)
	}
	return w.env.Do(method, path, tok, body, headers...)
}

// asset returns the id of the owner's asset with the given serial number.
func (w *accWorld) asset(t *testing.T, owner, serial string) string {
	t.Helper()
	r := mustStatus(t, w.do(t, http.MethodGet, "/v1/assets", owner, nil), http.StatusOK, "list assets")
	for _, it := range r.JSON["items"].([]any) {
		if a := it.(map[string]any); a["serial_number"] == serial {
			return a["id"].(string)
		}
	}
	t.Fatalf("%s has no asset %s", owner, serial)
	return ""
}

// Addresses of the demo customers (alice's with coordinates).
func accAliceAddress() map[string]any {
	return map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north", "lat": 31.24, "lng": 121.49}
}

func accBobAddress() map[string]any {
	return map[string]any{"line1": "7 Garden Lane", "city": "Southbay", "region": "south"}
}

// submit creates an order as email and returns its id (201 or the test stops).
func (w *accWorld) submit(t *testing.T, email string, body map[string]any) string {
	t.Helper()
	r := mustStatus(t, w.do(t, http.MethodPost, "/v1/orders", email, body), http.StatusCreated, "create order")
	return r.JSON["id"].(string)
}

// step runs a transition (or any POST on an order) that must succeed and returns the response.
func (w *accWorld) step(t *testing.T, email, id, action string, body any) apitest.Response {
	t.Helper()
	return mustStatus(t, w.do(t, http.MethodPost, "/v1/orders/"+id+"/"+action, email, body), http.StatusOK, action)
}

// dispatch triages the order (when still submitted) and assigns it to the
// technician, both as the in-house dispatcher.
func (w *accWorld) dispatch(t *testing.T, id, techEmail string) {
	t.Helper()
	o := w.get(t, accDisp, id)
	if o["status"] == "submitted" {
		w.step(t, accDisp, id, "triage", map[string]any{"notes": "checked"})
	}
	r := w.step(t, accDisp, id, "assign", map[string]any{"technician_id": w.env.UserID(techEmail)})
	if r.JSON["technician_id"] != w.env.UserID(techEmail) {
		t.Fatalf("assign: %s", r.Raw)
	}
}

// get returns the order as email sees it (200 or the test stops).
func (w *accWorld) get(t *testing.T, email, id string) map[string]any {
	t.Helper()
	return mustStatus(t, w.do(t, http.MethodGet, "/v1/orders/"+id, email, nil), http.StatusOK, "get order").JSON
}

// aliceOrder is O_alice: alice's in-warranty AC (north), triaged and
// assigned to tom by the in-house dispatcher, so its provider is in-house.
func (w *accWorld) aliceOrder(t *testing.T) string {
	t.Helper()
	id := w.submit(t, accAlice, map[string]any{"type": "repair", "description": "AC drips water",
		"asset_id": w.asset(t, accAlice, "AC9-DEMO-0001"), "address": accAliceAddress()})
	w.dispatch(t, id, accTom)
	return id
}

// bobOrder is O_bob: bob's AC (south), assigned to carl, so its provider is CoolFix.
func (w *accWorld) bobOrder(t *testing.T) string {
	t.Helper()
	id := w.submit(t, accBob, map[string]any{"type": "repair", "description": "AC rattles",
		"asset_id": w.asset(t, accBob, "AC9-DEMO-0002"), "address": accBobAddress()})
	w.dispatch(t, id, accCarl)
	return id
}

// window hands out a future two-hour appointment window no other call got,
// so bookings of one technician never collide (one per day from 2026-06-02).
func (w *accWorld) window() map[string]any {
	w.slots++
	day := fmt.Sprintf("2026-06-%02d", 1+w.slots)
	if w.slots > 29 {
		day = fmt.Sprintf("2026-07-%02d", w.slots-29)
	}
	return map[string]any{"start": day + "T08:00:00Z", "end": day + "T10:00:00Z"}
}

// driveTo moves an assigned order forward as its technician until it reaches
// status: accepted, scheduled (booked by the dispatcher), en_route or on_site.
func (w *accWorld) driveTo(t *testing.T, id, techEmail, status string) {
	t.Helper()
	path := []struct {
		status, email, action string
		body                  any
	}{
		{"accepted", techEmail, "accept", nil},
		{"scheduled", accDisp, "appointment", w.window()},
		{"en_route", techEmail, "depart", departEarly},
		{"on_site", techEmail, "arrive", map[string]any{"lat": 31.2401, "lng": 121.4902}},
	}
	for _, p := range path {
		r := w.step(t, p.email, id, p.action, p.body)
		if r.JSON["status"] != p.status {
			t.Fatalf("%s: status %v, want %s", p.action, r.JSON["status"], p.status)
		}
		if p.status == status {
			return
		}
	}
	t.Fatalf("driveTo: unknown status %q", status)
}

// accIDs returns the ids of a list response's items.
func accIDs(t *testing.T, r apitest.Response) []string {
	t.Helper()
	items, ok := r.JSON["items"].([]any)
	if !ok {
		t.Fatalf("no items: %s", r.Raw)
	}
	out := []string{}
	for _, it := range items {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	slices.Sort(out)
	return out
}

// accEndpoint is one order endpoint of api/router.go with the roles its route admits.
type accEndpoint struct {
	name, method, suffix string
	action               orders.Action // "" for the non-transition routes
	roles                []string
	body                 func(techID string) any // a valid body (techID: the order's technician)
}

var (
	accAnyone     = []string{auth.RoleCustomer, auth.RoleDispatcher, auth.RoleManager, auth.RoleTechnician}
	accStaff      = []string{auth.RoleDispatcher, auth.RoleManager}
	accTechnician = []string{auth.RoleTechnician}
	accCustomer   = []string{auth.RoleCustomer}
	accCustStaff  = []string{auth.RoleCustomer, auth.RoleDispatcher, auth.RoleManager}
)

func accNoBody(string) any { return nil }

func accReason(string) any { return map[string]any{"reason": "matrix check"} }

// accEndpoints is every /v1/orders/{id} route. The roles are written out from
// SPEC §6 rather than read from orders.RolesFor, so a change to the
// life-cycle table shows up here (TestOrderRoutePolicyFollowsTheLifeCycleTable).
var accEndpoints = []accEndpoint{
	{"GET the order", http.MethodGet, "", "", accAnyone, accNoBody},
	{"PATCH the order", http.MethodPatch, "", "", accCustStaff, func(string) any { return map[string]any{"description": "edited by the matrix"} }},
	{"GET the events", http.MethodGet, "/events", "", accAnyone, accNoBody},
	{"GET the slots", http.MethodGet, "/slots", "", accAnyone, accNoBody},
	{"triage", http.MethodPost, "/triage", orders.ActTriage, accStaff, func(string) any { return map[string]any{"notes": "matrix check"} }},
	{"assign", http.MethodPost, "/assign", orders.ActAssign, accStaff, func(tech string) any { return map[string]any{"technician_id": tech} }},
	{"unassign", http.MethodPost, "/unassign", orders.ActUnassign, accStaff, accReason},
	{"accept", http.MethodPost, "/accept", orders.ActAccept, accTechnician, accNoBody},
	{"decline", http.MethodPost, "/decline", orders.ActDecline, accTechnician, accReason},
	{"book the appointment", http.MethodPost, "/appointment", orders.ActAppointment, accAnyone, func(string) any {
		return map[string]any{"start": "2026-06-02T08:00:00Z", "end": "2026-06-02T10:00:00Z", "reason": "matrix check"}
	}},
	{"depart", http.MethodPost, "/depart", orders.ActDepart, accTechnician, accNoBody},
	{"arrive", http.MethodPost, "/arrive", orders.ActArrive, accTechnician, func(string) any { return map[string]any{"lat": 31.24, "lng": 121.49} }},
	{"quote", http.MethodPost, "/quote", orders.ActQuote, accTechnician, func(string) any {
		return map[string]any{"items": []map[string]any{{"kind": "labour", "description": "Diagnosis", "qty": 1, "unit_price": 5000, "covered": false}}}
	}},
	{"approve the quote", http.MethodPost, "/quote/approve", orders.ActApprove, accCustomer, accNoBody},
	{"reject the quote", http.MethodPost, "/quote/reject", orders.ActReject, accCustomer, accReason},
	{"start work", http.MethodPost, "/start", orders.ActStart, accTechnician, accNoBody},
	{"wait for parts", http.MethodPost, "/awaiting-parts", orders.ActAwaitingParts, accTechnician, func(string) any { return map[string]any{"note": "pump ordered"} }},
	{"cancel", http.MethodPost, "/cancel", orders.ActCancel, accCustStaff, accReason},
	{"reopen", http.MethodPost, "/reopen", orders.ActReopen, accCustStaff, accReason},
}

// accActor is a caller of the matrix.
type accActor struct{ email, role string }

var accActors = []accActor{
	{accAlice, auth.RoleCustomer}, {accBob, auth.RoleCustomer},
	{accTom, auth.RoleTechnician}, {accSam, auth.RoleTechnician}, {accCarl, auth.RoleTechnician},
	{accDisp, auth.RoleDispatcher}, {accPartner, auth.RoleDispatcher}, {accManager, auth.RoleManager},
}

// accRelation is how an actor stands to one order: a description for the
// subtest name and whether SPEC §1 lets them see it.
type accRelation struct {
	who     string
	visible bool
}

// accRow is one request of a table-driven test. wantStatus 0 means "the
// caller passes the role policy and sees the order": anything but 403/404.
type accRow struct {
	name       string
	method     string
	path       string
	token      string
	body       any
	wantStatus int
	check      func(t *testing.T, r apitest.Response)
}

// accRun runs the rows in order as subtests.
func accRun(t *testing.T, env *apitest.Env, rows []accRow) {
	t.Helper()
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(tc.method, tc.path, tc.token, tc.body)
			if tc.wantStatus != 0 && r.Status != tc.wantStatus {
				t.Fatalf("%s %s: status %d, want %d: %s", tc.method, tc.path, r.Status, tc.wantStatus, r.Raw)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// accPasses asserts the call got past the role policy and the object scope;
// the bodies are valid, so 400/422 (which would be decided before the order
// is looked up) and server errors mean the row proves nothing.
func accPasses(t *testing.T, r apitest.Response) {
	t.Helper()
	switch {
	case r.Status == http.StatusForbidden || r.Status == http.StatusNotFound:
		t.Fatalf("status %d, want neither 403 nor 404: %s", r.Status, r.Raw)
	case r.Status == http.StatusBadRequest || r.Status == http.StatusUnprocessableEntity || r.Status >= 500:
		t.Fatalf("status %d: the matrix body should be valid and the call should reach the order: %s", r.Status, r.Raw)
	}
}

func accProblem(status int) func(t *testing.T, r apitest.Response) {
	return func(t *testing.T, r apitest.Response) {
		t.Helper()
		expectProblem(t, r, status)
	}
}

// TestOrderAccessMatrix: every order endpoint × every actor × O_alice (an
// in-house order of alice's, assigned to tom) and O_bob (bob's, assigned to
// carl of the partner CoolFix). Expected class per SPEC §1/§6:
//
//   - 403 when the route's role policy (orders.RolesFor for transitions)
//     never admits the caller's role. The router checks the role BEFORE the
//     handler looks the order up, so a forbidden role gets 403 even on an
//     order it cannot see (or one that does not exist): 403 says only "your
//     role never does this", which leaks nothing about the id.
//   - 404 when the role is admitted but the caller may not see the order
//     (other customer, technician never assigned to it, partner dispatcher
//     on another provider's order).
//   - otherwise the call reaches the life-cycle rules: 200, or 409 for the
//     wrong status — never 403/404.
//
// Rows that reach the rules with a mutating method each get a fresh order in
// the same state (assigned), so no row changes what another row sees; every
// other row (403, 404, GET) uses the two shared orders, which the last
// subtest proves unchanged.
func TestOrderAccessMatrix(t *testing.T) {
	w := accNewWorld(t)
	type target struct {
		label      string
		shared     string
		fresh      func(t *testing.T) string
		technician string
		rel        map[string]accRelation
	}
	targets := []target{
		{label: "alice's in-house order", shared: w.aliceOrder(t), fresh: w.aliceOrder, technician: accTom, rel: map[string]accRelation{
			accAlice:   {"alice, its customer,", true},
			accBob:     {"bob, another customer,", false},
			accTom:     {"tom, its assigned technician,", true},
			accSam:     {"sam, an unrelated technician,", false},
			accCarl:    {"carl, a partner technician never on it,", false},
			accDisp:    {"the in-house dispatcher", true},
			accPartner: {"the partner dispatcher (CoolFix does not own it)", false},
			accManager: {"the manager", true},
		}},
		{label: "bob's CoolFix order", shared: w.bobOrder(t), fresh: w.bobOrder, technician: accCarl, rel: map[string]accRelation{
			accAlice:   {"alice, another customer,", false},
			accBob:     {"bob, its customer,", true},
			accTom:     {"tom, a technician never on it,", false},
			accSam:     {"sam, an unrelated technician,", false},
			accCarl:    {"carl, its assigned partner technician,", true},
			accDisp:    {"the in-house dispatcher (sees every provider)", true},
			accPartner: {"the partner dispatcher of its provider", true},
			accManager: {"the manager", true},
		}},
	}
	before := map[string]map[string]any{}
	for _, tg := range targets {
		before[tg.shared] = w.get(t, accManager, tg.shared)
	}

	var rows []accRow
	for _, tg := range targets {
		techID := w.env.UserID(tg.technician)
		for _, ep := range accEndpoints {
			for _, a := range accActors {
				rel := tg.rel[a.email]
				row := accRow{method: ep.method, token: w.token(t, a.email), body: ep.body(techID)}
				id := tg.shared
				switch {
				case !slices.Contains(ep.roles, a.role):
					row.name = fmt.Sprintf("%s may never %s: 403 on %s", rel.who, ep.name, tg.label)
					if !rel.visible {
						row.name += " although it cannot see it (role check comes first)"
					}
					row.wantStatus, row.check = http.StatusForbidden, accProblem(http.StatusForbidden)
				case !rel.visible:
					row.name = fmt.Sprintf("%s cannot see %s: %s is 404", rel.who, tg.label, ep.name)
					row.wantStatus, row.check = http.StatusNotFound, accProblem(http.StatusNotFound)
				default:
					row.name = fmt.Sprintf("%s reaches the rules to %s on %s", rel.who, ep.name, tg.label)
					row.check = accPasses
					if ep.method != http.MethodGet {
						id = tg.fresh(t)
					}
				}
				row.path = "/v1/orders/" + id + ep.suffix
				rows = append(rows, row)
			}
		}
	}
	accRun(t, w.env, rows)

	t.Run("no refused call changed the shared orders", func(t *testing.T) {
		for _, tg := range targets {
			now := w.get(t, accManager, tg.shared)
			for _, f := range []string{"status", "version", "technician_id", "provider_id", "description"} {
				if now[f] != before[tg.shared][f] {
					t.Errorf("%s: %s changed from %v to %v", tg.label, f, before[tg.shared][f], now[f])
				}
			}
		}
	})
}

// TestOrderRoutePolicyFollowsTheLifeCycleTable: the roles the matrix expects
// per transition route are exactly the roles the life-cycle table names.
func TestOrderRoutePolicyFollowsTheLifeCycleTable(t *testing.T) {
	for _, ep := range accEndpoints {
		if ep.action == "" {
			continue
		}
		t.Run(string(ep.action)+" is open to exactly the roles of the table", func(t *testing.T) {
			want := slices.Sorted(slices.Values(ep.roles))
			if got := orders.RolesFor(ep.action); !slices.Equal(got, want) {
				t.Errorf("orders.RolesFor(%s) = %v, SPEC §6 says %v", ep.action, got, want)
			}
		})
	}
}

// TestOrderIDsThatNameNothing: unknown and malformed ids are 404 for callers
// whose role the route admits, 403 for those it never admits (the role check
// precedes parsing and looking up the id), 401 for anonymous callers.
func TestOrderIDsThatNameNothing(t *testing.T) {
	w := accNewWorld(t)
	unknown, malformed := uuid.NewString(), "not-a-uuid"
	mgr, tom, alice := w.token(t, accManager), w.token(t, accTom), w.token(t, accAlice)
	reason := map[string]any{"reason": "matrix check"}
	var rows []accRow
	for _, id := range []struct{ what, id string }{{"unknown", unknown}, {"malformed", malformed}} {
		p := "/v1/orders/" + id.id
		rows = append(rows,
			accRow{id.what + " id: GET the order is 404", http.MethodGet, p, mgr, nil, http.StatusNotFound, accProblem(http.StatusNotFound)},
			accRow{id.what + " id: PATCH the order is 404", http.MethodPatch, p, mgr, map[string]any{"description": "x"}, http.StatusNotFound, accProblem(http.StatusNotFound)},
			accRow{id.what + " id: events are 404", http.MethodGet, p + "/events", alice, nil, http.StatusNotFound, accProblem(http.StatusNotFound)},
			accRow{id.what + " id: slots are 404", http.MethodGet, p + "/slots", tom, nil, http.StatusNotFound, accProblem(http.StatusNotFound)},
			accRow{id.what + " id: cancel by the manager is 404", http.MethodPost, p + "/cancel", mgr, reason, http.StatusNotFound, accProblem(http.StatusNotFound)},
			accRow{id.what + " id: accept by a technician is 404", http.MethodPost, p + "/accept", tom, nil, http.StatusNotFound, accProblem(http.StatusNotFound)},
			accRow{id.what + " id: assign by the manager is 404", http.MethodPost, p + "/assign", mgr, map[string]any{"auto": true}, http.StatusNotFound, accProblem(http.StatusNotFound)},
			accRow{id.what + " id: a technician triaging is 403 before the id is read", http.MethodPost, p + "/triage", tom, map[string]any{}, http.StatusForbidden, accProblem(http.StatusForbidden)},
			accRow{id.what + " id: a customer accepting is 403 before the id is read", http.MethodPost, p + "/accept", alice, nil, http.StatusForbidden, accProblem(http.StatusForbidden)},
			accRow{id.what + " id: an anonymous caller is 401", http.MethodGet, p, "", nil, http.StatusUnauthorized, accProblem(http.StatusUnauthorized)},
		)
	}
	accRun(t, w.env, rows)
}

// TestOrderListScope: GET /v1/orders shows each caller exactly the orders
// SPEC §1 lets them see; technicians keep seeing orders assigned to them
// before ("assigned now or before").
func TestOrderListScope(t *testing.T) {
	w := accNewWorld(t)
	oa, ob := w.aliceOrder(t), w.bobOrder(t)
	both := slices.Sorted(slices.Values([]string{oa, ob}))
	exactly := func(want ...string) func(t *testing.T, r apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			t.Helper()
			if got, w := accIDs(t, r), slices.Sorted(slices.Values(want)); !slices.Equal(got, w) {
				t.Errorf("list = %v, want %v", got, w)
			}
			if r.JSON["next_cursor"] != nil {
				t.Errorf("one page expected, next_cursor = %v", r.JSON["next_cursor"])
			}
		}
	}
	list := func(name, email string, check func(t *testing.T, r apitest.Response)) accRow {
		return accRow{name, http.MethodGet, "/v1/orders", w.token(t, email), nil, http.StatusOK, check}
	}
	accRun(t, w.env, []accRow{
		list("alice sees only her own order", accAlice, exactly(oa)),
		list("bob sees only his own order", accBob, exactly(ob)),
		list("tom sees the order assigned to him", accTom, exactly(oa)),
		list("sam, assigned nothing, sees no order", accSam, exactly()),
		list("carl sees the order assigned to him", accCarl, exactly(ob)),
		list("the partner dispatcher sees its provider's order only", accPartner, exactly(ob)),
		list("the in-house dispatcher sees both providers' orders", accDisp, exactly(both...)),
		list("the manager sees every order", accManager, exactly(both...)),
	})

	// Reassign O_alice from tom to nina.
	w.step(t, accDisp, oa, "assign", map[string]any{"technician_id": w.env.UserID(accNina)})
	// Tom never accepted it, so he loses it (issue 9 item 6); one who
	// accepted keeps it (api/orders_unaccepted_test.go).
	accRun(t, w.env, []accRow{
		list("tom, replaced before accepting, no longer lists the order", accTom, exactly()),
		{"tom cannot open the order he was assigned before", http.MethodGet, "/v1/orders/" + oa, w.token(t, accTom), nil, http.StatusNotFound, nil},
		{"tom cannot read its timeline", http.MethodGet, "/v1/orders/" + oa + "/events", w.token(t, accTom), nil, http.StatusNotFound, nil},
		{"tom, no longer the assignee, cannot decline it (404)", http.MethodPost, "/v1/orders/" + oa + "/decline", w.token(t, accTom),
			map[string]any{"reason": "not mine"}, http.StatusNotFound, nil},
		list("nina now lists it", accNina, exactly(oa)),
		list("the partner dispatcher still sees only its provider's order", accPartner, exactly(ob)),
	})
}

// accDetail returns the problem's detail (for substring checks).
func accDetail(r apitest.Response) string {
	s, _ := r.JSON["detail"].(string)
	return strings.ToLower(s)
}
