package parts

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/outbox"
)

// MovementInput is a staff movement (POST /v1/stock/movements): receive,
// transfer, return (from an order) or adjust. Issues come from the order
// (POST /v1/orders/{id}/parts).
type MovementInput struct {
	Kind           string
	PartID         uuid.UUID
	Qty            int64
	FromLocationID *uuid.UUID
	ToLocationID   *uuid.UUID
	SupplierRef    string
	Serials        []string
	OrderID        *uuid.UUID
	Reason         string
}

// MaxMovementSerials bounds the serials of one movement.
const MaxMovementSerials = orders.MaxPartSerials

// Move writes one movement and its balance changes in one transaction.
// Errors: Forbidden (not in-house staff), Invalid naming the field (kind,
// part_id, qty, locations by kind, serials, reason), Conflict (too little
// stock at the source, with "available"; a serial not there; an order that
// does not hold the part).
func (s *Service) Move(ctx context.Context, p auth.Principal, in MovementInput) (Movement, error) {
	if err := s.inHouse(ctx, p); err != nil {
		return Movement{}, err
	}
	serials, err := orders.CleanSerials(in.Serials)
	if err != nil {
		return Movement{}, err
	}
	m := Movement{ID: ids.New(), Kind: in.Kind, PartID: in.PartID, Qty: in.Qty, FromLocationID: in.FromLocationID,
		ToLocationID: in.ToLocationID, SupplierRef: strings.TrimSpace(in.SupplierRef), Serials: serials, OrderID: in.OrderID,
		Reason: strings.TrimSpace(in.Reason), ActorID: &p.UserID, ActorRole: p.Role, CreatedAt: s.clock.Now()}
	var fe []errs.FieldError
	bad := func(f, msg string) { fe = append(fe, errs.FieldError{Field: f, Message: msg}) }
	if m.Qty < 1 || m.Qty > MaxQty {
		bad("qty", "must be between 1 and 1000000")
	}
	if utf8.RuneCountInString(m.SupplierRef) > 200 {
		bad("supplier_ref", "must be at most 200 characters")
	}
	if utf8.RuneCountInString(m.Reason) > 1000 {
		bad("reason", "must be at most 1000 characters")
	}
	need := func(f string, v *uuid.UUID, want bool) {
		if want && v == nil {
			bad(f, "is required for a "+m.Kind)
		} else if !want && v != nil {
			bad(f, "is not part of a "+m.Kind)
		}
	}
	switch m.Kind {
	case Receive:
		need("from_location_id", m.FromLocationID, false)
		need("to_location_id", m.ToLocationID, true)
		need("order_id", m.OrderID, false)
		if m.SupplierRef == "" {
			bad("supplier_ref", "is required for a receive")
		}
	case Transfer:
		need("from_location_id", m.FromLocationID, true)
		need("to_location_id", m.ToLocationID, true)
		need("order_id", m.OrderID, false)
		if m.FromLocationID != nil && m.ToLocationID != nil && *m.FromLocationID == *m.ToLocationID {
			bad("to_location_id", "must differ from from_location_id")
		}
	case Return:
		need("from_location_id", m.FromLocationID, false)
		need("to_location_id", m.ToLocationID, true)
		need("order_id", m.OrderID, true)
	case Adjust:
		need("order_id", m.OrderID, false)
		if (m.FromLocationID == nil) == (m.ToLocationID == nil) {
			bad("from_location_id", "an adjust names exactly one location: from_location_id (fewer counted) or to_location_id (more)")
		}
		if m.Reason == "" {
			bad("reason", "is required for an adjust")
		}
	case Issue:
		bad("kind", "parts are issued to an order with POST /v1/orders/{id}/parts")
	default:
		bad("kind", "must be receive, transfer, return or adjust")
	}
	if err := errs.Fields(fe); err != nil {
		return Movement{}, err
	}
	err = database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		st := store{db: tx}
		part, err := st.part(ctx, m.PartID)
		if errs.Is(err, errs.NotFound) {
			return errs.Field("part_id", "is not a part of the catalogue")
		} else if err != nil {
			return err
		}
		if err := checkSerials(part, m.Kind, m.Qty, m.Serials); err != nil {
			return err
		}
		for _, l := range []struct {
			field string
			id    *uuid.UUID
		}{{"from_location_id", m.FromLocationID}, {"to_location_id", m.ToLocationID}} {
			if l.id == nil {
				continue
			}
			loc, err := st.location(ctx, *l.id)
			if errs.Is(err, errs.NotFound) {
				return errs.Field(l.field, "is not a stock location")
			} else if err != nil {
				return err
			}
			if m.Kind == Receive && loc.Kind != Warehouse {
				return errs.Field(l.field, "stock is received into a warehouse")
			}
		}
		if m.Kind == Return { // the order first: every path locks the order before a balance
			if _, err := s.orders.ReturnPart(ctx, tx, p, orders.PartReturn{OrderID: *m.OrderID, PartID: m.PartID,
				LocationID: *m.ToLocationID, MovementID: m.ID, Qty: m.Qty, Serials: m.Serials, At: m.CreatedAt}); errs.Is(err, errs.NotFound) {
				return errs.Field("order_id", "is not an order you may see")
			} else if err != nil {
				return err
			}
		}
		if err := st.addMovement(ctx, &m); err != nil {
			return err
		}
		return s.apply(ctx, tx, part, m)
	})
	if err != nil {
		return Movement{}, err
	}
	return m, nil
}

