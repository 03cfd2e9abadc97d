package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api"
	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/demo"
)

// Issue 9: strict input. Text that PostgreSQL cannot hold (NUL, invalid
// UTF-8), forged cursors, oversized filters, odd request ids and id
// spellings are refused as 4xx naming what was wrong; never a 500.

// throttles is the login_throttles table as key → failures: login and
// sign-up attempts that reach the service leave their mark there.
func throttles(t *testing.T, env *apitest.Env) map[string]int {
	t.Helper()
	var rows []struct {
		Key      string
		Failures int
	}
	if err := env.DB.Table("login_throttles").Select("key, failures").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Key] = r.Failures
	}
	return out
}

func TestNULAndInvalidUTF8AreRefusedBeforeAnyWork(t *testing.T) {
	env := apitest.New(t)
	users := env.Count("users")
	before := throttles(t, env)

	const nul = "\u0000"
	login := map[string]string{"login": "alice@example.com", "password": "not-" + demo.Password}
	register := map[string]string{"name": "Nul Tester", "email": "nul.tester@example.com", "phone": "+8613800999001", "password": "long enough password"}
	with := func(m map[string]string, field, value string) []byte {
		c := map[string]string{}
		for k, v := range m {
			c[k] = v
		}
		c[field] = value
		var b bytes.Buffer
		if err := jsonEncodeNoEscape(&b, c); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	type bodyCase struct {
		name, path, field string
		body              []byte
	}
	var cases []bodyCase
	for field, v := range login {
		cases = append(cases,
			bodyCase{"login: NUL in " + field, "/v1/auth/login", field, with(login, field, v[:3]+nul+v[3:])},
			bodyCase{"login: invalid UTF-8 in " + field, "/v1/auth/login", field, with(login, field, v[:3]+"\xff"+v[3:])})
	}
	for field, v := range register {
		cases = append(cases,
			bodyCase{"register: NUL in " + field, "/v1/auth/register", field, with(register, field, v[:3]+nul+v[3:])},
			bodyCase{"register: invalid UTF-8 in " + field, "/v1/auth/register", field, with(register, field, v[:3]+"\xc3\x28"+v[3:])})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(http.MethodPost, tc.path, "", tc.body)
			expectProblem(t, r, http.StatusUnprocessableEntity, tc.field)
		})
	}
	t.Run("nothing reached the service: no throttle counted, no account made", func(t *testing.T) {
		if after := throttles(t, env); !reflect.DeepEqual(after, before) {
			t.Errorf("login_throttles changed from %v to %v: a refused request reached the login or sign-up service", before, after)
		}
		if n := env.Count("users"); n != users {
			t.Errorf("users: %d, want %d", n, users)
		}
		// the observation works: a wrong password that does reach the service is counted
		env.Do(http.MethodPost, "/v1/auth/login", "", with(login, "password", "wrong-but-text"))
		if after := throttles(t, env); reflect.DeepEqual(after, before) {
			t.Errorf("a wrong password left login_throttles unchanged: the check above proves nothing")
		}
	})

	alice := env.Token("alice@example.com")
	t.Run("a nested field is named by its path", func(t *testing.T) {
		body := []byte(`{"type":"repair","description":"drips","asset_id":"` + aliceAsset(t, env, alice) +
			`","address":{"line1":"12 Harbour ` + "\xe2\x82" + ` Road","city":"Northport","region":"north"}}`)
		expectProblem(t, env.Do(http.MethodPost, "/v1/orders", alice, body), http.StatusUnprocessableEntity, "address.line1")
	})
	t.Run("invalid UTF-8 outside a string is malformed JSON", func(t *testing.T) {
		expectProblem(t, env.Do(http.MethodPost, "/v1/auth/login", "", []byte("{\xff}")), http.StatusBadRequest)
	})

	manager := env.Token("manager@fieldops.test")
	queries := []struct {
		name, path, token, param string
	}{
		{"NUL in an order filter", "/v1/orders?priority=P1%00", manager, "priority"},
		{"%FF in an order filter", "/v1/orders?type=repair%FF", manager, "type"},
		{"NUL in a cursor", "/v1/orders?cursor=abc%00", manager, "cursor"},
		{"NUL in the catalogue's category", "/v1/product-models?category=aircon%00", manager, "category"},
		{"%FF in the catalogue's category", "/v1/product-models?category=%FF", manager, "category"},
		{"NUL in a user filter", "/v1/users?region=north%00", manager, "region"},
		{"%FF in a user filter", "/v1/users?skill=%C3%28", manager, "skill"},
		{"NUL in a parameter nobody reads", "/v1/me?x=%00", manager, "x"},
		{"a parameter name that is not text", "/v1/assets?%FF=1", alice, "query"},
	}
	for _, tc := range queries {
		t.Run(tc.name, func(t *testing.T) {
			expectProblem(t, env.Do(http.MethodGet, tc.path, tc.token, nil), http.StatusUnprocessableEntity, tc.param)
		})
	}
	t.Run("an Idempotency-Key that is not text", func(t *testing.T) {
		r := env.Do(http.MethodPost, "/v1/product-models", manager, map[string]any{"code": "IK-1", "name": "Key"}, "Idempotency-Key", "key-\xff")
		expectProblem(t, r, http.StatusUnprocessableEntity, "Idempotency-Key")
	})
}

