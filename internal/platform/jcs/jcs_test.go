package jcs_test

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/fieldops/fieldops/internal/platform/jcs"
)

func mustCanonicalize(t *testing.T, in string) string {
	t.Helper()
	out, err := jcs.Canonicalize([]byte(in))
	if err != nil {
		t.Fatalf("Canonicalize(%q): %v", in, err)
	}
	return string(out)
}

// The example of RFC 8785 §3.2.4: whitespace dropped, members sorted,
// numbers and strings rewritten.
func TestCanonicalizeRFCExample(t *testing.T) {
	in := `{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`
	want := `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`
	if got := mustCanonicalize(t, in); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// RFC 8785 §3.2.3: names sort by UTF-16 code units, so U+1F600 (a surrogate
// pair starting 0xD83D) comes before U+FB33, unlike in code-point or UTF-8
// byte order.
func TestCanonicalizeSortsByUTF16CodeUnits(t *testing.T) {
	in := `{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`
	want := "{" +
		`"\r":"Carriage Return",` +
		`"1":"One",` +
		"\"\u0080\":\"Control\"," +
		"\"\u00f6\":\"Latin Small Letter O With Diaeresis\"," +
		"\"\u20ac\":\"Euro Sign\"," +
		"\"\U0001F600\":\"Emoji: Grinning Face\"," +
		"\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"" +
		"}"
	if got := mustCanonicalize(t, in); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	nested := `{"b":{"z":1,"a":[{"y":2,"x":1}]},"a":0}`
	if got, want := mustCanonicalize(t, nested), `{"a":0,"b":{"a":[{"x":1,"y":2}],"z":1}}`; got != want {
		t.Errorf("nested: got %s, want %s", got, want)
	}
}

// RFC 8785 §3.2.2.2: only " \ and controls are escaped, the five short
// forms where they exist, \u00xx in lower case otherwise; everything else is
// literal UTF-8, including what encoding/json would HTML-escape.
func TestCanonicalizeStringEscapes(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"short escapes", `"\u0008\u0009\u000A\u000C\u000D"`, `"\b\t\n\f\r"`},
		{"other controls in lower-case hex", `"\u0000\u0001\u001F\u000b"`, `"\u0000\u0001\u001f\u000b"`},
		{"quote and backslash", `"\u0022\u005C"`, `"\"\\"`},
		{"solidus unescaped", `"\/"`, `"/"`},
		{"DEL is not a control here", `"\u007f"`, "\"\x7f\""},
		{"HTML characters literal", `"\u003c\u003e\u0026<>&"`, `"<>&<>&"`},
		{"line and paragraph separators literal", `"\u2028\u2029"`, "\"\u2028\u2029\""},
		{"non-ASCII literal", `"\u00e9\u4e2d\u6587\ud83d\ude00"`, "\"é中文😀\""},
		{"raw UTF-8 kept", "\"维修 é\"", "\"维修 é\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustCanonicalize(t, tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// RFC 8785 §3.2.2.3 and Appendix B: numbers as ECMAScript writes them.
func TestCanonicalizeNumbers(t *testing.T) {
	literal := []struct{ in, want string }{
		{"1E30", "1e+30"},
		{"4.50", "4.5"},
		{"2e-3", "0.002"},
		{"0.000001", "0.000001"},
		{"1e-7", "1e-7"},
		{"0.0000001", "1e-7"},
		{"-0", "0"},
		{"-0.0e5", "0"},
		{"0", "0"},
		{"333333333.33333329", "333333333.3333333"},
		{"9007199254740992", "9007199254740992"},
		{"-9007199254740992", "-9007199254740992"},
		{"9007199254740993", "9007199254740992"}, // nearest double
		{"1e20", "100000000000000000000"},
		{"1e21", "1e+21"},
		{"123e-2", "1.23"},
		{"-1.5E+2", "-150"},
		{"12345", "12345"},
		{"0.1", "0.1"},
		{"1e-27", "1e-27"},
	}
	for _, tt := range literal {
		if got := mustCanonicalize(t, tt.in); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.in, got, tt.want)
		}
	}

	// Appendix B gives doubles by their bits; NaN and Infinity have no JSON
	// spelling and are left out.
	bits := []struct {
		bits uint64
		want string
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"},
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	}
	for _, tt := range bits {
		f := math.Float64frombits(tt.bits)
		in := strconv.FormatFloat(f, 'g', -1, 64)
		if got := mustCanonicalize(t, in); got != tt.want {
			t.Errorf("%#016x (%s): got %s, want %s", tt.bits, in, got, tt.want)
		}
	}
}

func TestCanonicalizeRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"duplicate key", `{"a":1,"b":2,"a":3}`},
		{"duplicate key spelled with an escape", `{"a":1,"\u0061":2}`},
		{"nested duplicate key", `[{"k":{"x":1,"x":1}}]`},
		{"invalid UTF-8 in a string", "\"ab\xffcd\""},
		{"invalid UTF-8 in a key", "{\"\xc3\x28\":1}"},
		{"truncated UTF-8", "\"\xe4\xb8\""},
		{"lone high surrogate", `"\ud800"`},
		{"lone low surrogate", `"\udc00"`},
		{"high surrogate then a letter", `"\ud83dx"`},
		{"high surrogate then a non-surrogate escape", `"\ud83d\u0041"`},
		{"number beyond a double", `1e400`},
		{"negative number beyond a double", `[-1e400]`},
		{"leading zero", `01`},
		{"leading plus", `+1`},
		{"bare fraction", `.5`},
		{"NaN", `NaN`},
		{"Infinity", `[Infinity]`},
		{"trailing comma", `[1,]`},
		{"unterminated object", `{"a":1`},
		{"trailing data", `{"a":1} {}`},
		{"empty input", ``},
		{"only whitespace", "  \n"},
		{"single quotes", `{'a':1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := jcs.Canonicalize([]byte(tt.in))
			if err == nil {
				t.Fatalf("Canonicalize(%q) = %q, want an error", tt.in, out)
			}
			if !errors.Is(err, jcs.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
	if _, err := jcs.Canonicalize(nil); !errors.Is(err, jcs.ErrInvalid) {
		t.Errorf("nil input: got %v, want ErrInvalid", err)
	}
}

func TestCanonicalizeIsIdempotent(t *testing.T) {
	inputs := []string{
		`{"b": [1, 2.50, {"d": null, "c": true}], "a": "x\ty"}`,
		`{"\u20ac":1,"\ud83d\ude00":2,"\ufb33":3,"\r":4}`,
		`[1e30, -0, 0.000001, 1e-7, 333333333.33333329]`,
		`"\u0001\u2028<tag>&amp;"`,
		`{"order":{"number":"WO-2026-000042","visit":2},"items":[],"asset":null}`,
		` 42 `,
		`true`,
	}
	for _, in := range inputs {
		once := mustCanonicalize(t, in)
		twice := mustCanonicalize(t, once)
		if once != twice {
			t.Errorf("not idempotent for %q:\nonce  %s\ntwice %s", in, once, twice)
		}
		if strings.ContainsAny(once, "\n") {
			t.Errorf("canonical form of %q has a raw newline: %q", in, once)
		}
	}
}

func TestMarshal(t *testing.T) {
	type line struct {
		Qty    int64   `json:"qty"`
		Amount float64 `json:"amount"`
		Note   string  `json:"note"`
	}
	v := struct {
		Zeta  []line            `json:"zeta"`
		Alpha map[string]string `json:"alpha"`
		Empty []string          `json:"empty"`
		Nil   *line             `json:"nil"`
	}{
		Zeta:  []line{{Qty: 2, Amount: 4.50, Note: "<b>&</b> 滤芯"}},
		Alpha: map[string]string{"ö": "2", "z": "1", "\u20ac": "3"},
		Empty: []string{},
	}
	got, err := jcs.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"alpha":{"z":"1","ö":"2","€":"3"},"empty":[],"nil":null,"zeta":[{"amount":4.5,"note":"<b>&</b> 滤芯","qty":2}]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	if _, err := jcs.Marshal(math.Inf(1)); err == nil {
		t.Error("Marshal(+Inf): want an error")
	}
	if _, err := jcs.Marshal(make(chan int)); err == nil {
		t.Error("Marshal(chan): want an error")
	}
	again, err := jcs.Canonicalize(got)
	if err != nil || !bytes.Equal(again, got) {
		t.Errorf("Marshal output is not canonical: %s (%v)", again, err)
	}
}
