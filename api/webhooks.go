package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/outbox"
	"github.com/fieldops/fieldops/internal/webhooks"
)

// Webhooks: subscriptions to the integration events of SPEC §6, their
// delivery log, a test ping, and sample payloads.

// webhookOwner is who p manages webhooks as: a manager (every webhook) or
// an API client with webhooks:manage (its own, bound to its provider).
func webhookOwner(p auth.Principal) webhooks.Owner {
	id := p.UserID
	if p.Client {
		return webhooks.Owner{ClientID: &id, ProviderID: p.ProviderID}
	}
	return webhooks.Owner{UserID: &id}
}

// handleCreateWebhook registers a webhook.
//
//	@Summary		Register a webhook
//	@Description	Managers, and API clients with webhooks:manage (their webhooks get only their provider's events when the client is bound to one). FieldOps POSTs each subscribed event to `url` as JSON `{id, type, created_at, data}` (schemas: WebhookOrderEvent, WebhookRatingEvent, WebhookComplaintEvent, WebhookComplaintEscalatedEvent, WebhookSLABreachedEvent, WebhookStockLowEvent, WebhookTestEvent; samples at GET /v1/webhook-event-samples) with headers `X-FieldOps-Event-Id` (the event id, the same on every retry), `X-FieldOps-Event-Type` and `X-FieldOps-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the secret's UTF-8 bytes>`. Events are written in the transaction of the change (outbox) and delivered at least once, in order per order, within 10 s per attempt; a non-2xx answer is retried after FIELDOPS_WEBHOOK_RETRY_BASE (30 s), doubling, for 24 h. Only events written after registration are sent. `events` empty or omitted: every type. `provider_id`: only that provider's orders' events. The `url` must be https and must not be, or resolve to, a private, loopback, link-local, CGNAT, multicast or IPv4-mapped address (checked again when connecting) unless the operator allows private targets. The secret is returned once.
//	@ID				createWebhook
//	@Tags			webhooks
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[webhooks:manage]
//	@Param			Idempotency-Key	header		string			false	"retry key (24 h, per caller)"	maxlength(255)
//	@Param			body			body		WebhookRequest	true	"subscription"
//	@Success		201				{object}	WebhookCreated
//	@Header			201				{string}	Location	"/v1/webhooks/{id}"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem	"not a manager, or an API client without webhooks:manage"
//	@Failure		409				{object}	Problem	"an Idempotency-Key retry of a create that succeeded: the secret is not kept for a replay (GET the webhook, or delete it and register again); or an API client that already has 20 live webhooks"
//	@Failure		422				{object}	Problem	"url (scheme, internal address, unresolvable host), events, secret, description or provider_id"
//	@Router			/v1/webhooks [post]
func handleCreateWebhook(svc *webhooks.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req WebhookRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		w, err := svc.Create(c.Request().Context(), webhookOwner(principal(c)), fromWebhookRequest(req))
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/v1/webhooks/"+w.ID.String())
		return c.JSON(http.StatusCreated, WebhookCreated{WebhookResponse: toWebhookResponse(w), Secret: w.Secret})
	}
}

// handleListWebhooks lists webhooks.
//
//	@Summary		List webhooks
//	@Description	Managers: every live webhook, oldest first (never the secrets). API clients with webhooks:manage: their own.
//	@ID				listWebhooks
//	@Tags			webhooks
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[webhooks:manage]
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200		{object}	WebhookList
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"not a manager, or an API client without webhooks:manage"
//	@Failure		422		{object}	Problem	"bad limit or cursor"
//	@Router			/v1/webhooks [get]
func handleListWebhooks(svc *webhooks.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		pg, err := svc.List(c.Request().Context(), webhookOwner(principal(c)), pr)
		if err != nil {
			return err
		}
		out := WebhookList{Items: make([]WebhookResponse, 0, len(pg.Items)), NextCursor: nonEmpty(pg.NextCursor)}
		for _, w := range pg.Items {
			out.Items = append(out.Items, toWebhookResponse(w))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleGetWebhook returns one webhook.
//
//	@Summary		Get a webhook
//	@Description	Managers (API clients: their own). Deleted webhooks are 404.
//	@ID				getWebhook
//	@Tags			webhooks
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[webhooks:manage]
//	@Param			id	path		string	true	"webhook id"	format(uuid)
//	@Success		200	{object}	WebhookResponse
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"not a manager, or an API client without webhooks:manage"
//	@Failure		404	{object}	Problem
//	@Router			/v1/webhooks/{id} [get]
func handleGetWebhook(svc *webhooks.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "webhook")
		if err != nil {
			return err
		}
		w, err := svc.Get(c.Request().Context(), webhookOwner(principal(c)), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toWebhookResponse(w))
	}
}

