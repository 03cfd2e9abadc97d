package demo_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fieldops/fieldops/internal/demo"
	"github.com/fieldops/fieldops/internal/identity"
	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/auth"
)

// The bulk seed makes valid rows the services read like any others, once.
func TestSeedBulk(t *testing.T) {
	s := newServices(t)
	db, clk, people, cat, ord := s.db, s.clk, s.people, s.cat, s.ord
	ctx := context.Background()
	if err := demo.Seed(ctx, people, cat, clk.Now()); err != nil {
		t.Fatal(err)
	}
	size := demo.BulkSize{Orders: 2000, Technicians: 10, Customers: 200}
	res, err := demo.SeedBulk(ctx, db, size, clk.Now())
	if err != nil || !res.Created {
		t.Fatalf("SeedBulk = %+v, %v", res, err)
	}

	count := func(q string) int64 {
		t.Helper()
		var n int64
		var args []any
		if strings.Contains(q, "@now") {
			args = append(args, map[string]any{"now": clk.Now()})
		}
		if err := db.Raw(q, args...).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	for q, want := range map[string]int64{
		"SELECT count(*) FROM orders WHERE external_ref LIKE 'BULK-%'":                         2000,
		"SELECT count(*) FROM users WHERE email LIKE 'bulk-tech-%'":                            10,
		"SELECT count(*) FROM users WHERE email LIKE 'bulk-customer-%'":                        200,
		"SELECT count(*) FROM assets WHERE serial_number LIKE 'BULK%'":                         200,
		"SELECT count(*) FROM orders WHERE status NOT IN ('completed', 'closed', 'cancelled')": 250, // 25 per technician
		// the newest 250, a quarter in each open status
		"SELECT count(*) FROM orders WHERE status = 'accepted'": 63,
		// no backlog for the periodic jobs: every reminder due is sent, every missed milestone marked
		"SELECT count(*) FROM orders WHERE status = 'completed' AND follow_up_notified_at IS NULL AND follow_up_due_at <= @now":                                                          0,
		"SELECT count(*) FROM orders WHERE status = 'submitted' AND NOT ('first_response' = ANY (sla_breached)) AND first_response_due <= @now":                                          0,
		"SELECT count(*) FROM orders WHERE status NOT IN ('completed', 'closed', 'cancelled') AND NOT ('on_site' = ANY (sla_breached)) AND on_site_due <= @now":                          0,
		"SELECT count(*) FROM orders WHERE status IN ('triaged', 'assigned', 'accepted') AND 'first_response' = ANY (sla_breached)":                                                      0,
		"SELECT count(*) FROM orders WHERE status = 'submitted' AND 'first_response' = ANY (sla_breached)":                                                                               60, // created 2 h or more before
		"SELECT count(DISTINCT order_id) FROM order_events WHERE action = 'create'":                                                                                                      2000,
		"SELECT count(*) FROM orders o WHERE technician_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM order_assignments a WHERE a.order_id = o.id AND a.technician_id = o.technician_id)": 0,
		"SELECT count(*) FROM order_assignments a JOIN orders o ON o.id = a.order_id WHERE o.technician_id <> a.technician_id AND a.accepted_at IS NOT NULL":                             75, // tombstones: every 25th dispatched one (80, less 5 still submitted or triaged)
	} {
		if got := count(q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}

	who := func(email string) auth.Principal {
		t.Helper()
		u, err := people.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return identity.PrincipalOf(u)
	}
	for _, email := range []string{"bulk-tech-000003@fieldops.test", "bulk-customer-00000007@example.com"} {
		p := who(email)
		pg, err := ord.List(ctx, p, orders.Filter{}, 5, nil)
		if err != nil || len(pg.Items) == 0 || pg.NextCursor == "" {
			t.Fatalf("%s: List = %d items, cursor %q, %v; want a full page", email, len(pg.Items), pg.NextCursor, err)
		}
		o, err := ord.Get(ctx, p, pg.Items[0].ID)
		if err != nil || !strings.HasPrefix(o.ExternalRef, "BULK-") {
			t.Fatalf("%s: Get = %+v, %v", email, o.ExternalRef, err)
		}
	}

	// a rerun of the same size does nothing; another size is refused
	if res, err := demo.SeedBulk(ctx, db, size, clk.Now()); err != nil || res.Created {
		t.Fatalf("second SeedBulk = %+v, %v; want nothing done", res, err)
	}
	size.Orders++
	if _, err := demo.SeedBulk(ctx, db, size, clk.Now()); err == nil || !strings.Contains(err.Error(), "another size") {
		t.Fatalf("SeedBulk of another size = %v, want a refusal", err)
	}
}
