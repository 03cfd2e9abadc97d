package page_test

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/page"
)

func TestCursorRoundTrip(t *testing.T) {
	id := uuid.MustParse("0195a2c4-7e1b-7c3d-9f00-123456789abc")
	tests := []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"microseconds are preserved",
			time.Date(2026, 3, 15, 10, 20, 30, 123456000, time.UTC),
			time.Date(2026, 3, 15, 10, 20, 30, 123456000, time.UTC)},
		{"nanoseconds are truncated to microseconds (PostgreSQL's precision)",
			time.Date(2026, 3, 15, 10, 20, 30, 123456789, time.UTC),
			time.Date(2026, 3, 15, 10, 20, 30, 123456000, time.UTC)},
		{"another zone comes back as the same instant in UTC",
			time.Date(2026, 3, 15, 18, 20, 30, 1000, time.FixedZone("CST", 8*3600)),
			time.Date(2026, 3, 15, 10, 20, 30, 1000, time.UTC)},
		{"times before 1970 survive",
			time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC),
			time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := page.Key{At: tc.at, ID: id}.Encode()
			got, err := page.Decode(c)
			if err != nil {
				t.Fatalf("Decode(%q): %v", c, err)
			}
			if !got.At.Equal(tc.want) || got.At.Location() != time.UTC {
				t.Errorf("At = %v (%v), want %v in UTC", got.At, got.At.Location(), tc.want)
			}
			if got.ID != id {
				t.Errorf("ID = %v, want %v", got.ID, id)
			}
		})
	}
	t.Run("the cursor is URL-safe and opaque", func(t *testing.T) {
		c := page.Key{At: time.Now(), ID: id}.Encode()
		for _, r := range c {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				t.Fatalf("cursor %q contains %q, which is not URL-safe", c, r)
			}
		}
	})
}

// fieldOf returns the single field an Invalid error names.
func fieldOf(t *testing.T, err error) string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *errs.Error", err, err)
	}
	if e.Kind != errs.Invalid || len(e.Fields) != 1 {
		t.Fatalf("error = %+v, want Invalid with one field", e)
	}
	return e.Fields[0].Field
}

func TestParse(t *testing.T) {
	key := page.Key{At: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), ID: uuid.New()}
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

	t.Run("valid input", func(t *testing.T) {
		tests := []struct {
			name, limit, cursor string
			wantLimit           int
			wantAfter           *page.Key
		}{
			{"no values give the default limit and the first page", "", "", page.DefaultLimit, nil},
			{"a limit is taken", "10", "", 10, nil},
			{"the smallest limit is 1", "1", "", 1, nil},
			{"the largest limit is the maximum", "200", "", page.MaxLimit, nil},
			{"a cursor is decoded", "5", key.Encode(), 5, &key},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r, err := page.Parse(tc.limit, tc.cursor)
				if err != nil {
					t.Fatalf("Parse(%q, %q): %v", tc.limit, tc.cursor, err)
				}
				if r.Limit != tc.wantLimit {
					t.Errorf("Limit = %d, want %d", r.Limit, tc.wantLimit)
				}
				switch {
				case tc.wantAfter == nil && r.After != nil:
					t.Errorf("After = %+v, want nil", *r.After)
				case tc.wantAfter != nil && (r.After == nil || !r.After.At.Equal(tc.wantAfter.At) || r.After.ID != tc.wantAfter.ID):
					t.Errorf("After = %+v, want %+v", r.After, *tc.wantAfter)
				}
			})
		}
	})

	t.Run("invalid input names the field", func(t *testing.T) {
		tests := []struct{ name, limit, cursor, field string }{
			{"zero limit", "0", "", "limit"},
			{"negative limit", "-1", "", "limit"},
			{"limit over the maximum", "201", "", "limit"},
			{"limit that is not a number", "ten", "", "limit"},
			{"fractional limit", "2.5", "", "limit"},
			{"cursor that is not base64", "", "!!!", "cursor"},
			{"cursor without a separator", "", b64("1700000000000000"), "cursor"},
			{"cursor with a bad time", "", b64("yesterday|" + key.ID.String()), "cursor"},
			{"cursor with a bad id", "", b64("1700000000000000|not-a-uuid"), "cursor"},
			{"cursor after year 9999", "", b64("253402300800000000|" + key.ID.String()), "cursor"},
			{"cursor before year 1", "", b64("-62135596800000001|" + key.ID.String()), "cursor"},
			{"cursor in padded standard base64", "", base64.StdEncoding.EncodeToString([]byte("1|" + key.ID.String())), "cursor"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r, err := page.Parse(tc.limit, tc.cursor)
				if err == nil {
					t.Fatalf("Parse(%q, %q) = %+v, want an error naming %s", tc.limit, tc.cursor, r, tc.field)
				}
				if got := fieldOf(t, err); got != tc.field {
					t.Errorf("error names %q, want %q", got, tc.field)
				}
			})
		}
	})
}

type row struct {
	at time.Time
	id uuid.UUID
}

func rowKey(r row) page.Key { return page.Key{At: r.at, ID: r.id} }

func TestCut(t *testing.T) {
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	rows := func(n int) []row {
		out := make([]row, n)
		for i := range out {
			out[i] = row{at: base.Add(time.Duration(i) * time.Microsecond), id: uuid.New()}
		}
		return out
	}
	tests := []struct {
		name         string
		rows, limit  int
		wantLen      int
		wantNextFrom int // index of the row the cursor points at; -1: no cursor
	}{
		{"no rows: empty last page", 0, 3, 0, -1},
		{"fewer rows than the limit: last page", 2, 3, 2, -1},
		{"exactly the limit: last page", 3, 3, 3, -1},
		{"one more than the limit: cursor after the last kept row", 4, 3, 3, 2},
		{"limit 1 with more rows", 2, 1, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := rows(tc.rows)
			got, next := page.Cut(in, tc.limit, rowKey)
			if len(got) != tc.wantLen {
				t.Fatalf("len(rows) = %d, want %d", len(got), tc.wantLen)
			}
			for i := range got {
				if got[i] != in[i] {
					t.Errorf("row %d changed or reordered", i)
				}
			}
			if tc.wantNextFrom < 0 {
				if next != "" {
					t.Errorf("next = %q, want no cursor", next)
				}
				return
			}
			k, err := page.Decode(next)
			if err != nil {
				t.Fatalf("Decode(next %q): %v", next, err)
			}
			want := in[tc.wantNextFrom]
			if !k.At.Equal(want.at) || k.ID != want.id {
				t.Errorf("next points at %+v, want row %d %+v", k, tc.wantNextFrom, want)
			}
		})
	}
}
