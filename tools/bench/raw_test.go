package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/config"
)

// TestMain lets the test binary serve as the raw server when a test starts
// it as a child process (startRawServer runs os.Executable()).
func TestMain(m *testing.M) {
	if os.Getenv(rawChildEnv) != "" {
		os.Exit(rawChildMain())
	}
	os.Exit(m.Run())
}

// TestRawServerMatchesFieldOps is what makes FieldOps / raw an honest ratio:
// on one seeded database, the raw server's GET answers the same JSON values
// as `fieldops serve` for the same order and caller (technicians on their job
// lists and on orders taken away from them, customers on orders with quotes,
// parts, windows and appointments), refuses the same orders, and an intake
// through each writes the same rows (order, create event, order.created
// outbox row) and answers the same document, apart from ids, numbers and
// times. It fails when FieldOps's SQL or response changes and raw_sql.go /
// raw_order.go were not updated.
func TestRawServerMatchesFieldOps(t *testing.T) {
	adminURL := os.Getenv("DATABASE_URL")
	if adminURL == "" {
		t.Fatal("DATABASE_URL is not set: export DATABASE_URL=$(scripts/devdb.sh start)")
	}
	t.Chdir("../..") // the repository root, as under make bench (the seed cache hashes internal/demo)
	bin := filepath.Join(t.TempDir(), "fieldops")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/fieldops").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/fieldops: %v\n%s", err, out)
	}
	ctx := t.Context()
	secret, err := randomHex(32)
	if err != nil {
		t.Fatal(err)
	}
	o := options{fieldops: bin, technicians: 20, customers: 200, dbPrefix: "fieldops_benchtest_"}
	tg, err := prepare(ctx, o, adminURL, 2000, secret, t.Logf)
	if tg != nil {
		t.Cleanup(func() { tg.close(t.Logf, false) })
	}
	if err != nil {
		t.Fatal(err)
	}
	if tg.raw, err = startRawServer(ctx, tg.runURL, secret, 0, tg.name, t.Logf); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	iss := auth.NewIssuer(secret, cfg.Auth.Issuer, cfg.Auth.Audience, time.Hour, time.Now)
	token := func(id uuid.UUID, role string) string {
		tok, err := iss.Issue(auth.Principal{UserID: id, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	t.Run("get", func(t *testing.T) {
		if _, err := prepareJobList(ctx, tg); err != nil {
			t.Fatal(err)
		}
		reqs := slices.Clone(tg.ownOrders)
		// orders taken away from a technician who had them (the scope's
		// history branch: one more statement on both sides), and orders of
		// other technicians (404 on both)
		pairs := queryPairs(t, tg.db, `SELECT a.technician_id, a.order_id FROM order_assignments a
JOIN orders o ON o.id = a.order_id JOIN users u ON u.id = a.technician_id AND u.active
WHERE o.technician_id IS DISTINCT FROM a.technician_id ORDER BY a.order_id LIMIT 10`)
		pairs = append(pairs, queryPairs(t, tg.db, `SELECT u.id, o.id FROM orders o JOIN users u ON u.role = 'technician' AND u.active
WHERE o.technician_id IS DISTINCT FROM u.id AND NOT EXISTS (
    SELECT 1 FROM order_assignments a WHERE a.order_id = o.id AND a.technician_id = u.id)
ORDER BY o.id, u.id LIMIT 3`)...)
		for _, p := range pairs {
			reqs = append(reqs, request{method: http.MethodGet, path: "/v1/orders/" + p[1].String(), token: token(p[0], "technician")})
		}
		// the seed writes no parts used and no preferred windows: give two
		// orders some, as Go stores them (a time zone other than UTC, a
		// line without serials), so their rendering is compared too
		if _, err := tg.db.Exec(ctx, `UPDATE orders SET preferred_windows = '[{"start": "2026-12-05T08:00:00+08:00", "end": "2026-12-05T10:00:00.5+08:00"}]',
    parts_used = '[{"movement_id": "01a22fb6-833b-7057-8d30-ac2806e5a616", "kind": "issue", "part_id": "01a22fb6-833b-7057-8d30-ac2806e5a617",
        "sku": "DP-800", "name": "Drain pump", "qty": 2, "serials": null, "unit_price": 12900, "covered": true, "amount": 0,
        "location_id": "01a22fb6-833b-7057-8d30-ac2806e5a618", "at": "2026-12-01T10:00:00.123456789+08:00"},
      {"movement_id": "01a22fb6-833b-7057-8d30-ac2806e5a619", "kind": "return", "part_id": "01a22fb6-833b-7057-8d30-ac2806e5a617",
        "sku": "DP-800", "name": "Drain pump", "qty": -1, "serials": ["SN1"], "unit_price": 12900, "covered": false, "amount": -12900,
        "location_id": "01a22fb6-833b-7057-8d30-ac2806e5a618", "at": "2026-12-01T11:00:00Z"}]'
WHERE id IN (SELECT id FROM orders WHERE status IN ('in_progress', 'completed') ORDER BY (quote_items <> '[]') DESC, status, id LIMIT 2)`); err != nil {
			t.Fatal(err)
		}
		// customers on their orders, the richest first (quote, parts,
		// windows, appointment, technician), one per status
		for _, p := range queryPairs(t, tg.db, `SELECT DISTINCT ON (o.status) o.customer_id, o.id FROM orders o
JOIN users u ON u.id = o.customer_id AND u.active
ORDER BY o.status, (o.parts_used <> '[]') DESC, (o.quote_items <> '[]') DESC, (o.preferred_windows <> '[]') DESC,
    (o.appointment_start IS NOT NULL) DESC, (o.technician_id IS NOT NULL) DESC, o.id`) {
			reqs = append(reqs, request{method: http.MethodGet, path: "/v1/orders/" + p[1].String(), token: token(p[0], "customer")})
		}
		statuses := map[int]int{}
		for _, r := range reqs {
			fs, fh, fb := send(t, tg.srv.base, r)
			rs, rh, rb := send(t, tg.raw.base, r)
			statuses[fs]++
			if fs != rs {
				t.Errorf("GET %s: FieldOps %d, raw %d: %s", r.path, fs, rs, rb)
				continue
			}
			if fs != http.StatusOK {
				continue
			}
			if fh.Get("ETag") != rh.Get("ETag") {
				t.Errorf("GET %s: ETag %q vs raw %q", r.path, fh.Get("ETag"), rh.Get("ETag"))
			}
			sameJSON(t, "GET "+r.path, fb, rb, nil)
		}
		t.Logf("GET compared: statuses %v", statuses)
		if statuses[http.StatusOK] < 10 || statuses[http.StatusNotFound] == 0 {
			t.Errorf("statuses %v: want at least 10 orders compared and a 404", statuses)
		}
	})

	t.Run("intake", func(t *testing.T) {
		reqs, err := prepareIntake(ctx, tg)
		if err != nil {
			t.Fatal(err)
		}
		number := regexp.MustCompile(`^FO-\d{4}-\d{6}$`)
		volatile := []string{"id", "number", "created_at", "updated_at", "sla.first_response_due", "sla.on_site_due", "sla.resolution_due"}
		for _, r := range reqs[:min(4, len(reqs))] {
			fs, fh, fb := send(t, tg.srv.base, r)
			rs, rh, rb := send(t, tg.raw.base, r)
			if fs != http.StatusCreated || rs != http.StatusCreated {
				t.Fatalf("POST: FieldOps %d %s; raw %d %s", fs, fb, rs, rb)
			}
			f, rw := sameJSON(t, "POST /v1/orders", fb, rb, volatile)
			ids := []string{}
			for _, d := range []map[string]any{f, rw} {
				if !number.MatchString(fmt.Sprint(d["number"])) {
					t.Errorf("number %v", d["number"])
				}
				ids = append(ids, fmt.Sprint(d["id"]))
			}
			for i, h := range []http.Header{fh, rh} {
				if h.Get("Location") != "/v1/orders/"+ids[i] || h.Get("ETag") != `"1"` {
					t.Errorf("headers %v", h)
				}
			}
			for i, q := range []string{
				// the order, its due times as offsets from its creation
				`SELECT to_jsonb(o) - '{id,number,created_at,updated_at,first_response_due,on_site_due,resolution_due}'::text[]
    || jsonb_build_object('first_response_after', extract(epoch FROM o.first_response_due - o.created_at),
        'on_site_after', extract(epoch FROM o.on_site_due - o.created_at), 'resolution_after', extract(epoch FROM o.resolution_due - o.created_at),
        'updated_after_created', o.updated_at >= o.created_at)
FROM orders o WHERE o.id = $1`,
				`SELECT jsonb_build_object('rows', jsonb_agg((to_jsonb(e) - '{id,order_id,created_at,payload}'::text[]) || jsonb_build_object('payload', e.payload - 'number',
    'at_creation', e.created_at = o.created_at, 'number_is_the_orders', e.payload->>'number' = o.number)))
FROM order_events e JOIN orders o ON o.id = e.order_id WHERE e.order_id = $1`,
				`SELECT jsonb_build_object('rows', jsonb_agg((to_jsonb(b) - '{id,seq,txid,order_id,created_at,data}'::text[]) || jsonb_build_object('data', b.data - '{id,number,occurred_at}'::text[],
    'txid_set', coalesce(to_jsonb(b)->'txid', 'null') <> 'null', -- the writing transaction's id, when the table has the column
    'at_creation', b.created_at = o.created_at, 'id_and_number_are_the_orders', b.data->>'id' = o.id::text AND b.data->>'number' = o.number)))
FROM outbox_events b JOIN orders o ON o.id = b.order_id WHERE b.order_id = $1`,
			} {
				var a, b []byte
				if err := tg.db.QueryRow(ctx, q, ids[0]).Scan(&a); err != nil {
					t.Fatal(err)
				}
				if err := tg.db.QueryRow(ctx, q, ids[1]).Scan(&b); err != nil {
					t.Fatal(err)
				}
				sameJSON(t, "rows of "+[]string{"orders", "order_events", "outbox_events"}[i], a, b, nil)
			}
		}
	})

	// the raw server sends FieldOps's statements in FieldOps's number of
	// round trips: an in-process raw server (serveRaw, the bench's default
	// principal check on every request) with a pgx tracer on its pool
	t.Run("round trips", func(t *testing.T) {
		rt := &rawTracer{}
		rctx, cancel := context.WithCancel(ctx)
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			done <- serveRaw(rctx, rawConfig{dbURL: tg.runURL, secret: secret, issuer: cfg.Auth.Issuer, audience: cfg.Auth.Audience,
				maxConns: 4, tracer: rt}, pw)
			_ = pw.Close()
		}()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("raw server: %v", err)
			}
		})
		banner, err := bufio.NewReader(pr).ReadString('\n')
		if err != nil {
			t.Fatalf("raw server: %v", err)
		}
		base := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(banner), rawBanner+" "), "/v1")
		if len(tg.ownOrders) == 0 { // -run without the get subtest
			if _, err := prepareJobList(ctx, tg); err != nil {
				t.Fatal(err)
			}
		}
		intakes, err := prepareIntake(ctx, tg)
		if err != nil {
			t.Fatal(err)
		}
		if len(tg.ownOrders) == 0 || len(intakes) < 2 {
			t.Fatalf("%d job-list orders, %d intake requests", len(tg.ownOrders), len(intakes))
		}
		for _, c := range []struct {
			name string
			req  request
			want int
			sqls []string // after the principal check
		}{
			// FieldOps's counts are api.TestRoundTripsPerRequest's (GET of
			// one's own order: 1; a customer's intake of their own
			// product: 2, the facts and the write), with its principal
			// cache warm; the raw server asks the principal check first on
			// every request (-raw-principal-ttl 0, the bench's default:
			// docs/PERFORMANCE.md, make bench), one round trip more.
			{"GET of a technician's job", tg.ownOrders[0], http.StatusOK, []string{rawSQLGet}},
			{"a customer's intake of their product", intakes[0], http.StatusCreated, []string{rawSQLIntakeFacts, rawSQLIntake}},
			{"another intake (the statements prepared)", intakes[1], http.StatusCreated, []string{rawSQLIntakeFacts, rawSQLIntake}},
		} {
			rt.reset()
			if st, _, b := send(t, base, c.req); st != c.want {
				t.Fatalf("%s: %d %s", c.name, st, b)
			}
			got := rt.reset()
			want := append([]string{rawSQLActive}, c.sqls...)
			if len(got) != len(want) {
				t.Errorf("%s: the raw server sent %d statements, want %d (the principal check and FieldOps's %d):\n%q", c.name, len(got), len(want), len(c.sqls), got)
				continue
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s: statement %d is\n%s\nwant\n%s", c.name, i+1, got[i], want[i])
				}
			}
		}
	})
}

