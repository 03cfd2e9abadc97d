package demo_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/demo"
	"github.com/fieldops/fieldops/internal/identity"
	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/password"
)

// services is a fresh database with the services the seeds write through,
// on a fixed clock.
type services struct {
	db     *gorm.DB
	clk    *clock.Fixed
	people *identity.Service
	cat    *catalog.Service
	ord    *orders.Service
}

func newServices(t *testing.T) services {
	t.Helper()
	db, _ := dbtest.New(t)
	clk := clock.NewFixed(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC))
	tokens := auth.NewIssuer("0123456789abcdef0123456789abcdef", "fieldops", "fieldops-api", 15*time.Minute, clk.Now)
	people := identity.New(db, password.NewHasher(password.Params{MemoryKiB: 64, Time: 1}), tokens, clk,
		identity.SessionConfig{RefreshTTL: time.Hour, MaxFailures: 10, MaxIPFailures: 50, Window: time.Minute, Lockout: time.Minute})
	cat := catalog.New(db, people, clk)
	return services{db: db, clk: clk, people: people, cat: cat, ord: orders.New(db, cat, people, clk, orders.Media{})}
}

func TestSeedIsIdempotentAndCoversTheOrderStates(t *testing.T) {
	s := newServices(t)
	db, clk, people, cat, ord := s.db, s.clk, s.people, s.cat, s.ord
	ctx := context.Background()

	counts := func() map[string]int64 {
		out := map[string]int64{}
		for _, table := range []string{"users", "providers", "product_models", "assets", "orders", "order_events", "appointments"} {
			var n int64
			if err := db.Table(table).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			out[table] = n
		}
		return out
	}
	for run := 1; run <= 2; run++ {
		if err := demo.Seed(ctx, people, cat, clk.Now()); err != nil {
			t.Fatalf("run %d: Seed: %v", run, err)
		}
		if err := demo.SeedOrders(ctx, people, cat, ord, clk.Now()); err != nil {
			t.Fatalf("run %d: SeedOrders: %v", run, err)
		}
	}
	got := counts()
	want := map[string]int64{"users": int64(len(demo.Accounts)), "providers": 2, "product_models": 3, "assets": 4, "orders": 5, "appointments": 2}
	for table, n := range want {
		if got[table] != n {
			t.Errorf("after two seeds %s has %d rows, want %d", table, got[table], n)
		}
	}
	var statuses []string
	if err := db.Table("orders").Order("status").Pluck("status", &statuses).Error; err != nil {
		t.Fatal(err)
	}
	wantStatuses := []string{"assigned", "awaiting_approval", "cancelled", "scheduled", "submitted"}
	if len(statuses) != len(wantStatuses) {
		t.Fatalf("statuses %v, want %v", statuses, wantStatuses)
	}
	for i := range wantStatuses {
		if statuses[i] != wantStatuses[i] {
			t.Fatalf("statuses %v, want %v", statuses, wantStatuses)
		}
	}
}
