package orders

// Parts used on an order (issue 10). The workflow belongs to orders: the
// order side (assigned technician, on site or in progress, warranty, the
// approved quote's price) and the stock issue commit in ONE transaction.
// Orders never imports the inventory's internals: it declares Stock, which
// internal/parts implements, wired in cmd/fieldops (WithStock). A return
// from an order (POST /v1/stock/movements, kind return) goes the other way:
// internal/parts calls ReturnPart inside its own transaction.

import (
	"context"
	"database/sql/driver"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// EventParts is the event of parts used on (or returned from) an order; it
// is named after its route, POST /v1/orders/{id}/parts.
const EventParts = "parts"

// PartLine is one part issued to the order's current visit, or given back
// (Kind "return": Qty and Amount negative), priced as charged. Money in
// minor units.
type PartLine struct {
	MovementID uuid.UUID `json:"movement_id"`
	Kind       string    `json:"kind"` // issue, return
	PartID     uuid.UUID `json:"part_id"`
	SKU        string    `json:"sku"`
	Name       string    `json:"name"`
	Qty        int64     `json:"qty"`
	Serials    []string  `json:"serials"`
	UnitPrice  int64     `json:"unit_price"`
	Covered    bool      `json:"covered"`
	Amount     int64     `json:"amount"`
	LocationID uuid.UUID `json:"location_id"`
	At         time.Time `json:"at"`
}

// PartLines is stored as JSONB (orders.parts_used).
type PartLines []PartLine

// Value implements driver.Valuer.
func (l PartLines) Value() (driver.Value, error) { return jsonArray(l) }

// Scan implements sql.Scanner.
func (l *PartLines) Scan(v any) error {
	if emptyJSONArray(v) {
		*l = PartLines{}
		return nil
	}
	return scanJSON(v, l)
}

// netQty is how many of part are on the order now (issued minus returned).
func (l PartLines) netQty(part uuid.UUID) int64 {
	var n int64
	for _, x := range l {
		if x.PartID == part {
			n += x.Qty
		}
	}
	return n
}

// StockPart is what orders needs of a catalogue part.
type StockPart struct {
	ID                 uuid.UUID
	SKU, Name          string
	UnitPrice          int64 // minor units of Currency
	Currency           string
	CompatibleModelIDs []uuid.UUID // empty: fits every model
	SerialTracked      bool
}

// Fits reports whether the part fits product model m (nil: unknown model).
func (p StockPart) Fits(m *uuid.UUID) bool {
	return m == nil || len(p.CompatibleModelIDs) == 0 || slices.Contains(p.CompatibleModelIDs, *m)
}

// StockIssue takes parts out of a location for an order.
type StockIssue struct {
	PartID, LocationID, OrderID uuid.UUID
	Qty                         int64
	Serials                     []string
	Actor                       auth.Principal
	At                          time.Time
}

// Stock is the inventory as orders uses it; internal/parts implements it.
type Stock interface {
	// Part returns a catalogue part; NotFound when there is none.
	Part(ctx context.Context, id uuid.UUID) (StockPart, error)
	// VanOf returns the technician's van; NotFound when they have none.
	VanOf(ctx context.Context, technician uuid.UUID) (uuid.UUID, error)
	// Issue writes the issue movement and lowers the balance in tx (the
	// order's transaction) and returns the movement id. Conflict (with the
	// available quantity) when the location holds too few; Invalid naming
	// location_id or serials when the location may not be used or a serial
	// is not there.
	Issue(ctx context.Context, tx *gorm.DB, in StockIssue) (uuid.UUID, error)
}

// SetStock plugs the inventory in (parts used, quote lines naming a part).
// It is set after construction: the inventory needs the order service for
// returns, so one of the two is wired second (cmd/fieldops/app.go).
func (s *Service) SetStock(st Stock) { s.stock = st }

// MaxPartSerials bounds the serials of one parts-used line.
const MaxPartSerials = 100

// PartsInput is one part used: which, how many, from where (nil: the
// technician's van), its serial numbers when tracked, and Covered (nil =
// true): whether warranty covers it (only in warranty).
type PartsInput struct {
	PartID     uuid.UUID
	Qty        int64
	LocationID *uuid.UUID
	Serials    []string
	Covered    *bool
}

// UseParts records a part used by the assigned technician while on site or
// in progress: the stock is issued and a charge line added in one
// transaction. In warranty and covered the line is priced 0 (at the
// catalogue price as covered); otherwise the part must be in the approved
// quote (Conflict "quote first" when not), priced as quoted and at most the
// quoted quantity. Errors: Invalid (fields; a part not in the catalogue or
// not fitting the order's product model names part_id), NotFound (order),
// Forbidden (not the assigned technician), Conflict (status, quote, stock).
func (s *Service) UseParts(ctx context.Context, p auth.Principal, id uuid.UUID, in PartsInput) (Order, error) {
	var fe []errs.FieldError
	if in.Qty < 1 || in.Qty > 10000 {
		fe = append(fe, errs.FieldError{Field: "qty", Message: "must be between 1 and 10000"})
	}
	serials, serr := cleanSerials(in.Serials)
	if serr != nil {
		fe = append(fe, *serr)
	}
	if err := errs.Fields(fe); err != nil {
		return Order{}, err
	}
	if s.stock == nil {
		return Order{}, errs.E(errs.Unavailable, "the inventory is not configured")
	}
	part, err := s.stock.Part(ctx, in.PartID)
	if errs.Is(err, errs.NotFound) {
		return Order{}, errs.Field("part_id", "is not a part of the catalogue")
	} else if err != nil {
		return Order{}, err
	}
	if part.SerialTracked && int64(len(serials)) != in.Qty {
		return Order{}, errs.Field("serials", "the part is serial-tracked: give one serial number per unit ("+itoa64(in.Qty)+")")
	}
	if !part.SerialTracked && len(serials) > 0 {
		return Order{}, errs.Field("serials", "the part is not serial-tracked")
	}
	loc := in.LocationID
	if loc == nil && p.Role == auth.RoleTechnician { // read before the transaction: one pool connection per request
		van, err := s.stock.VanOf(ctx, p.UserID)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return Order{}, err
		} else if err == nil {
			loc = &van
		}
	}
	return s.modify(ctx, p, id, EventParts, func(c *change) error {
		o := c.o
		if o.TechnicianID == nil || *o.TechnicianID != p.UserID {
			return errs.E(errs.Forbidden, "only the order's assigned technician records parts used")
		}
		if loc == nil {
			return errs.Field("location_id", "you have no van: name the stock location")
		}
		if o.Status != StatusOnSite && o.Status != StatusInProgress {
			return &errs.Error{Kind: errs.Conflict, Message: "parts are recorded on site or in progress, not while the order is " + o.Status,
				Extra: map[string]any{"current_status": o.Status, "allowed_actions": Allowed(p, *o)}}
		}
		if !part.Fits(o.ProductModelID) {
			return errs.Field("part_id", "does not fit the order's product model")
		}
		line := PartLine{Kind: "issue", PartID: part.ID, SKU: part.SKU, Name: part.Name, Qty: in.Qty, Serials: serials,
			UnitPrice: part.UnitPrice, LocationID: *loc, At: c.now.UTC()}
		if o.InWarranty && (in.Covered == nil || *in.Covered) {
			line.Covered = true
		} else {
			q, ok := approvedQuoteLine(*o, part.ID)
			if !ok {
				return &errs.Error{Kind: errs.Conflict, Message: "quote first: " + part.SKU + " is chargeable and not in an approved quote",
					Extra: map[string]any{"current_status": o.Status, "allowed_actions": Allowed(p, *o)}}
			}
			if used := o.PartsUsed.chargedQty(part.ID); used+in.Qty > q.Qty {
				return &errs.Error{Kind: errs.Conflict, Message: "the approved quote has " + itoa64(q.Qty) + " of " + part.SKU +
					"; " + itoa64(used) + " already used: quote the rest first", Extra: map[string]any{"current_status": o.Status}}
			}
			line.UnitPrice, line.Amount = q.UnitPrice, in.Qty*q.UnitPrice
		}
		mv, err := s.stock.Issue(c.ctx, c.st.db, StockIssue{PartID: part.ID, LocationID: *loc, OrderID: o.ID, Qty: in.Qty,
			Serials: serials, Actor: p, At: c.now})
		if err != nil {
			return err
		}
		line.MovementID = mv
		o.PartsUsed = append(o.PartsUsed, line)
		c.payload = partPayload(line)
		return nil
	})
}

