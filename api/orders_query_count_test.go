package api_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/platform/config"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
)

// qcOrdersTable matches a statement that reads the orders table.
var qcOrdersTable = regexp.MustCompile(`(?i)\b(FROM|JOIN)\s+"?orders"?(\s|$)`)

// qcRecorder records every statement GORM sends on env's database while it is on.
type qcRecorder struct {
	mu   sync.Mutex
	on   bool
	sqls []string
}

// qcRecord registers the recorder on every GORM processor of env.DB (the
// server's pool) and removes it when the test ends.
func qcRecord(t *testing.T, env *apitest.Env) *qcRecorder {
	t.Helper()
	rec := &qcRecorder{}
	record := func(db *gorm.DB) {
		// A DryRun statement is either a subquery being rendered into its
		// statement (not sent) or the order list statement, which the store
		// renders with GORM and sends with pgx (internal/orders/list_scan.go):
		// that one is recognised by its party joins.
		if db.DryRun && !strings.Contains(db.Statement.SQL.String(), "LEFT JOIN users pc") {
			return
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if rec.on {
			rec.sqls = append(rec.sqls, db.Statement.SQL.String())
		}
	}
	cb := env.DB.Callback()
	for name, p := range map[string]interface {
		Register(string, func(*gorm.DB)) error
		Remove(string) error
	}{
		"gorm:create": cb.Create().After("gorm:create"), "gorm:query": cb.Query().After("gorm:query"),
		"gorm:update": cb.Update().After("gorm:update"), "gorm:delete": cb.Delete().After("gorm:delete"),
		"gorm:row": cb.Row().After("gorm:row"), "gorm:raw": cb.Raw().After("gorm:raw"),
	} {
		if err := p.Register("test:count "+name, record); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Remove("test:count " + name) })
	}
	return rec
}

// during returns the statements sent while fn ran.
func (r *qcRecorder) during(fn func()) []string {
	r.mu.Lock()
	r.on, r.sqls = true, nil
	r.mu.Unlock()
	fn()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.sqls
}

// qcOrderReads counts the statements that read orders.
func qcOrderReads(sqls []string) int {
	n := 0
	for _, s := range sqls {
		if qcOrdersTable.MatchString(s) {
			n++
		}
	}
	return n
}

// A page of orders with their customers, technicians, assets and models is
// one query whatever its size (joins, no query per order); so is one order.
func TestOrderListIsOneQueryPerPage(t *testing.T) {
	w := accNewWorld(t)
	var last string
	for range 6 {
		last = w.aliceOrder(t) // each with an asset, a model and tom as technician
		w.step(t, accTom, last, "accept", nil)
	}
	rec := qcRecord(t, w.env)
	for _, email := range []string{accTom, accAlice, accDisp, accManager} {
		w.token(t, email) // log in before counting
	}
	rows := []struct {
		name, email, query string
	}{
		{"technician job list", accTom, "?status=assigned,accepted,scheduled"},
		{"customer's orders", accAlice, ""},
		{"dispatcher's orders", accDisp, ""},
		{"manager's orders", accManager, ""},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			count := map[int]int{}
			for _, limit := range []int{1, 6} {
				sep := "?"
				if row.query != "" {
					sep = "&"
				}
				sqls := rec.during(func() {
					r := mustStatus(t, w.do(t, http.MethodGet, "/v1/orders"+row.query+sep+"limit="+strconv.Itoa(limit), row.email, nil), http.StatusOK, "list")
					if got := len(r.Items(t)); got != limit {
						t.Fatalf("limit %d: %d items", limit, got)
					}
				})
				if n := qcOrderReads(sqls); n != 1 {
					t.Errorf("limit %d: %d statements read orders, want 1:\n%q", limit, n, sqls)
				}
				count[limit] = len(sqls)
			}
			if count[1] != count[6] {
				t.Errorf("a page of 1 took %d statements, a page of 6 took %d: want the same", count[1], count[6])
			}
		})
	}
	// The job detail (GET /v1/orders/{id}) is read by pgx, not GORM
	// (store.getWithParties): TestRoundTripsPerRequest counts its statements
	// at the pgx level (one).
}

// rtCounter is a pgx tracer that records every statement the server's pool
// sends while it is on: one per round trip, BEGIN and COMMIT included.
type rtCounter struct {
	mu   sync.Mutex
	on   bool
	sqls []string
}

func (c *rtCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on {
		c.sqls = append(c.sqls, d.SQL)
	}
	return ctx
}

