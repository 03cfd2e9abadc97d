package orders

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Filter narrows an order list.
type Filter struct {
	Status, Type, Priority, Region string
	TechnicianID                   *uuid.UUID
	UpdatedSince                   *time.Time
}

// Cursor is a position in a page walk: the last (updated_at, id) returned and
// the walk's upper bound, fixed on its first page.
type Cursor struct {
	At    time.Time
	ID    uuid.UUID
	Bound time.Time
}

// Encode makes the opaque cursor.
func (c Cursor) Encode() string {
	raw := fmt.Sprintf("%d|%s|%d", c.At.UnixMicro(), c.ID, c.Bound.UnixMicro())
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor reverses Encode; a foreign string is Invalid naming cursor.
func DecodeCursor(s string) (Cursor, error) {
	bad := errs.Field("cursor", "is not a cursor returned by this list")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, bad
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 3 {
		return Cursor{}, bad
	}
	at, err1 := strconv.ParseInt(parts[0], 10, 64)
	id, err2 := uuid.Parse(parts[1])
	bound, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return Cursor{}, bad
	}
	return Cursor{At: time.UnixMicro(at).UTC(), ID: id, Bound: time.UnixMicro(bound).UTC()}, nil
}

// Page is one page of orders. SyncedUntil is the walk's bound: after the last
// page, use it as updated_since for the next sync; changes made during the
// walk are at or after it, so none is missed and none is seen twice in a walk.
type Page struct {
	Items       []Order
	NextCursor  string
	SyncedUntil time.Time
}

// List returns the orders p may see, oldest change first, keyset-paginated on
// (updated_at, id) below the walk's bound.
func (s *Service) List(ctx context.Context, p auth.Principal, f Filter, limit int, cursor *Cursor) (Page, error) {
	sc, err := s.scopeOf(ctx, p)
	if err != nil {
		return Page{}, err
	}
	if sc.none {
		return Page{Items: []Order{}}, nil
	}
	var bound time.Time
	if cursor != nil {
		bound = cursor.Bound
	} else if bound, err = s.st.syncBound(ctx); err != nil {
		return Page{}, err
	}
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
		if cursor != nil {
			q = q.Where("(updated_at, id) > (?, ?)", cursor.At, cursor.ID)
		}
		return q.Order("updated_at, id").Limit(limit + 1)
	}
	var rows []Order
	if sc.technician == nil {
		err = filter(s.db.WithContext(ctx)).Find(&rows).Error
	} else {
		// A technician's list joins their assignments; a cached generic plan
		// walks all orders by updated_at instead and is ~6x slower at 100k
		// orders (docs/PERFORMANCE.md), so plan this query for its arguments.
		err = database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
			if err := tx.Exec("SET LOCAL plan_cache_mode = force_custom_plan").Error; err != nil {
				return err
			}
			return filter(tx).Find(&rows).Error
		})
	}
	if err != nil {
		return Page{}, err
	}
	pg := Page{Items: rows, SyncedUntil: bound}
	if len(rows) > limit {
		pg.Items = rows[:limit]
		last := pg.Items[limit-1]
		pg.NextCursor = Cursor{At: last.UpdatedAt, ID: last.ID, Bound: bound}.Encode()
	}
	return pg, nil
}

// Notifications returns p's inbox, unread first, newest first within each.
func (s *Service) Notifications(ctx context.Context, p auth.Principal, unreadOnly bool, limit, offset int) ([]Notification, error) {
	q := s.db.WithContext(ctx).Where("user_id = ?", p.UserID)
	if unreadOnly {
		q = q.Where("read_at IS NULL")
	}
	var out []Notification
	err := q.Order("(read_at IS NOT NULL), created_at DESC, id DESC").Limit(limit).Offset(offset).Find(&out).Error
	return out, err
}

// MarkRead marks one of p's notifications read (NotFound for anyone else's).
func (s *Service) MarkRead(ctx context.Context, p auth.Principal, id uuid.UUID) (Notification, error) {
	var n Notification
	res := s.db.WithContext(ctx).Model(&n).Where("id = ? AND user_id = ?", id, p.UserID).
		Update("read_at", gorm.Expr("COALESCE(read_at, ?)", s.clock.Now()))
	if res.Error != nil {
		return n, res.Error
	}
	if res.RowsAffected == 0 {
		return n, errs.NotFoundf("notification")
	}
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&n).Error
	return n, err
}
