// Package apitest runs the real FieldOps HTTP stack (router, middleware,
// services) on httptest against a fresh PostgreSQL database, for API tests.
//
// # The contract check
//
// Every exchange that goes through Env.Do is checked against the committed
// OpenAPI document (openapi.JSON, loaded once per process); tests that build
// their own requests call Verify or CheckExchange. The document is made
// strict in memory, never in the file: every object schema that declares
// properties gets additionalProperties: false (free-form maps stay open),
// undeclared statuses fail, and formats (uuid, email, date, date-time) are
// checked. The rules:
//
//   - Response: its status must be documented for the operation, its
//     Content-Type and body must match that response's schema, a body may not
//     come where none is documented, and the headers clients read
//     (ContractHeaders: ETag, Location, Retry-After, Idempotent-Replayed,
//     X-Request-Id) must be declared on that response when they are sent.
//   - Request: validated too (security, parameters, body). A request the
//     document forbids is allowed only as deliberate bad input, and then the
//     server must refuse it with a 4xx that the document declares for the
//     operation. If the server answers a forbidden request with 2xx (or 3xx,
//     or 5xx), the check fails: the document is stricter than the server, and
//     one of them is wrong.
//   - HEAD is implied wherever the document has GET (RFC 9110; the router
//     registers both): it is checked as that GET, and its answer has no body.
//   - A path or method the document does not have may only be answered 404
//     or 405, as application/problem+json with a valid Problem body.
//
// A failure is reported with t.Errorf naming the method, path, status, the
// validator's error and the (truncated) body; the test goes on.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/api"
	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/clients"
	"github.com/fieldops/fieldops/internal/complaints"
	"github.com/fieldops/fieldops/internal/demo"
	"github.com/fieldops/fieldops/internal/identity"
	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/parts"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/blob"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/config"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/idempotency"
	"github.com/fieldops/fieldops/internal/platform/imaging"
	"github.com/fieldops/fieldops/internal/platform/jobs"
	"github.com/fieldops/fieldops/internal/platform/notify"
	"github.com/fieldops/fieldops/internal/platform/password"
	"github.com/fieldops/fieldops/internal/reports"
	"github.com/fieldops/fieldops/internal/webhooks"
)

// Secret is the JWT key test servers sign with.
const Secret = "test-secret-0123456789abcdef0123456789abcdef"

// Env is one running test server with its database and services.
type Env struct {
	// Webhooks is the server's webhook service (relay, delivery); tests
	// call RelayAll and DeliverDue instead of waiting for the River jobs.
	Webhooks *webhooks.Service
	T        testing.TB
	URL      string
	DB       *gorm.DB
	DBURL    string
	Clock    *clock.Fixed
	Config   config.Config
	Tokens   *auth.Issuer
	Identity *identity.Service
	// Hasher hashes passwords; tests fill its slots (Reserve) to see 503s.
	Hasher  *password.Hasher
	Catalog *catalog.Service
	Orders  *orders.Service
	Parts   *parts.Service
	// Clients are the API clients (OAuth2 client credentials).
	Clients *clients.Service
	Server  *httptest.Server
	// Blobs is the blob store (a local directory, BlobDir, unless an option
	// configured another); tests check what was stored in it.
	Blobs   blob.Store
	BlobDir string
	// UploadDir keeps unfinished resumable (tus) uploads; tests check that
	// finished and refused ones leave nothing there.
	UploadDir string
	// Notify is the server's live-notification hub (listening on the
	// database through a connection of its own, as in production).
	Notify *notify.Hub
	// Metrics is the server's metrics registry (api.MetricsHandler serves
	// it; the API port does not).
	Metrics *prometheus.Registry
	// Jobs holds the domains' workers and periodic jobs; Workers is the
	// in-process River client working them (nil unless the Workers option).
	Jobs    *jobs.Registry
	Workers *jobs.Client
	// DevClock is Clock as the server's dev-mode clock (POST /v1/dev/clock, with DevMode).
	DevClock clock.Settable
}

// Option changes the configuration before the server starts.
type Option func(*config.Config)

// OWASPHashing hashes passwords with the configured (production) argon2id
// cost, 19 MiB and t=2, instead of the cheap one tests use, for tests of
// what hashing costs (memory under parallel sign-ups and logins).
func OWASPHashing(cfg *config.Config) {
	def, err := config.Load([]string{"DATABASE_URL=x"})
	if err != nil {
		panic(err)
	}
	cfg.Auth.Argon2MemoryKiB, cfg.Auth.Argon2Time = def.Auth.Argon2MemoryKiB, def.Auth.Argon2Time
}

// Workers runs the background workers in-process (a River client polling
// every 50 ms), stopped when the test ends. Without it no job runs unless a
// test runs it (Env.Jobs.RunPeriodic, or its own jobs.New client).
func Workers(cfg *config.Config) { cfg.Jobs.Workers, cfg.Jobs.PollInterval = true, 50*time.Millisecond }