// jsonEncodeNoEscape writes v as JSON leaving its strings' bytes as they are
// (encoding/json would replace invalid UTF-8 with U+FFFD).
func jsonEncodeNoEscape(w io.Writer, v map[string]string) error {
	var parts []string
	for k, s := range v {
		s = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\u0000", `\u0000`).Replace(s)
		parts = append(parts, fmt.Sprintf("%q:\"%s\"", k, s))
	}
	_, err := io.WriteString(w, "{"+strings.Join(parts, ",")+"}")
	return err
}

func TestForgedCursorsAndOversizedFiltersAre422(t *testing.T) {
	env := apitest.New(t)
	manager := env.Token("manager@fieldops.test")
	alice := env.Token("alice@example.com")
	order := cmpOrder(t, env)

	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	const year10000 = "253402300800000000" // 10000-01-01T00:00:00Z in Unix microseconds
	const yearMinus = "-9223372036854775807"
	id := "0195a2c4-7e1b-7c3d-9f00-123456789abc"
	cases := []struct {
		name, path, token, field string
	}{
		{"an order cursor in year 10000", "/v1/orders?cursor=" + b64(year10000+"|"+id+"|"+year10000), manager, "cursor"},
		{"an order cursor whose bound is in year 10000", "/v1/orders?cursor=" + b64("1780000000000000|"+id+"|"+year10000), manager, "cursor"},
		{"an order cursor before year 1", "/v1/orders?cursor=" + b64(yearMinus+"|"+id+"|1780000000000000"), manager, "cursor"},
		{"an events cursor in year 10000", "/v1/orders/" + order + "/events?cursor=" + b64(year10000+"|"+id), manager, "cursor"},
		{"an events cursor before year 1", "/v1/orders/" + order + "/events?cursor=" + b64(yearMinus+"|"+id), manager, "cursor"},
		{"an inbox cursor in year 10000", "/v1/notifications?cursor=" + b64("false|"+year10000+"|"+id), manager, "cursor"},
		{"a catalogue cursor in year 10000", "/v1/product-models?cursor=" + b64(year10000+"|"+id), manager, "cursor"},
		{"70,000 statuses", "/v1/orders?status=" + strings.TrimSuffix(strings.Repeat("submitted,", 70000), ","), manager, "status"},
		{"14 statuses (more than there are)", "/v1/orders?status=" + strings.TrimSuffix(strings.Repeat("assigned,", 14), ","), manager, "status"},
		{"an unknown status", "/v1/orders?status=submitted,bogus", manager, "status"},
		{"slots from 9999-12-31", "/v1/orders/" + order + "/slots?from=9999-12-31", alice, "from"},
		{"slots from 9999-12-31 for one day", "/v1/orders/" + order + "/slots?from=9999-12-31&days=1", alice, "from"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectProblem(t, env.Do(http.MethodGet, tc.path, tc.token, nil), http.StatusUnprocessableEntity, tc.field)
		})
	}
	t.Run("every status once is fine", func(t *testing.T) {
		all := "submitted,triaged,assigned,accepted,scheduled,en_route,on_site,awaiting_approval,in_progress,awaiting_parts,completed,closed,cancelled"
		mustStatus(t, env.Do(http.MethodGet, "/v1/orders?status="+all, manager, nil), http.StatusOK, "all statuses")
	})
}

