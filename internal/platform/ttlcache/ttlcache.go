// Package ttlcache is the short-lived, bounded per-replica cache behind the
// per-request "current truth" checks (identity.Current for accounts,
// clients.Service.Current for API clients): an answer is reused for a TTL of
// seconds, a change made through this replica drops it at once (Forget), and
// a read that started before such a change is never stored (epochs).
//
// It is a map with lazy expiry rather than hashicorp/golang-lru's expirable
// LRU: that one starts a goroutine per cache that never exits and ticks every
// TTL/100, which every test server would leak; a bound plus a sweep is enough,
// since entries are tiny and live for seconds.
package ttlcache

import (
	"sync"
	"time"
)

// Cache maps K to V for TTL. The zero TTL caches nothing.
type Cache[K comparable, V any] struct {
	ttl time.Duration
	max int
	// Now is the wall clock the entries age by (tests replace it); never the
	// service clock, which a test or the dev clock may move.
	Now func() time.Time

	mu sync.Mutex
	// epoch counts forgets: a read that started before one does not store
	// what it read, which may predate the change.
	epoch   uint64
	entries map[K]entry[V]
}

type entry[V any] struct {
	v     V
	until time.Time
}

// New returns a cache of at most max entries (past it the expired entries
// are swept and, if that frees nothing, the cache starts over).
func New[K comparable, V any](ttl time.Duration, max int) *Cache[K, V] {
	return &Cache[K, V]{ttl: ttl, max: max, Now: time.Now, entries: map[K]entry[V]{}}
}

// Get returns k's live value, and the epoch to Put a fresh read under.
func (c *Cache[K, V]) Get(k K) (v V, ok bool, epoch uint64) {
	if c.ttl <= 0 {
		return v, false, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, found := c.entries[k]
	if found && c.Now().Before(e.until) {
		return e.v, true, c.epoch
	}
	return v, false, c.epoch
}

// Put stores a read that started at epoch, unless something was forgotten since.
func (c *Cache[K, V]) Put(k K, v V, epoch uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	now := c.Now()
	if len(c.entries) >= c.max {
		for key, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[k] = entry[V]{v: v, until: now.Add(c.ttl)}
}

// Forget drops k's entry; call it after the change committed.
func (c *Cache[K, V]) Forget(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	delete(c.entries, k)
}

// Len is the number of entries held (expired ones included until swept).
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
