package api_test

import (
	"net/http"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

// Every creating POST takes an Idempotency-Key, not only orders. (Sign-up
// takes one too, but a retry of a successful one is 409, not a replay of its
// tokens: TestSignupReplayHandsOutNoTokens.)
func TestIdempotencyKeyOnEveryCreatingPost(t *testing.T) {
	env := apitest.New(t)
	mgr := env.Token("manager@fieldops.test")
	alice := env.Token("alice@example.com")
	cases := []struct {
		name, path, token, table string
		body                     map[string]any
	}{
		{"staff account", "/v1/users", mgr, "users", map[string]any{"role": "technician", "name": "Ted", "email": "ted@fieldops.test", "password": "a-long-password"}},
		{"provider", "/v1/providers", mgr, "providers", map[string]any{"name": "FixIt Partners"}},
		{"product model", "/v1/product-models", mgr, "product_models", map[string]any{"code": "TV-55", "name": "Television 55 inch"}},
	}
	for _, c := range cases {
		t.Run(c.name+" retried with one key is created once", func(t *testing.T) {
			before := env.Count(c.table)
			first := env.Do(http.MethodPost, c.path, c.token, c.body, "Idempotency-Key", "k-"+c.name)
			again := env.Do(http.MethodPost, c.path, c.token, c.body, "Idempotency-Key", "k-"+c.name)
			if first.Status != http.StatusCreated || again.Status != http.StatusCreated || string(first.Raw) != string(again.Raw) {
				t.Fatalf("first %d, retry %d; bodies equal: %v", first.Status, again.Status, string(first.Raw) == string(again.Raw))
			}
			if again.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatal("the retry is not marked as a replay")
			}
			if got := env.Count(c.table); got != before+1 {
				t.Fatalf("%s grew by %d, want 1", c.table, got-before)
			}
		})
	}
	t.Run("asset retried with one key is created once", func(t *testing.T) {
		models := mustStatus(t, env.Do(http.MethodGet, "/v1/product-models", alice, nil), http.StatusOK, "models")
		model := models.JSON["items"].([]any)[0].(map[string]any)["id"]
		body := map[string]any{"product_model_id": model, "serial_number": "IDEM-1", "purchase_date": "2026-05-01"}
		before := env.Count("assets")
		mustStatus(t, env.Do(http.MethodPost, "/v1/assets", alice, body, "Idempotency-Key", "asset-1"), http.StatusCreated, "first")
		r := mustStatus(t, env.Do(http.MethodPost, "/v1/assets", alice, body, "Idempotency-Key", "asset-1"), http.StatusCreated, "retry")
		if r.Header.Get("Idempotent-Replayed") != "true" || env.Count("assets") != before+1 {
			t.Fatalf("asset retry: replayed=%q, assets +%d", r.Header.Get("Idempotent-Replayed"), env.Count("assets")-before)
		}
	})
}
