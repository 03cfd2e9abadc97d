package parts

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// store is the inventory's SQL.
type store struct{ db *gorm.DB }

var partConstraints = map[string]errs.FieldError{
	"parts_sku_key": {Field: "sku", Message: "another part has this SKU"},
}

var locationConstraints = map[string]errs.FieldError{
	"stock_locations_van_key":            {Field: "technician_id", Message: "the technician already has a van"},
	"stock_locations_technician_id_fkey": {Field: "technician_id", Message: "is not a technician"},
}

func (s store) createPart(ctx context.Context, p *Part) error {
	return database.Constraint(s.db.WithContext(ctx).Create(p).Error, partConstraints)
}

// countModels counts the product models among ids (distinct id strings).
func (s store) countModels(ctx context.Context, ids []string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw(`SELECT count(*) FROM product_models WHERE id = ANY(?::uuid[])`, pq.StringArray(ids)).Scan(&n).Error
	return n, err
}

func (s store) part(ctx context.Context, id uuid.UUID) (Part, error) {
	var p Part
	err := s.db.WithContext(ctx).Take(&p, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Part{}, errs.NotFoundf("part")
	}
	return p, err
}

// PartFilter narrows the catalogue: Text matches SKU or name (case-insensitive
// substring), ModelID the compatible models.
type PartFilter struct {
	Text    string
	ModelID *uuid.UUID
}

func (s store) listParts(ctx context.Context, f PartFilter, pr page.Request) ([]Part, error) {
	q := s.db.WithContext(ctx).Model(&Part{})
	if t := strings.TrimSpace(f.Text); t != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(t) + "%"
		q = q.Where("(sku ILIKE ? OR name ILIKE ?)", like, like)
	}
	if f.ModelID != nil {
		q = q.Where("compatible_model_ids @> ARRAY[?]::uuid[]", *f.ModelID)
	}
	if pr.After != nil {
		q = q.Where("(created_at, id) > (?, ?)", pr.After.At, pr.After.ID)
	}
	var out []Part
	return out, q.Order("created_at, id").Limit(pr.Limit + 1).Find(&out).Error
}

func (s store) createLocation(ctx context.Context, l *Location) error {
	return database.Constraint(s.db.WithContext(ctx).Create(l).Error, locationConstraints)
}

func (s store) location(ctx context.Context, id uuid.UUID) (Location, error) {
	var l Location
	err := s.db.WithContext(ctx).Take(&l, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Location{}, errs.NotFoundf("stock location")
	}
	return l, err
}

func (s store) vanOf(ctx context.Context, technician uuid.UUID) (Location, error) {
	var l Location
	err := s.db.WithContext(ctx).Take(&l, "kind = 'van' AND technician_id = ?", technician).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Location{}, errs.NotFoundf("van")
	}
	return l, err
}

// technicianOf reports whether user works for provider (identity's table,
// like isTechnician).
func (s store) technicianOf(ctx context.Context, user, provider uuid.UUID) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw(`SELECT count(*) FROM users WHERE id = ? AND provider_id = ?`, user, provider).Scan(&n).Error
	return n == 1, err
}

// isTechnician reads the user's role (identity's table; a one-column check
// the van's foreign key cannot express).
func (s store) isTechnician(ctx context.Context, id uuid.UUID) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw(`SELECT count(*) FROM users WHERE id = ? AND role = 'technician'`, id).Scan(&n).Error
	return n == 1, err
}

// listLocations lists locations; technician non-nil: warehouses and their van.
func (s store) listLocations(ctx context.Context, kind string, technician, provider *uuid.UUID, pr page.Request) ([]Location, error) {
	q := s.db.WithContext(ctx).Model(&Location{})
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	if technician != nil {
		q = q.Where("(kind = 'warehouse' OR technician_id = ?)", *technician)
	}
	if provider != nil {
		q = q.Where("(kind = 'warehouse' OR technician_id IN (SELECT id FROM users WHERE provider_id = ?))", *provider)
	}
	if pr.After != nil {
		q = q.Where("(created_at, id) > (?, ?)", pr.After.At, pr.After.ID)
	}
	var out []Location
	return out, q.Order("created_at, id").Limit(pr.Limit + 1).Find(&out).Error
}

