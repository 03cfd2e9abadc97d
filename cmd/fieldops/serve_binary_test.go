package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
)

// buildBinary builds this command into a temporary directory and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fieldops")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Two `fieldops serve` processes of the built binary on one database (issue
// 12): a notification created by a request on one reaches an SSE client
// connected to the other; SIGTERM ends the process promptly and cleanly
// although that stream is open.
func TestTwoServeProcessesShareNotifications(t *testing.T) {
	_, dbURL := dbtest.New(t)
	bin := buildBinary(t)
	env := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "DATABASE_URL=" + dbURL, "FIELDOPS_DEV=true",
		"FIELDOPS_JWT_SECRET=" + apitest.Secret, "FIELDOPS_STREAM_HEARTBEAT=100ms",
		"FIELDOPS_STORAGE_DIR=" + t.TempDir(), "FIELDOPS_UPLOAD_DIR=" + t.TempDir()}, cheapArgon2...)
	start := func(args ...string) (*server, <-chan error, *exec.Cmd) {
		t.Helper()
		addr := freeAddr(t)
		s := &server{base: "http://" + addr, stdout: &syncBuffer{}, stderr: &syncBuffer{}}
		cmd := exec.Command(bin, args...)
		cmd.Env = append(env, "FIELDOPS_HTTP_ADDR="+addr, "FIELDOPS_METRICS_ADDR="+freeAddr(t))
		cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Kill()
				<-done
			}
		})
		client := &http.Client{Timeout: 2 * time.Second}
		waitUntil(t, 90*time.Second, "GET /healthz = 200", func() bool {
			select {
			case err := <-done:
				t.Fatalf("fieldops %v exited before serving: %v\nstderr:\n%s", args, err, s.stderr)
			default:
			}
			resp, err := checkedGet(t, client, s.base+"/healthz")
			return err == nil && resp.StatusCode == http.StatusOK
		})
		return s, done, cmd
	}
	a, aDone, aCmd := start("serve", "--seed")
	b, bDone, bCmd := start("serve")

	stream, r := apitest.OpenStreamAt(t, b.base, "/v1/notifications/stream", b.token(t, "nina@fieldops.test"))
	if stream == nil {
		t.Fatalf("stream on b: %d %s", r.Status, r.Raw)
	}
	disp, alice := a.token(t, "dispatcher@fieldops.test"), a.token(t, "alice@example.com")
	var ninaID string
	for _, u := range demoUsers(t, a, disp) {
		if u["email"] == "nina@fieldops.test" {
			ninaID = u["id"].(string)
		}
	}
	id := a.post(t, "/v1/orders", alice, map[string]any{"type": "install", "description": "new washer",
		"address": map[string]any{"line1": "2 Road", "city": "Northport", "region": "north"}}, http.StatusCreated)["id"].(string)
	a.post(t, "/v1/orders/"+id+"/triage", disp, map[string]any{}, http.StatusOK)
	a.post(t, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": ninaID}, http.StatusOK)
	if ev := stream.Next(20 * time.Second); ev.JSON["order_id"] != id || ev.JSON["kind"] != "job_assigned" {
		t.Fatalf("process b's stream: %+v", ev)
	}

	for _, p := range []struct {
		name string
		cmd  *exec.Cmd
		done <-chan error
		s    *server
	}{{"b", bCmd, bDone, b}, {"a", aCmd, aDone, a}} {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := receive(t, p.done, 20*time.Second, "process "+p.name+" to exit after SIGTERM"); err != nil {
			t.Errorf("process %s exited with %v after SIGTERM, want 0\nstderr:\n%s", p.name, err, p.s.stderr)
		}
		if p.name == "b" {
			stream.End(20 * time.Second)
		}
	}
}
