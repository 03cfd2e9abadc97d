package api_test

import (
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/config"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/ids"
)

// wait bounds every read of a stream: an event that is coming arrives in
// milliseconds; the bound only keeps a broken test from hanging.
const wait = 20 * time.Second

// streamOrder submits an order as alice and triages it; it returns its id.
func streamOrder(t testing.TB, env *apitest.Env) string {
	t.Helper()
	alice, disp := env.Token("alice@example.com"), env.Token("dispatcher@fieldops.test")
	r := env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{"type": "repair", "description": "noisy fan",
		"address": map[string]any{"line1": "1 Road", "city": "Northport", "region": "north"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	id := r.JSON["id"].(string)
	if r := env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", disp, map[string]any{}); r.Status != http.StatusOK {
		t.Fatalf("triage: %d %s", r.Status, r.Raw)
	}
	return id
}

// streamAssign assigns order id to the technician (who is notified: job_assigned).
func streamAssign(t *testing.T, env *apitest.Env, id, techEmail string) {
	t.Helper()
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", env.Token("dispatcher@fieldops.test"),
		map[string]any{"technician_id": env.UserID(techEmail)}), http.StatusOK, "assign")
}

func shortHeartbeat(cfg *config.Config) { cfg.Stream.Heartbeat = 50 * time.Millisecond }

// Two servers on one database, as two replicas: a notification written by a
// request on one reaches a stream open on the other (PostgreSQL
// LISTEN/NOTIFY), with the same JSON as the inbox; another user's
// notifications never appear on a stream.
func TestNotificationStreamAcrossServers(t *testing.T) {
	db, url := dbtest.New(t)
	a := apitest.NewOn(t, db, url)
	b := apitest.NewOn(t, db, url)

	tom, _ := b.OpenStream("/v1/notifications/stream", b.Token("tom@fieldops.test"))
	alice, _ := b.OpenStream("/v1/notifications/stream", b.Token("alice@example.com"))
	nina, _ := a.OpenStream("/v1/notifications/stream", a.Token("nina@fieldops.test"))

	id := streamOrder(t, a)
	streamAssign(t, a, id, "tom@fieldops.test") // through server a
	ev := tom.Next(wait)                        // on server b
	if ev.Type != "notification" || ev.JSON["kind"] != "job_assigned" || ev.JSON["order_id"] != id || ev.ID != ev.JSON["id"] {
		t.Fatalf("tom's event: %+v", ev)
	}
	inbox := mustStatus(t, a.Do(http.MethodGet, "/v1/notifications", a.Token("tom@fieldops.test"), nil), http.StatusOK, "inbox").Items(t)
	if len(inbox) != 1 || inbox[0]["id"] != ev.ID || inbox[0]["title"] != ev.JSON["title"] || inbox[0]["body"] != ev.JSON["body"] {
		t.Fatalf("stream event %v is not the inbox entry %v", ev.JSON, inbox)
	}

	// tom accepts (through b): alice is told (job_accepted); the first
	// event on alice's stream is hers, not tom's job_assigned before it
	mustStatus(t, b.Do(http.MethodPost, "/v1/orders/"+id+"/accept", b.Token("tom@fieldops.test"), map[string]any{}), http.StatusOK, "accept")
	if ev := alice.Next(wait); ev.JSON["kind"] != "job_accepted" || ev.JSON["order_id"] != id {
		t.Fatalf("alice's first event: %+v", ev)
	}
	// nina (on a) is told of her own assignment only: the first event she
	// gets is it, after tom's and alice's were published
	other := streamOrder(t, b)
	streamAssign(t, b, other, "nina@fieldops.test")
	if ev := nina.Next(wait); ev.JSON["order_id"] != other || ev.JSON["kind"] != "job_assigned" {
		t.Fatalf("nina's first event: %+v", ev)
	}
}

