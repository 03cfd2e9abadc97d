package orders

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// Appointment limits.
const (
	MaxVisit       = 8 * time.Hour
	BookingHorizon = 90 * 24 * time.Hour
)

// AppointmentRules limit how customers move appointments and when a
// technician may leave without saying why (config appointments.*).
type AppointmentRules struct {
	// CustomerMaxMoves is how many times the customer may move an order's
	// appointment (staff moves are not counted and not limited).
	CustomerMaxMoves int
	// CustomerMoveCutoff: the customer may not move an appointment that
	// starts within this time.
	CustomerMoveCutoff time.Duration
	// EarlyDeparture: departing more than this before the appointment
	// window needs a reason, which the customer is told.
	EarlyDeparture time.Duration
}

// DefaultAppointmentRules: 3 customer moves, none within 24 h of the start;
// a reason to leave more than 3 h early.
var DefaultAppointmentRules = AppointmentRules{CustomerMaxMoves: 3, CustomerMoveCutoff: 24 * time.Hour, EarlyDeparture: 3 * time.Hour}

// WithAppointmentRules replaces DefaultAppointmentRules.
func WithAppointmentRules(r AppointmentRules) Option { return func(s *Service) { s.appt = r } }

// Book books the first visit, moves it (staff must give a reason; the old
// appointment stays in the history), or books the next visit after parts
// arrived. The window must be exactly one the region's working day offers
// (GET /slots: local working hours cut into slots; Invalid naming start and
// end otherwise). The customer may move an appointment at most
// CustomerMaxMoves times and not within CustomerMoveCutoff of its start
// (Conflict). The database refuses overlapping appointments of one
// technician, so two bookings racing for one slot cannot both win
// (ErrSlotTaken).
func (s *Service) Book(ctx context.Context, p auth.Principal, id uuid.UUID, w Window, reason string) (Order, error) {
	now := s.clock.Now()
	var fe []errs.FieldError
	switch {
	case !w.End.After(w.Start):
		fe = append(fe, errs.FieldError{Field: "end", Message: "must be after start"})
	case w.End.Sub(w.Start) > MaxVisit:
		fe = append(fe, errs.FieldError{Field: "end", Message: "a visit lasts at most 8 hours"})
	}
	if !w.Start.After(now) {
		fe = append(fe, errs.FieldError{Field: "start", Message: "must be in the future"})
	} else if w.Start.Sub(now) > BookingHorizon {
		fe = append(fe, errs.FieldError{Field: "start", Message: "must be within 90 days"})
	}
	if err := errs.Fields(fe); err != nil {
		return Order{}, err
	}
	reason = strings.TrimSpace(reason)
	return s.transition(ctx, p, id, ActAppointment, func(c *change) error {
		o := c.o
		moving := c.from == StatusScheduled
		if moving && (p.Role == auth.RoleDispatcher || p.Role == auth.RoleManager) && reason == "" {
			return errs.Field("reason", "is required when staff move an appointment")
		}
		if o.TechnicianID == nil {
			return &errs.Error{Kind: errs.Conflict, Message: "the order has no technician to book",
				Extra: map[string]any{"current_status": c.from}}
		}
		wd, err := c.st.workdayOf(c.ctx, o.Region)
		if err != nil {
			return err
		}
		if !wd.offers(w) {
			msg := "must be one of the windows GET /v1/orders/{id}/slots offers (" + wd.describe() + ")"
			return errs.Fields([]errs.FieldError{{Field: "start", Message: msg}, {Field: "end", Message: msg}})
		}
		if moving && p.Role == auth.RoleCustomer {
			if err := s.customerMayMove(c); err != nil {
				return err
			}
		}
		if err := c.st.endAppointment(c.ctx, o.ID, c.now); err != nil {
			return err
		}
		if err := c.st.book(c.ctx, Appointment{ID: ids.New(), OrderID: o.ID, TechnicianID: *o.TechnicianID, Reason: reason,
			BookedBy: &p.UserID, CreatedAt: c.now}, Window{Start: w.Start.UTC(), End: w.End.UTC()}); err != nil {
			return err
		}
		c.payload = JSON{"start": w.Start.UTC(), "end": w.End.UTC()}
		if moving {
			c.payload["previous_start"], c.payload["previous_end"], c.payload["reason"] = o.AppointmentStart, o.AppointmentEnd, reason
		}
		if c.from == StatusAwaitingParts {
			o.VisitCount++
			c.payload["visit"] = o.VisitCount
		}
		start, end := w.Start.UTC(), w.End.UTC()
		o.AppointmentStart, o.AppointmentEnd = &start, &end
		if pol, err := c.st.policy(c.ctx, o.Type, o.Priority); err == nil && pol.OnSiteMinutes == nil {
			o.OnSiteDue = &end // P4: on site "by appointment"
		}
		kind, title := "appointment_booked", "Appointment booked for "+o.Number
		if moving {
			kind, title = "appointment_moved", "Appointment moved for "+o.Number
		}
		body := wd.local(Window{Start: start, End: end})
		if reason != "" {
			body += " (" + reason + ")"
		}
		if err := c.notify(*o.TechnicianID, kind, title, body); err != nil {
			return err
		}
		return c.notify(o.CustomerID, kind, title, body)
	})
}

