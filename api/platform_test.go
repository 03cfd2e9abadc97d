package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/openapi"
)

// expectProblem asserts an RFC 9457 problem response: the status, the media
// type, the members every problem has, the request id, and — when fields are
// given — exactly these field names in errors[].
func expectProblem(t *testing.T, r apitest.Response, status int, fields ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", r.Header.Get("Content-Type"))
	}
	if r.JSON == nil {
		t.Fatalf("body is not a JSON object: %q", r.Raw)
	}
	if r.JSON["status"] != float64(status) {
		t.Errorf("problem status = %v, want %d", r.JSON["status"], status)
	}
	for _, member := range []string{"type", "title", "detail"} {
		if s, _ := r.JSON[member].(string); s == "" {
			t.Errorf("problem has no %s: %s", member, r.Raw)
		}
	}
	if id := r.Header.Get("X-Request-Id"); id == "" || r.JSON["request_id"] != id {
		t.Errorf("request_id = %v, X-Request-Id header = %q", r.JSON["request_id"], id)
	}
	if len(fields) == 0 {
		return
	}
	var got []string
	list, _ := r.JSON["errors"].([]any)
	for _, e := range list {
		fe, _ := e.(map[string]any)
		name, _ := fe["field"].(string)
		if msg, _ := fe["message"].(string); msg == "" {
			t.Errorf("errors entry without a message: %v", fe)
		}
		got = append(got, name)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(fields))
	if !slices.Equal(got, want) {
		t.Errorf("problem fields = %v, want %v: %s", got, want, r.Raw)
	}
}

// platSend sends a prepared request (whose body is body) to the env's server,
// checks the exchange against the OpenAPI document and decodes the answer.
func platSend(t *testing.T, client *http.Client, req *http.Request, body []byte) apitest.Response {
	t.Helper()
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL.Path, err)
	}
	apitest.Verify(t, req, body, res, raw)
	out := apitest.Response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	_ = json.Unmarshal(raw, &out.JSON)
	return out
}

// platEventually calls check every 50 ms until it returns nil or the deadline
// passes; then the test fails with the last error.
func platEventually(t *testing.T, within time.Duration, what string, check func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %s: %v", what, within, err)
		case <-tick.C:
		}
	}
}

func TestUnknownRouteAndWrongMethod(t *testing.T) {
	env := apitest.New(t)
	tok := env.Token("manager@fieldops.test")
	cases := []struct {
		name, method, path, token string
		status                    int
		allow                     string
	}{
		{"unknown route", http.MethodGet, "/nope", "", 404, ""},
		{"unknown route under /v1 with a token", http.MethodGet, "/v1/nope", tok, 404, ""},
		{"unknown route under /v1 without a token is 404, not 401", http.MethodGet, "/v1/nope", "", 404, ""},
		{"wrong method on /v1/me", http.MethodDelete, "/v1/me", tok, 405, "GET"},
		{"wrong method on /v1/me without a token", http.MethodDelete, "/v1/me", "", 405, "GET"},
		{"wrong method on a route with a parameter", http.MethodPut, "/v1/assets/00000000-0000-0000-0000-000000000000", tok, 405, "GET"},
		{"wrong method on an ops route", http.MethodPost, "/healthz", "", 405, "GET"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(tc.method, tc.path, tc.token, nil)
			expectProblem(t, r, tc.status)
			if r.JSON["instance"] != tc.path {
				t.Errorf("instance = %v, want %s", r.JSON["instance"], tc.path)
			}
			if tc.status == 404 && r.JSON["detail"] != "no such route" {
				t.Errorf("detail = %v", r.JSON["detail"])
			}
			if tc.allow != "" && !strings.Contains(r.Header.Get("Allow"), tc.allow) {
				t.Errorf("Allow = %q, want it to contain %s", r.Header.Get("Allow"), tc.allow)
			}
		})
	}
}

