package orders

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// listOrders reads up to n orders of the scope matching f, after cursor, by
// (updated_at, id), with their parties, below the walk's bound, and returns
// the bound: at, or when at is nil (a first page) the sync bound computed by
// the same statement (listBoundSQL; nil when it could not be). One statement, one
// round trip: the bound, the page query as a lateral subquery (so an empty
// page still returns the bound, in a row whose order columns are NULL) and
// the parties joined on primary keys.
//
// The page's cost follows the page, not the table (docs/PERFORMANCE.md,
// "Lists at 1M orders"):
//   - a technician's orders (current and past: the delta sync tombstones) are
//     a keyset walk on order_assignments' copy of each order's updated_at and
//     status (migration 000012 keeps it in step), joined to orders by id;
//   - a list of several statuses is one keyset walk per status, each at most
//     n rows on a (…status, updated_at, id) index, merged: an IN list on the
//     index would read every row of those statuses and sort them;
//   - other filters pick their index (status, region, priority, technician,
//     provider, customer, each with updated_at, id).
//
// A narrowed list (a technician's, or one with a filter) needs a plan made
// for its arguments, so it is sent with the simple query protocol (pgx
// escapes the arguments into the text): PostgreSQL plans it for its values
// whatever plan_cache_mode says, without a transaction. The plain keyset walk
// (everyone's, a customer's or a provider's orders) has one good plan
// whatever the arguments, so it is a cached prepared statement whose LIMIT is
// written as a literal.
func (s store) listOrders(ctx context.Context, sc scope, f Filter, at *time.Time, cursor *Cursor, n int) ([]*orderRow, *time.Time, error) {
	narrowed := sc.technician != nil || f != (Filter{})
	// named arguments: the walk of each status repeats the conditions
	named := map[string]any{}
	arg := func(v any) string {
		name := "p" + strconv.Itoa(len(named)+1)
		named[name] = v
		return "@" + name
	}
	// A first page computes the bound (listBoundSQL) once: OFFSET 0 keeps
	// the subquery b from being pulled up, which would copy the expression,
	// and its scan of pg_stat_get_activity, into every status walk that
	// compares with it. A later page's bound is a value, left visible to the
	// planner.
	bound, fence := listBoundSQL, " OFFSET 0"
	if at != nil {
		bound, fence = "CAST("+arg(*at)+" AS timestamptz)", ""
	}
	// the walk's table and the columns it orders and filters by
	from, upd, id, status := "orders o", "o.updated_at", "o.id", "o.status"
	var where []string
	switch {
	case sc.technician != nil:
		from, upd, id, status = "order_assignments a JOIN orders o ON o.id = a.order_id", "a.order_updated_at", "a.order_id", "a.order_status"
		where = append(where, "a.technician_id = "+arg(*sc.technician))
	case sc.customer != nil:
		where = append(where, "o.customer_id = "+arg(*sc.customer))
	case sc.provider != nil:
		where = append(where, "o.provider_id = "+arg(*sc.provider))
	}
	where = append(where, upd+" < b.bound")
	if f.Type != "" {
		where = append(where, "o.type = "+arg(f.Type))
	}
	if f.Priority != "" {
		where = append(where, "o.priority = "+arg(f.Priority))
	}
	if f.Region != "" {
		where = append(where, "o.region = "+arg(f.Region))
	}
	if f.TechnicianID != nil {
		where = append(where, "o.technician_id = "+arg(*f.TechnicianID))
	}
	if f.UpdatedSince != nil {
		where = append(where, upd+" >= "+arg(*f.UpdatedSince))
	}
	if f.FollowUpDue {
		where = append(where, "o.status = 'completed' AND o.follow_up_due_at <= "+arg(f.dueBy))
	}
	if f.ExternalRef != "" {
		where = append(where, "o.external_ref = "+arg(f.ExternalRef))
	}
	if f.apiClient != nil {
		where = append(where, "o.api_client_id = "+arg(*f.apiClient))
	}
	if cursor != nil {
		where = append(where, "("+upd+", "+id+") > ("+arg(cursor.At)+", "+arg(cursor.ID)+")")
	}
	limit := " LIMIT " + strconv.Itoa(n)
	walk := func(extra string) string {
		return "SELECT o.* FROM " + from + " WHERE " + strings.Join(where, " AND ") + extra + " ORDER BY " + upd + ", " + id + limit
	}
	var page string
	switch statuses := uniqueStatuses(f.Status); len(statuses) {
	case 0:
		page = walk("")
	case 1:
		page = walk(" AND " + status + " = " + arg(statuses[0]))
	default:
		parts := make([]string, len(statuses))
		for i, st := range statuses {
			parts[i] = "(" + walk(" AND "+status+" = "+arg(st)) + ")"
		}
		page = "SELECT * FROM (" + strings.Join(parts, " UNION ALL ") + ") u ORDER BY updated_at, id" + limit
	}
	q := "SELECT b.bound, " + listOrderColumns + ", " + partySelect + "\nFROM (SELECT " + bound + " AS bound" + fence + ") b\nLEFT JOIN LATERAL (" +
		page + ") o ON true" + partyJoins + "\nORDER BY o.updated_at, o.id"
	// GORM renders it (DryRun: numbered placeholders, the values as
	// arguments), pgx runs and scans it (list_scan.go).
	var vars []any
	if len(named) > 0 {
		vars = append(vars, named)
	}
	stmt := s.db.Session(&gorm.Session{DryRun: true}).WithContext(ctx).Raw(q, vars...).Find(&[]*orderRow{}).Statement
	if stmt.Error != nil {
		return nil, nil, stmt.Error
	}
	args := stmt.Vars
	if narrowed && sc.technician == nil {
		args = append([]any{pgx.QueryExecModeSimpleProtocol}, args...)
	}
	q = stmt.SQL.String()
	var out []*orderRow
	var got *time.Time
	err := database.Native(ctx, s.db, func(conn *pgx.Conn) error {
		if sc.technician != nil {
			var err error
			out, got, err = technicianPage(ctx, conn, q, args)
			return err
		}
		rows, err := conn.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		out, got, err = scanListRows(rows)
		return err
	})
	if got != nil {
		*got = got.UTC()
	}
	return out, got, err
}

