package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

// Token requests count per client address as the sign-in rules do: an IPv6
// host picks any address of its /64, so the /64 is one address.
func TestRateLimitTokenRequestsPerIPv6Network(t *testing.T) {
	env := apitest.New(t, apitest.RateLimited(slowRPS, 3, 1), behindProxy)
	c := mustAPIClient(t, env, "CRM", []string{"orders:read"}, "")
	wrong := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.id}, "client_secret": {"guess"}}.Encode()
	in64 := func(i int) string { return fmt.Sprintf("2001:db8:1:2:%x::%x", i, i+1) } // all in 2001:db8:1:2::/64
	for i := range 3 {
		mustStatus(t, env.Do(http.MethodPost, "/v1/auth/token", "", wrong, "Content-Type", formType, "X-Forwarded-For", in64(i)),
			http.StatusUnauthorized, "guess")
	}
	mustStatus(t, env.Do(http.MethodPost, "/v1/auth/token", "", wrong, "Content-Type", formType, "X-Forwarded-For", in64(99)),
		http.StatusTooManyRequests, "another address of the same /64")
	mustStatus(t, env.Do(http.MethodPost, "/v1/auth/token", "", wrong, "Content-Type", formType, "X-Forwarded-For", "2001:db8:1:3::1"),
		http.StatusUnauthorized, "the next /64")
	mustStatus(t, env.Do(http.MethodPost, "/v1/auth/token", "", wrong, "Content-Type", formType, "X-Forwarded-For", "203.0.113.9"),
		http.StatusUnauthorized, "an IPv4 address")
}
