package clienttest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/api/clienttest"
)

// The SPEC §3 flows, driven only through the client generated from the
// committed OpenAPI document: typed bodies in, typed responses and problems
// out. The apitest clock stands at 2026-06-01 10:00 UTC.

// northHome is alice's address in the demo seed (north region, with a position).
var northHome = clienttest.Address{Line1: "12 Harbour Road", City: "Northport", Region: "north",
	Lat: ptr(float64(31.24)), Lng: ptr(float64(121.49))}

// assetBySerial returns the caller's asset with that serial number.
func assetBySerial(t *testing.T, s session, serial string) clienttest.Asset {
	t.Helper()
	r, err := s.ListAssetsWithResponse(ctx, &clienttest.ListAssetsParams{})
	check(t, "list assets", r, err, http.StatusOK)
	for _, a := range r.JSON200.Items {
		if a.SerialNumber == serial {
			return a
		}
	}
	t.Fatalf("asset %s not in the caller's list: %s", serial, r.Body)
	return clienttest.Asset{}
}

// submit creates a repair order for asset at northHome as the customer.
func submit(t *testing.T, s session, asset openapi_types.UUID, description string) clienttest.Order {
	t.Helper()
	r, err := s.CreateOrderWithResponse(ctx, &clienttest.CreateOrderParams{IdempotencyKey: key()}, clienttest.OrderCreateRequest{
		Type: clienttest.OrderTypeRepair, Description: description, AssetId: &asset, Address: northHome})
	check(t, "submit "+description, r, err, http.StatusCreated)
	return *r.JSON201
}

// triage triages an order (priority P2) as staff.
func triage(t *testing.T, s session, id openapi_types.UUID) clienttest.Order {
	t.Helper()
	r, err := s.TriageOrderWithResponse(ctx, id, &clienttest.TriageOrderParams{IdempotencyKey: key()},
		clienttest.TriageRequest{Priority: ptr(clienttest.PriorityP2), Notes: ptr("customer reachable after 17:00")})
	check(t, "triage", r, err, http.StatusOK)
	return *r.JSON200
}

// assignTo assigns an order to a technician by hand as staff.
func assignTo(t *testing.T, s session, id, tech openapi_types.UUID) clienttest.AssignResponse {
	t.Helper()
	r, err := s.AssignOrderWithResponse(ctx, id, &clienttest.AssignOrderParams{IdempotencyKey: key()},
		clienttest.AssignRequest{TechnicianId: &tech})
	check(t, "assign", r, err, http.StatusOK)
	return *r.JSON200
}

// firstSlot returns the first free appointment window the caller is offered.
func firstSlot(t *testing.T, s session, id openapi_types.UUID, tech openapi_types.UUID) clienttest.Slot {
	t.Helper()
	r, err := s.ListOrderSlotsWithResponse(ctx, id, &clienttest.ListOrderSlotsParams{Days: ptr(2)})
	check(t, "slots", r, err, http.StatusOK)
	if len(r.JSON200.Items) == 0 {
		t.Fatalf("no slots offered: %s", r.Body)
	}
	for _, sl := range r.JSON200.Items {
		if sl.TechnicianId == nil || *sl.TechnicianId != tech || !sl.End.After(sl.Start) {
			t.Fatalf("after assignment every slot is the technician's: %+v", sl)
		}
	}
	return r.JSON200.Items[0]
}

// departEarly says why the technician leaves more than 3 hours before the
// window (the first slot offered is usually the next morning, local time).
var departEarly = clienttest.DepartRequest{Reason: ptr("The previous job finished early")}

// getOrder reads one order as the caller.
func getOrder(t *testing.T, s session, id openapi_types.UUID) clienttest.Order {
	t.Helper()
	r, err := s.GetOrderWithResponse(ctx, id, &clienttest.GetOrderParams{})
	check(t, "get order", r, err, http.StatusOK)
	return *r.JSON200
}

