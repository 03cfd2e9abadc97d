package orders

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
)

// change is one transition in progress: the locked order and its transaction.
type change struct {
	ctx     context.Context
	st      store
	p       auth.Principal
	o       *Order
	now     time.Time
	from    Status // the status before this change
	payload JSON
	// unchanged, set by fn, means the change would leave the order as it
	// is: nothing is saved, the version stays and no event is written.
	unchanged bool
}

// notify queues an inbox entry for user in the same transaction.
func (c *change) notify(user uuid.UUID, kind, title, body string) error {
	if user == c.p.UserID {
		return nil // nobody needs to be told what they just did
	}
	return c.st.notify(c.ctx, &Notification{ID: ids.New(), UserID: user, Kind: kind, OrderID: &c.o.ID,
		Title: title, Body: body, CreatedAt: c.now})
}

// modify runs fn on the locked order in one transaction: lock the row, check
// visibility (404), let fn change the order (and queue notifications), save
// it and write the event named action with fn's payload — or nothing at all.
// The order comes back with its Parties as p may see them after the change.
func (s *Service) modify(ctx context.Context, p auth.Principal, id uuid.UUID, action string, fn func(c *change) error) (Order, error) {
	return s.modifyOn(ctx, s.db, p, id, action, fn)
}

// modifyOn is modify on db: the pool, or a caller's transaction (the
// inventory's return), in which it runs as a savepoint.
func (s *Service) modifyOn(ctx context.Context, db *gorm.DB, p auth.Principal, id uuid.UUID, action string, fn func(c *change) error) (Order, error) {
	sc, err := s.scopeOf(ctx, p)
	if err != nil {
		return Order{}, err
	}
	var out Order
	err = database.WithTx(ctx, db, func(tx *gorm.DB) error {
		st := s.st.tx(tx)
		o, joined, err := sc.lockWithParties(ctx, st, id)
		if err != nil {
			return err
		}
		before := partyKeysOf(o)
		c := &change{ctx: ctx, st: st, p: p, o: &o, now: s.clock.Now(), from: o.Status, payload: JSON{}}
		fromTech, fromProvider := o.TechnicianID, o.ProviderID
		if err := fn(c); err != nil {
			return err
		}
		if !c.unchanged {
			if o.TechnicianID == nil { // taken off (unassign, decline, a new visit): back to the intake provider
				o.ProviderID = o.IntakeProviderID
			}
			if err := slaOnChange(c, action); err != nil { // first response, pause (sla.go)
				return err
			}
			if err := st.save(ctx, &o); err != nil {
				return err
			}
			if err := st.addEvent(ctx, &Event{ID: ids.New(), OrderID: o.ID, Action: action, ActorID: &p.UserID, ActorRole: p.Role,
				FromStatus: c.from, ToStatus: o.Status, Payload: c.payload, CreatedAt: c.now, Audience: audienceOf(action),
				Visit: o.VisitCount, TechnicianID: eventTechnician(action, fromTech, o.TechnicianID)}); err != nil {
				return err
			}
			if err := c.writeOutbox(action, fromTech, fromProvider); err != nil { // webhooks (integration.go)
				return err
			}
		}
		if partyKeysOf(o) != before { // another technician, asset, model or region: read them again
			if joined, err = st.partiesOf(ctx, o); err != nil {
				return err
			}
		}
		o.Parties = partiesFor(p, o, joined)
		out = o
		return nil
	})
	return out, err
}

// transition runs life-cycle action a: the table decides whether p may take
// it from the current status (403/409), then apply adds the action's effects.
func (s *Service) transition(ctx context.Context, p auth.Principal, id uuid.UUID, a Action, apply func(c *change) error) (Order, error) {
	return s.modify(ctx, p, id, string(a), func(c *change) error {
		to, err := next(a, p, *c.o)
		if err != nil {
			return err
		}
		c.o.Status = to
		if apply != nil {
			return apply(c)
		}
		return nil
	})
}

// requireReason trims a reason and names the field when it is missing.
func requireReason(reason string) (string, error) {
	r := strings.TrimSpace(reason)
	if r == "" {
		return "", errs.Field("reason", "is required")
	}
	if utf8.RuneCountInString(r) > 1000 {
		return "", errs.Field("reason", "must be at most 1000 characters")
	}
	return r, nil
}