func TestEveryResponseCarriesRequestIDAndSecurityHeaders(t *testing.T) {
	env := apitest.New(t)
	tok := env.Token("manager@fieldops.test")
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
	}{
		{"ops", http.MethodGet, "/healthz", "", nil, 200},
		{"metrics are not on the API port", http.MethodGet, "/metrics", "", nil, 404},
		{"spec", http.MethodGet, "/openapi.json", "", nil, 200},
		{"v1 ok", http.MethodGet, "/v1/me", tok, nil, 200},
		{"v1 created", http.MethodPost, "/v1/product-models", tok, map[string]any{"code": "HDR-1", "name": "Headers"}, 201},
		{"v1 unauthorized", http.MethodGet, "/v1/me", "", nil, 401},
		{"v1 invalid", http.MethodPost, "/v1/product-models", tok, map[string]any{}, 422},
		{"v1 method not allowed", http.MethodDelete, "/v1/me", tok, nil, 405},
		{"unknown route", http.MethodGet, "/nope", "", nil, 404},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(tc.method, tc.path, tc.token, tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Raw)
			}
			id := r.Header.Get("X-Request-Id")
			if id == "" || seen[id] {
				t.Errorf("X-Request-Id %q missing or repeated", id)
			}
			seen[id] = true
			for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
				if got := r.Header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
			if strings.HasPrefix(tc.path, "/v1/") && tc.status != 405 {
				if got := r.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", got)
				}
			}
		})
	}
}

func TestHealthAndReadiness(t *testing.T) {
	env := apitest.New(t)
	for _, tc := range []struct {
		path string
		want map[string]any
	}{
		{"/healthz", map[string]any{"status": "ok"}},
		{"/readyz", map[string]any{"status": "ok", "database": "ok"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := env.Do(http.MethodGet, tc.path, "", nil)
			if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("%s = %d %s %s", tc.path, r.Status, r.Header.Get("Content-Type"), r.Raw)
			}
			if len(r.JSON) != len(tc.want) {
				t.Errorf("body %s, want %v", r.Raw, tc.want)
			}
			for k, v := range tc.want {
				if r.JSON[k] != v {
					t.Errorf("%s = %v, want %v", k, r.JSON[k], v)
				}
			}
		})
	}
}

