package clienttest_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/api/clienttest"
	"github.com/fieldops/fieldops/internal/platform/config"
	"github.com/fieldops/fieldops/internal/webhooks"
)

// partnerReceiver is the partner's webhook endpoint: it keeps each request
// with its headers.
type partnerReceiver struct {
	mu  sync.Mutex
	got []receivedHook
}

type receivedHook struct {
	header http.Header
	body   []byte
}

func (p *partnerReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.got = append(p.got, receivedHook{r.Header.Clone(), body})
	p.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// wait runs the webhook jobs' work (relay, due deliveries) until a request of
// type typ arrived, within a deadline, and returns it.
func (p *partnerReceiver) wait(t *testing.T, hooks *webhooks.Service, typ string) receivedHook {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		p.mu.Lock()
		for _, h := range p.got {
			if h.header.Get("X-FieldOps-Event-Type") == typ {
				p.mu.Unlock()
				return h
			}
		}
		p.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s webhook within the deadline", typ)
		}
		if _, err := hooks.RelayAll(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := hooks.DeliverDue(ctx, 50); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // the relay waits for older transactions
	}
}

func signature(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 240, 80))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for x := 10; x < 230; x++ {
		img.Set(x, 40+(x%30-15), color.RGBA{0, 0, 60, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPartnerFlow is issue 12's partner integration through the generated
// client: a manager creates an API client bound to the partner; the client
// gets a token (client credentials), registers a webhook, submits an order
// with its external_ref and receives order.created, signed; the partner's
// staff and technician work the order over HTTP to completion and the
// client receives order.completed. An in-house order never reaches it.
func TestPartnerFlow(t *testing.T) {
	env := apitest.New(t, func(c *config.Config) { c.Webhooks.AllowPrivate, c.Webhooks.RetryBase = true, time.Second })
	hooks := webhooks.New(env.DB, env.Clock, webhooks.Guard{AllowPrivate: true}, time.Second)
	recv := &partnerReceiver{}
	srv := httptest.NewServer(recv)
	defer srv.Close()

	manager := signIn(t, env, "manager@fieldops.test")
	pavel := signIn(t, env, "dispatcher@coolfix.test") // the partner's dispatcher
	carl := signIn(t, env, "carl@coolfix.test")        // the partner's technician
	bob := signIn(t, env, "bob@example.com")
	alice := signIn(t, env, "alice@example.com")
	partner := *pavel.User.ProviderId

	// The manager registers the partner's CRM as an API client.
	cr, err := manager.CreateAPIClientWithResponse(ctx, &clienttest.CreateAPIClientParams{IdempotencyKey: key()}, clienttest.APIClientRequest{
		Name: "CoolFix CRM", Scopes: []string{"orders:read", "orders:write", "webhooks:manage"}, ProviderId: &partner})
	check(t, "create API client", cr, err, http.StatusCreated)

	// Client credentials → access token.
	tr, err := newClient(t, env, "").CreateTokenWithFormdataBodyWithResponse(ctx, clienttest.CreateTokenFormdataRequestBody{
		GrantType: "client_credentials", ClientId: &cr.JSON201.ClientId, ClientSecret: &cr.JSON201.ClientSecret})
	check(t, "token", tr, err, http.StatusOK)
	crm := newClient(t, env, tr.JSON200.AccessToken)

	// The client subscribes to its orders' creation and completion.
	events := []clienttest.WebhookEventType{clienttest.WebhookEventTypeOrderCreated, clienttest.WebhookEventTypeOrderCompleted}
	wr, err := crm.CreateWebhookWithResponse(ctx, &clienttest.CreateWebhookParams{IdempotencyKey: key()},
		clienttest.WebhookRequest{Url: srv.URL + "/fieldops", Events: &events})
	check(t, "register webhook", wr, err, http.StatusCreated)
	secret := wr.JSON201.Secret
	if wr.JSON201.ProviderId == nil || *wr.JSON201.ProviderId != partner || wr.JSON201.ApiClientId == nil {
		t.Fatalf("the client's webhook is bound to its provider: %s", wr.Body)
	}

	// An in-house order (alice's) is not the partner's business.
	submit(t, alice, assetBySerial(t, alice, "AC9-DEMO-0001").Id, "In-house job")

	// The client submits an order with its own reference.
	ref := "COOLFIX-CRM-7781"
	or, err := crm.CreateOrderWithResponse(ctx, &clienttest.CreateOrderParams{IdempotencyKey: key()}, clienttest.OrderCreateRequest{
		Type: clienttest.OrderTypeMaintenance, Description: "Yearly AC service booked through the CRM", CustomerId: &bob.User.Id,
		ExternalRef: &ref, Address: clienttest.Address{Line1: "7 Garden Lane", City: "Southbay", Region: "south"}})
	check(t, "partner order", or, err, http.StatusCreated)
	order := *or.JSON201

	created := recv.wait(t, hooks, "order.created")
	verifyHook(t, secret, created, env)
	var ce clienttest.WebhookOrderEvent
	if err := json.Unmarshal(created.body, &ce); err != nil {
		t.Fatal(err)
	}
	if ce.Type != "order.created" || ce.Id.String() != created.header.Get("X-FieldOps-Event-Id") || ce.Data.Id != order.Id ||
		ce.Data.ExternalRef == nil || *ce.Data.ExternalRef != ref || ce.Data.Status != clienttest.OrderStatusSubmitted ||
		ce.Data.Channel != "partner_api" || ce.Data.ProviderId == nil || *ce.Data.ProviderId != partner {
		t.Fatalf("order.created: %s", created.body)
	}

	// The partner works the order: triage, assign Carl, accept, book, go, quote, the customer approves, complete.
	triage(t, pavel, order.Id)
	assignTo(t, pavel, order.Id, carl.User.Id)
	acc, err := carl.AcceptOrderWithResponse(ctx, order.Id, &clienttest.AcceptOrderParams{IdempotencyKey: key()})
	check(t, "accept", acc, err, http.StatusOK)
	slot := firstSlot(t, carl, order.Id, carl.User.Id)
	bk, err := carl.BookAppointmentWithResponse(ctx, order.Id, &clienttest.BookAppointmentParams{IdempotencyKey: key()},
		clienttest.AppointmentRequest{Start: slot.Start, End: slot.End})
	check(t, "book", bk, err, http.StatusOK)
	dep, err := carl.DepartOrderWithResponse(ctx, order.Id, &clienttest.DepartOrderParams{IdempotencyKey: key()}, departEarly)
	check(t, "depart", dep, err, http.StatusOK)
	arr, err := carl.ArriveOrderWithResponse(ctx, order.Id, &clienttest.ArriveOrderParams{IdempotencyKey: key()},
		clienttest.ArriveRequest{Lat: 22.54, Lng: 114.06})
	check(t, "arrive", arr, err, http.StatusOK)
	qr, err := carl.QuoteOrderWithResponse(ctx, order.Id, &clienttest.QuoteOrderParams{IdempotencyKey: key()}, clienttest.QuoteRequest{
		Items: []clienttest.QuoteItemRequest{{Kind: clienttest.QuoteItemKindLabour, Description: "Service", Qty: 1, UnitPrice: ptr(15000), Covered: ptr(false)}}})
	check(t, "quote", qr, err, http.StatusOK)
	ap, err := bob.ApproveQuoteWithResponse(ctx, order.Id, &clienttest.ApproveQuoteParams{IdempotencyKey: key()})
	check(t, "approve", ap, err, http.StatusOK)
	done, err := carl.CompleteOrderWithResponse(ctx, order.Id, &clienttest.CompleteOrderParams{IdempotencyKey: key()}, clienttest.CompleteRequest{
		Resolution: "Cleaned filters and coils; cooling checked", Fixed: true, LabourMinutes: 50, SignerName: "Bob Customer", Signature: signature(t)})
	check(t, "complete", done, err, http.StatusOK)

	completed := recv.wait(t, hooks, "order.completed")
	verifyHook(t, secret, completed, env)
	var de clienttest.WebhookOrderEvent
	if err := json.Unmarshal(completed.body, &de); err != nil {
		t.Fatal(err)
	}
	if de.Data.Id != order.Id || de.Data.Status != clienttest.OrderStatusCompleted || de.Data.Fixed == nil || !*de.Data.Fixed ||
		de.Data.ReportHash == nil || *de.Data.ReportHash == "" || de.Data.TechnicianId == nil || *de.Data.TechnicianId != carl.User.Id ||
		de.Data.ExternalRef == nil || *de.Data.ExternalRef != ref || de.Id == ce.Id {
		t.Fatalf("order.completed: %s", completed.body)
	}

	// Exactly the two subscribed events of the partner's order came; the
	// client sees them in its delivery log.
	recv.mu.Lock()
	n := len(recv.got)
	for _, h := range recv.got {
		var e struct {
			Data struct {
				ID openapi_types.UUID `json:"id"`
			} `json:"data"`
		}
		_ = json.Unmarshal(h.body, &e)
		if e.Data.ID != order.Id {
			t.Errorf("the partner's webhook got another order's event: %s", h.body)
		}
	}
	recv.mu.Unlock()
	if n != 2 {
		t.Errorf("%d webhook requests, want 2 (order.created, order.completed)", n)
	}
	dl, err := crm.ListWebhookDeliveriesWithResponse(ctx, wr.JSON201.Id, &clienttest.ListWebhookDeliveriesParams{})
	check(t, "deliveries", dl, err, http.StatusOK)
	if len(dl.JSON200.Items) != 2 || !dl.JSON200.Items[0].Succeeded || dl.JSON200.Items[0].EventType != "order.completed" {
		t.Errorf("delivery log: %s", dl.Body)
	}
	// the manager sees every webhook; another API client would not see this one
	ml, err := manager.ListWebhooksWithResponse(ctx, &clienttest.ListWebhooksParams{})
	check(t, "manager lists", ml, err, http.StatusOK)
	if len(ml.JSON200.Items) != 1 || ml.JSON200.Items[0].Id != wr.JSON201.Id {
		t.Errorf("manager's list: %s", ml.Body)
	}
}

// verifyHook checks a webhook request the way a receiver should: the
// signature over the raw body with the documented algorithm, and the id
// header equal to the body's id.
func verifyHook(t *testing.T, secret string, h receivedHook, env *apitest.Env) {
	t.Helper()
	if err := webhooks.Verify(secret, h.header.Get("X-FieldOps-Signature"), h.body, env.Clock.Now(), 5*time.Minute); err != nil {
		t.Fatalf("signature of %s: %v", h.header.Get("X-FieldOps-Event-Type"), err)
	}
	var env2 struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(h.body, &env2) != nil || env2.ID != h.header.Get("X-FieldOps-Event-Id") {
		t.Fatalf("X-FieldOps-Event-Id %s, body %s", h.header.Get("X-FieldOps-Event-Id"), h.body)
	}
}
