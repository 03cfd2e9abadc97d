package api_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/demo"
	"github.com/fieldops/fieldops/internal/platform/config"
)

const formType = "application/x-www-form-urlencoded"

// apiClient is a client created through the API, with its secret.
type apiClient struct{ id, secret string }

// mustAPIClient creates an API client as the demo manager.
func mustAPIClient(t *testing.T, env *apitest.Env, name string, scopes []string, provider string) apiClient {
	t.Helper()
	body := map[string]any{"name": name, "scopes": scopes}
	if provider != "" {
		body["provider_id"] = provider
	}
	r := mustStatus(t, env.Do(http.MethodPost, "/v1/api-clients", env.Token("manager@fieldops.test"), body), http.StatusCreated, "create API client")
	if r.JSON["client_id"] != r.JSON["id"] || len(r.JSON["client_secret"].(string)) < 43 {
		t.Fatalf("created client: %s", r.Raw)
	}
	return apiClient{id: r.JSON["id"].(string), secret: r.JSON["client_secret"].(string)}
}

// basic is the HTTP Basic header of RFC 6749 §2.3.1 (each part form-urlencoded).
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// mustClientToken gets an access token for c (scope "" = all of its scopes).
func mustClientToken(t *testing.T, env *apitest.Env, c apiClient, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	r := mustStatus(t, env.Do(http.MethodPost, "/v1/auth/token", "", form.Encode(), "Content-Type", formType,
		"Authorization", basic(c.id, c.secret)), http.StatusOK, "token")
	return r.JSON["access_token"].(string)
}

func providerID(t *testing.T, env *apitest.Env, name string) string {
	t.Helper()
	p, err := env.Identity.ProviderByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID.String()
}

func TestAPIClientsManagement(t *testing.T) {
	env := apitest.New(t)
	manager := env.Token("manager@fieldops.test")
	c := mustAPIClient(t, env, "Acme CRM", []string{"orders:read", "orders:write", "orders:read"}, "")

	t.Run("listed and read without the secret", func(t *testing.T) {
		r := mustStatus(t, env.Do(http.MethodGet, "/v1/api-clients", manager, nil), http.StatusOK, "list")
		items := r.Items(t)
		if len(items) != 1 || items[0]["id"] != c.id || items[0]["client_secret"] != nil || strings.Contains(string(r.Raw), c.secret) {
			t.Fatalf("list: %s", r.Raw)
		}
		if sc := items[0]["scopes"].([]any); len(sc) != 2 { // duplicates folded
			t.Fatalf("scopes: %v", sc)
		}
		g := mustStatus(t, env.Do(http.MethodGet, "/v1/api-clients/"+c.id, manager, nil), http.StatusOK, "get")
		if g.JSON["provider_id"] != nil || strings.Contains(string(g.Raw), c.secret) {
			t.Fatalf("get: %s", g.Raw)
		}
	})
	t.Run("the secret is stored as its SHA-256 only", func(t *testing.T) {
		var hash []byte
		if err := env.DB.Raw("SELECT secret_hash FROM api_clients WHERE id = ?", c.id).Row().Scan(&hash); err != nil || len(hash) != 32 {
			t.Fatalf("secret_hash: %x %v", hash, err)
		}
	})
	t.Run("only managers", func(t *testing.T) {
		for _, who := range []string{"dispatcher@fieldops.test", "tom@fieldops.test", "alice@example.com"} {
			tok := env.Token(who)
			mustStatus(t, env.Do(http.MethodPost, "/v1/api-clients", tok, map[string]any{"name": "x", "scopes": []string{"orders:read"}}), http.StatusForbidden, who+" creates")
			mustStatus(t, env.Do(http.MethodGet, "/v1/api-clients", tok, nil), http.StatusForbidden, who+" lists")
			mustStatus(t, env.Do(http.MethodDelete, "/v1/api-clients/"+c.id, tok, nil), http.StatusForbidden, who+" deletes")
		}
		mustStatus(t, env.Do(http.MethodGet, "/v1/api-clients", "", nil), http.StatusUnauthorized, "anonymous")
		// a client with every scope still may not manage clients
		all := mustAPIClient(t, env, "All scopes", []string{"orders:read", "orders:write", "assets:write", "parts:read", "webhooks:manage", "reports:read"}, "")
		mustStatus(t, env.Do(http.MethodGet, "/v1/api-clients", mustClientToken(t, env, all, ""), nil), http.StatusForbidden, "client lists clients")
		mustStatus(t, env.Do(http.MethodDelete, "/v1/api-clients/"+all.id, manager, nil), http.StatusNoContent, "cleanup")
	})
	t.Run("bad input names the field and leaves nothing", func(t *testing.T) {
		before := env.Count("api_clients")
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"name": "x", "scopes": []string{"orders:delete"}}, "scopes[0]"},
			{map[string]any{"name": "x", "scopes": []string{}}, "scopes"},
			{map[string]any{"name": "", "scopes": []string{"orders:read"}}, "name"},
			{map[string]any{"name": "x", "scopes": []string{"orders:read"}, "provider_id": "0190a1b2-0000-7000-8000-000000000002"}, "provider_id"},
		} {
			r := mustStatus(t, env.Do(http.MethodPost, "/v1/api-clients", manager, tc.body), http.StatusUnprocessableEntity, tc.field)
			if !strings.Contains(string(r.Raw), `"field":"`+tc.field+`"`) {
				t.Errorf("%v: problem does not name %s: %s", tc.body, tc.field, r.Raw)
			}
		}
		if n := env.Count("api_clients"); n != before {
			t.Fatalf("api_clients %d -> %d", before, n)
		}
	})
	t.Run("delete", func(t *testing.T) {
		mustStatus(t, env.Do(http.MethodDelete, "/v1/api-clients/"+c.id, manager, nil), http.StatusNoContent, "delete")
		mustStatus(t, env.Do(http.MethodDelete, "/v1/api-clients/"+c.id, manager, nil), http.StatusNotFound, "delete again")
		mustStatus(t, env.Do(http.MethodGet, "/v1/api-clients/"+c.id, manager, nil), http.StatusNotFound, "get deleted")
		if items := mustStatus(t, env.Do(http.MethodGet, "/v1/api-clients", manager, nil), http.StatusOK, "list").Items(t); len(items) != 0 {
			t.Fatalf("deleted client listed: %v", items)
		}
	})
}