// platMetric returns the value of the fieldops_http_requests_total sample with
// the given labels (0 when absent).
func platMetric(text string, labels map[string]string) (float64, bool) {
	for line := range strings.SplitSeq(text, "\n") {
		if !strings.HasPrefix(line, "fieldops_http_requests_total{") {
			continue
		}
		match := true
		for k, v := range labels {
			if !strings.Contains(line, fmt.Sprintf("%s=%q", k, v)) {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		var f float64
		if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &f); err == nil {
			return f, true
		}
	}
	return 0, false
}

func TestMetricsArePerRouteTemplate(t *testing.T) {
	env := apitest.New(t)
	tok := env.Token("manager@fieldops.test")
	r := env.Do(http.MethodGet, "/v1/assets", tok, nil)
	items, _ := r.JSON["items"].([]any)
	if r.Status != http.StatusOK || len(items) < 2 {
		t.Fatalf("GET /v1/assets = %d %s", r.Status, r.Raw)
	}
	var ids []string
	for _, it := range items[:2] {
		id := it.(map[string]any)["id"].(string)
		ids = append(ids, id)
		if g := env.Do(http.MethodGet, "/v1/assets/"+id, tok, nil); g.Status != http.StatusOK {
			t.Fatalf("GET asset = %d %s", g.Status, g.Raw)
		}
	}
	for range 3 {
		if g := env.Do(http.MethodGet, "/v1/me", tok, nil); g.Status != http.StatusOK {
			t.Fatalf("GET /v1/me = %d", g.Status)
		}
	}
	env.Do(http.MethodGet, "/v1/me", "", nil) // 401
	env.Do(http.MethodGet, "/no/such/route/"+ids[0], "", nil)

	var text string
	want := []struct {
		labels map[string]string
		n      float64
	}{
		{map[string]string{"url": "/v1/assets/:id", "method": "GET", "code": "200"}, 2},
		{map[string]string{"url": "/v1/me", "method": "GET", "code": "200"}, 3},
		{map[string]string{"url": "/v1/me", "method": "GET", "code": "401"}, 1},
	}
	platEventually(t, 5*time.Second, "metrics count the requests", func() error {
		m := scrapeMetrics(t, env)
		text = string(m.Raw)
		for _, w := range want {
			if got, _ := platMetric(text, w.labels); got != w.n {
				return fmt.Errorf("fieldops_http_requests_total%v = %v, want %v", w.labels, got, w.n)
			}
		}
		return nil
	})
	for _, id := range ids {
		if strings.Contains(text, id) {
			t.Errorf("metrics contain a raw id %s (unbounded label cardinality)", id)
		}
	}
	if !strings.Contains(text, "fieldops_http_request_duration_seconds_bucket{") || !strings.Contains(text, "go_goroutines ") {
		t.Error("metrics lack the latency histogram or the Go runtime metrics")
	}
}

func TestDocsAndSpecAreServed(t *testing.T) {
	env := apitest.New(t)

	t.Run("Swagger UI page", func(t *testing.T) {
		r := env.Do(http.MethodGet, "/docs", "", nil)
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET /docs = %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		page := string(r.Raw)
		if !strings.Contains(page, `src="/docs/swagger-ui-bundle.js"`) {
			t.Errorf("page does not load /docs/swagger-ui-bundle.js:\n%s", page)
		}
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("docs Content-Security-Policy = %q", csp)
		}
		// every asset the page references is served
		refs := regexp.MustCompile(`(?:src|href)="(/docs/[^"]+)"`).FindAllStringSubmatch(page, -1)
		if len(refs) < 3 {
			t.Fatalf("page references %d assets", len(refs))
		}
		for _, ref := range refs {
			a := env.Do(http.MethodGet, ref[1], "", nil)
			if a.Status != http.StatusOK || len(a.Raw) == 0 {
				t.Errorf("GET %s = %d (%d bytes)", ref[1], a.Status, len(a.Raw))
			}
		}
	})

	t.Run("bundle is JavaScript", func(t *testing.T) {
		r := env.Do(http.MethodGet, "/docs/swagger-ui-bundle.js", "", nil)
		if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Type"), "javascript") || len(r.Raw) < 100_000 {
			t.Errorf("GET bundle = %d %s (%d bytes)", r.Status, r.Header.Get("Content-Type"), len(r.Raw))
		}
	})

	t.Run("init script points at the OpenAPI 3 document", func(t *testing.T) {
		r := env.Do(http.MethodGet, "/docs/fieldops-init.js", "", nil)
		if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Type"), "javascript") || !strings.Contains(string(r.Raw), `"/openapi.json"`) {
			t.Errorf("GET init = %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Raw)
		}
	})

	for _, p := range []string{"/docs/nope.js", "/docs/..%2Fopenapi.json"} {
		t.Run("missing asset "+p, func(t *testing.T) {
			expectProblem(t, env.Do(http.MethodGet, p, "", nil), http.StatusNotFound)
		})
	}

	t.Run("openapi.json", func(t *testing.T) {
		r := env.Do(http.MethodGet, "/openapi.json", "", nil)
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("GET /openapi.json = %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		if !bytes.Equal(r.Raw, openapi.JSON) {
			t.Error("served document differs from the embedded openapi/openapi.json")
		}
		if v, _ := r.JSON["openapi"].(string); !strings.HasPrefix(v, "3.") {
			t.Errorf("openapi = %q", v)
		}
	})

	t.Run("openapi.yaml", func(t *testing.T) {
		r := env.Do(http.MethodGet, "/openapi.yaml", "", nil)
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/yaml") {
			t.Fatalf("GET /openapi.yaml = %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		if !bytes.Equal(r.Raw, openapi.YAML) || !strings.HasPrefix(string(r.Raw), "openapi: 3.") {
			t.Errorf("served YAML differs from openapi/openapi.yaml or is not OpenAPI 3: %.40s", r.Raw)
		}
	})
}

