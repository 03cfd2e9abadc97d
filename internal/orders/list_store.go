package orders

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// listOrders reads up to n orders of the scope matching f, below bound and
// after cursor, by (updated_at, id), with their parties: one statement, the
// page query (filter) as a subquery joined to the parties on primary keys.
//
// How PostgreSQL plans it matters more than the SQL (docs/PERFORMANCE.md,
// BenchmarkDispatcherList, BenchmarkTechnician*): a narrowed list (a
// technician's, or one filtered by status, type, priority, region,
// technician, updated_since or follow_up_due) needs a plan made for its arguments — a cached
// generic plan walks every order by updated_at — so it is sent with the
// simple query protocol (pgx escapes the arguments into the text): PostgreSQL
// plans it for its values whatever plan_cache_mode says, in one round trip
// and without a transaction. The plain keyset walk (everyone's, a customer's or a
// provider's orders) has one good plan whatever the arguments, so it is a
// cached prepared statement whose LIMIT is written as a literal: PostgreSQL
// then keeps its generic plan and stops re-planning the page and its joins.
func (s store) listOrders(ctx context.Context, sc scope, f Filter, bound time.Time, cursor *Cursor, n int) ([]*orderRow, error) {
	narrowed := sc.technician != nil || f != (Filter{})
	filter := func(q *gorm.DB) *gorm.DB {
		q = q.Model(&Order{}).Where("updated_at < ?", bound)
		switch {
		case sc.customer != nil:
			q = q.Where("customer_id = ?", *sc.customer)
		case sc.provider != nil:
			q = q.Where("provider_id = ?", *sc.provider)
		case sc.technician != nil:
			q = q.Where("id IN (SELECT order_id FROM order_assignments WHERE technician_id = ?)", *sc.technician)
		}
		if f.Status != "" {
			q = q.Where("status IN ?", strings.Split(f.Status, ","))
		}
		if f.Type != "" {
			q = q.Where("type = ?", f.Type)
		}
		if f.Priority != "" {
			q = q.Where("priority = ?", f.Priority)
		}
		if f.Region != "" {
			q = q.Where("region = ?", f.Region)
		}
		if f.TechnicianID != nil {
			q = q.Where("technician_id = ?", *f.TechnicianID)
		}
		if f.UpdatedSince != nil {
			q = q.Where("updated_at >= ?", *f.UpdatedSince)
		}
		if f.FollowUpDue {
			q = q.Where("status = 'completed' AND follow_up_due_at <= ?", f.dueBy)
		}
		if cursor != nil {
			q = q.Where("(updated_at, id) > (?, ?)", cursor.At, cursor.ID)
		}
		if narrowed {
			return q.Order("updated_at, id").Limit(n)
		}
		return q.Order(clause.OrderBy{Expression: clause.Expr{SQL: "updated_at, id LIMIT " + strconv.Itoa(n)}})
	}
	// GORM renders the statement (DryRun), pgx runs and scans it (list_scan.go).
	db := s.db.WithContext(ctx)
	stmt := db.Session(&gorm.Session{DryRun: true}).Table("(?) o", filter(db)).
		Select(listOrderColumns + ", " + partySelect).Joins(partyJoins).Order("o.updated_at, o.id").Find(&[]*orderRow{}).Statement
	if stmt.Error != nil {
		return nil, stmt.Error
	}
	args := stmt.Vars
	if narrowed {
		args = append([]any{pgx.QueryExecModeSimpleProtocol}, args...)
	}
	var out []*orderRow
	err := database.Native(ctx, s.db, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, stmt.SQL.String(), args...)
		if err != nil {
			return err
		}
		out, err = scanListRows(rows)
		return err
	})
	return out, err
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
