package workcal

import (
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// berlin is Mon–Fri 08:00–20:00 in Europe/Berlin with 2026-12-25 a holiday.
func berlin(t *testing.T) Calendar {
	t.Helper()
	c, err := New(mustLoc(t, "Europe/Berlin"), MondayToFriday, 8*60, 20*60, []Date{{2026, 12, 25}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func at(t *testing.T, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAddWorkingDays(t *testing.T) {
	c := berlin(t)
	loc := c.Location()
	for _, tc := range []struct {
		name, from string
		n          int
		want       string
	}{
		{"same week", "2026-12-01 10:30", 1, "2026-12-02 10:30"},        // Tue → Wed
		{"over the weekend", "2026-12-04 10:30", 1, "2026-12-07 10:30"}, // Fri → Mon
		{"three over the weekend", "2026-12-03 09:00", 3, "2026-12-08 09:00"},
		{"over a holiday", "2026-12-24 11:00", 1, "2026-12-28 11:00"},      // Thu → (Fri holiday, weekend) → Mon
		{"after hours", "2026-12-01 21:00", 1, "2026-12-03 08:00"},         // Tue evening → Wed 08:00 → Thu 08:00
		{"before hours", "2026-12-01 06:00", 1, "2026-12-02 08:00"},        // Tue 06:00 → Tue 08:00 → Wed 08:00
		{"on a Saturday", "2026-12-05 12:00", 1, "2026-12-08 08:00"},       // → Mon 08:00 → Tue 08:00
		{"at the closing time", "2026-12-04 20:00", 1, "2026-12-08 08:00"}, // closing is outside: Mon 08:00 → Tue
		{"zero days opens", "2026-12-05 12:00", 0, "2026-12-07 08:00"},
		{"DST forward keeps the local time", "2026-03-27 09:00", 1, "2026-03-30 09:00"}, // Fri, clocks change Sun 29 Mar
		{"DST back keeps the local time", "2026-10-23 15:00", 1, "2026-10-26 15:00"},    // clocks change Sun 25 Oct
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := c.AddWorkingDays(at(t, loc, tc.from), tc.n)
			if want := at(t, loc, tc.want); !got.Equal(want) {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tc.from, tc.n, got.In(loc), want)
			}
		})
	}
	// across the DST change one working day is 71 elapsed hours Fri→Mon, not 72
	from := at(t, loc, "2026-03-27 09:00")
	if got := c.AddWorkingDays(from, 1).Sub(from); got != 71*time.Hour {
		t.Errorf("elapsed across spring DST = %s, want 71h", got)
	}
}

func TestAddWorking(t *testing.T) {
	c := berlin(t)
	loc := c.Location()
	for _, tc := range []struct {
		name, from string
		d          time.Duration
		want       string
	}{
		{"within the day", "2026-12-01 10:00", 2 * time.Hour, "2026-12-01 12:00"},
		{"ends at closing", "2026-12-01 10:00", 10 * time.Hour, "2026-12-01 20:00"},
		{"into the next day", "2026-12-01 19:00", 2 * time.Hour, "2026-12-02 09:00"},
		{"over the weekend", "2026-12-04 19:30", time.Hour, "2026-12-07 08:30"},
		{"over a holiday and weekend", "2026-12-24 19:00", 4 * time.Hour, "2026-12-28 11:00"},
		{"from outside hours", "2026-12-05 03:00", 30 * time.Minute, "2026-12-07 08:30"},
		{"before hours", "2026-12-01 07:00", 30 * time.Minute, "2026-12-01 08:30"},
		{"zero", "2026-12-05 03:00", 0, "2026-12-05 03:00"},
		{"several days", "2026-12-01 08:00", 36 * time.Hour, "2026-12-03 20:00"},
		{"DST forward day has 12 working hours", "2026-03-27 19:00", 13 * time.Hour, "2026-03-30 20:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := c.AddWorking(at(t, loc, tc.from), tc.d)
			if want := at(t, loc, tc.want); !got.Equal(want) {
				t.Errorf("AddWorking(%s, %s) = %s, want %s", tc.from, tc.d, got.In(loc), want)
			}
		})
	}
}

func TestWorkingBetween(t *testing.T) {
	c := berlin(t)
	loc := c.Location()
	for _, tc := range []struct {
		name, a, b string
		want       time.Duration
	}{
		{"within the day", "2026-12-01 10:00", "2026-12-01 12:30", 150 * time.Minute},
		{"whole weekend", "2026-12-05 00:00", "2026-12-07 00:00", 0},
		{"Fri evening to Mon morning", "2026-12-04 19:00", "2026-12-07 09:00", 2 * time.Hour},
		{"holiday skipped", "2026-12-24 08:00", "2026-12-28 08:00", 12 * time.Hour},
		{"reversed", "2026-12-02 10:00", "2026-12-01 10:00", 0},
		{"outside hours only", "2026-12-01 20:00", "2026-12-02 08:00", 0},
		{"DST back week", "2026-10-23 08:00", "2026-10-27 08:00", 24 * time.Hour}, // Fri + Mon
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.WorkingBetween(at(t, loc, tc.a), at(t, loc, tc.b)); got != tc.want {
				t.Errorf("WorkingBetween(%s, %s) = %s, want %s", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

// AddWorking and WorkingBetween agree: the working time from t to AddWorking(t, d) is d.
func TestAddWorkingInvertsWorkingBetween(t *testing.T) {
	c := berlin(t)
	start := at(t, c.Location(), "2026-03-20 17:13")
	for d := 7 * time.Minute; d < 200*time.Hour; d += 97 * time.Minute {
		end := c.AddWorking(start, d)
		if got := c.WorkingBetween(start, end); got != d {
			t.Fatalf("WorkingBetween(start, AddWorking(start, %s)) = %s", d, got)
		}
	}
}

func TestNewRejects(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	for name, f := range map[string]func() error{
		"no zone":       func() error { _, err := New(nil, MondayToFriday, 480, 1200, nil); return err },
		"no weekday":    func() error { _, err := New(loc, nil, 480, 1200, nil); return err },
		"empty hours":   func() error { _, err := New(loc, MondayToFriday, 600, 600, nil); return err },
		"past midnight": func() error { _, err := New(loc, MondayToFriday, 600, 1500, nil); return err },
		"bad weekday":   func() error { _, err := New(loc, []time.Weekday{9}, 480, 1200, nil); return err },
	} {
		if f() == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

func TestWeekendWorkingDays(t *testing.T) {
	// a region working Tue–Sat
	c, err := New(mustLoc(t, "Asia/Shanghai"), []time.Weekday{2, 3, 4, 5, 6}, 9*60, 18*60, nil)
	if err != nil {
		t.Fatal(err)
	}
	loc := c.Location()
	got := c.AddWorkingDays(at(t, loc, "2026-12-05 10:00"), 1) // Sat → Tue
	if want := at(t, loc, "2026-12-08 10:00"); !got.Equal(want) {
		t.Errorf("Sat + 1 = %s, want %s", got.In(loc), want)
	}
}
