package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"slices"
	"testing"
)

// exifTIFF is the TIFF data of a camera's Exif block in the given byte order:
// IFD0 with Make, Orientation (left out when orientation is 0) and a GPS IFD
// pointer, then the Make string, a GPS IFD with a latitude reference and an
// IFD1 as a thumbnail's would be.
func exifTIFF(order binary.AppendByteOrder, orientation int) []byte {
	type entry struct {
		tag, typ     uint16
		count, value uint32
	}
	entries := []entry{{tag: 0x010F, typ: 2, count: 16}} // Make, ASCII, value at an offset
	if orientation != 0 {
		entries = append(entries, entry{tag: 0x0112, typ: 3, count: 1, value: uint32(orientation)})
	}
	entries = append(entries, entry{tag: 0x8825, typ: 4, count: 1}) // GPS IFD pointer
	ifd0End := uint32(8 + 2 + 12*len(entries) + 4)
	makeAt, gpsAt := ifd0End, ifd0End+16
	ifd1At := gpsAt + 18
	entries[0].value, entries[len(entries)-1].value = makeAt, gpsAt

	var b []byte
	if order == binary.LittleEndian {
		b = append(b, "II*\x00"...)
	} else {
		b = append(b, "MM\x00*"...)
	}
	b = order.AppendUint32(b, 8)
	b = order.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		b = order.AppendUint16(b, e.tag)
		b = order.AppendUint16(b, e.typ)
		b = order.AppendUint32(b, e.count)
		if e.typ == 3 {
			b = order.AppendUint16(b, uint16(e.value))
			b = order.AppendUint16(b, 0)
		} else {
			b = order.AppendUint32(b, e.value)
		}
	}
	b = order.AppendUint32(b, ifd1At)
	b = append(b, "FieldOpsTestCam\x00"...)
	// GPS IFD: GPSLatitudeRef "N".
	b = order.AppendUint16(b, 1)
	b = order.AppendUint16(b, 0x0001)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint32(b, 2)
	b = append(b, 'N', 0, 0, 0)
	b = order.AppendUint32(b, 0)
	// IFD1: Compression = 6 (JPEG thumbnail).
	b = order.AppendUint16(b, 1)
	b = order.AppendUint16(b, 0x0103)
	b = order.AppendUint16(b, 3)
	b = order.AppendUint32(b, 1)
	b = order.AppendUint16(b, 6)
	b = order.AppendUint16(b, 0)
	return order.AppendUint32(b, 0)
}

// jpegSegment is a marker segment with the given payload.
func jpegSegment(marker byte, payload []byte) []byte {
	if len(payload)+2 > 0xFFFF {
		panic("segment too long")
	}
	b := binary.BigEndian.AppendUint16([]byte{0xFF, marker}, uint16(len(payload)+2))
	return append(b, payload...)
}

func exifAPP1(tiff []byte) []byte {
	return jpegSegment(0xE1, slices.Concat([]byte("Exif\x00\x00"), tiff))
}

// withSegments inserts segments right after the SOI of jpg.
func withSegments(jpg []byte, segments ...[]byte) []byte {
	return slices.Concat(jpg[:2], slices.Concat(segments...), jpg[2:])
}

// headerAPP1s returns the payloads of the APP1 segments before the first SOS.
func headerAPP1s(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var app1 [][]byte
	for pos := 2; ; {
		if pos+4 > len(b) || b[pos] != 0xFF {
			t.Fatalf("no marker at %d", pos)
		}
		marker, n := b[pos+1], int(binary.BigEndian.Uint16(b[pos+2:]))
		if marker == 0xDA {
			return app1
		}
		if pos+2+n > len(b) {
			t.Fatalf("segment %#x at %d runs past the end", marker, pos)
		}
		if marker == 0xE1 {
			app1 = append(app1, b[pos+4:pos+2+n])
		}
		pos += 2 + n
	}
}

