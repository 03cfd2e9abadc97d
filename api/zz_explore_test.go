package api_test

import (
	"fmt"
	_ "net/http"
	"testing"

	"github.com/fieldops/fieldops/api"
	"github.com/fieldops/fieldops/api/apitest"
)

func TestZZExplore(t *testing.T) {
	env := apitest.New(t)
	tok := env.Token("manager@fieldops.test")
	for _, c := range []struct{ m, p, tok string }{
		{"GET", "/nope", ""}, {"GET", "/v1/nope", ""}, {"GET", "/v1/nope", tok}, {"DELETE", "/v1/me", tok}, {"DELETE", "/v1/me", ""}, {"DELETE", "/healthz", ""},
		{"GET", "/readyz", ""}, {"GET", "/docs/swagger-ui-bundle.js", ""}, {"GET", "/docs/nope.js", ""}, {"GET", "/openapi.yaml", ""},
	} {
		r := env.Do(c.m, c.p, c.tok, nil)
		s := string(r.Raw)
		if len(s) > 300 {
			s = s[:300]
		}
		fmt.Println(c.m, c.p, c.tok != "", r.Status, r.Header, s)
	}
	e := api.NewServer(api.Deps{Config: env.Config, DB: env.DB, Tokens: env.Tokens, Identity: env.Identity, Catalog: env.Catalog})
	for _, r := range e.Routes() {
		fmt.Println(r.Method, r.Path, r.Name)
	}
}
