package api_test

import (
	"net/http"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

// A dispatcher moved from the in-house team to a partner loses the in-house
// orders at once, with the access token issued before the move.
func TestProviderChangeTakesEffectAtOnce(t *testing.T) {
	env := apitest.New(t)
	alice, mgr := env.Token("alice@example.com"), env.Token("manager@fieldops.test")
	dana := env.Token("dispatcher@fieldops.test") // in-house: sees every order
	o := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{
		"type": "repair", "description": "AC drips water", "asset_id": aliceAsset(t, env, alice),
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"},
	}), http.StatusCreated, "create").JSON
	id := o["id"].(string)
	mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, dana, nil), http.StatusOK, "in-house dispatcher reads")

	pavel := mustStatus(t, env.Do(http.MethodGet, "/v1/users/"+env.UserID("dispatcher@coolfix.test"), mgr, nil), http.StatusOK, "partner dispatcher").JSON
	mustStatus(t, env.Do(http.MethodPatch, "/v1/users/"+env.UserID("dispatcher@fieldops.test"), mgr, map[string]any{
		"provider_id": pavel["provider_id"]}), http.StatusOK, "move dana to the partner")

	mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, dana, nil), http.StatusNotFound, "dana's old token after the move")
	if l := mustStatus(t, env.Do(http.MethodGet, "/v1/orders", dana, nil), http.StatusOK, "dana's list").Items(t); len(l) != 0 {
		t.Fatalf("dana still lists %d in-house orders", len(l))
	}
	me := mustStatus(t, env.Do(http.MethodGet, "/v1/me", dana, nil), http.StatusOK, "me").JSON
	if me["provider_id"] != pavel["provider_id"] {
		t.Fatalf("me: %v", me)
	}
}
