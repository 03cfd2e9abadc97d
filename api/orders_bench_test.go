package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/database"
)

// Benchmarks of the order hot paths through the real HTTP stack (router,
// auth, handlers, services, PostgreSQL) on 100 000 orders. See
// docs/PERFORMANCE.md for how to run them and the numbers.
//
// The data set is built once per process, by the first benchmark that needs
// it (never by tests, TestMain or init: plain `go test` does not pay for it).
// FIELDOPS_EXPLAIN=1 prints EXPLAIN (ANALYZE, BUFFERS) of the main queries
// after the build.

const (
	benchOrders      = 100_000
	benchFixtureNote = "fieldops benchmark fixture" // COMMENT ON DATABASE: the next run drops it
)

// benchTB lets one environment outlive the benchmark that built it: the
// failures go to whichever benchmark is running now, and the cleanups are
// not run (the process ends after the benchmarks; the database is left
// behind, marked, and dropped by the next run's setup).
type benchTB struct {
	testing.TB
}

func (*benchTB) Cleanup(func()) {}

var benchFx struct {
	once sync.Once
	tb   *benchTB
	env  *apitest.Env
	err  string

	client     *http.Client
	techEmail  string
	techTok    string
	dispTok    string
	custTok    string
	custAsset  string
	recent     time.Time // updated_since for the delta sync
	deepCursor string    // dispatcher cursor 90 000 rows deep

	modeMu sync.Mutex
	modes  map[string]*apitest.Env // same database, plan_cache_mode forced
}

// benchFixture returns the shared 100k-order environment, routing its
// failures to b.
func benchFixture(b *testing.B) *apitest.Env {
	b.Helper()
	benchFx.once.Do(func() {
		benchFx.tb = &benchTB{TB: b}
		start := time.Now()
		benchFx.err = "the fixture build stopped (see the first benchmark's log)" // b.Fatal inside the build
		if err := benchBuild(b); err != nil {
			benchFx.err = err.Error()
			return
		}
		benchFx.err = ""
		b.Logf("fixture: %d orders built in %s", benchOrders, time.Since(start).Round(time.Millisecond))
	})
	if benchFx.err != "" {
		b.Fatalf("benchmark fixture: %s", benchFx.err)
	}
	benchFx.tb.TB = b
	return benchFx.env
}

