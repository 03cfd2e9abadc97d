package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/fieldops/fieldops/api"
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
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/idempotency"
	"github.com/fieldops/fieldops/internal/platform/imaging"
	"github.com/fieldops/fieldops/internal/platform/jobs"
	"github.com/fieldops/fieldops/internal/platform/password"
	"github.com/fieldops/fieldops/internal/reports"
	"github.com/fieldops/fieldops/internal/webhooks"
)

// IdempotencyTTL is how long Idempotency-Key records are kept (SPEC §6: 24 h).
const IdempotencyTTL = 24 * time.Hour

// app is the wired service: configuration, pool, services.
type app struct {
	cfg      config.Config
	log      *slog.Logger
	db       *gorm.DB
	tokens   *auth.Issuer
	identity *identity.Service
	catalog  *catalog.Service
	orders   *orders.Service
	parts    *parts.Service
	clients  *clients.Service
	blobs    blob.Store
	idem     *idempotency.Store
	clock    clock.Clock
	webhooks *webhooks.Service
	// jobs holds every domain's workers and periodic jobs (serve, worker).
	jobs *jobs.Registry
	// devClock is clock in dev mode (nil otherwise), moved by POST /v1/dev/clock.
	devClock clock.Settable
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	level, _ := config.ParseLevel(cfg.Log.Level)
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// wire opens the database and builds the services. It waits up to a minute
// for the database, so that replicas may start before PostgreSQL does.
func wire(ctx context.Context, cfg config.Config, log *slog.Logger) (*app, error) {
	db, err := database.Open(cfg.Database.URL, database.Options{MaxOpenConns: cfg.Database.MaxOpenConns,
		MaxIdleConns: cfg.Database.MaxIdleConns, ConnMaxLifetime: cfg.Database.ConnMaxLifetime, Logger: log})
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := database.WaitReady(wctx, db); err != nil {
		database.Close(db)
		return nil, err
	}
	var clk clock.Clock = clock.System{}
	var devClock clock.Settable
	if cfg.Dev { // dev mode: real time plus a forward-only offset (POST /v1/dev/clock), per process
		devClock = clock.NewOffset(clock.System{})
		clk = devClock
	}
	// The token issuer is only used by the server; other commands get one with
	// whatever secret is configured and never sign with it.
	tokens := auth.NewIssuer(cfg.Auth.JWTSecret, cfg.Auth.Issuer, cfg.Auth.Audience, cfg.Auth.AccessTTL, clk.Now)
	// at most hash_concurrency hashes (19 MiB each) at once: sign-up and login are public
	hasher := password.NewHasher(password.Params{MemoryKiB: cfg.Auth.Argon2MemoryKiB, Time: cfg.Auth.Argon2Time}).
		Limit(cfg.Auth.HashConcurrency, cfg.Auth.HashWait)
	people := identity.New(db, hasher, tokens, clk, identity.SessionSettings(cfg.Auth))
	cat := catalog.New(db, people, clk)
	blobs, err := openBlobs(wctx, cfg.Storage)
	if err != nil {
		database.Close(db)
		return nil, err
	}
	media := orders.Media{Blobs: blobs, MaxBytes: cfg.Storage.PhotoMaxBytes(),
		Images: imaging.NewInspector(cfg.Storage.DecodeMemoryBytes(), cfg.Storage.MaxPixels)}
	reg := jobs.NewRegistry()
	// webhooks: relay the outbox and deliver (River periodic jobs)
	hooks := webhooks.New(db, clk, webhooks.Guard{AllowPrivate: cfg.Webhooks.AllowPrivate}, cfg.Webhooks.RetryBase)
	hooks.Register(reg)
	// complaint escalation and closing (internal/complaints)
	complaints.New(db, people, clk).RegisterJobs(reg)
	ord := orders.New(db, cat, people, clk, media, orders.WithAppointmentRules(appointmentRules(cfg.Appointments)),
		orders.WithCheckInMaxDistance(cfg.CheckIn.MaxDistanceM))
	ord.RegisterJobs(reg) // SLA breach sweep, follow-up reminders
	// parts used are the order's workflow calling the inventory (orders.Stock);
	// a return from an order calls the orders back (parts.Orders)
	inventory := parts.New(db, people, ord, clk)
	ord.SetStock(inventory)
	return &app{cfg: cfg, log: log, db: db, tokens: tokens, identity: people, catalog: cat, blobs: blobs, jobs: reg,
		clients: clients.New(db, clk, cfg.Auth.PrincipalCacheTTL),
		orders:  ord, parts: inventory, clock: clk, devClock: devClock, webhooks: hooks,
		idem: idempotency.NewStore(db, IdempotencyTTL, cfg.HTTP.RequestTimeout+5*time.Second, clk.Now)}, nil
}

func (a *app) close() { database.Close(a.db) }

// appointmentRules are the configured appointment limits.
func appointmentRules(c config.Appointments) orders.AppointmentRules {
	return orders.AppointmentRules{CustomerMaxMoves: c.CustomerMaxMoves, CustomerMoveCutoff: c.CustomerMoveCutoff,
		EarlyDeparture: c.EarlyDeparture}
}

// openBlobs opens the configured blob store; an S3 bucket is created when missing.
func openBlobs(ctx context.Context, cfg config.Storage) (blob.Store, error) {
	st, err := blob.New(cfg)
	if err != nil {
		return nil, err
	}
	if s3, ok := st.(*blob.S3); ok {
		if err := s3.EnsureBucket(ctx); err != nil {
			return nil, fmt.Errorf("blob store: %w", err)
		}
	}
	return st, nil
}

func (a *app) deps() api.Deps {
	return api.Deps{Config: a.cfg, Log: a.log, DB: a.db, Tokens: a.tokens, Identity: a.identity, Catalog: a.catalog, Clients: a.clients,
		Orders: a.orders, Parts: a.parts, Blobs: a.blobs, Idempotency: a.idem, Reports: reports.New(a.db, a.identity, a.clock).WithConnections(a.cfg.Reports.Connections),
		Jobs: a.jobs, DevClock: a.devClock, Webhooks: a.webhooks}
}

// migrateUp applies pending migrations.
func migrateUp(url string) error {
	m, err := database.NewMigrator(url)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Up()
}

func loadConfig(environ []string) (config.Config, error) {
	cfg, err := config.Load(environ)
	if err != nil {
		return cfg, err
	}
	if cfg.Database.URL == "" {
		return cfg, fmt.Errorf("DATABASE_URL is not set (make run / make test provision a local PostgreSQL)")
	}
	return cfg, nil
}
