package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/fieldops/fieldops/api"
	"github.com/fieldops/fieldops/internal/demo"
)

func cmdServe(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	migrate := fs.Bool("migrate", false, "apply pending migrations first (also when database.migrate_on_start)")
	seed := fs.Bool("seed", false, "create the demo data first (idempotent)")
	noWorkers := fs.Bool("no-workers", false, "serve the API only; run the background workers elsewhere (fieldops worker)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	if err := cfg.RequireSecret(); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	log.Info("starting", "config", cfg)
	if cfg.GeneratedSecret {
		log.Warn("dev mode: using a generated JWT secret; tokens stop working when the process ends")
	}
	a, err := wire(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	if *migrate || cfg.Database.MigrateOnStart {
		if err := migrateUp(cfg.Database.URL); err != nil {
			return err
		}
	}
	if e, pw := cfg.Bootstrap.ManagerEmail, cfg.Bootstrap.ManagerPassword; e != "" && pw != "" {
		created, err := a.identity.EnsureManager(ctx, cfg.Bootstrap.ManagerName, e, pw)
		if err != nil {
			return fmt.Errorf("bootstrap manager: %w", err)
		}
		if created {
			log.Info("created the bootstrap manager", "email", e)
		}
	}
	if *seed && !cfg.Dev {
		return fmt.Errorf("--seed creates demo accounts with a published password; it needs FIELDOPS_DEV=true")
	}
	if *seed {
		if err := seedDemo(ctx, a); err != nil {
			return err
		}
	}
	if cfg.Jobs.Workers && !*noWorkers {
		stop, err := startWorkers(ctx, a)
		if err != nil {
			return err
		}
		defer stop() // after the HTTP server has drained
	}
	go housekeeping(ctx, a)
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return err
	}
	// Prometheus metrics on a listener of their own (loopback by default),
	// never on the public API port
	var mln net.Listener
	if cfg.HTTP.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", cfg.HTTP.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("metrics listener: %w", err)
		}
	}
	base := "http://" + displayAddr(ln.Addr())
	fmt.Fprintf(stdout, "FieldOps API  %s/v1\nSwagger UI    %s/docs\nOpenAPI 3     %s/openapi.json\n", base, base, base)
	if mln != nil {
		fmt.Fprintf(stdout, "Metrics       http://%s/metrics\n", displayAddr(mln.Addr()))
	}
	if *seed {
		fmt.Fprintf(stdout, "Demo logins (password %q): ", demo.Password)
		for i, acc := range demo.Accounts {
			if i > 0 {
				fmt.Fprint(stdout, ", ")
			}
			fmt.Fprintf(stdout, "%s (%s)", acc.Email, acc.Role)
		}
		fmt.Fprintln(stdout)
	}
	d := a.deps()
	d.Metrics = api.NewMetricsRegistry()
	d.Notify = startNotify(ctx, a)
	srv := api.Server(api.NewServer(d), cfg.HTTP)
	srv.RegisterOnShutdown(d.Notify.Close) // streams end, so Shutdown does not wait for them
	if mln == nil {
		return serveHTTP(ctx, srv, ln, cfg.HTTP.ShutdownTimeout, log)
	}
	return serveAll(ctx, cfg.HTTP.ShutdownTimeout, log,
		listening{srv, ln}, listening{api.MetricsServer(d.Metrics, cfg.HTTP), mln})
}

// listening is a server with the listener it serves.
type listening struct {
	srv *http.Server
	ln  net.Listener
}

// serveAll runs serveHTTP for every server until ctx ends; when one stops
// (an error), the others shut down gracefully too. It returns their errors.
func serveAll(ctx context.Context, grace time.Duration, log *slog.Logger, servers ...listening) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(servers))
	for _, s := range servers {
		go func() {
			err := serveHTTP(ctx, s.srv, s.ln, grace, log)
			cancel()
			errc <- err
		}()
	}
	var all []error
	for range servers {
		if err := <-errc; err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}

// seedDemo creates the demo people, catalogue and orders (idempotent).
func seedDemo(ctx context.Context, a *app) error {
	now := a.clock.Now()
	if err := demo.Seed(ctx, a.identity, a.catalog, now); err != nil {
		return err
	}
	return demo.SeedOrders(ctx, a.identity, a.catalog, a.orders, now)
}

// UploadMaxAge is how long an unfinished resumable upload may sit untouched.
const UploadMaxAge = 24 * time.Hour

// housekeeping runs hourly: it deletes expired Idempotency-Key records (every
// replica may; the DELETE is idempotent, and Claim ignores expired records
// anyway: this only bounds the table), login and sign-up throttle rows that
// decide nothing any more (identity.PurgeThrottles), and this replica's
// resumable uploads untouched for UploadMaxAge.
func housekeeping(ctx context.Context, a *app) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.idem.Purge(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("purging idempotency keys", "error", err)
		} else if n > 0 {
			a.log.Info("purged expired idempotency keys", "count", n)
		}
		if n, err := a.identity.PurgeThrottles(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("purging login throttles", "error", err)
		} else if n > 0 {
			a.log.Info("purged spent login throttles", "count", n)
		}
		if n, err := api.PurgeUploads(a.cfg.Storage.UploadDir, UploadMaxAge, a.clock.Now()); err != nil {
			a.log.Warn("purging abandoned uploads", "error", err)
		} else if n > 0 {
			a.log.Info("purged abandoned uploads", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// serveHTTP serves until ctx ends, then stops accepting connections and waits
// up to grace for in-flight requests to finish.
func serveHTTP(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "grace", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil || host == "::" || host == "0.0.0.0" || host == "" {
		return "localhost:" + port
	}
	return net.JoinHostPort(host, port)
}
