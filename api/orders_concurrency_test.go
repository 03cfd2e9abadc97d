package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/fieldops/fieldops/api"
	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/identity"
)

// SPEC §3 (racing transitions, no double-booking) and §6 (Idempotency-Key):
// many requests fired at the same instant against the real router and database.

// concRequest is one request of a burst.
type concRequest struct {
	method, path, token string
	body                any      // nil, or a value sent as JSON
	headers             []string // name, value, …
}

// concResult is one response of a burst, or the transport error that replaced it.
type concResult struct {
	apitest.Response
	err error
}

// concFire sends all requests at the same instant: every goroutine builds its
// request, waits at a start barrier, and only then sends. The results are in
// the order of reqs; an error fails the test (Errorf: callers may run it off
// the test goroutine) and leaves status 0.
func concFire(t *testing.T, env *apitest.Env, reqs []concRequest) []concResult {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(reqs)}, Timeout: 2 * time.Minute}
	defer client.CloseIdleConnections()
	out := make([]concResult, len(reqs))
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i, r := range reqs {
		var body []byte
		if r.body != nil {
			b, err := json.Marshal(r.body)
			if err != nil {
				t.Errorf("encode request %d: %v", i, err)
				return out
			}
			body = b
		}
		req, err := http.NewRequest(r.method, env.URL+r.path, bytes.NewReader(body))
		if err != nil {
			t.Errorf("request %d: %v", i, err)
			return out
		}
		if r.body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+r.token)
		for j := 0; j+1 < len(r.headers); j += 2 {
			req.Header.Set(r.headers[j], r.headers[j+1])
		}
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			res, err := client.Do(req)
			if err != nil {
				out[i].err = err
				return
			}
			defer res.Body.Close()
			raw, err := io.ReadAll(res.Body)
			out[i].Response = apitest.Response{Status: res.StatusCode, Header: res.Header, Raw: raw}
			out[i].err = err
			if err == nil {
				if cerr := apitest.CheckExchange(req, body, res, raw); cerr != nil {
					out[i].err = fmt.Errorf("contract: %w", cerr)
				}
			}
			_ = json.Unmarshal(raw, &out[i].JSON)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	for i, r := range out {
		if r.err != nil {
			t.Errorf("request %d (%s %s): %v", i, reqs[i].method, reqs[i].path, r.err)
		}
	}
	return out
}

// concTally counts results by status and fails on any 5xx.
func concTally(t *testing.T, rs []concResult) map[int]int {
	t.Helper()
	byStatus := map[int]int{}
	for i, r := range rs {
		byStatus[r.Status]++
		if r.Status >= 500 {
			t.Errorf("request %d: server error %d: %s", i, r.Status, r.Raw)
		}
	}
	return byStatus
}

// concWant fails unless the tally is exactly want (status → count).
func concWant(t *testing.T, got, want map[int]int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("responses by status = %v, want %v", got, want)
	}
	for s, n := range want {
		if got[s] != n {
			t.Fatalf("responses by status = %v, want %v", got, want)
		}
	}
}

// concFields returns the field names of a problem's errors.
func concFields(r apitest.Response) []string {
	var out []string
	list, _ := r.JSON["errors"].([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			f, _ := m["field"].(string)
			out = append(out, f)
		}
	}
	return out
}

// concCurrentStatus returns extra.current_status of a problem ("" if absent).
func concCurrentStatus(r apitest.Response) string {
	extra := r.JSON // RFC 9457 extension members sit at the top level
	s, _ := extra["current_status"].(string)
	return s
}

// concIsProblem fails unless r is an application/problem+json document of its status.
func concIsProblem(t *testing.T, r apitest.Response, what string) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("%s: Content-Type %q, want application/problem+json: %s", what, ct, r.Raw)
	}
	if r.JSON == nil || r.JSON["status"] != float64(r.Status) {
		t.Errorf("%s: problem status %v, HTTP %d: %s", what, r.JSON["status"], r.Status, r.Raw)
	}
}

