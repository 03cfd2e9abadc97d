package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image/jpeg"
	"image/png"
	"slices"
	"testing"

	"golang.org/x/image/webp"
)

func strip(t *testing.T, f Format, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := Strip(f, bytes.NewReader(b), int64(len(b)), &out); err != nil {
		t.Fatalf("Strip: %v", err)
	}
	return out.Bytes()
}

// mustContain checks that the fixture really carries what a test removes.
func mustContain(t *testing.T, b []byte, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !bytes.Contains(b, []byte(p)) {
			t.Fatalf("the input lacks %q; the test proves nothing", p)
		}
	}
}

func mustNotContain(t *testing.T, b []byte, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if bytes.Contains(b, []byte(p)) {
			t.Errorf("the output still contains %q", p)
		}
	}
}

func TestStripJPEG(t *testing.T) {
	progressive := mustFixture(t, "photo_gps_progressive.jpg")
	// A comment between the first two scans of the progressive JPEG.
	sos := []byte{0xFF, 0xDA}
	firstScan := bytes.Index(progressive, sos)
	secondScan := firstScan + 2 + bytes.Index(progressive[firstScan+2:], sos)
	betweenScans := slices.Concat(progressive[:secondScan], []byte("\xFF\xFE\x00\x19between scans FieldOpsX"), progressive[secondScan:])

	for name, in := range map[string][]byte{
		"baseline":                           mustFixture(t, "photo_gps.jpg"),
		"progressive":                        progressive,
		"progressive, comment between scans": betweenScans,
	} {
		t.Run(name, func(t *testing.T) {
			mustContain(t, in, "Exif\x00\x00", "FieldOpsTestCam", "http://ns.adobe.com/xap/1.0/", "Photoshop 3.0", "FieldOpsTestCity", "FieldOpsTestComment")
			// A trailer after EOI, as phones append motion-photo videos.
			in = append(bytes.Clone(in), "TRAILER FieldOpsTestCam"...)

			out := strip(t, JPEG, in)
			mustNotContain(t, out, "Exif\x00\x00", "FieldOps", "http://ns.adobe.com/xap/1.0/", "Photoshop 3.0", "TRAILER")
			if !bytes.HasSuffix(out, []byte{0xFF, 0xD9}) {
				t.Error("the output does not end with EOI")
			}
			want, err := jpeg.Decode(bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := jpeg.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("the stripped JPEG does not decode: %v", err)
			}
			samePixels(t, got, want) // the scan data was copied byte for byte
		})
	}
}

func TestStripJPEGKeepsColourSegments(t *testing.T) {
	jpg := mustJPEG(t, testImage(40, 30))
	seg := func(marker byte, payload string) []byte {
		return append([]byte{0xFF, marker, 0, byte(len(payload) + 2)}, payload...)
	}
	jfif := seg(0xE0, "JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
	icc := seg(0xE2, "ICC_PROFILE\x00\x01\x01fake profile")
	adobe := seg(0xEE, "Adobe\x00\x64\x00\x00\x00\x00\x01")
	in := slices.Concat(jpg[:2], jfif, seg(0xE1, "Exif\x00\x00MM\x00*secret"), icc, seg(0xED, "Photoshop 3.0\x00secret"),
		seg(0xE5, "vendor secret"), seg(0xFE, "comment secret"), adobe, jpg[2:])

	out := strip(t, JPEG, in)
	mustNotContain(t, out, "secret")
	if want := slices.Concat(jpg[:2], jfif, icc, adobe, jpg[2:]); !bytes.Equal(out, want) {
		t.Fatal("the output is not the input minus the dropped segments")
	}
}

func TestStripPNG(t *testing.T) {
	orig := mustPNG(t, testImage(50, 40))
	const ihdrEnd = 8 + 25
	exif := append([]byte("MM\x00*\x00\x00\x00\x08"), "FieldOpsTestCam GPSInfo"...)
	in := slices.Concat(orig[:ihdrEnd],
		pngChunk("eXIf", exif),
		pngChunk("tEXt", []byte("Comment\x00FieldOpsTestComment")),
		pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta/>")),
		pngChunk("zTXt", []byte("Raw profile type exif\x00\x00x\x9c\x03\x00\x00\x00\x00\x01")),
		pngChunk("tIME", []byte{0x07, 0xE9, 1, 2, 3, 4, 5}),
		orig[ihdrEnd:],
		[]byte("trailing FieldOpsTestCam"))
	if _, err := png.Decode(bytes.NewReader(in)); err != nil {
		t.Fatalf("the test input is not a valid PNG: %v", err)
	}

	out := strip(t, PNG, in)
	for _, typ := range pngChunkTypes(t, out) {
		if droppedPNGChunks[typ] {
			t.Errorf("chunk %s is still there", typ)
		}
	}
	mustNotContain(t, out, "FieldOpsTestCam", "FieldOpsTestComment", "xmpmeta")
	if !bytes.Equal(out, orig) {
		t.Fatal("the output is not the PNG without the inserted chunks")
	}
	if _, err := png.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("the stripped PNG does not decode: %v", err)
	}
}

