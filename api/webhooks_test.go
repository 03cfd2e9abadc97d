package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/platform/config"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/webhooks"
)

// privateHooks allows webhooks to loopback receivers (httptest servers).
func privateHooks(cfg *config.Config) {
	cfg.Webhooks.AllowPrivate, cfg.Webhooks.RetryBase = true, time.Second
}

// hookRequest is one request a test receiver got.
type hookRequest struct {
	ID, Type, Signature string
	Body                []byte
	Env                 struct {
		ID        string         `json:"id"`
		Type      string         `json:"type"`
		CreatedAt string         `json:"created_at"`
		Data      map[string]any `json:"data"`
	}
}

// hookReceiver records every request; conns counts connections it accepted.
type hookReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	got   []hookRequest
	conns atomic.Int32
}

func newHookReceiver(t *testing.T) *hookReceiver {
	rc := &hookReceiver{}
	rc.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := hookRequest{ID: r.Header.Get("X-FieldOps-Event-Id"), Type: r.Header.Get("X-FieldOps-Event-Type"),
			Signature: r.Header.Get("X-FieldOps-Signature"), Body: body}
		if err := json.Unmarshal(body, &h.Env); err != nil {
			t.Errorf("webhook body is not JSON: %s", body)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, h)
		rc.mu.Unlock()
	}))
	rc.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			rc.conns.Add(1)
		}
	}
	rc.Start()
	t.Cleanup(rc.Close)
	return rc
}

func (rc *hookReceiver) requests() []hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hookRequest(nil), rc.got...)
}

// deliverUntil runs the relay and the due deliveries (what the River jobs
// do) until cond holds, failing after a deadline; nothing sleeps longer
// than a poll step.
func deliverUntil(t *testing.T, hooks *webhooks.Service, what string, cond func() bool) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		if _, err := hooks.RelayAll(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := hooks.DeliverDue(ctx, 100); err != nil {
			t.Fatal(err)
		}
		if !cond() {
			time.Sleep(20 * time.Millisecond) // the relay waits for older transactions of other tests' backends
		}
	}
}

// deliveryEngine is a second webhook service on the test's database and
// clock: the state is all in PostgreSQL, so it drives the deliveries of the
// server's webhooks as the River jobs would.
func deliveryEngine(env *apitest.Env, allowPrivate bool) *webhooks.Service {
	return webhooks.New(env.DB, env.Clock, webhooks.Guard{AllowPrivate: allowPrivate}, time.Second)
}

