package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/webhooks"
)

// TestRevokedClientsWebhooksStop: deleting an API client revokes what it
// set up, not only its tokens: its webhooks get no event written after the
// revocation, and a message relayed before it but not yet sent is not sent
// (the client's access follows the current truth, as its tokens do).
func TestRevokedClientsWebhooksStop(t *testing.T) {
	env := apitest.New(t, privateHooks)
	ctx := context.Background()
	manager := env.Token("manager@fieldops.test")
	revoked, control := newHookReceiver(t), newHookReceiver(t)
	crm := mustAPIClient(t, env, "In-house CRM", []string{"webhooks:manage"}, "")
	tok := mustClientToken(t, env, crm, "")
	mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", tok, map[string]any{"url": revoked.URL, "events": []string{"order.created"}}),
		http.StatusCreated, "client's webhook")
	mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", manager, map[string]any{"url": control.URL, "events": []string{"order.created"}}),
		http.StatusCreated, "manager's webhook")
	alice := env.Token("alice@example.com")
	asset := aliceAsset(t, env, alice)
	create := func(what string) {
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{
			"type": "repair", "description": "AC drips water (" + what + ")", "asset_id": asset,
			"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"},
		}), http.StatusCreated, what)
	}
	hooks := deliveryEngine(env, true)

	// relayed while the client was live, sent after it was deleted
	create("before")
	deadline := 0
	for env.Count("webhook_messages") < 2 {
		if deadline++; deadline > 500 {
			t.Fatal("the relay did not queue the first order's messages")
		}
		if _, err := hooks.RelayAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mustStatus(t, env.Do(http.MethodDelete, "/v1/api-clients/"+crm.id, manager, nil), http.StatusNoContent, "revoke the client")
	// written after it was deleted
	create("after")
	deliverUntil(t, hooks, "both orders at the manager's webhook", func() bool { return len(control.requests()) == 2 })
	if got := revoked.requests(); len(got) != 0 {
		t.Fatalf("the deleted client's webhook got %d requests (first: %s)", len(got), got[0].Body)
	}
}

// TestClientWebhooksAreBounded: an API client cannot multiply the delivery
// work of every event without bound: past webhooks.MaxPerClient live
// webhooks a registration is 409 and nothing is stored; deleting one makes
// room again.
func TestClientWebhooksAreBounded(t *testing.T) {
	env := apitest.New(t, privateHooks)
	rc := newHookReceiver(t)
	tok := mustClientToken(t, env, mustAPIClient(t, env, "Greedy CRM", []string{"webhooks:manage"}, ""), "")
	var first string
	for i := range webhooks.MaxPerClient {
		r := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", tok, map[string]any{"url": rc.URL}), http.StatusCreated, "webhook")
		if i == 0 {
			first = r.JSON["id"].(string)
		}
	}
	before := env.Count("webhooks")
	p := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", tok, map[string]any{"url": rc.URL}), http.StatusConflict, "one too many")
	if env.Count("webhooks") != before || !strings.Contains(string(p.Raw), "at most") {
		t.Fatalf("over the limit: %s (%d webhooks, had %d)", p.Raw, env.Count("webhooks"), before)
	}
	// managers are not limited by a client's count; a deleted webhook makes room
	mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", env.Token("manager@fieldops.test"), map[string]any{"url": rc.URL}), http.StatusCreated, "manager's")
	mustStatus(t, env.Do(http.MethodDelete, "/v1/webhooks/"+first, tok, nil), http.StatusNoContent, "delete one")
	mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", tok, map[string]any{"url": rc.URL}), http.StatusCreated, "room again")
}
