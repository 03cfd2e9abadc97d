package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/demo"
	"github.com/fieldops/fieldops/internal/platform/config"
)

// Review of issue 9, defect 1: one address sending logins with a made-up
// name each time reached a password hash every time and took the shared
// hashing slots from everyone (503s for real users). Past
// FIELDOPS_AUTH_HASH_IP_MAX hashes per FIELDOPS_AUTH_HASH_IP_WINDOW an
// address gets 429 with Retry-After without hashing; the account's owner at
// an address it is known from, and everyone elsewhere, still get in.
func TestPasswordHashesAreLimitedPerAddress(t *testing.T) {
	env := apitest.New(t, behindProxy)
	const attacker, elsewhere = "203.0.113.66", "198.51.100.66"
	limit := env.Config.Auth.HashIPMax
	if limit < 1 || limit > 100 {
		t.Fatalf("FIELDOPS_AUTH_HASH_IP_MAX = %d: this test assumes a small default", limit)
	}
	identWantStatus(t, loginFrom(env, "alice@example.com", demo.Password, attacker), http.StatusOK) // alice is known at this address (a shared NAT)
	env.Clock.Advance(env.Config.Auth.HashIPWindow + time.Second)                                   // that hash is out of the window

	n := 2 * limit
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			r := loginFrom(env, fmt.Sprintf("x%d@a.test", i), "wrongwrong1", attacker)
			statuses[i] = r.Status
			if r.Status == http.StatusTooManyRequests {
				if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
					t.Errorf("429 with Retry-After %q", r.Header.Get("Retry-After"))
				}
			}
		})
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusUnauthorized] != limit || count[http.StatusTooManyRequests] != n-limit {
		t.Fatalf("statuses %v: want exactly %d × 401 (the hash limit) and the rest 429", count, limit)
	}

	// With every hashing slot taken, an attempt that hashed would be 503:
	// past the limit the address gets 429, so it does not hash at all.
	var releases []func()
	for range env.Config.Auth.HashConcurrency {
		release, err := env.Hasher.Reserve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	r := loginFrom(env, "y@a.test", "wrongwrong1", attacker)
	identWantProblem(t, r, http.StatusTooManyRequests)
	wantRetryAfter(t, r, int(env.Config.Auth.HashIPWindow/time.Second))
	identWantProblem(t, env.Do(http.MethodPost, "/v1/auth/register", "", map[string]string{
		"name": "Flood", "email": "flood@example.com", "password": "a-long-password"}, "X-Forwarded-For", attacker), http.StatusTooManyRequests)
	for _, release := range releases {
		release()
	}

	t.Run("the account's owner at an address it is known from still logs in", func(t *testing.T) {
		identWantStatus(t, loginFrom(env, "alice@example.com", demo.Password, attacker), http.StatusOK)
	})
	t.Run("another address still logs in", func(t *testing.T) {
		identWantStatus(t, loginFrom(env, "bob@example.com", demo.Password, elsewhere), http.StatusOK)
	})
	t.Run("an account not known at the address waits like the attacker", func(t *testing.T) {
		identWantProblem(t, loginFrom(env, "bob@example.com", demo.Password, attacker), http.StatusTooManyRequests)
	})
	t.Run("the window over, the address hashes again", func(t *testing.T) {
		env.Clock.Advance(env.Config.Auth.HashIPWindow)
		identWantStatus(t, loginFrom(env, "bob@example.com", demo.Password, attacker), http.StatusOK)
	})
}

// The hash limit is configurable.
func TestPasswordHashLimitIsConfigurable(t *testing.T) {
	env := apitest.New(t, behindProxy, func(c *config.Config) { c.Auth.HashIPMax, c.Auth.HashIPWindow = 2, 10*time.Second })
	for i := range 2 {
		identWantProblem(t, loginFrom(env, fmt.Sprintf("z%d@a.test", i), "wrongwrong1", "203.0.113.70"), http.StatusUnauthorized)
	}
	r := loginFrom(env, "z9@a.test", "wrongwrong1", "203.0.113.70")
	identWantProblem(t, r, http.StatusTooManyRequests)
	wantRetryAfter(t, r, 10)
}

