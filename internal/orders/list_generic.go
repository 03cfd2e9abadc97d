package orders

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// A technician's page (the job list and the delta sync, the app's hot path)
// is a cached prepared statement run with a generic plan. Its plan is the
// same whatever the arguments: the walk of order_assignments' technician
// index, orders and the parties by primary key (docs/PERFORMANCE.md, "List
// pages at 32 clients"). Planned per request (the simple protocol, as the
// other narrowed lists are), the three-status UNION ALL with its party joins
// took 1.6–2 ms of PostgreSQL's CPU to plan and about 1 ms to run; with the
// generic plan kept by the connection, planning is gone (0.01 ms).
//
// PostgreSQL's own choice (plan_cache_mode = auto) keeps re-planning: the
// generic plan's estimate, made without the bound's value, is costlier than
// a custom plan's. So the statement is sent in one pipeline with
// set_config('plan_cache_mode', 'force_generic_plan', true) before it: both
// run in the pipeline's implicit transaction, which ends at its Sync, so the
// setting applies to this statement only and is undone on success and on
// error alike (no SET/RESET round trips, no transaction). One round trip;
// the first use of a shape on a connection also prepares it (pgx's
// statement cache), once.
const forceGenericPlan = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"

// technicianPage runs the list statement q (a technician's page) under a
// generic plan and scans it as scanListRows does.
func technicianPage(ctx context.Context, conn *pgx.Conn, q string, args []any) ([]*orderRow, *time.Time, error) {
	b := &pgx.Batch{}
	b.Queue(forceGenericPlan)
	b.Queue(q, args...)
	br := conn.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, nil, err
	}
	out, got, err := scanListRows(rows)
	if err != nil {
		return nil, nil, err
	}
	return out, got, br.Close()
}