// concAwaitLockWaiters returns true once want sessions of the test database
// wait on a lock. It polls through holder, the transaction holding the lock,
// so polling needs no pool connection; it returns false if done closes first.
func concAwaitLockWaiters(t *testing.T, holder *gorm.DB, want int, done <-chan struct{}) bool {
	t.Helper()
	for {
		// Inside a transaction pg_stat_activity is a snapshot taken at first use: clear it each time.
		if err := holder.Exec(`SELECT pg_stat_clear_snapshot()`).Error; err != nil {
			t.Fatalf("clear statistics snapshot: %v", err)
		}
		var waiting int
		if err := holder.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).
			Scan(&waiting).Error; err != nil {
			t.Fatalf("count sessions waiting on a lock: %v", err)
		}
		if waiting >= want {
			return true
		}
		select {
		case <-done:
			return false
		default:
		}
	}
}

// concTechnicians creates n technicians of region north (skill repair) and
// returns their ids and access tokens, without going through HTTP.
func concTechnicians(t *testing.T, env *apitest.Env, n int) (ids, tokens []string) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		u, err := env.Identity.CreateStaff(ctx, identity.StaffInput{Role: "technician", Name: fmt.Sprintf("Racer %02d", i),
			Email: fmt.Sprintf("racer%02d@fieldops.test", i), Password: "a-long-password",
			Regions: []string{"north"}, Skills: []string{"repair"}})
		if err != nil {
			t.Fatalf("create technician %d: %v", i, err)
		}
		tok, err := env.Tokens.Issue(identity.PrincipalOf(u))
		if err != nil {
			t.Fatalf("token of technician %d: %v", i, err)
		}
		ids, tokens = append(ids, u.ID.String()), append(tokens, tok)
	}
	return ids, tokens
}

// concOrderBody is a valid new request of alice's (no asset: any customer may send it).
func concOrderBody(desc string) map[string]any {
	return map[string]any{"type": "repair", "description": desc,
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"}}
}

// concCreateOrder creates an order as the customer and returns its id.
func concCreateOrder(t *testing.T, env *apitest.Env, customerTok, desc string) string {
	t.Helper()
	r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", customerTok, concOrderBody(desc)), http.StatusCreated, "create order")
	return r.JSON["id"].(string)
}

// concEvents returns an order's timeline entries with the given action.
func concEvents(t *testing.T, env *apitest.Env, tok, id, action string) []map[string]any {
	t.Helper()
	var out []map[string]any
	path := "/v1/orders/" + id + "/events?limit=200"
	for pages := 0; pages < 100; pages++ {
		r := mustStatus(t, env.Do(http.MethodGet, path, tok, nil), http.StatusOK, "events")
		for _, e := range r.Items(t) {
			if e["action"] == action {
				out = append(out, e)
			}
		}
		next, ok := r.JSON["next_cursor"].(string)
		if !ok {
			return out
		}
		path = "/v1/orders/" + id + "/events?limit=200&cursor=" + url.QueryEscape(next)
	}
	t.Fatal("events: more than 100 pages")
	return nil
}

// concAcceptedOrders creates n orders of alice's, each triaged, assigned to
// tom by hand and accepted by him (sequentially), and returns their ids.
func concAcceptedOrders(t *testing.T, env *apitest.Env, n int) []string {
	t.Helper()
	alice := env.Token("alice@example.com")
	disp := env.Token("dispatcher@fieldops.test")
	tom := env.Token("tom@fieldops.test")
	tomID := env.UserID("tom@fieldops.test")
	out := make([]string, n)
	for i := range out {
		id := concCreateOrder(t, env, alice, fmt.Sprintf("Job %d for Tom", i))
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", disp, map[string]any{}), http.StatusOK, "triage")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": tomID}), http.StatusOK, "assign")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/accept", tom, nil), http.StatusOK, "accept")
		out[i] = id
	}
	return out
}

