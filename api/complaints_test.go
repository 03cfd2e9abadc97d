package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/complaints"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// cmpLocal is a wall-clock time in Asia/Shanghai (the demo regions' zone).
func cmpLocal(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// cmpOrder submits an order of alice's in region north (in-house once triaged) and returns its id.
func cmpOrder(t *testing.T, env *apitest.Env) string {
	t.Helper()
	alice := env.Token("alice@example.com")
	o := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{
		"type": "repair", "description": "AC drips water", "asset_id": aliceAsset(t, env, alice),
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"},
	}), http.StatusCreated, "create order").JSON
	return o["id"].(string)
}

func cmpTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("not a time: %v", v)
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func cmpCount(t *testing.T, env *apitest.Env, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := env.DB.Raw(q, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// A complaint nobody answers escalates to level 1 at its reply due time (1
// working day), then to level 2 a working day later; working days skip the
// weekend and a configured holiday. Two workers running the sweep at once
// escalate each breach once.
func TestComplaintEscalatesOnWorkingDays(t *testing.T) {
	env := apitest.New(t)
	ctx := context.Background()
	env.Clock.Set(cmpLocal("2026-12-04 10:00")) // a Friday
	mgr := env.Token("manager@fieldops.test")
	// north: Monday 2026-12-07 is a holiday
	mustStatus(t, env.Do(http.MethodPut, "/v1/regions/north", mgr, map[string]any{"name": "North", "time_zone": "Asia/Shanghai",
		"work_start": "08:00", "work_end": "20:00", "slot_minutes": 120, "working_days": []string{"mon", "tue", "wed", "thu", "fri"},
		"holidays": []map[string]any{{"date": "2026-12-07", "name": "Founders' Day"}}}), http.StatusOK, "configure north")
	order := cmpOrder(t, env)

	alice := env.Token("alice@example.com")
	c := mustStatus(t, env.Do(http.MethodPost, "/v1/complaints", alice, map[string]any{"order_id": order, "category": "timeliness",
		"severity": "medium", "description": "Nobody called back"}), http.StatusCreated, "complain").JSON
	id := c["id"].(string)
	if c["status"] != "open" || c["level"] != float64(0) || c["region"] != "north" || c["source"] != "customer" {
		t.Fatalf("new complaint: %v", c)
	}
	// Fri 10:00 + 1 working day, skipping Sat, Sun and the Monday holiday: Tue 10:00
	if got, want := cmpTime(t, c["reply_due_at"]), cmpLocal("2026-12-08 10:00"); !got.Equal(want) {
		t.Errorf("reply_due_at = %s, want %s", got.In(shanghai), want)
	}
	if got, want := cmpTime(t, c["resolution_due_at"]), cmpLocal("2026-12-10 10:00"); !got.Equal(want) {
		t.Errorf("resolution_due_at = %s, want %s", got.In(shanghai), want)
	}
	if c["escalation_due_at"] != nil {
		t.Errorf("a customer sees escalation_due_at: %v", c["escalation_due_at"])
	}
	if n := cmpCount(t, env, `SELECT count(*) FROM outbox_events WHERE type = 'complaint.created' AND data->>'id' = ?`, id); n != 1 {
		t.Errorf("complaint.created events = %d, want 1", n)
	}

	svc := complaints.New(env.DB, env.Identity, env.Clock)
	level := func() float64 {
		t.Helper()
		return mustStatus(t, env.Do(http.MethodGet, "/v1/complaints/"+id, env.Token("manager@fieldops.test"), nil), http.StatusOK, "get").JSON["level"].(float64)
	}
	sweep := func(at string, want int) {
		t.Helper()
		env.Clock.Set(cmpLocal(at))
		// two workers at once: each breach escalates once
		var wg sync.WaitGroup
		got := make([]int, 2)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := svc.EscalateOverdue(ctx, env.Clock.Now())
				if err != nil {
					t.Error(err)
				}
				got[i] = n
			}()
		}
		wg.Wait()
		if got[0]+got[1] != want {
			t.Errorf("at %s: %d+%d escalations, want %d", at, got[0], got[1], want)
		}
	}

	sweep("2026-12-07 12:00", 0) // the holiday: not a working day
	sweep("2026-12-08 09:59", 0) // a minute early
	if l := level(); l != 0 {
		t.Fatalf("level %v before the reply was due", l)
	}
	sweep("2026-12-08 10:00", 1)
	if l := level(); l != 1 {
		t.Fatalf("level %v after the first breach, want 1", l)
	}
	staff := mustStatus(t, env.Do(http.MethodGet, "/v1/complaints/"+id, env.Token("dispatcher@fieldops.test"), nil), http.StatusOK, "get").JSON
	if got, want := cmpTime(t, staff["escalation_due_at"]), cmpLocal("2026-12-09 10:00"); !got.Equal(want) {
		t.Errorf("next escalation at %s, want %s", got.In(shanghai), want)
	}
	// the supervisor level's staff were told: in-house dispatchers
	if n := cmpCount(t, env, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
WHERE n.kind = 'complaint_escalated' AND u.email = 'dispatcher@fieldops.test'`); n != 1 {
		t.Errorf("in-house dispatcher notifications = %d, want 1", n)
	}
	if n := cmpCount(t, env, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
WHERE n.kind = 'complaint_escalated' AND u.role = 'manager'`); n != 0 {
		t.Errorf("managers told at level 1: %d", n)
	}
	inbox := mustStatus(t, env.Do(http.MethodGet, "/v1/notifications", env.Token("dispatcher@fieldops.test"), nil), http.StatusOK, "inbox")
	found := false
	for _, it := range inbox.Items(t) {
		found = found || it["kind"] == "complaint_escalated"
	}
	if !found {
		t.Errorf("the dispatcher's inbox has no complaint_escalated: %s", inbox.Raw)
	}

	sweep("2026-12-09 09:59", 0)
	sweep("2026-12-09 10:00", 1)
	if l := level(); l != 2 {
		t.Fatalf("level %v after the second breach, want 2", l)
	}
	if n := cmpCount(t, env, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
WHERE n.kind = 'complaint_escalated' AND u.role = 'manager'`); n != 1 {
		t.Errorf("manager notifications at level 2 = %d, want 1", n)
	}
	if n := cmpCount(t, env, `SELECT count(*) FROM outbox_events WHERE type = 'complaint.escalated' AND data->>'id' = ?`, id); n != 2 {
		t.Errorf("complaint.escalated events = %d, want 2", n)
	}
	sweep("2026-12-09 18:00", 0) // the same day: nothing more

	// the timeline: staff see both automatic escalations, the customer neither
	staff = mustStatus(t, env.Do(http.MethodGet, "/v1/complaints/"+id, env.Token("manager@fieldops.test"), nil), http.StatusOK, "get").JSON
	autos := 0
	for _, e := range staff["events"].([]any) {
		if e.(map[string]any)["action"] == "auto_escalate" {
			autos++
		}
	}
	if autos != 2 {
		t.Errorf("staff timeline has %d auto_escalate lines, want 2: %v", autos, staff["events"])
	}
	mine := mustStatus(t, env.Do(http.MethodGet, "/v1/complaints/"+id, env.Token("alice@example.com"), nil), http.StatusOK, "get").JSON
	for _, e := range mine["events"].([]any) {
		if ev := e.(map[string]any); ev["internal"] == true || ev["action"] == "auto_escalate" || ev["internal_note"] != nil {
			t.Errorf("the customer sees a staff-only line: %v", ev)
		}
	}

	// a reply stops the climb
	mustStatus(t, env.Do(http.MethodPost, "/v1/complaints/"+id+"/respond", env.Token("manager@fieldops.test"),
		map[string]any{"text": "We are on it"}), http.StatusOK, "respond")
	sweep("2026-12-14 10:00", 0)
}

// The workflow: respond, resolve, the customer rejects (one level up, open
// again), staff escalate up to 3 (then 409); notes and scope.
func TestComplaintWorkflow(t *testing.T) {
	env := apitest.New(t)
	alice, bob := env.Token("alice@example.com"), env.Token("bob@example.com")
	disp, mgr := env.Token("dispatcher@fieldops.test"), env.Token("manager@fieldops.test")
	order := cmpOrder(t, env)
	id := mustStatus(t, env.Do(http.MethodPost, "/v1/complaints", alice, map[string]any{"order_id": order, "category": "attitude",
		"severity": "high", "description": "Rude on the phone"}), http.StatusCreated, "complain").JSON["id"].(string)
	path := "/v1/complaints/" + id

	// customers cannot act as staff; staff cannot reject for the customer
	for _, a := range []struct{ action, field string }{{"respond", "text"}, {"escalate", "reason"}, {"resolve", "resolution"}} {
		r := env.Do(http.MethodPost, path+"/"+a.action, alice, map[string]any{a.field: "x"})
		if r.Status != http.StatusForbidden {
			t.Errorf("customer %s: %d %s", a.action, r.Status, r.Raw)
		}
	}
	mustStatus(t, env.Do(http.MethodPost, path+"/reject-resolution", disp, map[string]any{"reason": "x"}), http.StatusForbidden, "staff reject")
	// rejecting before a resolution
	mustStatus(t, env.Do(http.MethodPost, path+"/reject-resolution", alice, map[string]any{"reason": "x"}), http.StatusConflict, "reject unresolved")
	// another customer: 404 everywhere, and not listed
	mustStatus(t, env.Do(http.MethodGet, path, bob, nil), http.StatusNotFound, "bob reads")
	mustStatus(t, env.Do(http.MethodPost, path+"/reject-resolution", bob, map[string]any{"reason": "x"}), http.StatusNotFound, "bob rejects")
	if items := mustStatus(t, env.Do(http.MethodGet, "/v1/complaints", bob, nil), http.StatusOK, "bob lists").Items(t); len(items) != 0 {
		t.Errorf("bob lists %d complaints", len(items))
	}
	// a partner's dispatcher: not their provider's order
	mustStatus(t, env.Do(http.MethodGet, path, env.Token("dispatcher@coolfix.test"), nil), http.StatusNotFound, "partner reads")
	// technicians have no complaint routes
	mustStatus(t, env.Do(http.MethodGet, "/v1/complaints", env.Token("tom@fieldops.test"), nil), http.StatusForbidden, "technician lists")
	mustStatus(t, env.Do(http.MethodGet, "/v1/complaints", "", nil), http.StatusUnauthorized, "anonymous")

	r := mustStatus(t, env.Do(http.MethodPost, path+"/respond", disp, map[string]any{"text": "Sorry, we will call you",
		"internal_note": "agent was new"}), http.StatusOK, "respond").JSON
	if r["status"] != "responded" || r["response"] != "Sorry, we will call you" || r["responded_at"] == nil || r["escalation_due_at"] != nil ||
		!cmpTime(t, r["updated_at"]).Equal(env.Clock.Now()) {
		t.Fatalf("respond: %v", r)
	}
	mustStatus(t, env.Do(http.MethodPost, path+"/escalate", disp, map[string]any{"reason": "VIP customer"}), http.StatusOK, "escalate")
	r = mustStatus(t, env.Do(http.MethodPost, path+"/resolve", mgr, map[string]any{"resolution": "Apology and voucher",
		"internal_note": "voucher 20"}), http.StatusOK, "resolve").JSON
	if r["status"] != "resolved" || r["resolution"] != "Apology and voucher" || r["close_due_at"] == nil || r["level"] != float64(1) {
		t.Fatalf("resolve: %v", r)
	}
	mustStatus(t, env.Do(http.MethodPost, path+"/respond", disp, map[string]any{"text": "more"}), http.StatusConflict, "respond resolved")

	// the customer sees the reply and resolution, not the notes or the escalation
	mine := mustStatus(t, env.Do(http.MethodGet, path, alice, nil), http.StatusOK, "alice reads").JSON
	for _, e := range mine["events"].([]any) {
		ev := e.(map[string]any)
		if ev["internal_note"] != nil || ev["action"] == "escalate" || (ev["actor_role"] != "customer" && ev["actor_id"] != nil) {
			t.Errorf("customer sees staff-only data: %v", ev)
		}
	}
	if n := len(mine["events"].([]any)); n != 3 { // create, respond, resolve
		t.Errorf("customer timeline has %d lines, want 3: %v", n, mine["events"])
	}
	staffView := mustStatus(t, env.Do(http.MethodGet, path, mgr, nil), http.StatusOK, "manager reads").JSON
	if n := len(staffView["events"].([]any)); n != 4 {
		t.Errorf("staff timeline has %d lines, want 4", n)
	}

	// rejecting: open again, one level up, escalation event
	r = mustStatus(t, env.Do(http.MethodPost, path+"/reject-resolution", alice, map[string]any{"reason": "A voucher is not enough"}), http.StatusOK, "reject").JSON
	if r["status"] != "open" || r["level"] != float64(2) || r["resolved_at"] != nil || r["close_due_at"] != nil {
		t.Fatalf("reject: %v", r)
	}
	mustStatus(t, env.Do(http.MethodPost, path+"/escalate", mgr, map[string]any{"reason": "to the director"}), http.StatusOK, "escalate to 3")
	p := mustStatus(t, env.Do(http.MethodPost, path+"/escalate", mgr, map[string]any{"reason": "higher"}), http.StatusConflict, "escalate past 3")
	if d, _ := p.JSON["detail"].(string); !strings.Contains(d, "level 3") {
		t.Errorf("409 without current_level: %s", p.Raw)
	}
	if n := cmpCount(t, env, `SELECT count(*) FROM outbox_events WHERE type = 'complaint.escalated' AND data->>'id' = ?`, id); n != 3 {
		t.Errorf("complaint.escalated events = %d, want 3", n)
	}

	// filters
	if items := mustStatus(t, env.Do(http.MethodGet, "/v1/complaints?status=open&level=3", mgr, nil), http.StatusOK, "filter").Items(t); len(items) != 1 || items[0]["id"] != id {
		t.Errorf("filter open/3 = %v", items)
	}
	if items := mustStatus(t, env.Do(http.MethodGet, "/v1/complaints?status=resolved", mgr, nil), http.StatusOK, "filter").Items(t); len(items) != 0 {
		t.Errorf("filter resolved = %v", items)
	}
}

// A resolution nobody rejects closes by itself 3 working days later.
func TestComplaintClosesAfterResolution(t *testing.T) {
	env := apitest.New(t)
	env.Clock.Set(cmpLocal("2026-12-03 09:00")) // a Thursday
	id := mustStatus(t, env.Do(http.MethodPost, "/v1/complaints", env.Token("alice@example.com"), map[string]any{"category": "billing",
		"severity": "low", "description": "Charged twice"}), http.StatusCreated, "complain").JSON
	if id["region"] != "default" || id["order_id"] != nil {
		t.Fatalf("complaint without an order: %v", id)
	}
	path := "/v1/complaints/" + id["id"].(string)
	r := mustStatus(t, env.Do(http.MethodPost, path+"/resolve", env.Token("dispatcher@fieldops.test"), map[string]any{"resolution": "Refunded"}), http.StatusOK, "resolve").JSON
	// Thu 09:00 + 3 working days (default calendar, Mon–Fri) = Tue 09:00
	if got, want := cmpTime(t, r["close_due_at"]), cmpLocal("2026-12-08 09:00"); !got.Equal(want) {
		t.Fatalf("close_due_at = %s, want %s", got.In(shanghai), want)
	}
	svc := complaints.New(env.DB, env.Identity, env.Clock)
	if n, err := svc.CloseResolved(context.Background(), cmpLocal("2026-12-08 08:59")); err != nil || n != 0 {
		t.Fatalf("early close: %d %v", n, err)
	}
	if n, err := svc.CloseResolved(context.Background(), cmpLocal("2026-12-08 09:00")); err != nil || n != 1 {
		t.Fatalf("close: %d %v", n, err)
	}
	env.Clock.Set(cmpLocal("2026-12-08 09:00"))
	c := mustStatus(t, env.Do(http.MethodGet, path, env.Token("alice@example.com"), nil), http.StatusOK, "get").JSON
	if c["status"] != "closed" || c["closed_at"] == nil {
		t.Fatalf("not closed: %v", c)
	}
	mustStatus(t, env.Do(http.MethodPost, path+"/reject-resolution", env.Token("alice@example.com"), map[string]any{"reason": "late"}), http.StatusConflict, "reject closed")
}

// Staff file for a customer; bad input is 422 naming the field and leaves nothing.
func TestComplaintCreateRules(t *testing.T) {
	env := apitest.New(t)
	alice, bob, disp := env.Token("alice@example.com"), env.Token("bob@example.com"), env.Token("dispatcher@fieldops.test")
	order := cmpOrder(t, env)
	good := func() map[string]any {
		return map[string]any{"category": "damage", "severity": "high", "description": "Scratched the floor"}
	}
	bad := []struct {
		who, field string
		edit       func(m map[string]any)
	}{
		{bob, "order_id", func(m map[string]any) { m["order_id"] = order }}, // not bob's order
		{alice, "customer_id", func(m map[string]any) { m["customer_id"] = env.UserID("bob@example.com") }},
		{alice, "category", func(m map[string]any) { m["category"] = "weather" }},
		{alice, "severity", func(m map[string]any) { m["severity"] = "extreme" }},
		{alice, "description", func(m map[string]any) { m["description"] = "" }},
		{alice, "order_id", func(m map[string]any) { m["order_id"] = "not-a-uuid" }},
		{disp, "customer_id", func(m map[string]any) {}},                                                     // staff must name someone
		{disp, "customer_id", func(m map[string]any) { m["customer_id"] = env.UserID("tom@fieldops.test") }}, // not a customer
		{disp, "customer_id", func(m map[string]any) { m["order_id"], m["customer_id"] = order, env.UserID("bob@example.com") }},
		{env.Token("dispatcher@coolfix.test"), "order_id", func(m map[string]any) { m["order_id"] = order }}, // not their provider's
	}
	for i, b := range bad {
		m := good()
		b.edit(m)
		r := env.Do(http.MethodPost, "/v1/complaints", b.who, m)
		if r.Status != http.StatusUnprocessableEntity || !slices.Contains(fieldsOf(r), b.field) {
			t.Errorf("case %d (%s): %d %s", i, b.field, r.Status, r.Raw)
		}
	}
	if n := env.Count("complaints") + env.Count("complaint_events"); n != 0 {
		t.Fatalf("refused complaints left %d rows", n)
	}
	// staff on behalf of the order's customer
	m := good()
	m["order_id"] = order
	c := mustStatus(t, env.Do(http.MethodPost, "/v1/complaints", disp, m), http.StatusCreated, "staff files").JSON
	if c["customer_id"] != env.UserID("alice@example.com") || c["source"] != "staff" {
		t.Fatalf("staff complaint: %v", c)
	}
	// alice sees it, without the dispatcher's id
	got := mustStatus(t, env.Do(http.MethodGet, "/v1/complaints/"+c["id"].(string), alice, nil), http.StatusOK, "alice reads").JSON
	if ev := got["events"].([]any)[0].(map[string]any); ev["actor_id"] != nil || ev["actor_role"] != "dispatcher" {
		t.Errorf("create line for the customer: %v", ev)
	}
	// paging: three more, pages of two, newest first
	for range 3 {
		mustStatus(t, env.Do(http.MethodPost, "/v1/complaints", alice, good()), http.StatusCreated, "complain")
		env.Clock.Advance(time.Minute)
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		q := "/v1/complaints?limit=2"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		r := mustStatus(t, env.Do(http.MethodGet, q, alice, nil), http.StatusOK, "page")
		for _, it := range r.Items(t) {
			seen[it["id"].(string)] = true
		}
		next, _ := r.JSON["next_cursor"].(string)
		if next == "" || pages > 5 {
			break
		}
		cursor = next
	}
	if len(seen) != 4 {
		t.Errorf("paged through %d complaints, want 4", len(seen))
	}
	mustStatus(t, env.Do(http.MethodGet, "/v1/complaints?level=7", alice, nil), http.StatusUnprocessableEntity, "bad level")
}

// A rating of 2 or less opens a complaint on the same path: due times and
// complaint.created.
func TestLowRatingComplaintHasDueTimes(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "maintenance")
	mustStatus(t, c.complete(t, signaturePNG(t)), http.StatusOK, "complete")
	r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/rating", c.alice, map[string]any{
		"score": 1, "timeliness": 1, "attitude": 2, "quality": 1, "comment": "Still broken"}), http.StatusCreated, "rate").JSON
	id, _ := r["complaint_id"].(string)
	cp := mustStatus(t, env.Do(http.MethodGet, "/v1/complaints/"+id, c.disp, nil), http.StatusOK, "get").JSON
	if cp["source"] != "rating" || cp["region"] != "north" || cp["severity"] != "high" || cp["escalation_due_at"] == nil {
		t.Fatalf("rating complaint: %v", cp)
	}
	created := cmpTime(t, cp["created_at"])
	if due := cmpTime(t, cp["reply_due_at"]); !due.After(created) || due.Sub(created) > 4*24*time.Hour {
		t.Errorf("reply_due_at %s for created %s", due, created)
	}
	if n := cmpCount(t, env, `SELECT count(*) FROM outbox_events WHERE type = 'complaint.created' AND data->>'id' = ?`, id); n != 1 {
		t.Errorf("complaint.created events = %d, want 1", n)
	}
}

// The sweep is registered as a periodic job: running the due jobs (as the
// workers or POST /v1/dev/jobs/run do) escalates an overdue complaint.
func TestComplaintSweepIsAPeriodicJob(t *testing.T) {
	env := apitest.New(t)
	env.Clock.Set(cmpLocal("2026-12-04 15:00")) // a Friday
	c := mustStatus(t, env.Do(http.MethodPost, "/v1/complaints", env.Token("alice@example.com"), map[string]any{"category": "other",
		"severity": "low", "description": "No answer"}), http.StatusCreated, "complain").JSON
	env.Clock.Set(cmpLocal("2026-12-07 15:00")) // Monday: one working day later
	if _, err := env.Jobs.RunPeriodic(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := mustStatus(t, env.Do(http.MethodGet, "/v1/complaints/"+c["id"].(string), env.Token("manager@fieldops.test"), nil), http.StatusOK, "get").JSON
	if got["level"] != float64(1) {
		t.Fatalf("level after the periodic run = %v, want 1", got["level"])
	}
}

// A partner's dispatchers see the complaints about their provider's orders,
// file them on those orders only, and are told at level 1.
func TestComplaintPartnerScope(t *testing.T) {
	env := apitest.New(t)
	disp, pdisp := env.Token("dispatcher@fieldops.test"), env.Token("dispatcher@coolfix.test")
	bob := env.Token("bob@example.com")
	o := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", bob, map[string]any{"type": "repair", "description": "AC rattles",
		"address": map[string]any{"line1": "7 Garden Lane", "city": "Southbay", "region": "south"}}), http.StatusCreated, "order").JSON
	oid := o["id"].(string)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+oid+"/triage", disp, map[string]any{}), http.StatusOK, "triage")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+oid+"/assign", disp, map[string]any{"technician_id": env.UserID("carl@coolfix.test")}), http.StatusOK, "assign")

	// the partner files one for bob on their order; an in-house complaint stays hidden
	c := mustStatus(t, env.Do(http.MethodPost, "/v1/complaints", pdisp, map[string]any{"order_id": oid, "category": "parts",
		"severity": "low", "description": "Wrong part brought"}), http.StatusCreated, "partner files").JSON
	if c["customer_id"] != env.UserID("bob@example.com") || c["region"] != "south" {
		t.Fatalf("partner complaint: %v", c)
	}
	other := mustStatus(t, env.Do(http.MethodPost, "/v1/complaints", env.Token("alice@example.com"), map[string]any{"category": "other",
		"severity": "low", "description": "No order"}), http.StatusCreated, "alice").JSON
	items := mustStatus(t, env.Do(http.MethodGet, "/v1/complaints", pdisp, nil), http.StatusOK, "partner lists").Items(t)
	if len(items) != 1 || items[0]["id"] != c["id"] {
		t.Errorf("partner lists %v", items)
	}
	mustStatus(t, env.Do(http.MethodGet, "/v1/complaints/"+other["id"].(string), pdisp, nil), http.StatusNotFound, "partner reads in-house")
	mustStatus(t, env.Do(http.MethodPost, "/v1/complaints/"+other["id"].(string)+"/respond", pdisp, map[string]any{"text": "x"}), http.StatusNotFound, "partner responds in-house")
	if n := len(mustStatus(t, env.Do(http.MethodGet, "/v1/complaints", bob, nil), http.StatusOK, "bob lists").Items(t)); n != 1 {
		t.Errorf("bob lists %d", n)
	}

	// overdue: level 1 tells the in-house dispatchers and this partner's
	svc := complaints.New(env.DB, env.Identity, env.Clock)
	if n, err := svc.EscalateOverdue(context.Background(), cmpTime(t, c["reply_due_at"])); err != nil || n != 2 {
		t.Fatalf("escalated %d, %v; want 2", n, err)
	}
	if n := cmpCount(t, env, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
WHERE n.kind = 'complaint_escalated' AND u.email = 'dispatcher@coolfix.test'`); n != 1 {
		t.Errorf("partner dispatcher notifications = %d, want 1 (their order's complaint only)", n)
	}
	if n := cmpCount(t, env, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
WHERE n.kind = 'complaint_escalated' AND u.email = 'dispatcher@fieldops.test'`); n != 2 {
		t.Errorf("in-house dispatcher notifications = %d, want 2", n)
	}
}