func benchBuild(b *testing.B) error {
	benchDropStale(b)
	env := apitest.New(benchFx.tb)
	benchFx.env = env
	ctx := context.Background()
	if err := env.DB.Exec("DO $$ BEGIN EXECUTE format('COMMENT ON DATABASE %I IS %L', current_database(), '" +
		benchFixtureNote + "'); END $$").Error; err != nil {
		return fmt.Errorf("mark database: %w", err)
	}
	if err := env.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, q := range benchSeedSQL {
			if err := tx.Exec(q).Error; err != nil {
				return fmt.Errorf("%w in\n%s", err, q)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	var n int64
	if err := env.DB.Raw("SELECT count(*) FROM orders").Scan(&n).Error; err != nil || n != benchOrders {
		return fmt.Errorf("the data set has %d orders, want %d (%v)", n, benchOrders, err)
	}
	// Autovacuum would do this on a live table: statistics and the visibility map.
	if err := env.DB.Exec("VACUUM ANALYZE orders, order_assignments, users").Error; err != nil {
		return err
	}

	var pick struct {
		Email string
		N     int
	}
	if err := env.DB.Raw(`SELECT u.email, count(*) AS n FROM order_assignments a JOIN users u ON u.id = a.technician_id
GROUP BY u.email ORDER BY abs(count(*) - 2000), u.email LIMIT 1`).Scan(&pick).Error; err != nil {
		return err
	}
	benchFx.techEmail = pick.Email
	benchFx.techTok = env.Token(pick.Email)
	benchFx.dispTok = env.Token("dispatcher@fieldops.test")
	benchFx.custTok = env.Token("alice@example.com")
	if err := env.DB.Raw(`SELECT id::text FROM assets WHERE serial_number = 'AC9-DEMO-0001'`).Scan(&benchFx.custAsset).Error; err != nil {
		return err
	}
	benchFx.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}

	var deep struct {
		UpdatedAt time.Time
		ID        uuid.UUID
		Now       time.Time
	}
	if err := env.DB.Raw(`SELECT updated_at, id, now() AS now FROM orders ORDER BY updated_at, id OFFSET 90000 LIMIT 1`).
		Scan(&deep).Error; err != nil {
		return err
	}
	benchFx.deepCursor = orders.Cursor{At: deep.UpdatedAt, ID: deep.ID, Bound: deep.Now}.Encode()
	benchFx.recent = deep.Now.Add(-72 * time.Hour)
	b.Logf("fixture: technician %s has %d orders (now or before)", pick.Email, pick.N)

	if os.Getenv("FIELDOPS_EXPLAIN") != "" {
		return benchExplain(env)
	}
	return nil
}

// benchDropStale drops the fixtures earlier runs left behind (only those
// nobody is connected to: DROP DATABASE without FORCE refuses the others).
func benchDropStale(b *testing.B) {
	admin, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		return
	}
	defer admin.Close()
	rows, err := admin.Query(`SELECT d.datname FROM pg_database d JOIN pg_shdescription s
ON s.objoid = d.oid AND s.classoid = 'pg_database'::regclass WHERE s.description = $1`, benchFixtureNote)
	if err != nil {
		return
	}
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, n)
		}
	}
	rows.Close()
	for _, n := range names {
		if _, err := admin.Exec(`DROP DATABASE "` + strings.ReplaceAll(n, `"`, `""`) + `"`); err == nil {
			b.Logf("fixture: dropped %s left by an earlier run", n)
		}
	}
}

