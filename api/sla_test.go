package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/jobs"
)

// p1Order is a repair of the given priority that the in-house dispatcher
// takes on the phone for alice, in region north; it returns its id. The
// creation is not a first response.
func p1Order(t *testing.T, env *apitest.Env, priority string) string {
	t.Helper()
	o := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", env.Token("dispatcher@fieldops.test"), map[string]any{
		"type": "repair", "channel": "phone", "priority": priority, "description": "AC blows hot air",
		"customer_id": env.UserID("alice@example.com"),
		"address":     map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"},
	}), http.StatusCreated, "create").JSON
	return o["id"].(string)
}

// slaOf reads the order's sla block as the dispatcher.
func slaOf(t *testing.T, env *apitest.Env, id string) map[string]any {
	t.Helper()
	r := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, env.Token("dispatcher@fieldops.test"), nil), http.StatusOK, "get order")
	return r.JSON["sla"].(map[string]any)
}

// dueTime parses a due time of an sla block.
func dueTime(t *testing.T, sla map[string]any, key string) time.Time {
	t.Helper()
	s, ok := sla[key].(string)
	if !ok {
		t.Fatalf("sla.%s = %v, want a time", key, sla[key])
	}
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// countRows counts rows of a query's single count column.
func countRows(t *testing.T, env *apitest.Env, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := env.DB.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// breachFacts are what one breach writes: events, notifications by user, outbox rows.
func breachFacts(t *testing.T, env *apitest.Env, id string) (events, toDana, toPavel, outbox int64) {
	t.Helper()
	events = countRows(t, env, `SELECT count(*) FROM order_events WHERE order_id = ? AND action = 'sla.breached'`, id)
	toDana = countRows(t, env, `SELECT count(*) FROM notifications WHERE order_id = ? AND kind = 'sla_breached' AND user_id = ?`,
		id, env.UserID("dispatcher@fieldops.test"))
	toPavel = countRows(t, env, `SELECT count(*) FROM notifications WHERE order_id = ? AND kind = 'sla_breached' AND user_id = ?`,
		id, env.UserID("dispatcher@coolfix.test"))
	outbox = countRows(t, env, `SELECT count(*) FROM outbox_events WHERE order_id = ? AND type = 'sla.breached'`, id)
	return
}

// startWorkers starts a River client of its own on env's database with the
// orders' periodic jobs, stopped when the test ends.
func startWorkers(t *testing.T, env *apitest.Env, id string) *jobs.Client {
	t.Helper()
	reg := jobs.NewRegistry()
	env.Orders.RegisterJobs(reg)
	c, err := jobs.New(env.DB, reg, jobs.Options{PollInterval: 20 * time.Millisecond, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("stop workers %s: %v", id, err)
		}
	})
	return c
}

// waitUntil polls cond every 20 ms until it holds or within passes.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		<-tick.C
	}
}

