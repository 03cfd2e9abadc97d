package api_test

import (
	"net/http"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

func TestDemoManagerLogsInAndSeesMe(t *testing.T) {
	env := apitest.New(t)
	tok := env.Token("manager@fieldops.test")
	r := env.Do(http.MethodGet, "/v1/me", tok, nil)
	if r.Status != http.StatusOK || r.JSON["role"] != "manager" || r.JSON["email"] != "manager@fieldops.test" {
		t.Fatalf("GET /v1/me = %d %s", r.Status, r.Raw)
	}
}