// checkSerials: a tracked part moves with one serial per unit (an adjust
// may name none: a count without serials); an untracked part with none.
func checkSerials(part Part, kind string, qty int64, serials []string) error {
	if !part.SerialTracked {
		if len(serials) > 0 {
			return errs.Field("serials", "the part is not serial-tracked")
		}
		return nil
	}
	if kind == Adjust && len(serials) == 0 {
		return nil
	}
	if int64(len(serials)) != qty {
		return errs.Field("serials", "the part is serial-tracked: give one serial number per unit")
	}
	return nil
}

// apply changes the balances (and serials) for movement m, already written,
// in tx: the source first with a conditional UPDATE (Conflict with the
// available quantity when short), then the destination; a fall below the
// reorder point writes stock.low.
func (s *Service) apply(ctx context.Context, tx *gorm.DB, part Part, m Movement) error {
	st := store{db: tx}
	if m.FromLocationID != nil {
		a, ok, available, err := st.take(ctx, *m.FromLocationID, m.PartID, m.Qty, m.CreatedAt)
		if err != nil {
			return err
		}
		if !ok {
			return &errs.Error{Kind: errs.Conflict, Message: "not enough stock: " + itoa(available) + " of " + part.SKU + " available at the location",
				Extra: map[string]any{"available": available}}
		}
		if a.Low && !a.WasLow {
			if _, err := outbox.Write(ctx, tx, outbox.StockLow, nil, nil, m.CreatedAt, map[string]any{
				"part_id": m.PartID, "sku": part.SKU, "location_id": *m.FromLocationID, "on_hand": a.OnHand,
				"reserved": a.Reserved, "available": a.OnHand - a.Reserved, "reorder_point": a.ReorderPoint}); err != nil {
				return err
			}
		}
	}
	if m.ToLocationID != nil {
		if err := st.put(ctx, *m.ToLocationID, m.PartID, m.Qty, m.CreatedAt); err != nil {
			return err
		}
	}
	if len(m.Serials) == 0 {
		return nil
	}
	switch m.Kind {
	case Receive:
		return st.receiveSerials(ctx, m.PartID, *m.ToLocationID, m.ID, m.Serials)
	case Transfer:
		return st.moveSerials(ctx, m.PartID, m.Serials, m.FromLocationID, nil, m.ToLocationID, nil)
	case Issue:
		return st.moveSerials(ctx, m.PartID, m.Serials, m.FromLocationID, nil, nil, m.OrderID)
	case Return:
		return st.moveSerials(ctx, m.PartID, m.Serials, nil, m.OrderID, m.ToLocationID, nil)
	case Adjust:
		if m.FromLocationID != nil {
			return st.dropSerials(ctx, m.PartID, *m.FromLocationID, m.Serials)
		}
		return st.receiveSerials(ctx, m.PartID, *m.ToLocationID, m.ID, m.Serials)
	}
	return nil
}

// Count is one counted part of a stocktake.
type Count struct {
	PartID  uuid.UUID
	Counted int64
}

// MaxCounts bounds one stocktake request.
const MaxCounts = 1000