// listBoundSQL is syncBoundSQL for a list statement that reads the orders
// too, or NULL when it cannot be trusted. syncBound is safe as a statement of
// its own, before the list's: a writer it does not see (committed before it
// read pg_stat_activity) committed before the list's snapshot. In the list's
// own statement pg_stat_activity is read after the snapshot is taken, so a
// writer can commit in between: running for the snapshot (its rows unseen),
// gone from pg_stat_activity (not holding the bound back). Then the bound is
// NULL (the page is empty) and the caller computes the bound on its own first
// (List). Rare: a commit within the microseconds between the snapshot and the
// read.
//
// The transactions the snapshot counts as running are not only its xip list:
// every id from its xmax up (xmax is the newest completed id + 1, not the
// next id to assign) is running too, and never listed. A writer holding the
// newest id (the usual case with few writers) that stamped its row before
// this statement began and committed between the snapshot and the read of
// pg_stat_activity was in neither place: its row was invisible, behind the
// bound, and missed for good (TestOrdersDeltaSyncUnderConcurrentChanges,
// about once in 12–60 runs: the row's xmin was the snapshot's xmax, the xip
// list empty). So every id from xmax to the next id, read after the snapshot
// (age() reads it at its first call in the transaction), must be shown by a
// backend too; more than 1000 of them (or a wrapped id) is not trusted
// either. A writer's subtransaction ids are not shown (backend_xid is the
// top-level id): the bound is then computed on its own, still correct.
//
// pg_stat_get_activity is read once (the CTE act) for both the check and the
// minimum: it clips every backend's query text to track_activity_query_size
// character by character (pg_encoding_mbcliplen was the top PostgreSQL
// symbol of a job-list load, 7 %), and pg_stat_activity would also join
// pg_database and pg_authid. Before, the view was scanned twice per
// evaluation and the expression copied into each status walk: 8 scans per
// three-status page instead of 1.
const listBoundSQL = `(WITH act AS MATERIALIZED (SELECT s.pid, s.datid, s.backend_type, s.backend_xid, s.xact_start
FROM pg_stat_get_activity(NULL) s WHERE s.backend_xid IS NOT NULL)
SELECT CASE WHEN EXISTS (SELECT 1 FROM (
SELECT pg_snapshot_xip(pg_current_snapshot())::text::bigint AS x
UNION ALL
SELECT generate_series(w.xmax, w.xmax + w.n - 1) FROM (SELECT v.xmax, age((v.xmax % 4294967296)::text::xid) AS n
FROM (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax) v) w WHERE w.n <= 1000) r
WHERE NOT EXISTS (SELECT 1 FROM act WHERE act.backend_xid::text = (r.x % 4294967296)::text))
OR age((pg_snapshot_xmax(pg_current_snapshot())::text::bigint % 4294967296)::text::xid) > 1000
THEN NULL ELSE LEAST(transaction_timestamp(), COALESCE((SELECT min(act.xact_start) FROM act
WHERE act.datid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
AND act.pid <> pg_backend_pid() AND act.backend_type = 'client backend'), 'infinity')) END)`

// syncBound runs syncBoundSQL alone (see listBoundSQL for when).
func (s store) syncBound(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := database.Row(ctx, s.db, syncBoundSQL).Scan(&t)
	return t.UTC(), err
}

// uniqueStatuses splits a validated status list, each status once.
func uniqueStatuses(list string) []string {
	if list == "" {
		return nil
	}
	var out []string
	for _, st := range strings.Split(list, ",") {
		if !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	return out
}

// notifications reads up to n inbox entries of user after the key: unread
// first, newest first within each group.
func (s store) notifications(ctx context.Context, user uuid.UUID, unreadOnly bool, after *inboxKey, n int) ([]Notification, error) {
	q := s.db.WithContext(ctx).Where("user_id = ?", user)
	if unreadOnly {
		q = q.Where("read_at IS NULL")
	}
	if after != nil {
		read := 0
		if after.Read {
			read = 1
		}
		q = q.Where("((read_at IS NOT NULL)::int > ?) OR ((read_at IS NOT NULL)::int = ? AND (created_at, id) < (?, ?))",
			read, read, after.At, after.ID)
	}
	var out []Notification
	err := q.Order("(read_at IS NOT NULL), created_at DESC, id DESC").Limit(n).Find(&out).Error
	return out, err
}

// markRead sets read_at once (a second call keeps the first time).
func (s store) markRead(ctx context.Context, user, id uuid.UUID, at time.Time) (Notification, error) {
	var n Notification
	res := s.db.WithContext(ctx).Model(&n).Where("id = ? AND user_id = ?", id, user).
		Update("read_at", gorm.Expr("COALESCE(read_at, ?)", at))
	if res.Error != nil {
		return n, res.Error
	}
	if res.RowsAffected == 0 {
		return n, errs.NotFoundf("notification")
	}
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&n).Error
	return n, err
}