// handleDeleteWebhook removes a webhook.
//
//	@Summary		Delete a webhook
//	@Description	Managers. Nothing more is sent to it from now; attempts not yet made are cancelled.
//	@ID				deleteWebhook
//	@Tags			webhooks
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[webhooks:manage]
//	@Param			id	path	string	true	"webhook id"	format(uuid)
//	@Success		204
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"not a manager, or an API client without webhooks:manage"
//	@Failure		404	{object}	Problem	"no such webhook, or already deleted"
//	@Router			/v1/webhooks/{id} [delete]
func handleDeleteWebhook(svc *webhooks.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "webhook")
		if err != nil {
			return err
		}
		if err := svc.Delete(c.Request().Context(), webhookOwner(principal(c)), id); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// handleListWebhookDeliveries lists a webhook's delivery attempts.
//
//	@Summary		List a webhook's deliveries
//	@Description	Managers. Every attempt, newest first: the event, the attempt number, the receiver's status (null when none came), the error, the duration and when the next attempt is due; test pings included (`test`).
//	@ID				listWebhookDeliveries
//	@Tags			webhooks
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[webhooks:manage]
//	@Param			id		path		string	true	"webhook id"	format(uuid)
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200		{object}	WebhookDeliveryList
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"not a manager, or an API client without webhooks:manage"
//	@Failure		404		{object}	Problem
//	@Failure		422		{object}	Problem	"bad limit or cursor"
//	@Router			/v1/webhooks/{id}/deliveries [get]
func handleListWebhookDeliveries(svc *webhooks.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "webhook")
		if err != nil {
			return err
		}
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		pg, err := svc.Deliveries(c.Request().Context(), webhookOwner(principal(c)), id, pr)
		if err != nil {
			return err
		}
		out := WebhookDeliveryList{Items: make([]WebhookDeliveryResponse, 0, len(pg.Items)), NextCursor: nonEmpty(pg.NextCursor)}
		for _, d := range pg.Items {
			out.Items = append(out.Items, toWebhookDeliveryResponse(d))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleTestWebhook pings a webhook.
//
//	@Summary		Send a test event
//	@Description	Managers. Sends one `webhook.test` event (WebhookTestEvent) to the webhook now, signed and checked like every delivery, waits for the answer (at most 10 s) and returns the attempt, which is also in the delivery log. A failed ping is not retried and is not an error of this request (see `succeeded`).
//	@ID				testWebhook
//	@Tags			webhooks
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[webhooks:manage]
//	@Param			id	path		string	true	"webhook id"	format(uuid)
//	@Success		200	{object}	WebhookDeliveryResponse
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"not a manager, or an API client without webhooks:manage"
//	@Failure		404	{object}	Problem
//	@Router			/v1/webhooks/{id}/test [post]
func handleTestWebhook(svc *webhooks.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "webhook")
		if err != nil {
			return err
		}
		d, err := svc.Test(c.Request().Context(), webhookOwner(principal(c)), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toWebhookDeliveryResponse(d))
	}
}

// handleWebhookEventSamples shows a body of each webhook payload.
//
//	@Summary		Sample webhook bodies
//	@Description	One request body per payload schema, built by the code that writes the real events (ids and times are made up). Use it to test a receiver's parsing and signature check.
//	@ID				webhookEventSamples
//	@Tags			webhooks
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[webhooks:manage]
//	@Success		200	{object}	WebhookEventSamples
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"not a manager, or an API client without webhooks:manage"
//	@Router			/v1/webhook-event-samples [get]
func handleWebhookEventSamples() echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.JSON(http.StatusOK, webhookSamples())
	}
}