// The required proof (issue 11): an unacknowledged P1 order breaches its
// 30-minute first response exactly once, with two River clients working the
// sweep against one database and the sweep run concurrently besides.
func TestSLAFirstResponseBreachesOnceWithTwoWorkers(t *testing.T) {
	env := apitest.New(t)
	id := p1Order(t, env, "P1")
	created := env.Clock.Now()
	if due := dueTime(t, slaOf(t, env, id), "first_response_due"); !due.Equal(created.Add(30 * time.Minute)) {
		t.Fatalf("first_response_due = %v, want created + 30 min (%v)", due, created.Add(30*time.Minute))
	}

	// at 29 minutes nothing is due
	env.Clock.Advance(29 * time.Minute)
	if n, err := env.Orders.SweepSLA(context.Background()); err != nil || n != 0 {
		t.Fatalf("sweep before the due time marked %d (%v), want 0", n, err)
	}
	env.Clock.Advance(2 * time.Minute) // 31 minutes: the first response is late

	a, b := startWorkers(t, env, "worker-a"), startWorkers(t, env, "worker-b")
	const runs = 6
	for i := range runs { // extra sweeps through River, taken by either client
		c := a
		if i%2 == 1 {
			c = b
		}
		if err := c.RunNow(context.Background(), "sla.breaches"); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	marked := make([]int, 4)
	for i := range marked { // and sweeps called directly, all at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := env.Orders.SweepSLA(context.Background())
			if err != nil {
				t.Errorf("sweep %d: %v", i, err)
			}
			marked[i] = n
		}()
	}
	wg.Wait()
	waitUntil(t, 30*time.Second, "the River sweeps to finish", func() bool {
		return countRows(t, env, `SELECT count(*) FROM river_job WHERE kind = 'fieldops.periodic'
			AND args->>'name' = 'sla.breaches' AND state IN ('available', 'running', 'retryable', 'scheduled', 'pending')`) == 0 &&
			countRows(t, env, `SELECT count(*) FROM river_job WHERE kind = 'fieldops.periodic' AND args->>'name' = 'sla.breaches' AND state = 'completed'`) >= runs
	})
	if n := countRows(t, env, `SELECT count(*) FROM river_job WHERE state = 'discarded' OR errors IS NOT NULL`); n != 0 {
		t.Errorf("%d River jobs failed", n)
	}
	if n := countRows(t, env, `SELECT count(DISTINCT attempted_by[1]) FROM river_job WHERE kind = 'fieldops.periodic' AND state = 'completed'`); n < 1 {
		t.Errorf("no client worked the sweeps")
	}

	events, toDana, toPavel, outbox := breachFacts(t, env, id)
	if events != 1 || toDana != 1 || toPavel != 0 || outbox != 1 {
		t.Fatalf("after concurrent sweeps: %d sla.breached events, %d notifications to the in-house dispatcher, %d to the partner's, %d outbox events; want 1, 1, 0, 1",
			events, toDana, toPavel, outbox)
	}
	var raw []byte
	var data map[string]any
	if err := env.DB.Raw(`SELECT data FROM outbox_events WHERE order_id = ? AND type = 'sla.breached'`, id).Row().Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	if data["order_id"] != id || data["milestone"] != "first_response" || data["due_at"] != created.Add(30*time.Minute).Format(time.RFC3339) ||
		data["breached_at"] != created.Add(31*time.Minute).Format(time.RFC3339) || data["priority"] != "P1" || data["status"] != "submitted" {
		t.Errorf("outbox sla.breached data = %v", data)
	}
	sla := slaOf(t, env, id)
	if br := sla["breached"].([]any); len(br) != 1 || br[0] != "first_response" {
		t.Errorf("sla.breached = %v, want [first_response]", br)
	}

	// staff read the event (written by the system); the customer does not
	disp := env.Token("dispatcher@fieldops.test")
	var seen map[string]any
	for _, e := range mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id+"/events", disp, nil), http.StatusOK, "events").Items(t) {
		if e["action"] == "sla.breached" {
			seen = e
		}
	}
	if seen == nil || seen["actor_role"] != "system" || seen["actor"] != nil || seen["audience"] != "staff" {
		t.Fatalf("dispatcher's sla.breached event = %v, want a staff event by the system", seen)
	}
	if p := seen["payload"].(map[string]any); p["milestone"] != "first_response" || p["due_at"] != created.Add(30*time.Minute).Format(time.RFC3339) {
		t.Errorf("payload = %v, want milestone first_response, due_at %s", p, created.Add(30*time.Minute).Format(time.RFC3339))
	}
	for _, e := range mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id+"/events", env.Token("alice@example.com"), nil), http.StatusOK, "events").Items(t) {
		if e["action"] == "sla.breached" {
			t.Error("the customer reads the internal sla.breached event")
		}
	}
	inbox := mustStatus(t, env.Do(http.MethodGet, "/v1/notifications", disp, nil), http.StatusOK, "inbox").Items(t)
	if len(inbox) == 0 || inbox[0]["kind"] != "sla_breached" {
		t.Errorf("the dispatcher's inbox starts with %v, want the sla_breached notification", inbox)
	}

	// later sweeps change nothing
	env.Clock.Advance(time.Hour)
	if _, err := env.Orders.SweepSLA(context.Background()); err != nil {
		t.Fatal(err)
	}
	if events, toDana, _, outbox := breachFacts(t, env, id); events != 1 || toDana != 1 || outbox != 1 {
		t.Errorf("a later sweep wrote again: %d events, %d notifications, %d outbox rows", events, toDana, outbox)
	}
}