func TestBodyLimit(t *testing.T) {
	env := apitest.New(t)
	limit := 1 << 20 // the default body_limit (configs/config.yaml) is 1 MiB
	// loginBody is a valid JSON login body of exactly n bytes.
	loginBody := func(n int) string {
		head, tail := `{"login":"`, `","password":"x"}`
		return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
	}
	before := env.Count("users")

	cases := []struct {
		name    string
		size    int
		chunked bool
		status  int
	}{
		{"2 MiB with Content-Length", 2 << 20, false, 413},
		{"2 MiB chunked, without Content-Length", 2 << 20, true, 413},
		{"one byte over the limit with Content-Length", limit + 1, false, 413},
		{"one byte over the limit chunked", limit + 1, true, 413},
		{"exactly the limit is read (and the login refused)", limit, false, 422},
		{"exactly the limit chunked is read", limit, true, 422},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := loginBody(tc.size)
			var rd io.Reader = strings.NewReader(body)
			if tc.chunked {
				// a reader of unknown length: net/http sends Transfer-Encoding: chunked
				rd = io.MultiReader(strings.NewReader(body[:10]), strings.NewReader(body[10:]))
			}
			req, err := http.NewRequest(http.MethodPost, env.URL+"/v1/auth/login", rd)
			if err != nil {
				t.Fatal(err)
			}
			if tc.chunked != (req.ContentLength == 0) {
				t.Fatalf("ContentLength %d: the request would not be sent as intended", req.ContentLength)
			}
			req.Header.Set("Content-Type", "application/json")
			r := platSend(t, http.DefaultClient, req, []byte(body))
			if tc.status == 413 {
				expectProblem(t, r, 413)
				return
			}
			// within the limit the body is decoded: the oversized login fails validation (max length)
			expectProblem(t, r, tc.status, "login")
		})
	}
	if got := env.Count("users"); got != before {
		t.Errorf("users rows %d, want %d", got, before)
	}
}

func TestNonJSONContentTypeIsRejected(t *testing.T) {
	env := apitest.New(t)
	tok := env.Token("manager@fieldops.test")
	before := env.Count("product_models")
	// the document declares application/json only, so a +json type is refused too
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/xml", "nonsense/",
		"application/vnd.fieldops+json"} {
		t.Run(ct, func(t *testing.T) {
			r := env.Do(http.MethodPost, "/v1/product-models", tok, `{"code":"CT-1","name":"Content type"}`, "Content-Type", ct)
			expectProblem(t, r, http.StatusUnsupportedMediaType)
			if !strings.Contains(r.JSON["detail"].(string), "application/json") {
				t.Errorf("detail = %v", r.JSON["detail"])
			}
		})
	}
	if got := env.Count("product_models"); got != before {
		t.Errorf("product_models rows %d, want %d", got, before)
	}
	t.Run("application/json with a charset is accepted", func(t *testing.T) {
		r := env.Do(http.MethodPost, "/v1/product-models", tok, `{"code":"CT-2","name":"Content type"}`, "Content-Type", "application/json; charset=utf-8")
		if r.Status != http.StatusCreated {
			t.Errorf("status %d: %s", r.Status, r.Raw)
		}
	})
}

// tcpProxy forwards TCP connections to a target, and can be stopped (listener
// and every connection closed) and started again on the same address: a
// database outage without touching the database server.
type tcpProxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
	hold  bool // accept connections but never answer: a hung database
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{t: t, target: target, addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	p.Start()
	t.Cleanup(p.Stop)
	return p
}

// Start listens (again) on the proxy's address.
func (p *tcpProxy) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: listen %s: %v", p.addr, err)
	}
	p.ln, p.addr = ln, ln.Addr().String()
	p.wg.Add(1)
	go p.accept(ln)
}

// Stop closes the listener and every open connection.
func (p *tcpProxy) Stop() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
	p.mu.Unlock()
	p.wg.Wait()
}

// Hold makes new connections hang (accepted, never forwarded) while on.
func (p *tcpProxy) Hold(on bool) {
	p.mu.Lock()
	p.hold = on
	p.mu.Unlock()
}

