package main

import (
	"slices"
	"testing"
	"time"
)

func TestParseCounts(t *testing.T) {
	tests := []struct {
		in    string
		sizes bool
		want  []int
		err   bool
	}{
		{"10k,1m", true, []int{10_000, 1_000_000}, false},
		{" 250000 , 2K", true, []int{250_000, 2000}, false},
		{"1,32", false, []int{1, 32}, false},
		{"10k", false, nil, true}, // suffixes are for sizes only
		{"0", true, nil, true},
		{"", false, nil, true},
	}
	for _, tt := range tests {
		got, err := parseCounts(tt.in, tt.sizes)
		if (err != nil) != tt.err || !slices.Equal(got, tt.want) {
			t.Errorf("parseCounts(%q, %v) = %v, %v; want %v, error %v", tt.in, tt.sizes, got, err, tt.want, tt.err)
		}
	}
}

func TestSizeName(t *testing.T) {
	for n, want := range map[int]string{10_000: "10k", 1_000_000: "1m", 2_500_000: "2500k", 1234: "1234"} {
		if got := sizeName(n); got != want {
			t.Errorf("sizeName(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestQuantileIsNearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	if got := quantile(lat, 0.50); got != 50*time.Millisecond {
		t.Errorf("p50 = %s, want 50ms", got)
	}
	if got := quantile(lat, 0.99); got != 99*time.Millisecond {
		t.Errorf("p99 = %s, want 99ms", got)
	}
	if got := quantile(lat[:1], 0.99); got != time.Millisecond {
		t.Errorf("p99 of one = %s, want 1ms", got)
	}
}

func TestCacheNoteNamesTheSeedParameters(t *testing.T) {
	o := options{technicians: 200, customers: 20000}
	if a, b := cacheNote(o, 10_000), cacheNote(o, 1_000_000); a == b {
		t.Fatalf("the notes of two sizes are equal: %q", a)
	}
	o2 := o
	o2.customers = 100
	if cacheNote(o, 10_000) == cacheNote(o2, 10_000) {
		t.Fatal("the note ignores --customers")
	}
}