// TestCustomerFlow: sign up, register a product, ask for a repair, find it
// in the list, book a visit from the offered slots once a technician has
// accepted, see who is coming (the phone once they are on the way), approve
// the quote and read the timeline.
func TestCustomerFlow(t *testing.T) {
	env := apitest.New(t)
	anon := newClient(t, env, "")
	disp := signIn(t, env, "dispatcher@fieldops.test")
	manager := signIn(t, env, "manager@fieldops.test")
	tom := signIn(t, env, "tom@fieldops.test")

	// Sign-up returns the new customer with tokens.
	reg, err := anon.RegisterWithResponse(ctx, &clienttest.RegisterParams{IdempotencyKey: key()}, clienttest.RegisterRequest{
		Name: "Chen Customer", Email: ptr(openapi_types.Email("chen@example.com")), Phone: ptr("+8613800000077"), Password: "chen-secret-123"})
	check(t, "register", reg, err, http.StatusCreated)
	tok := reg.JSON201
	if tok.User.Role != clienttest.RoleCustomer || tok.User.Name != "Chen Customer" || tok.User.Email == nil ||
		*tok.User.Email != "chen@example.com" || tok.TokenType != clienttest.TokenResponseTokenTypeBearer {
		t.Fatalf("registered user: %s", reg.Body)
	}
	chen := session{ClientWithResponses: newClient(t, env, tok.AccessToken), User: tok.User}

	// Register the product: the warranty is derived from the model's terms.
	models, err := chen.ListProductModelsWithResponse(ctx, &clienttest.ListProductModelsParams{})
	check(t, "product models", models, err, http.StatusOK)
	var ac *clienttest.ProductModel
	for i, m := range models.JSON200.Items {
		if m.Code == "AC-9000" {
			ac = &models.JSON200.Items[i]
		}
	}
	if ac == nil || ac.WarrantyMonths != 12 {
		t.Fatalf("AC-9000 (12 months' warranty) not in the catalogue: %s", models.Body)
	}
	purchased := openapi_types.Date{Time: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
	ar, err := chen.CreateAssetWithResponse(ctx, &clienttest.CreateAssetParams{IdempotencyKey: key()}, clienttest.AssetRequest{
		ProductModelId: ac.Id, SerialNumber: "AC9-CHEN-0001", PurchaseDate: purchased, Address: &northHome})
	check(t, "register asset", ar, err, http.StatusCreated)
	asset := ar.JSON201
	if asset.CustomerId != chen.User.Id || asset.SerialNumber != "AC9-CHEN-0001" || !asset.Warranty.InWarranty ||
		asset.Warranty.EndsAt.String() != "2027-04-01" {
		t.Fatalf("asset: %s", ar.Body)
	}

	// Ask for a repair; a retry with the same Idempotency-Key replays it.
	body := clienttest.OrderCreateRequest{Type: clienttest.OrderTypeRepair, Channel: ptr(clienttest.OrderChannelApp),
		Description: "The AC drips water onto the sofa", AssetId: &asset.Id, Address: northHome}
	k := key()
	cr, err := chen.CreateOrderWithResponse(ctx, &clienttest.CreateOrderParams{IdempotencyKey: k}, body)
	check(t, "submit", cr, err, http.StatusCreated)
	o := *cr.JSON201
	if o.Status != clienttest.OrderStatusSubmitted || o.Priority != clienttest.PriorityP3 || !strings.HasPrefix(o.Number, "FO-") ||
		o.CustomerId != chen.User.Id || o.Customer.Name != "Chen Customer" || !o.Warranty.InWarranty || o.Technician != nil || o.TechnicianId != nil {
		t.Fatalf("new order: %s", cr.Body)
	}
	if o.Asset == nil || o.Asset.SerialNumber != "AC9-CHEN-0001" || o.Asset.ProductModel.Id != ac.Id || o.Asset.ProductModel.Name != ac.Name {
		t.Fatalf("the order embeds the asset and its model: %+v", o.Asset)
	}
	if !hasAction(o.AllowedActions, clienttest.OrderActionCancel) || hasAction(o.AllowedActions, clienttest.OrderActionTriage) {
		t.Fatalf("a customer's new order allows cancel, not triage: %v", o.AllowedActions)
	}
	if want := time.Date(2026, 6, 2, 10, 0, 0, 0, time.UTC); !o.Sla.FirstResponseDue.Equal(want) {
		t.Fatalf("P3 first response due %s, want %s", o.Sla.FirstResponseDue, want)
	}
	again, err := chen.CreateOrderWithResponse(ctx, &clienttest.CreateOrderParams{IdempotencyKey: k}, body)
	check(t, "submit again", again, err, http.StatusCreated)
	if again.JSON201.Id != o.Id || again.HTTPResponse.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("same key, same body: want the first order replayed, got %s (%v)", again.JSON201.Id, again.HTTPResponse.Header)
	}

	// It is in the customer's list, and only it.
	list, err := chen.ListOrdersWithResponse(ctx, &clienttest.ListOrdersParams{})
	check(t, "my orders", list, err, http.StatusOK)
	if ids := orderIDs(list.JSON200.Items); len(ids) != 1 || ids[0] != o.Id || list.JSON200.NextCursor != nil {
		t.Fatalf("my orders: %s", list.Body)
	}

	// Before assignment the customer may edit it, guarded by If-Match.
	got, err := chen.GetOrderWithResponse(ctx, o.Id, &clienttest.GetOrderParams{})
	check(t, "get", got, err, http.StatusOK)
	etag := got.HTTPResponse.Header.Get("ETag")
	pr, err := chen.UpdateOrderWithResponse(ctx, o.Id, &clienttest.UpdateOrderParams{IfMatch: &etag},
		clienttest.OrderPatchRequest{Description: ptr("The AC drips water onto the sofa, mostly at night")})
	check(t, "patch", pr, err, http.StatusOK)
	if pr.JSON200.Version != o.Version+1 || !strings.HasSuffix(pr.JSON200.Description, "at night") {
		t.Fatalf("patched order: %s", pr.Body)
	}
	stale, err := chen.UpdateOrderWithResponse(ctx, o.Id, &clienttest.UpdateOrderParams{IfMatch: &etag},
		clienttest.OrderPatchRequest{Description: ptr("lost update")})
	check(t, "stale patch", stale, err, http.StatusPreconditionFailed)
	if p := checkProblem(t, "stale patch", stale.ApplicationproblemJSON412, http.StatusPreconditionFailed); p.CurrentVersion == nil || *p.CurrentVersion != pr.JSON200.Version {
		t.Fatalf("412 names the current version %d: %+v", pr.JSON200.Version, p)
	}

	// Tom has a new work phone; staff triage and assign him, and he accepts.
	ur, err := manager.UpdateUserWithResponse(ctx, tom.User.Id, clienttest.UpdateUserRequest{Phone: ptr("+8613900100099")})
	check(t, "set tom's phone", ur, err, http.StatusOK)
	if ur.JSON200.Phone == nil || *ur.JSON200.Phone != "+8613900100099" {
		t.Fatalf("tom's phone: %s", ur.Body)
	}
	triage(t, disp, o.Id)
	assignTo(t, disp, o.Id, tom.User.Id)
	acc, err := tom.AcceptOrderWithResponse(ctx, o.Id, &clienttest.AcceptOrderParams{IdempotencyKey: key()})
	check(t, "accept", acc, err, http.StatusOK)

	// The customer sees who is coming, without the phone yet, and books a slot.
	o = getOrder(t, chen, o.Id)
	if o.Status != clienttest.OrderStatusAccepted || o.Technician == nil || o.Technician.Id != tom.User.Id ||
		o.Technician.Name != "Tom North" || o.Technician.Phone != nil {
		t.Fatalf("accepted order as the customer sees it: status %s, technician %+v", o.Status, o.Technician)
	}
	if !hasAction(o.AllowedActions, clienttest.OrderActionAppointment) {
		t.Fatalf("the customer may book now: %v", o.AllowedActions)
	}
	slot := firstSlot(t, chen, o.Id, tom.User.Id)
	br, err := chen.BookAppointmentWithResponse(ctx, o.Id, &clienttest.BookAppointmentParams{IdempotencyKey: key()},
		clienttest.AppointmentRequest{Start: slot.Start, End: slot.End})
	check(t, "book", br, err, http.StatusOK)
	if b := br.JSON200; b.Status != clienttest.OrderStatusScheduled || b.Appointment == nil ||
		!b.Appointment.Start.Equal(slot.Start) || !b.Appointment.End.Equal(slot.End) {
		t.Fatalf("booked order: %s", br.Body)
	}

	// On the way: the customer now sees Tom's phone.
	dep, err := tom.DepartOrderWithResponse(ctx, o.Id, &clienttest.DepartOrderParams{IdempotencyKey: key()}, departEarly)
	check(t, "depart", dep, err, http.StatusOK)
	o = getOrder(t, chen, o.Id)
	if o.Status != clienttest.OrderStatusEnRoute || o.Technician == nil || o.Technician.Phone == nil || *o.Technician.Phone != "+8613900100099" {
		t.Fatalf("en route: status %s, technician %+v", o.Status, o.Technician)
	}

	// Tom arrives and quotes a labour charge the warranty does not cover.
	arr, err := tom.ArriveOrderWithResponse(ctx, o.Id, &clienttest.ArriveOrderParams{IdempotencyKey: key()},
		clienttest.ArriveRequest{Lat: 31.2401, Lng: 121.4902})
	check(t, "arrive", arr, err, http.StatusOK)
	qr, err := tom.QuoteOrderWithResponse(ctx, o.Id, &clienttest.QuoteOrderParams{IdempotencyKey: key()}, clienttest.QuoteRequest{
		Items: []clienttest.QuoteItemRequest{
			{Kind: clienttest.QuoteItemKindPart, Description: "Drain pump", Qty: 1, UnitPrice: ptr(12900), Covered: ptr(true)},
			{Kind: clienttest.QuoteItemKindLabour, Description: "Clean the drain line", Qty: 1, UnitPrice: ptr(8000), Covered: ptr(false)},
		}})
	check(t, "quote", qr, err, http.StatusOK)

	// The customer sees the quote and approves it: the work starts.
	o = getOrder(t, chen, o.Id)
	if o.Status != clienttest.OrderStatusAwaitingApproval || o.Quote.Status != clienttest.QuoteStatusPending ||
		len(o.Quote.Items) != 2 || o.Charges.Covered != 12900 || o.Charges.AmountDue != 8000 {
		t.Fatalf("quoted order: status %s, quote %+v, charges %+v", o.Status, o.Quote, o.Charges)
	}
	if !hasAction(o.AllowedActions, clienttest.OrderActionQuoteApprove) || !hasAction(o.AllowedActions, clienttest.OrderActionQuoteReject) {
		t.Fatalf("the customer may approve or reject: %v", o.AllowedActions)
	}
	ap, err := chen.ApproveQuoteWithResponse(ctx, o.Id, &clienttest.ApproveQuoteParams{IdempotencyKey: key()})
	check(t, "approve", ap, err, http.StatusOK)
	if ap.JSON200.Status != clienttest.OrderStatusInProgress || ap.JSON200.Quote.Status != clienttest.QuoteStatusApproved {
		t.Fatalf("approved order: %s", ap.Body)
	}

	// The timeline shows each step, who took it and the status it led to.
	// Read it in pages of three, following next_cursor until it is null.
	var events []clienttest.OrderEvent
	params := &clienttest.ListOrderEventsParams{Limit: ptr(3)}
	for pages := 1; ; pages++ {
		ev, err := chen.ListOrderEventsWithResponse(ctx, o.Id, params)
		check(t, "timeline", ev, err, http.StatusOK)
		if len(ev.JSON200.Items) > 3 || pages > 10 {
			t.Fatalf("page %d has %d events: %s", pages, len(ev.JSON200.Items), ev.Body)
		}
		events = append(events, ev.JSON200.Items...)
		if ev.JSON200.NextCursor == nil {
			break
		}
		params.Cursor = ev.JSON200.NextCursor
	}
	want := []struct {
		action clienttest.EventAction
		actor  string
		to     clienttest.OrderStatus
	}{
		{clienttest.EventActionCreate, "Chen Customer", clienttest.OrderStatusSubmitted},
		{clienttest.EventActionAccept, "Tom North", clienttest.OrderStatusAccepted},
		{clienttest.EventActionAppointment, "Chen Customer", clienttest.OrderStatusScheduled},
		{clienttest.EventActionDepart, "Tom North", clienttest.OrderStatusEnRoute},
		{clienttest.EventActionArrive, "Tom North", clienttest.OrderStatusOnSite},
		{clienttest.EventActionQuote, "Tom North", clienttest.OrderStatusAwaitingApproval},
		{clienttest.EventActionQuoteApprove, "Chen Customer", clienttest.OrderStatusInProgress},
	}
	i := 0
	for _, e := range events {
		if i < len(want) && e.Action == want[i].action {
			if e.Actor == nil || e.Actor.Name != want[i].actor || e.To != want[i].to {
				t.Errorf("event %s: actor %+v, to %s; want %s, %s", e.Action, e.Actor, e.To, want[i].actor, want[i].to)
			}
			i++
		}
	}
	if i != len(want) {
		t.Fatalf("timeline lacks %s (in order): %+v", want[i].action, events)
	}
}