// track registers c; false when the proxy has been stopped meanwhile.
func (p *tcpProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *tcpProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *tcpProxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *tcpProxy) serve(client net.Conn) {
	defer p.wg.Done()
	p.mu.Lock()
	hold := p.hold
	p.mu.Unlock()
	if hold {
		if !p.track(client) {
			client.Close()
		}
		return // closed by Stop
	}
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	if !p.track(client, server) {
		client.Close()
		server.Close()
		return
	}
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(server, client)
		p.untrack(client, server)
		close(done)
	}()
	_, _ = io.Copy(client, server)
	p.untrack(client, server)
	<-done
}

func TestDatabaseOutageAndRecovery(t *testing.T) {
	_, dbURL := dbtest.New(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.addr
	proxyURL := u.String()
	proxyDB, err := database.Open(proxyURL, database.Options{MaxOpenConns: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(proxyDB) })
	env := apitest.NewOn(t, proxyDB, proxyURL)
	// Every request must come back on its own: the readiness ping has a 2 s deadline.
	client := &http.Client{Timeout: 8 * time.Second}
	get := func(t *testing.T, path, token string) apitest.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, env.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return platSend(t, client, req, nil)
	}
	readyIs := func(t *testing.T, status int) func() error {
		return func() error {
			if r := get(t, "/readyz", ""); r.Status != status {
				return fmt.Errorf("/readyz = %d %s", r.Status, r.Raw)
			}
			return nil
		}
	}
	login := func() apitest.Response {
		return env.Do(http.MethodPost, "/v1/auth/login", "", map[string]string{"login": "manager@fieldops.test", "password": "fieldops-demo"})
	}

	if !t.Run("database up: ready, login works", func(t *testing.T) {
		r := get(t, "/readyz", "")
		if r.Status != http.StatusOK || r.JSON["database"] != "ok" {
			t.Fatalf("/readyz = %d %s", r.Status, r.Raw)
		}
		if l := login(); l.Status != http.StatusOK || l.JSON["access_token"] == nil {
			t.Fatalf("login = %d %s", l.Status, l.Raw)
		}
	}) {
		return
	}

	proxy.Stop()
	if !t.Run("database down: readyz 503, healthz 200, requests 503", func(t *testing.T) {
		platEventually(t, 10*time.Second, "readyz reports the outage", readyIs(t, http.StatusServiceUnavailable))
		r := get(t, "/readyz", "")
		expectProblem(t, r, http.StatusServiceUnavailable)
		if strings.Contains(string(r.Raw), proxy.addr) || strings.Contains(string(r.Raw), "dial") {
			t.Errorf("503 leaks connection details: %s", r.Raw)
		}
		if h := get(t, "/healthz", ""); h.Status != http.StatusOK || h.JSON["status"] != "ok" {
			t.Errorf("/healthz = %d %s", h.Status, h.Raw)
		}
		expectProblem(t, login(), http.StatusServiceUnavailable)
	}) {
		return
	}

	proxy.Hold(true)
	proxy.Start()
	if !t.Run("database hangs: readyz answers 503 within the ping deadline", func(t *testing.T) {
		for range 2 {
			start := time.Now()
			r := get(t, "/readyz", "")
			expectProblem(t, r, http.StatusServiceUnavailable)
			if d := time.Since(start); d < time.Second || d > 6*time.Second {
				t.Errorf("/readyz took %s; want about the 2 s ping deadline", d)
			}
		}
		if h := get(t, "/healthz", ""); h.Status != http.StatusOK {
			t.Errorf("/healthz = %d", h.Status)
		}
	}) {
		return
	}
	proxy.Stop()

	proxy.Hold(false)
	proxy.Start()
	t.Run("database back: ready again and a fresh login works without restart", func(t *testing.T) {
		platEventually(t, 15*time.Second, "readyz recovers", readyIs(t, http.StatusOK))
		l := login()
		if l.Status != http.StatusOK {
			t.Fatalf("login = %d %s", l.Status, l.Raw)
		}
		me := get(t, "/v1/me", l.JSON["access_token"].(string))
		if me.Status != http.StatusOK || me.JSON["email"] != "manager@fieldops.test" {
			t.Fatalf("/v1/me = %d %s", me.Status, me.Raw)
		}
	})
}
