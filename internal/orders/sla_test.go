package orders

import (
	"testing"
	"time"

	"github.com/fieldops/fieldops/internal/platform/workcal"
)

func TestSLATimesOnTheWorkingCalendar(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	labourDay := workcal.Date{Year: 2026, Month: time.June, Day: 8} // a Monday holiday
	cal, err := workcal.New(sh, workcal.MondayToFriday, 8*60, 20*60, []workcal.Date{labourDay})
	if err != nil {
		t.Fatal(err)
	}
	at := func(d, h, m int) time.Time { return time.Date(2026, time.June, d, h, m, 0, 0, sh) }
	tests := []struct {
		name    string
		from    time.Time
		minutes int
		cal     *workcal.Calendar
		want    time.Time
	}{
		{"wall clock counts every minute", at(5, 19, 50), 30, nil, at(5, 20, 20)},
		{"working time stops at 20:00 on Friday and skips the weekend and a holiday", at(5, 19, 50), 30, &cal, at(9, 8, 20)},
		{"working time before opening starts at 08:00", at(3, 6, 0), 60, &cal, at(3, 9, 0)},
		{"a whole working day is 12 hours", at(3, 8, 0), 12 * 60, &cal, at(3, 20, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := dueAfter(tc.from, tc.minutes, tc.cal); !got.Equal(tc.want) {
				t.Errorf("dueAfter = %v, want %v", got.In(sh), tc.want)
			}
		})
	}

	t.Run("a pause pushes by the paused working time only", func(t *testing.T) {
		due := at(10, 12, 0)
		// paused Friday 18:00 → Tuesday 09:00 (weekend, Monday holiday): 2 h Friday + 1 h Tuesday
		if got := pushBy(due, at(5, 18, 0), at(9, 9, 0), &cal); !got.Equal(at(10, 15, 0)) {
			t.Errorf("working push = %v, want %v", got.In(sh), at(10, 15, 0))
		}
		if got := pushBy(due, at(5, 18, 0), at(9, 9, 0), nil); !got.Equal(due.Add(87 * time.Hour)) {
			t.Errorf("wall push = %v, want +87 h", got.In(sh))
		}
		if got := pushBy(due, at(9, 9, 0), at(5, 18, 0), nil); !got.Equal(due) {
			t.Errorf("a negative span pushed the due time to %v", got)
		}
	})
}
