package api

import (
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/clients"
	"github.com/fieldops/fieldops/internal/complaints"
	"github.com/fieldops/fieldops/internal/identity"
	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/parts"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/blob"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/config"
	"github.com/fieldops/fieldops/internal/platform/idempotency"
	"github.com/fieldops/fieldops/internal/platform/jobs"
	"github.com/fieldops/fieldops/internal/platform/notify"
	"github.com/fieldops/fieldops/internal/platform/ratelimit"
	"github.com/fieldops/fieldops/internal/reports"
	"github.com/fieldops/fieldops/internal/webhooks"
)

// Deps are what the HTTP layer needs; cmd/fieldops wires them.
type Deps struct {
	Config   config.Config
	Log      *slog.Logger
	DB       *gorm.DB
	Tokens   *auth.Issuer
	Identity *identity.Service
	Catalog  *catalog.Service
	Orders   *orders.Service
	// Parts is the spare-parts inventory (catalogue, locations, ledger).
	Parts *parts.Service
	// Clients are the API clients (OAuth2 client credentials).
	Clients *clients.Service
	// Complaints runs the complaint workflow; nil: one on DB, Identity and
	// the order service's clock.
	Complaints *complaints.Service
	// Blobs holds photo bytes (resumable uploads stage next to them).
	Blobs blob.Store
	// Idempotency keeps Idempotency-Key records of creating and transition POSTs.
	Idempotency *idempotency.Store
	// Metrics receives the HTTP request metrics (NewMetricsRegistry; served
	// by MetricsHandler on the metrics listener). Nil: a private registry.
	Metrics *prometheus.Registry
	// Notify is this process's hub of live notifications (its Run listens on
	// PostgreSQL); GET /v1/notifications/stream subscribes to it.
	Notify *notify.Hub
	// Webhooks manages webhooks and delivers them; nil: one on DB with
	// Config.Webhooks and the order service's clock.
	Webhooks *webhooks.Service
	// Reports computes the KPI reports.
	Reports *reports.Service
	// Jobs are the periodic jobs POST /v1/dev/jobs/run runs, and DevClock
	// the clock POST /v1/dev/clock moves; both routes exist in dev mode only.
	Jobs     *jobs.Registry
	DevClock clock.Settable
}

// Roles, for reading the routes below.
const (
	customer   = auth.RoleCustomer
	technician = auth.RoleTechnician
	dispatcher = auth.RoleDispatcher
	manager    = auth.RoleManager
)

var anyone = []string{customer, technician, dispatcher, manager}

