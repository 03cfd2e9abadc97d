package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/demo"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/password"
	"github.com/fieldops/fieldops/migrations"
)

// cheapArgon2 keeps password hashing fast in tests; behaviour does not depend on cost.
var cheapArgon2 = []string{"FIELDOPS_ARGON2_MEMORY_KIB=1024", "FIELDOPS_ARGON2_TIME=1"}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reading test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		<-tick.C
	}
}

// receive waits for a value on c with a deadline.
func receive[T any](t *testing.T, c <-chan T, within time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(within):
		t.Fatalf("timed out after %v waiting for %s", within, what)
		panic("unreachable")
	}
}

// runCmd runs the program with args and returns its output and error.
func runCmd(t *testing.T, environ []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	err = run(ctx, args, environ, &out, &errb)
	return out.String(), errb.String(), err
}

// publicTables lists the tables of the public schema, sorted.
func publicTables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// migrationNames are the embedded migrations, e.g. "000001_identity_catalog".
func migrationNames(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no embedded migrations (%v)", err)
	}
	for i, n := range names {
		names[i] = strings.TrimSuffix(n, ".up.sql")
	}
	sort.Strings(names)
	return names
}

// statusOf parses `migrate status` output into name → state and the summary line.
func statusOf(t *testing.T, out string) (map[string]string, string) {
	t.Helper()
	states := map[string]string{}
	var summary string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && (f[0] == "applied" || f[0] == "pending"):
			states[f[1]] = f[0]
		case strings.HasPrefix(line, "version "):
			summary = line
		default:
			t.Errorf("unexpected status line %q", line)
		}
	}
	return states, summary
}

func TestRunCommandLine(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantErr    string // "" = success
		wantStdout string
	}{
		{"no command is an error with the usage", nil, "usage:", ""},
		{"an unknown command is named", []string{"frobnicate"}, `unknown command "frobnicate"`, ""},
		{"help prints the usage", []string{"help"}, "", "fieldops migrate up"},
		{"--help prints the usage", []string{"--help"}, "", "fieldops users create"},
		{"migrate without a subcommand is an error", []string{"migrate"}, "want up, down", ""},
		{"users without create is an error", []string{"users", "delete"}, "users: want create", ""},
		{"database commands need DATABASE_URL", []string{"migrate", "status"}, "DATABASE_URL", ""},
		{"seed needs DATABASE_URL", []string{"seed"}, "DATABASE_URL", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, _, err := runCmd(t, nil, tc.args...)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("run(%q) = %v", tc.args, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("run(%q) = %v, want an error mentioning %q", tc.args, err, tc.wantErr)
			}
			if !strings.Contains(stdout, tc.wantStdout) {
				t.Errorf("stdout %q lacks %q", stdout, tc.wantStdout)
			}
		})
	}
}

