package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/demo"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
)

// post sends a JSON POST with token, checks the exchange against the
// document and returns the decoded body; it fails t unless the status is want.
func (s *server) post(t *testing.T, path, token string, body any, want int) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, s.base+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	apitest.Verify(t, req, raw, resp, got)
	if resp.StatusCode != want {
		t.Fatalf("POST %s = %d, want %d: %s", path, resp.StatusCode, want, got)
	}
	var out map[string]any
	_ = json.Unmarshal(got, &out)
	return out
}

func (s *server) token(t *testing.T, email string) string {
	t.Helper()
	status, body := s.login(t, email, demo.Password)
	if status != http.StatusOK {
		t.Fatalf("login %s = %d %v", email, status, body)
	}
	return body["access_token"].(string)
}

// Two `fieldops serve` on one database, as two replicas behind a proxy: a
// notification written by a request on one reaches a stream open on the
// other. The stream outlives the server's write, read and request timeouts
// (1 s here), and graceful shutdown ends it instead of waiting for it.
func TestServeStreamsNotificationsAcrossReplicas(t *testing.T) {
	_, dbURL := dbtest.New(t)
	env := append([]string{"DATABASE_URL=" + dbURL, "FIELDOPS_DEV=true", "FIELDOPS_STREAM_HEARTBEAT=100ms",
		"FIELDOPS_HTTP_WRITE_TIMEOUT=1s", "FIELDOPS_HTTP_READ_TIMEOUT=1s", "FIELDOPS_HTTP_REQUEST_TIMEOUT=1s",
		// one JWT secret for both replicas, as in a deployment
		"FIELDOPS_JWT_SECRET=" + apitest.Secret}, cheapArgon2...)
	a := startServe(t, env, "serve", "--seed")
	b := startServe(t, env, "serve")

	tomOnB := b.token(t, "tom@fieldops.test")
	stream, r := apitest.OpenStreamAt(t, b.base, "/v1/notifications/stream", tomOnB)
	if stream == nil {
		t.Fatalf("stream on b: %d %s", r.Status, r.Raw)
	}
	opened := time.Now()

	disp, alice := a.token(t, "dispatcher@fieldops.test"), a.token(t, "alice@example.com")
	var tomID string
	for _, u := range demoUsers(t, a, disp) {
		if u["email"] == "tom@fieldops.test" {
			tomID = u["id"].(string)
		}
	}
	assign := func() string {
		t.Helper()
		id := a.post(t, "/v1/orders", alice, map[string]any{"type": "repair", "description": "noisy fan",
			"address": map[string]any{"line1": "1 Road", "city": "Northport", "region": "north"}}, http.StatusCreated)["id"].(string)
		a.post(t, "/v1/orders/"+id+"/triage", disp, map[string]any{}, http.StatusOK)
		a.post(t, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": tomID}, http.StatusOK)
		return id
	}
	first := assign() // on a
	if ev := stream.Next(20 * time.Second); ev.JSON["order_id"] != first || ev.JSON["kind"] != "job_assigned" {
		t.Fatalf("b's stream: %+v", ev)
	}
	// heartbeats until the stream is older than the timeouts, then live again
	for time.Since(opened) < 2500*time.Millisecond {
		stream.NextComment(20 * time.Second)
	}
	second := assign()
	if ev := stream.Next(20 * time.Second); ev.JSON["order_id"] != second {
		t.Fatalf("after the timeouts passed: %+v", ev)
	}
	b.stop(t) // returns nil at once: the open stream does not hold up Shutdown
	stream.End(20 * time.Second)
	a.stop(t)
}

// demoUsers lists the users a dispatcher sees.
func demoUsers(t *testing.T, s *server, token string) []map[string]any {
	t.Helper()
	code, body := s.get(t, "/v1/users?limit=200", token)
	if code != http.StatusOK {
		t.Fatalf("GET /v1/users = %d %s", code, body)
	}
	var out struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	return out.Items
}
