package ratelimit_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/ratelimit"
)

// The bucket refills at the rate, never past the burst, and a refusal says
// when the next token comes.
func TestBucketRefill(t *testing.T) {
	db, _ := dbtest.New(t)
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	l := ratelimit.New(db, ratelimit.Config{RPS: 2, Burst: 4, Batch: 1}, func() time.Time { return now })
	ctx := context.Background()
	allow := func(want bool, what string) ratelimit.Decision {
		t.Helper()
		d, err := l.Allow(ctx, "user:x")
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed != want {
			t.Fatalf("%s: allowed %t, want %t (%+v)", what, d.Allowed, want, d)
		}
		return d
	}
	for i := range 4 {
		if d := allow(true, "burst"); d.Remaining != 3-i {
			t.Fatalf("remaining %d after %d", d.Remaining, i+1)
		}
	}
	d := allow(false, "past the burst")
	if d.RetryAfter != 500*time.Millisecond || d.Reset != 2*time.Second {
		t.Fatalf("refusal: %+v", d)
	}
	now = now.Add(499 * time.Millisecond)
	allow(false, "before the next token (refused locally)")
	now = now.Add(time.Millisecond)
	allow(true, "the next token")
	allow(false, "only one")
	now = now.Add(time.Hour)
	for range 4 {
		allow(true, "full again after a long pause")
	}
	allow(false, "never past the burst")
	if l2 := ratelimit.New(db, ratelimit.Config{RPS: 0, Burst: 4}, time.Now); l2 != nil {
		t.Fatal("RPS 0 limits")
	}
}

// BenchmarkAllow measures a request's cost in the limiter: Batch 1 claims on
// every request (one UPSERT), Batch 50 one time in 50 (the rest in memory).
func BenchmarkAllow(b *testing.B) {
	db, _ := dbtest.New(b)
	for _, batch := range []int{1, 10, 50} {
		b.Run("batch="+strconv.Itoa(batch), func(b *testing.B) {
			l := ratelimit.New(db, ratelimit.Config{RPS: 1e9, Burst: 1 << 30, Batch: batch}, time.Now)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if d, err := l.Allow(ctx, "bench:"+strconv.Itoa(batch)); err != nil || !d.Allowed {
					b.Fatal(d, err)
				}
			}
		})
	}
}