func TestWebhookManagement(t *testing.T) {
	env := apitest.New(t, privateHooks)
	manager := env.Token("manager@fieldops.test")
	rc := newHookReceiver(t)

	t.Run("only managers", func(t *testing.T) {
		mustStatus(t, env.Do(http.MethodGet, "/v1/webhooks", "", nil), http.StatusUnauthorized, "no token")
		for _, who := range []string{"dispatcher@fieldops.test", "tom@fieldops.test", "alice@example.com", "dispatcher@coolfix.test"} {
			tok := env.Token(who)
			mustStatus(t, env.Do(http.MethodGet, "/v1/webhooks", tok, nil), http.StatusForbidden, who+" lists")
			mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", tok, map[string]any{"url": rc.URL}), http.StatusForbidden, who+" creates")
			mustStatus(t, env.Do(http.MethodGet, "/v1/webhook-event-samples", tok, nil), http.StatusForbidden, who+" samples")
		}
	})

	t.Run("bad input names the field and leaves nothing", func(t *testing.T) {
		before := env.Count("webhooks")
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"url": "not a url"}, "url"},
			{map[string]any{"url": "ftp://example.com/x"}, "url"},
			{map[string]any{"url": rc.URL, "events": []string{"order.exploded"}}, "events[0]"},
			{map[string]any{"url": rc.URL, "secret": "short"}, "secret"},
			{map[string]any{"url": rc.URL, "provider_id": uuid.NewString()}, "provider_id"},
			{map[string]any{}, "url"},
		} {
			r := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", manager, c.body), http.StatusUnprocessableEntity, c.field)
			if !strings.Contains(string(r.Raw), `"field":"`+c.field+`"`) {
				t.Errorf("%v: problem does not name %s: %s", c.body, c.field, r.Raw)
			}
		}
		if n := env.Count("webhooks"); n != before {
			t.Errorf("refused registrations left %d webhooks", n-before)
		}
	})

	t.Run("create shows the secret once; list, get, delete", func(t *testing.T) {
		r := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", manager, map[string]any{"url": rc.URL + "/hook",
			"events": []string{"order.created", "order.created", "order.completed"}, "description": "CRM"}), http.StatusCreated, "create")
		id, secret := r.JSON["id"].(string), r.JSON["secret"].(string)
		if !strings.HasPrefix(secret, "whsec_") || len(secret) != 6+64 || r.Header.Get("Location") != "/v1/webhooks/"+id {
			t.Fatalf("created: %s (Location %q)", r.Raw, r.Header.Get("Location"))
		}
		if ev := r.JSON["events"].([]any); len(ev) != 2 {
			t.Errorf("events are de-duplicated: %v", ev)
		}
		own := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", manager, map[string]any{"url": rc.URL + "/own",
			"secret": "my-own-secret-of-enough-length"}), http.StatusCreated, "own secret")
		if own.JSON["secret"] != "my-own-secret-of-enough-length" || len(own.JSON["events"].([]any)) != 0 {
			t.Errorf("own secret / all events: %s", own.Raw)
		}
		list := mustStatus(t, env.Do(http.MethodGet, "/v1/webhooks?limit=1", manager, nil), http.StatusOK, "list")
		if items := list.Items(t); len(items) != 1 || items[0]["id"] != id || list.JSON["next_cursor"] == nil || strings.Contains(string(list.Raw), secret) {
			t.Fatalf("first page: %s", list.Raw)
		}
		got := mustStatus(t, env.Do(http.MethodGet, "/v1/webhooks/"+id, manager, nil), http.StatusOK, "get")
		if _, leaked := got.JSON["secret"]; leaked {
			t.Errorf("GET shows the secret: %s", got.Raw)
		}
		d := mustStatus(t, env.Do(http.MethodGet, "/v1/webhooks/"+id+"/deliveries", manager, nil), http.StatusOK, "deliveries")
		if len(d.Items(t)) != 0 || d.JSON["next_cursor"] != nil {
			t.Errorf("new webhook's deliveries: %s", d.Raw)
		}
		// the test ping goes out signed, now, and is logged
		ping := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks/"+id+"/test", manager, nil), http.StatusOK, "test")
		if ping.JSON["succeeded"] != true || ping.JSON["status_code"] != float64(200) || ping.JSON["test"] != true || ping.JSON["error"] != nil {
			t.Fatalf("ping: %s", ping.Raw)
		}
		reqs := rc.requests()
		if len(reqs) != 1 || reqs[0].Type != "webhook.test" || reqs[0].ID != ping.JSON["event_id"] || reqs[0].Env.Data["webhook_id"] != id {
			t.Fatalf("receiver got %+v", reqs)
		}
		if err := webhooks.Verify(secret, reqs[0].Signature, reqs[0].Body, env.Clock.Now(), time.Minute); err != nil {
			t.Errorf("ping signature: %v", err)
		}
		d = mustStatus(t, env.Do(http.MethodGet, "/v1/webhooks/"+id+"/deliveries", manager, nil), http.StatusOK, "deliveries")
		if items := d.Items(t); len(items) != 1 || items[0]["event_id"] != ping.JSON["event_id"] {
			t.Errorf("deliveries after ping: %s", d.Raw)
		}
		mustStatus(t, env.Do(http.MethodDelete, "/v1/webhooks/"+id, manager, nil), http.StatusNoContent, "delete")
		for _, path := range []string{"/v1/webhooks/" + id, "/v1/webhooks/" + id + "/deliveries"} {
			mustStatus(t, env.Do(http.MethodGet, path, manager, nil), http.StatusNotFound, "deleted "+path)
		}
		mustStatus(t, env.Do(http.MethodDelete, "/v1/webhooks/"+id, manager, nil), http.StatusNotFound, "delete again")
		mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks/"+id+"/test", manager, nil), http.StatusNotFound, "ping deleted")
		mustStatus(t, env.Do(http.MethodGet, "/v1/webhooks/"+uuid.NewString(), manager, nil), http.StatusNotFound, "unknown")
	})

	t.Run("samples match the payload schemas", func(t *testing.T) {
		// the contract check validates this response against WebhookEventSamples
		r := mustStatus(t, env.Do(http.MethodGet, "/v1/webhook-event-samples", manager, nil), http.StatusOK, "samples")
		if r.JSON["order_completed"].(map[string]any)["data"].(map[string]any)["report_hash"] == "" {
			t.Errorf("samples: %s", r.Raw)
		}
	})
}