// wantOrientationOnly checks, without the package's parser, that the APP1
// payload is "Exif\0\0" and a TIFF header in the given byte order with an IFD0
// holding one entry, Orientation = o (SHORT, count 1), no next IFD and nothing
// else.
func wantOrientationOnly(t *testing.T, payload []byte, order binary.ByteOrder, o int) {
	t.Helper()
	tiff, ok := bytes.CutPrefix(payload, []byte("Exif\x00\x00"))
	if !ok {
		t.Fatalf("APP1 %q is not Exif", payload)
	}
	if len(tiff) != 8+2+12+4 {
		t.Errorf("the TIFF data has %d bytes, want 26: % x", len(tiff), tiff)
	}
	if len(tiff) < 26 {
		t.FailNow()
	}
	wantMagic := "MM\x00*"
	if order == binary.LittleEndian {
		wantMagic = "II*\x00"
	}
	if string(tiff[:4]) != wantMagic {
		t.Errorf("TIFF header %q, want %q", tiff[:4], wantMagic)
	}
	ifd := order.Uint32(tiff[4:])
	if ifd != 8 {
		t.Fatalf("IFD0 at %d, want 8", ifd)
	}
	if n := order.Uint16(tiff[8:]); n != 1 {
		t.Errorf("IFD0 has %d entries, want 1", n)
	}
	e := tiff[10:22]
	if tag, typ, count := order.Uint16(e), order.Uint16(e[2:]), order.Uint32(e[4:]); tag != 0x0112 || typ != 3 || count != 1 {
		t.Errorf("IFD0 entry: tag %#x type %d count %d, want Orientation (0x112), SHORT (3), 1", tag, typ, count)
	}
	if v := order.Uint16(e[8:]); int(v) != o {
		t.Errorf("Orientation %d, want %d", v, o)
	}
	if next := order.Uint32(tiff[22:]); next != 0 {
		t.Errorf("IFD0 links to an IFD1 at %d", next)
	}
	for _, gps := range [][]byte{{0x88, 0x25}, {0x25, 0x88}} {
		if bytes.Contains(tiff, gps) {
			t.Error("the Exif still holds a GPS IFD pointer (0x8825)")
		}
	}
}

func TestStripJPEGKeepsOnlyTheOrientation(t *testing.T) {
	jpg := mustJPEG(t, testImage(48, 32))
	want, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	jfif := jpegSegment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	xmp := jpegSegment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta FieldOpsTestCam/>"))
	for _, order := range []binary.AppendByteOrder{binary.BigEndian, binary.LittleEndian} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			tiff := exifTIFF(order, 6)
			if exifOrientation(tiff) != 6 {
				t.Fatal("the test's TIFF data does not parse")
			}
			in := withSegments(jpg, jfif, exifAPP1(tiff), xmp)
			mustContain(t, in, "FieldOpsTestCam", "xmpmeta")

			out := strip(t, JPEG, in)
			mustNotContain(t, out, "FieldOpsTestCam", "xmpmeta")
			app1 := headerAPP1s(t, out)
			if len(app1) != 1 {
				t.Fatalf("%d APP1 segments, want 1", len(app1))
			}
			wantOrientationOnly(t, app1[0], order.(binary.ByteOrder), 6)
			// The new segment is where the old one was: after JFIF.
			if !bytes.HasPrefix(out, slices.Concat(jpg[:2], jfif, []byte{0xFF, 0xE1})) {
				t.Error("the Exif APP1 is not right after APP0 JFIF")
			}
			got, err := jpeg.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("the stripped JPEG does not decode: %v", err)
			}
			samePixels(t, got, want)
		})
	}

	// The exact bytes, for a JPEG with no other application segment.
	out := strip(t, JPEG, withSegments(jpg, exifAPP1(exifTIFF(binary.BigEndian, 8))))
	app1 := []byte("\xFF\xE1\x00\x22Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x08\x00\x00\x00\x00\x00\x00")
	if want := slices.Concat(jpg[:2], app1, jpg[2:]); !bytes.Equal(out, want) {
		t.Errorf("output starts % x, want % x", out[:40], want[:40])
	}
}