func TestMigrateUpStatusDownUp(t *testing.T) {
	db, dbURL := dbtest.Empty(t)
	env := []string{"DATABASE_URL=" + dbURL}
	names := migrationNames(t)
	wantTables := []string{"appointments", "asset_claims", "assets", "complaint_events", "complaints", "completions", "follow_ups", "idempotency_records", "login_throttles",
		"notifications", "order_assignments", "order_events", "orders", "outbox_events", "parts", "photo_variants", "photos", "product_models", "providers", "ratings",
		"refresh_tokens", "region_holidays", "regions", "river_job", "river_leader", "river_migration", "river_notification", "river_queue", "schema_migrations", "sla_policies", "stock_balances", "stock_locations", "stock_movements", "stock_serials", "users", "webhook_deliveries", "webhook_messages", "webhook_relay", "webhooks"}

	wantTables = append(wantTables, "api_clients", "rate_limits") // issue 12, migration 000018
	slices.Sort(wantTables)

	expectStatus := func(t *testing.T, out, state, summary string) {
		t.Helper()
		states, sum := statusOf(t, out)
		for _, n := range names {
			if states[n] != state {
				t.Errorf("migration %s is %q, want %q\n%s", n, states[n], state, out)
			}
		}
		if len(states) != len(names) {
			t.Errorf("status lists %d migrations, want %d\n%s", len(states), len(names), out)
		}
		if sum != summary {
			t.Errorf("summary = %q, want %q", sum, summary)
		}
	}
	latest := strings.TrimLeft(strings.SplitN(names[len(names)-1], "_", 2)[0], "0")

	t.Run("up applies every migration", func(t *testing.T) {
		if _, _, err := runCmd(t, env, "migrate", "up"); err != nil {
			t.Fatalf("migrate up: %v", err)
		}
		out, _, err := runCmd(t, env, "migrate", "status")
		if err != nil {
			t.Fatalf("migrate status: %v", err)
		}
		expectStatus(t, out, "applied", "version "+latest+", dirty false")
		if got := publicTables(t, db); !slices.Equal(got, wantTables) {
			t.Errorf("tables = %v, want %v", got, wantTables)
		}
	})
	t.Run("up again is a no-op", func(t *testing.T) {
		out, _, err := runCmd(t, env, "migrate", "up")
		if err != nil {
			t.Fatalf("second migrate up: %v", err)
		}
		expectStatus(t, out, "applied", "version "+latest+", dirty false")
	})
	t.Run("bad down arguments are refused without touching the schema", func(t *testing.T) {
		for _, args := range [][]string{{"down", "0"}, {"down", "-1"}, {"down", "some"}, {"sideways"}} {
			_, _, err := runCmd(t, env, append([]string{"migrate"}, args...)...)
			if err == nil {
				t.Errorf("migrate %q succeeded, want an error", args)
			}
		}
		if got := publicTables(t, db); !slices.Equal(got, wantTables) {
			t.Errorf("tables = %v after refused commands, want %v", got, wantTables)
		}
	})
	t.Run("down all drops every table", func(t *testing.T) {
		out, _, err := runCmd(t, env, "migrate", "down", "all")
		if err != nil {
			t.Fatalf("migrate down all: %v", err)
		}
		expectStatus(t, out, "pending", "version 0, dirty false")
		if got := publicTables(t, db); !slices.Equal(got, []string{"schema_migrations"}) {
			t.Errorf("tables after down all = %v, want only schema_migrations", got)
		}
		out, _, err = runCmd(t, env, "migrate", "status")
		if err != nil {
			t.Fatalf("migrate status: %v", err)
		}
		expectStatus(t, out, "pending", "version 0, dirty false")
	})
	t.Run("up after down recreates the schema", func(t *testing.T) {
		out, _, err := runCmd(t, env, "migrate", "up")
		if err != nil {
			t.Fatalf("migrate up after down: %v", err)
		}
		expectStatus(t, out, "applied", "version "+latest+", dirty false")
		if got := publicTables(t, db); !slices.Equal(got, wantTables) {
			t.Errorf("tables = %v, want %v", got, wantTables)
		}
	})
}