// routerLoggingTo is the env's router with its request log written to w.
func routerLoggingTo(t *testing.T, env *apitest.Env, w io.Writer) *httptest.Server {
	t.Helper()
	var d api.Deps
	dv, ev := reflect.ValueOf(&d).Elem(), reflect.ValueOf(env).Elem()
	for i := range dv.NumField() {
		f := dv.Type().Field(i)
		if src := ev.FieldByName(f.Name); src.IsValid() && src.Type().AssignableTo(f.Type) {
			dv.Field(i).Set(src)
		}
	}
	d.Log = slog.New(slog.NewJSONHandler(w, nil))
	d.Metrics = nil
	srv := httptest.NewServer(api.NewServer(d))
	t.Cleanup(srv.Close)
	return srv
}

// syncWriter is a bytes.Buffer safe for the server's goroutines.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestRequestIDIsKeptOnlyWhenShortAndPlain(t *testing.T) {
	env := apitest.New(t)
	var logs syncWriter
	srv := routerLoggingTo(t, env, &logs)

	huge := strings.Repeat("A", 900<<10)
	cases := []struct {
		name, sent string
		kept       bool
	}{
		{"a plain id is kept", "client-42_retry.1", true},
		{"64 characters are kept", strings.Repeat("x", 64), true},
		{"900 KB are replaced", huge, false},
		{"65 characters are replaced", strings.Repeat("y", 65), false},
		{"a space is replaced", "two words", false},
		{"a slash is replaced", "a/b", false},
		{"non-ASCII is replaced", "idé", false},
		{"quotes are replaced", `"x"`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/healthz", "/v1/me"} { // 200, and a 401 problem
				req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("X-Request-Id", tc.sent)
				r := platSend(t, srv.Client(), req, nil)
				got := r.Header.Get("X-Request-Id")
				switch {
				case tc.kept && got != tc.sent:
					t.Errorf("%s: X-Request-Id = %.80q, want the client's %q", path, got, tc.sent)
				case !tc.kept && (got == tc.sent || got == "" || len(got) > 64):
					t.Errorf("%s: X-Request-Id = %.80q (%d bytes), want a new id of at most 64 characters", path, got, len(got))
				}
				if len(r.Header.Values("X-Request-Id")) != 1 {
					t.Errorf("%s: %d X-Request-Id headers", path, len(r.Header.Values("X-Request-Id")))
				}
				if id, ok := r.JSON["request_id"]; ok && id != got {
					t.Errorf("%s: problem request_id %v, header %q", path, id, got)
				}
				if !strings.Contains(logs.String(), `"request_id":"`+got+`"`) {
					t.Errorf("%s: the log does not carry the request id %q", path, got)
				}
			}
		})
	}
	if strings.Contains(logs.String(), huge[:1024]) {
		t.Errorf("the 900 KB request id reached the log (%d bytes of log)", len(logs.String()))
	}
}

