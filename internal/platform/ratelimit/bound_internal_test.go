package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
)

// Keys come from unauthenticated callers too (token requests by client
// address, and an IPv6 client has addresses to spare): neither this
// replica's map nor the shared table may grow with every new address.
func TestKeysAreBounded(t *testing.T) {
	db, _ := dbtest.New(t)
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	l := New(db, Config{RPS: 1, Burst: 5, Batch: 1}, func() time.Time { return now })
	l.maxKeys = 10
	ctx := context.Background()
	for i := range 100 {
		if d, err := l.Allow(ctx, "token:2001:db8::"+strconv.Itoa(i)); err != nil || !d.Allowed {
			t.Fatalf("key %d: %+v %v", i, d, err)
		}
		if n := len(l.keys); n > l.maxKeys {
			t.Fatalf("after %d keys within a second the replica remembers %d (bound %d)", i+1, n, l.maxKeys)
		}
	}
	rows := func() int64 {
		var n int64
		if err := db.Raw(`SELECT count(*) FROM rate_limits`).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := rows(); n != 100 {
		t.Fatalf("rows %d, want 100", n)
	}
	// every bucket is full again (a full bucket is the same as no row): the
	// next claims remove them
	now = now.Add(time.Hour)
	if _, err := l.Allow(ctx, "user:x"); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 1 {
		t.Fatalf("an hour later %d rows are kept, want 1 (user:x)", n)
	}
	// a bucket still refilling is kept
	for range 5 {
		if d, _ := l.Allow(ctx, "user:y"); !d.Allowed {
			t.Fatal("burst")
		}
	}
	if d, _ := l.Allow(ctx, "user:y"); d.Allowed {
		t.Fatal("past the burst")
	}
	now = now.Add(time.Hour)
	l.keys = map[string]*local{} // another replica: nothing remembered locally
	if _, err := l.Allow(ctx, "user:z"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	for range 5 {
		if d, _ := l.Allow(ctx, "user:y"); !d.Allowed {
			t.Fatal("refilled after an hour")
		}
	}
	if d, _ := l.Allow(ctx, "user:y"); d.Allowed {
		t.Fatal("the refilled bucket is still bounded by the burst")
	}
}
