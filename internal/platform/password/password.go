// Package password hashes and checks passwords with argon2id (RFC 9106), in
// the PHC string format so parameters can change without breaking old hashes.
//
// Each hash or check allocates its memory cost (19 MiB with OWASP's
// parameters), and sign-up and login reach it without authentication, so a
// Hasher may be limited to a number of hashes at once (Limit): a caller that
// finds no free slot within the wait gets ErrBusy instead of more memory.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// ErrBusy is returned when no hashing slot freed within the Hasher's wait:
// the server is at its hashing capacity and the client should retry later.
var ErrBusy = errors.New("password: every hashing slot is taken")

// Params are argon2id cost parameters.
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// Hasher hashes with fixed parameters and checks hashes made with any.
type Hasher struct {
	p     Params
	slots chan struct{} // nil: unlimited
	wait  time.Duration
}

// NewHasher returns a hasher; zero fields take OWASP's minimums (19 MiB, t=2, p=1).
func NewHasher(p Params) *Hasher {
	if p.MemoryKiB == 0 {
		p.MemoryKiB = 19 * 1024
	}
	if p.Time == 0 {
		p.Time = 2
	}
	if p.Threads == 0 {
		p.Threads = 1
	}
	return &Hasher{p: p}
}

// Limit bounds the hashes and checks running at once to n (n < 1: no
// bound); a call waits at most wait for a slot, then fails with ErrBusy. The
// memory of hashing is then at most n times the memory cost. It returns h.
func (h *Hasher) Limit(n int, wait time.Duration) *Hasher {
	h.slots, h.wait = nil, wait
	if n > 0 {
		h.slots = make(chan struct{}, n)
	}
	return h
}

// Wait is how long a call waits for a hashing slot.
func (h *Hasher) Wait() time.Duration { return h.wait }

// Reserve takes one hashing slot, as Hash and Check do, until the returned
// function is called; it fails like them (ErrBusy, ctx's error). For work
// that must count against the same capacity, and for tests that fill it.
func (h *Hasher) Reserve(ctx context.Context) (release func(), err error) { return h.acquire(ctx) }

// acquire takes a slot (a buffered channel is the semaphore); the returned
// function gives it back.
func (h *Hasher) acquire(ctx context.Context) (func(), error) {
	if h.slots == nil {
		return func() {}, nil
	}
	select {
	case h.slots <- struct{}{}: // the common case: a free slot, no timer
		return func() { <-h.slots }, nil
	default:
	}
	t := time.NewTimer(h.wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

const keyLen = 32

// Hash returns the PHC-formatted argon2id hash of pw. It fails with ErrBusy
// when no hashing slot frees in time (see Limit), or with ctx's error.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	key := argon2.IDKey([]byte(pw), salt, h.p.Time, h.p.MemoryKiB, h.p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.p.MemoryKiB, h.p.Time, h.p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Check reports whether pw matches hash, in constant time. Like Hash, it
// takes a hashing slot and may fail with ErrBusy or ctx's error.
func (h *Hasher) Check(ctx context.Context, hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("password: unknown hash format")
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, fmt.Errorf("password: %w", err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("password: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("password: %w", err)
	}
	// argon2 panics on zero time, threads or key length; we never make empty salts
	if t < 1 || p < 1 || len(salt) == 0 || len(want) == 0 {
		return false, errors.New("password: malformed hash parameters")
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
