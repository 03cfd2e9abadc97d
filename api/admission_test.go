package api_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/api"
	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/platform/config"
)

// gauge reads a gauge of the server's registry.
func gauge(t *testing.T, env *apitest.Env, name string) float64 {
	t.Helper()
	mfs, err := env.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// within polls cond until it holds or 10 s pass.
func within(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after 10 s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// With one slot, API requests run one at a time, in the order they arrived:
// three intakes queued behind a transition blocked on a row lock get their
// order numbers (nextval, in the handler) in arrival order once it ends. The
// database/sql pool alone hands a freed connection to a random waiter. The
// ops routes never wait, and a body is read before its request queues.
func TestAdmissionOneAtATimeInArrivalOrder(t *testing.T) {
	env := apitest.New(t, func(cfg *config.Config) { cfg.HTTP.MaxInFlight = 1 })
	alice := env.Token("alice@example.com")
	disp := env.Token("dispatcher@fieldops.test")
	asset := aliceAsset(t, env, alice)
	id := cmpOrder(t, env)

	// hold the order's row: the triage below takes the slot and waits on it
	lock := env.DB.Begin()
	defer lock.Rollback()
	if err := lock.Exec("SELECT 1 FROM orders WHERE id = ? FOR UPDATE", id).Error; err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	statuses := make(chan string, 4)
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", disp, map[string]any{})
		statuses <- fmt.Sprintf("triage %d", r.Status)
	}()
	within(t, "admitted", func() bool { return gauge(t, env, "fieldops_http_admitted_requests") == 1 })

	numbers := map[string]string{}
	var mu sync.Mutex
	for i, name := range []string{"A", "B", "C"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{
				"type": "repair", "description": "queued " + name, "asset_id": asset,
				"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"},
			})
			mu.Lock()
			defer mu.Unlock()
			if r.Status == http.StatusCreated {
				numbers[name], _ = r.JSON["number"].(string)
			}
			statuses <- fmt.Sprintf("%s %d", name, r.Status)
		}()
		within(t, fmt.Sprintf("%d queued", i+1), func() bool { return gauge(t, env, "fieldops_http_queued_requests") == float64(i+1) })
	}

	// a request whose body is still arriving holds no slot and is not queued
	conn, err := net.Dial("tcp", strings.TrimPrefix(env.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"type\":", alice)

	// the ops routes answer meanwhile
	if r := env.Do(http.MethodGet, "/healthz", "", nil); r.Status != http.StatusOK {
		t.Fatalf("GET /healthz while the slot is taken = %d", r.Status)
	}
	if got := gauge(t, env, "fieldops_http_queued_requests"); got != 3 {
		t.Fatalf("queued = %v, want 3 (the slow body must not queue)", got)
	}
	select {
	case s := <-statuses:
		t.Fatalf("%s answered while the slot was taken", s)
	default:
	}

	if err := lock.Rollback().Error; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(statuses)
	var got []string
	for s := range statuses {
		got = append(got, s)
	}
	sort.Strings(got)
	if want := []string{"A 201", "B 201", "C 201", "triage 200"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("statuses = %v, want %v", got, want)
	}
	if !(numbers["A"] < numbers["B"] && numbers["B"] < numbers["C"]) {
		t.Fatalf("order numbers = %v: not in arrival order", numbers)
	}
	if gauge(t, env, "fieldops_http_admitted_requests") != 0 || gauge(t, env, "fieldops_http_queued_requests") != 0 {
		t.Fatal("slots still taken after every request ended")
	}
}

// A request that waits for a slot past its deadline gets 503 with
// Retry-After, as a problem document; the one holding the slot is not
// disturbed. (The middleware on its own, with a handler that blocks.)
func TestAdmissionDeadline(t *testing.T) {
	e := echo.New()
	e.HTTPErrorHandler = api.ErrorHandlerForTest()
	release := make(chan struct{})
	adm := api.NewAdmissionForTest(1)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, cancel := context.WithTimeout(c.Request().Context(), 200*time.Millisecond)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}, adm)
	started := make(chan struct{}, 1)
	e.GET("/v1/slow", func(c echo.Context) error {
		started <- struct{}{}
		<-release
		return c.String(http.StatusOK, "done")
	})
	e.GET("/v1/fast", func(c echo.Context) error { return c.String(http.StatusOK, "fast") })
	ts := httptest.NewServer(e)
	defer ts.Close()
	srv := ts.URL

	slow := make(chan int, 1)
	go func() {
		resp, err := http.Get(srv + "/v1/slow")
		if err != nil {
			slow <- 0
			return
		}
		resp.Body.Close()
		slow <- resp.StatusCode
	}()
	<-started
	resp, err := http.Get(srv + "/v1/fast")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" ||
		resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(body), "busy") {
		t.Fatalf("queued past its deadline = %d %q %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"), body)
	}
	close(release)
	if code := <-slow; code != http.StatusOK {
		t.Fatalf("the request holding the slot = %d, want 200", code)
	}
	// the slot is free again
	resp, err = http.Get(srv + "/v1/fast")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after the slot was freed = %d", resp.StatusCode)
	}
}

func TestAdmissionLimit(t *testing.T) {
	for _, c := range []struct{ setting, pool, want int }{
		{-1, 20, 0}, {1, 20, 1}, {50, 20, 20}, {8, 0, 8},
	} {
		if got := api.AdmissionLimit(c.setting, c.pool); got != c.want {
			t.Errorf("AdmissionLimit(%d, %d) = %d, want %d", c.setting, c.pool, got, c.want)
		}
	}
	if got := api.AdmissionLimit(0, 1000); got < 4 {
		t.Errorf("AdmissionLimit(0, 1000) = %d, want at least 4", got)
	}
}

// A client that does not read its answer holds its connection, not the
// slot: the slot ends when the response starts. (The middleware on its own:
// a 64 MiB answer fills the socket buffers and blocks the writer.)
func TestAdmissionSlowReaderHoldsNoSlot(t *testing.T) {
	e := echo.New()
	e.HTTPErrorHandler = api.ErrorHandlerForTest()
	e.Use(api.NewAdmissionForTest(1))
	big := strings.Repeat("x", 64<<20)
	e.GET("/v1/big", func(c echo.Context) error { return c.String(http.StatusOK, big) })
	e.GET("/v1/small", func(c echo.Context) error { return c.String(http.StatusOK, "small") })
	ts := httptest.NewServer(e)
	defer ts.Close()

	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/big HTTP/1.1\r\nHost: x\r\n\r\n")
	// it has started its answer (the status line arrives) and reads no more
	buf := make([]byte, 12)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "HTTP/1.1 200" {
		t.Fatalf("big: %q %v", buf, err)
	}

	done := make(chan int, 1)
	go func() {
		resp, err := http.Get(ts.URL + "/v1/small")
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	select {
	case code := <-done:
		if code != http.StatusOK {
			t.Fatalf("small = %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a request waited 10 s behind a client that does not read its answer")
	}
}

// Every route the admission control lets through is a route of the server
// (a misspelt one would silently be admitted).
func TestAdmissionExemptionsNameRealRoutes(t *testing.T) {
	env := apitest.New(t)
	e, ok := env.Server.Config.Handler.(*echo.Echo)
	if !ok {
		t.Fatalf("the test server's handler is %T", env.Server.Config.Handler)
	}
	routes := map[string]bool{}
	for _, r := range e.Routes() {
		routes[r.Method+" "+r.Path] = true
	}
	for _, k := range api.NotAdmittedForTest() {
		if !routes[k] {
			t.Errorf("%q is not a route", k)
		}
	}
}