func (*rtCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart records a batch (one pipeline, one round trip: a
// technician's list page, internal/orders/list_generic.go) as one entry.
func (c *rtCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on {
		sqls := make([]string, 0, d.Batch.Len())
		for _, q := range d.Batch.QueuedQueries {
			sqls = append(sqls, q.SQL)
		}
		c.sqls = append(c.sqls, "batch: "+strings.Join(sqls, "; "))
	}
	return ctx
}

func (*rtCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (*rtCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// during returns the statements sent while fn ran.
func (c *rtCounter) during(fn func()) []string {
	c.mu.Lock()
	c.on, c.sqls = true, nil
	c.mu.Unlock()
	fn()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on = false
	return c.sqls
}

// rtWorld is an accWorld whose server's pool is traced, with a principal
// cache that outlives the test (the count must not depend on its timing).
func rtWorld(t *testing.T) (*accWorld, *rtCounter) {
	t.Helper()
	_, url := dbtest.New(t)
	rt := &rtCounter{}
	db, err := database.Open(url, database.Options{MaxOpenConns: 8, MaxIdleConns: 8, Tracer: rt})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })
	env := apitest.NewOn(t, db, url, func(c *config.Config) { c.Auth.PrincipalCacheTTL = time.Minute })
	return &accWorld{env: env, tok: map[string]string{}}, rt
}

// Round trips per request (issue 8 item 2), counted at the driver: a GET of
// an order is one, intake at most four, with authentication included. The
// caller's role, provider and active flag come from the principal cache
// after their first request (identity.Current); the first costs one more.
func TestRoundTripsPerRequest(t *testing.T) {
	w, rt := rtWorld(t)
	id := w.aliceOrder(t)
	w.step(t, accTom, id, "accept", nil)
	asset := w.asset(t, accAlice, "AC9-DEMO-0001")
	for _, email := range []string{accTom, accAlice, accDisp, accManager} {
		mustStatus(t, w.do(t, http.MethodGet, "/v1/me", email, nil), http.StatusOK, "warm up") // logs in, fills the cache
	}
	submitted := w.submit(t, accAlice, map[string]any{"type": "repair", "description": "Not yet triaged", "address": accAliceAddress()})
	intake := func(headers ...string) apitest.Response {
		return w.do(t, http.MethodPost, "/v1/orders", accAlice, map[string]any{"type": "repair", "description": "AC drips again",
			"asset_id": asset, "address": accAliceAddress()}, headers...)
	}
	rows := []struct {
		name string
		max  int
		send func() apitest.Response
		want int
	}{
		{"a technician's GET of their job", 1, func() apitest.Response { return w.do(t, http.MethodGet, "/v1/orders/"+id, accTom, nil) }, http.StatusOK},
		{"a customer's GET of their order", 1, func() apitest.Response { return w.do(t, http.MethodGet, "/v1/orders/"+id, accAlice, nil) }, http.StatusOK},
		{"a manager's GET", 1, func() apitest.Response { return w.do(t, http.MethodGet, "/v1/orders/"+id, accManager, nil) }, http.StatusOK},
		{"a customer's intake with an asset", 4, func() apitest.Response { return intake() }, http.StatusCreated},
		// BEGIN, the order FOR UPDATE with its parties, the SLA policy (the
		// priority changes), UPDATE, the event, the outbox row (the status
		// changes), COMMIT; the parties are read again only when the
		// technician, asset, model or region changed; the dispatcher's
		// provider kind is cached (identity.InHouse), as the principal is
		{"an in-house dispatcher's triage", 7, func() apitest.Response {
			return w.do(t, http.MethodPost, "/v1/orders/"+submitted+"/triage", accDisp, map[string]any{"priority": "P2"})
		}, http.StatusOK},
		// the sync bound is computed in the list statement, and the plan is
		// the connection's generic one, forced in the same pipeline without a
		// transaction (internal/orders/list_generic.go): one round trip
		{"a technician's job list page", 2, func() apitest.Response {
			return w.do(t, http.MethodGet, "/v1/orders?status=assigned,accepted,scheduled", accTom, nil)
		}, http.StatusOK},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			sqls := rt.during(func() { mustStatus(t, row.send(), row.want, row.name) })
			t.Logf("%d round trips", len(sqls))
			if len(sqls) > row.max {
				t.Errorf("%d round trips, want at most %d:\n%q", len(sqls), row.max, sqls)
			}
		})
	}
	t.Run("intake with an Idempotency-Key commits the key with the order", func(t *testing.T) {
		sqls := rt.during(func() { mustStatus(t, intake("Idempotency-Key", "rt-intake-1"), http.StatusCreated, "intake") })
		at := func(prefix string) int {
			return slices.IndexFunc(sqls, func(q string) bool { return strings.HasPrefix(strings.ToLower(q), prefix) })
		}
		begin, write, mark, commit := at("begin"), at("with ins as (insert into \"orders\""), at(`update "idempotency_records" set "state"`), at("commit")
		if begin < 0 || !(begin < write && write < mark && mark < commit) {
			t.Errorf("the order and the key's mark are not one transaction:\n%q", sqls)
		}
		// the key's claim before and its stored response after are the
		// middleware's own writes: 8 round trips in all
		t.Logf("%d round trips with a key", len(sqls))
	})
	t.Run("the first request of a caller reads the account once", func(t *testing.T) {
		w.token(t, accCarl) // logged in, no request yet
		sqls := rt.during(func() {
			for range 3 { // not carl's order: 404
				mustStatus(t, w.do(t, http.MethodGet, "/v1/orders/"+id, accCarl, nil), http.StatusNotFound, "get")
			}
		})
		n := 0
		for _, q := range sqls {
			if strings.Contains(q, "FROM users WHERE id = $1 AND active") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("3 requests of a new caller read the account %d times, want once:\n%q", n, sqls)
		}
	})
}
