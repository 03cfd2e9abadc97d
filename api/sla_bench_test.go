package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/demo"
)

// BenchmarkSLASweep measures the breach sweep on 50,000 bulk orders (500
// open, 25 per technician, as in the load-test data). The first sweep, 30
// days on, marks every overdue
// open milestone (one transaction each; logged); "steady" is a sweep with
// nothing new due, the cost every minute pays — it
// reads only the partial indexes of migration 000015, so it does not grow
// with the table (at 1M orders: docs/ARCHITECTURE.md, SLA clocks).
func BenchmarkSLASweep(b *testing.B) {
	env := apitest.New(b)
	ctx := context.Background()
	now := env.Clock.Now()
	if _, err := demo.SeedBulk(ctx, env.DB, demo.BulkSize{Orders: 50_000, Technicians: 20, Customers: 2_000}, now); err != nil {
		b.Fatal(err)
	}
	env.Clock.Advance(30 * 24 * time.Hour) // every open order is overdue on some milestone
	// the first sweep marks every overdue open milestone, one transaction each
	start := time.Now()
	marked, err := env.Orders.SweepSLA(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if took := time.Since(start); marked > 0 {
		b.Logf("first sweep: %d breaches marked in %v (%v each)", marked, took.Round(time.Millisecond), (took / time.Duration(marked)).Round(time.Microsecond))
	}
	b.Run("steady", func(b *testing.B) {
		for b.Loop() {
			if _, err := env.Orders.SweepSLA(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