func TestStripJPEGDropsExifWithoutOrientation(t *testing.T) {
	jpg := mustJPEG(t, testImage(48, 32))
	want, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	valid := exifTIFF(binary.LittleEndian, 6)
	mm := exifTIFF(binary.BigEndian, 6)
	const ifd0End = 8 + 2 + 3*12 // where IFD0's entries end
	setU16 := func(b []byte, at int, v uint16) []byte {
		b = bytes.Clone(b)
		binary.LittleEndian.PutUint16(b[at:], v)
		return b
	}
	setU32 := func(b []byte, at int, v uint32) []byte {
		b = bytes.Clone(b)
		binary.LittleEndian.PutUint32(b[at:], v)
		return b
	}
	orientationEntry := 8 + 2 + 12 // the second entry of IFD0
	tests := map[string][]byte{
		"orientation 1":                  exifTIFF(binary.LittleEndian, 1),
		"orientation 1, big-endian":      exifTIFF(binary.BigEndian, 1),
		"no orientation":                 exifTIFF(binary.LittleEndian, 0),
		"empty TIFF data":                nil,
		"unknown byte order":             slices.Concat([]byte("XX"), valid[2:]),
		"byte order mark but no magic":   slices.Concat([]byte("II\x2B\x00"), valid[4:]),
		"truncated IFD":                  valid[:ifd0End-1],
		"truncated header":               valid[:6],
		"IFD0 past the end":              setU32(valid, 4, uint32(len(valid))),
		"IFD0 offset huge":               setU32(valid, 4, 0xFFFFFFF0),
		"IFD0 inside the header":         setU32(valid, 4, 2),
		"entry count past the end":       setU16(valid, 8, 0xFFFF),
		"orientation 0":                  setU16(valid, orientationEntry+8, 0),
		"orientation 9":                  setU16(valid, orientationEntry+8, 9),
		"orientation as LONG":            setU16(valid, orientationEntry+2, 4),
		"orientation with count 2":       setU32(valid, orientationEntry+4, 2),
		"big-endian read as little":      slices.Concat([]byte("II*\x00"), mm[4:]),
		"truncated IFD, big-endian":      mm[:ifd0End-5],
		"big-endian IFD0 past the end":   slices.Concat(mm[:4], []byte{0x7F, 0, 0, 0}, mm[8:]),
		"TIFF magic alone":               []byte("MM\x00*"),
		"IFD0 right at the end, no room": slices.Concat(valid[:4], []byte{byte(len(valid)) - 1, 0, 0, 0}, valid[8:]),
	}
	for name, tiff := range tests {
		t.Run(name, func(t *testing.T) {
			in := withSegments(jpg, exifAPP1(tiff))
			var out bytes.Buffer
			if err := Strip(JPEG, bytes.NewReader(in), int64(len(in)), &out); err != nil {
				t.Fatalf("Strip failed on a bad Exif: %v", err)
			}
			if app1 := headerAPP1s(t, out.Bytes()); len(app1) != 0 {
				t.Fatalf("%d APP1 segments kept, want none", len(app1))
			}
			if !bytes.Equal(out.Bytes(), jpg) {
				t.Error("the output is not the JPEG without its Exif segment")
			}
			got, err := jpeg.Decode(&out)
			if err != nil {
				t.Fatal(err)
			}
			samePixels(t, got, want)
		})
	}
}

// Every prefix of the TIFF data either holds IFD0 whole, and the orientation
// stays, or is dropped: never an error, never a panic.
func TestStripJPEGTruncatedExif(t *testing.T) {
	jpg := mustJPEG(t, testImage(16, 16))
	for _, order := range []binary.AppendByteOrder{binary.BigEndian, binary.LittleEndian} {
		tiff := exifTIFF(order, 6)
		const ifd0End = 8 + 2 + 3*12
		for n := 0; n <= len(tiff); n++ {
			in := withSegments(jpg, exifAPP1(tiff[:n]))
			var out bytes.Buffer
			if err := Strip(JPEG, bytes.NewReader(in), int64(len(in)), &out); err != nil {
				t.Fatalf("%v, %d bytes: %v", order, n, err)
			}
			app1 := headerAPP1s(t, out.Bytes())
			switch {
			case n < ifd0End && len(app1) != 0:
				t.Errorf("%v, %d bytes: an APP1 was kept from a truncated IFD0", order, n)
			case n >= ifd0End && len(app1) != 1:
				t.Errorf("%v, %d bytes: %d APP1 segments, want 1", order, n, len(app1))
			case n >= ifd0End:
				wantOrientationOnly(t, app1[0], order.(binary.ByteOrder), 6)
			}
		}
	}
}