// TestWebhookTargetsRefusedWhenPrivateIsOff: with private targets off (the
// default outside dev mode), loopback, private and link-local targets are
// refused at registration (literal or resolved) and again when connecting —
// here a webhook whose stored URL points at 10.0.0.1 and one at a live
// loopback receiver (as after DNS rebinding): both attempts fail before any
// connection, the receiver sees none.
func TestWebhookTargetsRefusedWhenPrivateIsOff(t *testing.T) {
	env := apitest.New(t)
	manager := env.Token("manager@fieldops.test")
	rc := newHookReceiver(t)
	for _, u := range []string{"https://127.0.0.1/hook", "https://10.0.0.1/hook", "https://localhost/hook", "https://[::1]/hook",
		"https://169.254.169.254/latest", "https://[::ffff:10.0.0.1]/x", "https://100.64.0.1/", rc.URL + "/hook"} {
		r := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", manager, map[string]any{"url": u}), http.StatusUnprocessableEntity, u)
		if !strings.Contains(string(r.Raw), `"field":"url"`) {
			t.Errorf("%s: %s", u, r.Raw)
		}
	}
	if n := env.Count("webhooks"); n != 0 {
		t.Fatalf("%d webhooks registered", n)
	}
	// stored targets that are internal now (registered when they were not)
	var hookIDs []uuid.UUID
	for _, u := range []string{"https://10.0.0.1/hook", rc.URL + "/hook"} {
		w := webhooks.Webhook{ID: ids.New(), URL: u, Events: []string{}, Secret: "whsec_0123456789abcdef0123", StartSeq: 0,
			CreatedAt: env.Clock.Now()}
		if err := env.DB.Create(&w).Error; err != nil {
			t.Fatal(err)
		}
		hookIDs = append(hookIDs, w.ID)
	}
	alice := env.Token("alice@example.com")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{
		"type": "repair", "description": "AC drips water", "asset_id": aliceAsset(t, env, alice),
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"},
	}), http.StatusCreated, "create")
	hooks := deliveryEngine(env, false)
	for _, id := range hookIDs {
		deliverUntil(t, hooks, "an attempt to "+id.String(), func() bool {
			var n int64
			env.DB.Table("webhook_deliveries").Where("webhook_id = ?", id).Count(&n)
			return n > 0
		})
		d := mustStatus(t, env.Do(http.MethodGet, "/v1/webhooks/"+id.String()+"/deliveries", manager, nil), http.StatusOK, "deliveries")
		items := d.Items(t)
		if len(items) != 1 || items[0]["status_code"] != nil || items[0]["succeeded"] != false || items[0]["next_retry_at"] == nil ||
			!strings.Contains(items[0]["error"].(string), "refused before connecting") || items[0]["event_type"] != "order.created" {
			t.Errorf("attempt: %s", d.Raw)
		}
		ping := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks/"+id.String()+"/test", manager, nil), http.StatusOK, "ping")
		if ping.JSON["succeeded"] != false || !strings.Contains(ping.JSON["error"].(string), "refused before connecting") {
			t.Errorf("ping: %s", ping.Raw)
		}
	}
	if n := rc.conns.Load(); n != 0 {
		t.Errorf("the loopback receiver saw %d connections", n)
	}
}