func TestHEADWorksWhereverGETDoes(t *testing.T) {
	env := apitest.New(t)
	alice := env.Token("alice@example.com")
	order := cmpOrder(t, env)
	get := env.Do(http.MethodGet, "/v1/orders/"+order, alice, nil)

	cases := []struct {
		name, path, token string
		status            int
	}{
		{"liveness", "/healthz", "", 200},
		{"readiness", "/readyz", "", 200},
		{"the OpenAPI document", "/openapi.json", "", 200},
		{"Swagger UI", "/docs", "", 200},
		{"me", "/v1/me", alice, 200},
		{"a list", "/v1/orders", alice, 200},
		{"an order", "/v1/orders/" + order, alice, 200},
		{"its events", "/v1/orders/" + order + "/events", alice, 200},
		{"no token", "/v1/orders/" + order, "", 401},
		{"an order nobody has", "/v1/orders/0195a2c4-7e1b-7c3d-9f00-123456789abc", alice, 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(http.MethodHead, tc.path, tc.token, nil)
			if r.Status != tc.status || len(r.Raw) != 0 {
				t.Errorf("HEAD %s = %d with %d body bytes, want %d and no body", tc.path, r.Status, len(r.Raw), tc.status)
			}
		})
	}
	t.Run("HEAD of an order carries GET's ETag", func(t *testing.T) {
		r := env.Do(http.MethodHead, "/v1/orders/"+order, alice, nil)
		if etag := get.Header.Get("ETag"); etag == "" || r.Header.Get("ETag") != etag {
			t.Errorf("HEAD ETag %q, GET ETag %q", r.Header.Get("ETag"), etag)
		}
	})
}

func TestPathIDsAreCanonicalUUIDs(t *testing.T) {
	env := apitest.New(t)
	alice := env.Token("alice@example.com")
	order := cmpOrder(t, env)
	hex32 := strings.ReplaceAll(order, "-", "")
	cases := []struct {
		name, id string
		status   int
	}{
		{"the canonical form", order, 200},
		{"upper case", strings.ToUpper(order), 200},
		{"in braces", "%7B" + order + "%7D", 404},
		{"as a URN", "urn:uuid:" + order, 404},
		{"32 hex digits", hex32, 404},
		{"the all-zero UUID", "00000000-0000-0000-0000-000000000000", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/v1/orders/" + tc.id, "/v1/orders/" + tc.id + "/events"} {
				r := env.Do(http.MethodGet, path, alice, nil)
				if r.Status != tc.status {
					t.Errorf("GET %s = %d, want %d: %s", path, r.Status, tc.status, r.Raw)
				}
			}
		})
	}
	t.Run("a query id is canonical too", func(t *testing.T) {
		manager := env.Token("manager@fieldops.test")
		expectProblem(t, env.Do(http.MethodGet, "/v1/orders?technician_id=urn:uuid:"+order, manager, nil),
			http.StatusUnprocessableEntity, "technician_id")
	})
}

