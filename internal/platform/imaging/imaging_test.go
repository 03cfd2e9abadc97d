package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldops/fieldops/internal/platform/errs"
)

// testBudget is the memory budget of the tests' Inspectors: every test image
// fits, none holds more than a quarter (so none forces a collection).
const testBudget = 64 << 20

// mustFixture reads a file of testdata/.
func mustFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testImage is a w×h picture with enough detail that its JPEG is not trivial.
func testImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x * 7), uint8(y * 3), uint8((x ^ y) * 5), 255})
		}
	}
	return img
}

func mustPNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngChunk builds a PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// pngChunkTypes lists the chunk types of a PNG, in order.
func pngChunkTypes(t *testing.T, b []byte) []string {
	t.Helper()
	var types []string
	for pos := 8; pos+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[pos:]))
		types = append(types, string(b[pos+4:pos+8]))
		pos += 12 + n
	}
	return types
}

// wantUnsupported fails unless err is errs.UnsupportedMedia whose message
// contains every one of parts.
func wantUnsupported(t *testing.T, err error, parts ...string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.UnsupportedMedia {
		t.Fatalf("err = %v, want kind %s", err, errs.UnsupportedMedia)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Errorf("message %q does not contain %q", e.Message, p)
		}
	}
}

// samePixels fails unless a and b have the same bounds and colours.
func samePixels(t *testing.T, a, b image.Image) {
	t.Helper()
	if a.Bounds() != b.Bounds() {
		t.Fatalf("bounds %v != %v", a.Bounds(), b.Bounds())
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				t.Fatalf("pixel (%d,%d): %v != %v", x, y, a.At(x, y), b.At(x, y))
			}
		}
	}
}