// stock lists a location's balances by part id (keyset on part_id; the
// cursor's time is unused). One index range of stock_balances' primary key
// joined to parts by primary key (BenchmarkStock, docs/PERFORMANCE.md).
func (s store) stock(ctx context.Context, loc uuid.UUID, after *uuid.UUID, limit int) ([]StockLine, error) {
	q := `SELECT b.part_id, p.sku, p.name, b.on_hand, b.reserved, b.on_hand - b.reserved AS available,
	             p.reorder_point, b.low, b.updated_at
	      FROM stock_balances b JOIN parts p ON p.id = b.part_id
	      WHERE b.location_id = ?`
	args := []any{loc}
	if after != nil {
		q += ` AND b.part_id > ?`
		args = append(args, *after)
	}
	q += ` ORDER BY b.part_id LIMIT ?`
	args = append(args, limit+1)
	var out []StockLine
	return out, s.db.WithContext(ctx).Raw(q, args...).Scan(&out).Error
}

// traceSQL is a part's movements with their actor, locations, order and
// customer, oldest first (keyset on created_at, id: stock_movements_part).
const traceSQL = `SELECT m.*, u.name AS actor_name, lf.name AS from_name, lt.name AS to_name,
       o.number AS order_number, o.customer_id, c.name AS customer_name
FROM stock_movements m
LEFT JOIN users u ON u.id = m.actor_id
LEFT JOIN stock_locations lf ON lf.id = m.from_location_id
LEFT JOIN stock_locations lt ON lt.id = m.to_location_id
LEFT JOIN orders o ON o.id = m.order_id
LEFT JOIN users c ON c.id = o.customer_id
WHERE m.part_id = ?`

func (s store) movements(ctx context.Context, part uuid.UUID, serial string, pr page.Request) ([]Trace, error) {
	q, args := traceSQL, []any{part}
	if serial != "" {
		q += ` AND m.serials @> ARRAY[?]::text[]`
		args = append(args, serial)
	}
	if pr.After != nil {
		q += ` AND (m.created_at, m.id) > (?, ?)`
		args = append(args, pr.After.At, pr.After.ID)
	}
	q += ` ORDER BY m.created_at, m.id LIMIT ?`
	args = append(args, pr.Limit+1)
	var out []Trace
	return out, s.db.WithContext(ctx).Raw(q, args...).Scan(&out).Error
}

func (s store) addMovement(ctx context.Context, m *Movement) error {
	if m.Serials == nil {
		m.Serials = pq.StringArray{}
	}
	return s.db.WithContext(ctx).Create(m).Error
}

// after is a balance after a change, and whether it fell below the reorder
// point with this change (a crossing: stock.low).
type after struct {
	OnHand, Reserved, ReorderPoint int64
	Low, WasLow                    bool
	SKU                            string
}

// take lowers the balance by qty with one conditional UPDATE: the row is
// locked, and changed only when available stays >= 0 (the CHECKs are the
// last word). ok false: too few (available tells how many there are).
func (s store) take(ctx context.Context, loc, part uuid.UUID, qty int64, now time.Time) (a after, ok bool, available int64, err error) {
	var rows []after
	err = s.db.WithContext(ctx).Raw(`
WITH old AS (SELECT low FROM stock_balances WHERE location_id = @loc AND part_id = @part FOR UPDATE)
UPDATE stock_balances b SET on_hand = b.on_hand - @qty, updated_at = @now,
       low = b.on_hand - @qty - b.reserved < p.reorder_point
FROM parts p, old
WHERE b.location_id = @loc AND b.part_id = @part AND p.id = b.part_id AND b.on_hand - b.reserved >= @qty
RETURNING b.on_hand, b.reserved, p.reorder_point, b.low, old.low AS was_low, p.sku`,
		map[string]any{"loc": loc, "part": part, "qty": qty, "now": now}).Scan(&rows).Error
	if err != nil {
		return after{}, false, 0, err
	}
	if len(rows) == 1 {
		return rows[0], true, 0, nil
	}
	err = s.db.WithContext(ctx).Raw(`SELECT coalesce((SELECT on_hand - reserved FROM stock_balances WHERE location_id = ? AND part_id = ?), 0)`,
		loc, part).Scan(&available).Error
	return after{}, false, available, err
}