// benchSeedSQL builds the data set in one transaction: 46 more technicians
// (50 in all, over four regions and both providers), 20 more customers, and
// 100 000 orders whose status follows their age (the newest 15 % are open,
// older ones mostly closed), each assigned order with its assignment row and
// 15 % with an earlier technician too. updated_at spreads over the last
// ~350 days (the touch trigger, which would stamp them all with one time, is
// off for the insert and on again before the transaction ends).
var benchSeedSQL = []string{
	`INSERT INTO users (id, role, name, email, password_hash, provider_id, skills, regions, daily_capacity, on_duty)
SELECT gen_random_uuid(), 'technician', 'Bench Technician ' || i, 'bench-tech-' || lpad(i::text, 2, '0') || '@fieldops.test',
       tom.password_hash, CASE WHEN i % 4 = 0 THEN partner.id ELSE inhouse.id END,
       ARRAY['repair', 'install', 'maintenance', 'inspection', 'aircon'], ARRAY[(ARRAY['north', 'south', 'east', 'west'])[1 + i % 4]], 8, true
FROM generate_series(1, 46) i,
     (SELECT password_hash FROM users WHERE email = 'tom@fieldops.test') tom,
     (SELECT id FROM providers WHERE kind = 'in_house') inhouse,
     (SELECT id FROM providers WHERE kind = 'partner' ORDER BY name LIMIT 1) partner`,
	`INSERT INTO users (id, role, name, email, password_hash)
SELECT gen_random_uuid(), 'customer', 'Bench Customer ' || i, 'bench-cust-' || lpad(i::text, 2, '0') || '@example.com', alice.password_hash
FROM generate_series(1, 20) i, (SELECT password_hash FROM users WHERE email = 'alice@example.com') alice`,
	`CREATE TEMP TABLE bench_tech ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY email) - 1)::int AS n, id, provider_id, regions[1] AS region FROM users WHERE role = 'technician'`,
	`CREATE TEMP TABLE bench_cust ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY email) - 1)::int AS n, id FROM users WHERE role = 'customer'`,
	`ALTER TABLE orders DISABLE TRIGGER orders_touch`,
	`INSERT INTO orders (id, number, type, channel, priority, status, customer_id, product_model_id, technician_id, provider_id,
    region, address_line1, address_city, address_region, description, in_warranty, warranty_ends_at,
    first_response_due, on_site_due, resolution_due, first_responded_at, appointment_start, appointment_end,
    completed_at, fixed, version, created_by, created_at, updated_at)
SELECT gen_random_uuid(), 'FO-BENCH-' || lpad(g::text, 6, '0'),
    (ARRAY['install', 'repair', 'maintenance', 'inspection', 'return_exchange', 'consultation'])[1 + h.x % 6],
    (ARRAY['app', 'web', 'phone', 'wechat', 'email', 'store', 'partner_api'])[1 + (h.x / 7) % 7],
    (ARRAY['P1', 'P2', 'P3', 'P4'])[1 + (h.x / 49) % 4],
    s.status, c.id, pm.ids[1 + (h.x / 196) % array_length(pm.ids, 1)],
    CASE WHEN s.assigned THEN t.id END, CASE WHEN s.assigned THEN t.provider_id END,
    t.region, g || ' Bench Road', initcap(t.region) || 'port', t.region, 'Benchmark order ' || g || ': the unit does not cool',
    h.x % 3 = 0, CASE WHEN h.x % 3 = 0 THEN (tm.created + interval '200 days')::date END,
    tm.created + interval '1 day', tm.created + interval '3 days', tm.created + interval '7 days',
    CASE WHEN s.status <> 'submitted' THEN tm.created + interval '1 hour' END,
    CASE WHEN s.booked THEN tm.created + interval '2 days' END, CASE WHEN s.booked THEN tm.created + interval '2 days 2 hours' END,
    CASE WHEN s.status IN ('completed', 'closed') THEN tm.created + interval '2 days 3 hours' END,
    CASE WHEN s.status IN ('completed', 'closed') THEN true END,
    1 + h.x % 6, c.id, tm.created, tm.updated
FROM generate_series(1, 100000) g
CROSS JOIN (SELECT (SELECT count(*) FROM bench_tech) AS techs, (SELECT count(*) FROM bench_cust) AS custs) k
CROSS JOIN LATERAL (SELECT (hashint4(g) & 2147483647) % 1000 AS r, (hashint4(g + 1000003) & 2147483647) % k.techs AS tn,
    (hashint4(g + 2000003) & 2147483647) % k.custs AS cn, (hashint4(g + 3000017) & 2147483647) AS x) h
JOIN bench_tech t ON t.n = h.tn
JOIN bench_cust c ON c.n = h.cn
CROSS JOIN (SELECT array_agg(id ORDER BY code) AS ids FROM product_models) pm
CROSS JOIN LATERAL (SELECT now() - (100000 - g) * interval '5 minutes' - (h.x % 240) * interval '1 second' AS updated) tu
CROSS JOIN LATERAL (SELECT tu.updated AS updated, tu.updated - (h.x % 4320) * interval '1 minute' AS created) tm
CROSS JOIN LATERAL (SELECT CASE WHEN g > 85000 THEN
        CASE WHEN h.r < 150 THEN 'submitted' WHEN h.r < 250 THEN 'triaged' WHEN h.r < 400 THEN 'assigned'
             WHEN h.r < 550 THEN 'accepted' WHEN h.r < 750 THEN 'scheduled' WHEN h.r < 780 THEN 'en_route'
             WHEN h.r < 810 THEN 'on_site' WHEN h.r < 840 THEN 'awaiting_approval' WHEN h.r < 900 THEN 'in_progress'
             WHEN h.r < 940 THEN 'awaiting_parts' WHEN h.r < 980 THEN 'completed' ELSE 'cancelled' END
    ELSE
        CASE WHEN h.r < 5 THEN 'awaiting_parts' WHEN h.r < 8 THEN 'scheduled' WHEN h.r < 120 THEN 'completed'
             WHEN h.r < 950 THEN 'closed' ELSE 'cancelled' END
    END AS status) s0
CROSS JOIN LATERAL (SELECT s0.status,
    s0.status NOT IN ('submitted', 'triaged') AND NOT (s0.status = 'cancelled' AND h.r % 2 = 0) AS assigned,
    s0.status NOT IN ('submitted', 'triaged', 'assigned', 'accepted', 'cancelled') AS booked) s`,
	`ALTER TABLE orders ENABLE TRIGGER orders_touch`,
	`INSERT INTO order_assignments (order_id, technician_id, assigned_at)
SELECT id, technician_id, created_at + interval '1 hour' FROM orders WHERE technician_id IS NOT NULL AND number LIKE 'FO-BENCH-%'`,
	`INSERT INTO order_assignments (order_id, technician_id, assigned_at)
SELECT o.id, t2.id, o.created_at + interval '30 minutes'
FROM orders o JOIN bench_tech t1 ON t1.id = o.technician_id JOIN bench_tech t2 ON t2.n = (t1.n + 1) % (SELECT count(*) FROM bench_tech)
WHERE o.number LIKE 'FO-BENCH-%' AND (hashtext(o.number) & 2147483647) % 100 < 15
ON CONFLICT DO NOTHING`,
}

