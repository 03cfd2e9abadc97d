package identity

import (
	"testing"
	"time"
)

// An account's back-off: nothing up to max failures in the window, then a
// lock of base that doubles with every further failure up to the cap; a quiet
// day after the last lock forgets the level.
func TestBackoffDoublesUpToTheCapAndIsForgotten(t *testing.T) {
	r := backoffRule{window: 15 * time.Minute, max: 3, base: time.Minute, cap: 10 * time.Minute, quiet: 24 * time.Hour}
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	row := LoginThrottle{Key: "account:x", WindowStart: now}
	var locked bool
	for i := 1; i <= 3; i++ {
		if row, locked = r.step(row, now); locked {
			t.Fatalf("failure %d locked the account (max 3)", i)
		}
	}
	var got []time.Duration
	for range 6 {
		row, locked = r.step(row, now)
		if !locked {
			t.Fatalf("a failure past the limit did not lock: %+v", row)
		}
		got = append(got, row.LockedUntil.Sub(now))
		now = *row.LockedUntil // the next failure comes when the lock ends
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute, 10 * time.Minute}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("locks %v, want %v", got, want)
		}
	}
	now = now.Add(25 * time.Hour)
	if row, locked = r.step(row, now); locked || row.Failures != 1 || row.Lockouts != 0 {
		t.Fatalf("after a quiet day: %+v locked=%v; want a fresh count", row, locked)
	}
}

// A window that ends without a lock starts the count again.
func TestBackoffWindowRestartsTheCount(t *testing.T) {
	r := backoffRule{window: 15 * time.Minute, max: 2, base: time.Minute, cap: time.Hour, quiet: 24 * time.Hour}
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	row := LoginThrottle{WindowStart: now}
	row, _ = r.step(row, now)
	row, _ = r.step(row, now)
	row, locked := r.step(row, now.Add(16*time.Minute))
	if locked || row.Failures != 1 {
		t.Fatalf("a failure in a new window: %+v locked=%v", row, locked)
	}
}
