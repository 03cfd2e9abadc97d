package ttlcache

import (
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	newCache := func() *Cache[string, int] {
		c := New[string, int](2*time.Second, 100)
		c.Now = func() time.Time { return now }
		return c
	}

	t.Run("an answer is reused until the TTL ends", func(t *testing.T) {
		c := newCache()
		_, _, epoch := c.Get("a")
		c.Put("a", 7, epoch)
		if v, ok, _ := c.Get("a"); !ok || v != 7 {
			t.Fatalf("Get = %v %v, want 7 true", v, ok)
		}
		now = now.Add(2 * time.Second)
		if _, ok, _ := c.Get("a"); ok {
			t.Error("an entry as old as the TTL is still served")
		}
	})
	t.Run("forget drops the entry", func(t *testing.T) {
		c := newCache()
		_, _, epoch := c.Get("a")
		c.Put("a", 7, epoch)
		c.Forget("a")
		if _, ok, _ := c.Get("a"); ok {
			t.Error("a forgotten key is still served")
		}
	})
	t.Run("a read that started before a change is not stored", func(t *testing.T) {
		c := newCache()
		_, _, epoch := c.Get("a") // the read starts, then the row changes and is forgotten
		c.Forget("a")
		c.Put("a", 7, epoch) // the read ends with what may be the old row
		if _, ok, _ := c.Get("a"); ok {
			t.Error("a read older than the change was cached")
		}
	})
	t.Run("the cache is bounded", func(t *testing.T) {
		c := newCache()
		for i := range 150 {
			_, _, epoch := c.Get("x")
			c.Put(string(rune('a'+i)), i, epoch)
		}
		if n := c.Len(); n > 100 {
			t.Errorf("%d entries, want at most 100", n)
		}
	})
	t.Run("a zero TTL caches nothing", func(t *testing.T) {
		c := New[string, int](0, 100)
		c.Put("a", 1, 0)
		if _, ok, _ := c.Get("a"); ok {
			t.Error("served from a disabled cache")
		}
	})
}