// The token endpoint answers RFC 6749 §5.2 errors.
func TestTokenEndpoint(t *testing.T) {
	env := apitest.New(t)
	c := mustAPIClient(t, env, "Acme CRM", []string{"orders:read", "orders:write"}, "")
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	cc := "client_credentials"
	for _, tc := range []struct {
		name    string
		body    string
		headers []string
		status  int
		code    string
	}{
		{"no grant_type", form("client_id", c.id, "client_secret", c.secret), nil, 400, "invalid_request"},
		{"password grant", form("grant_type", "password", "client_id", c.id, "client_secret", c.secret), nil, 400, "unsupported_grant_type"},
		{"no client authentication", form("grant_type", cc), nil, 401, "invalid_client"},
		{"wrong secret in the body", form("grant_type", cc, "client_id", c.id, "client_secret", "x"+c.secret), nil, 401, "invalid_client"},
		{"unknown client", form("grant_type", cc, "client_id", "0190a1b2-0000-7000-8000-000000000009", "client_secret", c.secret), nil, 401, "invalid_client"},
		{"client id not a UUID", form("grant_type", cc, "client_id", "acme", "client_secret", c.secret), nil, 401, "invalid_client"},
		{"wrong secret with Basic", form("grant_type", cc), []string{"Authorization", basic(c.id, "nope")}, 401, "invalid_client"},
		{"Basic and body both", form("grant_type", cc, "client_id", c.id, "client_secret", c.secret), []string{"Authorization", basic(c.id, c.secret)}, 400, "invalid_request"},
		{"a scope the client lacks", form("grant_type", cc, "scope", "orders:read reports:read"), []string{"Authorization", basic(c.id, c.secret)}, 400, "invalid_scope"},
		{"an unknown scope", form("grant_type", cc, "scope", "admin"), []string{"Authorization", basic(c.id, c.secret)}, 400, "invalid_scope"},
		{"repeated parameter", form("grant_type", cc, "grant_type", cc, "client_id", c.id, "client_secret", c.secret), nil, 400, "invalid_request"},
		{"JSON body", `{"grant_type":"client_credentials"}`, []string{"Content-Type", "application/json", "Authorization", basic(c.id, c.secret)}, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := append([]string{"Content-Type", formType}, tc.headers...)
			r := env.Do(http.MethodPost, "/v1/auth/token", "", tc.body, h...)
			if r.Status != tc.status || r.JSON["error"] != tc.code || r.JSON["error_description"] == "" {
				t.Fatalf("status %d %s, want %d %s", r.Status, r.Raw, tc.status, tc.code)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
			}
			if tc.status == 401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without WWW-Authenticate: Basic: %q", r.Header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("Basic: every scope of the client", func(t *testing.T) {
		r := mustStatus(t, env.Do(http.MethodPost, "/v1/auth/token", "", form("grant_type", cc), "Content-Type", formType,
			"Authorization", basic(c.id, c.secret)), http.StatusOK, "token")
		if r.JSON["token_type"] != "Bearer" || r.JSON["scope"] != "orders:read orders:write" || r.JSON["expires_in"].(float64) <= 0 ||
			r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("token: %v %s", r.Header, r.Raw)
		}
	})
	t.Run("body credentials: a subset of the scopes", func(t *testing.T) {
		r := mustStatus(t, env.Do(http.MethodPost, "/v1/auth/token", "", form("grant_type", cc, "scope", "orders:read", "client_id", c.id, "client_secret", c.secret),
			"Content-Type", formType), http.StatusOK, "token")
		if r.JSON["scope"] != "orders:read" {
			t.Fatalf("scope: %s", r.Raw)
		}
		// the token carries the scope it was granted, not the client's
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders", r.JSON["access_token"].(string), clientOrder(env, "")), http.StatusForbidden, "write with a read token")
	})
	t.Run("a client token is no user's refresh or login", func(t *testing.T) {
		tok := mustClientToken(t, env, c, "")
		mustStatus(t, env.Do(http.MethodGet, "/v1/me", tok, nil), http.StatusForbidden, "GET /v1/me as a client")
	})
}

