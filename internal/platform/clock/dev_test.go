package clock_test

import (
	"errors"
	"testing"
	"time"

	"github.com/fieldops/fieldops/internal/platform/clock"
)

func TestOffsetMovesOnlyForward(t *testing.T) {
	base := clock.NewFixed(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC))
	o := clock.NewOffset(base)
	later := time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)
	if err := o.SetForward(later); err != nil {
		t.Fatal(err)
	}
	if !o.Now().Equal(later) {
		t.Fatalf("Now = %v, want %v", o.Now(), later)
	}
	base.Advance(time.Minute) // real time goes on under the offset
	if want := later.Add(time.Minute); !o.Now().Equal(want) {
		t.Errorf("Now = %v after the base moved, want %v", o.Now(), want)
	}
	if err := o.SetForward(later); !errors.Is(err, clock.ErrBackwards) {
		t.Errorf("SetForward to the past = %v, want ErrBackwards", err)
	}
	if err := base.SetForward(base.Now().Add(-time.Second)); !errors.Is(err, clock.ErrBackwards) {
		t.Errorf("Fixed.SetForward to the past = %v, want ErrBackwards", err)
	}
}
