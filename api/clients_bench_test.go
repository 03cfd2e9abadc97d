package api_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

// BenchmarkTokenEndpoint measures POST /v1/auth/token through the real stack
// (form parse, one indexed read, SHA-256 and constant-time compare, JWT
// signing), and a GET of an order with the token it gives (the client's
// check cached). Requests bypass the contract check: it would dominate.
func BenchmarkTokenEndpoint(b *testing.B) {
	env := apitest.New(b)
	r := env.Do(http.MethodPost, "/v1/api-clients", env.Token("manager@fieldops.test"),
		map[string]any{"name": "Bench", "scopes": []string{"orders:read", "orders:write"}})
	if r.Status != http.StatusCreated {
		b.Fatalf("create client: %d %s", r.Status, r.Raw)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {r.JSON["client_id"].(string)},
		"client_secret": {r.JSON["client_secret"].(string)}}.Encode()
	token := func() *http.Response {
		res, err := http.Post(env.URL+"/v1/auth/token", formType, strings.NewReader(form))
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	b.Run("token", func(b *testing.B) {
		for b.Loop() {
			res := token()
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
	b.Run("client GET /v1/orders", func(b *testing.B) {
		tr := env.Do(http.MethodPost, "/v1/auth/token", "", form, "Content-Type", formType)
		tok := tr.JSON["access_token"].(string)
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/v1/orders?limit=10", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		for b.Loop() {
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
}