// clientOrder is an order body an API client submits for bob.
func clientOrder(env *apitest.Env, ref string) map[string]any {
	b := map[string]any{"type": "repair", "description": "Reported through the retailer's CRM", "customer_id": env.UserID("bob@example.com"),
		"address": map[string]any{"line1": "7 Garden Lane", "city": "Southbay", "region": "south"}}
	if ref != "" {
		b["external_ref"] = ref
	}
	return b
}

// Each route declares the scope that admits clients; a client never passes by role.
func TestAPIClientScopes(t *testing.T) {
	env := apitest.New(t)
	reader := mustClientToken(t, env, mustAPIClient(t, env, "Reader", []string{"orders:read"}, ""), "")
	writer := mustClientToken(t, env, mustAPIClient(t, env, "Writer", []string{"orders:read", "orders:write"}, ""), "")

	t.Run("orders:read only: 403 on POST /v1/orders, nothing written", func(t *testing.T) {
		before := env.Count("orders")
		r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", reader, clientOrder(env, "R-1")), http.StatusForbidden, "reader submits")
		if !strings.Contains(string(r.Raw), "orders:write") || env.Count("orders") != before {
			t.Fatalf("%s (orders %d -> %d)", r.Raw, before, env.Count("orders"))
		}
		mustStatus(t, env.Do(http.MethodGet, "/v1/orders", reader, nil), http.StatusOK, "reader lists")
	})
	t.Run("routes without a scope refuse every client", func(t *testing.T) {
		for _, tc := range []struct{ method, path string }{
			{http.MethodGet, "/v1/users"}, {http.MethodGet, "/v1/providers"}, {http.MethodGet, "/v1/notifications"},
			{http.MethodPost, "/v1/assets"}, {http.MethodGet, "/v1/product-models"},
		} {
			var body any
			if tc.method == http.MethodPost {
				body = map[string]any{"product_model_id": "01a22380-ae3b-7e75-846e-2b4ae119113f", "serial_number": "C-1", "purchase_date": "2026-01-01",
					"customer_id": env.UserID("bob@example.com")}
			}
			mustStatus(t, env.Do(tc.method, tc.path, writer, body), http.StatusForbidden, tc.method+" "+tc.path)
		}
	})
	t.Run("orders:write submits partner_api orders with an external_ref", func(t *testing.T) {
		r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", writer, clientOrder(env, "CRM-1")), http.StatusCreated, "writer submits")
		if r.JSON["channel"] != "partner_api" || r.JSON["external_ref"] != "CRM-1" {
			t.Fatalf("order: %s", r.Raw)
		}
		id := r.JSON["id"].(string)
		var n int64
		env.DB.Raw("SELECT count(*) FROM orders o JOIN api_clients c ON c.id = o.api_client_id WHERE o.id = ? AND c.name = 'Writer' AND o.created_by IS NULL", id).Scan(&n)
		if n != 1 {
			t.Fatal("the order does not name its API client")
		}
		ev := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id+"/events", writer, nil), http.StatusOK, "events").Items(t)
		if len(ev) != 1 || ev[0]["actor"] != nil || ev[0]["action"] != "create" {
			t.Fatalf("events: %v", ev)
		}

		before := env.Count("orders")
		d := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", writer, clientOrder(env, "CRM-1")), http.StatusConflict, "duplicate external_ref")
		if !strings.Contains(string(d.Raw), `"field":"external_ref"`) || env.Count("orders") != before {
			t.Fatalf("duplicate: %s", d.Raw)
		}
		ch := clientOrder(env, "CRM-2")
		ch["channel"] = "phone"
		c := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", writer, ch), http.StatusUnprocessableEntity, "another channel")
		if !strings.Contains(string(c.Raw), `"field":"channel"`) || env.Count("orders") != before {
			t.Fatalf("channel: %s", c.Raw)
		}
		nc := clientOrder(env, "CRM-3")
		delete(nc, "customer_id")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders", writer, nc), http.StatusUnprocessableEntity, "no customer")

		// GET /v1/orders?external_ref= finds it: the client's own, staff's any
		found := mustStatus(t, env.Do(http.MethodGet, "/v1/orders?external_ref=CRM-1", writer, nil), http.StatusOK, "find").Items(t)
		if len(found) != 1 || found[0]["id"] != id {
			t.Fatalf("by external_ref: %v", found)
		}
		if o := mustStatus(t, env.Do(http.MethodGet, "/v1/orders?external_ref=CRM-1", reader, nil), http.StatusOK, "other client").Items(t); len(o) != 0 {
			t.Fatalf("another client's reference found: %v", o)
		}
		staff := mustStatus(t, env.Do(http.MethodGet, "/v1/orders?external_ref=CRM-1", env.Token("dispatcher@fieldops.test"), nil), http.StatusOK, "staff").Items(t)
		if len(staff) != 1 {
			t.Fatalf("staff by external_ref: %v", staff)
		}
		// another client may use the same reference
		other := mustClientToken(t, env, mustAPIClient(t, env, "Other", []string{"orders:write"}, ""), "")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders", other, clientOrder(env, "CRM-1")), http.StatusCreated, "same ref, other client")
	})
	t.Run("clients may not edit or move orders", func(t *testing.T) {
		id := mustStatus(t, env.Do(http.MethodGet, "/v1/orders?external_ref=CRM-1", writer, nil), http.StatusOK, "find").Items(t)[0]["id"].(string)
		mustStatus(t, env.Do(http.MethodPatch, "/v1/orders/"+id, writer, map[string]any{"description": "x"}), http.StatusForbidden, "PATCH")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/cancel", writer, map[string]any{"reason": "x"}), http.StatusForbidden, "cancel")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", writer, map[string]any{}), http.StatusForbidden, "triage")
	})
}