// TriageInput classifies a request; empty fields stay as they are.
type TriageInput struct {
	Priority, Type, Region, Notes string
}

// Triage acknowledges and classifies a request (first response). A changed
// type or priority recomputes the SLA due times from the creation time, and
// so does a move to another region under a working-hours policy (its
// calendar counts the hours).
func (s *Service) Triage(ctx context.Context, p auth.Principal, id uuid.UUID, in TriageInput) (Order, error) {
	var fe []errs.FieldError
	if in.Priority != "" && !slices.Contains(Priorities, in.Priority) {
		fe = append(fe, errs.FieldError{Field: "priority", Message: "must be one of P1, P2, P3, P4"})
	}
	if in.Type != "" && !slices.Contains(Types, in.Type) {
		fe = append(fe, errs.FieldError{Field: "type", Message: "must be one of " + strings.Join(Types, ", ")})
	}
	if err := errs.Fields(fe); err != nil {
		return Order{}, err
	}
	return s.transition(ctx, p, id, ActTriage, func(c *change) error {
		o := c.o
		if c.o.FirstRespondedAt == nil {
			o.FirstRespondedAt = &c.now
		}
		reprice := (in.Priority != "" && in.Priority != o.Priority) || (in.Type != "" && in.Type != o.Type)
		if in.Priority != "" {
			o.Priority = in.Priority
		}
		if in.Type != "" {
			o.Type = in.Type
		}
		moved := false // another region: another working calendar
		if r := strings.TrimSpace(in.Region); r != "" {
			moved = r != o.Region
			o.Region = r
		}
		if reprice || moved {
			pol, err := c.st.policy(c.ctx, o.Type, o.Priority)
			if err != nil {
				return err
			}
			// a move alone changes nothing on the wall clock
			if reprice || pol.Clock == SLAClockWorking {
				cal, err := policyCalendar(c.ctx, c.st.db, pol, o.Region)
				if err != nil {
					return err
				}
				applySLA(o, pol, cal)
			}
		}
		c.payload = JSON{"priority": o.Priority, "type": o.Type, "region": o.Region, "notes": strings.TrimSpace(in.Notes)}
		return nil
	})
}

// Accept confirms the job (the assigned technician only).
func (s *Service) Accept(ctx context.Context, p auth.Principal, id uuid.UUID) (Order, error) {
	return s.transition(ctx, p, id, ActAccept, func(c *change) error {
		if err := c.st.recordAcceptance(c.ctx, c.o.ID, p.UserID, c.now); err != nil {
			return err
		}
		return c.notify(c.o.CustomerID, "job_accepted", "Your request "+c.o.Number+" was accepted",
			"A technician accepted your request; choose an appointment slot.")
	})
}

// Decline hands the job back to dispatch with a reason.
func (s *Service) Decline(ctx context.Context, p auth.Principal, id uuid.UUID, reason string) (Order, error) {
	r, err := requireReason(reason)
	if err != nil {
		return Order{}, err
	}
	return s.transition(ctx, p, id, ActDecline, func(c *change) error {
		c.o.TechnicianID = nil
		c.payload = JSON{"reason": r, "technician_id": p.UserID}
		// a technician who never accepted the order loses it (404, gone from their list)
		return c.st.dropUnaccepted(c.ctx, c.o.ID, p.UserID)
	})
}

// Unassign takes the job away from its technician (staff, with a reason) and
// puts it back to triaged; a booked visit is cancelled. The technician is told
// (not the reason, which is internal); one who never accepted loses the order.
func (s *Service) Unassign(ctx context.Context, p auth.Principal, id uuid.UUID, reason string) (Order, error) {
	r, err := requireReason(reason)
	if err != nil {
		return Order{}, err
	}
	return s.transition(ctx, p, id, ActUnassign, func(c *change) error {
		previous := c.o.TechnicianID
		if err := c.st.endAppointment(c.ctx, c.o.ID, c.now); err != nil {
			return err
		}
		c.o.TechnicianID, c.o.AppointmentStart, c.o.AppointmentEnd = nil, nil, nil
		c.payload = JSON{"reason": r, "previous_technician_id": previous}
		if previous == nil {
			return nil
		}
		// a technician who never accepted the order loses it, as after a decline
		if err := c.st.dropUnaccepted(c.ctx, c.o.ID, *previous); err != nil {
			return err
		}
		// the reason is internal (audience.go): the technician gets a neutral text
		return c.notify(*previous, "job_unassigned", "Job "+c.o.Number+" was taken off your list",
			"Job "+c.o.Number+" was taken off your list.")
	})
}