// benchCase is one request a benchmark repeats.
type benchCase struct {
	method, path string
	tok          func() string
	body         []byte
	want         int // status
	minItems     int // for lists: checked once before timing
}

const benchJobList = "/v1/orders?status=assigned,accepted,scheduled&limit=50"

// The cases, built after the fixture (they need its tokens and cursor).
func benchJobListCase() benchCase {
	return benchCase{method: http.MethodGet, path: benchJobList, tok: func() string { return benchFx.techTok }, want: http.StatusOK, minItems: 50}
}

func benchDeltaSyncCase() benchCase {
	return benchCase{method: http.MethodGet, tok: func() string { return benchFx.techTok }, want: http.StatusOK, minItems: 1,
		path: benchJobList + "&updated_since=" + url.QueryEscape(benchFx.recent.UTC().Format(time.RFC3339Nano))}
}

func benchIntakeCase() benchCase {
	body, _ := json.Marshal(map[string]any{"type": "repair", "description": "Benchmark: AC drips water",
		"asset_id": benchFx.custAsset, "address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"}})
	return benchCase{method: http.MethodPost, path: "/v1/orders", tok: func() string { return benchFx.custTok }, body: body, want: http.StatusCreated}
}

func benchDispatcherCase(deep bool) benchCase {
	c := benchCase{method: http.MethodGet, path: "/v1/orders?limit=50", tok: func() string { return benchFx.dispTok }, want: http.StatusOK, minItems: 50}
	if deep {
		c.path += "&cursor=" + benchFx.deepCursor
	}
	return c
}

// benchRun checks c once, then times it through env's server.
func benchRun(b *testing.B, env *apitest.Env, c benchCase) {
	b.Helper()
	n := -1
	if c.minItems > 0 {
		r := env.Do(c.method, c.path, c.tok(), nil)
		items, _ := r.JSON["items"].([]any)
		if r.Status != c.want || len(items) < c.minItems {
			b.Fatalf("%s %s: status %d, %d items (want %d, at least %d): %.300s", c.method, c.path, r.Status, len(items), c.want, c.minItems, r.Raw)
		}
		n = len(items)
	}
	tok := "Bearer " + c.tok()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var body io.Reader
		if c.body != nil {
			body = bytes.NewReader(c.body)
		}
		req, err := http.NewRequest(c.method, env.URL+c.path, body)
		if err != nil {
			b.Fatal(err)
		}
		if c.body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", tok)
		res, err := benchFx.client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body) // read it all, as a client would
		res.Body.Close()
		if res.StatusCode != c.want {
			b.Fatalf("%s %s: status %d, want %d", c.method, c.path, res.StatusCode, c.want)
		}
	}
	if n >= 0 {
		b.ReportMetric(float64(n), "items/op") // after the loop: ResetTimer drops reported metrics
	}
}

