package reports

import (
	"testing"
	"time"
)

func TestBucketBounds(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name, from, to, bucket string
		loc                    *time.Location
		want                   []string
	}{
		{"days in UTC, partial ends", "2026-06-01T09:00:00Z", "2026-06-03T10:00:00Z", "day", time.UTC,
			[]string{"2026-06-01T09:00:00Z", "2026-06-02T00:00:00Z", "2026-06-03T00:00:00Z", "2026-06-03T10:00:00Z"}},
		{"aligned window: no empty bucket", "2026-06-01T00:00:00Z", "2026-06-03T00:00:00Z", "day", time.UTC,
			[]string{"2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z", "2026-06-03T00:00:00Z"}},
		{"weeks start on Monday", "2026-06-03T00:00:00Z", "2026-06-20T00:00:00Z", "week", time.UTC,
			[]string{"2026-06-03T00:00:00Z", "2026-06-08T00:00:00Z", "2026-06-15T00:00:00Z", "2026-06-20T00:00:00Z"}},
		{"local midnights of the region", "2026-06-01T09:00:00Z", "2026-06-02T20:00:00Z", "day", shanghai,
			[]string{"2026-06-01T09:00:00Z", "2026-06-01T16:00:00Z", "2026-06-02T16:00:00Z", "2026-06-02T20:00:00Z"}},
		{"a DST day is 23 hours", "2026-03-28T23:00:00Z", "2026-03-30T22:00:00Z", "day", berlin,
			[]string{"2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", "2026-03-30T22:00:00Z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := bucketBounds(at(c.from), at(c.to), c.bucket, c.loc)
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i, w := range c.want {
				if !got[i].Equal(at(w)) {
					t.Errorf("bound %d = %s, want %s", i, got[i].UTC().Format(time.RFC3339), w)
				}
			}
		})
	}
}