func TestConcurrentAcceptHasOneWinner(t *testing.T) {
	t.Run("fifty technicians assigned in turn: only the current assignee wins", func(t *testing.T) {
		env := apitest.New(t)
		alice := env.Token("alice@example.com")
		disp := env.Token("dispatcher@fieldops.test")
		techIDs, techToks := concTechnicians(t, env, 50)
		id := concCreateOrder(t, env, alice, "Fifty technicians want this job")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", disp, map[string]any{}), http.StatusOK, "triage")
		for i, tech := range techIDs {
			r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": tech}),
				http.StatusOK, fmt.Sprintf("assign to technician %d", i))
			if r.JSON["technician_id"] != tech {
				t.Fatalf("assign %d went to %v", i, r.JSON["technician_id"])
			}
		}
		current := techIDs[len(techIDs)-1]
		// An earlier assignee replaced before accepting lost the order, so a loss is 404.
		mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, techToks[0], nil), http.StatusNotFound, "first assignee reads the order")

		reqs := make([]concRequest, len(techToks))
		for i, tok := range techToks {
			reqs[i] = concRequest{method: http.MethodPost, path: "/v1/orders/" + id + "/accept", token: tok}
		}
		rs := concFire(t, env, reqs)
		concWant(t, concTally(t, rs), map[int]int{http.StatusOK: 1, http.StatusNotFound: 49})
		if rs[len(rs)-1].Status != http.StatusOK {
			t.Fatalf("the current assignee got %d: %s", rs[len(rs)-1].Status, rs[len(rs)-1].Raw)
		}
		for i, r := range rs[:len(rs)-1] {
			concIsProblem(t, r.Response, fmt.Sprintf("loser %d", i))
		}

		o := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, disp, nil), http.StatusOK, "order after the race")
		if o.JSON["status"] != "accepted" || o.JSON["technician_id"] != current {
			t.Fatalf("after the race: status %v, technician %v; want accepted by %s", o.JSON["status"], o.JSON["technician_id"], current)
		}
		accepts := concEvents(t, env, disp, id, "accept")
		if len(accepts) != 1 {
			t.Fatalf("%d accept events, want exactly 1: %v", len(accepts), accepts)
		}
		if accepts[0]["actor_id"] != current || accepts[0]["from"] != "assigned" || accepts[0]["to"] != "accepted" {
			t.Errorf("accept event = %v, want by %s assigned→accepted", accepts[0], current)
		}
	})

	t.Run("the assigned technician firing fifty accepts: one wins, the rest see it accepted", func(t *testing.T) {
		env := apitest.New(t)
		alice := env.Token("alice@example.com")
		disp := env.Token("dispatcher@fieldops.test")
		tom := env.Token("tom@fieldops.test")
		tomID := env.UserID("tom@fieldops.test")
		id := concCreateOrder(t, env, alice, "Tom taps accept many times")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", disp, map[string]any{}), http.StatusOK, "triage")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": tomID}), http.StatusOK, "assign")

		reqs := make([]concRequest, 50)
		for i := range reqs {
			reqs[i] = concRequest{method: http.MethodPost, path: "/v1/orders/" + id + "/accept", token: tom}
		}
		rs := concFire(t, env, reqs)
		concWant(t, concTally(t, rs), map[int]int{http.StatusOK: 1, http.StatusConflict: 49})
		for i, r := range rs {
			if r.Status == http.StatusConflict {
				concIsProblem(t, r.Response, fmt.Sprintf("duplicate %d", i))
				if s := concCurrentStatus(r.Response); s != "accepted" {
					t.Errorf("duplicate %d: extra.current_status %q, want accepted: %s", i, s, r.Raw)
				}
			}
		}
		o := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, disp, nil), http.StatusOK, "order after the race")
		if o.JSON["status"] != "accepted" || o.JSON["technician_id"] != tomID {
			t.Fatalf("after the race: status %v, technician %v", o.JSON["status"], o.JSON["technician_id"])
		}
		if n := len(concEvents(t, env, disp, id, "accept")); n != 1 {
			t.Fatalf("%d accept events, want exactly 1", n)
		}
	})
}

