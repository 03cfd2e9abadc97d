package catalog_test

import (
	"testing"
	"time"

	"github.com/fieldops/fieldops/internal/catalog"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestWarrantyOn(t *testing.T) {
	std := catalog.ProductModel{WarrantyMonths: 12, SoftwareWarrantyMonths: 3, ReturnWindowDays: 180}
	oneMonth := catalog.ProductModel{WarrantyMonths: 1, SoftwareWarrantyMonths: 1, ReturnWindowDays: 30}
	none := catalog.ProductModel{WarrantyMonths: 0, SoftwareWarrantyMonths: 0, ReturnWindowDays: 0}

	tests := []struct {
		name     string
		model    catalog.ProductModel
		purchase time.Time
		at       time.Time
		wantIn   bool
		wantEnds time.Time
	}{
		{"the day before the end date is covered", std, day(2026, 3, 15), day(2027, 3, 14), true, day(2027, 3, 15)},
		{"the end date itself is covered", std, day(2026, 3, 15), day(2027, 3, 15), true, day(2027, 3, 15)},
		{"the last second of the end date is covered", std, day(2026, 3, 15), time.Date(2027, 3, 15, 23, 59, 59, 0, time.UTC), true, day(2027, 3, 15)},
		{"the day after the end date is not covered", std, day(2026, 3, 15), day(2027, 3, 16), false, day(2027, 3, 15)},
		{"the purchase day is covered", std, day(2026, 3, 15), day(2026, 3, 15), true, day(2027, 3, 15)},
		{"a purchase time of day does not move the end date", std, time.Date(2026, 3, 15, 18, 30, 0, 0, time.UTC), day(2027, 3, 15), true, day(2027, 3, 15)},
		{"dates are UTC calendar dates", std, day(2026, 3, 15), time.Date(2027, 3, 15, 20, 0, 0, 0, time.FixedZone("EST", -5*3600)), false, day(2027, 3, 15)},

		// month ends: one month after 31 January is the last day of February, not 3 March
		{"month-end purchase ends on the last day of a shorter month", oneMonth, day(2026, 1, 31), day(2026, 2, 28), true, day(2026, 2, 28)},
		{"month-end purchase is not covered into the month after", oneMonth, day(2026, 1, 31), day(2026, 3, 1), false, day(2026, 2, 28)},
		{"month-end purchase in a leap year ends on 29 February", oneMonth, day(2024, 1, 31), day(2024, 2, 29), true, day(2024, 2, 29)},
		{"the 30th plus one month into February ends on its last day", oneMonth, day(2026, 1, 30), day(2026, 3, 1), false, day(2026, 2, 28)},
		{"31 March plus one month ends on 30 April", oneMonth, day(2026, 3, 31), day(2026, 5, 1), false, day(2026, 4, 30)},
		{"31 December plus one month ends on 31 January", oneMonth, day(2025, 12, 31), day(2026, 1, 31), true, day(2026, 1, 31)},

		// leap day
		{"leap-day purchase plus 12 months ends on 28 February", std, day(2024, 2, 29), day(2025, 2, 28), true, day(2025, 2, 28)},
		{"leap-day purchase plus 12 months is not covered on 1 March", std, day(2024, 2, 29), day(2025, 3, 1), false, day(2025, 2, 28)},
		{"leap-day purchase plus 48 months ends on the next leap day", catalog.ProductModel{WarrantyMonths: 48}, day(2024, 2, 29), day(2028, 2, 29), true, day(2028, 2, 29)},

		// no warranty
		{"a 0-month warranty covers the purchase day", none, day(2026, 6, 1), day(2026, 6, 1), true, day(2026, 6, 1)},
		{"a 0-month warranty does not cover the next day", none, day(2026, 6, 1), day(2026, 6, 2), false, day(2026, 6, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := catalog.WarrantyOn(tc.model, tc.purchase, tc.at)
			if w.InWarranty != tc.wantIn {
				t.Errorf("InWarranty = %v, want %v (EndsAt %s, at %s)", w.InWarranty, tc.wantIn, w.EndsAt.Format(time.DateOnly), tc.at)
			}
			if !w.EndsAt.Equal(tc.wantEnds) {
				t.Errorf("EndsAt = %s, want %s", w.EndsAt.Format(time.DateOnly), tc.wantEnds.Format(time.DateOnly))
			}
		})
	}
}

func TestWarrantyOnSoftwareAndReturnWindow(t *testing.T) {
	tests := []struct {
		name         string
		model        catalog.ProductModel
		purchase     time.Time
		wantSoftware time.Time
		wantReturn   time.Time
	}{
		{"defaults: 3 months of software, 180 days of returns", catalog.ProductModel{WarrantyMonths: 12, SoftwareWarrantyMonths: 3, ReturnWindowDays: 180},
			day(2026, 1, 1), day(2026, 4, 1), day(2026, 6, 30)},
		{"software months from a month end clamp to the month's last day", catalog.ProductModel{SoftwareWarrantyMonths: 3, ReturnWindowDays: 14},
			day(2025, 11, 30), day(2026, 2, 28), day(2025, 12, 14)},
		{"the return window counts days across a leap day", catalog.ProductModel{SoftwareWarrantyMonths: 6, ReturnWindowDays: 30},
			day(2024, 2, 15), day(2024, 8, 15), day(2024, 3, 16)},
		{"zero software months and zero return days end on the purchase date", catalog.ProductModel{},
			day(2026, 7, 4), day(2026, 7, 4), day(2026, 7, 4)},
		{"a time of day on the purchase does not leak into the dates", catalog.ProductModel{SoftwareWarrantyMonths: 1, ReturnWindowDays: 1},
			time.Date(2026, 2, 10, 23, 59, 0, 0, time.UTC), day(2026, 3, 10), day(2026, 2, 11)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := catalog.WarrantyOn(tc.model, tc.purchase, tc.purchase)
			if !w.SoftwareEndsAt.Equal(tc.wantSoftware) {
				t.Errorf("SoftwareEndsAt = %s, want %s", w.SoftwareEndsAt.Format(time.DateOnly), tc.wantSoftware.Format(time.DateOnly))
			}
			if !w.ReturnUntil.Equal(tc.wantReturn) {
				t.Errorf("ReturnUntil = %s, want %s", w.ReturnUntil.Format(time.DateOnly), tc.wantReturn.Format(time.DateOnly))
			}
		})
	}
}