// NewServer builds the echo instance with every route and middleware.
func NewServer(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Log)
	e.IPExtractor = ipExtractor(d.Config.HTTP.TrustedProxies)

	reg := d.Metrics
	if reg == nil {
		reg = NewMetricsRegistry()
	}
	metrics := httpMetrics(reg)
	dbPoolMetrics(reg, d.DB)
	notifyMetrics(reg, d.Notify)

	e.Use(
		requestID(),
		requestLogger(d.Log),
		middleware.RecoverWithConfig(middleware.RecoverConfig{DisableErrorHandler: true, LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			d.Log.Error("panic", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "error", err, "stack", string(stack))
			return err
		}}),
		metrics,
		securityHeaders(d.Config.HTTP),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: d.Config.HTTP.BodyLimit,
			Skipper: func(c echo.Context) bool { return largeBodies[c.Path()] }}),
		middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: d.Config.HTTP.RequestTimeout,
			Skipper: func(c echo.Context) bool { return streaming[c.Path()] }}),
		newAdmission(AdmissionLimit(d.Config.HTTP.MaxInFlight, d.Config.Database.MaxOpenConns), reg).middleware(),
	)
	if len(d.Config.HTTP.CORSOrigins) > 0 {
		e.Use(cors(d.Config.HTTP.CORSOrigins))
	}

	// ops and documentation (metrics: MetricsHandler, on its own listener)
	ops := routes{e: e}
	ops.GET("/healthz", handleHealthz())
	ops.GET("/readyz", handleReadyz(d.DB))
	ops.GET("/openapi.json", handleOpenAPIJSON())
	ops.GET("/openapi.yaml", handleOpenAPIYAML())
	ops.GET("/docs", handleDocs())
	ops.GET("/docs/:file", handleDocsAsset())

	v1 := routes{e: e, prefix: "/v1", mw: []echo.MiddlewareFunc{noStore, queryText}}
	photoMax := d.Config.Storage.PhotoMaxBytes()

	// every creating or transition POST takes an Idempotency-Key
	idem := idempotent(d.Idempotency)

	cmp := d.Complaints
	if cmp == nil {
		cmp = complaints.New(d.DB, d.Identity, d.Orders.Clock())
	}

	// sessions
	v1.POST("/auth/register", handleRegister(d.Identity), signupKeyLimit(d.Identity), idempotentCredentials(d.Idempotency)) // keys limited per address; tokens never stored
	v1.POST("/auth/login", handleLogin(d.Identity))
	v1.POST("/auth/refresh", handleRefresh(d.Identity))

	// every authenticated request spends a token of its caller's bucket
	// (FIELDOPS_RATE_LIMIT_*: per user and API client, shared by replicas);
	// token requests one of their client address's
	limits := ratelimit.New(d.DB, ratelimit.Config{RPS: d.Config.RateLimit.RPS, Burst: d.Config.RateLimit.Burst,
		Batch: d.Config.RateLimit.Batch}, time.Now)
	v1.POST("/auth/token", handleToken(d.Clients, d.Tokens), tokenLimit(limits)) // OAuth2 client credentials (RFC 6749 §4.4)
	in := v1.Group("", authenticate(d.Tokens, d.Identity.Current, d.Clients.Current), rateLimit(limits))
	in.POST("/auth/logout", handleLogout(d.Identity), allow(anyone...))
	in.GET("/me", handleMe(d.Identity), allow(anyone...))
	in.PUT("/me/duty", handleDuty(d.Identity), allow(technician))
	in.POST("/me/location", handleLocation(d.Identity), allow(technician))
	in.PUT("/me/password", handleChangePassword(d.Identity), allow(anyone...))

	// staff and organisations
	in.POST("/users", handleCreateUser(d.Identity), allow(manager), idem)
	in.GET("/users", handleListUsers(d.Identity), allow(manager, dispatcher))
	in.GET("/users/:id", handleGetUser(d.Identity), allow(manager, dispatcher))
	in.PATCH("/users/:id", handleUpdateUser(d.Identity), allow(manager))
	in.POST("/providers", handleCreateProvider(d.Identity), allow(manager), idem)
	in.GET("/providers", handleListProviders(d.Identity), allow(manager))
	in.GET("/providers/:id", handleGetProvider(d.Identity), allow(manager))

	// API clients (OAuth2 client credentials: POST /v1/auth/token above)
	in.POST("/api-clients", handleCreateAPIClient(d.Clients), allow(manager), idempotentCredentials(d.Idempotency)) // the secret is never stored
	in.GET("/api-clients", handleListAPIClients(d.Clients), allow(manager))
	in.GET("/api-clients/:id", handleGetAPIClient(d.Clients), allow(manager))
	in.DELETE("/api-clients/:id", handleDeleteAPIClient(d.Clients), allow(manager))

	// catalogue and customers' products
	in.POST("/product-models", handleCreateProductModel(d.Catalog), allow(manager), idem)
	in.GET("/product-models", handleListProductModels(d.Catalog), allow(anyone...))
	in.GET("/product-models/:id", handleGetProductModel(d.Catalog), allow(anyone...))
	in.POST("/assets", handleCreateAsset(d.Catalog), allowScope(clients.ScopeAssetsWrite, customer, dispatcher, manager), idem)
	in.GET("/assets", handleListAssets(d.Catalog), allow(anyone...))
	in.GET("/assets/:id", handleGetAsset(d.Catalog), allow(anyone...))
	in.POST("/assets/:id/photos", handleAddAssetPhoto(d.Orders, photoMax), allow(customer, dispatcher, manager))
	in.GET("/assets/:id/photos", handleListAssetPhotos(d.Orders), allow(anyone...))
	in.POST("/assets/:id/verify-warranty", handleVerifyWarranty(d.Catalog), allow(dispatcher, manager))
	in.GET("/asset-claims", handleListAssetClaims(d.Catalog), allow(dispatcher, manager))

	// work orders; a transition's route is POST /v1/orders/{id}/<action> (the
	// value allowed_actions lists) and its roles come from the life-cycle table
	action := func(a orders.Action, h echo.HandlerFunc) {
		in.POST("/orders/:id/"+string(a), h, allow(orders.RolesFor(a)...), idem)
	}
	// API clients: orders:read reads orders as their provider's dispatcher,
	// orders:write submits them (internal/clients)
	readOrders := allowScope(clients.ScopeOrdersRead, anyone...)
	in.POST("/orders", handleCreateOrder(d.Orders), allowScope(clients.ScopeOrdersWrite, customer, dispatcher, manager), idem)
	in.GET("/orders", handleListOrders(d.Orders), readOrders)
	in.GET("/orders/:id", handleGetOrder(d.Orders), readOrders)
	in.PATCH("/orders/:id", handleUpdateOrder(d.Orders), allow(customer, dispatcher, manager))
	in.GET("/orders/:id/events", handleOrderEvents(d.Orders), readOrders)
	in.GET("/orders/:id/slots", handleSlots(d.Orders), readOrders)
	action(orders.ActTriage, handleTriage(d.Orders))
	action(orders.ActAssign, handleAssign(d.Orders))
	action(orders.ActUnassign, handleUnassign(d.Orders))
	action(orders.ActAccept, handleAccept(d.Orders))
	action(orders.ActDecline, handleDecline(d.Orders))
	action(orders.ActAppointment, handleAppointment(d.Orders))
	action(orders.ActDepart, handleDepart(d.Orders))
	action(orders.ActArrive, handleArrive(d.Orders))
	action(orders.ActQuote, handleQuote(d.Orders))
	action(orders.ActApprove, handleApproveQuote(d.Orders))
	action(orders.ActReject, handleRejectQuote(d.Orders))
	action(orders.ActStart, handleStart(d.Orders))
	action(orders.ActAwaitingParts, handleAwaitParts(d.Orders))
	// parts used: the order's workflow, issuing stock in the same transaction (not a status change)
	in.POST("/orders/:id/parts", handleUseParts(d.Orders), allow(technician), idem)
	// completion carries the signature: a larger limit than JSON bodies, but
	// bounded before the idempotency middleware reads the body to hash it
	in.POST("/orders/:id/"+string(orders.ActComplete), handleComplete(d.Orders, completeBodyLimit),
		allow(orders.RolesFor(orders.ActComplete)...), middleware.BodyLimit(strconv.Itoa(completeBodyLimit/1024)+"K"), idem)
	action(orders.ActFollowUp, handleFollowUp(d.Orders))
	action(orders.ActCancel, handleCancel(d.Orders))
	action(orders.ActReopen, handleReopen(d.Orders))

	// close-out: photos (uploads are idempotent by the client's photo id), the
	// signed report, rating and follow-up calls
	in.POST("/orders/:id/photos", handleAddPhoto(d.Orders, photoMax), allow(customer, technician))
	in.GET("/orders/:id/photos", handleListPhotos(d.Orders), readOrders)
	in.GET("/photos/:id/content", handlePhotoContent(d.Orders), readOrders) // and HEAD, documented
	in.GET("/orders/:id/report", handleReport(d.Orders), readOrders)
	in.POST("/orders/:id/rating", handleRate(d.Orders), allow(customer), idem)
	in.GET("/orders/:id/rating", handleGetRating(d.Orders), readOrders)
	in.GET("/orders/:id/follow-ups", handleListFollowUps(d.Orders), allow(dispatcher, manager))

	// resumable photo uploads (tus 1.0, tusd): who may add photos, with the
	// photo limit; the request that completes an upload makes it the photo
	up := newUploads(d.Orders, d.Config.Storage, d.Config.HTTP.RequestTimeout, d.Log)
	photographers := allow(customer, technician)
	in.POST("/uploads", handleCreateUpload(up), photographers)
	in.add(http.MethodOptions, "/uploads", handleUploadOptions(up), photographers)
	in.add(http.MethodHead, "/uploads/:id", handleUploadOffset(up), photographers, up.owned)
	in.PATCH("/uploads/:id", handleUploadChunk(up), photographers, up.owned)
	in.DELETE("/uploads/:id", handleDeleteUpload(up), photographers, up.owned)

	// regions: working calendars (time zone, hours, working days, holidays)
	in.GET("/regions", handleListRegions(d.Orders), allow(manager, dispatcher))
	in.PUT("/regions/:code", handlePutRegion(d.Orders), allow(manager))

	// complaints (SPEC §5): scope per caller in internal/complaints
	in.POST("/complaints", handleCreateComplaint(cmp), allow(customer, dispatcher, manager), idem)
	in.GET("/complaints", handleListComplaints(cmp), allow(customer, dispatcher, manager))
	in.GET("/complaints/:id", handleGetComplaint(cmp), allow(customer, dispatcher, manager))
	in.POST("/complaints/:id/respond", handleRespondComplaint(cmp), allow(dispatcher, manager), idem)
	in.POST("/complaints/:id/escalate", handleEscalateComplaint(cmp), allow(dispatcher, manager), idem)
	in.POST("/complaints/:id/resolve", handleResolveComplaint(cmp), allow(dispatcher, manager), idem)
	in.POST("/complaints/:id/reject-resolution", handleRejectResolution(cmp), allow(customer), idem)

	// KPI reports (SPEC §5). API clients with reports:read read them as
	// their provider's dispatcher (unbound: the in-house team's), like orders.
	readReports := allowScope(clients.ScopeReportsRead, manager, dispatcher)
	in.GET("/reports/kpis", handleKPIs(d.Reports), readReports)
	in.GET("/reports/kpis/timeseries", handleKPISeries(d.Reports), readReports)

	// SLA policies
	in.GET("/sla-policies", handleListSLAPolicies(d.Orders), allow(manager))
	in.PUT("/sla-policies", handlePutSLAPolicies(d.Orders), allow(manager))

	// dev mode only (absent otherwise: 404): the test clock and the periodic jobs, for managers
	if d.Config.Dev && d.DevClock != nil && d.Jobs != nil {
		in.POST("/dev/clock", handleSetDevClock(d.DevClock), allow(manager))
		in.POST("/dev/jobs/run", handleRunDevJobs(d.Jobs, d.DevClock), allow(manager))
	}

	// spare parts and inventory (issue 10); in-house staff move stock (the
	// services refuse partner dispatchers), technicians read their van and the warehouses
	in.POST("/parts", handleCreatePart(d.Parts), allow(manager), idem)
	readParts := allowScope(clients.ScopePartsRead, manager, dispatcher, technician)
	in.GET("/parts", handleListParts(d.Parts), readParts)
	in.GET("/parts/:id", handleGetPart(d.Parts), readParts)
	in.GET("/parts/:id/movements", handlePartMovements(d.Parts), allow(manager, dispatcher))
	in.POST("/stock-locations", handleCreateStockLocation(d.Parts), allow(manager, dispatcher), idem)
	in.GET("/stock-locations", handleListStockLocations(d.Parts), allow(manager, dispatcher, technician))
	in.GET("/stock", handleStock(d.Parts), allow(manager, dispatcher, technician))
	in.POST("/stock/movements", handleStockMovement(d.Parts), allow(manager, dispatcher), idem)
	in.POST("/stock/counts", handleStocktake(d.Parts), allow(manager, dispatcher), idem)

	// webhooks (integration events from the outbox, delivered by River jobs)
	hooks := d.Webhooks
	if hooks == nil {
		hooks = webhooks.New(d.DB, d.Orders.Clock(), webhooks.Guard{AllowPrivate: d.Config.Webhooks.AllowPrivate}, d.Config.Webhooks.RetryBase)
	}
	manageHooks := allowScope(clients.ScopeWebhooksManage, manager)
	in.POST("/webhooks", handleCreateWebhook(hooks), manageHooks, idempotentCredentials(d.Idempotency)) // the secret is never stored with the key
	in.GET("/webhooks", handleListWebhooks(hooks), manageHooks)
	in.GET("/webhooks/:id", handleGetWebhook(hooks), manageHooks)
	in.DELETE("/webhooks/:id", handleDeleteWebhook(hooks), manageHooks)
	in.GET("/webhooks/:id/deliveries", handleListWebhookDeliveries(hooks), manageHooks)
	in.POST("/webhooks/:id/test", handleTestWebhook(hooks), manageHooks)
	in.GET("/webhook-event-samples", handleWebhookEventSamples(), manageHooks)

	// inbox
	in.GET("/notifications", handleNotifications(d.Orders), allow(anyone...))
	in.GET("/notifications/stream", handleNotificationStream(d.Orders, d.Notify, d.Identity.Current, d.Config.Stream, d.Log), allow(anyone...))
	in.POST("/notifications/:id/read", handleReadNotification(d.Orders), allow(anyone...))

	return e
}