func TestConcurrentBookingOfOneSlot(t *testing.T) {
	env := apitest.New(t)
	alice := env.Token("alice@example.com")
	tomID := env.UserID("tom@fieldops.test")

	const n = 50
	orderIDs := concAcceptedOrders(t, env, n)
	start, end := time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC), time.Date(2026, 6, 2, 10, 0, 0, 0, time.UTC)
	activeInWindow := func() int64 {
		t.Helper()
		var c int64
		if err := env.DB.Raw(`SELECT count(*) FROM appointments WHERE technician_id = ? AND active AND during && tstzrange(?, ?, '[)')`,
			tomID, start, end).Scan(&c).Error; err != nil {
			t.Fatalf("count appointments: %v", err)
		}
		return c
	}

	reqs := make([]concRequest, n)
	for i, id := range orderIDs {
		reqs[i] = concRequest{method: http.MethodPost, path: "/v1/orders/" + id + "/appointment", token: alice,
			body: map[string]any{"start": start, "end": end}}
	}
	rs := concFire(t, env, reqs)

	t.Run("exactly one booking wins, the others are told the slot is taken", func(t *testing.T) {
		concWant(t, concTally(t, rs), map[int]int{http.StatusOK: 1, http.StatusConflict: n - 1})
		for i, r := range rs {
			if r.Status != http.StatusConflict {
				continue
			}
			concIsProblem(t, r.Response, fmt.Sprintf("loser %d", i))
			detail, _ := r.JSON["detail"].(string)
			if f := concFields(r.Response); len(f) != 1 || f[0] != "start" || !strings.Contains(detail, "already booked") {
				t.Errorf("loser %d: want a slot-taken problem on field start: %s", i, r.Raw)
			}
		}
	})

	winner := -1
	for i, r := range rs {
		if r.Status == http.StatusOK {
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no booking won")
	}

	t.Run("the database holds exactly one active appointment of the technician in the window", func(t *testing.T) {
		if c := activeInWindow(); c != 1 {
			t.Fatalf("%d active appointments of tom in %s–%s, want 1", c, start, end)
		}
		var owner string
		if err := env.DB.Raw(`SELECT order_id::text FROM appointments WHERE technician_id = ? AND active`, tomID).Scan(&owner).Error; err != nil {
			t.Fatalf("appointment owner: %v", err)
		}
		if owner != orderIDs[winner] {
			t.Fatalf("the appointment belongs to %s, the winner was %s", owner, orderIDs[winner])
		}
	})

	t.Run("only the winner is scheduled and has an appointment event", func(t *testing.T) {
		for i, id := range orderIDs {
			o := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, alice, nil), http.StatusOK, "order")
			evs := concEvents(t, env, alice, id, "appointment")
			if i == winner {
				if o.JSON["status"] != "scheduled" || o.JSON["appointment"] == nil || len(evs) != 1 {
					t.Errorf("winner %d: status %v, appointment %v, %d appointment events", i, o.JSON["status"], o.JSON["appointment"], len(evs))
				}
				continue
			}
			if o.JSON["status"] != "accepted" || o.JSON["appointment"] != nil || len(evs) != 0 {
				t.Errorf("loser %d: status %v, appointment %v, %d appointment events; want accepted, none, 0",
					i, o.JSON["status"], o.JSON["appointment"], len(evs))
			}
		}
	})

	t.Run("a loser books the next, non-overlapping window", func(t *testing.T) {
		loser := (winner + 1) % n
		next := map[string]any{"start": end, "end": end.Add(2 * time.Hour)} // [10:00, 12:00) touches [08:00, 10:00) only at its edge
		r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+orderIDs[loser]+"/appointment", alice, next), http.StatusOK, "book 10-12")
		if r.JSON["status"] != "scheduled" {
			t.Fatalf("after booking 10-12: %s", r.Raw)
		}
		if c := env.Count("appointments"); c != 2 {
			t.Fatalf("%d appointments in total, want 2", c)
		}
		if c := activeInWindow(); c != 1 {
			t.Fatalf("%d active appointments in the 08-10 window, want still 1", c)
		}
	})
}