// chargedQty is the net quantity of part on chargeable (not covered) lines.
func (l PartLines) chargedQty(part uuid.UUID) int64 {
	var n int64
	for _, x := range l {
		if x.PartID == part && !x.Covered {
			n += x.Qty
		}
	}
	return n
}

// approvedQuoteLine is the approved quote's line for part (quantities of
// several lines added, the first line's price).
func approvedQuoteLine(o Order, part uuid.UUID) (QuoteItem, bool) {
	if o.QuoteStatus != "approved" {
		return QuoteItem{}, false
	}
	var out QuoteItem
	found := false
	for _, it := range o.QuoteItems {
		if it.PartID == nil || *it.PartID != part {
			continue
		}
		if !found {
			out, found = it, true
			continue
		}
		out.Qty += it.Qty
	}
	return out, found
}

func partPayload(l PartLine) JSON {
	return JSON{"kind": l.Kind, "part_id": l.PartID, "sku": l.SKU, "qty": l.Qty, "serials": l.Serials,
		"amount": l.Amount, "covered": l.Covered, "movement_id": l.MovementID, "location_id": l.LocationID}
}

// cleanSerials trims serial numbers; each 1–100 characters, no duplicates.
func cleanSerials(in []string) ([]string, *errs.FieldError) {
	if len(in) > MaxPartSerials {
		return nil, &errs.FieldError{Field: "serials", Message: "at most " + itoa(MaxPartSerials) + " serial numbers"}
	}
	out := make([]string, 0, len(in))
	for i, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || len(s) > 100 {
			return nil, &errs.FieldError{Field: "serials[" + itoa(i) + "]", Message: "must be 1 to 100 characters"}
		}
		if slices.Contains(out, s) {
			return nil, &errs.FieldError{Field: "serials[" + itoa(i) + "]", Message: "is given twice"}
		}
		out = append(out, s)
	}
	return out, nil
}

