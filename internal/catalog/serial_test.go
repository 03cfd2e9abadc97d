package catalog

import "testing"

func TestNormalizeSerial(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"SN-1", "SN-1", true},
		{"  sn-1\t", "SN-1", true},
		{"S N-1", "SN-1", true},
		{"SN\u200b-1", "SN-1", true},       // zero-width space
		{"\ufeffSN-1\u200d", "SN-1", true}, // BOM, zero-width joiner
		{"SN\u00ad-1", "SN-1", true},       // soft hyphen
		{"\u202eSN-1\u202c", "SN-1", true}, // bidi override
		{"SN\u3164-1", "SN-1", true},       // Hangul filler
		{"ＳＮ－１", "SN-1", true},             // full-width
		{"SN\u00a0-1", "SN-1", true},       // no-break space
		{"sn-ß", "SN-SS", false},           // not ASCII after NFKC: refused
		{"АС-1", "АС-1", false},            // Cyrillic lookalikes
		{"\u200b", "", true},               // nothing left: the caller says "required"
	}
	for _, c := range cases {
		got, ok := NormalizeSerial(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("NormalizeSerial(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