// A booking still in flight holds the slot: everyone who books the same
// window meanwhile waits for it. When it rolls back (say its request timed
// out), the waiters must settle on one winner and 409s — not deadlock each
// other on the exclusion constraint (which PostgreSQL reports as 40P01 and
// the API would answer with 500).
func TestBookingRaceAfterAnInFlightBookingRollsBack(t *testing.T) {
	env := apitest.New(t)
	alice := env.Token("alice@example.com")
	tomID := env.UserID("tom@fieldops.test")
	const n = 30
	orderIDs := concAcceptedOrders(t, env, n+1)
	held, orderIDs := orderIDs[n], orderIDs[:n]
	start, end := time.Date(2026, 6, 3, 4, 0, 0, 0, time.UTC), time.Date(2026, 6, 3, 6, 0, 0, 0, time.UTC) // 12:00–14:00 in Asia/Shanghai

	// The in-flight booking: an uncommitted appointment of tom's in the window.
	inflight := env.DB.Begin()
	if err := inflight.Error; err != nil {
		t.Fatalf("begin: %v", err)
	}
	defer inflight.Rollback()
	if err := inflight.Exec(`INSERT INTO appointments (id, order_id, technician_id, during, active, created_at)
VALUES (gen_random_uuid(), ?, ?, tstzrange(?, ?, '[)'), true, ?)`, held, tomID, start, end, env.Clock.Now()).Error; err != nil {
		t.Fatalf("in-flight booking: %v", err)
	}

	reqs := make([]concRequest, n)
	for i, id := range orderIDs {
		reqs[i] = concRequest{method: http.MethodPost, path: "/v1/orders/" + id + "/appointment", token: alice,
			body: map[string]any{"start": start, "end": end}}
	}
	var rs []concResult
	done := make(chan struct{})
	go func() { defer close(done); rs = concFire(t, env, reqs) }()

	// Every booking transaction the pool lets in (all connections but the
	// in-flight one) ends up waiting on a lock; then the in-flight one gives up.
	// (Should they all finish while the slot is held, the tally below fails.)
	sqlDB, err := env.DB.DB()
	if err != nil {
		t.Fatalf("pool: %v", err)
	}
	// (and the admission control lets in: api/admission.go)
	admitted := api.AdmissionLimit(env.Config.HTTP.MaxInFlight, env.Config.Database.MaxOpenConns)
	concAwaitLockWaiters(t, inflight, min(n, sqlDB.Stats().MaxOpenConnections-1, admitted), done)
	if err := inflight.Rollback().Error; err != nil {
		t.Fatalf("rollback: %v", err)
	}
	<-done

	concWant(t, concTally(t, rs), map[int]int{http.StatusOK: 1, http.StatusConflict: n - 1})
	for i, r := range rs {
		if r.Status == http.StatusConflict {
			if f := concFields(r.Response); len(f) != 1 || f[0] != "start" {
				t.Errorf("loser %d: want a slot-taken problem on field start: %s", i, r.Raw)
			}
		}
	}
	var active int64
	if err := env.DB.Raw(`SELECT count(*) FROM appointments WHERE technician_id = ? AND active`, tomID).Scan(&active).Error; err != nil {
		t.Fatalf("count appointments: %v", err)
	}
	if active != 1 {
		t.Fatalf("%d active appointments of tom, want 1", active)
	}
}