func TestUsersCreate(t *testing.T) {
	gdb, dbURL := dbtest.New(t)
	env := append([]string{"DATABASE_URL=" + dbURL}, cheapArgon2...)
	const pw = "a long enough password"
	created := regexp.MustCompile(`^created manager ([0-9a-f-]{36}) \(Mia Manager\)\n$`)

	countByEmail := func(t *testing.T, email string) int64 {
		t.Helper()
		var n int64
		if err := gdb.Table("users").Where("lower(email) = lower(?)", email).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("creates a manager and prints its id", func(t *testing.T) {
		stdout, stderr, err := runCmd(t, env, "users", "create", "--role", "manager", "--name", "Mia Manager",
			"--email", "Mia.Manager@Example.com", "--password", pw)
		if err != nil {
			t.Fatalf("users create: %v\n%s", err, stderr)
		}
		m := created.FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("stdout = %q, want %q", stdout, created)
		}
		var row struct {
			Role, Name, Email, PasswordHash string
			ProviderID                      *string
			Active                          bool
		}
		if err := gdb.Table("users").Where("id = ?", m[1]).Take(&row).Error; err != nil {
			t.Fatalf("the printed id %s is not in users: %v", m[1], err)
		}
		if row.Role != "manager" || row.Name != "Mia Manager" || row.Email != "mia.manager@example.com" || !row.Active || row.ProviderID != nil {
			t.Errorf("row = %+v, want an active manager mia.manager@example.com without provider", row)
		}
		if !strings.Contains(row.PasswordHash, "$m=1024,t=1,") {
			t.Errorf("hash %q was not made with the configured argon2 parameters", row.PasswordHash)
		}
		if ok, err := password.NewHasher(password.Params{}).Check(context.Background(), row.PasswordHash, pw); err != nil || !ok {
			t.Errorf("the stored hash does not check against the given password (%v, %v)", ok, err)
		}
	})
	t.Run("a second user with the same e-mail fails", func(t *testing.T) {
		stdout, stderr, err := runCmd(t, env, "users", "create", "--role", "manager", "--name", "Other Mia",
			"--email", "MIA.MANAGER@example.com", "--password", pw)
		if err == nil {
			t.Fatalf("duplicate e-mail accepted: %s", stdout)
		}
		if !errs.Is(err, errs.Conflict) {
			t.Errorf("error kind = %s, want conflict (%v)", errs.KindOf(err), err)
		}
		if !strings.Contains(stderr, "--email:") {
			t.Errorf("stderr %q does not name --email", stderr)
		}
		if n := countByEmail(t, "mia.manager@example.com"); n != 1 {
			t.Errorf("%d users with that e-mail, want 1", n)
		}
	})
	invalid := []struct {
		name, flag string
		args       []string
	}{
		{"a short password is refused", "--password:", []string{"--role", "manager", "--name", "Pat", "--email", "pat@example.com", "--password", "short"}},
		{"an unknown role is refused", "--role:", []string{"--role", "customer", "--name", "Pat", "--email", "pat@example.com", "--password", pw}},
		{"a missing name is refused", "--name:", []string{"--role", "manager", "--email", "pat@example.com", "--password", pw}},
		{"a bad provider id is refused", "--provider-id", []string{"--role", "technician", "--name", "Pat", "--email", "pat@example.com", "--password", pw, "--provider-id", "nope"}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runCmd(t, env, append([]string{"users", "create"}, tc.args...)...)
			if err == nil {
				t.Fatal("users create succeeded, want an error")
			}
			if !strings.Contains(stderr, tc.flag) && !strings.Contains(err.Error(), tc.flag) {
				t.Errorf("neither stderr %q nor error %q names %s", stderr, err, tc.flag)
			}
			if n := countByEmail(t, "pat@example.com"); n != 0 {
				t.Errorf("a user was created anyway")
			}
		})
	}
}

// freeAddr returns a loopback address with a port nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func refusesConnections(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

func TestServeRefusesAWeakSecretOutsideDevMode(t *testing.T) {
	tests := []struct {
		name, secret, want string
	}{
		{"no secret", "", "FIELDOPS_JWT_SECRET"},
		{"a 31-byte secret", strings.Repeat("x", 31), "too short"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := freeAddr(t)
			// No database answers at this URL: the secret must be checked before any connection.
			env := []string{"DATABASE_URL=postgres://nobody@127.0.0.1:1/nowhere?connect_timeout=1", "FIELDOPS_HTTP_ADDR=" + addr}
			if tc.secret != "" {
				env = append(env, "FIELDOPS_JWT_SECRET="+tc.secret)
			}
			stdout, _, err := runCmd(t, env, "serve")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("serve = %v, want an error mentioning %q", err, tc.want)
			}
			if stdout != "" {
				t.Errorf("serve printed %q before refusing", stdout)
			}
			if !refusesConnections(addr) {
				t.Errorf("something listens on %s", addr)
			}
		})
	}
}

// server is a `fieldops serve` running in a goroutine.
type server struct {
	base           string
	metrics        string // the metrics listener's base URL
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan error
	stopped        bool
}

// startServe runs `fieldops args…` and waits until /healthz answers 200.
func startServe(t *testing.T, environ []string, args ...string) *server {
	t.Helper()
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{base: "http://" + addr, metrics: "http://" + metricsAddr, stdout: &syncBuffer{}, stderr: &syncBuffer{},
		cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- run(ctx, args, append(environ, "FIELDOPS_HTTP_ADDR="+addr, "FIELDOPS_METRICS_ADDR="+metricsAddr), s.stdout, s.stderr)
	}()
	t.Cleanup(func() {
		if !s.stopped {
			cancel()
			<-s.done
		}
	})
	client := &http.Client{Timeout: 2 * time.Second}
	waitUntil(t, 90*time.Second, "GET /healthz = 200", func() bool {
		select {
		case err := <-s.done:
			s.stopped = true
			t.Fatalf("run returned before serving: %v\nstderr:\n%s", err, s.stderr)
		default:
		}
		resp, err := checkedGet(t, client, s.base+"/healthz")
		return err == nil && resp.StatusCode == http.StatusOK
	})
	return s
}

