// Package api is FieldOps' HTTP transport: the echo router (every route in
// router.go), middleware, request/response types with swag annotations, and
// handlers that decode, call one service method and encode. Errors of every
// kind leave through one problem+json handler (problem.go).
//
//	@title						FieldOps API
//	@version					1.0
//	@description				Backend of a field-service and after-sales operation: customers, technicians, dispatchers, managers and third-party apps. Errors are RFC 9457 application/problem+json with field-level `errors`. Lists take `limit` (1-200, default 50) and an opaque `cursor`, and return `{items, next_cursor}`. Creating and transition POSTs accept an `Idempotency-Key` header: a retry with the same key and body replays the first response. HEAD is accepted wherever GET is (the same status and headers, no body). Ids are canonical 36-character UUIDs.
//	@contact.name				FieldOps engineering
//	@contact.email				engineering@fieldops.test
//	@license.name				Proprietary
//	@BasePath					/
//
//	@tag.name					auth
//	@tag.description			Sign-up, login, token refresh and logout
//	@tag.name					me
//	@tag.description			The caller's own account, duty and location
//	@tag.name					users
//	@tag.description			Staff accounts and technician profiles
//	@tag.name					providers
//	@tag.description			The in-house team and authorised service partners
//	@tag.name					catalog
//	@tag.description			Product models and their warranty terms
//	@tag.name					assets
//	@tag.description			Customers' registered products with derived warranty
//	@tag.name					orders
//	@tag.description			Work orders: intake, lists and delta sync, timeline, slots
//	@tag.name					order life cycle
//	@tag.description			Transitions from triage to completion and the follow-up call, cancel and reopen
//	@tag.name					close-out
//	@tag.description			Photos and their bytes, resumable uploads (tus 1.0), the signed service report, rating, follow-up calls
//	@tag.name					inventory
//	@tag.description			Spare parts catalogue, warehouses and vans, the append-only stock ledger, stocktakes and traceability
//	@tag.name					notifications
//	@tag.description			Per-user inbox
//	@tag.name					sla
//	@tag.description			Service-level policies: targets per order type × priority, wall-clock or working hours
//	@tag.name					regions
//	@tag.description			Service regions: time zone, working hours and days, holidays (the working calendar of SLA and complaint due times)
//	@tag.name					complaints
//	@tag.description			Customer complaints: respond, escalate (levels 0–3), resolve; due times in working days
//	@tag.name					reports
//	@tag.description			KPI reports computed from the order event log, each with the counts behind it
//	@tag.name					dev
//	@tag.description			Dev mode only (FIELDOPS_DEV=true; absent otherwise): move the server's clock forward and run the periodic jobs now, to check time-driven behaviour from outside
//	@tag.name					api clients
//	@tag.description			Third-party systems that call the API with OAuth2 client credentials and scopes
//	@tag.name					webhooks
//	@tag.description			Signed HTTPS callbacks for integration events (order.*, rating.created, complaint.*, sla.breached, stock.low), delivered from a transactional outbox with retries
//	@tag.name					ops
//	@tag.description			Health, readiness and the API description
//
//	@securityDefinitions.apikey	BearerAuth
//	@in							header
//	@name						Authorization
//	@description				Access token from /v1/auth/login (paste the token only).
//
//	@securitydefinitions.oauth2.application	OAuth2ClientCredentials
//	@tokenUrl								/v1/auth/token
//	@scope.orders:read						Read orders (as the client's provider's dispatcher)
//	@scope.orders:write						Submit orders (channel partner_api, optional external_ref)
//	@scope.assets:write						Register customers' products
//	@scope.parts:read						Read the parts catalogue
//	@scope.webhooks:manage					Manage webhooks
//	@scope.reports:read						Read KPI reports
//	@description							API clients (POST /v1/api-clients) get a bearer access token with the OAuth2 client-credentials grant; each operation lists the scope that admits them.
package api