// TestDispatcherFlow: find new orders by status, triage, assign by hand and
// automatically (who and why), and the denials customers get.
func TestDispatcherFlow(t *testing.T) {
	env := apitest.New(t)
	disp := signIn(t, env, "dispatcher@fieldops.test")
	alice := signIn(t, env, "alice@example.com")
	bob := signIn(t, env, "bob@example.com")
	tom := signIn(t, env, "tom@fieldops.test")
	carl := signIn(t, env, "carl@coolfix.test")

	ac := assetBySerial(t, alice, "AC9-DEMO-0001")
	first := submit(t, alice, ac.Id, "AC drips water")
	second := submit(t, alice, ac.Id, "AC rattles")

	// New orders, filtered by status.
	lr, err := disp.ListOrdersWithResponse(ctx, &clienttest.ListOrdersParams{
		Status: &[]clienttest.OrderStatus{clienttest.OrderStatusSubmitted}})
	check(t, "new orders", lr, err, http.StatusOK)
	for _, o := range lr.JSON200.Items {
		if o.Status != clienttest.OrderStatusSubmitted {
			t.Fatalf("status=submitted listed a %s order", o.Status)
		}
	}
	if ids := orderIDs(lr.JSON200.Items); !slices.Contains(ids, first.Id) || !slices.Contains(ids, second.Id) {
		t.Fatalf("new orders lack alice's: %s", lr.Body)
	}
	staffView := lr.JSON200.Items[slices.Index(orderIDs(lr.JSON200.Items), first.Id)]
	if staffView.Customer.Name != "Alice Customer" || staffView.Customer.Address == nil || !hasAction(staffView.AllowedActions, clienttest.OrderActionTriage) {
		t.Fatalf("staff see the customer with the address and may triage: %+v, %v", staffView.Customer, staffView.AllowedActions)
	}

	// Triage sets the priority and tightens the SLA.
	tr := triage(t, disp, first.Id)
	if tr.Status != clienttest.OrderStatusTriaged || tr.Priority != clienttest.PriorityP2 ||
		!tr.Sla.FirstResponseDue.Before(first.Sla.FirstResponseDue) || !hasAction(tr.AllowedActions, clienttest.OrderActionAssign) {
		t.Fatalf("triaged: status %s, priority %s, SLA %+v, actions %v", tr.Status, tr.Priority, tr.Sla, tr.AllowedActions)
	}

	// By hand: Tom, because the dispatcher said so.
	manual := assignTo(t, disp, first.Id, tom.User.Id)
	if manual.TechnicianId != tom.User.Id || manual.Order.Status != clienttest.OrderStatusAssigned ||
		manual.Order.Technician == nil || manual.Order.Technician.Name != "Tom North" || !strings.Contains(manual.Reason, "dispatcher") {
		t.Fatalf("manual assignment: %+v (technician %+v)", manual, manual.Order.Technician)
	}

	// Automatically: Tom has a job now, so Carl (north, repair, none yet) gets the second.
	triage(t, disp, second.Id)
	ar, err := disp.AssignOrderWithResponse(ctx, second.Id, &clienttest.AssignOrderParams{IdempotencyKey: key()},
		clienttest.AssignRequest{Auto: ptr(true)})
	check(t, "auto-assign", ar, err, http.StatusOK)
	auto := ar.JSON200
	if auto.TechnicianId != carl.User.Id || auto.Order.TechnicianId == nil || *auto.Order.TechnicianId != carl.User.Id ||
		!strings.HasPrefix(auto.Reason, "Carl CoolFix") || !strings.Contains(auto.Reason, "0 open jobs") {
		t.Fatalf("auto-assign: technician %s, reason %q", auto.TechnicianId, auto.Reason)
	}

	// Who has what: the assigned list by technician.
	mine, err := disp.ListOrdersWithResponse(ctx, &clienttest.ListOrdersParams{TechnicianId: &tom.User.Id,
		Status: &[]clienttest.OrderStatus{clienttest.OrderStatusAssigned}})
	check(t, "tom's assigned orders", mine, err, http.StatusOK)
	if ids := orderIDs(mine.JSON200.Items); len(ids) != 1 || ids[0] != first.Id {
		t.Fatalf("tom's assigned orders: %s", mine.Body)
	}

	// Nobody qualified: 409 with the reason; the order stays triaged.
	bobs := submit(t, bob, assetBySerial(t, bob, "AC9-DEMO-0002").Id, "AC does not cool")
	er, err := disp.TriageOrderWithResponse(ctx, bobs.Id, &clienttest.TriageOrderParams{IdempotencyKey: key()},
		clienttest.TriageRequest{Region: ptr("east")})
	check(t, "triage to east", er, err, http.StatusOK)
	nr, err := disp.AssignOrderWithResponse(ctx, bobs.Id, &clienttest.AssignOrderParams{IdempotencyKey: key()},
		clienttest.AssignRequest{Auto: ptr(true)})
	check(t, "auto-assign in east", nr, err, http.StatusConflict)
	p := checkProblem(t, "auto-assign in east", nr.ApplicationproblemJSON409, http.StatusConflict)
	if p.Detail == nil || !strings.Contains(*p.Detail, `region "east"`) || p.CurrentStatus == nil || *p.CurrentStatus != clienttest.OrderStatusTriaged {
		t.Fatalf("nobody qualified: %+v", p)
	}

	// Denied: a customer may not triage (403); another customer's order does not exist for bob (404).
	dr, err := alice.TriageOrderWithResponse(ctx, first.Id, &clienttest.TriageOrderParams{IdempotencyKey: key()}, clienttest.TriageRequest{})
	check(t, "customer triages", dr, err, http.StatusForbidden)
	checkProblem(t, "customer triages", dr.ApplicationproblemJSON403, http.StatusForbidden)
	gr, err := bob.GetOrderWithResponse(ctx, first.Id, &clienttest.GetOrderParams{})
	check(t, "bob reads alice's order", gr, err, http.StatusNotFound)
	checkProblem(t, "bob reads alice's order", gr.ApplicationproblemJSON404, http.StatusNotFound)
	br, err := bob.ListOrdersWithResponse(ctx, &clienttest.ListOrdersParams{})
	check(t, "bob's orders", br, err, http.StatusOK)
	if ids := orderIDs(br.JSON200.Items); len(ids) != 1 || ids[0] != bobs.Id {
		t.Fatalf("bob sees his order only: %s", br.Body)
	}
}

