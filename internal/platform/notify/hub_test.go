package notify_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/notify"
)

const wait = 20 * time.Second

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func mustSubscribe(t *testing.T, h *notify.Hub, user uuid.UUID) *notify.Subscription {
	t.Helper()
	s, err := h.Subscribe(user)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return s
}

func receive(t *testing.T, s *notify.Subscription) uuid.UUID {
	t.Helper()
	select {
	case id := <-s.IDs:
		return id
	case <-time.After(wait):
		t.Fatal("no id within the deadline")
	}
	return uuid.Nil
}

func gap(t *testing.T, s *notify.Subscription) {
	t.Helper()
	select {
	case <-s.Gap:
	case <-time.After(wait):
		t.Fatal("no gap signal within the deadline")
	}
}

// A subscriber that does not read is dropped when its buffer is full; the
// others of the same user keep receiving, and nobody waits for it.
func TestSlowSubscriberIsDropped(t *testing.T) {
	h := notify.New("", notify.Limits{PerUser: 5, Total: 10}, quiet)
	user := ids.New()
	slow, fast := mustSubscribe(t, h, user), mustSubscribe(t, h, user)
	stranger := mustSubscribe(t, h, ids.New())
	for i := 0; i <= notify.Buffer; i++ {
		h.Publish(ids.New(), user)
		<-fast.IDs
	}
	select {
	case <-slow.Done:
	default:
		t.Fatal("the slow subscriber is still subscribed")
	}
	if !errors.Is(slow.Err(), notify.ErrSlow) {
		t.Fatalf("slow: %v", slow.Err())
	}
	id := ids.New()
	h.Publish(id, user)
	if got := receive(t, fast); got != id {
		t.Fatalf("fast got %s, want %s", got, id)
	}
	if len(stranger.IDs) != 0 {
		t.Fatal("another user's subscriber received ids")
	}
	if n := h.Subscribers(); n != 2 {
		t.Fatalf("%d subscribers, want 2", n)
	}
}

// Limits per user and per process are errs.TooMany; Close ends every
// subscription (ErrClosed) and refuses new ones (errs.Unavailable).
func TestLimitsAndClose(t *testing.T) {
	h := notify.New("", notify.Limits{PerUser: 2, Total: 3}, quiet)
	u := ids.New()
	a := mustSubscribe(t, h, u)
	mustSubscribe(t, h, u)
	if _, err := h.Subscribe(u); !errs.Is(err, errs.TooMany) {
		t.Fatalf("third of one user: %v", err)
	}
	mustSubscribe(t, h, ids.New())
	if _, err := h.Subscribe(ids.New()); !errs.Is(err, errs.TooMany) {
		t.Fatalf("fourth of the process: %v", err)
	}
	a.Close()
	a.Close() // idempotent
	mustSubscribe(t, h, ids.New())
	h.Close()
	select {
	case <-a.Done:
	default:
		t.Fatal("closed subscription's Done is open")
	}
	if h.Subscribers() != 0 {
		t.Fatalf("%d subscribers after Close", h.Subscribers())
	}
	if _, err := h.Subscribe(u); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("subscribe after Close: %v", err)
	}
}

// The hub hears NOTIFY on its own connection; when that connection is
// killed it reconnects and tells subscribers to catch up (Gap), then hears
// again. A payload for another user reaches only that user's subscribers.
func TestListenReconnects(t *testing.T) {
	db, url := dbtest.New(t)
	h := notify.New(url, notify.Limits{PerUser: 5, Total: 10}, quiet)
	h.MinBackoff, h.MaxBackoff = 10*time.Millisecond, 100*time.Millisecond
	user, other := ids.New(), ids.New()
	s := mustSubscribe(t, h, user)
	o := mustSubscribe(t, h, other)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	gap(t, s) // connected: catch up once
	publish := func(id, u uuid.UUID) {
		t.Helper()
		if err := db.Exec("SELECT pg_notify(?, ?)", notify.Channel, id.String()+" "+u.String()).Error; err != nil {
			t.Fatal(err)
		}
	}
	first := ids.New()
	publish(first, user)
	if got := receive(t, s); got != first {
		t.Fatalf("got %s, want %s", got, first)
	}
	var killed int
	if err := db.Raw(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %'`).Scan(&killed).Error; err != nil || killed != 1 {
		t.Fatalf("terminating the listener: %d, %v", killed, err)
	}
	gap(t, s) // reconnected
	gap(t, o)
	second := ids.New()
	publish(second, user)
	if got := receive(t, s); got != second {
		t.Fatalf("after reconnecting got %s, want %s", got, second)
	}
	if len(o.IDs) != 0 {
		t.Fatal("the other user's subscriber received an id")
	}
	publish(ids.New(), uuid.Nil) // nobody's: dropped quietly
	if !h.Listening() {
		t.Fatal("not listening")
	}
}

// BenchmarkPublish: one NOTIFY's work in the hub with 10,000 streams open on
// the process, 5 of them the addressee's (the per-user maximum).
func BenchmarkPublish(b *testing.B) {
	h := notify.New("", notify.Limits{PerUser: 5, Total: 20000}, quiet)
	for range 10000 - 5 {
		if _, err := h.Subscribe(ids.New()); err != nil {
			b.Fatal(err)
		}
	}
	user := ids.New()
	var subs []*notify.Subscription
	for range 5 {
		s, _ := h.Subscribe(user)
		subs = append(subs, s)
	}
	id := ids.New()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h.Publish(id, user)
		for _, s := range subs {
			<-s.IDs
		}
	}
}