// The technician app's job list: open jobs of one technician (~2 000 orders
// now or before), first page of 50.
func BenchmarkTechnicianJobList(b *testing.B) {
	env := benchFixture(b)
	benchRun(b, env, benchJobListCase())
	benchPlanCounts(b, env, "%status IN ($3,$4,$5) ORDER BY%")
}

// The same list as a delta sync: only what changed in the last 72 hours.
func BenchmarkTechnicianDeltaSync(b *testing.B) {
	env := benchFixture(b)
	benchRun(b, env, benchDeltaSyncCase())
}

// Intake: a customer submits a repair for a registered product (warranty
// snapshot, SLA policy, order number, insert, timeline event).
func BenchmarkOrderIntake(b *testing.B) {
	env := benchFixture(b)
	benchRun(b, env, benchIntakeCase())
}

// The in-house dispatcher's list of everything: the first page, and a page
// 90 000 rows deep reached by cursor (keyset: should cost the same).
func BenchmarkDispatcherList(b *testing.B) {
	benchFixture(b)
	b.Run("first_page", func(b *testing.B) { benchRun(b, benchFixture(b), benchDispatcherCase(false)) })
	b.Run("deep_page", func(b *testing.B) { benchRun(b, benchFixture(b), benchDispatcherCase(true)) })
}

// The same requests through servers on the same database whose connections
// run with plan_cache_mode forced. pgx prepares and caches every statement;
// after five executions PostgreSQL may switch a prepared statement to one
// generic plan. force_custom_plan plans every execution for its arguments,
// force_generic_plan always uses the generic plan. Compared with the
// benchmarks above (the default, auto) this shows which plan the default got
// and what the other costs (see docs/PERFORMANCE.md).
func BenchmarkPlanCacheMode(b *testing.B) {
	benchFixture(b)
	cases := []struct {
		name string
		c    func() benchCase
	}{
		{"job_list", benchJobListCase}, {"delta_sync", benchDeltaSyncCase},
		{"dispatcher_first_page", func() benchCase { return benchDispatcherCase(false) }}, {"intake", benchIntakeCase},
	}
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		for _, c := range cases {
			b.Run(mode+"/"+c.name, func(b *testing.B) {
				benchFixture(b)
				env := benchModeEnv(b, mode)
				benchRun(b, env, c.c())
				if c.name == "job_list" {
					benchPlanCounts(b, env, "%status IN ($3,$4,$5) ORDER BY%")
				}
			})
		}
	}
}

// benchPlanCounts logs how often PostgreSQL planned the cached prepared
// statements matching like generically or per execution, on one pooled
// connection (pg_prepared_statements is per session).
func benchPlanCounts(b *testing.B, env *apitest.Env, like string) {
	var rows []struct {
		GenericPlans, CustomPlans int64
	}
	if err := env.DB.Raw(`SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE ?`, like).
		Scan(&rows).Error; err != nil {
		b.Logf("pg_prepared_statements: %v", err)
		return
	}
	for _, r := range rows {
		b.Logf("job-list statement on one pooled connection: %d generic plans, %d custom plans", r.GenericPlans, r.CustomPlans)
	}
}

// benchModeEnv returns a second server on the fixture's database whose
// connections run with the given plan_cache_mode.
func benchModeEnv(b *testing.B, mode string) *apitest.Env {
	benchFx.modeMu.Lock()
	defer benchFx.modeMu.Unlock()
	if env, ok := benchFx.modes[mode]; ok {
		return env
	}
	sep := "?"
	if strings.Contains(benchFx.env.DBURL, "?") {
		sep = "&"
	}
	u := benchFx.env.DBURL + sep + "plan_cache_mode=" + mode // pgx sends unknown URL parameters as run-time settings
	db, err := database.Open(u, database.Options{MaxOpenConns: 20})
	if err != nil {
		b.Fatal(err)
	}
	var got string
	if err := db.Raw("SHOW plan_cache_mode").Scan(&got).Error; err != nil || got != mode {
		b.Fatalf("plan_cache_mode = %q (%v), want %s", got, err, mode)
	}
	env := apitest.NewOn(benchFx.tb, db, u)
	if benchFx.modes == nil {
		benchFx.modes = map[string]*apitest.Env{}
	}
	benchFx.modes[mode] = env
	return env
}