// put raises the balance by qty (creating it): never a crossing below.
func (s store) put(ctx context.Context, loc, part uuid.UUID, qty int64, now time.Time) error {
	return s.db.WithContext(ctx).Exec(`
INSERT INTO stock_balances AS b (location_id, part_id, on_hand, reserved, low, updated_at)
SELECT @loc, @part, @qty, 0, @qty < p.reorder_point, @now FROM parts p WHERE p.id = @part
ON CONFLICT (location_id, part_id) DO UPDATE SET on_hand = b.on_hand + EXCLUDED.on_hand, updated_at = EXCLUDED.updated_at,
    low = b.on_hand + EXCLUDED.on_hand - b.reserved < (SELECT reorder_point FROM parts WHERE id = b.part_id)`,
		map[string]any{"loc": loc, "part": part, "qty": qty, "now": now}).Error
}

// lockBalance locks (creating it at 0) a balance for a stocktake and returns on hand and reserved.
func (s store) lockBalance(ctx context.Context, loc, part uuid.UUID, now time.Time) (onHand, reserved int64, err error) {
	if err := s.db.WithContext(ctx).Exec(`
INSERT INTO stock_balances (location_id, part_id, on_hand, reserved, low, updated_at)
SELECT ?, p.id, 0, 0, 0 < p.reorder_point, ? FROM parts p WHERE p.id = ?
ON CONFLICT (location_id, part_id) DO NOTHING`, loc, now, part).Error; err != nil {
		return 0, 0, err
	}
	var row struct{ OnHand, Reserved int64 }
	err = s.db.WithContext(ctx).Raw(`SELECT on_hand, reserved FROM stock_balances WHERE location_id = ? AND part_id = ? FOR UPDATE`,
		loc, part).Scan(&row).Error
	return row.OnHand, row.Reserved, err
}

// Serial numbers of tracked parts.

func (s store) receiveSerials(ctx context.Context, part, loc, movement uuid.UUID, serials []string) error {
	res := s.db.WithContext(ctx).Exec(`
INSERT INTO stock_serials (part_id, serial, location_id, received_by)
SELECT ?, x, ?, ? FROM unnest(?::text[]) AS x
ON CONFLICT (part_id, serial) DO NOTHING`, part, loc, movement, pq.StringArray(serials))
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != int64(len(serials)) {
		return errs.Field("serials", "a serial number is already known for this part")
	}
	return nil
}

// moveSerials moves serials from (a location or an order) to (a location
// or an order); every serial must be where from says.
func (s store) moveSerials(ctx context.Context, part uuid.UUID, serials []string, fromLoc, fromOrder, toLoc, toOrder *uuid.UUID) error {
	where := "location_id = ?"
	arg := any(fromLoc)
	if fromOrder != nil {
		where, arg = "order_id = ?", *fromOrder
	} else {
		arg = *fromLoc
	}
	res := s.db.WithContext(ctx).Exec(`UPDATE stock_serials SET location_id = ?, order_id = ?
WHERE part_id = ? AND serial = ANY(?::text[]) AND `+where, toLoc, toOrder, part, pq.StringArray(serials), arg)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != int64(len(serials)) {
		return &errs.Error{Kind: errs.Conflict, Message: "a serial number is not there", Fields: []errs.FieldError{
			{Field: "serials", Message: "every serial number must be at the source"}}}
	}
	return nil
}

func (s store) dropSerials(ctx context.Context, part, loc uuid.UUID, serials []string) error {
	res := s.db.WithContext(ctx).Exec(`DELETE FROM stock_serials WHERE part_id = ? AND location_id = ? AND serial = ANY(?::text[])`,
		part, loc, pq.StringArray(serials))
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != int64(len(serials)) {
		return &errs.Error{Kind: errs.Conflict, Message: "a serial number is not there", Fields: []errs.FieldError{
			{Field: "serials", Message: "every serial number must be at the location"}}}
	}
	return nil
}