// stop cancels the context and checks that run returns nil and the port closes.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	err := receive(t, s.done, 30*time.Second, "run to return after cancel")
	s.stopped = true
	if err != nil {
		t.Errorf("run returned %v after cancel, want nil\nstderr:\n%s", err, s.stderr)
	}
	for _, base := range []string{s.base, s.metrics} {
		if !refusesConnections(strings.TrimPrefix(base, "http://")) {
			t.Errorf("%s still accepts connections after run returned", base)
		}
	}
}

// login posts credentials and returns the status and the decoded body.
func (s *server) login(t *testing.T, login, pw string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"login": login, "password": pw})
	req, err := http.NewRequest(http.MethodPost, s.base+"/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	apitest.Verify(t, req, body, resp, raw)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func (s *server) get(t *testing.T, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	apitest.Verify(t, req, nil, resp, b)
	return resp.StatusCode, string(b)
}

// checkedGet GETs url and checks the exchange against the OpenAPI document
// (apitest.Verify); the body is read and closed.
func checkedGet(t *testing.T, client *http.Client, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	apitest.Verify(t, req, nil, resp, b)
	return resp, nil
}

func TestServe(t *testing.T) {
	gdb, dbURL := dbtest.New(t)
	const bossEmail, bossPassword = "boss@example.com", "bootstrap-secret-pw"
	env := append([]string{
		"DATABASE_URL=" + dbURL,
		"FIELDOPS_DEV=true",
		"FIELDOPS_BOOTSTRAP_MANAGER_EMAIL=" + bossEmail,
		"FIELDOPS_BOOTSTRAP_MANAGER_PASSWORD=" + bossPassword,
	}, cheapArgon2...)

	t.Run("serve --seed on a fresh database", func(t *testing.T) {
		s := startServe(t, env, "serve", "--seed")

		t.Run("prints where the docs are and the demo logins", func(t *testing.T) {
			out := s.stdout.String()
			for _, want := range append([]string{s.base + "/docs", s.base + "/v1", "Demo logins", demo.Password},
				func() (emails []string) {
					for _, a := range demo.Accounts {
						emails = append(emails, a.Email+" ("+a.Role+")")
					}
					return
				}()...) {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
		})
		t.Run("logs the config with the generated secret masked", func(t *testing.T) {
			logs := s.stderr.String()
			for _, want := range []string{`"jwt_secret":"***"`, `"jwt_secret_generated":true`, "created the bootstrap manager"} {
				if !strings.Contains(logs, want) {
					t.Errorf("stderr lacks %q:\n%s", want, logs)
				}
			}
		})
		t.Run("the bootstrap manager was created before the demo seed and can log in", func(t *testing.T) {
			status, body := s.login(t, bossEmail, bossPassword)
			if status != http.StatusOK {
				t.Fatalf("login = %d %v, want 200", status, body)
			}
			tok, _ := body["access_token"].(string)
			code, me := s.get(t, "/v1/me", tok)
			if code != http.StatusOK || !strings.Contains(me, `"role":"manager"`) || !strings.Contains(me, bossEmail) {
				t.Errorf("GET /v1/me = %d %s, want the bootstrap manager", code, me)
			}
			var managers int64
			if err := gdb.Table("users").Where("role = 'manager'").Count(&managers).Error; err != nil {
				t.Fatal(err)
			}
			if managers != 2 {
				t.Errorf("%d managers, want 2 (bootstrap and demo)", managers)
			}
		})
		t.Run("the demo manager can log in", func(t *testing.T) {
			if status, body := s.login(t, "manager@fieldops.test", demo.Password); status != http.StatusOK {
				t.Errorf("login = %d %v, want 200", status, body)
			}
		})
		t.Run("a wrong password is refused", func(t *testing.T) {
			if status, _ := s.login(t, bossEmail, "not-the-password"); status != http.StatusUnauthorized {
				t.Errorf("login with a wrong password = %d, want 401", status)
			}
		})
		t.Run("metrics are served on their own listener, not on the API port", func(t *testing.T) {
			if !strings.Contains(s.stdout.String(), s.metrics+"/metrics") {
				t.Errorf("stdout does not say where the metrics are (%s/metrics):\n%s", s.metrics, s.stdout)
			}
			resp, err := http.Get(s.metrics + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `fieldops_http_requests_total{code="200",host="",method="POST",url="/v1/auth/login"}`) {
				t.Errorf("GET %s/metrics = %d, want 200 counting the logins above:\n%.2000s", s.metrics, resp.StatusCode, body)
			}
			if code, body := s.get(t, "/metrics", ""); code != http.StatusNotFound {
				t.Errorf("GET /metrics on the API port = %d %.200s, want 404", code, body)
			}
		})
		t.Run("Swagger UI is served", func(t *testing.T) {
			code, body := s.get(t, "/docs", "")
			if code != http.StatusOK || !strings.Contains(body, "swagger-ui") {
				t.Errorf("GET /docs = %d %.200s", code, body)
			}
		})
		s.stop(t)
	})

	t.Run("no bootstrap manager is created when a manager exists", func(t *testing.T) {
		const other = "second-boss@example.com"
		env2 := append(slices.Clone(env), "FIELDOPS_BOOTSTRAP_MANAGER_EMAIL="+other) // the later value wins
		s := startServe(t, env2, "serve")
		if status, _ := s.login(t, other, bossPassword); status != http.StatusUnauthorized {
			t.Errorf("login as %s = %d, want 401", other, status)
		}
		s.stop(t)
		var n int64
		if err := gdb.Table("users").Where("email = ?", other).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s was created although managers exist", other)
		}
		if strings.Contains(s.stderr.String(), "created the bootstrap manager") {
			t.Errorf("the log claims a bootstrap manager was created")
		}
		if strings.Contains(s.stdout.String(), "Demo logins") {
			t.Errorf("serve without --seed printed the demo logins")
		}
	})
}

