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

// SlotHours are the daily appointment windows offered, in UTC: [start, end) hours.
var SlotHours = [][2]int{{8, 10}, {10, 12}, {13, 15}, {15, 17}}

// Book books the first visit, moves it (staff must give a reason; the old
// appointment stays in the history), or books the next visit after parts
// arrived. The database refuses overlapping appointments of one technician,
// so two bookings racing for one slot cannot both win (ErrSlotTaken).
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
		body := start.Format("2006-01-02 15:04") + "–" + end.Format("15:04") + " UTC"
		if reason != "" {
			body += " (" + reason + ")"
		}
		if err := c.notify(*o.TechnicianID, kind, title, body); err != nil {
			return err
		}
		return c.notify(o.CustomerID, kind, title, body)
	})
}

// Slot is a free appointment window.
type Slot struct {
	Start, End   time.Time
	Technicians  int        // how many qualified technicians are free
	TechnicianID *uuid.UUID // set once the order is assigned
}

// Slots lists free windows over days days from the date of from: of the
// assigned technician, or of the region's qualified technicians before
// assignment; a page of them in time order (NextCursor "" on the last page).
func (s *Service) Slots(ctx context.Context, p auth.Principal, id uuid.UUID, from time.Time, days int, pr page.Request) (SlotPage, error) {
	all, err := s.freeSlots(ctx, p, id, from, days)
	if err != nil {
		return SlotPage{}, err
	}
	if pr.After != nil {
		all = slices.DeleteFunc(all, func(sl Slot) bool { return !sl.Start.After(pr.After.At) })
	}
	items, next := page.Cut(all, pr.Limit, func(sl Slot) page.Key { return page.Key{At: sl.Start} })
	return SlotPage{Items: items, NextCursor: next}, nil
}

// SlotPage is one page of free windows.
type SlotPage struct {
	Items      []Slot
	NextCursor string
}

func (s *Service) freeSlots(ctx context.Context, p auth.Principal, id uuid.UUID, from time.Time, days int) ([]Slot, error) {
	if days < 1 || days > 31 {
		return nil, errs.Field("days", "must be between 1 and 31")
	}
	o, err := s.visible(ctx, p, id)
	if err != nil {
		return nil, err
	}
	var techs []uuid.UUID
	if o.TechnicianID != nil {
		techs = []uuid.UUID{*o.TechnicianID}
	} else {
		us, err := s.people.Technicians(ctx, o.Region, SkillFor[o.Type], nil, false)
		if err != nil {
			return nil, err
		}
		techs = userIDs(us)
	}
	now := s.clock.Now()
	day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	end := day.AddDate(0, 0, days)
	out := []Slot{}
	if len(techs) == 0 {
		return out, nil
	}
	busy, err := s.st.busy(ctx, techs, day, end)
	if err != nil {
		return nil, err
	}
	for d := day; d.Before(end); d = d.AddDate(0, 0, 1) {
		for _, h := range SlotHours {
			w := Window{Start: d.Add(time.Duration(h[0]) * time.Hour), End: d.Add(time.Duration(h[1]) * time.Hour)}
			if !w.Start.After(now) {
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
	return out, nil
}

func overlapsAny(w Window, ws []Window) bool {
	for _, b := range ws {
		if w.Start.Before(b.End) && b.Start.Before(w.End) {
			return true
		}
	}
	return false
}
