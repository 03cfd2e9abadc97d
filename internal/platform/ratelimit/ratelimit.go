// Package ratelimit is a token bucket per caller (user or API client) that
// holds across replicas: the bucket lives in PostgreSQL (table rate_limits,
// one row per caller, GCRA: the row keeps the bucket's "theoretical arrival
// time"), and each replica claims tokens from it in batches with one UPSERT,
// then spends them locally. A request therefore costs a round trip only once
// per Batch requests of a caller on a replica (issue 8's budget: GET one
// round trip), and a flood of refused requests costs none until the bucket
// may have refilled (the refusal is remembered locally until then).
//
// The limit is never exceeded across replicas: every request admitted
// anywhere spent a token the shared bucket granted. What batching costs is
// the other way round: up to Batch-1 tokens a replica has claimed but not
// spent are unusable on the other replicas, so with R replicas a caller may
// see a 429 up to (R-1)*(Batch-1) requests early. Batch 1 makes it exact, at
// one round trip per request.
//
// The table is UNLOGGED: a claim commits without waiting for a WAL flush
// (BenchmarkAllow: 87 µs per claim, 2.2 ms logged, on the shared dev
// machine); a crash empties it, which only refills every bucket.
//
// Why not a library: no well-kept Go limiter shares its state through
// PostgreSQL (golang.org/x/time/rate is in-memory, per process; the
// Redis-backed ones need Redis, which FieldOps does not run), and the GCRA
// update is one statement.
package ratelimit

import (
	"context"
	"math"
	"net/netip"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/database"
)

// Bucket is a rate_limits row: a caller's shared bucket.
type Bucket struct {
	Key     string    `gorm:"primaryKey"`
	TAT     time.Time `gorm:"column:tat;not null"` // GCRA theoretical arrival time: the bucket is full when tat <= now
	Granted int       `gorm:"not null"`            // tokens the last claim granted
}

// TableName is the table of Bucket.
func (Bucket) TableName() string { return "rate_limits" }

// Config sets the rate: RPS tokens a second, up to Burst at once; a replica
// claims Batch tokens at a time (at most Burst).
type Config struct {
	RPS   float64
	Burst int
	Batch int
}

// Decision is the outcome of one request, with what the RateLimit headers say.
type Decision struct {
	Allowed    bool
	Limit      int           // the burst
	Remaining  int           // tokens left (this replica's view)
	Reset      time.Duration // until the bucket is full again
	RetryAfter time.Duration // when refused: until a token is available
}

// maxKeys bounds the callers a replica remembers; past it entries idle for a
// minute are dropped, and if that leaves more than half, any others too
// (their unspent tokens are lost: the limit only gets stricter; a forgotten
// refusal costs one claim, which the shared bucket refuses again). Keys come
// from unauthenticated callers as well (token requests per client address),
// so the bound must hold whatever the callers do.
const maxKeys = 50_000

// purgeEvery is how often a replica deletes the shared buckets that have been
// full for purgeAfter (a full bucket is the same as no row, so this changes
// no decision; purgeAfter leaves room for the replicas' clocks to differ).
// Without it, every address that ever asked for a token would keep a row.
const (
	purgeEvery = time.Minute
	purgeAfter = time.Minute
)

// Limiter is the per-caller limiter of one replica.
type Limiter struct {
	db       *gorm.DB
	interval time.Duration // one token
	burst    int
	batch    int
	now      func() time.Time // wall clock: limits are about real time, whatever a test clock says
	maxKeys  int

	mu          sync.Mutex
	keys        map[string]*local
	purgeCheck  sync.Mutex // one purge at a time on this replica
	purgedUntil time.Time  // guarded by purgeCheck: no purge before then
}

// local is a caller's state on this replica.
type local struct {
	mu          sync.Mutex
	tokens      int       // claimed from the shared bucket, not yet spent
	tat         time.Time // the shared bucket's tat after this replica's last claim
	deniedUntil time.Time // a claim found the bucket empty: refuse locally until then
	used        time.Time
}

// New returns a limiter, or nil when cfg.RPS or cfg.Burst is not positive
// (no limit).
func New(db *gorm.DB, cfg Config, now func() time.Time) *Limiter {
	if cfg.RPS <= 0 || cfg.Burst <= 0 {
		return nil
	}
	batch := min(max(cfg.Batch, 1), cfg.Burst)
	return &Limiter{db: db, interval: time.Duration(float64(time.Second) / cfg.RPS), burst: cfg.Burst, batch: batch,
		now: now, maxKeys: maxKeys, keys: map[string]*local{}}
}

