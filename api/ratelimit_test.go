package api_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/platform/config"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
)

// one token per 100 s: nothing refills while a test runs
const slowRPS = 0.01

func TestRateLimitBurst(t *testing.T) {
	env := apitest.New(t, apitest.RateLimited(slowRPS, 3, 1))
	alice := env.Token("alice@example.com")
	for i := range 3 {
		r := mustStatus(t, env.Do(http.MethodGet, "/v1/me", alice, nil), http.StatusOK, "within the burst")
		if r.Header.Get("RateLimit-Limit") != "3" || r.Header.Get("RateLimit-Remaining") != strconv.Itoa(2-i) || r.Header.Get("RateLimit-Reset") == "" {
			t.Fatalf("request %d headers: %v", i, r.Header)
		}
	}
	r := mustStatus(t, env.Do(http.MethodGet, "/v1/orders", alice, nil), http.StatusTooManyRequests, "past the burst")
	ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 100 || r.Header.Get("RateLimit-Remaining") != "0" || r.Header.Get("RateLimit-Limit") != "3" ||
		r.Header.Get("Content-Type") != "application/problem+json" || r.JSON["status"].(float64) != 429 {
		t.Fatalf("429: %v %s", r.Header, r.Raw)
	}
	if reset, _ := strconv.Atoi(r.Header.Get("RateLimit-Reset")); reset < ra {
		t.Errorf("RateLimit-Reset %d before Retry-After %d", reset, ra)
	}
	// a refused request spends nothing and does not run: still refused, and
	// other callers have their own buckets
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, clientOrder(env, "")), http.StatusTooManyRequests, "still over")
	mustStatus(t, env.Do(http.MethodGet, "/v1/me", env.Token("bob@example.com"), nil), http.StatusOK, "another user")

	t.Run("per API client", func(t *testing.T) {
		c := mustAPIClient(t, env, "Busy CRM", []string{"orders:read"}, "")
		tok := mustClientToken(t, env, c, "")
		for range 3 {
			mustStatus(t, env.Do(http.MethodGet, "/v1/orders", tok, nil), http.StatusOK, "client within the burst")
		}
		mustStatus(t, env.Do(http.MethodGet, "/v1/orders", tok, nil), http.StatusTooManyRequests, "client past the burst")
		// a fresh token of the same client shares its bucket
		mustStatus(t, env.Do(http.MethodGet, "/v1/orders", mustClientToken(t, env, c, ""), nil), http.StatusTooManyRequests, "new token, same client")
	})
}

// Two servers on one database (two replicas) share each caller's bucket.
func TestRateLimitAcrossReplicas(t *testing.T) {
	opt := apitest.RateLimited(slowRPS, 4, 1)
	a := apitest.New(t, opt)
	b := apitest.NewOn(t, a.DB, a.DBURL, opt)
	tok := a.Token("alice@example.com")
	ok := 0
	for i := range 8 {
		env := a
		if i%2 == 1 {
			env = b
		}
		switch r := env.Do(http.MethodGet, "/v1/me", tok, nil); r.Status {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("status %d: %s", r.Status, r.Raw)
		}
	}
	if ok != 4 {
		t.Fatalf("%d requests admitted across two replicas, want the burst of 4", ok)
	}

	t.Run("batches never admit more than the burst", func(t *testing.T) {
		opt := apitest.RateLimited(slowRPS, 6, 4)
		a := apitest.New(t, opt)
		b := apitest.NewOn(t, a.DB, a.DBURL, opt)
		tok := a.Token("bob@example.com")
		ok := 0
		for i := range 12 {
			env := a
			if i%2 == 1 {
				env = b
			}
			if env.Do(http.MethodGet, "/v1/me", tok, nil).Status == http.StatusOK {
				ok++
			}
		}
		// a claims 4, b the 2 left: 6 in all, whichever order
		if ok != 6 {
			t.Fatalf("%d admitted, want 6", ok)
		}
	})
}

// The limiter's cost in round trips (issue 8: a GET is one): one claim per
// batch requests of a caller on a replica, nothing else; an API client's
// check is cached like a user's.
func TestRateLimitRoundTrips(t *testing.T) {
	_, url := dbtest.New(t)
	rt := &rtCounter{}
	db, err := database.Open(url, database.Options{MaxOpenConns: 8, MaxIdleConns: 8, Tracer: rt})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })
	env := apitest.NewOn(t, db, url, func(c *config.Config) { c.Auth.PrincipalCacheTTL = time.Minute }, apitest.RateLimited(1000, 1000, 10))
	id := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", env.Token("dispatcher@fieldops.test"), clientOrder(env, "")), http.StatusCreated, "intake").JSON["id"].(string)
	manager := env.Token("manager@fieldops.test")
	client := mustClientToken(t, env, mustAPIClient(t, env, "Reader", []string{"orders:read"}, ""), "")
	for name, tok := range map[string]string{"a user": manager, "an API client": client} {
		t.Run(name, func(t *testing.T) {
			mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, tok, nil), http.StatusOK, "warm up") // claims 10, spends 1
			sqls := rt.during(func() {
				for range 20 {
					mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, tok, nil), http.StatusOK, "GET")
				}
			})
			claims := 0
			for _, q := range sqls {
				if strings.Contains(q, "rate_limits") {
					claims++
				}
			}
			t.Logf("20 GETs: %d round trips, %d of them claims", len(sqls), claims)
			if claims != 2 || len(sqls) != 22 {
				t.Errorf("20 GETs took %d round trips with %d claims, want 22 with 2: %q", len(sqls), claims, sqls)
			}
		})
	}
}

// Token requests are limited per client address, before the secret is checked.
func TestRateLimitTokenRequests(t *testing.T) {
	env := apitest.New(t, apitest.RateLimited(slowRPS, 5, 1))
	c := mustAPIClient(t, env, "CRM", []string{"orders:read"}, "")
	wrong := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.id}, "client_secret": {"guess"}}.Encode()
	for range 5 {
		mustStatus(t, env.Do(http.MethodPost, "/v1/auth/token", "", wrong, "Content-Type", formType), http.StatusUnauthorized, "guess")
	}
	r := mustStatus(t, env.Do(http.MethodPost, "/v1/auth/token", "", wrong, "Content-Type", formType), http.StatusTooManyRequests, "guess past the limit")
	if r.Header.Get("Retry-After") == "" {
		t.Fatalf("429 without Retry-After: %v", r.Header)
	}
	right := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.id}, "client_secret": {c.secret}}.Encode()
	mustStatus(t, env.Do(http.MethodPost, "/v1/auth/token", "", right, "Content-Type", formType), http.StatusTooManyRequests, "even with the secret")
}