// TestWebhooksCarryTheOrderLifeCycle: the order domain writes its events in
// each change's transaction, and a webhook gets them in order, signed.
func TestWebhooksCarryTheOrderLifeCycle(t *testing.T) {
	env := apitest.New(t, privateHooks)
	manager := env.Token("manager@fieldops.test")
	rc := newHookReceiver(t)
	w := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", manager, map[string]any{"url": rc.URL + "/all"}), http.StatusCreated, "webhook")
	secret := w.JSON["secret"].(string)
	partnerHook := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", manager, map[string]any{"url": rc.URL + "/partner",
		"provider_id": partnerID(t, env)}), http.StatusCreated, "partner webhook")

	c := inProgressOrder(t, env, "maintenance")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/complete", c.tom, map[string]any{"resolution": "Cleaned the filters", "fixed": true,
		"labour_minutes": 30, "signer_name": "Alice", "signature": base64.StdEncoding.EncodeToString(signaturePNG(t))}), http.StatusOK, "complete")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/rating", c.alice, map[string]any{"score": 5, "timeliness": 5,
		"attitude": 5, "quality": 4, "comment": "Quick"}), http.StatusCreated, "rate")

	type step struct{ typ, status, prev string }
	want := []step{
		{"order.created", "submitted", ""}, {"order.status_changed", "triaged", "submitted"},
		{"order.status_changed", "assigned", "triaged"}, {"order.assigned", "assigned", ""},
		{"order.status_changed", "accepted", "assigned"}, {"order.status_changed", "scheduled", "accepted"},
		{"order.status_changed", "en_route", "scheduled"}, {"order.status_changed", "on_site", "en_route"},
		{"order.status_changed", "in_progress", "on_site"}, {"order.status_changed", "completed", "in_progress"},
		{"order.completed", "completed", ""}, {"rating.created", "", ""},
	}
	deliverUntil(t, deliveryEngine(env, true), "the order's events", func() bool { return len(rc.requests()) >= len(want) })
	var got []hookRequest
	for _, r := range rc.requests() {
		if err := webhooks.Verify(secret, r.Signature, r.Body, env.Clock.Now(), time.Minute); err != nil {
			t.Errorf("%s: a request to /all that does not verify, or one to /partner (in-house order): %v", r.Type, err)
			continue
		}
		got = append(got, r)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	seen := map[string]bool{}
	for i, w := range want {
		r := got[i]
		d := r.Env.Data
		if r.Type != w.typ || r.Env.Type != w.typ || r.ID != r.Env.ID || seen[r.ID] {
			t.Errorf("event %d: %s (id %s / %s), want %s", i, r.Type, r.ID, r.Env.ID, w.typ)
		}
		seen[r.ID] = true
		if w.typ == "rating.created" {
			if d["order_id"] != c.id || d["score"] != float64(5) || d["comment"] != "Quick" || d["complaint_id"] != nil {
				t.Errorf("rating data: %v", d)
			}
			continue
		}
		if d["id"] != c.id || d["status"] != w.status || (w.prev == "" && d["previous_status"] != nil) || (w.prev != "" && d["previous_status"] != w.prev) {
			t.Errorf("event %d %s: status %v previous %v, want %s from %q", i, w.typ, d["status"], d["previous_status"], w.status, w.prev)
		}
	}
	if done := got[10].Env.Data; done["fixed"] != true || done["report_hash"] == "" || done["completed_at"] == nil || got[3].Env.Data["technician_id"] != env.UserID("tom@fieldops.test") {
		t.Errorf("completed %v / assigned %v", done, got[3].Env.Data)
	}
	// the partner's webhook got nothing of an in-house order
	d := mustStatus(t, env.Do(http.MethodGet, "/v1/webhooks/"+partnerHook.JSON["id"].(string)+"/deliveries", manager, nil), http.StatusOK, "partner deliveries")
	if len(d.Items(t)) != 0 {
		t.Errorf("partner webhook deliveries: %s", d.Raw)
	}
}

// partnerID is the demo partner's provider id.
func partnerID(t *testing.T, env *apitest.Env) string {
	t.Helper()
	var id string
	if err := env.DB.Raw("SELECT id::text FROM providers WHERE kind = 'partner' ORDER BY name LIMIT 1").Scan(&id).Error; err != nil || id == "" {
		t.Fatalf("partner provider: %v", err)
	}
	return id
}