// completeBodyLimit bounds a completion request (fields and the signature
// image, base64 or a file part): a signature is far smaller than a photo.
const completeBodyLimit = 4 << 20

// largeBodies are the routes that take a photo (or a signature): they
// apply their own limit instead of the global body limit.
var largeBodies = map[string]bool{
	"/v1/orders/:id/photos":   true,
	"/v1/assets/:id/photos":   true,
	"/v1/orders/:id/complete": true,
	"/v1/uploads":             true, // tus: tusd bounds the bytes by Upload-Length (at most the photo limit)
	"/v1/uploads/:id":         true,
}

// routes registers routes under a path prefix with middleware attached to each
// route. It stands in for echo's Group: group middleware (Group.Use) also
// registers catch-all 404 routes for the prefix, which win over 405 Method Not
// Allowed and run authentication before "no such route" (labstack/echo#1981).
type routes struct {
	e      *echo.Echo
	prefix string
	mw     []echo.MiddlewareFunc
}

// Group returns routes under prefix+p with the extra middleware m.
func (r routes) Group(p string, m ...echo.MiddlewareFunc) routes {
	return routes{e: r.e, prefix: r.prefix + p, mw: append(slices.Clone(r.mw), m...)}
}

func (r routes) add(method, p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.e.Add(method, r.prefix+p, h, append(slices.Clone(r.mw), m...)...)
}

// GET registers p for GET and for HEAD (RFC 9110 §9.3.2: the same answer
// without the body, which net/http discards). The OpenAPI document lists
// GET only; HEAD is implied wherever GET is (apitest checks it that way).
func (r routes) GET(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	r.add(http.MethodHead, p, h, m...)
	return r.add(http.MethodGet, p, h, m...)
}

func (r routes) POST(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodPost, p, h, m...)
}

func (r routes) PUT(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodPut, p, h, m...)
}

func (r routes) PATCH(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodPatch, p, h, m...)
}

func (r routes) DELETE(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodDelete, p, h, m...)
}

// Server wraps the echo instance in an http.Server with the configured timeouts.
func Server(e *echo.Echo, cfg config.HTTP) *http.Server {
	return &http.Server{
		Addr:              cfg.Addr,
		Handler:           e,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		// request line and headers: a bearer token and the usual headers
		// take a few KiB; net/http's default would accept 1 MiB
		MaxHeaderBytes: 64 << 10,
	}
}