// Last-Event-ID (header or query) replays exactly the notifications after
// it, oldest first, then goes on live.
func TestNotificationStreamResume(t *testing.T) {
	env := apitest.New(t)
	tok := env.Token("tom@fieldops.test")
	s, _ := env.OpenStream("/v1/notifications/stream", tok)
	first := streamOrder(t, env)
	streamAssign(t, env, first, "tom@fieldops.test")
	seen := s.Next(wait)
	s.Close() // the client goes away

	var missed []string
	for range 3 {
		id := streamOrder(t, env)
		streamAssign(t, env, id, "tom@fieldops.test")
		missed = append(missed, id)
	}
	for _, how := range []string{"header", "query"} {
		t.Run(how, func(t *testing.T) {
			var r *apitest.Stream
			if how == "header" {
				r, _ = env.OpenStream("/v1/notifications/stream", tok, "Last-Event-ID", seen.ID)
			} else {
				r, _ = env.OpenStream("/v1/notifications/stream?last_event_id="+seen.ID, tok)
			}
			defer r.Close()
			for i, want := range missed {
				if ev := r.Next(wait); ev.JSON["order_id"] != want {
					t.Fatalf("replayed event %d is for order %v, want %s", i, ev.JSON["order_id"], want)
				}
			}
			// then live, with nothing replayed twice
			live := streamOrder(t, env)
			streamAssign(t, env, live, "tom@fieldops.test")
			if ev := r.Next(wait); ev.JSON["order_id"] != live {
				t.Fatalf("after the replay: event for %v, want the live %s", ev.JSON["order_id"], live)
			}
			missed = append(missed, live) // the next subtest replays it too
		})
	}
	// a stream opened without Last-Event-ID replays nothing: its first
	// event is the next new notification
	r, _ := env.OpenStream("/v1/notifications/stream", tok)
	next := streamOrder(t, env)
	streamAssign(t, env, next, "tom@fieldops.test")
	if ev := r.Next(wait); ev.JSON["order_id"] != next {
		t.Fatalf("fresh stream's first event is for %v, want %s", ev.JSON["order_id"], next)
	}
}

// Denials and bad input: no token 401, a malformed Last-Event-ID 422 naming
// it, more streams than a user may hold 429 with Retry-After.
func TestNotificationStreamRefusals(t *testing.T) {
	env := apitest.New(t, func(cfg *config.Config) { cfg.Stream.MaxPerUser = 1 })
	if _, r := env.OpenStream("/v1/notifications/stream", ""); r.Status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", r.Status)
	}
	if _, r := env.OpenStream("/v1/notifications/stream", "not-a-token"); r.Status != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", r.Status)
	}
	tok := env.Token("tom@fieldops.test")
	_, r := env.OpenStream("/v1/notifications/stream", tok, "Last-Event-ID", "42")
	mustProblemField(t, r, http.StatusUnprocessableEntity, "Last-Event-ID")
	_, r = env.OpenStream("/v1/notifications/stream?last_event_id=nope", tok)
	mustProblemField(t, r, http.StatusUnprocessableEntity, "last_event_id")

	if r := env.Do(http.MethodHead, "/v1/notifications/stream", tok, nil); r.Status != http.StatusOK ||
		r.Header.Get("Content-Type") != "text/event-stream" || len(r.Raw) != 0 {
		t.Fatalf("HEAD: %d %q %q", r.Status, r.Header.Get("Content-Type"), r.Raw)
	}
	s, _ := env.OpenStream("/v1/notifications/stream", tok)
	_, r = env.OpenStream("/v1/notifications/stream", tok)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("second stream of one user: %d (Retry-After %q), want 429 with Retry-After", r.Status, r.Header.Get("Retry-After"))
	}
	other, _ := env.OpenStream("/v1/notifications/stream", env.Token("nina@fieldops.test"))
	if other == nil {
		t.Fatal("another user's stream was refused")
	}
	s.Close()
	// the slot is free again once the first stream is gone
	deadline := time.Now().Add(wait)
	for env.Notify.Subscribers() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if again, r := env.OpenStream("/v1/notifications/stream", tok); again == nil {
		t.Fatalf("after closing the first stream: %d", r.Status)
	}
	// the metrics listener shows the open streams and the LISTEN connection
	want := map[string]float64{"fieldops_notify_streams": 2, "fieldops_notify_listening": 1}
	deadline = time.Now().Add(wait)
	for {
		got := map[string]float64{}
		families, err := env.Metrics.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if _, ok := want[f.GetName()]; ok {
				got[f.GetName()] = f.GetMetric()[0].GetGauge().GetValue()
			}
		}
		if maps.Equal(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("notify metrics %v, want %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The stream sends heartbeats, and ends when the account is deactivated
// and when the server shuts down (the hub closes: serve does it when
// graceful shutdown starts).
func TestNotificationStreamEnds(t *testing.T) {
	env := apitest.New(t, shortHeartbeat)
	mgr := env.Token("manager@fieldops.test")
	tom, _ := env.OpenStream("/v1/notifications/stream", env.Token("tom@fieldops.test"))
	if c := tom.NextComment(wait); c != "heartbeat" {
		t.Fatalf("comment %q, want heartbeat", c)
	}
	mustStatus(t, env.Do(http.MethodPatch, "/v1/users/"+env.UserID("tom@fieldops.test"), mgr, map[string]any{"active": false}), http.StatusOK, "deactivate")
	tom.End(wait)

	nina, _ := env.OpenStream("/v1/notifications/stream", env.Token("nina@fieldops.test"))
	nina.NextComment(wait) // open and served
	env.Notify.Close()
	nina.End(wait)
	if _, r := env.OpenStream("/v1/notifications/stream", env.Token("nina@fieldops.test")); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("stream while shutting down: %d, want 503", r.Status)
	}
}

// mustProblemField fails t unless r is a problem with status want naming field.
func mustProblemField(t *testing.T, r apitest.Response, want int, field string) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Raw)
	}
	errsList, _ := r.JSON["errors"].([]any)
	for _, e := range errsList {
		if m, _ := e.(map[string]any); m["field"] == field {
			return
		}
	}
	t.Fatalf("problem does not name %s: %s", field, r.Raw)
}

