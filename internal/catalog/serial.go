package catalog

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm" // x/text: the Go team's Unicode tables (NFKC); already in the module graph
)

// MaxSerialLength bounds a normalised serial number.
const MaxSerialLength = 100

// NormalizeSerial is the one form a serial number is stored, compared and
// looked up in: NFKC (full-width "ＳＮ１" is "SN1"), white space, control and
// invisible format characters (zero-width space, BOM, bidi marks, soft
// hyphen) removed, upper case. ok is false when what remains is not printable
// ASCII: serials on labels are ASCII, and refusing the rest keeps lookalikes
// from other scripts (Cyrillic "А" for Latin "A") from making a second serial.
func NormalizeSerial(s string) (out string, ok bool) {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.In(r, unicode.Cc, unicode.Cf) || unicode.Is(unicode.Variation_Selector, r) ||
			r == '\u034F' || r == '\u115F' || r == '\u1160' || r == '\u3164' || r == '\uFFA0' { // fillers shown as nothing
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	out = b.String()
	for i := 0; i < len(out); i++ {
		if out[i] < 0x21 || out[i] > 0x7E {
			return out, false
		}
	}
	return out, true
}