// dbGate is a TCP proxy to PostgreSQL that hangs up on every connection
// (counting them) until it is opened, like a database that is still starting.
type dbGate struct {
	ln       net.Listener
	target   string
	open     atomic.Bool
	refused  atomic.Int32
	mu       sync.Mutex
	conns    []net.Conn
	shutdown atomic.Bool
}

func newDBGate(t *testing.T, target string) *dbGate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &dbGate{ln: ln, target: target}
	go g.serve()
	t.Cleanup(func() {
		g.shutdown.Store(true)
		ln.Close()
		g.mu.Lock()
		defer g.mu.Unlock()
		for _, c := range g.conns {
			c.Close()
		}
	})
	return g
}

func (g *dbGate) serve() {
	for {
		c, err := g.ln.Accept()
		if err != nil {
			return
		}
		if !g.open.Load() {
			g.refused.Add(1)
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", g.target)
		if err != nil {
			c.Close()
			continue
		}
		g.mu.Lock()
		g.conns = append(g.conns, c, up)
		g.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

func TestServeWaitsForTheDatabase(t *testing.T) {
	_, dbURL := dbtest.New(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	gate := newDBGate(t, u.Host)
	u.Host = gate.ln.Addr().String()
	addr := freeAddr(t)
	env := append([]string{"DATABASE_URL=" + u.String(), "FIELDOPS_DEV=true", "FIELDOPS_HTTP_ADDR=" + addr,
		"FIELDOPS_METRICS_ADDR=" + freeAddr(t)}, cheapArgon2...)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	var stdout, stderr syncBuffer
	go func() { done <- run(ctx, []string{"serve"}, env, &stdout, &stderr) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	// The server keeps retrying while the database is down.
	waitUntil(t, 30*time.Second, "three refused connection attempts", func() bool {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve gave up while the database was down: %v", err)
		default:
		}
		return gate.refused.Load() >= 3
	})
	if stdout.String() != "" {
		t.Errorf("serve announced itself before the database answered: %q", stdout.String())
	}
	gate.open.Store(true)

	client := &http.Client{Timeout: 2 * time.Second}
	waitUntil(t, 60*time.Second, "GET /readyz = 200 once the database is up", func() bool {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve returned %v", err)
		default:
		}
		resp, err := checkedGet(t, client, "http://"+addr+"/readyz")
		return err == nil && resp.StatusCode == http.StatusOK
	})
	cancel()
	if err := receive(t, done, 30*time.Second, "run to return after cancel"); err != nil {
		t.Errorf("run = %v after cancel, want nil", err)
	}
	done <- nil // for the cleanup
}

// slowServer is an http.Server whose /slow handler blocks until released.
type slowServer struct {
	srv              *http.Server
	ln               net.Listener
	addr             string
	started, release chan struct{}
	releaseOnce      sync.Once
}

const slowBody = "the whole slow response body"

func newSlowServer(t *testing.T) *slowServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &slowServer{ln: ln, addr: ln.Addr().String(), started: make(chan struct{}), release: make(chan struct{})}
	var once sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(s.started) })
		<-s.release
		w.Header().Set("Content-Length", "28")
		_, _ = io.WriteString(w, slowBody)
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	t.Cleanup(func() {
		s.unblock()
		s.srv.Close()
	})
	return s
}

