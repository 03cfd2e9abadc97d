package identity

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/auth"
)

func TestPrincipalCache(t *testing.T) {
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	newCache := func() *principalCache {
		c := newPrincipalCache(2 * time.Second)
		c.now = func() time.Time { return now }
		return c
	}
	id := uuid.New()
	tech := auth.Principal{UserID: id, Role: auth.RoleTechnician}

	t.Run("an answer is reused until the TTL ends", func(t *testing.T) {
		c := newCache()
		_, _, _, epoch := c.get(id)
		c.put(id, tech, true, epoch)
		if p, live, ok, _ := c.get(id); !ok || !live || p != tech {
			t.Fatalf("get = %v %v %v, want the stored principal", p, live, ok)
		}
		now = now.Add(2 * time.Second)
		if _, _, ok, _ := c.get(id); ok {
			t.Error("an entry as old as the TTL is still served")
		}
	})
	t.Run("forget drops the entry", func(t *testing.T) {
		c := newCache()
		_, _, _, epoch := c.get(id)
		c.put(id, tech, true, epoch)
		c.forget(id)
		if _, _, ok, _ := c.get(id); ok {
			t.Error("a forgotten account is still served")
		}
	})
	t.Run("a read that started before a change is not stored", func(t *testing.T) {
		c := newCache()
		_, _, _, epoch := c.get(id) // the read starts, then the account changes and is forgotten
		c.forget(id)
		c.put(id, tech, true, epoch) // the read ends with what may be the old row
		if _, _, ok, _ := c.get(id); ok {
			t.Error("a read older than the change was cached")
		}
	})
	t.Run("the cache is bounded", func(t *testing.T) {
		c := newCache()
		for range principalCacheMax + 10 {
			_, _, _, epoch := c.get(id)
			c.put(uuid.New(), tech, true, epoch)
		}
		if n := len(c.entries); n > principalCacheMax {
			t.Errorf("%d entries, want at most %d", n, principalCacheMax)
		}
	})
	t.Run("a zero TTL caches nothing", func(t *testing.T) {
		c := newPrincipalCache(0)
		c.put(id, tech, true, 0)
		if _, _, ok, _ := c.get(id); ok {
			t.Error("served from a disabled cache")
		}
	})
}
