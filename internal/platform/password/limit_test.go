package password

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A limited hasher hashes only in a free slot: with every slot taken, a
// caller gives up with ErrBusy after the wait (or when its context ends,
// whichever comes first), and a freed slot serves the next caller.
func TestLimitRefusesWhenEverySlotIsTaken(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(Params{MemoryKiB: 64, Time: 1}).Limit(2, 10*time.Millisecond)
	hash, err := h.Hash(ctx, "a long password")
	if err != nil {
		t.Fatal(err)
	}
	h.slots <- struct{}{} // two hashes in flight
	h.slots <- struct{}{}
	if _, err := h.Hash(ctx, "a long password"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Hash with every slot taken: %v, want ErrBusy", err)
	}
	if _, err := h.Check(ctx, hash, "a long password"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Check with every slot taken: %v, want ErrBusy", err)
	}
	h.Limit(2, time.Hour) // a long wait: the caller's context ends it
	h.slots <- struct{}{}
	h.slots <- struct{}{}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := h.Hash(cancelled, "a long password"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash with a cancelled context: %v, want context.Canceled", err)
	}
	<-h.slots // one hash finishes
	if ok, err := h.Check(ctx, hash, "a long password"); err != nil || !ok {
		t.Fatalf("Check with a free slot = %v, %v", ok, err)
	}
	if n := len(h.slots); n != 1 {
		t.Fatalf("%d slots taken after the check, want 1 (the check gives its slot back)", n)
	}
}

// Without Limit there is no bound (tools and tests hash freely).
func TestUnlimitedHasherNeverWaits(t *testing.T) {
	h := NewHasher(Params{MemoryKiB: 64, Time: 1})
	if h.slots != nil {
		t.Fatal("an unlimited hasher has slots")
	}
	if _, err := h.Hash(context.Background(), "pw"); err != nil {
		t.Fatal(err)
	}
}