// rawTracer records the statements the raw server's pool sends (one per
// round trip: the raw server sends no batches).
type rawTracer struct {
	mu   sync.Mutex
	sqls []string
}

func (r *rawTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sqls = append(r.sqls, d.SQL)
	return ctx
}

func (*rawTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// reset returns the statements recorded so far and forgets them.
func (r *rawTracer) reset() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sqls
	r.sqls = nil
	return out
}

// queryPairs reads rows of two UUIDs.
func queryPairs(t *testing.T, db *pgx.Conn, q string) [][2]uuid.UUID {
	t.Helper()
	rows, err := db.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]uuid.UUID, error) {
		var p [2]uuid.UUID
		return p, r.Scan(&p[0], &p[1])
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// send makes one request and returns its status, headers and body.
func send(t *testing.T, base string, r request) (int, http.Header, []byte) {
	t.Helper()
	var body io.Reader
	if r.body != nil {
		body = strings.NewReader(string(r.body))
	}
	req, err := http.NewRequest(r.method, base+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// sameJSON decodes FieldOps's and the raw server's documents and reports
// every difference, after removing the (dotted) keys in skip, which must be
// present in both. It returns the decoded documents.
func sameJSON(t *testing.T, what string, fieldops, raw []byte, skip []string) (map[string]any, map[string]any) {
	t.Helper()
	var f, r map[string]any
	if err := json.Unmarshal(fieldops, &f); err != nil {
		t.Fatalf("%s: FieldOps: %v: %s", what, err, fieldops)
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%s: raw: %v: %s", what, err, raw)
	}
	fc, rc := deepCopy(f), deepCopy(r)
	for _, k := range skip {
		for name, d := range map[string]map[string]any{"FieldOps": fc, "raw": rc} {
			if !dropPath(d, strings.Split(k, ".")) {
				t.Errorf("%s: %s's document has no %s", what, name, k)
			}
		}
	}
	for _, d := range diffJSON("", fc, rc) {
		t.Errorf("%s: %s", what, d)
	}
	return f, r
}

func deepCopy(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func dropPath(m map[string]any, path []string) bool {
	if len(path) == 1 {
		_, ok := m[path[0]]
		delete(m, path[0])
		return ok
	}
	sub, ok := m[path[0]].(map[string]any)
	return ok && dropPath(sub, path[1:])
}

// diffJSON lists the paths where a (FieldOps) and b (raw) differ.
func diffJSON(at string, a, b any) []string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		var out []string
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			av, ina := am[k]
			bv, inb := bm[k]
			switch {
			case !ina:
				out = append(out, fmt.Sprintf("%s.%s: only in the raw server's (%v)", at, k, bv))
			case !inb:
				out = append(out, fmt.Sprintf("%s.%s: missing in the raw server's (FieldOps: %v)", at, k, av))
			default:
				out = append(out, diffJSON(at+"."+k, av, bv)...)
			}
		}
		slices.Sort(out)
		return out
	}
	if !reflect.DeepEqual(a, b) {
		return []string{fmt.Sprintf("%s: FieldOps %v, raw %v", at, a, b)}
	}
	return nil
}
