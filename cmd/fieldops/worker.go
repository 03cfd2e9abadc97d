package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/fieldops/fieldops/api"
	"github.com/fieldops/fieldops/internal/platform/jobs"
)

// startWorkers starts a River client that works a.jobs; stop waits for the
// running jobs up to the shutdown grace, then cancels them.
func startWorkers(ctx context.Context, a *app) (stop func(), err error) {
	c, err := jobs.New(a.db, a.jobs, jobs.Options{MaxWorkers: a.cfg.Jobs.MaxWorkers,
		PollInterval: a.cfg.Jobs.PollInterval, Logger: a.log})
	if err != nil {
		return nil, err
	}
	if err := c.Start(ctx); err != nil {
		return nil, fmt.Errorf("jobs: start: %w", err)
	}
	a.log.Info("workers started", "max_workers", a.cfg.Jobs.MaxWorkers, "periodic_jobs", len(a.jobs.Periodic()))
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), a.cfg.HTTP.ShutdownTimeout)
		defer cancel()
		if err := c.Stop(sctx); err != nil {
			a.log.Warn("stopping workers", "error", err)
		}
		a.log.Info("workers stopped")
	}, nil
}

// cmdWorker runs only the background workers (no HTTP API), so operators can
// scale API and workers apart (`fieldops serve --no-workers` for the API).
// Metrics are served when FIELDOPS_METRICS_ADDR is set.
func cmdWorker(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	migrate := fs.Bool("migrate", false, "apply pending migrations first (also when database.migrate_on_start)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	log.Info("starting workers", "config", cfg)
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
	stop, err := startWorkers(ctx, a)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(stdout, "FieldOps workers running (%d periodic jobs)\n", len(a.jobs.Periodic()))
	if cfg.HTTP.MetricsAddr == "" {
		<-ctx.Done()
		return nil
	}
	mln, err := net.Listen("tcp", cfg.HTTP.MetricsAddr)
	if err != nil {
		return fmt.Errorf("metrics listener: %w", err)
	}
	fmt.Fprintf(stdout, "Metrics       http://%s/metrics\n", displayAddr(mln.Addr()))
	return serveHTTP(ctx, api.MetricsServer(api.NewMetricsRegistry(), cfg.HTTP), mln, cfg.HTTP.ShutdownTimeout, log)
}
