// Package workcal is a region's working calendar (SPEC §4, §8): its time
// zone, the working weekdays, the working hours (local wall-clock minutes
// after midnight) and the holidays (local dates). It answers "n working days
// after t", "d of working time after t" and "how much working time lies
// between a and b". It is pure: no database, no clock.
//
// Every bound is computed per local date with time.Date, so a daylight-saving
// change moves the working hours with local time: in Europe/Berlin the day
// the clocks go forward is 23 hours long, but its 08:00–20:00 is still 12
// working hours, and "one working day later" is the same local time of day
// (not 24 elapsed hours later).
//
// Working hours are the half-open interval [start, end) of each working day;
// lunch breaks are not modelled.
package workcal

import (
	"fmt"
	"time"
)

// Date is a local calendar date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the local date of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// ParseDate reads "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// String is "YYYY-MM-DD".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// next is the following calendar date (time.Date normalises the overflow).
func (d Date) next() Date {
	t := time.Date(d.Year, d.Month, d.Day+1, 12, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

// weekday is the day of the week of d.
func (d Date) weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// Calendar is a working calendar. Build it with New; the zero value is not usable.
type Calendar struct {
	loc        *time.Location
	weekdays   [7]bool // indexed by time.Weekday
	start, end int     // minutes after local midnight, start < end <= 24*60
	holidays   map[Date]bool
}

// MondayToFriday is the default set of working weekdays.
var MondayToFriday = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}

// maxDays bounds every walk over the calendar (about 30 years of dates), so a
// calendar whose holidays cover every working day cannot loop forever.
const maxDays = 11000

// New builds a calendar. start and end are local minutes after midnight
// (0 <= start < end <= 1440); at least one weekday must be a working day.
func New(loc *time.Location, weekdays []time.Weekday, start, end int, holidays []Date) (Calendar, error) {
	if loc == nil {
		return Calendar{}, fmt.Errorf("workcal: no time zone")
	}
	if start < 0 || end > 24*60 || start >= end {
		return Calendar{}, fmt.Errorf("workcal: working hours %d–%d minutes are not a range within one day", start, end)
	}
	c := Calendar{loc: loc, start: start, end: end, holidays: make(map[Date]bool, len(holidays))}
	for _, w := range weekdays {
		if w < time.Sunday || w > time.Saturday {
			return Calendar{}, fmt.Errorf("workcal: %d is not a weekday", w)
		}
		c.weekdays[w] = true
	}
	if len(weekdays) == 0 {
		return Calendar{}, fmt.Errorf("workcal: no working weekday")
	}
	for _, h := range holidays {
		c.holidays[h] = true
	}
	return c, nil
}

// Location is the calendar's time zone.
func (c Calendar) Location() *time.Location { return c.loc }

// IsWorkingDay reports whether the local date d is a working weekday and not a holiday.
func (c Calendar) IsWorkingDay(d Date) bool {
	return c.weekdays[d.weekday()] && !c.holidays[d]
}

// hours is the working interval of the local date d as instants.
func (c Calendar) hours(d Date) (from, to time.Time) {
	return time.Date(d.Year, d.Month, d.Day, 0, c.start, 0, 0, c.loc),
		time.Date(d.Year, d.Month, d.Day, 0, c.end, 0, 0, c.loc)
}

// NextOpen is t when t is working time, otherwise the start of the next
// working period (the next working day's start, or today's start when t is
// before the hours of a working day).
func (c Calendar) NextOpen(t time.Time) time.Time {
	d := DateOf(t, c.loc)
	for i := 0; i < maxDays; i, d = i+1, d.next() {
		if !c.IsWorkingDay(d) {
			continue
		}
		from, to := c.hours(d)
		if t.Before(from) {
			return from
		}
		if t.Before(to) {
			return t
		}
	}
	return t
}

// AddWorkingDays is the instant n working days after t, at the same local
// time of day. When t is outside working time (a weekend, a holiday, before
// or after the hours), it first moves to the next opening (NextOpen) and
// counts from there: a complaint raised on Friday evening with n = 1 is due
// on Tuesday at the opening hour, as if it had been raised at Monday's
// opening. n <= 0 gives NextOpen(t). A local time that does not exist on the
// target date (a DST gap) is normalised by time.Date (moved forward by the
// gap).
func (c Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	t = c.NextOpen(t).In(c.loc)
	if n <= 0 {
		return t
	}
	h, mi, s := t.Clock()
	d := DateOf(t, c.loc)
	for i := 0; n > 0 && i < maxDays; i++ {
		d = d.next()
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return time.Date(d.Year, d.Month, d.Day, h, mi, s, t.Nanosecond(), c.loc)
}

// AddWorking is the instant at which d of working time has elapsed after t
// (for targets counted in "working hours"): time outside the working hours,
// on non-working weekdays and on holidays does not count. When the last
// working period ends exactly at the target, the result is that period's
// end (not the next opening). d <= 0 gives t.
func (c Calendar) AddWorking(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	day := DateOf(t, c.loc)
	for i := 0; i < maxDays; i, day = i+1, day.next() {
		if !c.IsWorkingDay(day) {
			continue
		}
		from, to := c.hours(day)
		if from.Before(t) {
			from = t
		}
		if !from.Before(to) {
			continue
		}
		if avail := to.Sub(from); d <= avail {
			return from.Add(d)
		} else {
			d -= avail
		}
	}
	return t.Add(d) // unreachable for a calendar with working days
}

// WorkingBetween is the working time in [a, b); zero when b is not after a.
func (c Calendar) WorkingBetween(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	var sum time.Duration
	day := DateOf(a, c.loc)
	last := DateOf(b, c.loc)
	for i := 0; i < maxDays; i, day = i+1, day.next() {
		if c.IsWorkingDay(day) {
			from, to := c.hours(day)
			if from.Before(a) {
				from = a
			}
			if to.After(b) {
				to = b
			}
			if to.After(from) {
				sum += to.Sub(from)
			}
		}
		if day == last {
			break
		}
	}
	return sum
}
