package orders

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/workcal"
)

// A region's working calendar (issue 11): its working weekdays (on the
// regions row) and holidays (region_holidays), with its zone and working
// hours, make a workcal.Calendar. SLA targets counted in working hours and
// complaint due times (working days) are computed on it.

// RegionHoliday is a non-working local date of a region.
type RegionHoliday struct {
	RegionCode string    `gorm:"primaryKey"`
	Day        time.Time `gorm:"primaryKey;type:date"`
	Name       string
}

// DefaultRegionCode names the calendar of things that belong to no region
// (a complaint without an order): its row if an operator configured one,
// else DefaultRegion.
const DefaultRegionCode = "default"

// Weekdays are the working-day names of the API and the regions row, Monday first.
var Weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

func weekdayOf(name string) (time.Weekday, bool) {
	i := slices.Index(Weekdays, name)
	if i < 0 {
		return 0, false
	}
	return time.Weekday((i + 1) % 7), true
}

// Calendar is the region's working calendar with the given holidays.
func (r Region) Calendar(holidays []workcal.Date) (workcal.Calendar, error) {
	w, err := r.workday()
	if err != nil {
		return workcal.Calendar{}, err
	}
	days := make([]time.Weekday, 0, len(r.WorkingDays))
	for _, d := range r.WorkingDays {
		wd, ok := weekdayOf(d)
		if !ok {
			return workcal.Calendar{}, errs.E(errs.Internal, "region %q: %q is not a weekday", r.Code, d)
		}
		days = append(days, wd)
	}
	c, err := workcal.New(w.loc, days, w.start, w.end, holidays)
	if err != nil {
		return workcal.Calendar{}, errs.Wrap(errs.Internal, err, "region "+r.Code)
	}
	return c, nil
}

// CalendarOf loads the working calendar of the region named code (db may be
// a transaction); a code without a row gets DefaultRegion's calendar
// (Monday to Friday, no holidays).
func CalendarOf(ctx context.Context, db *gorm.DB, code string) (workcal.Calendar, error) {
	st := store{db: db}
	r, err := st.region(ctx, code)
	if err != nil {
		return workcal.Calendar{}, err
	}
	var days []time.Time
	if err := db.WithContext(ctx).Model(&RegionHoliday{}).Where("region_code = ?", code).Pluck("day", &days).Error; err != nil {
		return workcal.Calendar{}, err
	}
	hs := make([]workcal.Date, len(days))
	for i, d := range days {
		hs[i] = workcal.Date{Year: d.Year(), Month: d.Month(), Day: d.Day()}
	}
	return r.Calendar(hs)
}

// RegionCalendar is a region with its holidays, sorted by date.
type RegionCalendar struct {
	Region   Region
	Holidays []RegionHoliday
}

// Regions lists the configured regions (by code) with their holidays.
func (s *Service) Regions(ctx context.Context) ([]RegionCalendar, error) {
	var rs []Region
	if err := s.db.WithContext(ctx).Raw(`SELECT code, name, time_zone, to_char(work_start, 'HH24:MI') AS work_start,
to_char(work_end, 'HH24:MI') AS work_end, slot_minutes, working_days FROM regions ORDER BY code`).Scan(&rs).Error; err != nil {
		return nil, err
	}
	var hs []RegionHoliday
	if err := s.db.WithContext(ctx).Order("region_code, day").Find(&hs).Error; err != nil {
		return nil, err
	}
	out := make([]RegionCalendar, len(rs))
	for i, r := range rs {
		out[i].Region = r
		out[i].Holidays = []RegionHoliday{}
		for _, h := range hs {
			if h.RegionCode == r.Code {
				out[i].Holidays = append(out[i].Holidays, h)
			}
		}
	}
	return out, nil
}

// RegionInput is a region's whole configuration (PUT replaces it).
type RegionInput struct {
	Name, TimeZone, WorkStart, WorkEnd string
	SlotMinutes                        int
	WorkingDays                        []string
	Holidays                           []HolidayInput
}

// HolidayInput is one holiday, Date "YYYY-MM-DD".
type HolidayInput struct{ Date, Name string }

// maxHolidays bounds one region's holiday list (several years of them).
const maxHolidays = 500