func TestStripWebP(t *testing.T) {
	in := mustFixture(t, "photo_gps.webp")
	mustContain(t, in, "EXIF", "XMP ", "FieldOpsTestCam", "x:xmpmeta")
	if in[20]&webpFlagsMeta != webpFlagsMeta {
		t.Fatal("the fixture's VP8X does not flag EXIF and XMP")
	}

	out := strip(t, WebP, in)
	mustNotContain(t, out, "EXIF", "XMP ", "FieldOpsTestCam", "x:xmpmeta")
	if got := binary.LittleEndian.Uint32(out[4:8]); int(got) != len(out)-8 {
		t.Errorf("RIFF size %d, want %d", got, len(out)-8)
	}
	if string(out[12:16]) != "VP8X" || out[20]&webpFlagsMeta != 0 {
		t.Errorf("VP8X flags %#x still announce metadata", out[20])
	}
	got, err := webp.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("the stripped WebP does not decode: %v", err)
	}
	want, err := webp.Decode(bytes.NewReader(mustFixture(t, "photo.webp")))
	if err != nil {
		t.Fatal(err)
	}
	samePixels(t, got, want)

	// A WebP without metadata comes out unchanged.
	plain := mustFixture(t, "photo.webp")
	if out := strip(t, WebP, plain); !bytes.Equal(out, plain) {
		t.Error("a WebP without metadata changed")
	}
}

func TestStripHEIC(t *testing.T) {
	in := mustFixture(t, "photo_gps.heic")
	mustContain(t, in, "FieldOpsTestCam", "x:xmpmeta")

	out := strip(t, HEIC, in)
	if len(out) != len(in) {
		t.Fatalf("the output has %d bytes, the input %d: offsets moved", len(out), len(in))
	}
	mustNotContain(t, out, "FieldOpsTestCam", "x:xmpmeta")
	changed := 0
	for i := range in {
		if out[i] != in[i] {
			changed++
			if out[i] != 0 {
				t.Fatalf("byte %d became %#x, not zero", i, out[i])
			}
		}
	}
	if changed < 200 {
		t.Fatalf("only %d bytes were zeroed", changed)
	}

	meta, err := inspect(t, NewInspector(testBudget, 100_000_000), HEIC, out)
	if err != nil {
		t.Fatalf("the stripped HEIC is refused: %v", err)
	}
	if meta.Width != 64 || meta.Height != 48 {
		t.Fatalf("the stripped HEIC is %dx%d, want 64x48", meta.Width, meta.Height)
	}

	// Without metadata items nothing changes.
	plain := mustFixture(t, "photo.heic")
	if out := strip(t, HEIC, plain); !bytes.Equal(out, plain) {
		t.Error("a HEIC without metadata changed")
	}
}

func TestStripRefusesMalformedFiles(t *testing.T) {
	jpg := mustFixture(t, "photo_gps.jpg")
	webpData := mustFixture(t, "photo_gps.webp")
	tests := []struct {
		name string
		f    Format
		data []byte
	}{
		{"PNG as JPEG", JPEG, mustPNG(t, testImage(4, 4))},
		{"JPEG without EOI", JPEG, jpg[:len(jpg)-2]},
		{"JPEG cut inside a segment", JPEG, jpg[:30]},
		{"PNG without IEND", PNG, mustPNG(t, testImage(4, 4))[:40]},
		{"WebP with a chunk past the RIFF end", WebP, webpData[:len(webpData)-100]},
		{"HEIC cut short", HEIC, mustFixture(t, "photo_gps.heic")[:1000]},
		{"text", WebP, []byte("just some text, no image at all")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Strip(tt.f, bytes.NewReader(tt.data), int64(len(tt.data)), &bytes.Buffer{})
			wantUnsupported(t, err, "not a valid")
		})
	}
}

// failingWriter fails every write, as a client that went away.
type failingWriter struct{}

var errGone = errors.New("gone")

func (failingWriter) Write([]byte) (int, error) { return 0, errGone }

func TestStripReportsWriterAndReaderFailures(t *testing.T) {
	for _, name := range []string{"photo_gps.jpg", "photo_gps.webp", "photo_gps.heic"} {
		data := mustFixture(t, name)
		f, err := Sniff(data[:SniffLen])
		if err != nil {
			t.Fatal(err)
		}
		if err := Strip(f, bytes.NewReader(data), int64(len(data)), failingWriter{}); !errors.Is(err, errGone) {
			t.Errorf("%s: err = %v, want the writer's error", name, err)
		}
		if err := Strip(f, failingReader{}, int64(len(data)), &bytes.Buffer{}); !errors.Is(err, errStorage) {
			t.Errorf("%s: err = %v, want the reader's error", name, err)
		}
	}
}