func (l *Limiter) entry(key string, now time.Time) *local {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= l.maxKeys {
			for k, old := range l.keys {
				if now.Sub(old.used) > time.Minute && old.mu.TryLock() {
					delete(l.keys, k)
					old.mu.Unlock()
				}
			}
			// all busy within the minute (a flood of new keys): forget down
			// to half, so the next sweep is maxKeys/2 new keys away
			for k, old := range l.keys {
				if len(l.keys) < l.maxKeys/2 {
					break
				}
				if old.mu.TryLock() {
					delete(l.keys, k)
					old.mu.Unlock()
				}
			}
		}
		e = &local{}
		l.keys[key] = e
	}
	e.used = now
	return e
}

// Allow spends one of key's tokens, claiming a batch from the shared bucket
// when this replica has none left.
func (l *Limiter) Allow(ctx context.Context, key string) (Decision, error) {
	now := l.now()
	e := l.entry(key, now)
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.tokens > 0:
		e.tokens--
	case now.Before(e.deniedUntil):
		return l.refused(e, now), nil
	default:
		if err := l.purge(ctx, now); err != nil {
			return Decision{}, err
		}
		granted, tat, err := l.claim(ctx, key, now)
		if err != nil {
			return Decision{}, err
		}
		e.tat = tat
		if granted == 0 {
			// a token is back when tat - burst*interval + interval <= now
			e.deniedUntil = tat.Add(-time.Duration(l.burst-1) * l.interval)
			return l.refused(e, now), nil
		}
		e.tokens = granted - 1
	}
	return Decision{Allowed: true, Limit: l.burst, Remaining: e.tokens + l.available(e.tat, now), Reset: until(e.tat, now)}, nil
}

func (l *Limiter) refused(e *local, now time.Time) Decision {
	return Decision{Limit: l.burst, Remaining: 0, Reset: until(e.tat, now), RetryAfter: until(e.deniedUntil, now)}
}

// available is how many tokens the shared bucket had left after tat, now.
func (l *Limiter) available(tat, now time.Time) int {
	n := int(float64(now.Add(time.Duration(l.burst)*l.interval).Sub(tat)) / float64(l.interval))
	return min(max(n, 0), l.burst)
}

func until(t, now time.Time) time.Duration { return max(t.Sub(now), 0) }

// The claim is GCRA over a batch, in one statement: the bucket's tat moves
// from max(tat, now) by one interval per granted token, granting at most
// batch tokens and never past now + burst*interval. A new caller's bucket
// starts full. (now - max(tat, now))/interval + burst is how many tokens are
// left (1e-9 absorbs floating-point error at a whole token).

// claim takes up to batch tokens from key's shared bucket; it returns how
// many it got and the bucket's tat after the claim.
func (l *Limiter) claim(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	const q = `INSERT INTO rate_limits AS r (key, tat, granted)
VALUES ($1, $2::timestamptz + make_interval(secs => least($4::int, $5::int) * $3::float8), least($4::int, $5::int))
ON CONFLICT (key) DO UPDATE SET
  granted = greatest(0, least($4::int, floor(extract(epoch FROM ($2::timestamptz - greatest(r.tat, $2::timestamptz))) / $3::float8 + $5::int + 1e-9)::int)),
  tat = greatest(r.tat, $2::timestamptz) + make_interval(secs => greatest(0, least($4::int,
        floor(extract(epoch FROM ($2::timestamptz - greatest(r.tat, $2::timestamptz))) / $3::float8 + $5::int + 1e-9)::int)) * $3::float8)
RETURNING granted, tat`
	var granted int
	var tat time.Time
	err := database.Row(ctx, l.db, q, key, now, l.interval.Seconds(), l.batch, l.burst).Scan(&granted, &tat)
	return granted, tat, err
}

// purge deletes the shared buckets full since purgeAfter, at most once per
// purgeEvery on this replica (a claim that comes first does it; the others
// go on). A claim racing the DELETE is safe under READ COMMITTED: a row it
// moved into the future no longer matches, and one deleted first is
// inserted again as a full bucket, which it was.
func (l *Limiter) purge(ctx context.Context, now time.Time) error {
	if !l.purgeCheck.TryLock() {
		return nil
	}
	defer l.purgeCheck.Unlock()
	if now.Before(l.purgedUntil) {
		return nil
	}
	if err := l.db.WithContext(ctx).Exec(`DELETE FROM rate_limits WHERE tat < ?`, now.Add(-purgeAfter)).Error; err != nil {
		return err
	}
	l.purgedUntil = now.Add(purgeEvery)
	return nil
}

// Address is the key part of a client address for limits per address: an
// IPv4 address as is, an IPv6 address by its /64 (one subscriber's network,
// whose host picks any of its 2^64 addresses at will). The sign-in rules
// (identity) count addresses by it too (docs/SECURITY.md).
func Address(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// RetryAfterSeconds rounds a wait up to whole seconds (at least 1), as
// Retry-After and RateLimit-Reset carry it.
func RetryAfterSeconds(d time.Duration) int { return max(int(math.Ceil(d.Seconds())), 1) }