func TestSLAAcknowledgedInTimeDoesNotBreach(t *testing.T) {
	env := apitest.New(t)
	id := p1Order(t, env, "P1")
	env.Clock.Advance(10 * time.Minute)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", env.Token("dispatcher@fieldops.test"), map[string]any{}), http.StatusOK, "triage")
	if at := dueTime(t, slaOf(t, env, id), "first_responded_at"); !at.Equal(env.Clock.Now()) {
		t.Errorf("first_responded_at = %v, want the triage time %v", at, env.Clock.Now())
	}
	env.Clock.Advance(time.Hour)
	if _, err := env.Jobs.RunPeriodic(context.Background()); err != nil {
		t.Fatal(err)
	}
	if events, toDana, _, outbox := breachFacts(t, env, id); events != 0 || toDana != 0 || outbox != 0 {
		t.Errorf("an order acknowledged in time breached: %d events, %d notifications, %d outbox rows", events, toDana, outbox)
	}
	if br := slaOf(t, env, id)["breached"].([]any); len(br) != 0 {
		t.Errorf("sla.breached = %v, want none", br)
	}
}

func TestSLATriageRepriorityRecomputesDueTimes(t *testing.T) {
	env := apitest.New(t)
	id := p1Order(t, env, "P3")
	created := env.Clock.Now()
	sla := slaOf(t, env, id)
	if got := dueTime(t, sla, "first_response_due"); !got.Equal(created.Add(24 * time.Hour)) {
		t.Fatalf("P3 first_response_due = %v, want +24 h", got)
	}
	env.Clock.Advance(20 * time.Minute)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", env.Token("dispatcher@fieldops.test"), map[string]any{"priority": "P1"}), http.StatusOK, "triage")
	sla = slaOf(t, env, id)
	for key, want := range map[string]time.Duration{"first_response_due": 30 * time.Minute, "on_site_due": 24 * time.Hour, "resolution_due": 48 * time.Hour} {
		if got := dueTime(t, sla, key); !got.Equal(created.Add(want)) {
			t.Errorf("after P3→P1 %s = %v, want created + %v (%v)", key, got, want, created.Add(want))
		}
	}
}

func TestSLAPauseInAwaitingPartsPushesResolutionDue(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "repair")
	before := dueTime(t, slaOf(t, env, c.id), "resolution_due")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/awaiting-parts", c.tom, map[string]any{"note": "pump ordered"}), http.StatusOK, "awaiting parts")
	const paused = 5*time.Hour + 30*time.Minute
	env.Clock.Advance(paused)
	if got := dueTime(t, slaOf(t, env, c.id), "resolution_due"); !got.Equal(before) {
		t.Errorf("resolution_due moved while paused: %v, want %v until the pause ends", got, before)
	}
	alice := env.Token("alice@example.com") // a fresh token at the new time
	slots := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+c.id+"/slots?days=3", alice, nil), http.StatusOK, "slots")
	first := slots.JSON["items"].([]any)[0].(map[string]any)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/appointment", alice, map[string]any{"start": first["start"], "end": first["end"]}), http.StatusOK, "rebook")
	if got := dueTime(t, slaOf(t, env, c.id), "resolution_due"); !got.Equal(before.Add(paused)) {
		t.Errorf("resolution_due after the pause = %v, want %v (+%v)", got, before.Add(paused), paused)
	}
	// a pause does not count towards a resolution breach: past the original
	// due time but within the pushed one, the sweep marks nothing
	env.Clock.Set(before.Add(time.Hour))
	if _, err := env.Orders.SweepSLA(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, env, `SELECT count(*) FROM order_events WHERE order_id = ? AND action = 'sla.breached' AND payload->>'milestone' = 'resolution'`, c.id); n != 0 {
		t.Errorf("resolution marked breached inside the pushed due time")
	}
}