// Depart says the technician is on the way. Leaving more than
// AppointmentRules.EarlyDeparture before the appointment window needs a
// reason (Invalid naming reason without one): it is kept on the event and
// the customer is told, since they may not be home yet.
func (s *Service) Depart(ctx context.Context, p auth.Principal, id uuid.UUID, reason string) (Order, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 1000 {
		return Order{}, errs.Field("reason", "must be at most 1000 characters")
	}
	return s.transition(ctx, p, id, ActDepart, func(c *change) error {
		body := "Order " + c.o.Number
		if start := c.o.AppointmentStart; start != nil && start.Sub(c.now) > s.appt.EarlyDeparture {
			if reason == "" {
				return errs.Field("reason", "is required when leaving more than "+hours(s.appt.EarlyDeparture)+" before the appointment window")
			}
			c.payload = JSON{"reason": reason, "early": true, "appointment_start": start.UTC()}
			body += ": your technician is leaving ahead of the appointment window: " + reason
		} else if reason != "" {
			c.payload = JSON{"reason": reason}
		}
		return c.notify(c.o.CustomerID, "technician_en_route", "Your technician is on the way", body)
	})
}

// DefaultCheckInMaxDistanceM is how far (metres) from the site's
// coordinates a check-in may be before it is flagged far_from_site.
const DefaultCheckInMaxDistanceM = 500

// WithCheckInMaxDistance sets the check-in distance (metres) beyond which an
// arrival is flagged far_from_site; 0 keeps the default.
func WithCheckInMaxDistance(m int) Option {
	return func(s *Service) { s.checkInMaxM = m }
}

// Arrive checks the technician in on site at lat/lng. When the site has
// coordinates, the event records distance_m, and far_from_site: true when the
// check-in is farther than the configured distance: a flag for staff (the
// payload key is internal, audience.go), never a refusal, since a phone's
// position or the site's geocode can be wrong.
func (s *Service) Arrive(ctx context.Context, p auth.Principal, id uuid.UUID, lat, lng float64) (Order, error) {
	var fe []errs.FieldError
	if lat < -90 || lat > 90 {
		fe = append(fe, errs.FieldError{Field: "lat", Message: "must be between -90 and 90"})
	}
	if lng < -180 || lng > 180 {
		fe = append(fe, errs.FieldError{Field: "lng", Message: "must be between -180 and 180"})
	}
	if err := errs.Fields(fe); err != nil {
		return Order{}, err
	}
	return s.transition(ctx, p, id, ActArrive, func(c *change) error {
		c.o.ArrivedAt, c.o.ArriveLat, c.o.ArriveLng = &c.now, &lat, &lng
		c.payload = JSON{"lat": lat, "lng": lng}
		if c.o.Address.Lat != nil && c.o.Address.Lng != nil {
			d := int(distanceKm(lat, lng, *c.o.Address.Lat, *c.o.Address.Lng) * 1000)
			c.payload["distance_m"] = d
			limit := s.checkInMaxM
			if limit <= 0 {
				limit = DefaultCheckInMaxDistanceM
			}
			if d > limit {
				c.payload["far_from_site"] = true
			}
		}
		return nil
	})
}

// MaxQuoteItems bounds a quote: with qty ≤ 10 000 and unit prices ≤ 10^8
// minor units, every sum stays far below 2^53, so amounts are exact in any
// JSON reader (and in the signed record).
const MaxQuoteItems = 100

// QuoteInput is one quote line as the technician enters it.
type QuoteInput struct {
	Kind        string
	PartID      *uuid.UUID
	Description string
	Qty         int64
	UnitPrice   int64
	Covered     bool
}