// TestWebhooksForAPIClients: webhooks:manage admits an API client to its
// own webhooks only (another client's are 404), bound to its provider; a
// client without the scope gets 403; managers see every webhook.
func TestWebhooksForAPIClients(t *testing.T) {
	env := apitest.New(t, privateHooks)
	rc := newHookReceiver(t)
	partner := partnerID(t, env)
	a := mustClientToken(t, env, mustAPIClient(t, env, "Partner CRM", []string{"webhooks:manage", "orders:read"}, partner), "")
	b := mustClientToken(t, env, mustAPIClient(t, env, "In-house CRM", []string{"webhooks:manage"}, ""), "")
	reader := mustClientToken(t, env, mustAPIClient(t, env, "Reader", []string{"orders:read"}, ""), "")
	scoped := mustClientToken(t, env, mustAPIClient(t, env, "Partner CRM 2", []string{"webhooks:manage", "orders:read"}, partner), "orders:read")

	for what, tok := range map[string]string{"no webhooks:manage": reader, "token without the scope": scoped} {
		mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", tok, map[string]any{"url": rc.URL}), http.StatusForbidden, what)
		mustStatus(t, env.Do(http.MethodGet, "/v1/webhooks", tok, nil), http.StatusForbidden, what)
	}
	// a partner-bound client cannot widen its webhook to another provider
	other := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", a, map[string]any{"url": rc.URL, "provider_id": uuid.NewString()}),
		http.StatusUnprocessableEntity, "another provider")
	if !strings.Contains(string(other.Raw), `"field":"provider_id"`) {
		t.Errorf("problem: %s", other.Raw)
	}
	wa := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", a, map[string]any{"url": rc.URL + "/a"}), http.StatusCreated, "client A")
	if wa.JSON["provider_id"] != partner || wa.JSON["api_client_id"] == nil {
		t.Errorf("client A's webhook: %s", wa.Raw)
	}
	wb := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", b, map[string]any{"url": rc.URL + "/b"}), http.StatusCreated, "client B")
	idA, idB := wa.JSON["id"].(string), wb.JSON["id"].(string)
	if items := mustStatus(t, env.Do(http.MethodGet, "/v1/webhooks", a, nil), http.StatusOK, "A lists").Items(t); len(items) != 1 || items[0]["id"] != idA {
		t.Errorf("A lists %v", items)
	}
	for _, path := range []string{"/v1/webhooks/" + idB, "/v1/webhooks/" + idB + "/deliveries"} {
		mustStatus(t, env.Do(http.MethodGet, path, a, nil), http.StatusNotFound, "A reads B's "+path)
	}
	mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks/"+idB+"/test", a, nil), http.StatusNotFound, "A pings B's")
	mustStatus(t, env.Do(http.MethodDelete, "/v1/webhooks/"+idB, a, nil), http.StatusNotFound, "A deletes B's")
	if items := mustStatus(t, env.Do(http.MethodGet, "/v1/webhooks", env.Token("manager@fieldops.test"), nil), http.StatusOK, "manager lists").Items(t); len(items) != 2 {
		t.Errorf("the manager lists %d webhooks, want 2", len(items))
	}
	mustStatus(t, env.Do(http.MethodDelete, "/v1/webhooks/"+idA, a, nil), http.StatusNoContent, "A deletes its own")
}

// TestLowRatingNamesItsComplaint: rating.created carries the complaint a
// low score opened.
func TestLowRatingNamesItsComplaint(t *testing.T) {
	env := apitest.New(t, privateHooks)
	rc := newHookReceiver(t)
	mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", env.Token("manager@fieldops.test"), map[string]any{"url": rc.URL,
		"events": []string{"rating.created"}}), http.StatusCreated, "webhook")
	c := inProgressOrder(t, env, "maintenance")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/complete", c.tom, map[string]any{"resolution": "Cleaned", "fixed": true,
		"labour_minutes": 30, "signer_name": "Alice", "signature": base64.StdEncoding.EncodeToString(signaturePNG(t))}), http.StatusOK, "complete")
	r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/rating", c.alice, map[string]any{"score": 1, "timeliness": 1,
		"attitude": 2, "quality": 1, "comment": "Late and rude"}), http.StatusCreated, "rate")
	deliverUntil(t, deliveryEngine(env, true), "rating.created", func() bool { return len(rc.requests()) == 1 })
	d := rc.requests()[0].Env.Data
	if d["complaint_id"] == nil || d["complaint_id"] != r.JSON["complaint_id"] || d["score"] != float64(1) {
		t.Errorf("rating.created data %v, rating response %s", d, r.Raw)
	}
}

