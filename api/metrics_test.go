package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/api"
	"github.com/fieldops/fieldops/api/apitest"
)

// scrapeMetrics GETs /metrics from api.MetricsHandler on the env's registry,
// served on a listener of its own as `fieldops serve` does.
func scrapeMetrics(t *testing.T, env *apitest.Env) apitest.Response {
	t.Helper()
	srv := httptest.NewServer(api.MetricsHandler(env.Metrics))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return apitest.Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
}

// seriesCount is the number of time series the registry exposes.
func seriesCount(t *testing.T, env *apitest.Env) int {
	t.Helper()
	mfs, err := env.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		n += len(mf.GetMetric())
	}
	return n
}

func TestMetricsSeriesDoNotGrowWithCallerInput(t *testing.T) {
	env := apitest.New(t)
	tok := env.Token("manager@fieldops.test")
	client := env.Server.Client()
	// one request of each shape: a known route (200), an odd method on it
	// (405), an unknown path (404), an odd method on an unknown path, a
	// route with an id (404) — each from its own Host
	send := func(i int) {
		t.Helper()
		shape := []struct{ method, path string }{
			{http.MethodGet, "/v1/me"},
			{fmt.Sprintf("BREW%d", i), "/v1/me"},
			{http.MethodGet, fmt.Sprintf("/no/such/route/%d", i)},
			{fmt.Sprintf("X-%d", i), fmt.Sprintf("/elsewhere/%d", i)},
			{http.MethodGet, "/v1/orders/" + uuid.NewString()},
		}[(i%5+5)%5]
		req, err := http.NewRequest(shape.method, env.URL+shape.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = fmt.Sprintf("host-%d.attacker.example", i)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s = %d %s", shape.method, shape.path, resp.StatusCode, body)
		}
		apitest.Verify(t, req, nil, resp, body)
	}
	for i := -5; i < 0; i++ { // every shape once: its series exist from now on
		send(i)
	}
	before := seriesCount(t, env)
	for i := range 500 {
		send(i)
	}
	if after := seriesCount(t, env); after != before {
		t.Errorf("500 requests with distinct Host headers and methods grew the metrics from %d to %d series", before, after)
	}

	mfs, err := env.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "fieldops_http_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				switch v := l.GetValue(); l.GetName() {
				case "host":
					if v != "" {
						t.Errorf("%s has host=%q: the Host header is the caller's", mf.GetName(), v)
					}
				case "method":
					if !slices.Contains(methods, v) {
						t.Errorf("%s has method=%q, want one of %v", mf.GetName(), v, methods)
					}
				case "url":
					if strings.Contains(v, "/no/such") || strings.Contains(v, "/elsewhere") {
						t.Errorf("%s has url=%q: unknown paths must share one label", mf.GetName(), v)
					}
				}
			}
		}
	}
}

func TestMetricsAreServedOnlyByTheMetricsHandler(t *testing.T) {
	env := apitest.New(t)
	t.Run("the API port has no /metrics", func(t *testing.T) {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			if r := env.Do(method, "/metrics", "", nil); r.Status != http.StatusNotFound {
				t.Errorf("%s /metrics on the API = %d, want 404", method, r.Status)
			}
		}
	})
	t.Run("the metrics handler serves the API's request metrics", func(t *testing.T) {
		env.Do(http.MethodGet, "/healthz", "", nil)
		text := string(scrapeMetrics(t, env).Raw)
		for _, want := range []string{`fieldops_http_requests_total{code="200",host="",method="GET",url="/healthz"} 1`, "go_goroutines "} {
			if !strings.Contains(text, want) {
				t.Errorf("metrics lack %q:\n%.3000s", want, text)
			}
		}
	})
	t.Run("the metrics handler serves the database pool's statistics", func(t *testing.T) {
		text := string(scrapeMetrics(t, env).Raw)
		for _, want := range []string{`go_sql_max_open_connections{db_name="fieldops"}`, `go_sql_idle_connections{db_name="fieldops"}`,
			`go_sql_wait_count_total{db_name="fieldops"}`, `go_sql_max_idle_closed_total{db_name="fieldops"}`} {
			if !strings.Contains(text, want) {
				t.Errorf("metrics lack %q:\n%.3000s", want, text)
			}
		}
	})
	t.Run("the metrics handler serves nothing else", func(t *testing.T) {
		srv := httptest.NewServer(api.MetricsHandler(env.Metrics))
		defer srv.Close()
		for _, path := range []string{"/", "/healthz", "/v1/me", "/metrics/x"} {
			resp, err := srv.Client().Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s on the metrics listener = %d, want 404", path, resp.StatusCode)
			}
		}
	})
}