// A client bound to a partner sees only that partner's orders.
func TestPartnerBoundClientScope(t *testing.T) {
	env := apitest.New(t)
	bob := env.UserID("bob@example.com")
	body := map[string]any{"type": "repair", "description": "Noisy fan", "customer_id": bob,
		"address": map[string]any{"line1": "7 Garden Lane", "city": "Southbay", "region": "south"}}
	inHouse := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", env.Token("dispatcher@fieldops.test"), body), http.StatusCreated, "in-house intake").JSON["id"].(string)
	partner := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", env.Token("dispatcher@coolfix.test"), body), http.StatusCreated, "partner intake").JSON["id"].(string)

	bound := mustClientToken(t, env, mustAPIClient(t, env, "CoolFix portal", []string{"orders:read", "orders:write"}, providerID(t, env, demo.Partner)), "")
	mine := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", bound, clientOrder(env, "CF-1")), http.StatusCreated, "bound client submits")
	if mine.JSON["provider_id"] != providerID(t, env, demo.Partner) {
		t.Fatalf("a partner client's order belongs to the partner: %s", mine.Raw)
	}
	items := mustStatus(t, env.Do(http.MethodGet, "/v1/orders", bound, nil), http.StatusOK, "list").Items(t)
	var ids []string
	for _, it := range items {
		ids = append(ids, it["id"].(string))
	}
	if !slices.Contains(ids, partner) || !slices.Contains(ids, mine.JSON["id"].(string)) || slices.Contains(ids, inHouse) || len(ids) != 2 {
		t.Fatalf("bound client lists %v (partner %s, in-house %s)", ids, partner, inHouse)
	}
	mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+partner, bound, nil), http.StatusOK, "partner order")
	for _, p := range []string{"", "/events", "/photos", "/report"} {
		mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+inHouse+p, bound, nil), http.StatusNotFound, "in-house order"+p)
	}
	// an unbound client acts for the in-house team: it sees both
	unbound := mustClientToken(t, env, mustAPIClient(t, env, "HQ CRM", []string{"orders:read"}, ""), "")
	mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+inHouse, unbound, nil), http.StatusOK, "unbound: in-house order")
	mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+partner, unbound, nil), http.StatusOK, "unbound: partner order")
}