// TestTechnicianFlow: sign in, the job list of assigned/accepted/scheduled
// work, accept, depart, arrive with a position, the 409 problem of a step
// out of turn, quote, work that starts on approval, waiting for parts, and
// starting in-warranty work without a quote.
func TestTechnicianFlow(t *testing.T) {
	env := apitest.New(t)
	disp := signIn(t, env, "dispatcher@fieldops.test")
	alice := signIn(t, env, "alice@example.com")
	bob := signIn(t, env, "bob@example.com")
	sam := signIn(t, env, "sam@fieldops.test")
	tom := signIn(t, env, "tom@fieldops.test")
	if tom.User.Role != clienttest.RoleTechnician || tom.User.Name != "Tom North" || !tom.User.OnDuty {
		t.Fatalf("tom signs in as an on-duty technician: %+v", tom.User)
	}

	// Two jobs for Tom: the washing machine is out of warranty, the AC in it.
	wm := submit(t, alice, assetBySerial(t, alice, "WM5-DEMO-0001").Id, "Washing machine does not drain")
	ac := submit(t, alice, assetBySerial(t, alice, "AC9-DEMO-0001").Id, "AC blows warm air")
	other := submit(t, bob, assetBySerial(t, bob, "AC9-DEMO-0002").Id, "Bob's AC")
	for _, id := range []openapi_types.UUID{wm.Id, ac.Id} {
		triage(t, disp, id)
		assignTo(t, disp, id, tom.User.Id)
	}
	triage(t, disp, other.Id)
	assignTo(t, disp, other.Id, sam.User.Id)

	// The job list: both of Tom's, none of Sam's, each with the customer's name and the serial.
	jobs := func() map[openapi_types.UUID]clienttest.Order {
		t.Helper()
		r, err := tom.ListOrdersWithResponse(ctx, &clienttest.ListOrdersParams{Status: &[]clienttest.OrderStatus{
			clienttest.OrderStatusAssigned, clienttest.OrderStatusAccepted, clienttest.OrderStatusScheduled}})
		check(t, "job list", r, err, http.StatusOK)
		out := map[openapi_types.UUID]clienttest.Order{}
		for _, o := range r.JSON200.Items {
			out[o.Id] = o
		}
		return out
	}
	list := jobs()
	if len(list) != 2 || list[wm.Id].Status != clienttest.OrderStatusAssigned || list[ac.Id].Status != clienttest.OrderStatusAssigned {
		t.Fatalf("tom's job list: %+v", list)
	}
	// Before acceptance: the customer's name, not their phone or address (data minimisation).
	if j := list[wm.Id]; j.Customer.Name != "Alice Customer" || j.Customer.Phone != nil || j.Customer.Address != nil ||
		j.Asset == nil || j.Asset.SerialNumber != "WM5-DEMO-0001" ||
		!hasAction(j.AllowedActions, clienttest.OrderActionAccept) || !hasAction(j.AllowedActions, clienttest.OrderActionDecline) {
		t.Fatalf("job card: customer %+v, asset %+v, actions %v", j.Customer, j.Asset, j.AllowedActions)
	}

	// Accept and book the washing machine job.
	acc, err := tom.AcceptOrderWithResponse(ctx, wm.Id, &clienttest.AcceptOrderParams{IdempotencyKey: key()})
	check(t, "accept", acc, err, http.StatusOK)
	// Accepted: the job card now has everything needed to call and drive there.
	if c := acc.JSON200.Customer; acc.JSON200.Status != clienttest.OrderStatusAccepted || c.Phone == nil || *c.Phone != "+8613800138001" ||
		c.Address == nil || c.Address.Line1 != northHome.Line1 {
		t.Fatalf("accepted: status %s, customer %+v", acc.JSON200.Status, c)
	}
	if sams := getOrder(t, sam, other.Id); sams.Customer.Name != "Bob Customer" || sams.Customer.Phone != nil {
		t.Fatalf("sam has not accepted bob's job: customer %+v", sams.Customer)
	}
	nf, err := sam.GetOrderWithResponse(ctx, wm.Id, &clienttest.GetOrderParams{})
	check(t, "sam reads tom's job", nf, err, http.StatusNotFound)
	checkProblem(t, "sam reads tom's job", nf.ApplicationproblemJSON404, http.StatusNotFound)
	slot := firstSlot(t, tom, wm.Id, tom.User.Id)
	bk, err := tom.BookAppointmentWithResponse(ctx, wm.Id, &clienttest.BookAppointmentParams{IdempotencyKey: key()},
		clienttest.AppointmentRequest{Start: slot.Start, End: slot.End})
	check(t, "book", bk, err, http.StatusOK)
	if list = jobs(); list[wm.Id].Status != clienttest.OrderStatusScheduled || list[ac.Id].Status != clienttest.OrderStatusAssigned {
		t.Fatalf("after booking: wm %s, ac %s", list[wm.Id].Status, list[ac.Id].Status)
	}

	// Arriving before departing is out of turn: 409 naming the status and what may come next.
	early, err := tom.ArriveOrderWithResponse(ctx, wm.Id, &clienttest.ArriveOrderParams{IdempotencyKey: key()},
		clienttest.ArriveRequest{Lat: 31.24, Lng: 121.49})
	check(t, "arrive before depart", early, err, http.StatusConflict)
	p := checkProblem(t, "arrive before depart", early.ApplicationproblemJSON409, http.StatusConflict)
	if p.CurrentStatus == nil || *p.CurrentStatus != clienttest.OrderStatusScheduled || p.AllowedActions == nil ||
		!slices.Contains(*p.AllowedActions, clienttest.OrderActionDepart) || slices.Contains(*p.AllowedActions, clienttest.OrderActionArrive) {
		t.Fatalf("409 problem: current_status %v, allowed_actions %v", p.CurrentStatus, p.AllowedActions)
	}

	// Depart, arrive with the position.
	dep, err := tom.DepartOrderWithResponse(ctx, wm.Id, &clienttest.DepartOrderParams{IdempotencyKey: key()}, departEarly)
	check(t, "depart", dep, err, http.StatusOK)
	if dep.JSON200.Status != clienttest.OrderStatusEnRoute {
		t.Fatalf("departed: %s", dep.JSON200.Status)
	}
	arr, err := tom.ArriveOrderWithResponse(ctx, wm.Id, &clienttest.ArriveOrderParams{IdempotencyKey: key()},
		clienttest.ArriveRequest{Lat: 31.2401, Lng: 121.4902})
	check(t, "arrive", arr, err, http.StatusOK)
	if a := arr.JSON200; a.Status != clienttest.OrderStatusOnSite || a.ArrivedAt == nil || !a.ArrivedAt.Equal(env.Clock.Now()) {
		t.Fatalf("arrived: status %s at %v", a.Status, a.ArrivedAt)
	}

	// Out of warranty, work cannot start without a quote.
	st, err := tom.StartOrderWithResponse(ctx, wm.Id, &clienttest.StartOrderParams{IdempotencyKey: key()})
	check(t, "start out of warranty", st, err, http.StatusConflict)
	p = checkProblem(t, "start out of warranty", st.ApplicationproblemJSON409, http.StatusConflict)
	if p.CurrentStatus == nil || *p.CurrentStatus != clienttest.OrderStatusOnSite || p.AllowedActions == nil ||
		!slices.Equal(*p.AllowedActions, []clienttest.OrderAction{clienttest.OrderActionQuote}) {
		t.Fatalf("start without a quote: %+v", p)
	}
	q, err := tom.QuoteOrderWithResponse(ctx, wm.Id, &clienttest.QuoteOrderParams{IdempotencyKey: key()}, clienttest.QuoteRequest{
		Items: []clienttest.QuoteItemRequest{
			{Kind: clienttest.QuoteItemKindPart, Description: "Drain pump", Qty: 1, UnitPrice: ptr(12900)},
			{Kind: clienttest.QuoteItemKindLabour, Description: "Replace pump", Qty: 2, UnitPrice: ptr(4000)},
		}})
	check(t, "quote", q, err, http.StatusOK)
	if qo := q.JSON200; qo.Status != clienttest.OrderStatusAwaitingApproval || qo.Quote.Total != 20900 || qo.Charges.AmountDue != 20900 ||
		qo.Charges.Parts != 12900 || qo.Charges.Labour != 8000 || qo.Charges.Covered != 0 {
		t.Fatalf("quoted out of warranty: status %s, quote %+v, charges %+v", qo.Status, qo.Quote, qo.Charges)
	}
	waiting, err := tom.StartOrderWithResponse(ctx, wm.Id, &clienttest.StartOrderParams{IdempotencyKey: key()})
	check(t, "start before approval", waiting, err, http.StatusConflict)
	p = checkProblem(t, "start before approval", waiting.ApplicationproblemJSON409, http.StatusConflict)
	if p.CurrentStatus == nil || *p.CurrentStatus != clienttest.OrderStatusAwaitingApproval {
		t.Fatalf("start before approval: %+v", p)
	}

	// The customer approves; the work is in progress, and waits for parts.
	ap, err := alice.ApproveQuoteWithResponse(ctx, wm.Id, &clienttest.ApproveQuoteParams{IdempotencyKey: key()})
	check(t, "approve", ap, err, http.StatusOK)
	o := getOrder(t, tom, wm.Id)
	if o.Status != clienttest.OrderStatusInProgress || !hasAction(o.AllowedActions, clienttest.OrderActionAwaitingParts) {
		t.Fatalf("after approval tom sees %s, actions %v", o.Status, o.AllowedActions)
	}
	wp, err := tom.AwaitPartsWithResponse(ctx, wm.Id, &clienttest.AwaitPartsParams{IdempotencyKey: key()},
		clienttest.AwaitPartsRequest{Note: ptr("Pump ordered, 3 days")})
	check(t, "awaiting parts", wp, err, http.StatusOK)
	if w := wp.JSON200; w.Status != clienttest.OrderStatusAwaitingParts || w.Appointment != nil {
		t.Fatalf("awaiting parts: status %s, appointment %+v", w.Status, w.Appointment)
	}
	if list = jobs(); len(list) != 1 || list[ac.Id].Status != clienttest.OrderStatusAssigned {
		t.Fatalf("the parked job leaves the list: %+v", list)
	}

	// In warranty, no charge: the visit starts without a quote.
	acc, err = tom.AcceptOrderWithResponse(ctx, ac.Id, &clienttest.AcceptOrderParams{IdempotencyKey: key()})
	check(t, "accept ac", acc, err, http.StatusOK)
	slot = firstSlot(t, tom, ac.Id, tom.User.Id)
	bk, err = tom.BookAppointmentWithResponse(ctx, ac.Id, &clienttest.BookAppointmentParams{IdempotencyKey: key()},
		clienttest.AppointmentRequest{Start: slot.Start, End: slot.End})
	check(t, "book ac", bk, err, http.StatusOK)
	dep, err = tom.DepartOrderWithResponse(ctx, ac.Id, &clienttest.DepartOrderParams{IdempotencyKey: key()}, departEarly)
	check(t, "depart ac", dep, err, http.StatusOK)
	arr, err = tom.ArriveOrderWithResponse(ctx, ac.Id, &clienttest.ArriveOrderParams{IdempotencyKey: key()},
		clienttest.ArriveRequest{Lat: 31.24, Lng: 121.49})
	check(t, "arrive ac", arr, err, http.StatusOK)
	st, err = tom.StartOrderWithResponse(ctx, ac.Id, &clienttest.StartOrderParams{IdempotencyKey: key()})
	check(t, "start ac", st, err, http.StatusOK)
	if s := st.JSON200; s.Status != clienttest.OrderStatusInProgress || !s.Warranty.InWarranty || s.Charges.AmountDue != 0 {
		t.Fatalf("started in warranty: status %s, charges %+v", s.Status, s.Charges)
	}
}
