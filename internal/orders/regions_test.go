package orders

import (
	"strings"
	"testing"
	"time"

	"github.com/fieldops/fieldops/internal/platform/errs"
)

func mustWorkday(t *testing.T, r Region) workday {
	t.Helper()
	w, err := r.workday()
	if err != nil {
		t.Fatalf("workday %+v: %v", r, err)
	}
	return w
}

// utcStarts writes the windows as "HH:MM-HH:MM" in UTC.
func utcStarts(ws []Window) string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Start.UTC().Format("15:04")+"-"+w.End.UTC().Format("15:04"))
	}
	return strings.Join(out, " ")
}

func TestRegionWindowsAreLocalWorkingHours(t *testing.T) {
	berlin := Region{Code: "de", TimeZone: "Europe/Berlin", WorkStart: "08:00", WorkEnd: "20:00", SlotMinutes: 120}
	cases := []struct {
		name   string
		region Region
		day    string
		want   string
	}{
		{"the default: Shanghai 08-20 is 00-12 UTC", DefaultRegion("x"), "2026-06-02",
			"00:00-02:00 02:00-04:00 04:00-06:00 06:00-08:00 08:00-10:00 10:00-12:00"},
		{"Berlin the day before summer time (UTC+1)", berlin, "2026-03-28",
			"07:00-09:00 09:00-11:00 11:00-13:00 13:00-15:00 15:00-17:00 17:00-19:00"},
		{"Berlin on the day summer time starts (UTC+2 from 03:00)", berlin, "2026-03-29",
			"06:00-08:00 08:00-10:00 10:00-12:00 12:00-14:00 14:00-16:00 16:00-18:00"},
		{"Berlin on the day summer time ends (UTC+1 from 03:00)", berlin, "2026-10-25",
			"07:00-09:00 09:00-11:00 11:00-13:00 13:00-15:00 15:00-17:00 17:00-19:00"},
		{"New York (UTC-4): the local day runs past midnight UTC",
			Region{Code: "ny", TimeZone: "America/New_York", WorkStart: "14:00", WorkEnd: "22:00", SlotMinutes: 120}, "2026-06-02",
			"18:00-20:00 20:00-22:00 22:00-00:00 00:00-02:00"},
		{"a window that does not fit before closing is not offered",
			Region{Code: "p", TimeZone: "UTC", WorkStart: "07:30", WorkEnd: "18:00", SlotMinutes: 120}, "2026-06-02",
			"07:30-09:30 09:30-11:30 11:30-13:30 13:30-15:30 15:30-17:30"},
		{"90-minute slots", Region{Code: "q", TimeZone: "UTC", WorkStart: "08:00", WorkEnd: "12:30", SlotMinutes: 90}, "2026-06-02",
			"08:00-09:30 09:30-11:00 11:00-12:30"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := mustWorkday(t, c.region)
			d, _ := time.Parse("2006-01-02", c.day)
			ws := w.windows(d.Year(), d.Month(), d.Day())
			if got := utcStarts(ws); got != c.want {
				t.Errorf("windows\n got %s\nwant %s", got, c.want)
			}
			for _, win := range ws {
				if !w.offers(win) {
					t.Errorf("%v is not offered", win)
				}
				if w.offers(Window{Start: win.Start.Add(time.Minute), End: win.End.Add(time.Minute)}) ||
					w.offers(Window{Start: win.Start, End: win.End.Add(time.Hour)}) {
					t.Errorf("a window next to %v is offered", win)
				}
			}
		})
	}
}

func TestRegionMisconfigurationIsInternal(t *testing.T) {
	for _, r := range []Region{
		{Code: "a", TimeZone: "Mars/Olympus", WorkStart: "08:00", WorkEnd: "20:00", SlotMinutes: 120},
		{Code: "b", TimeZone: "", WorkStart: "08:00", WorkEnd: "20:00", SlotMinutes: 120},
		{Code: "c", TimeZone: "UTC", WorkStart: "20:00", WorkEnd: "08:00", SlotMinutes: 120},
		{Code: "d", TimeZone: "UTC", WorkStart: "8", WorkEnd: "20:00", SlotMinutes: 120},
		{Code: "e", TimeZone: "UTC", WorkStart: "08:00", WorkEnd: "20:00", SlotMinutes: 0},
	} {
		if _, err := r.workday(); errs.KindOf(err) != errs.Internal {
			t.Errorf("%+v: err %v, want an Internal error", r, err)
		}
	}
}