// --- EXPLAIN (FIELDOPS_EXPLAIN=1) ---

// benchQuery is a statement as GORM sent it ($n placeholders) with its arguments.
type benchQuery struct {
	Name string
	SQL  string
	Vars []any
}

// benchCapture runs fn and returns the order list query it made, captured
// from GORM, so the plans are of the statements the service really sends.
func benchCapture(env *apitest.Env, name string, fn func()) (benchQuery, error) {
	var got []benchQuery
	var mu sync.Mutex
	cb := env.DB.Callback().Query()
	if err := cb.After("gorm:query").Register("bench:capture", func(db *gorm.DB) {
		if db.DryRun && !strings.Contains(db.Statement.SQL.String(), "LEFT JOIN users pc") {
			return // the page query rendered as the list statement's subquery (the list statement itself is rendered with DryRun and sent with pgx)
		}
		s := db.Statement.SQL.String()
		if strings.Contains(s, `FROM "orders"`) && strings.Contains(s, "ORDER BY updated_at, id") {
			mu.Lock()
			got = append(got, benchQuery{Name: name, SQL: s, Vars: append([]any(nil), db.Statement.Vars...)})
			mu.Unlock()
		}
	}); err != nil {
		return benchQuery{}, err
	}
	fn()
	if err := cb.Remove("bench:capture"); err != nil {
		return benchQuery{}, err
	}
	if len(got) != 1 {
		return benchQuery{}, fmt.Errorf("%s: captured %d list queries, want 1", name, len(got))
	}
	return got[0], nil
}

// benchLiteral renders an argument as an SQL literal (EXPLAIN and EXECUTE take no parameters here).
func benchLiteral(v any) string {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	switch x := v.(type) {
	case time.Time:
		return q(x.UTC().Format(time.RFC3339Nano)) + "::timestamptz"
	case *time.Time:
		return benchLiteral(*x)
	case uuid.UUID:
		return q(x.String()) + "::uuid"
	case *uuid.UUID:
		return benchLiteral(*x)
	case string:
		return q(x)
	case int, int64, int32:
		return fmt.Sprint(x)
	}
	return q(fmt.Sprint(v))
}

func benchInline(q benchQuery) string {
	s := q.SQL
	for i := len(q.Vars); i >= 1; i-- { // $10 before $1
		s = strings.ReplaceAll(s, fmt.Sprintf("$%d", i), benchLiteral(q.Vars[i-1]))
	}
	return s
}