// Quote prices the work for the customer's approval. Covered lines cost 0
// while the order is in warranty; out of warranty nothing is covered.
func (s *Service) Quote(ctx context.Context, p auth.Principal, id uuid.UUID, lines []QuoteInput) (Order, error) {
	if len(lines) == 0 || len(lines) > MaxQuoteItems {
		return Order{}, errs.Field("items", "between 1 and "+itoa(MaxQuoteItems)+" items are required")
	}
	var fe []errs.FieldError
	for i, l := range lines {
		at := func(f string) string { return "items[" + itoa(i) + "]." + f }
		if l.Kind != "part" && l.Kind != "labour" && l.Kind != "fee" {
			fe = append(fe, errs.FieldError{Field: at("kind"), Message: "must be part, labour or fee"})
		}
		if l.Qty < 1 || l.Qty > 10000 {
			fe = append(fe, errs.FieldError{Field: at("qty"), Message: "must be between 1 and 10000"})
		}
		if l.UnitPrice < 0 || l.UnitPrice > 100_000_000 {
			fe = append(fe, errs.FieldError{Field: at("unit_price"), Message: "must be between 0 and 100000000 minor units"})
		}
		if strings.TrimSpace(l.Description) == "" {
			fe = append(fe, errs.FieldError{Field: at("description"), Message: "is required"})
		}
	}
	if err := errs.Fields(fe); err != nil {
		return Order{}, err
	}
	parts, err := s.checkQuoteParts(ctx, lines) // catalogue parts exist (issue 10)
	if err != nil {
		return Order{}, err
	}
	return s.transition(ctx, p, id, ActQuote, func(c *change) error {
		if err := partsFit(*c.o, lines, parts); err != nil {
			return err
		}
		items := make(QuoteItems, 0, len(lines))
		for _, l := range lines {
			covered := l.Covered && c.o.InWarranty
			amount := l.Qty * l.UnitPrice
			if covered {
				amount = 0
			}
			items = append(items, QuoteItem{Kind: l.Kind, PartID: l.PartID, Description: strings.TrimSpace(l.Description),
				Qty: l.Qty, UnitPrice: l.UnitPrice, Covered: covered, Amount: amount})
		}
		c.o.QuoteItems, c.o.QuoteStatus = items, "pending"
		total := c.o.QuoteTotal()
		c.payload = JSON{"items": len(items), "amount_due": total, "currency": c.o.Currency}
		return c.notify(c.o.CustomerID, "quote_waiting", "A quote for "+c.o.Number+" needs your approval",
			"Amount due: "+itoa64(total)+" "+c.o.Currency+" (minor units).")
	})
}

// ApproveQuote lets the paid work start (the order's customer only).
func (s *Service) ApproveQuote(ctx context.Context, p auth.Principal, id uuid.UUID) (Order, error) {
	return s.transition(ctx, p, id, ActApprove, func(c *change) error {
		c.o.QuoteStatus = "approved"
		c.payload = JSON{"amount_due": c.o.QuoteTotal()}
		if c.o.TechnicianID != nil {
			return c.notify(*c.o.TechnicianID, "quote_approved", "Quote approved for "+c.o.Number, "You may start the work.")
		}
		return nil
	})
}

// RejectQuote ends the visit without repair: the order completes, not fixed.
func (s *Service) RejectQuote(ctx context.Context, p auth.Principal, id uuid.UUID, reason string) (Order, error) {
	return s.transition(ctx, p, id, ActReject, func(c *change) error {
		fixed := false
		due := c.now.Add(FollowUpAfter) // the customer is called all the same
		c.o.QuoteStatus, c.o.Fixed, c.o.CompletedAt, c.o.FollowUpDueAt = "rejected", &fixed, &c.now, &due
		c.o.Resolution = "quote rejected by the customer"
		if r := strings.TrimSpace(reason); r != "" {
			c.o.Resolution += ": " + r
		}
		c.payload = JSON{"reason": strings.TrimSpace(reason)}
		if err := c.st.endAppointment(c.ctx, c.o.ID, c.now); err != nil {
			return err
		}
		if c.o.TechnicianID != nil {
			return c.notify(*c.o.TechnicianID, "quote_rejected", "Quote rejected for "+c.o.Number, c.o.Resolution)
		}
		return nil
	})
}