// DELETE revokes at once: the next request with the client's token is 401,
// and it gets no new token.
func TestDeletedClientToken(t *testing.T) {
	env := apitest.New(t)
	c := mustAPIClient(t, env, "Short-lived", []string{"orders:read"}, "")
	tok := mustClientToken(t, env, c, "")
	mustStatus(t, env.Do(http.MethodGet, "/v1/orders", tok, nil), http.StatusOK, "before delete") // cached now
	mustStatus(t, env.Do(http.MethodDelete, "/v1/api-clients/"+c.id, env.Token("manager@fieldops.test"), nil), http.StatusNoContent, "delete")
	r := mustStatus(t, env.Do(http.MethodGet, "/v1/orders", tok, nil), http.StatusUnauthorized, "after delete")
	if r.Header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
	f := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.id}, "client_secret": {c.secret}}
	mustStatus(t, env.Do(http.MethodPost, "/v1/auth/token", "", f.Encode(), "Content-Type", formType), http.StatusUnauthorized, "new token")
}

// reports:read admits a client to the KPI reports, scoped like orders: a
// partner-bound client reads what the partner's dispatcher reads.
func TestAPIClientReportsScope(t *testing.T) {
	env := apitest.New(t)
	window := "from=2026-05-01T00:00:00Z&to=2026-06-02T00:00:00Z"
	partner := providerID(t, env, demo.Partner)
	reader := mustClientToken(t, env, mustAPIClient(t, env, "Orders only", []string{"orders:read"}, ""), "")
	bound := mustClientToken(t, env, mustAPIClient(t, env, "CoolFix BI", []string{"reports:read"}, partner), "")
	unbound := mustClientToken(t, env, mustAPIClient(t, env, "HQ BI", []string{"reports:read"}, ""), "")
	for _, path := range []string{"/v1/reports/kpis?" + window, "/v1/reports/kpis/timeseries?bucket=week&" + window} {
		mustStatus(t, env.Do(http.MethodGet, path, reader, nil), http.StatusForbidden, "without reports:read")
		mustStatus(t, env.Do(http.MethodGet, path, unbound, nil), http.StatusOK, "unbound client")
		got := mustStatus(t, env.Do(http.MethodGet, path, bound, nil), http.StatusOK, "partner client")
		want := mustStatus(t, env.Do(http.MethodGet, path, env.Token("dispatcher@coolfix.test"), nil), http.StatusOK, "partner dispatcher")
		if string(got.Raw) != string(want.Raw) {
			t.Errorf("%s: partner client reads\n%s\nthe partner's dispatcher\n%s", path, got.Raw, want.Raw)
		}
	}
}