// TestPartnerWebhookFollowsItsOrders: a partner's webhook gets the events of
// an order while a partner technician holds it, and the status change that
// takes it back in-house (unassign), but not the in-house intake.
func TestPartnerWebhookFollowsItsOrders(t *testing.T) {
	env := apitest.New(t, privateHooks)
	rc := newHookReceiver(t)
	partner := partnerID(t, env)
	w := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", env.Token("manager@fieldops.test"), map[string]any{"url": rc.URL,
		"provider_id": partner}), http.StatusCreated, "partner webhook")
	secret := w.JSON["secret"].(string)
	alice, disp := env.Token("alice@example.com"), env.Token("dispatcher@fieldops.test")
	id := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{
		"type": "repair", "description": "AC drips water", "asset_id": aliceAsset(t, env, alice),
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"},
	}), http.StatusCreated, "create").JSON["id"].(string)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", disp, map[string]any{}), http.StatusOK, "triage")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": env.UserID("carl@coolfix.test")}), http.StatusOK, "assign")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/unassign", disp, map[string]any{"reason": "customer asked for in-house"}), http.StatusOK, "unassign")
	want := []struct{ typ, status string }{{"order.status_changed", "assigned"}, {"order.assigned", "assigned"}, {"order.status_changed", "triaged"}}
	deliverUntil(t, env.Webhooks, "the partner's events", func() bool { return len(rc.requests()) >= len(want) })
	got := rc.requests()
	if len(got) != len(want) {
		t.Fatalf("%d requests, want %d", len(got), len(want))
	}
	for i, w := range want {
		r := got[i]
		if r.Type != w.typ || r.Env.Data["status"] != w.status || r.Env.Data["id"] != id {
			t.Errorf("request %d: %s %v, want %s %s", i, r.Type, r.Env.Data["status"], w.typ, w.status)
		}
		if err := webhooks.Verify(secret, r.Signature, r.Body, env.Clock.Now(), time.Minute); err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if got[2].Env.Data["provider_id"] != nil || got[0].Env.Data["provider_id"] != partner {
		t.Errorf("provider_id: assigned %v, after unassign %v", got[0].Env.Data["provider_id"], got[2].Env.Data["provider_id"])
	}
}

// A retried registration with the same Idempotency-Key is 409, not a replay:
// the generated secret is never kept with the key (like API clients).
func TestWebhookCreateRetryKeepsNoSecret(t *testing.T) {
	env := apitest.New(t, privateHooks)
	manager := env.Token("manager@fieldops.test")
	rc := newHookReceiver(t)
	body := map[string]any{"url": rc.URL + "/retry"}
	first := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", manager, body, "Idempotency-Key", "hook-1"), http.StatusCreated, "create")
	secret := first.JSON["secret"].(string)
	again := mustStatus(t, env.Do(http.MethodPost, "/v1/webhooks", manager, body, "Idempotency-Key", "hook-1"), http.StatusConflict, "retry")
	if strings.Contains(string(again.Raw), secret) || env.Count("webhooks") != 1 {
		t.Fatalf("retry: %s (%d webhooks)", again.Raw, env.Count("webhooks"))
	}
	var leaked int64
	env.DB.Raw("SELECT count(*) FROM idempotency_records WHERE encode(coalesce(response_body, ''::bytea), 'escape') LIKE ?", "%"+secret+"%").Scan(&leaked)
	if leaked != 0 {
		t.Fatal("the secret is stored in idempotency_records")
	}
}