func TestStripJPEGOnlyTheFirstExifCounts(t *testing.T) {
	jpg := mustJPEG(t, testImage(16, 16))
	le := binary.LittleEndian
	tests := []struct {
		name     string
		segments [][]byte
		want     int // orientation of the one APP1 kept, 0 for none
	}{
		{"first has orientation 1", [][]byte{exifAPP1(exifTIFF(le, 1)), exifAPP1(exifTIFF(le, 6))}, 0},
		{"first is malformed", [][]byte{exifAPP1([]byte("MM\x00*junk")), exifAPP1(exifTIFF(le, 6))}, 0},
		{"first has orientation 3", [][]byte{exifAPP1(exifTIFF(le, 3)), exifAPP1(exifTIFF(le, 6))}, 3},
		{"XMP APP1 before the Exif", [][]byte{jpegSegment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x/>")), exifAPP1(exifTIFF(le, 5))}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := withSegments(jpg, tt.segments...)
			app1 := headerAPP1s(t, strip(t, JPEG, in))
			switch {
			case tt.want == 0 && len(app1) != 0:
				t.Fatalf("%d APP1 segments, want none", len(app1))
			case tt.want != 0 && len(app1) != 1:
				t.Fatalf("%d APP1 segments, want 1", len(app1))
			case tt.want != 0:
				wantOrientationOnly(t, app1[0], le, tt.want)
			}
			if got := max(tt.want, 1); jpegOrientation(bytes.NewReader(in), int64(len(in))) != got {
				t.Errorf("Thumbnail would use orientation %d, Strip kept %d", jpegOrientation(bytes.NewReader(in), int64(len(in))), got)
			}
		})
	}

	// An Exif segment after the first scan is not part of the header: readers
	// ignore it, and so do Strip and Thumbnail.
	progressive := mustFixture(t, "photo_gps_progressive.jpg")
	sos := []byte{0xFF, 0xDA}
	first := bytes.Index(progressive, sos)
	second := first + 2 + bytes.Index(progressive[first+2:], sos)
	late := slices.Concat(progressive[:second], exifAPP1(exifTIFF(le, 6)), progressive[second:])
	out := strip(t, JPEG, late)
	if app1 := headerAPP1s(t, out); len(app1) != 0 {
		t.Errorf("%d APP1 segments, want none", len(app1))
	}
	if bytes.Contains(out, []byte("Exif\x00\x00")) {
		t.Error("the Exif segment between the scans was kept")
	}
	if o := jpegOrientation(bytes.NewReader(late), int64(len(late))); o != 1 {
		t.Errorf("orientation %d from an Exif after the first scan, want 1", o)
	}
}

func TestExifOrientationRoundTrip(t *testing.T) {
	for _, order := range []binary.AppendByteOrder{binary.BigEndian, binary.LittleEndian} {
		for o := 1; o <= 8; o++ {
			if got := exifOrientation(exifTIFF(order, o)); got != o {
				t.Errorf("%v: exifOrientation = %d, want %d", order, got, o)
			}
			seg := orientationAPP1(order, o)
			if got := exifAPP1Orientation(seg[4:]); got != o {
				t.Errorf("%v: the minimal segment reads back as %d, want %d", order, got, o)
			}
			if n := int(binary.BigEndian.Uint16(seg[2:])); n != len(seg)-2 {
				t.Errorf("segment length %d, want %d", n, len(seg)-2)
			}
		}
	}
}