// RateLimited limits each user and API client to burst requests, refilled at
// rps a second (wall clock), claimed batch at a time by each server.
func RateLimited(rps float64, burst, batch int) Option {
	return func(cfg *config.Config) { cfg.RateLimit = config.RateLimit{RPS: rps, Burst: burst, Batch: batch} }
}

// DevMode runs the server in dev mode (FIELDOPS_DEV): the routes under
// /v1/dev exist and move Env.Clock.
func DevMode(cfg *config.Config) { cfg.Dev = true }

// New starts a server on a fresh database seeded with the demo data
// (demo.Accounts, password demo.Password). The clock is fixed at 2026-06-01 10:00 UTC.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	db, dbURL := dbtest.New(t)
	return NewOn(t, db, dbURL, opts...)
}

// NewOn is New on a given database (e.g. one reached through a proxy).
func NewOn(t testing.TB, db *gorm.DB, dbURL string, opts ...Option) *Env {
	t.Helper()
	blobDir, uploadDir := t.TempDir(), t.TempDir()
	cfg, err := config.Load([]string{"FIELDOPS_JWT_SECRET=" + Secret, "DATABASE_URL=" + dbURL, "FIELDOPS_STORAGE_DIR=" + blobDir,
		"FIELDOPS_UPLOAD_DIR=" + uploadDir})
	if err != nil {
		t.Fatalf("apitest: config: %v", err)
	}
	cfg.RateLimit.RPS = 0                                 // no rate limit: tests send bursts (RateLimited turns it on)
	cfg.Auth.Argon2MemoryKiB, cfg.Auth.Argon2Time = 64, 1 // cheap: tests hash a lot (OWASPHashing restores the cost)
	cfg.Jobs.Workers = false                              // the Workers option turns them on
	for _, o := range opts {
		o(&cfg)
	}
	clk := clock.NewFixed(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC))
	tokens := auth.NewIssuer(cfg.Auth.JWTSecret, cfg.Auth.Issuer, cfg.Auth.Audience, cfg.Auth.AccessTTL, clk.Now)
	hasher := password.NewHasher(password.Params{MemoryKiB: cfg.Auth.Argon2MemoryKiB, Time: cfg.Auth.Argon2Time}).
		Limit(cfg.Auth.HashConcurrency, cfg.Auth.HashWait)
	people := identity.New(db, hasher, tokens, clk, identity.SessionSettings(cfg.Auth))
	cat := catalog.New(db, people, clk)
	if err := demo.Seed(context.Background(), people, cat, clk.Now()); err != nil {
		t.Fatalf("apitest: seed: %v", err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	blobs, err := blob.New(cfg.Storage)
	if err != nil {
		t.Fatalf("apitest: blob store: %v", err)
	}
	if s3, ok := blobs.(*blob.S3); ok {
		if err := s3.EnsureBucket(context.Background()); err != nil {
			t.Fatalf("apitest: bucket: %v", err)
		}
	}
	ord := orders.New(db, cat, people, clk, orders.Media{Blobs: blobs, MaxBytes: cfg.Storage.PhotoMaxBytes(),
		Images: imaging.NewInspector(cfg.Storage.DecodeMemoryBytes(), cfg.Storage.MaxPixels)},
		orders.WithAppointmentRules(orders.AppointmentRules{CustomerMaxMoves: cfg.Appointments.CustomerMaxMoves,
			CustomerMoveCutoff: cfg.Appointments.CustomerMoveCutoff, EarlyDeparture: cfg.Appointments.EarlyDeparture}),
		orders.WithCheckInMaxDistance(cfg.CheckIn.MaxDistanceM))
	inventory := parts.New(db, people, ord, clk)
	ord.SetStock(inventory)
	idem := idempotency.NewStore(db, 24*time.Hour, cfg.HTTP.RequestTimeout+5*time.Second, clk.Now)
	metrics := api.NewMetricsRegistry()
	reg := jobs.NewRegistry() // every domain's periodic jobs and workers, as cmd/fieldops wires them
	// complaint escalation and closing (internal/complaints)
	complaints.New(db, people, clk).RegisterJobs(reg)
	ord.RegisterJobs(reg)
	// webhooks: relay and delivery (what the River jobs run; tests may call them directly)
	hooks := webhooks.New(db, clk, webhooks.Guard{AllowPrivate: cfg.Webhooks.AllowPrivate}, cfg.Webhooks.RetryBase)
	hooks.Register(reg)
	hub := notify.New(dbURL, notify.Limits{PerUser: cfg.Stream.MaxPerUser, Total: cfg.Stream.MaxTotal}, log)
	apiClients := clients.New(db, clk, cfg.Auth.PrincipalCacheTTL)
	e := api.NewServer(api.Deps{Config: cfg, Log: log, DB: db, Tokens: tokens, Identity: people, Catalog: cat, Clients: apiClients,
		Orders: ord, Parts: inventory, Blobs: blobs, Idempotency: idem, Metrics: metrics, Reports: reports.New(db, people, clk), Notify: hub,
		Jobs: reg, DevClock: clk, Webhooks: hooks})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	// registered after srv.Close, so it runs first: closing the hub ends open
	// streams, which srv.Close would otherwise wait for
	hubCtx, stopHub := context.WithCancel(context.Background())
	hubDone := make(chan struct{})
	go func() { defer close(hubDone); hub.Run(hubCtx) }()
	t.Cleanup(func() { hub.Close(); stopHub(); <-hubDone })
	var workers *jobs.Client
	if cfg.Jobs.Workers {
		if workers, err = jobs.New(db, reg, jobs.Options{MaxWorkers: cfg.Jobs.MaxWorkers, PollInterval: cfg.Jobs.PollInterval, Logger: log}); err != nil {
			t.Fatalf("apitest: workers: %v", err)
		}
		if err := workers.Start(context.Background()); err != nil {
			t.Fatalf("apitest: workers: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = workers.Stop(ctx)
		})
	}
	return &Env{Jobs: reg, Workers: workers, DevClock: clk, T: t, URL: srv.URL, DB: db, DBURL: dbURL, Clock: clk, Config: cfg, Tokens: tokens,
		Identity: people, Hasher: hasher, Catalog: cat, Orders: ord, Parts: inventory, Clients: apiClients, Server: srv, Blobs: blobs, BlobDir: cfg.Storage.Dir,
		UploadDir: cfg.Storage.UploadDir, Metrics: metrics, Notify: hub, Webhooks: hooks}
}

// Response is a decoded response.
type Response struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   map[string]any
}

