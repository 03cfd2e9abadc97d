package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/demo"
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

// postJSON sends a POST (body nil: none) checked against the document and
// returns the status and the decoded body.
func (s *server) postJSON(t *testing.T, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	req, err := http.NewRequest(http.MethodPost, s.base+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	apitest.Verify(t, req, raw, resp, b)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// The dev clock and job runner as `fieldops serve` wires them in dev mode:
// the offset clock moves forward (never back) and the periodic jobs run at it.
func TestServeDevModeClockAndJobs(t *testing.T) {
	_, dbURL := dbtest.New(t)
	s := startServe(t, append([]string{"DATABASE_URL=" + dbURL, "FIELDOPS_DEV=true"}, cheapArgon2...), "serve", "--seed", "--no-workers")
	status, body := s.login(t, "manager@fieldops.test", demo.Password)
	if status != http.StatusOK {
		t.Fatalf("login = %d %v", status, body)
	}
	mgr := body["access_token"].(string)
	later := time.Now().UTC().Add(90 * 24 * time.Hour).Truncate(time.Second)
	if code, out := s.postJSON(t, "/v1/dev/clock", mgr, map[string]any{"now": later}); code != http.StatusOK {
		t.Fatalf("POST /v1/dev/clock = %d %v", code, out)
	}
	// the access token was issued before the jump: it expired on the server's clock
	if code, _ := s.postJSON(t, "/v1/dev/jobs/run", mgr, nil); code != http.StatusUnauthorized {
		t.Errorf("an access token from before the jump = %d, want 401 (the server's time moved)", code)
	}
	_, body = s.login(t, "manager@fieldops.test", demo.Password)
	mgr = body["access_token"].(string)
	if code, out := s.postJSON(t, "/v1/dev/clock", mgr, map[string]any{"now": later.Add(-time.Hour)}); code != http.StatusConflict {
		t.Errorf("moving the clock back = %d %v, want 409", code, out)
	}
	code, out := s.postJSON(t, "/v1/dev/jobs/run", mgr, nil)
	if code != http.StatusOK {
		t.Fatalf("POST /v1/dev/jobs/run = %d %v", code, out)
	}
	at, _ := time.Parse(time.RFC3339Nano, out["now"].(string))
	if at.Before(later) {
		t.Errorf("jobs ran at %v, want the dev clock's time (after %v)", at, later)
	}
	names := map[string]bool{}
	for _, j := range out["jobs"].([]any) {
		names[j.(map[string]any)["name"].(string)] = true
	}
	if !names["sla.breaches"] || !names["orders.follow_ups_due"] {
		t.Errorf("jobs run = %v, want the SLA sweep and the follow-up reminders", out["jobs"])
	}
	s.stop(t)
}
