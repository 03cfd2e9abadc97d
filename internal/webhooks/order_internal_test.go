package webhooks

import (
	"context"
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
	"github.com/fieldops/fieldops/internal/platform/outbox"
)

// TestOrderHeldAcrossRelayBatches: the relay walks transaction ids, so an
// order's later event (written by a transaction that took its id first) can
// be relayed in an earlier batch than the order's earlier event; delivery
// still sends the earlier one first.
func TestOrderHeldAcrossRelayBatches(t *testing.T) {
	db, _ := dbtest.New(t)
	ctx := context.Background()
	clk := clock.NewFixed(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	var types []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		types = append(types, r.Header.Get("X-FieldOps-Event-Type"))
		mu.Unlock()
	}))
	defer srv.Close()
	svc := New(db, clk, Guard{AllowPrivate: true}, time.Second)
	svc.batch = 1
	if _, err := svc.Create(ctx, Owner{}, CreateInput{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	order := uuid.New()
	data := map[string]any{"id": order}
	x := db.Begin() // takes its transaction id first
	if _, err := outbox.Write(ctx, x, outbox.StockLow, nil, nil, clk.Now(), map[string]any{"part": 1}); err != nil {
		t.Fatal(err)
	}
	if err := database.WithTx(ctx, db, func(tx *gorm.DB) error {
		_, err := outbox.Write(ctx, tx, outbox.OrderCreated, &order, nil, clk.Now(), data)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.Write(ctx, x, outbox.OrderStatusChanged, &order, nil, clk.Now(), data); err != nil {
		t.Fatal(err)
	}
	if err := x.Commit().Error; err != nil {
		t.Fatal(err)
	}
	relayOne := func(want int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, err := svc.Relay(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == want {
				return
			}
			if n != 0 || time.Now().After(deadline) {
				t.Fatalf("Relay = %d, want %d", n, want)
			}
			time.Sleep(20 * time.Millisecond) // another test database's transaction may hold the bound
		}
	}
	relayOne(1) // stock.low
	relayOne(1) // order.status_changed (transaction x): its order.created is not relayed yet
	if _, err := svc.DeliverDue(ctx, 10); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := append([]string(nil), types...)
	mu.Unlock()
	if len(got) != 1 || got[0] != outbox.StockLow {
		t.Fatalf("before the order's first event is relayed: sent %v, want only stock.low", got)
	}
	relayOne(1) // order.created
	if _, err := svc.DeliverDue(ctx, 10); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(types) != 3 || types[1] != outbox.OrderCreated || types[2] != outbox.OrderStatusChanged {
		t.Fatalf("sent %v, want stock.low, order.created, order.status_changed", types)
	}
}