// BenchmarkNotificationStreamLatency: one notification committed through
// server a's database handle until its event is parsed by a client of
// server b: trigger, NOTIFY, b's hub, the read by id, the SSE write. One at
// a time, so ns/op is the end-to-end latency.
func BenchmarkNotificationStreamLatency(b *testing.B) {
	db, url := dbtest.New(b)
	a := apitest.NewOn(b, db, url)
	srvB := apitest.NewOn(b, db, url)
	order := streamOrder(b, a)
	tom, err := uuid.Parse(a.UserID("tom@fieldops.test"))
	if err != nil {
		b.Fatal(err)
	}
	s, _ := srvB.OpenStream("/v1/notifications/stream", srvB.Token("tom@fieldops.test"))
	oid := uuid.MustParse(order)
	b.ResetTimer()
	for range b.N {
		n := orders.Notification{ID: ids.New(), UserID: tom, Kind: "job_assigned", OrderID: &oid, Title: "Job", Body: "bench",
			CreatedAt: a.Clock.Now()}
		if err := db.Create(&n).Error; err != nil {
			b.Fatal(err)
		}
		if ev := s.Next(wait); ev.ID != n.ID.String() {
			b.Fatalf("event %s, want %s", ev.ID, n.ID)
		}
	}
}

// A notification whose transaction took its id before a newer one was sent,
// and committed while the listener was down, reaches the stream once the
// listener is back: the catch-up after a gap looks back (gapWindow) and skips
// what the stream already sent.
func TestNotificationStreamLateCommitDuringGap(t *testing.T) {
	env := apitest.New(t)
	tom := uuid.MustParse(env.UserID("tom@fieldops.test"))
	order := uuid.MustParse(streamOrder(t, env))
	s, _ := env.OpenStream("/v1/notifications/stream", env.Token("tom@fieldops.test"))
	note := func() orders.Notification {
		return orders.Notification{ID: ids.New(), UserID: tom, Kind: "job_assigned", OrderID: &order, Title: "Job", Body: "late",
			CreatedAt: env.Clock.Now()}
	}
	late := note() // the older id, committed last
	tx := env.DB.Begin()
	defer tx.Rollback()
	if err := tx.Create(&late).Error; err != nil {
		t.Fatal(err)
	}
	newer := note()
	if err := env.DB.Create(&newer).Error; err != nil {
		t.Fatal(err)
	}
	if ev := s.Next(wait); ev.ID != newer.ID.String() {
		t.Fatalf("event %s, want the newer %s", ev.ID, newer.ID)
	}
	var killed int
	if err := env.DB.Raw(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN "fieldops_notifications"'`).Scan(&killed).Error; err != nil || killed != 1 {
		t.Fatalf("terminating the listener: %d, %v", killed, err)
	}
	deadline := time.Now().Add(wait)
	for env.Notify.Listening() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := tx.Commit().Error; err != nil { // while nobody listens (or just back: then heard live)
		t.Fatal(err)
	}
	if ev := s.Next(wait); ev.ID != late.ID.String() {
		t.Fatalf("event %s, want the late %s", ev.ID, late.ID)
	}
	fresh := note()
	if err := env.DB.Create(&fresh).Error; err != nil {
		t.Fatal(err)
	}
	if ev := s.Next(wait); ev.ID != fresh.ID.String() { // nothing sent twice in between
		t.Fatalf("event %s, want the fresh %s", ev.ID, fresh.ID)
	}
}