// CleanSerials is cleanSerials for the inventory's own inputs.
func CleanSerials(in []string) ([]string, error) {
	out, fe := cleanSerials(in)
	if fe != nil {
		return nil, errs.Fields([]errs.FieldError{*fe})
	}
	return out, nil
}

// PartReturn gives unused parts back from an order (the inventory's
// movement, kind return).
type PartReturn struct {
	OrderID, PartID, LocationID, MovementID uuid.UUID
	Qty                                     int64
	Serials                                 []string
	At                                      time.Time
}

// ReturnedTo is what the inventory learns of the order a part came back from.
type ReturnedTo struct {
	Number string
}

// ReturnPart takes a return off the order's current visit inside tx (the
// inventory's transaction): the order is locked, in p's scope (NotFound
// otherwise), not final (Conflict: a signed record does not change), and
// holds at least Qty of the part (Conflict). The return line is priced as
// the last issue of the part, negated, and an EventParts event written.
func (s *Service) ReturnPart(ctx context.Context, tx *gorm.DB, p auth.Principal, in PartReturn) (ReturnedTo, error) {
	var out ReturnedTo
	_, err := s.modifyOn(ctx, tx, p, in.OrderID, EventParts, func(c *change) error {
		o := c.o
		if o.Status == StatusCompleted || o.Status == StatusClosed || o.Status == StatusCancelled {
			return &errs.Error{Kind: errs.Conflict, Message: "the order is " + o.Status + ": its parts and charges are final",
				Extra: map[string]any{"current_status": o.Status}}
		}
		if held := o.PartsUsed.netQty(in.PartID); held < in.Qty {
			return &errs.Error{Kind: errs.Conflict, Message: "the order's current visit holds " + itoa64(held) + " of this part",
				Extra: map[string]any{"current_status": o.Status, "held": held}}
		}
		var last PartLine
		for _, l := range o.PartsUsed {
			if l.PartID == in.PartID && l.Kind == "issue" {
				last = l
			}
		}
		line := PartLine{MovementID: in.MovementID, Kind: "return", PartID: in.PartID, SKU: last.SKU, Name: last.Name,
			Qty: -in.Qty, Serials: in.Serials, UnitPrice: last.UnitPrice, Covered: last.Covered, LocationID: in.LocationID, At: in.At.UTC()}
		if line.Serials == nil {
			line.Serials = []string{}
		}
		if !last.Covered {
			line.Amount = -in.Qty * last.UnitPrice
		}
		o.PartsUsed = append(o.PartsUsed, line)
		c.payload = partPayload(line)
		out.Number = o.Number
		return nil
	})
	return out, err
}

// checkQuoteParts checks quote lines naming a part against the catalogue
// (before the order is locked); partsFit checks them against the order's
// product model (with the order locked).
func (s *Service) checkQuoteParts(ctx context.Context, lines []QuoteInput) (map[uuid.UUID]StockPart, error) {
	found := map[uuid.UUID]StockPart{}
	var fe []errs.FieldError
	for i, l := range lines {
		if l.PartID == nil {
			continue
		}
		at := "items[" + itoa(i) + "].part_id"
		if l.Kind != "part" {
			fe = append(fe, errs.FieldError{Field: at, Message: "only part lines name a part"})
			continue
		}
		if s.stock == nil {
			return nil, errs.E(errs.Unavailable, "the inventory is not configured")
		}
		pt, err := s.stock.Part(ctx, *l.PartID)
		if errs.Is(err, errs.NotFound) {
			fe = append(fe, errs.FieldError{Field: at, Message: "is not a part of the catalogue"})
			continue
		} else if err != nil {
			return nil, err
		}
		found[pt.ID] = pt
	}
	return found, errs.Fields(fe)
}

func partsFit(o Order, lines []QuoteInput, parts map[uuid.UUID]StockPart) error {
	var fe []errs.FieldError
	for i, l := range lines {
		if l.PartID == nil {
			continue
		}
		if pt, ok := parts[*l.PartID]; ok && !pt.Fits(o.ProductModelID) {
			fe = append(fe, errs.FieldError{Field: "items[" + itoa(i) + "].part_id", Message: "does not fit the order's product model"})
		}
	}
	return errs.Fields(fe)
}