func TestSLAPoliciesReadAndChange(t *testing.T) {
	env := apitest.New(t)
	mgr, disp := env.Token("manager@fieldops.test"), env.Token("dispatcher@fieldops.test")
	r := mustStatus(t, env.Do(http.MethodGet, "/v1/sla-policies", mgr, nil), http.StatusOK, "list")
	items := r.Items(t)
	if len(items) != 24 {
		t.Fatalf("%d policies, want 24 (6 types × 4 priorities)", len(items))
	}
	if p := items[0]; p["order_type"] != "install" || p["priority"] != "P1" || p["first_response_minutes"] != 30.0 ||
		p["on_site_minutes"] != 1440.0 || p["resolution_minutes"] != 2880.0 || p["clock"] != "wall" {
		t.Errorf("first policy = %v, want install P1 30/1440/2880 wall (SPEC §4)", p)
	}
	for _, p := range items {
		if p["priority"] == "P4" && p["on_site_minutes"] != nil {
			t.Errorf("%v: P4 on site is by appointment (null)", p)
		}
	}

	t.Run("outsiders are refused", func(t *testing.T) {
		mustStatus(t, env.Do(http.MethodGet, "/v1/sla-policies", "", nil), http.StatusUnauthorized, "no token")
		mustStatus(t, env.Do(http.MethodGet, "/v1/sla-policies", disp, nil), http.StatusForbidden, "dispatcher reads")
		mustStatus(t, env.Do(http.MethodPut, "/v1/sla-policies", env.Token("alice@example.com"), map[string]any{"policies": []any{}}), http.StatusForbidden, "customer writes")
	})

	bad := []struct {
		name, field string
		policies    []map[string]any
	}{
		{"an unknown order type", "policies[0].order_type", []map[string]any{{"order_type": "teleport", "priority": "P1", "first_response_minutes": 10, "on_site_minutes": nil, "resolution_minutes": 60, "clock": "wall"}}},
		{"an unknown clock", "policies[0].clock", []map[string]any{{"order_type": "repair", "priority": "P1", "first_response_minutes": 10, "on_site_minutes": nil, "resolution_minutes": 60, "clock": "lunar"}}},
		{"a zero target", "policies[0].first_response_minutes", []map[string]any{{"order_type": "repair", "priority": "P1", "first_response_minutes": 0, "on_site_minutes": nil, "resolution_minutes": 60, "clock": "wall"}}},
		{"a negative on-site target", "policies[0].on_site_minutes", []map[string]any{{"order_type": "repair", "priority": "P1", "first_response_minutes": 5, "on_site_minutes": -1, "resolution_minutes": 60, "clock": "wall"}}},
		{"a repeated type × priority", "policies[1].priority", []map[string]any{
			{"order_type": "repair", "priority": "P2", "first_response_minutes": 5, "on_site_minutes": nil, "resolution_minutes": 60, "clock": "wall"},
			{"order_type": "repair", "priority": "P2", "first_response_minutes": 6, "on_site_minutes": nil, "resolution_minutes": 60, "clock": "wall"}}},
		{"an empty list", "policies", []map[string]any{}},
	}
	for _, tc := range bad {
		t.Run(tc.name+" is refused naming the field, nothing changes", func(t *testing.T) {
			r := mustStatus(t, env.Do(http.MethodPut, "/v1/sla-policies", mgr, map[string]any{"policies": tc.policies}), http.StatusUnprocessableEntity, tc.name)
			if !slaProblemNames(r, tc.field) {
				t.Errorf("problem %s does not name %s", r.Raw, tc.field)
			}
			if n := countRows(t, env, `SELECT count(*) FROM sla_policies WHERE clock <> 'wall' OR (order_type = 'repair' AND priority = 'P2' AND first_response_minutes <> 120)`); n != 0 {
				t.Errorf("a refused change left %d policies changed", n)
			}
		})
	}

	t.Run("a working-hours policy counts the region's working time", func(t *testing.T) {
		r := mustStatus(t, env.Do(http.MethodPut, "/v1/sla-policies", mgr, map[string]any{"policies": []map[string]any{
			{"order_type": "repair", "priority": "P1", "first_response_minutes": 30, "on_site_minutes": 240, "resolution_minutes": 600, "clock": "working"}}}),
			http.StatusOK, "put")
		for _, p := range r.Items(t) {
			if p["order_type"] == "repair" && p["priority"] == "P1" && (p["clock"] != "working" || p["resolution_minutes"] != 600.0) {
				t.Errorf("repair P1 = %v after the change", p)
			}
		}
		// Friday 2026-06-05 19:50 in Asia/Shanghai (region north: 08:00–20:00,
		// Monday to Friday): 10 minutes left on Friday, the rest from Monday 08:00
		env.Clock.Set(time.Date(2026, 6, 5, 11, 50, 0, 0, time.UTC))
		id := p1Order(t, env, "P1")
		sla := slaOf(t, env, id)
		monday := time.Date(2026, 6, 8, 0, 0, 0, 0, time.UTC) // 08:00 in Shanghai
		for key, want := range map[string]time.Time{"first_response_due": monday.Add(20 * time.Minute),
			"on_site_due": monday.Add(230 * time.Minute), "resolution_due": monday.Add(590 * time.Minute)} {
			if got := dueTime(t, sla, key); !got.Equal(want) {
				t.Errorf("%s = %v, want %v", key, got, want)
			}
		}

		// Triage moves it to a region that opens at 12:00: its calendar now
		// counts the hours (10 minutes on Friday, the rest from Monday 12:00).
		mustStatus(t, env.Do(http.MethodPut, "/v1/regions/late", env.Token("manager@fieldops.test"), map[string]any{"name": "Late", "time_zone": "Asia/Shanghai",
			"work_start": "12:00", "work_end": "20:00", "slot_minutes": 120, "working_days": []string{"mon", "tue", "wed", "thu", "fri"},
			"holidays": []any{}}), http.StatusOK, "late region")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", env.Token("dispatcher@fieldops.test"), map[string]any{"region": "late"}),
			http.StatusOK, "move to late")
		sla = slaOf(t, env, id)
		noon := monday.Add(4 * time.Hour) // 12:00 in Shanghai
		for key, want := range map[string]time.Time{"first_response_due": noon.Add(20 * time.Minute),
			"on_site_due": noon.Add(230 * time.Minute), "resolution_due": noon.Add(24*time.Hour + 110*time.Minute)} {
			if got := dueTime(t, sla, key); !got.Equal(want) {
				t.Errorf("after the move, %s = %v, want %v", key, got, want)
			}
		}
	})
}