func TestConcurrentRetriesWithOneIdempotencyKey(t *testing.T) {
	env := apitest.New(t)
	alice := env.Token("alice@example.com")
	const key = "retry-storm-0001"
	body := concOrderBody("Retried by a flaky mobile network")
	before := env.Count("orders")

	reqs := make([]concRequest, 20)
	for i := range reqs {
		reqs[i] = concRequest{method: http.MethodPost, path: "/v1/orders", token: alice, body: body, headers: []string{"Idempotency-Key", key}}
	}
	rs := concFire(t, env, reqs)

	var original *concResult
	t.Run("the request runs once: 201 once, replays or 409 in flight otherwise", func(t *testing.T) {
		byStatus := concTally(t, rs)
		if byStatus[http.StatusCreated]+byStatus[http.StatusConflict] != len(rs) {
			t.Fatalf("responses by status = %v, want only 201 and 409", byStatus)
		}
		for i := range rs {
			r := &rs[i]
			switch {
			case r.Status == http.StatusCreated && r.Header.Get("Idempotent-Replayed") == "":
				if original != nil {
					t.Fatalf("two original 201s: %s and %s", original.JSON["id"], r.JSON["id"])
				}
				original = r
			case r.Status == http.StatusConflict:
				concIsProblem(t, r.Response, fmt.Sprintf("request %d", i))
				if d, _ := r.JSON["detail"].(string); !strings.Contains(d, "Idempotency-Key") {
					t.Errorf("request %d: 409 does not say the key is in flight: %s", i, r.Raw)
				}
			}
		}
		if original == nil {
			t.Fatalf("no original 201 among %v", byStatus)
		}
		if got := env.Count("orders") - before; got != 1 {
			t.Fatalf("the orders table gained %d rows, want 1", got)
		}
	})
	if original == nil {
		t.FailNow()
	}

	t.Run("every replay is byte-identical to the original", func(t *testing.T) {
		for i, r := range rs {
			if r.Status != http.StatusCreated || &rs[i] == original {
				continue
			}
			if r.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("request %d: Idempotent-Replayed %q", i, r.Header.Get("Idempotent-Replayed"))
			}
			if !bytes.Equal(r.Raw, original.Raw) {
				t.Errorf("request %d: replay differs from the original:\n%s\n%s", i, r.Raw, original.Raw)
			}
		}
	})

	t.Run("a later retry replays the same order", func(t *testing.T) {
		r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, body, "Idempotency-Key", key), http.StatusCreated, "sequential retry")
		if r.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("Idempotent-Replayed = %q, want true", r.Header.Get("Idempotent-Replayed"))
		}
		if r.JSON["id"] != original.JSON["id"] || r.JSON["number"] != original.JSON["number"] || r.JSON["number"] == nil {
			t.Fatalf("retry returned order %v/%v, want %v/%v", r.JSON["id"], r.JSON["number"], original.JSON["id"], original.JSON["number"])
		}
		if !bytes.Equal(r.Raw, original.Raw) {
			t.Errorf("retry body differs from the original:\n%s\n%s", r.Raw, original.Raw)
		}
		if loc := r.Header.Get("Location"); loc != "/v1/orders/"+original.JSON["id"].(string) {
			t.Errorf("replayed Location = %q", loc)
		}
		if got := env.Count("orders") - before; got != 1 {
			t.Fatalf("the orders table gained %d rows, want 1", got)
		}
	})
}

// A retry arriving while the first request with its key is still running is
// 409 and does not run; the first then completes and is what later retries get.
func TestIdempotencyKeyDuplicateWhileInFlightIs409(t *testing.T) {
	env := apitest.New(t)
	alice := env.Token("alice@example.com")
	const key = "slow-create-0001"
	req := concRequest{method: http.MethodPost, path: "/v1/orders", token: alice,
		body: concOrderBody("The first attempt is slow"), headers: []string{"Idempotency-Key", key}}
	before := env.Count("orders")

	// Hold the orders table: the first request claims its key, then waits at its insert.
	holder := env.DB.Begin()
	if err := holder.Error; err != nil {
		t.Fatalf("begin: %v", err)
	}
	defer holder.Rollback()
	if err := holder.Exec("LOCK TABLE orders IN EXCLUSIVE MODE").Error; err != nil {
		t.Fatalf("lock orders: %v", err)
	}
	var first []concResult
	done := make(chan struct{})
	go func() { defer close(done); first = concFire(t, env, []concRequest{req}) }()
	if !concAwaitLockWaiters(t, holder, 1, done) {
		t.Fatalf("the first request finished while orders were locked: %d %s", first[0].Status, first[0].Raw)
	}

	dups := make([]concRequest, 19)
	for i := range dups {
		dups[i] = req
	}
	rs := concFire(t, env, dups)
	concWant(t, concTally(t, rs), map[int]int{http.StatusConflict: len(dups)})
	for i, r := range rs {
		concIsProblem(t, r.Response, fmt.Sprintf("duplicate %d", i))
		if d, _ := r.JSON["detail"].(string); !strings.Contains(d, "Idempotency-Key") || r.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("duplicate %d: want an in-flight 409 that is not a replay: %s", i, r.Raw)
		}
	}

	if err := holder.Rollback().Error; err != nil {
		t.Fatalf("unlock orders: %v", err)
	}
	<-done
	if first[0].Status != http.StatusCreated || first[0].Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the first request: %d (replayed %q) %s", first[0].Status, first[0].Header.Get("Idempotent-Replayed"), first[0].Raw)
	}
	if got := env.Count("orders") - before; got != 1 {
		t.Fatalf("the orders table gained %d rows, want 1", got)
	}
	again := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, req.body, "Idempotency-Key", key), http.StatusCreated, "retry after completion")
	if again.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.Raw, first[0].Raw) {
		t.Fatalf("retry after completion is not a replay of the first (header %q):\n%s\n%s",
			again.Header.Get("Idempotent-Replayed"), again.Raw, first[0].Raw)
	}
}