// An Idempotency-Key retry of a create never replays the secret (it is not
// stored anywhere in clear): the retry is 409.
func TestAPIClientCreateRetryKeepsNoSecret(t *testing.T) {
	env := apitest.New(t)
	manager := env.Token("manager@fieldops.test")
	body := map[string]any{"name": "Retry CRM", "scopes": []string{"orders:read"}}
	first := mustStatus(t, env.Do(http.MethodPost, "/v1/api-clients", manager, body, "Idempotency-Key", "client-1"), http.StatusCreated, "create")
	secret := first.JSON["client_secret"].(string)
	again := mustStatus(t, env.Do(http.MethodPost, "/v1/api-clients", manager, body, "Idempotency-Key", "client-1"), http.StatusConflict, "retry")
	if strings.Contains(string(again.Raw), secret) || env.Count("api_clients") != 1 {
		t.Fatalf("retry: %s (%d clients)", again.Raw, env.Count("api_clients"))
	}
	var leaked int64
	env.DB.Raw("SELECT count(*) FROM idempotency_records WHERE encode(coalesce(response_body, ''::bytea), 'escape') LIKE ?", "%"+secret+"%").Scan(&leaked)
	if leaked != 0 {
		t.Fatal("the secret is stored in idempotency_records")
	}
}

// parts:read admits a client to the parts catalogue, and nothing else of the
// inventory.
func TestAPIClientPartsScope(t *testing.T) {
	env := apitest.New(t)
	parts := mustClientToken(t, env, mustAPIClient(t, env, "Parts portal", []string{"parts:read"}, ""), "")
	orders := mustClientToken(t, env, mustAPIClient(t, env, "Orders only", []string{"orders:read"}, ""), "")
	list := mustStatus(t, env.Do(http.MethodGet, "/v1/parts", parts, nil), http.StatusOK, "parts:read lists parts")
	for _, it := range list.Items(t) {
		mustStatus(t, env.Do(http.MethodGet, "/v1/parts/"+it["id"].(string), parts, nil), http.StatusOK, "parts:read reads a part")
		break
	}
	mustStatus(t, env.Do(http.MethodGet, "/v1/parts", orders, nil), http.StatusForbidden, "without parts:read")
	for _, path := range []string{"/v1/stock-locations", "/v1/stock"} {
		mustStatus(t, env.Do(http.MethodGet, path, parts, nil), http.StatusForbidden, path)
	}
}

// On another replica a deleted client's token stops within the principal
// cache TTL (polled with a deadline, not slept for).
func TestDeletedClientTokenOnAnotherReplica(t *testing.T) {
	ttl := func(c *config.Config) { c.Auth.PrincipalCacheTTL = 200 * time.Millisecond }
	a := apitest.New(t, ttl)
	b := apitest.NewOn(t, a.DB, a.DBURL, ttl)
	c := mustAPIClient(t, a, "Two replicas", []string{"orders:read"}, "")
	tok := mustClientToken(t, a, c, "")
	mustStatus(t, b.Do(http.MethodGet, "/v1/orders", tok, nil), http.StatusOK, "b before delete") // cached on b
	mustStatus(t, a.Do(http.MethodDelete, "/v1/api-clients/"+c.id, a.Token("manager@fieldops.test"), nil), http.StatusNoContent, "delete on a")
	mustStatus(t, a.Do(http.MethodGet, "/v1/orders", tok, nil), http.StatusUnauthorized, "a at once")
	deleted := time.Now()
	for deadline := deleted.Add(10 * time.Second); ; {
		r := b.Do(http.MethodGet, "/v1/orders", tok, nil)
		if r.Status == http.StatusUnauthorized {
			t.Logf("refused on b %v after the delete", time.Since(deleted).Round(time.Millisecond))
			break
		}
		if r.Status != http.StatusOK || time.Now().After(deadline) {
			t.Fatalf("b still answers %d after %v", r.Status, time.Since(deleted))
		}
	}
}