// webhookSamples marshals the domain's own event data (orders.OrderEventData,
// orders.RatingEventData, orders.ComplaintData, webhooks.TestData; the
// escalation and stock.low additions written out) inside webhooks.Envelope, as
// deliveries do, so the contract check of this response proves the payload
// schemas describe what receivers get.
func webhookSamples() map[string]webhooks.Envelope {
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	order, customer := uuid.MustParse("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e01"), uuid.MustParse("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e02")
	tech, provider := uuid.MustParse("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e03"), uuid.MustParse("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e04")
	ref, triaged, fixed := "CRM-4711", orders.StatusTriaged, true
	base := orders.OrderEventData{ID: order, Number: "FO-2026-000123", Type: "repair", Channel: "partner_api", Priority: "P3",
		Status: orders.StatusSubmitted, Action: "create", CustomerID: customer, ProviderID: &provider, ExternalRef: &ref, Region: "north",
		VisitCount: 1, Version: 1, OccurredAt: at}
	assigned := base
	assigned.Status, assigned.Action, assigned.TechnicianID, assigned.Version = orders.StatusAssigned, "assign", &tech, 3
	changed := assigned
	changed.PreviousStatus = &triaged
	completed := assigned
	completed.Status, completed.Action, completed.Version, completed.Fixed, completed.CompletedAt, completed.ReportHash =
		orders.StatusCompleted, "complete", 9, &fixed, &at, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	rating := orders.RatingEventData{OrderID: order, OrderNumber: base.Number, ExternalRef: &ref, TechnicianID: &tech, ProviderID: &provider,
		Visit: 1, Score: 5, Timeliness: 5, Attitude: 5, Quality: 4, Comment: "Quick and tidy", CreatedAt: at}
	breach := orders.SLABreachedEventData{OrderID: order, OrderNumber: base.Number, ExternalRef: &ref, ProviderID: &provider,
		Milestone: orders.MilestoneFirstResponse, DueAt: at.Add(-time.Minute), BreachedAt: at, Priority: "P1", Type: "repair",
		Region: "north", Status: orders.StatusSubmitted, Visit: 1}
	complaint := orders.Complaint{ID: uuid.MustParse("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e05"), CustomerID: customer, OrderID: &order,
		Source: "rating", Category: "service_quality", Severity: "high", Description: "Late and rude", Status: "open", Region: "north",
		ReplyDueAt: at.Add(24 * time.Hour), ResolutionDueAt: at.Add(72 * time.Hour), CreatedAt: at, UpdatedAt: at}
	escalated := complaint
	escalated.Level = 1
	escalatedData := orders.ComplaintData(escalated) // with what internal/complaints adds to it
	escalatedData["from_level"], escalatedData["automatic"] = 0, true
	stockLow := map[string]any{"part_id": uuid.MustParse("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e06"), "sku": "DP-800",
		"location_id": uuid.MustParse("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e07"), "on_hand": 4, "reserved": 0, "available": 4, "reorder_point": 5}
	env := func(id, typ string, data any) webhooks.Envelope {
		raw, _ := json.Marshal(data)
		return webhooks.Envelope{ID: uuid.MustParse(id), Type: typ, CreatedAt: at, Data: raw}
	}
	return map[string]webhooks.Envelope{
		"order_created":        env("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0f01", outbox.OrderCreated, base),
		"order_status_changed": env("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0f02", outbox.OrderStatusChanged, changed),
		"order_assigned":       env("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0f03", outbox.OrderAssigned, assigned),
		"order_completed":      env("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0f04", outbox.OrderCompleted, completed),
		"rating_created":       env("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0f05", outbox.RatingCreated, rating),
		"complaint_created":    env("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0f08", outbox.ComplaintCreated, orders.ComplaintData(complaint)),
		"complaint_escalated":  env("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0f09", outbox.ComplaintEscalated, escalatedData),
		"sla_breached":         env("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0f07", outbox.SLABreached, breach),
		"stock_low":            env("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0f0a", outbox.StockLow, stockLow),
		"test":                 env("0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0f06", webhooks.TestEventType, webhooks.TestData{WebhookID: order, Message: "Test event from FieldOps."}),
	}
}