func TestIdempotencyKeySemantics(t *testing.T) {
	t.Run("the same key with a different body is 422 on Idempotency-Key and creates nothing", func(t *testing.T) {
		env := apitest.New(t)
		alice := env.Token("alice@example.com")
		first := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, concOrderBody("first"), "Idempotency-Key", "k-mismatch"),
			http.StatusCreated, "first")
		before := env.Count("orders")
		r := env.Do(http.MethodPost, "/v1/orders", alice, concOrderBody("second, different"), "Idempotency-Key", "k-mismatch")
		mustStatus(t, r, http.StatusUnprocessableEntity, "same key, other body")
		concIsProblem(t, r, "mismatch")
		if f := concFields(r); len(f) != 1 || f[0] != "Idempotency-Key" {
			t.Errorf("fields %v, want [Idempotency-Key]: %s", f, r.Raw)
		}
		if r.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("a mismatch is not a replay")
		}
		if got := env.Count("orders"); got != before {
			t.Fatalf("orders %d → %d: a mismatch must not create an order", before, got)
		}
		// The key still holds the first response.
		again := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, concOrderBody("first"), "Idempotency-Key", "k-mismatch"),
			http.StatusCreated, "first body again")
		if !bytes.Equal(again.Raw, first.Raw) {
			t.Errorf("the first response was not kept:\n%s\n%s", again.Raw, first.Raw)
		}
	})

	t.Run("another caller's identical key is independent", func(t *testing.T) {
		env := apitest.New(t)
		alice, bob := env.Token("alice@example.com"), env.Token("bob@example.com")
		body := map[string]any{"type": "repair", "description": "same text", "address": map[string]any{"line1": "7 Garden Lane", "city": "Southbay", "region": "south"}}
		a := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, body, "Idempotency-Key", "shared-key"), http.StatusCreated, "alice")
		before := env.Count("orders")
		b := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", bob, body, "Idempotency-Key", "shared-key"), http.StatusCreated, "bob")
		if b.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("bob got alice's replay: %s", b.Raw)
		}
		if b.JSON["id"] == a.JSON["id"] || b.JSON["customer_id"] != env.UserID("bob@example.com") {
			t.Fatalf("bob's order %v for customer %v; alice's %v", b.JSON["id"], b.JSON["customer_id"], a.JSON["id"])
		}
		if got := env.Count("orders") - before; got != 1 {
			t.Fatalf("bob's request added %d orders, want 1", got)
		}
	})

	t.Run("a failed request is stored and replayed as the same 422", func(t *testing.T) {
		env := apitest.New(t)
		alice := env.Token("alice@example.com")
		before := env.Count("orders")
		bad := map[string]any{"type": "repair", "address": map[string]any{"line1": "x", "city": "y", "region": "north"}} // no description
		first := env.Do(http.MethodPost, "/v1/orders", alice, bad, "Idempotency-Key", "k-bad")
		mustStatus(t, first, http.StatusUnprocessableEntity, "invalid body")
		if f := concFields(first); len(f) == 0 || f[0] != "description" {
			t.Fatalf("first 422 names %v, want description: %s", f, first.Raw)
		}
		again := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, bad, "Idempotency-Key", "k-bad"), http.StatusUnprocessableEntity, "retry")
		if again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("Idempotent-Replayed = %q, want true", again.Header.Get("Idempotent-Replayed"))
		}
		if !bytes.Equal(again.Raw, first.Raw) {
			t.Errorf("replayed 422 differs:\n%s\n%s", again.Raw, first.Raw)
		}
		if ct := again.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("replayed Content-Type %q", ct)
		}
		if got := env.Count("orders"); got != before {
			t.Fatalf("orders %d → %d", before, got)
		}
	})

	t.Run("a retried transition replays its 200 and acts once", func(t *testing.T) {
		env := apitest.New(t)
		alice := env.Token("alice@example.com")
		id := concCreateOrder(t, env, alice, "To be cancelled")
		path, reason := "/v1/orders/"+id+"/cancel", map[string]any{"reason": "fixed it myself"}
		first := mustStatus(t, env.Do(http.MethodPost, path, alice, reason, "Idempotency-Key", "k-cancel"), http.StatusOK, "cancel")
		if first.JSON["status"] != "cancelled" {
			t.Fatalf("cancel: %s", first.Raw)
		}
		again := mustStatus(t, env.Do(http.MethodPost, path, alice, reason, "Idempotency-Key", "k-cancel"), http.StatusOK, "cancel retried")
		if again.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.Raw, first.Raw) {
			t.Errorf("retry not replayed (header %q):\n%s\n%s", again.Header.Get("Idempotent-Replayed"), again.Raw, first.Raw)
		}
		if et := first.Header.Get("ETag"); et == "" || again.Header.Get("ETag") != et {
			t.Errorf("replayed ETag %q, first %q: the client needs it for its next If-Match", again.Header.Get("ETag"), et)
		}
		if n := len(concEvents(t, env, alice, id, "cancel")); n != 1 {
			t.Fatalf("%d cancel events, want 1", n)
		}
		plain := env.Do(http.MethodPost, path, alice, reason)
		mustStatus(t, plain, http.StatusConflict, "cancel without a key")
		concIsProblem(t, plain, "cancel again")
		if s := concCurrentStatus(plain); s != "cancelled" {
			t.Errorf("extra.current_status %q, want cancelled: %s", s, plain.Raw)
		}
		if n := len(concEvents(t, env, alice, id, "cancel")); n != 1 {
			t.Fatalf("%d cancel events after the keyless retry, want 1", n)
		}
	})
}