// One IPv6 /64 is one subscriber: the addresses in it share every
// per-address counter (login pairs, sign-ups, hashes); the next /64 is
// someone else.
func TestIPv6AddressesShareCountersPerSlash64(t *testing.T) {
	env := apitest.New(t, behindProxy)
	in64 := func(i int) string { return fmt.Sprintf("2001:db8:1:2:%x::%x", i, i+1) } // all in 2001:db8:1:2::/64
	const next64 = "2001:db8:1:3::1"

	t.Run("login pair", func(t *testing.T) {
		for i := range env.Config.Auth.LoginMaxFailures {
			identWantProblem(t, loginFrom(env, "manager@fieldops.test", "guess-"+strconv.Itoa(i), in64(i)), http.StatusUnauthorized)
		}
		identWantProblem(t, loginFrom(env, "manager@fieldops.test", "one-more", in64(99)), http.StatusTooManyRequests)
		identWantStatus(t, loginFrom(env, "manager@fieldops.test", demo.Password, next64), http.StatusOK)
	})
	t.Run("sign-up", func(t *testing.T) {
		for i := range env.Config.Auth.SignupIPMax {
			identWantStatus(t, env.Do(http.MethodPost, "/v1/auth/register", "", map[string]string{"name": "Six",
				"email": fmt.Sprintf("six%d@example.com", i), "password": "a-long-password"}, "X-Forwarded-For", in64(i)), http.StatusCreated)
		}
		identWantProblem(t, env.Do(http.MethodPost, "/v1/auth/register", "", map[string]string{"name": "Six",
			"email": "six-more@example.com", "password": "a-long-password"}, "X-Forwarded-For", in64(99)), http.StatusTooManyRequests)
		identWantStatus(t, env.Do(http.MethodPost, "/v1/auth/register", "", map[string]string{"name": "Six",
			"email": "six-next@example.com", "password": "a-long-password"}, "X-Forwarded-For", next64), http.StatusCreated)
	})
	t.Run("hashing", func(t *testing.T) {
		env.Clock.Advance(env.Config.Auth.HashIPWindow + time.Second) // the hashes above are out of the window
		for i := range env.Config.Auth.HashIPMax {
			identWantProblem(t, loginFrom(env, fmt.Sprintf("v6-%d@a.test", i), "wrongwrong1", in64(i)), http.StatusUnauthorized)
		}
		identWantProblem(t, loginFrom(env, "v6-more@a.test", "wrongwrong1", in64(99)), http.StatusTooManyRequests)
		identWantProblem(t, loginFrom(env, "v6-more@a.test", "wrongwrong1", "2001:db8:1:4::1"), http.StatusUnauthorized)
	})
}

// An attacker who logs into their own account between guesses must not keep
// the address below the "hot" threshold: a success clears its pair only and
// takes nothing off the address's failures.
func TestOwnAccountSuccessesDoNotKeepAnAddressCool(t *testing.T) {
	env := apitest.New(t, behindProxy, func(c *config.Config) { c.Auth.HashIPMax = 1000 }) // the hash limit is not what this tests
	const addr = "192.0.2.77"
	tried := []string{"tom@fieldops.test", "nina@fieldops.test", "sam@fieldops.test", "carl@coolfix.test", "alice@example.com"}
	for _, who := range tried { // 5 × 9 = 45 failures, below every pair's limit, each followed by the attacker's own login
		for i := range 9 {
			identWantProblem(t, loginFrom(env, who, "wrong-"+strconv.Itoa(i), addr), http.StatusUnauthorized)
			identWantStatus(t, loginFrom(env, "bob@example.com", demo.Password, addr), http.StatusOK)
		}
	}
	for i := range env.Config.Auth.LoginIPMaxFailures - 45 {
		identWantProblem(t, loginFrom(env, "dispatcher@coolfix.test", "wrong-"+strconv.Itoa(i), addr), http.StatusUnauthorized)
		identWantStatus(t, loginFrom(env, "bob@example.com", demo.Password, addr), http.StatusOK)
	}
	// the address is hot: no tenth try on an account it failed on
	identWantProblem(t, loginFrom(env, "tom@fieldops.test", "wrong-again", addr), http.StatusTooManyRequests)
}

// Review of issue 9, defect 2: anyone could fill the idempotency table
// without signing in, claiming a fresh Idempotency-Key with each invalid
// sign-up. Keys on sign-up are admitted within the per-address sign-up
// limit, before the claim; past it 429 and no record is kept.
func TestSignupIdempotencyKeysAreLimitedPerAddress(t *testing.T) {
	env := apitest.New(t, behindProxy)
	const flooder = "203.0.113.88"
	limit := env.Config.Auth.SignupIPMax
	invalid := map[string]string{"email": "not-an-email", "password": "short"}
	for i := range 3 * limit {
		r := env.Do(http.MethodPost, "/v1/auth/register", "", invalid, "X-Forwarded-For", flooder, "Idempotency-Key", fmt.Sprintf("flood-%d", i))
		if i < limit {
			identWantProblem(t, r, http.StatusUnprocessableEntity)
			continue
		}
		identWantProblem(t, r, http.StatusTooManyRequests)
		wantRetryAfter(t, r, int(env.Config.Auth.SignupWindow/time.Second))
	}
	if n := env.Count("idempotency_records"); n > int64(limit) {
		t.Fatalf("%d idempotency records from one address, want at most %d", n, limit)
	}
	t.Run("the same address signs up without a key", func(t *testing.T) {
		identWantStatus(t, env.Do(http.MethodPost, "/v1/auth/register", "", map[string]string{"name": "Dee",
			"email": "dee@example.com", "password": "a-long-password"}, "X-Forwarded-For", flooder), http.StatusCreated)
	})
	t.Run("another address signs up with a key", func(t *testing.T) {
		identWantStatus(t, env.Do(http.MethodPost, "/v1/auth/register", "", map[string]string{"name": "Eve",
			"email": "eve@example.com", "password": "a-long-password"}, "X-Forwarded-For", "198.51.100.88", "Idempotency-Key", "eve-1"),
			http.StatusCreated)
	})
}
