package orders

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/identity"
)

func TestChooseTechnician(t *testing.T) {
	lat, lng := 31.0, 121.0
	near, far := 31.01, 32.0
	a := identity.User{ID: uuid.New(), Name: "A", DailyCapacity: 3, LastLat: &near, LastLng: &lng}
	b := identity.User{ID: uuid.New(), Name: "B", DailyCapacity: 3, LastLat: &far, LastLng: &lng}
	c := identity.User{ID: uuid.New(), Name: "C", DailyCapacity: 1}
	o := Order{Type: "repair", Region: "north", Address: catalog.Address{Lat: &lat, Lng: &lng}}

	cases := []struct {
		name  string
		cands []identity.User
		load  map[uuid.UUID]int
		want  *identity.User
		why   string
	}{
		{"fewest open jobs wins", []identity.User{a, b}, map[uuid.UUID]int{a.ID: 2, b.ID: 1}, &b, "1 open jobs"},
		{"a tie goes to the nearest", []identity.User{b, a}, map[uuid.UUID]int{a.ID: 1, b.ID: 1}, &a, "km away"},
		{"a known distance beats an unknown one", []identity.User{c, a}, map[uuid.UUID]int{}, &a, "km away"},
		{"technicians at capacity are skipped", []identity.User{a, c}, map[uuid.UUID]int{a.ID: 3, c.ID: 0}, &c, "capacity 1"},
		{"everybody full is a refusal", []identity.User{a, c}, map[uuid.UUID]int{a.ID: 3, c.ID: 1}, nil, "daily capacity"},
		{"nobody qualified is a refusal", nil, nil, nil, "no on-duty technician"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, why, ok := choose(o, tc.cands, tc.load)
			if (tc.want != nil) != ok || (ok && got.ID != tc.want.ID) {
				t.Fatalf("choose = %s, %v (%s); want %v", got.Name, ok, why, tc.want)
			}
			if !strings.Contains(why, tc.why) {
				t.Fatalf("reason %q does not mention %q", why, tc.why)
			}
		})
	}
}
