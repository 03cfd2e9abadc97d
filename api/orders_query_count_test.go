package api_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/fieldops/fieldops/api/apitest"
)

// qcOrdersTable matches a statement that reads the orders table.
var qcOrdersTable = regexp.MustCompile(`(?i)\bFROM\s+"?orders"?(\s|$)`)

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
	t.Run("the technician's job detail", func(t *testing.T) {
		sqls := rec.during(func() { w.get(t, accTom, last) })
		if n := qcOrderReads(sqls); n != 1 {
			t.Errorf("%d statements read orders, want 1:\n%q", n, sqls)
		}
	})
}
