package orders_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/demo"
	"github.com/fieldops/fieldops/internal/identity"
	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/password"
)

// The technician list walks order_assignments' copy of each order's
// updated_at and status (migration 000012). Every path that writes an order
// or an assignment keeps the copy in step, and a technician who accepted an
// order and lost it still finds it, in its new state, in the list and in
// delta sync (the tombstone).
func TestAssignmentCopyStaysInStep(t *testing.T) {
	db, _ := dbtest.New(t)
	clk := clock.System{}
	tokens := auth.NewIssuer("0123456789abcdef0123456789abcdef", "fieldops", "fieldops-api", 15*time.Minute, clk.Now)
	people := identity.New(db, password.NewHasher(password.Params{MemoryKiB: 64, Time: 1}), tokens, clk,
		identity.SessionConfig{RefreshTTL: time.Hour, MaxFailures: 10, MaxIPFailures: 50, Window: time.Minute, Lockout: time.Minute})
	cat := catalog.New(db, people, clk)
	ord := orders.New(db, cat, people, clk, orders.Media{})
	ctx := context.Background()
	if err := demo.Seed(ctx, people, cat, clk.Now()); err != nil {
		t.Fatal(err)
	}
	who := func(email string) auth.Principal {
		t.Helper()
		u, err := people.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return identity.PrincipalOf(u)
	}
	alice, disp := who("alice@example.com"), who("dispatcher@fieldops.test")
	tom, nina, carl := who("tom@fieldops.test"), who("nina@fieldops.test"), who("carl@coolfix.test")

	o, err := ord.Create(ctx, alice, orders.CreateInput{Type: "repair", Description: "The air conditioner rattles.",
		Address: catalog.Address{Line1: "12 Harbour Road", City: "Northport", Region: "north"}})
	if err != nil {
		t.Fatal(err)
	}
	// inStep checks every copy and which technicians hold a row.
	inStep := func(step string, holders ...auth.Principal) {
		t.Helper()
		var stale int64
		if err := db.Raw(`SELECT count(*) FROM order_assignments a JOIN orders o ON o.id = a.order_id
WHERE a.order_updated_at <> o.updated_at OR a.order_status <> o.status`).Scan(&stale).Error; err != nil {
			t.Fatal(err)
		}
		if stale != 0 {
			t.Errorf("%s: %d assignment rows out of step with their order", step, stale)
		}
		var got []uuid.UUID
		if err := db.Raw(`SELECT technician_id FROM order_assignments WHERE order_id = ?`, o.ID).Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		want := make([]uuid.UUID, 0, len(holders))
		for _, h := range holders {
			want = append(want, h.UserID)
		}
		slices.SortFunc(got, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
		slices.SortFunc(want, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
		if !slices.Equal(got, want) {
			t.Errorf("%s: assignment rows of %v, want %v", step, got, want)
		}
	}
	// listed finds the order in p's list (filtered) and returns it.
	listed := func(p auth.Principal, f orders.Filter) (orders.Order, bool) {
		t.Helper()
		pg, err := ord.List(ctx, p, f, 50, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range pg.Items {
			if it.ID == o.ID {
				return it, true
			}
		}
		return orders.Order{}, false
	}

	steps := []struct {
		name    string
		do      func() error
		holders []auth.Principal
	}{
		{"triage", func() error { _, err := ord.Triage(ctx, disp, o.ID, orders.TriageInput{Priority: "P2"}); return err }, nil},
		{"assign tom", func() error { _, err := ord.Assign(ctx, disp, o.ID, &tom.UserID, false); return err }, []auth.Principal{tom}},
		{"tom accepts", func() error { _, err := ord.Accept(ctx, tom, o.ID); return err }, []auth.Principal{tom}},
		{"reassign to nina", func() error { _, err := ord.Assign(ctx, disp, o.ID, &nina.UserID, false); return err }, []auth.Principal{tom, nina}},
		{"nina declines", func() error { _, err := ord.Decline(ctx, nina, o.ID, "too far"); return err }, []auth.Principal{tom}},
		{"assign carl", func() error { _, err := ord.Assign(ctx, disp, o.ID, &carl.UserID, false); return err }, []auth.Principal{tom, carl}},
		{"carl accepts", func() error { _, err := ord.Accept(ctx, carl, o.ID); return err }, []auth.Principal{tom, carl}},
		{"unassign carl", func() error { _, err := ord.Unassign(ctx, disp, o.ID, "sick"); return err }, []auth.Principal{tom, carl}},
		{"assign nina", func() error { _, err := ord.Assign(ctx, disp, o.ID, &nina.UserID, false); return err }, []auth.Principal{tom, carl, nina}},
		{"unassign nina before accepting", func() error { _, err := ord.Unassign(ctx, disp, o.ID, "wrong skills"); return err }, []auth.Principal{tom, carl}},
		{"cancel", func() error { _, err := ord.Cancel(ctx, alice, o.ID, "fixed it myself"); return err }, []auth.Principal{tom, carl}},
	}
	for _, st := range steps {
		before := time.Now().Add(-time.Millisecond)
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		inStep(st.name, st.holders...)
		cur, err := ord.Get(ctx, disp, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		// every holder sees the order's new state, in the full list, in the
		// delta since just before the step and filtered by its status
		for _, h := range st.holders {
			for name, f := range map[string]orders.Filter{"list": {}, "delta sync": {UpdatedSince: &before}, "status filter": {Status: cur.Status + ",scheduled"}} {
				got, ok := listed(h, f)
				if !ok || got.Status != cur.Status || !got.UpdatedAt.Equal(cur.UpdatedAt) {
					t.Errorf("%s: %s of %s: found %v, status %q at %v; want %q at %v", st.name, name, h.UserID, ok, got.Status, got.UpdatedAt, cur.Status, cur.UpdatedAt)
				}
			}
		}
	}
	// nina declined and was taken off before accepting: the order is gone for her
	if _, ok := listed(nina, orders.Filter{}); ok {
		t.Errorf("nina, who never accepted, still lists the order")
	}
}
