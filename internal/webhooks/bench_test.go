package webhooks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/outbox"
	"github.com/fieldops/fieldops/internal/webhooks"
)

// BenchmarkRelayAndDeliver: committed outbox events to a loopback receiver
// answering 204 at once — relay, claim, signed POST, record — per event
// (events of 50 orders, so the per-order chain check has work to do).
func BenchmarkRelayAndDeliver(b *testing.B) {
	b.StopTimer() // the database, the webhook and the events are not measured
	db, _ := dbtest.New(b)
	ctx := context.Background()
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	svc := webhooks.New(db, clock.NewFixed(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)), webhooks.Guard{AllowPrivate: true}, time.Second)
	if _, err := svc.Create(ctx, webhooks.Owner{}, webhooks.CreateInput{URL: srv.URL}); err != nil {
		b.Fatal(err)
	}
	orders := make([]uuid.UUID, 50)
	for i := range orders {
		orders[i] = uuid.New()
	}
	for i := 0; i < b.N; i += 100 {
		if err := database.WithTx(ctx, db, func(tx *gorm.DB) error {
			for j := i; j < min(i+100, b.N); j++ {
				o := orders[j%len(orders)]
				if _, err := outbox.Write(ctx, tx, outbox.OrderStatusChanged, &o, nil, time.Now(), map[string]any{"id": o, "n": j}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.StartTimer()
	deadline := time.Now().Add(5 * time.Minute)
	for got.Load() < int64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d delivered", got.Load(), b.N)
		}
		if _, err := svc.RelayAll(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := svc.DeliverDue(ctx, webhooks.DeliverBatch); err != nil {
			b.Fatal(err)
		}
	}
}
