package clients

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// cacheMax bounds the clients one replica remembers; past it the expired
// entries are swept and, if that frees nothing, the cache starts over.
const cacheMax = 10_000

// liveCache remembers for a short TTL what Current read of a client, so a
// client's request is not an extra round trip every time (issue 8's budget:
// GET one round trip with authentication). Delete through this replica drops
// the entry at once; other replicas see a deletion within the TTL. The same
// design as identity's principal cache (a bounded map with lazy expiry, no
// goroutine), for the same reasons.
type liveCache struct {
	ttl time.Duration
	now func() time.Time // wall clock: entries age in real time

	mu      sync.Mutex
	epoch   uint64 // counts forgets: a read that started before one is not stored
	entries map[uuid.UUID]cachedClient
}

type cachedClient struct {
	c     current
	until time.Time
}

func newLiveCache(ttl time.Duration) *liveCache {
	return &liveCache{ttl: ttl, now: time.Now, entries: map[uuid.UUID]cachedClient{}}
}

func (c *liveCache) get(id uuid.UUID) (cur current, ok bool, epoch uint64) {
	if c.ttl <= 0 {
		return current{}, false, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, found := c.entries[id]
	if found && c.now().Before(e.until) {
		return e.c, true, c.epoch
	}
	return current{}, false, c.epoch
}

func (c *liveCache) put(id uuid.UUID, cur current, epoch uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	now := c.now()
	if len(c.entries) >= cacheMax {
		for k, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= cacheMax {
			clear(c.entries)
		}
	}
	c.entries[id] = cachedClient{c: cur, until: now.Add(c.ttl)}
}

func (c *liveCache) forget(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	delete(c.entries, id)
}
