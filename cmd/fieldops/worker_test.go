package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
)

func TestWorkerRunsThePeriodicJobsUntilStopped(t *testing.T) {
	gdb, dbURL := dbtest.New(t)
	env := append([]string{"DATABASE_URL=" + dbURL, "FIELDOPS_JOBS_POLL_INTERVAL=50ms", "FIELDOPS_METRICS_ADDR="}, cheapArgon2...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"worker"}, env, stdout, stderr) }()
	completed := func(name string) int64 {
		var n int64
		gdb.Raw(`SELECT count(*) FROM river_job WHERE kind = 'fieldops.periodic' AND args->>'name' = ? AND state = 'completed'`, name).Scan(&n)
		return n
	}
	// the periodic jobs run once when the workers start, then every minute
	waitUntil(t, 60*time.Second, "the first runs of the periodic jobs", func() bool {
		select {
		case err := <-done:
			t.Fatalf("worker returned before working: %v\nstderr:\n%s", err, stderr)
		default:
		}
		return completed("sla.breaches") >= 1 && completed("orders.follow_ups_due") >= 1
	})
	if out := stdout.String(); !strings.Contains(out, "FieldOps workers running") || strings.Contains(out, "/v1") {
		t.Errorf("stdout = %q, want the workers line and no API", out)
	}
	cancel()
	if err := receive(t, done, 30*time.Second, "the worker to stop"); err != nil {
		t.Errorf("worker returned %v after cancel, want nil\nstderr:\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), "workers stopped") {
		t.Errorf("stderr lacks the graceful stop:\n%s", stderr)
	}
}