// benchExplain prints EXPLAIN (ANALYZE, BUFFERS) of the main order queries:
// the custom plan (what the first executions of a prepared statement get)
// and the generic plan (what pgx's statement cache may settle on after five).
func benchExplain(env *apitest.Env) error {
	var qs []benchQuery
	for _, c := range []struct{ name, path, tok string }{
		{"technician job list", benchJobList, benchFx.techTok},
		{"technician delta sync", benchJobList + "&updated_since=" + url.QueryEscape(benchFx.recent.UTC().Format(time.RFC3339Nano)), benchFx.techTok},
		{"dispatcher first page", "/v1/orders?limit=50", benchFx.dispTok},
		{"dispatcher deep page (cursor)", "/v1/orders?limit=50&cursor=" + benchFx.deepCursor, benchFx.dispTok},
	} {
		var status int
		q, err := benchCapture(env, c.name, func() { status = env.Do(http.MethodGet, c.path, c.tok, nil).Status })
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("%s: GET %s: status %d", c.name, c.path, status)
		}
		qs = append(qs, q)
	}
	// Dispatch's open-jobs count (store.openJobs) for the on-duty technicians of one region.
	var techs []uuid.UUID
	if err := env.DB.Raw(`SELECT id FROM users WHERE role = 'technician' AND 'north' = ANY (regions) ORDER BY id`).Scan(&techs).Error; err != nil {
		return err
	}
	var rows []struct {
		TechnicianID uuid.UUID
		N            int
	}
	dry := env.DB.Session(&gorm.Session{DryRun: true}).Model(&orders.Order{}).Select("technician_id, count(*) AS n").
		Where("technician_id IN ? AND status IN ?", techs, orders.OpenStatuses).Group("technician_id").Scan(&rows)
	qs = append(qs, benchQuery{Name: fmt.Sprintf("dispatch open-jobs count (%d technicians)", len(techs)),
		SQL: dry.Statement.SQL.String(), Vars: dry.Statement.Vars})

	sqlDB, err := env.DB.DB()
	if err != nil {
		return err
	}
	ctx := context.Background()
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	lines := func(query string) ([]string, error) {
		rs, err := conn.QueryContext(ctx, query)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var out []string
		for rs.Next() {
			var l string
			if err := rs.Scan(&l); err != nil {
				return nil, err
			}
			out = append(out, l)
		}
		return out, rs.Err()
	}
	var sb strings.Builder
	summary, err := lines(`SELECT format('%s orders (%s with a technician), %s order_assignments rows; technician %s sees %s orders, %s of them assigned/accepted/scheduled; system-wide %s assigned/accepted/scheduled, %s open',
    (SELECT count(*) FROM orders), (SELECT count(*) FROM orders WHERE technician_id IS NOT NULL), (SELECT count(*) FROM order_assignments),
    u.email, (SELECT count(*) FROM order_assignments a WHERE a.technician_id = u.id),
    (SELECT count(*) FROM orders o JOIN order_assignments a ON a.order_id = o.id WHERE a.technician_id = u.id AND o.status IN ('assigned', 'accepted', 'scheduled')),
    (SELECT count(*) FROM orders WHERE status IN ('assigned', 'accepted', 'scheduled')),
    (SELECT count(*) FROM orders WHERE status IN ('assigned', 'accepted', 'scheduled', 'en_route', 'on_site', 'awaiting_approval', 'in_progress', 'awaiting_parts')))
FROM users u WHERE u.email = '` + benchFx.techEmail + `'`)
	if err != nil {
		return err
	}
	fmt.Fprintf(&sb, "\n===== data set: %s\n", strings.Join(summary, ""))
	for _, q := range qs {
		fmt.Fprintf(&sb, "\n===== %s\n%s\n", q.Name, q.SQL)
		for i, v := range q.Vars {
			fmt.Fprintf(&sb, "  $%d = %s\n", i+1, benchLiteral(v))
		}
		custom, err := lines("EXPLAIN (ANALYZE, BUFFERS) " + benchInline(q))
		if err != nil {
			return fmt.Errorf("%s: %w", q.Name, err)
		}
		fmt.Fprintf(&sb, "--- custom plan\n%s\n", strings.Join(custom, "\n"))
		args := make([]string, len(q.Vars))
		for i, v := range q.Vars {
			args[i] = benchLiteral(v)
		}
		if _, err := conn.ExecContext(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, "PREPARE bench_q AS "+q.SQL); err != nil {
			return fmt.Errorf("%s: prepare: %w", q.Name, err)
		}
		generic, err := lines("EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_q(" + strings.Join(args, ", ") + ")")
		if _, err2 := conn.ExecContext(ctx, "DEALLOCATE bench_q; RESET plan_cache_mode"); err2 != nil && err == nil {
			err = err2
		}
		if err != nil {
			return fmt.Errorf("%s: generic: %w", q.Name, err)
		}
		fmt.Fprintf(&sb, "--- generic plan\n%s\n", strings.Join(generic, "\n"))
	}
	fmt.Println(sb.String())
	return nil
}
