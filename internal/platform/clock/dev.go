package clock

import (
	"errors"
	"sync"
	"time"
)

// ErrBackwards is returned when a settable clock is asked to go back in time.
var ErrBackwards = errors.New("clock: the time may only move forward")

// Settable is a clock that can be moved forward, never back: dev mode's test
// clock (POST /v1/dev/clock) and tests.
type Settable interface {
	Clock
	// SetForward moves the clock to t; ErrBackwards when t is before Now.
	SetForward(t time.Time) error
}

// Offset is a base clock plus an offset that only grows: dev mode's server
// clock, real time that a tester can jump forward.
type Offset struct {
	mu   sync.Mutex
	base Clock
	off  time.Duration
}

// NewOffset returns base with no offset yet.
func NewOffset(base Clock) *Offset { return &Offset{base: base} }

// Now is the base time plus the offset, in UTC.
func (o *Offset) Now() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.base.Now().Add(o.off).UTC()
}

// SetForward moves the clock to t (the offset grows by t - Now).
func (o *Offset) SetForward(t time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.base.Now().Add(o.off)
	if t.Before(now) {
		return ErrBackwards
	}
	o.off += t.Sub(now)
	return nil
}

// SetForward moves a fixed clock to t, never back.
func (f *Fixed) SetForward(t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.Before(f.t) {
		return ErrBackwards
	}
	f.t = t.UTC()
	return nil
}
