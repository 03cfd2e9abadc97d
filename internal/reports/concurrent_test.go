package reports

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
)

type inHouse struct{}

func (inHouse) InHouse(context.Context, auth.Principal) (bool, error) { return true, nil }

// Many reports at once on a small pool all finish: a report takes its
// connections only when it can hold all of them (no report holds one while
// waiting for another's), and the lanes are capped at half the pool.
func TestConcurrentReportsOnASmallPoolDoNotDeadlock(t *testing.T) {
	_, url := dbtest.New(t)
	db, err := database.Open(url, database.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := New(db, inHouse{}, clock.NewFixed(now)).WithConnections(8)
	if svc.lanes.n != 2 {
		t.Fatalf("lanes = %d, want 2 (half of a 4-connection pool)", svc.lanes.n)
	}
	serial := New(db, inHouse{}, clock.NewFixed(now)).WithConnections(1)
	q := Query{From: now.AddDate(0, 0, -90), To: now}
	p := auth.Principal{Role: auth.RoleManager}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 12)
	for i := range 12 {
		wg.Go(func() {
			s := svc
			if i%4 == 0 {
				s = serial // reports on one connection take from the same pool
			}
			_, err := s.KPIs(ctx, p, q)
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("report: %v", err)
		}
	}
	a, err := svc.KPIs(ctx, p, q)
	if err != nil {
		t.Fatal(err)
	}
	b, err := serial.KPIs(ctx, p, q)
	if err != nil {
		t.Fatal(err)
	}
	if a.KPIs.CSATAvg != b.KPIs.CSATAvg || a.KPIs.SLACompliance != b.KPIs.SLACompliance || len(a.KPIs.FaultRatePer100) != len(b.KPIs.FaultRatePer100) {
		t.Errorf("concurrent %+v, serial %+v", a.KPIs, b.KPIs)
	}
}
