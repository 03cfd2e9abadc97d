package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/jobs"
	"github.com/fieldops/fieldops/internal/platform/outbox"
	"github.com/fieldops/fieldops/internal/webhooks"
)

// received is one request a test receiver got.
type received struct {
	EventID, Type, Signature string
	Body                     []byte
}

// receiver answers with the next status of plan (then 200) and records every request.
type receiver struct {
	mu   sync.Mutex
	plan []int
	got  []received
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.got = append(rc.got, received{r.Header.Get("X-FieldOps-Event-Id"), r.Header.Get("X-FieldOps-Event-Type"),
		r.Header.Get("X-FieldOps-Signature"), body})
	status := http.StatusOK
	if len(rc.plan) > 0 {
		status, rc.plan = rc.plan[0], rc.plan[1:]
	}
	rc.mu.Unlock()
	w.WriteHeader(status)
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func write(t *testing.T, db *gorm.DB, typ string, order, provider *uuid.UUID, at time.Time) *outbox.Event {
	t.Helper()
	var e *outbox.Event
	if err := database.WithTx(context.Background(), db, func(tx *gorm.DB) error {
		var err error
		e, err = outbox.Write(context.Background(), tx, typ, order, provider, at, map[string]any{"id": order})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRetriesKeepTheEventIDAndSignature(t *testing.T) {
	db, _ := dbtest.New(t)
	ctx := context.Background()
	clk := clock.NewFixed(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	rc := &receiver{plan: []int{500, 503, 404}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	svc := webhooks.New(db, clk, webhooks.Guard{AllowPrivate: true}, time.Second)
	w, err := svc.Create(ctx, webhooks.Owner{}, webhooks.CreateInput{URL: srv.URL + "/hook", Events: []string{outbox.OrderCreated}})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Secret) < 64 {
		t.Fatalf("generated secret %q is short", w.Secret)
	}
	order := uuid.New()
	ev := write(t, db, outbox.OrderCreated, &order, nil, clk.Now())
	write(t, db, outbox.OrderAssigned, &order, nil, clk.Now()) // not subscribed

	if n, err := svc.Relay(ctx); err != nil || n != 1 {
		t.Fatalf("Relay = %d, %v; want 1 message", n, err)
	}
	// attempts at t, t+1s, t+1s+2s, t+1s+2s+4s: the clock is driven, nothing sleeps
	for i, wait := range []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second} {
		clk.Advance(wait)
		if wait > 0 { // not due a moment early
			clk.Advance(-time.Millisecond)
			if n, _ := svc.DeliverDue(ctx, 10); n != 0 {
				t.Fatalf("attempt %d ran before its back-off", i+1)
			}
			clk.Advance(time.Millisecond)
		}
		if n, err := svc.DeliverDue(ctx, 10); err != nil || n != 1 {
			t.Fatalf("attempt %d: DeliverDue = %d, %v", i+1, n, err)
		}
	}
	got := rc.requests()
	if len(got) != 4 {
		t.Fatalf("%d requests, want 4", len(got))
	}
	for i, r := range got {
		if r.EventID != ev.ID.String() || r.Type != outbox.OrderCreated {
			t.Errorf("request %d: event %s %s, want %s", i+1, r.EventID, r.Type, ev.ID)
		}
		if err := webhooks.Verify(w.Secret, r.Signature, r.Body, clk.Now(), time.Minute); err != nil {
			t.Errorf("request %d: signature: %v", i+1, err)
		}
		var env map[string]any
		if err := json.Unmarshal(r.Body, &env); err != nil || env["id"] != ev.ID.String() || env["type"] != outbox.OrderCreated ||
			env["created_at"] != "2026-12-01T09:00:00Z" || env["data"].(map[string]any)["id"] != order.String() {
			t.Errorf("request %d: body %s", i+1, r.Body)
		}
	}
	dp, err := svc.Deliveries(ctx, webhooks.Owner{}, w.ID, pageOf(10))
	if err != nil || len(dp.Items) != 4 {
		t.Fatalf("Deliveries = %d, %v", len(dp.Items), err)
	}
	last, first := dp.Items[0], dp.Items[3]
	if !last.Succeeded() || last.Attempt != 4 || last.NextRetryAt != nil || first.Attempt != 1 || first.StatusCode == nil ||
		*first.StatusCode != 500 || first.NextRetryAt == nil || !first.NextRetryAt.Equal(time.Date(2026, 12, 1, 9, 0, 1, 0, time.UTC)) {
		t.Errorf("deliveries: newest %+v, oldest %+v", last, first)
	}
	if n, _ := svc.DeliverDue(ctx, 10); n != 0 {
		t.Error("a delivered message was sent again")
	}
}

func TestDeliveryInOrderPerOrderAndProviderScope(t *testing.T) {
	db, _ := dbtest.New(t)
	ctx := context.Background()
	clk := clock.NewFixed(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	rc := &receiver{plan: []int{500}} // the first event of order A fails once
	srv := httptest.NewServer(rc)
	defer srv.Close()
	svc := webhooks.New(db, clk, webhooks.Guard{AllowPrivate: true}, time.Second)

	partner := uuid.New()
	if err := db.Exec("INSERT INTO providers (id, name, kind) VALUES (?, 'Partner', 'partner')", partner).Error; err != nil {
		t.Fatal(err)
	}
	write(t, db, outbox.OrderCreated, ptr(uuid.New()), nil, clk.Now()) // before the webhooks: never theirs
	all, err := svc.Create(ctx, webhooks.Owner{}, webhooks.CreateInput{URL: srv.URL + "/all"})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := svc.Create(ctx, webhooks.Owner{}, webhooks.CreateInput{URL: srv.URL + "/partner", ProviderID: &partner})
	if err != nil {
		t.Fatal(err)
	}
	a, b := uuid.New(), uuid.New()
	a1 := write(t, db, outbox.OrderCreated, &a, nil, clk.Now())
	b1 := write(t, db, outbox.OrderCreated, &b, &partner, clk.Now())
	a2 := write(t, db, outbox.OrderAssigned, &a, nil, clk.Now())
	if n, err := svc.Relay(ctx); err != nil || n != 4 { // all: a1 b1 a2; partner: b1
		t.Fatalf("Relay = %d, %v; want 4", n, err)
	}
	if n, _ := svc.Relay(ctx); n != 0 {
		t.Fatal("a second relay queued again")
	}
	// a1 fails: a2 waits for it; b1 goes to both
	if _, err := svc.DeliverDue(ctx, 10); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if _, err := svc.DeliverDue(ctx, 10); err != nil {
		t.Fatal(err)
	}
	var toAll []string
	var toPartner []string
	for _, r := range rc.requests() {
		var env struct{ ID string }
		_ = json.Unmarshal(r.Body, &env)
		if r.EventID != env.ID {
			t.Errorf("header id %s, body id %s", r.EventID, env.ID)
		}
		if err := webhooks.Verify(all.Secret, r.Signature, r.Body, clk.Now(), 0); err == nil {
			toAll = append(toAll, r.EventID)
		} else if err := webhooks.Verify(mine.Secret, r.Signature, r.Body, clk.Now(), 0); err == nil {
			toPartner = append(toPartner, r.EventID)
		} else {
			t.Errorf("a request verified with neither secret")
		}
	}
	var aSeen []string
	for _, id := range toAll {
		if id == a1.ID.String() || id == a2.ID.String() {
			aSeen = append(aSeen, id)
		}
	}
	if len(aSeen) != 3 || aSeen[0] != a1.ID.String() || aSeen[1] != a1.ID.String() || aSeen[2] != a2.ID.String() {
		t.Errorf("order A to the all-events webhook: %v, want a1 (failed), a1, a2", aSeen)
	}
	if len(toPartner) != 1 || toPartner[0] != b1.ID.String() {
		t.Errorf("partner webhook got %v, want only b1 %s", toPartner, b1.ID)
	}
	// deleting stops everything and hides the webhook
	if err := svc.Delete(ctx, webhooks.Owner{}, mine.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Get(ctx, webhooks.Owner{}, mine.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("deleted webhook: %v", err)
	}
	if err := svc.Delete(ctx, webhooks.Owner{}, mine.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("second delete: %v", err)
	}
}

// TestRelayWaitsForOlderTransactions: an event whose transaction began (and
// took its seq) before another's but commits after it is still relayed.
func TestRelayWaitsForOlderTransactions(t *testing.T) {
	db, _ := dbtest.New(t)
	ctx := context.Background()
	clk := clock.NewFixed(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	svc := webhooks.New(db, clk, webhooks.Guard{AllowPrivate: true}, time.Second)
	if _, err := svc.Create(ctx, webhooks.Owner{}, webhooks.CreateInput{URL: "http://127.0.0.1:9/hook"}); err != nil {
		t.Fatal(err)
	}
	slow := db.Begin()
	if _, err := outbox.Write(ctx, slow, outbox.StockLow, nil, nil, clk.Now(), map[string]any{"n": 1}); err != nil {
		t.Fatal(err)
	}
	write(t, db, outbox.StockLow, nil, nil, clk.Now()) // a later seq, committed first
	if n, err := svc.Relay(ctx); err != nil || n != 0 {
		t.Fatalf("Relay with an older transaction open = %d, %v; want 0 (it must wait)", n, err)
	}
	if err := slow.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if n, err := svc.Relay(ctx); err != nil || n != 2 {
		t.Fatalf("Relay after the commit = %d, %v; want 2", n, err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestPeriodicJobsRelayAndDeliver: the registered periodic jobs (what River
// runs every second) relay and deliver.
func TestPeriodicJobsRelayAndDeliver(t *testing.T) {
	db, _ := dbtest.New(t)
	ctx := context.Background()
	clk := clock.NewFixed(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	svc := webhooks.New(db, clk, webhooks.Guard{AllowPrivate: true}, time.Second)
	if _, err := svc.Create(ctx, webhooks.Owner{}, webhooks.CreateInput{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	reg := jobs.NewRegistry()
	svc.Register(reg)
	order := uuid.New()
	ev := write(t, db, outbox.OrderCreated, &order, nil, clk.Now())
	deadline := time.Now().Add(10 * time.Second)
	for len(rc.requests()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the periodic jobs delivered nothing")
		}
		if _, err := reg.RunPeriodic(ctx); err != nil { // webhooks.deliver sorts before webhooks.relay: a second round delivers
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // a poll step: the relay may wait for an older transaction
	}
	if got := rc.requests(); len(got) != 1 || got[0].EventID != ev.ID.String() {
		t.Fatalf("requests %+v", got)
	}
}

// TestPurgeKeepsThirtyDays: delivered messages and attempts older than the
// retention go; newer ones and pending messages stay.
func TestPurgeKeepsThirtyDays(t *testing.T) {
	db, _ := dbtest.New(t)
	ctx := context.Background()
	clk := clock.NewFixed(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	svc := webhooks.New(db, clk, webhooks.Guard{AllowPrivate: true}, time.Second)
	w, err := svc.Create(ctx, webhooks.Owner{}, webhooks.CreateInput{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	old := uuid.New()
	write(t, db, outbox.OrderCreated, &old, nil, clk.Now())
	deliverAll := func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := svc.RelayAll(ctx); err != nil {
				t.Fatal(err)
			}
			if n, err := svc.DeliverDue(ctx, 10); err != nil || n > 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("nothing to deliver")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	deliverAll()
	clk.Advance(webhooks.Retention - time.Hour)
	recent := uuid.New()
	write(t, db, outbox.OrderCreated, &recent, nil, clk.Now())
	deliverAll()
	clk.Advance(2 * time.Hour) // the first is now older than the retention
	if n, err := svc.Purge(ctx); err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want the old message and its attempt", n, err)
	}
	dp, err := svc.Deliveries(ctx, webhooks.Owner{}, w.ID, pageOf(10))
	if err != nil || len(dp.Items) != 1 {
		t.Fatalf("deliveries left: %d, %v", len(dp.Items), err)
	}
}