func FuzzExifOrientation(f *testing.F) {
	f.Add(exifTIFF(binary.BigEndian, 6))
	f.Add(exifTIFF(binary.LittleEndian, 8))
	f.Add([]byte("II*\x00\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, tiff []byte) {
		if o := exifOrientation(tiff); o < 0 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}

// quadrants is a 200×100 picture whose quarters are red (top left), green
// (top right), blue (bottom left) and yellow (bottom right).
func quadrants() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	colours := [2][2]color.NRGBA{
		{{255, 0, 0, 255}, {0, 255, 0, 255}},
		{{0, 0, 255, 255}, {255, 255, 0, 255}},
	}
	for y := range 100 {
		for x := range 200 {
			img.SetNRGBA(x, y, colours[y/50][x/100])
		}
	}
	return img
}

// quadrantColours names the colours at the centres of the quarters of img:
// top left, top right, bottom left, bottom right.
func quadrantColours(t *testing.T, img image.Image) string {
	t.Helper()
	b := img.Bounds()
	var names []string
	for _, p := range []image.Point{{1, 1}, {3, 1}, {1, 3}, {3, 3}} {
		r, g, bl, _ := img.At(b.Min.X+p.X*b.Dx()/4, b.Min.Y+p.Y*b.Dy()/4).RGBA()
		on := func(v uint32) bool { return v>>8 > 200 }
		off := func(v uint32) bool { return v>>8 < 60 }
		switch {
		case on(r) && off(g) && off(bl):
			names = append(names, "R")
		case off(r) && on(g) && off(bl):
			names = append(names, "G")
		case off(r) && off(g) && on(bl):
			names = append(names, "B")
		case on(r) && on(g) && off(bl):
			names = append(names, "Y")
		default:
			names = append(names, fmt.Sprintf("?%d,%d,%d", r>>8, g>>8, bl>>8))
		}
	}
	return fmt.Sprintf("%s %s / %s %s", names[0], names[1], names[2], names[3])
}

func TestThumbnailAppliesJPEGOrientation(t *testing.T) {
	jpg := mustJPEG(t, quadrants())
	// What each orientation shows: the quarters' colours, top row then
	// bottom row, and the thumbnail's size for maxSide 100.
	tests := []struct {
		o       int
		colours string
		w, h    int
	}{
		{1, "R G / B Y", 100, 50},
		{2, "G R / Y B", 100, 50}, // mirrored
		{3, "Y B / G R", 100, 50}, // rotated 180°
		{4, "B Y / R G", 100, 50}, // upside down
		{5, "R B / G Y", 50, 100}, // transposed
		{6, "B R / Y G", 50, 100}, // rotated 90° clockwise: the top left goes top right
		{7, "Y G / B R", 50, 100}, // transversed
		{8, "G Y / R B", 50, 100}, // rotated 90° counter-clockwise
	}
	for _, order := range []binary.AppendByteOrder{binary.BigEndian, binary.LittleEndian} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%v/%d", order, tt.o), func(t *testing.T) {
				in := withSegments(jpg, exifAPP1(exifTIFF(order, tt.o)))
				for name, data := range map[string][]byte{"original": in, "stripped": strip(t, JPEG, in)} {
					img, err := thumbnail(t, JPEG, data, 100)
					if err != nil {
						t.Fatal(err)
					}
					if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
						t.Errorf("%s: thumbnail is %dx%d, want %dx%d", name, b.Dx(), b.Dy(), tt.w, tt.h)
					}
					if got := quadrantColours(t, img); got != tt.colours {
						t.Errorf("%s: quarters %s, want %s", name, got, tt.colours)
					}
				}
			})
		}
	}

	// Without Exif, or with a malformed one, the pixels stay as stored.
	for name, data := range map[string][]byte{
		"no Exif":        jpg,
		"malformed Exif": withSegments(jpg, exifAPP1(exifTIFF(binary.BigEndian, 6)[:20])),
	} {
		img, err := thumbnail(t, JPEG, data, 100)
		if err != nil {
			t.Fatal(err)
		}
		if got := quadrantColours(t, img); got != "R G / B Y" || img.Bounds().Dx() != 100 {
			t.Errorf("%s: %v thumbnail with quarters %s, want 100x50 R G / B Y", name, img.Bounds().Size(), got)
		}
	}
}

func TestThumbnailOrientationReaderFailure(t *testing.T) {
	in := withSegments(mustJPEG(t, quadrants()), exifAPP1(exifTIFF(binary.BigEndian, 6)))
	// The reader fails only from the fourth pass on: DecodeConfig, the
	// decode cost's header scan and Decode succeed, reading the orientation
	// does not.
	r := &failAfter{data: in, passes: 3}
	err := NewInspector(testBudget, 100_000_000).Thumbnail(context.Background(), JPEG, r, int64(len(in)), 100, &bytes.Buffer{})
	if !errors.Is(err, errStorage) {
		t.Fatalf("err = %v, want the reader's failure", err)
	}
}

// failAfter serves data for passes reads from offset 0, then fails.
type failAfter struct {
	data   []byte
	passes int
}

func (f *failAfter) ReadAt(p []byte, off int64) (int, error) {
	if off == 0 {
		f.passes--
	}
	if f.passes < 0 {
		return 0, errStorage
	}
	return bytes.NewReader(f.data).ReadAt(p, off)
}
