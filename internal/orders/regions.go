package orders

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // zone data in the binary: time.LoadLocation works in containers without /usr/share/zoneinfo

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Region is a service region (SPEC §8): its IANA time zone and its working
// hours in local time ("HH:MM"), cut into SlotMinutes windows back to back.
// Orders and technicians name regions by Code; a code without a row gets
// DefaultRegion's hours and zone.
type Region struct {
	Code        string `gorm:"primaryKey"`
	Name        string
	TimeZone    string
	WorkStart   string `gorm:"type:time without time zone"` // read as "HH:MM" (store.region)
	WorkEnd     string `gorm:"type:time without time zone"`
	SlotMinutes int
	// WorkingDays are the working weekdays, "mon".."sun" (migration 000016;
	// default Monday to Friday); holidays are RegionHoliday rows.
	WorkingDays pq.StringArray `gorm:"type:text[]"`
}

// DefaultTimeZone is the zone of a region without a row in regions.
const DefaultTimeZone = "Asia/Shanghai"

// DefaultRegion is a region without a row: 08:00–20:00 in Asia/Shanghai,
// 2-hour windows (SPEC §8).
func DefaultRegion(code string) Region {
	return Region{Code: code, TimeZone: DefaultTimeZone, WorkStart: "08:00", WorkEnd: "20:00", SlotMinutes: 120,
		WorkingDays: pq.StringArray{"mon", "tue", "wed", "thu", "fri"}}
}

// workday is a region's working day ready for slot arithmetic: minutes
// after local midnight, in loc.
type workday struct {
	loc              *time.Location
	start, end, slot int
}

// locations caches loaded zones: the zone data is immutable, so every
// replica computes the same.
var locations sync.Map // name → *time.Location

func loadLocation(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, l)
	return l, nil
}

// workday checks r and converts it; a bad row is an Internal error (the
// operator must fix the regions table).
func (r Region) workday() (workday, error) {
	loc, err := loadLocation(r.TimeZone)
	if err != nil || r.TimeZone == "" || r.TimeZone == "Local" {
		return workday{}, errs.E(errs.Internal, "region %q: time zone %q is not an IANA zone name", r.Code, r.TimeZone)
	}
	start, err1 := clockMinutes(r.WorkStart)
	end, err2 := clockMinutes(r.WorkEnd)
	if err1 != nil || err2 != nil || start >= end || r.SlotMinutes < 1 {
		return workday{}, errs.E(errs.Internal, "region %q: working hours %s–%s in %d-minute slots are not valid", r.Code, r.WorkStart, r.WorkEnd, r.SlotMinutes)
	}
	return workday{loc: loc, start: start, end: end, slot: r.SlotMinutes}, nil
}

// clockMinutes reads "HH:MM" (or "HH:MM:SS", seconds ignored) as minutes after midnight; 24:00 is the end of the day.
func clockMinutes(s string) (int, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h*60+m > 24*60 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return h*60 + m, nil
}

// windows are the day's appointment windows on the local date y-m-d, as
// instants. Each bound is a wall-clock time of that date (time.Date), so a
// daylight-saving change moves the windows with local time; a window that
// does not fit before the end of the working day is not offered.
func (w workday) windows(y int, m time.Month, d int) []Window {
	out := make([]Window, 0, (w.end-w.start)/w.slot)
	for k := w.start; k+w.slot <= w.end; k += w.slot {
		out = append(out, Window{Start: time.Date(y, m, d, 0, k, 0, 0, w.loc).UTC(),
			End: time.Date(y, m, d, 0, k+w.slot, 0, 0, w.loc).UTC()})
	}
	return out
}

// offers reports whether win is exactly one of the region's windows (of the
// local day it starts on).
func (w workday) offers(win Window) bool {
	y, m, d := win.Start.In(w.loc).Date()
	for _, c := range w.windows(y, m, d) {
		if c.Start.Equal(win.Start) && c.End.Equal(win.End) {
			return true
		}
	}
	return false
}

// region reads the region named code, or DefaultRegion when it has no row.
func (s store) region(ctx context.Context, code string) (Region, error) {
	var rs []Region
	err := s.db.WithContext(ctx).Raw(`SELECT code, name, time_zone, to_char(work_start, 'HH24:MI') AS work_start,
to_char(work_end, 'HH24:MI') AS work_end, slot_minutes, working_days FROM regions WHERE code = ?`, code).Scan(&rs).Error
	if err != nil {
		return Region{}, err
	}
	if len(rs) == 0 {
		return DefaultRegion(code), nil
	}
	return rs[0], nil
}

// workdayOf is the working day of the region named code.
func (s store) workdayOf(ctx context.Context, code string) (workday, error) {
	r, err := s.region(ctx, code)
	if err != nil {
		return workday{}, err
	}
	return r.workday()
}

// customerMoves counts the appointment moves the order's customer made:
// bookings while the order was already scheduled (the timeline keeps them).
func (s store) customerMoves(ctx context.Context, order uuid.UUID) (int, error) {
	var n int
	err := s.db.WithContext(ctx).Raw(`SELECT count(*) FROM order_events
WHERE order_id = ? AND action = ? AND from_status = ? AND actor_role = ?`, order, string(ActAppointment), string(StatusScheduled), auth.RoleCustomer).Scan(&n).Error
	return n, err
}

// describe says what the region offers, e.g. "08:00–20:00 Asia/Shanghai in 120-minute windows".
func (w workday) describe() string {
	hm := func(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
	return hm(w.start) + "–" + hm(w.end) + " " + w.loc.String() + " in " + strconv.Itoa(w.slot) + "-minute windows"
}

// local writes a window in the region's local time, e.g. "2026-06-02 10:00–12:00 (Asia/Shanghai)".
func (w workday) local(win Window) string {
	return win.Start.In(w.loc).Format("2006-01-02 15:04") + "–" + win.End.In(w.loc).Format("15:04") + " (" + w.loc.String() + ")"
}