// Stocktake records counted quantities at a location: an adjust movement
// (reason "stocktake") per difference, all in one transaction; a part with
// no difference writes nothing. Invalid naming counts[i].part_id for a part
// not in the catalogue (and nothing is written), location_id for an unknown
// location; Conflict when a count is below the reserved quantity.
func (s *Service) Stocktake(ctx context.Context, p auth.Principal, loc uuid.UUID, counts []Count) ([]Movement, error) {
	if err := s.inHouse(ctx, p); err != nil {
		return nil, err
	}
	var fe []errs.FieldError
	if len(counts) == 0 || len(counts) > MaxCounts {
		fe = append(fe, errs.FieldError{Field: "counts", Message: "between 1 and 1000 counts are required"})
	}
	seen := map[uuid.UUID]bool{}
	for i, c := range counts {
		if c.Counted < 0 || c.Counted > MaxQty {
			fe = append(fe, errs.FieldError{Field: "counts[" + itoa(int64(i)) + "].counted", Message: "must be between 0 and 1000000"})
		}
		if seen[c.PartID] {
			fe = append(fe, errs.FieldError{Field: "counts[" + itoa(int64(i)) + "].part_id", Message: "is counted twice"})
		}
		seen[c.PartID] = true
	}
	if err := errs.Fields(fe); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var out []Movement
	err := database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		st := store{db: tx}
		if _, err := st.location(ctx, loc); errs.Is(err, errs.NotFound) {
			return errs.Field("location_id", "is not a stock location")
		} else if err != nil {
			return err
		}
		parts := make([]Part, len(counts))
		for i, c := range counts {
			pt, err := st.part(ctx, c.PartID)
			if errs.Is(err, errs.NotFound) {
				fe = append(fe, errs.FieldError{Field: "counts[" + itoa(int64(i)) + "].part_id", Message: "is not a part of the catalogue"})
				continue
			} else if err != nil {
				return err
			}
			parts[i] = pt
		}
		if err := errs.Fields(fe); err != nil {
			return err
		}
		for i, c := range counts {
			onHand, reserved, err := st.lockBalance(ctx, loc, c.PartID, now)
			if err != nil {
				return err
			}
			if c.Counted < reserved {
				return &errs.Error{Kind: errs.Conflict, Message: "a count is below the reserved quantity",
					Fields: []errs.FieldError{{Field: "counts[" + itoa(int64(i)) + "].counted", Message: "is below the reserved " + itoa(reserved)}}}
			}
			diff := c.Counted - onHand
			if diff == 0 {
				continue
			}
			l := loc
			m := Movement{ID: ids.New(), Kind: Adjust, PartID: c.PartID, Qty: diff, ToLocationID: &l, Reason: "stocktake",
				Serials: pq.StringArray{}, ActorID: &p.UserID, ActorRole: p.Role, CreatedAt: now}
			if diff < 0 {
				m.Qty, m.ToLocationID, m.FromLocationID = -diff, nil, &l
			}
			if err := st.addMovement(ctx, &m); err != nil {
				return err
			}
			if err := s.apply(ctx, tx, parts[i], m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []Movement{}
	}
	return out, nil
}

// Part implements orders.Stock.
func (s *Service) Part(ctx context.Context, id uuid.UUID) (orders.StockPart, error) {
	p, err := s.st.part(ctx, id)
	if err != nil {
		return orders.StockPart{}, err
	}
	models := make([]uuid.UUID, 0, len(p.CompatibleModelIDs))
	for _, m := range p.CompatibleModelIDs {
		if u, err := uuid.Parse(m); err == nil {
			models = append(models, u)
		}
	}
	return orders.StockPart{ID: p.ID, SKU: p.SKU, Name: p.Name, UnitPrice: p.UnitPrice, Currency: p.Currency,
		CompatibleModelIDs: models, SerialTracked: p.SerialTracked}, nil
}

// VanOf implements orders.Stock.
func (s *Service) VanOf(ctx context.Context, technician uuid.UUID) (uuid.UUID, error) {
	l, err := s.st.vanOf(ctx, technician)
	return l.ID, err
}

// Issue implements orders.Stock: the issue movement and the balance change
// in tx, the order's transaction (the order is already locked).
func (s *Service) Issue(ctx context.Context, tx *gorm.DB, in orders.StockIssue) (uuid.UUID, error) {
	st := store{db: tx}
	if _, err := s.visibleLocation(ctx, st, in.Actor, in.LocationID); errs.Is(err, errs.NotFound) {
		return uuid.Nil, errs.Field("location_id", "is not a stock location you may take parts from")
	} else if err != nil {
		return uuid.Nil, err
	}
	part, err := st.part(ctx, in.PartID)
	if err != nil {
		return uuid.Nil, err
	}
	loc, order := in.LocationID, in.OrderID
	m := Movement{ID: ids.New(), Kind: Issue, PartID: in.PartID, Qty: in.Qty, FromLocationID: &loc, OrderID: &order,
		Serials: pq.StringArray(in.Serials), ActorID: &in.Actor.UserID, ActorRole: in.Actor.Role, CreatedAt: in.At}
	if m.Serials == nil {
		m.Serials = pq.StringArray{}
	}
	if err := st.addMovement(ctx, &m); err != nil {
		return uuid.Nil, err
	}
	if err := s.apply(ctx, tx, part, m); err != nil {
		return uuid.Nil, err
	}
	return m.ID, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