// check validates in as the region named code and returns its holidays as
// dates (the calendar they make is built once to be sure it is valid).
func (in RegionInput) check(code string) ([]workcal.Date, error) {
	var fe []errs.FieldError
	bad := func(f, m string) { fe = append(fe, errs.FieldError{Field: f, Message: m}) }
	if code == "" || utf8.RuneCountInString(code) > 64 || strings.TrimSpace(code) != code {
		bad("code", "must be 1–64 characters without surrounding spaces")
	}
	if utf8.RuneCountInString(in.Name) > 200 {
		bad("name", "must be at most 200 characters")
	}
	if _, err := loadLocation(in.TimeZone); err != nil || in.TimeZone == "" || in.TimeZone == "Local" {
		bad("time_zone", "must be an IANA time zone name, e.g. Europe/Berlin")
	}
	start, err1 := clockMinutes(in.WorkStart)
	end, err2 := clockMinutes(in.WorkEnd)
	switch {
	case err1 != nil || len(in.WorkStart) != 5:
		bad("work_start", "must be HH:MM")
	case err2 != nil || len(in.WorkEnd) != 5:
		bad("work_end", "must be HH:MM")
	case start >= end:
		bad("work_end", "must be after work_start")
	}
	if in.SlotMinutes < 15 || in.SlotMinutes > 720 {
		bad("slot_minutes", "must be between 15 and 720")
	}
	if len(in.WorkingDays) == 0 {
		bad("working_days", "must name at least one weekday")
	}
	for i, d := range in.WorkingDays {
		if _, ok := weekdayOf(d); !ok {
			bad("working_days", "must be weekday names: "+strings.Join(Weekdays, ", "))
			break
		} else if slices.Index(in.WorkingDays, d) != i {
			bad("working_days", "must not repeat a weekday")
			break
		}
	}
	if len(in.Holidays) > maxHolidays {
		bad("holidays", "must be at most 500 dates")
	}
	dates := make([]workcal.Date, 0, len(in.Holidays))
	for _, h := range in.Holidays {
		d, err := workcal.ParseDate(h.Date)
		if err != nil {
			bad("holidays", "dates must be YYYY-MM-DD")
			break
		}
		if slices.Contains(dates, d) {
			bad("holidays", "must not repeat a date ("+h.Date+")")
			break
		}
		if utf8.RuneCountInString(h.Name) > 200 {
			bad("holidays", "names must be at most 200 characters")
			break
		}
		dates = append(dates, d)
	}
	if err := errs.Fields(fe); err != nil {
		return nil, err
	}
	r := Region{Code: code, TimeZone: in.TimeZone, WorkStart: in.WorkStart, WorkEnd: in.WorkEnd, SlotMinutes: in.SlotMinutes, WorkingDays: in.WorkingDays}
	if _, err := r.Calendar(dates); err != nil {
		return nil, err
	}
	return dates, nil
}

// PutRegion creates or replaces the region named code with its holidays, in
// one transaction (managers; the router checks the role). Orders already
// created keep the due times computed when they were created.
func (s *Service) PutRegion(ctx context.Context, p auth.Principal, code string, in RegionInput) (RegionCalendar, error) {
	if p.Role != auth.RoleManager {
		return RegionCalendar{}, errs.E(errs.Forbidden, "only managers configure regions")
	}
	in.Name = strings.TrimSpace(in.Name)
	dates, err := in.check(code)
	if err != nil {
		return RegionCalendar{}, err
	}
	out := RegionCalendar{Region: Region{Code: code, Name: in.Name, TimeZone: in.TimeZone, WorkStart: in.WorkStart,
		WorkEnd: in.WorkEnd, SlotMinutes: in.SlotMinutes, WorkingDays: in.WorkingDays}, Holidays: []RegionHoliday{}}
	for i, d := range dates {
		out.Holidays = append(out.Holidays, RegionHoliday{RegionCode: code, Day: time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC),
			Name: strings.TrimSpace(in.Holidays[i].Name)})
	}
	slices.SortFunc(out.Holidays, func(a, b RegionHoliday) int { return a.Day.Compare(b.Day) })
	err = database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		r := out.Region
		if err := tx.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "code"}}, UpdateAll: true}).Create(&r).Error; err != nil {
			return err
		}
		if err := tx.WithContext(ctx).Where("region_code = ?", code).Delete(&RegionHoliday{}).Error; err != nil {
			return err
		}
		if len(out.Holidays) > 0 {
			return tx.WithContext(ctx).Create(&out.Holidays).Error
		}
		return nil
	})
	return out, err
}