func (s *slowServer) unblock() { s.releaseOnce.Do(func() { close(s.release) }) }

type response struct {
	status int
	body   string
	err    error
}

// getSlow fires GET /slow in a goroutine.
func (s *slowServer) getSlow() <-chan response {
	out := make(chan response, 1)
	go func() {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := client.Get("http://" + s.addr + "/slow")
		if err != nil {
			out <- response{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- response{status: resp.StatusCode, body: string(b), err: err}
	}()
	return out
}

func TestServeHTTPFinishesInFlightRequests(t *testing.T) {
	s := newSlowServer(t)
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() {
		served <- serveHTTP(ctx, s.srv, s.ln, 5*time.Second, slog.New(slog.NewJSONHandler(&logs, nil)))
	}()

	got := s.getSlow()
	receive(t, s.started, 10*time.Second, "the slow handler to start")
	cancel()

	// Shutdown closes the listener first: new connections are refused while the request runs.
	waitUntil(t, 10*time.Second, "new connections to be refused", func() bool { return refusesConnections(s.addr) })
	select {
	case err := <-served:
		t.Fatalf("serveHTTP returned %v while a request was still in flight", err)
	case r := <-got:
		t.Fatalf("the in-flight request ended before its handler was released: %+v", r)
	default:
	}

	s.unblock()
	r := receive(t, got, 10*time.Second, "the in-flight response")
	if r.err != nil || r.status != http.StatusOK || r.body != slowBody {
		t.Errorf("in-flight request = %d %q %v, want 200 %q", r.status, r.body, r.err, slowBody)
	}
	if err := receive(t, served, 10*time.Second, "serveHTTP to return"); err != nil {
		t.Errorf("serveHTTP = %v, want nil", err)
	}
	for _, want := range []string{"shutting down", "stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
}

func TestServeHTTPGivesUpAfterTheGracePeriod(t *testing.T) {
	s := newSlowServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- serveHTTP(ctx, s.srv, s.ln, 200*time.Millisecond, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	}()
	_ = s.getSlow()
	receive(t, s.started, 10*time.Second, "the slow handler to start")
	cancel()
	err := receive(t, served, 10*time.Second, "serveHTTP to give up")
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "shutdown") {
		t.Errorf("serveHTTP = %v, want a shutdown error wrapping context.DeadlineExceeded", err)
	}
}

func TestServeHTTPReturnsTheServeError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // Serve fails at once
	served := make(chan error, 1)
	go func() {
		served <- serveHTTP(context.Background(), &http.Server{}, ln, time.Second, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	}()
	if err := receive(t, served, 10*time.Second, "serveHTTP to return"); !errors.Is(err, net.ErrClosed) {
		t.Errorf("serveHTTP = %v, want the listener's net.ErrClosed", err)
	}
}

func TestDisplayAddr(t *testing.T) {
	tests := []struct {
		name string
		addr net.Addr
		want string
	}{
		{"all IPv6 interfaces show as localhost", &net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "localhost:8080"},
		{"all IPv4 interfaces show as localhost", &net.TCPAddr{IP: net.IPv4zero.To4(), Port: 8080}, "localhost:8080"},
		{"no host shows as localhost", &net.TCPAddr{Port: 9090}, "localhost:9090"},
		{"a specific IPv4 address is kept", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 81}, "127.0.0.1:81"},
		{"a specific IPv6 address is bracketed", &net.TCPAddr{IP: net.IPv6loopback, Port: 82}, "[::1]:82"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := displayAddr(tc.addr); got != tc.want {
				t.Errorf("displayAddr(%v) = %q, want %q", tc.addr, got, tc.want)
			}
		})
	}
}