// Items returns the items of a list response, failing t unless items is a
// JSON array of objects (never null).
func (r Response) Items(t testing.TB) []map[string]any {
	t.Helper()
	raw, ok := r.JSON["items"].([]any)
	if !ok {
		t.Fatalf("items is not a JSON array: %s", r.Raw)
	}
	out := make([]map[string]any, 0, len(raw))
	for _, it := range raw {
		m, ok := it.(map[string]any)
		if !ok {
			t.Fatalf("item is not an object: %s", r.Raw)
		}
		out = append(out, m)
	}
	return out
}

// Do sends a request; body may be nil, a string (sent as is) or a value (JSON-encoded).
func (e *Env) Do(method, path, token string, body any, headers ...string) Response {
	e.T.Helper()
	var sent []byte
	switch b := body.(type) {
	case nil:
	case string:
		sent = []byte(b)
	case []byte:
		sent = b
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.T.Fatalf("apitest: encode: %v", err)
		}
		sent = buf
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(sent)
	}
	req, err := http.NewRequest(method, e.URL+path, r)
	if err != nil {
		e.T.Fatalf("apitest: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return e.send(req, sent)
}

// send runs req (whose body is sent), checks the exchange against the
// document and decodes the response.
func (e *Env) send(req *http.Request, sent []byte) Response {
	e.T.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatalf("apitest: %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	raw, _ := readBody(res) // a stream: only its first event
	Verify(e.T, req, sent, res, raw)
	out := Response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	_ = json.Unmarshal(raw, &out.JSON)
	return out
}

// Login logs in and returns the token response; it fails the test unless 200.
func (e *Env) Login(login, pw string) Response {
	e.T.Helper()
	r := e.Do(http.MethodPost, "/v1/auth/login", "", map[string]string{"login": login, "password": pw})
	if r.Status != http.StatusOK {
		e.T.Fatalf("login %s: status %d: %s", login, r.Status, r.Raw)
	}
	return r
}

// Token returns an access token for a demo account.
func (e *Env) Token(email string) string {
	e.T.Helper()
	return e.Login(email, demo.Password).JSON["access_token"].(string)
}

// UserID returns a user's id by e-mail.
func (e *Env) UserID(email string) string {
	e.T.Helper()
	u, err := e.Identity.UserByEmail(context.Background(), email)
	if err != nil {
		e.T.Fatalf("apitest: user %s: %v", email, err)
	}
	return u.ID.String()
}

// Count returns the number of rows in table (for "no partial data" checks).
func (e *Env) Count(table string) int64 {
	e.T.Helper()
	var n int64
	if err := e.DB.Table(table).Count(&n).Error; err != nil {
		e.T.Fatalf("apitest: count %s: %v", table, err)
	}
	return n
}

// Ping reports whether the env's database answers.
func (e *Env) Ping() error { return database.Ping(context.Background(), e.DB) }
