package api

import (
	"github.com/fieldops/fieldops/internal/orders"
)

// RegionRequest is a region's whole working calendar; PUT replaces it.
type RegionRequest struct {
	Name        string           `json:"name,omitempty" validate:"max=200" maxLength:"200" example:"North"` // optional: absent keeps ""
	TimeZone    string           `json:"time_zone" validate:"required" example:"Asia/Shanghai"`             // IANA zone name
	WorkStart   string           `json:"work_start" validate:"required" pattern:"^[0-2][0-9]:[0-5][0-9]$" example:"08:00"`
	WorkEnd     string           `json:"work_end" validate:"required" pattern:"^[0-2][0-9]:[0-5][0-9]$" example:"20:00"`
	SlotMinutes int              `json:"slot_minutes" validate:"required" minimum:"15" maximum:"720" example:"120"`
	WorkingDays []Weekday        `json:"working_days" validate:"required" minItems:"1" maxItems:"7" example:"mon,tue,wed,thu,fri"`
	Holidays    []HolidayRequest `json:"holidays" validate:"required" maxItems:"500"`
} // @name RegionRequest

// Weekday is a working weekday of a region.
type Weekday string // @name Weekday

// Weekday values.
const (
	WeekdayMon Weekday = "mon"
	WeekdayTue Weekday = "tue"
	WeekdayWed Weekday = "wed"
	WeekdayThu Weekday = "thu"
	WeekdayFri Weekday = "fri"
	WeekdaySat Weekday = "sat"
	WeekdaySun Weekday = "sun"
)

// HolidayRequest is a non-working local date of the region.
type HolidayRequest struct {
	Date string `json:"date" validate:"required" format:"date" example:"2026-10-01"`
	Name string `json:"name" validate:"max=200" maxLength:"200" example:"National Day"`
} // @name HolidayRequest

// RegionResponse is a region's working calendar: appointments are
// slot_minutes windows from work_start to work_end (local time); SLA working
// hours and complaint working days count the working days' hours, holidays
// excepted.
type RegionResponse struct {
	Code        string            `json:"code" example:"north"`
	Name        string            `json:"name" example:"North"`
	TimeZone    string            `json:"time_zone" example:"Asia/Shanghai"`
	WorkStart   string            `json:"work_start" example:"08:00"`
	WorkEnd     string            `json:"work_end" example:"20:00"`
	SlotMinutes int               `json:"slot_minutes" minimum:"15" maximum:"720" example:"120"`
	WorkingDays []Weekday         `json:"working_days" minItems:"1" maxItems:"7" example:"mon,tue,wed,thu,fri"`
	Holidays    []HolidayResponse `json:"holidays"` // by date
} // @name Region

// HolidayResponse is a non-working local date of the region.
type HolidayResponse struct {
	Date string `json:"date" format:"date" example:"2026-10-01"`
	Name string `json:"name" example:"National Day"`
} // @name Holiday

// RegionList is every configured region, by code (a region without a row
// works 08:00–20:00 Monday to Friday in Asia/Shanghai, 120-minute windows).
type RegionList struct {
	Items []RegionResponse `json:"items"`
} // @name RegionList

func toRegionResponse(rc orders.RegionCalendar) RegionResponse {
	r := rc.Region
	out := RegionResponse{Code: r.Code, Name: r.Name, TimeZone: r.TimeZone, WorkStart: r.WorkStart, WorkEnd: r.WorkEnd,
		SlotMinutes: r.SlotMinutes, WorkingDays: enumsOf[Weekday](r.WorkingDays), Holidays: make([]HolidayResponse, len(rc.Holidays))}
	for i, h := range rc.Holidays {
		out.Holidays[i] = HolidayResponse{Date: h.Day.Format("2006-01-02"), Name: h.Name}
	}
	return out
}

func fromRegionRequest(r RegionRequest) orders.RegionInput {
	in := orders.RegionInput{Name: r.Name, TimeZone: r.TimeZone, WorkStart: r.WorkStart, WorkEnd: r.WorkEnd,
		SlotMinutes: r.SlotMinutes, WorkingDays: enumsOf[string](r.WorkingDays), Holidays: make([]orders.HolidayInput, len(r.Holidays))}
	for i, h := range r.Holidays {
		in.Holidays[i] = orders.HolidayInput{Date: h.Date, Name: h.Name}
	}
	return in
}