// slaProblemNames reports whether a problem response names field among its errors.
func slaProblemNames(r apitest.Response, field string) bool {
	list, _ := r.JSON["errors"].([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok && m["field"] == field {
			return true
		}
	}
	return false
}

func TestDevRoutesAreAbsentOutsideDevMode(t *testing.T) {
	env := apitest.New(t)
	mgr := env.Token("manager@fieldops.test")
	mustStatus(t, env.Do(http.MethodPost, "/v1/dev/clock", mgr, map[string]any{"now": "2030-01-01T00:00:00Z"}), http.StatusNotFound, "dev clock")
	mustStatus(t, env.Do(http.MethodPost, "/v1/dev/jobs/run", mgr, nil), http.StatusNotFound, "dev jobs")
	if !env.Clock.Now().Before(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("the clock moved outside dev mode")
	}
}

func TestDevClockAndJobsDriveABreachFromOutside(t *testing.T) {
	env := apitest.New(t, apitest.DevMode)
	mgr, disp := env.Token("manager@fieldops.test"), env.Token("dispatcher@fieldops.test")
	id := p1Order(t, env, "P1")
	start := env.Clock.Now()

	mustStatus(t, env.Do(http.MethodPost, "/v1/dev/clock", "", map[string]any{"now": start.Add(time.Hour)}), http.StatusUnauthorized, "no token")
	mustStatus(t, env.Do(http.MethodPost, "/v1/dev/clock", disp, map[string]any{"now": start.Add(time.Hour)}), http.StatusForbidden, "dispatcher")
	mustStatus(t, env.Do(http.MethodPost, "/v1/dev/jobs/run", disp, nil), http.StatusForbidden, "dispatcher runs jobs")
	mustStatus(t, env.Do(http.MethodPost, "/v1/dev/clock", mgr, map[string]any{"now": "yesterday"}), http.StatusBadRequest, "not a time")

	r := mustStatus(t, env.Do(http.MethodPost, "/v1/dev/clock", mgr, map[string]any{"now": start.Add(31 * time.Minute)}), http.StatusOK, "forward")
	if r.JSON["now"] != start.Add(31*time.Minute).Format(time.RFC3339) || !env.Clock.Now().Equal(start.Add(31*time.Minute)) {
		t.Fatalf("clock = %v (%s), want %v", env.Clock.Now(), r.Raw, start.Add(31*time.Minute))
	}
	mgr = env.Token("manager@fieldops.test") // the old token expired at the new time
	r = mustStatus(t, env.Do(http.MethodPost, "/v1/dev/clock", mgr, map[string]any{"now": start.Add(10 * time.Minute)}), http.StatusConflict, "backwards")
	if !slaProblemNames(r, "now") || !env.Clock.Now().Equal(start.Add(31*time.Minute)) {
		t.Errorf("going back: %s; clock %v, want it unchanged", r.Raw, env.Clock.Now())
	}

	counts := func(r apitest.Response) map[string]float64 {
		out := map[string]float64{}
		for _, j := range r.JSON["jobs"].([]any) {
			m := j.(map[string]any)
			out[m["name"].(string)] = m["count"].(float64)
		}
		return out
	}
	got := counts(mustStatus(t, env.Do(http.MethodPost, "/v1/dev/jobs/run", mgr, nil), http.StatusOK, "run jobs"))
	if got["sla.breaches"] != 1 {
		t.Errorf("first run: %v, want sla.breaches 1", got)
	}
	got = counts(mustStatus(t, env.Do(http.MethodPost, "/v1/dev/jobs/run", mgr, nil), http.StatusOK, "run jobs again"))
	if got["sla.breaches"] != 0 {
		t.Errorf("second run: %v, want sla.breaches 0 (marked once)", got)
	}
	if events, toDana, _, _ := breachFacts(t, env, id); events != 1 || toDana != 1 {
		t.Errorf("%d events, %d notifications, want 1 and 1", events, toDana)
	}
}

func TestFollowUpDueNotifiesStaffOnce(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "repair")
	mustStatus(t, c.photo(t, c.tom, "after", "after.jpg", "image/jpeg", jpegOf(t, noise(64, 48, 7))), http.StatusCreated, "after photo")
	mustStatus(t, c.complete(t, signaturePNG(t)), http.StatusOK, "complete")
	var dueAt time.Time
	if err := env.DB.Raw(`SELECT follow_up_due_at FROM orders WHERE id = ?`, c.id).Scan(&dueAt).Error; err != nil || dueAt.IsZero() {
		t.Fatalf("follow_up_due_at = %v (%v)", dueAt, err)
	}
	reminders := func() int64 {
		return countRows(t, env, `SELECT count(*) FROM notifications WHERE order_id = ? AND kind = 'follow_up_due'`, c.id)
	}
	if n, err := env.Orders.SweepFollowUps(context.Background()); err != nil || n != 0 || reminders() != 0 {
		t.Fatalf("before the due time: %d reminded (%v)", n, err)
	}
	env.Clock.Set(dueAt.Add(time.Minute))
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := env.Orders.SweepFollowUps(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := reminders(); n != 1 {
		t.Errorf("%d follow-up reminders after three concurrent sweeps, want 1 (to the in-house dispatcher)", n)
	}

	// a follow-up that became due longer ago than the lookback (an upgrade,
	// an outage) is left to the staff list, not reminded
	old := inProgressOrder(t, env, "repair")
	mustStatus(t, old.photo(t, old.tom, "after", "after.jpg", "image/jpeg", jpegOf(t, noise(64, 48, 8))), http.StatusCreated, "after photo")
	mustStatus(t, old.complete(t, signaturePNG(t)), http.StatusOK, "complete")
	var oldDue time.Time
	if err := env.DB.Raw(`SELECT follow_up_due_at FROM orders WHERE id = ?`, old.id).Scan(&oldDue).Error; err != nil {
		t.Fatal(err)
	}
	env.Clock.Set(oldDue.Add(orders.FollowUpLookback + time.Minute))
	if n, err := env.Orders.SweepFollowUps(context.Background()); err != nil || n != 0 {
		t.Errorf("a follow-up due %v ago was reminded (%d, %v)", orders.FollowUpLookback, n, err)
	}
}

// apitest.Workers runs the server's own River client in-process: the sweep
// runs there (on start, and when asked) at the test's clock.
func TestSLABreachThroughTheInProcessWorkers(t *testing.T) {
	env := apitest.New(t, apitest.Workers)
	id := p1Order(t, env, "P1")
	env.Clock.Advance(31 * time.Minute)
	if err := env.Workers.RunNow(context.Background(), "sla.breaches"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "the in-process workers to mark the breach", func() bool {
		events, _, _, _ := breachFacts(t, env, id)
		return events == 1
	})
	if events, toDana, _, outbox := breachFacts(t, env, id); events != 1 || toDana != 1 || outbox != 1 {
		t.Errorf("%d events, %d notifications, %d outbox rows; want 1 each", events, toDana, outbox)
	}
}