// Start begins the work. Out of warranty, chargeable work needs an approved
// quote first (which moves the order to in_progress itself), so Start is
// for warranty work at no charge.
func (s *Service) Start(ctx context.Context, p auth.Principal, id uuid.UUID) (Order, error) {
	return s.transition(ctx, p, id, ActStart, func(c *change) error {
		if !c.o.InWarranty {
			return &errs.Error{Kind: errs.Conflict, Message: "the product is out of warranty: send a quote and wait for the customer's approval",
				Extra: map[string]any{"current_status": StatusOnSite, "allowed_actions": []string{string(ActQuote)}}}
		}
		c.payload = JSON{"in_warranty": true, "charge": 0}
		return nil
	})
}

// AwaitParts pauses the work until parts arrive; a new visit is booked then.
func (s *Service) AwaitParts(ctx context.Context, p auth.Principal, id uuid.UUID, note string) (Order, error) {
	return s.transition(ctx, p, id, ActAwaitingParts, func(c *change) error {
		c.payload = JSON{"note": strings.TrimSpace(note)}
		if err := c.st.endAppointment(c.ctx, c.o.ID, c.now); err != nil {
			return err
		}
		c.o.AppointmentStart, c.o.AppointmentEnd = nil, nil
		return c.notify(c.o.CustomerID, "awaiting_parts", "Parts are on order for "+c.o.Number,
			"We will ask you to book a new visit when the parts are in.")
	})
}

// Cancel ends the order with a reason (customers until scheduled, staff until on site).
func (s *Service) Cancel(ctx context.Context, p auth.Principal, id uuid.UUID, reason string) (Order, error) {
	r, err := requireReason(reason)
	if err != nil {
		return Order{}, err
	}
	return s.transition(ctx, p, id, ActCancel, func(c *change) error {
		c.o.CancelReason = r
		c.o.AppointmentStart, c.o.AppointmentEnd = nil, nil
		c.payload = JSON{"reason": r}
		if err := c.st.endAppointment(c.ctx, c.o.ID, c.now); err != nil {
			return err
		}
		if c.o.TechnicianID != nil {
			if err := c.notify(*c.o.TechnicianID, "job_cancelled", "Job "+c.o.Number+" was cancelled", r); err != nil {
				return err
			}
		}
		return c.notify(c.o.CustomerID, "order_cancelled", "Your request "+c.o.Number+" was cancelled", r)
	})
}

// ReopenWindow is how long after completion an order can be reopened.
const ReopenWindow = 30 * 24 * time.Hour

// Reopen sends a completed order back to triage as a repeat repair.
func (s *Service) Reopen(ctx context.Context, p auth.Principal, id uuid.UUID, reason string) (Order, error) {
	r, err := requireReason(reason)
	if err != nil {
		return Order{}, err
	}
	return s.transition(ctx, p, id, ActReopen, func(c *change) error {
		if c.o.CompletedAt != nil && c.now.Sub(*c.o.CompletedAt) > ReopenWindow {
			return &errs.Error{Kind: errs.Conflict, Message: "orders can be reopened within 30 days of completion; submit a new request",
				Extra: map[string]any{"current_status": c.from, "completed_at": c.o.CompletedAt}} // c.o.Status is already the target
		}
		newVisit(c)
		c.payload = JSON{"reason": r, "visit_count": c.o.VisitCount}
		return nil
	})
}

// newVisit sends the order back to triage as a repeat repair: a new visit
// with its own check-in, quote and completion record. The earlier visit's
// record, photos and events stay as they were.
func newVisit(c *change) {
	o := c.o
	o.Status = StatusTriaged
	o.RepeatRepair = true
	o.VisitCount++
	o.TechnicianID, o.AppointmentStart, o.AppointmentEnd = nil, nil, nil
	o.Fixed, o.CompletedAt, o.Resolution, o.LabourMinutes = nil, nil, "", nil
	o.FollowUpDueAt, o.ClosedAt = nil, nil
	o.QuoteItems, o.QuoteStatus, o.ArrivedAt, o.ArriveLat, o.ArriveLng = QuoteItems{}, "none", nil, nil, nil
	o.PartsUsed = PartLines{} // the earlier visit's parts stay in its record and in the stock ledger
}
