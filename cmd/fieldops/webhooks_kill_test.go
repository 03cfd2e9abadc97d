package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fieldops/fieldops/internal/demo"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/webhooks"
)

// killedProcess is `fieldops serve` as a child process, so the test can
// SIGKILL it (no graceful shutdown, no deferred code: as a crash).
type killedProcess struct {
	cmd  *exec.Cmd
	base string
	out  *syncBuffer
}

func startProcess(t *testing.T, bin string, environ []string, args ...string) *killedProcess {
	t.Helper()
	addr := freeAddr(t)
	p := &killedProcess{base: "http://" + addr, out: &syncBuffer{}}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(environ, "FIELDOPS_HTTP_ADDR="+addr, "FIELDOPS_METRICS_ADDR=")
	p.cmd.Stdout, p.cmd.Stderr = io.Discard, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill() })
	client := &http.Client{Timeout: 2 * time.Second}
	waitUntil(t, 90*time.Second, "the child's /healthz", func() bool {
		resp, err := client.Get(p.base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

func (p *killedProcess) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

func (p *killedProcess) call(t *testing.T, method, path, token string, body any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, p.base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	return m
}

func (p *killedProcess) token(t *testing.T, email string) string {
	return p.call(t, http.MethodPost, "/v1/auth/login", "", map[string]string{"login": email, "password": demo.Password})["access_token"].(string)
}

// TestWebhooksSurviveSIGKILL: events committed while the receiver fails are
// delivered after the process is killed (SIGKILL, between commit and a
// successful delivery, one attempt in flight) and started again: at least
// once, each with its event id, the signature verifying. The attempt that
// was in flight is retried once its lease (15 s) runs out.
func TestWebhooksSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	gdb, dbURL := dbtest.New(t)
	bin := buildBinary(t)

	var failing atomic.Bool
	failing.Store(true)
	var mu sync.Mutex
	attempts := 0
	delivered := map[string][]byte{} // event id → body of a 2xx delivery
	signatures := map[string]string{}
	release := make(chan struct{}) // the first attempt hangs until the process is dead
	var inFlight atomic.Bool
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		attempts++
		if attempts == 1 {
			inFlight.Store(true)
			mu.Unlock()
			<-release
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		defer mu.Unlock()
		if failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		id := r.Header.Get("X-FieldOps-Event-Id")
		delivered[id], signatures[id] = body, r.Header.Get("X-FieldOps-Signature")
	}))
	defer recv.Close()

	environ := append([]string{"DATABASE_URL=" + dbURL, "FIELDOPS_DEV=true", "FIELDOPS_JWT_SECRET=" + string(bytes.Repeat([]byte("k"), 40)),
		"FIELDOPS_WEBHOOK_RETRY_BASE=1s", "FIELDOPS_JOBS_POLL_INTERVAL=100ms", "PATH=" + os.Getenv("PATH")}, cheapArgon2...)
	p := startProcess(t, bin, environ, "serve", "--seed")
	manager := p.token(t, "manager@fieldops.test")
	hook := p.call(t, http.MethodPost, "/v1/webhooks", manager, map[string]any{"url": recv.URL + "/hook"})
	secret := hook["secret"].(string)
	alice, disp := p.token(t, "alice@example.com"), p.token(t, "dispatcher@fieldops.test")
	for i := range 3 {
		o := p.call(t, http.MethodPost, "/v1/orders", alice, map[string]any{"type": "repair", "description": "drips " + string(rune('A'+i)),
			"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"}})
		p.call(t, http.MethodPost, "/v1/orders/"+o["id"].(string)+"/triage", disp, map[string]any{})
	}
	// the demo seed wrote events before the webhook existed: not its
	after := gdb.Table("outbox_events").Where("seq > (SELECT start_seq FROM webhooks)")
	var events int64
	after.Count(&events)
	if events != 6 {
		t.Fatalf("%d outbox events, want 6 (3 created, 3 status changes)", events)
	}
	// the workers are trying: one attempt hangs, the receiver fails the others
	waitUntil(t, 60*time.Second, "an attempt in flight and a failed one", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return inFlight.Load() && attempts > 1
	})
	p.kill()
	close(release)
	if got := len(delivered); got != 0 {
		t.Fatalf("%d delivered before the kill", got)
	}

	failing.Store(false)
	p2 := startProcess(t, bin, environ, "serve")
	defer func() {
		if t.Failed() {
			var msgs []map[string]any
			gdb.Raw("SELECT status, attempts, next_attempt_at, now() AS now FROM webhook_messages ORDER BY seq").Scan(&msgs)
			var jobs []map[string]any
			gdb.Raw("SELECT kind, state, args::text, attempt, errors::text FROM river_job ORDER BY id DESC LIMIT 10").Scan(&jobs)
			t.Logf("messages %v\njobs %v\nlog:\n%s", msgs, jobs, p2.out.String())
		}
	}()
	waitUntil(t, 120*time.Second, "every event delivered after the restart", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return int64(len(delivered)) == events
	})
	var ids []string
	gdb.Table("outbox_events").Where("seq > (SELECT start_seq FROM webhooks)").Pluck("id::text", &ids)
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		body, ok := delivered[id]
		if !ok {
			t.Errorf("event %s not delivered", id)
			continue
		}
		if err := webhooks.Verify(secret, signatures[id], body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("event %s: signature: %v", id, err)
		}
		var env struct{ ID string }
		if json.Unmarshal(body, &env) != nil || env.ID != id {
			t.Errorf("event %s: body %s", id, body)
		}
	}
	t.Logf("%d events delivered after %d attempts across a SIGKILL", len(delivered), attempts)
}
