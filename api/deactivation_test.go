package api_test

import (
	"net/http"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

// A deactivated account's access token stops working at once, not when it expires.
func TestDeactivatedUsersAccessTokenIsRefusedAtOnce(t *testing.T) {
	env := apitest.New(t)
	tom := env.Token("tom@fieldops.test")
	mustStatus(t, env.Do(http.MethodGet, "/v1/me", tom, nil), http.StatusOK, "before")
	mgr := env.Token("manager@fieldops.test")
	mustStatus(t, env.Do(http.MethodPatch, "/v1/users/"+env.UserID("tom@fieldops.test"), mgr, map[string]any{"active": false}), http.StatusOK, "deactivate")
	r := env.Do(http.MethodGet, "/v1/me", tom, nil)
	if r.Status != http.StatusUnauthorized || r.JSON["detail"] != "the account is deactivated" {
		t.Fatalf("deactivated user's token: %d %s", r.Status, r.Raw)
	}
	mustStatus(t, env.Do(http.MethodPatch, "/v1/users/"+env.UserID("tom@fieldops.test"), mgr, map[string]any{"active": true}), http.StatusOK, "reactivate")
	mustStatus(t, env.Do(http.MethodGet, "/v1/me", tom, nil), http.StatusOK, "after reactivation")
}