func TestAQueryCutByADatabaseShutdownIs503(t *testing.T) {
	env := apitest.New(t)
	disp := env.Token("dispatcher@fieldops.test")
	order := cmpOrder(t, env)

	// hold the order's row so the triage below waits on it, in flight
	ctx := context.Background()
	sqlDB, err := env.DB.DB()
	if err != nil {
		t.Fatal(err)
	}
	locker, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Rollback()
	if _, err := locker.ExecContext(ctx, "SELECT 1 FROM orders WHERE id = $1 FOR UPDATE", order); err != nil {
		t.Fatal(err)
	}

	done := make(chan apitest.Response, 1)
	go func() {
		body := []byte(`{"priority":"P2","notes":"waiting on a lock"}`)
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/v1/orders/"+order+"/triage", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+disp)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("triage: %v", err)
			done <- apitest.Response{}
			return
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		apitest.Verify(t, req, body, res, raw)
		out := apitest.Response{Status: res.StatusCode, Header: res.Header, Raw: raw}
		_ = json.Unmarshal(raw, &out.JSON)
		done <- out
	}()

	// the request's backend waits on the lock: terminate it, as a shutdown would
	var terminated bool
	platEventually(t, 20*time.Second, "the triage waits on the row lock and is terminated", func() error {
		var pids []int
		if err := env.DB.Raw(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`).Scan(&pids).Error; err != nil {
			return err
		}
		if len(pids) == 0 {
			return fmt.Errorf("no backend waits on a lock yet")
		}
		for _, pid := range pids {
			if err := env.DB.Exec("SELECT pg_terminate_backend(?)", pid).Error; err != nil {
				return err
			}
		}
		terminated = true
		return nil
	})
	if !terminated {
		return
	}
	var r apitest.Response
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the triage did not answer after its backend was terminated")
	}
	expectProblem(t, r, http.StatusServiceUnavailable)
	if ra := r.Header.Get("Retry-After"); ra == "" {
		t.Errorf("503 without Retry-After")
	}
	if strings.Contains(string(r.Raw), "terminating") || strings.Contains(string(r.Raw), "57P01") {
		t.Errorf("the 503 leaks the database's message: %s", r.Raw)
	}
	locker.Rollback()
	// the pool recovers: the same triage now succeeds
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+order+"/triage", disp, map[string]any{"priority": "P2", "notes": "again"}),
		http.StatusOK, "triage after the outage")
}

// A caller-chosen URL is logged cut to 1 KiB: a megabyte of query is not a
// megabyte of log.
func TestRequestLogBoundsTheURL(t *testing.T) {
	env := apitest.New(t)
	var logs syncWriter
	srv := routerLoggingTo(t, env, &logs)
	for _, path := range []string{"/healthz?q=", "/v1/orders?region=", "/no/such/route?q="} {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path+strings.Repeat("A", 200<<10), nil)
		if err != nil {
			t.Fatal(err)
		}
		platSend(t, srv.Client(), req, nil)
	}
	if n := len(logs.String()); n > 3*4096 {
		t.Fatalf("three requests with 200 KiB URLs wrote %d bytes of log", n)
	}
	if !strings.Contains(logs.String(), "bytes)") {
		t.Fatalf("the log does not say the URL was cut: %.300s", logs.String())
	}
}

// A photo's own fields are bounded: no time from the far future or past, no
// NaN position, no all-zero id; an order's client id is never the zero UUID.
func TestPhotoAndOrderFieldsAreBounded(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "repair")
	img := jpegOf(t, noise(20, 20, 61))
	for _, tc := range []struct {
		field  string
		fields []string
	}{
		{"taken_at", []string{"taken_at", "9999-12-31T23:59:59-23:59"}},
		{"taken_at", []string{"taken_at", "1970-01-01T00:00:00Z"}},
		{"lat", []string{"lat", "NaN", "lng", "NaN"}},
		{"lng", []string{"lat", "10", "lng", "+Inf"}},
		{"id", []string{"id", "00000000-0000-0000-0000-000000000000"}},
	} {
		r := c.photo(t, c.tom, "before", "b.jpg", "image/jpeg", img, tc.fields...)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Raw), `"field":"`+tc.field+`"`) {
			t.Fatalf("%v: %d %s", tc.fields, r.Status, r.Raw)
		}
	}
	if n := env.Count("photos"); n != 0 {
		t.Fatalf("%d photos stored", n)
	}
	mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+c.id+"/photos", c.tom, nil), http.StatusOK, "the list still reads")
	alice := env.Token("alice@example.com")
	r := env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{"id": "00000000-0000-0000-0000-000000000000",
		"type": "repair", "description": "x", "address": map[string]any{"line1": "1 Road", "city": "Northport", "region": "north"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Raw), `"field":"id"`) {
		t.Fatalf("an order with the zero id: %d %s", r.Status, r.Raw)
	}
}
