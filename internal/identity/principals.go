package identity

import (
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/auth"
)

// principalCacheMax bounds the accounts one replica remembers; past it the
// expired entries are swept and, if that frees nothing, the cache starts over.
const principalCacheMax = 50_000

// principalCache remembers, for a short TTL, what Current read of an account,
// so the check that runs on every authenticated request is not a round trip
// every time (issue 8). Changes made through this Service drop the account's
// entry at once (forget); changes made through another replica (or the
// `fieldops users` command) are seen within the TTL.
//
// It is a map with lazy expiry rather than hashicorp/golang-lru's expirable
// LRU: that one starts a goroutine per cache that never exits and ticks every
// TTL/100, which every test server would leak; a bound plus a sweep is enough
// here, since entries are tiny and live for seconds.
type principalCache struct {
	ttl time.Duration
	now func() time.Time // wall clock: the cache ages in real time, whatever the service clock says

	mu sync.Mutex
	// epoch counts forgets: a read that started before one does not store
	// what it read, which may predate the change.
	epoch   uint64
	entries map[uuid.UUID]cachedPrincipal
}

type cachedPrincipal struct {
	p     auth.Principal
	live  bool
	until time.Time
}

func newPrincipalCache(ttl time.Duration) *principalCache {
	return &principalCache{ttl: ttl, now: time.Now, entries: map[uuid.UUID]cachedPrincipal{}}
}

// get returns the cached principal of id, and the epoch to store a fresh read under.
func (c *principalCache) get(id uuid.UUID) (p auth.Principal, live, ok bool, epoch uint64) {
	if c.ttl <= 0 {
		return auth.Principal{}, false, false, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, found := c.entries[id]
	if found && c.now().Before(e.until) {
		return e.p, e.live, true, c.epoch
	}
	return auth.Principal{}, false, false, c.epoch
}

// put stores a read that started at epoch, unless an account was forgotten since.
func (c *principalCache) put(id uuid.UUID, p auth.Principal, live bool, epoch uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	now := c.now()
	if len(c.entries) >= principalCacheMax {
		for k, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= principalCacheMax {
			clear(c.entries)
		}
	}
	c.entries[id] = cachedPrincipal{p: p, live: live, until: now.Add(c.ttl)}
}

// forget drops id's entry: its role, provider or active flag changed, or its
// sessions were revoked. Call it after the change committed.
func (c *principalCache) forget(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	delete(c.entries, id)
}