// customerMayMove applies the customer's move limits to the locked order
// (Conflict naming the limit).
func (s *Service) customerMayMove(c *change) error {
	if st := c.o.AppointmentStart; st != nil && st.Sub(c.now) < s.appt.CustomerMoveCutoff {
		return &errs.Error{Kind: errs.Conflict,
			Message: "the appointment starts within " + hours(s.appt.CustomerMoveCutoff) + ": it can no longer be moved in the app; please call us",
			Extra:   map[string]any{"current_status": c.from}}
	}
	n, err := c.st.customerMoves(c.ctx, c.o.ID)
	if err != nil {
		return err
	}
	if n >= s.appt.CustomerMaxMoves {
		return &errs.Error{Kind: errs.Conflict,
			Message: "the appointment was already moved " + itoa(n) + " times, the most allowed in the app; please call us",
			Extra:   map[string]any{"current_status": c.from}}
	}
	return nil
}

// hours writes d as "24 h" or "90 min".
func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return itoa(int(d/time.Hour)) + " h"
	}
	return itoa(int(d/time.Minute)) + " min"
}

// Slot is a free appointment window.
type Slot struct {
	Start, End   time.Time
	Technicians  int        // how many qualified technicians are free
	TechnicianID *uuid.UUID // set once the order is assigned
}

// Slots lists free windows over days local days from the date of from
// (zero: today in the region's time zone): of the assigned technician, or of
// the region's qualified technicians before assignment; a page of them in
// time order (NextCursor "" on the last page). The windows are the region's
// working hours in its local time cut into its slots, as UTC instants, and
// only those Book accepts: in the future and within BookingHorizon.
func (s *Service) Slots(ctx context.Context, p auth.Principal, id uuid.UUID, from time.Time, days int, pr page.Request) (SlotPage, error) {
	all, tz, err := s.freeSlots(ctx, p, id, from, days)
	if err != nil {
		return SlotPage{}, err
	}
	if pr.After != nil {
		all = slices.DeleteFunc(all, func(sl Slot) bool { return !sl.Start.After(pr.After.At) })
	}
	items, next := page.Cut(all, pr.Limit, func(sl Slot) page.Key { return page.Key{At: sl.Start} })
	return SlotPage{Items: items, NextCursor: next, TimeZone: tz}, nil
}

// SlotPage is one page of free windows.
type SlotPage struct {
	Items      []Slot
	NextCursor string
	TimeZone   string // the order region's IANA time zone
}

func (s *Service) freeSlots(ctx context.Context, p auth.Principal, id uuid.UUID, from time.Time, days int) ([]Slot, string, error) {
	if days < 1 || days > 31 {
		return nil, "", errs.Field("days", "must be between 1 and 31")
	}
	o, err := s.visible(ctx, p, id)
	if err != nil {
		return nil, "", err
	}
	rg, err := s.st.region(ctx, o.Region)
	if err != nil {
		return nil, "", err
	}
	wd, err := rg.workday()
	if err != nil {
		return nil, "", err
	}
	now := s.clock.Now()
	if from.IsZero() {
		from = now.In(wd.loc)
	}
	y, m, d := from.Date()
	first := time.Date(y, m, d, 0, 0, 0, 0, wd.loc)
	if first.Sub(now) > BookingHorizon {
		return nil, "", errs.Field("from", "must be within 90 days")
	}
	if first.Year() < now.Year()-1 {
		return nil, "", errs.Field("from", "must not be more than a year ago")
	}
	var techs []uuid.UUID
	if o.TechnicianID != nil {
		techs = []uuid.UUID{*o.TechnicianID}
	} else {
		us, err := s.people.Technicians(ctx, o.Region, SkillFor[o.Type], nil, false)
		if err != nil {
			return nil, "", err
		}
		techs = userIDs(us)
	}
	out := []Slot{}
	if len(techs) == 0 {
		return out, rg.TimeZone, nil
	}
	busy, err := s.st.busy(ctx, techs, first, time.Date(y, m, d+days, 0, 0, 0, 0, wd.loc))
	if err != nil {
		return nil, "", err
	}
	for i := range days {
		for _, w := range wd.windows(y, m, d+i) {
			if !w.Start.After(now) || w.Start.Sub(now) > BookingHorizon {
				continue
			}
			free := 0
			for _, t := range techs {
				if !overlapsAny(w, busy[t]) {
					free++
				}
			}
			if free > 0 {
				sl := Slot{Start: w.Start, End: w.End, Technicians: free}
				if o.TechnicianID != nil {
					sl.TechnicianID = o.TechnicianID
				}
				out = append(out, sl)
			}
		}
	}
	return out, rg.TimeZone, nil
}

func overlapsAny(w Window, ws []Window) bool {
	for _, b := range ws {
		if w.Start.Before(b.End) && b.Start.Before(w.End) {
			return true
		}
	}
	return false
}