func TestIdempotencyKeyExpiresAfter24Hours(t *testing.T) {
	env := apitest.New(t)
	alice := env.Token("alice@example.com")
	first := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, concOrderBody("before"), "Idempotency-Key", "k-old"),
		http.StatusCreated, "first use")

	env.Clock.Advance(23 * time.Hour)
	alice = env.Token("alice@example.com")
	r := env.Do(http.MethodPost, "/v1/orders", alice, concOrderBody("after"), "Idempotency-Key", "k-old")
	mustStatus(t, r, http.StatusUnprocessableEntity, "other body within 24 h")

	env.Clock.Advance(2 * time.Hour) // 25 h after the first use
	alice = env.Token("alice@example.com")
	before := env.Count("orders")
	r = mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, concOrderBody("after"), "Idempotency-Key", "k-old"),
		http.StatusCreated, "other body after 24 h")
	if r.Header.Get("Idempotent-Replayed") != "" || r.JSON["id"] == first.JSON["id"] || r.JSON["description"] != "after" {
		t.Fatalf("expired key: got order %v (%v), replayed %q; first was %v", r.JSON["id"], r.JSON["description"],
			r.Header.Get("Idempotent-Replayed"), first.JSON["id"])
	}
	if got := env.Count("orders") - before; got != 1 {
		t.Fatalf("orders gained %d, want 1", got)
	}
	// The key now belongs to the new request.
	again := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, concOrderBody("after"), "Idempotency-Key", "k-old"),
		http.StatusCreated, "replay of the new use")
	if again.Header.Get("Idempotent-Replayed") != "true" || again.JSON["id"] != r.JSON["id"] {
		t.Fatalf("the reused key does not replay the new order: %s", again.Raw)
	}
}
