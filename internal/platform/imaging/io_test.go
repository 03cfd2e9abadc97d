package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"io"
	"math/rand/v2"
	"testing"
)

// countingReaderAt counts the ReadAt calls made of it and the bytes they
// return: on the S3 backend every ReadAt is an HTTP range request.
type countingReaderAt struct {
	r     io.ReaderAt
	calls int
	bytes int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.calls++
	n, err := c.r.ReadAt(p, off)
	c.bytes += int64(n)
	return n, err
}

// noise is a w×h image of random opaque pixels, which compress badly: its
// JPEG and PNG are large for their size.
func noise(w, h int) *image.NRGBA {
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		v := rng.Uint32()
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(v), uint8(v>>8), uint8(v>>16), 255
	}
	return img
}

// TestReadsAreFewAndLarge checks that every pass over an image reads it in
// large chunks: on S3, each ReadAt is a range request of 10–30 ms, so a pass
// over a 3 MiB photo must cost a handful of them, not thousands.
func TestReadsAreFewAndLarge(t *testing.T) {
	img := noise(2000, 1600)
	// An Exif APP1 with an orientation, so that Thumbnail's orientation
	// scan finds one and Strip keeps it.
	jpg := withSegments(mustJPEG(t, img), exifAPP1(exifTIFF(binary.BigEndian, 6)))
	translucent := image.NewNRGBA(image.Rect(0, 0, 900, 850))
	copy(translucent.Pix, noise(900, 850).Pix)
	for i := 3; i < len(translucent.Pix); i += 4 {
		translucent.Pix[i] = uint8(i)
	}
	pngData := mustPNG(t, translucent)
	for name, data := range map[string][]byte{"JPEG": jpg, "PNG": pngData} {
		if len(data) < 5<<19 || len(data) > 4<<20 {
			t.Fatalf("the %s is %d bytes, want about 3 MiB", name, len(data))
		}
	}

	tests := []struct {
		name string
		f    Format
		data []byte
		// Most ReadAt calls allowed to Inspect, Strip and Thumbnail.
		inspect, strip, thumb int
	}{
		{"JPEG ~3 MiB", JPEG, jpg, 8, 8, 10},
		{"PNG ~3 MiB", PNG, pngData, 8, 8, 10},
		// Small files: one ReadAt a pass (DecodeConfig, decodeCost, the
		// decode; Strip's chunk or box headers, then its copy).
		{"WebP with EXIF and XMP", WebP, mustFixture(t, "photo_gps.webp"), 3, 2, 3},
		{"WebP lossy with alpha", WebP, mustFixture(t, "cost_alpha.webp"), 3, 2, 3},
		{"HEIC with Exif and XMP", HEIC, mustFixture(t, "photo_gps.heic"), 1, 2, 0},
		{"HEIC with a grid", HEIC, mustFixture(t, "photo.heic"), 1, 2, 0},
	}
	in := NewInspector(testBudget, 100_000_000)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := int64(len(tt.data))

			r := &countingReaderAt{r: bytes.NewReader(tt.data)}
			if _, err := in.Inspect(ctx, tt.f, r, size); err != nil {
				t.Fatal(err)
			}
			t.Logf("Inspect of %d bytes: %d ReadAt calls, %d bytes read", size, r.calls, r.bytes)
			if r.calls > tt.inspect {
				t.Errorf("Inspect made %d ReadAt calls, want at most %d", r.calls, tt.inspect)
			}
			// A small file is read whole by each header scan; a large one
			// is read once, and its header again.
			if size > readChunk && r.bytes > 2*size {
				t.Errorf("Inspect read %d bytes of a %d-byte file, want at most twice its size", r.bytes, size)
			}

			r = &countingReaderAt{r: bytes.NewReader(tt.data)}
			var stripped bytes.Buffer
			if err := Strip(tt.f, r, size, &stripped); err != nil {
				t.Fatal(err)
			}
			t.Logf("Strip: %d ReadAt calls, %d bytes read", r.calls, r.bytes)
			if r.calls > tt.strip {
				t.Errorf("Strip made %d ReadAt calls, want at most %d", r.calls, tt.strip)
			}
			if size > readChunk && r.bytes > size {
				t.Errorf("Strip read %d bytes of a %d-byte file, want at most its size", r.bytes, size)
			}
			if tt.f == HEIC {
				return
			}
			r = &countingReaderAt{r: bytes.NewReader(tt.data)}
			var thumb bytes.Buffer
			if err := in.Thumbnail(ctx, tt.f, r, size, 256, &thumb); err != nil {
				t.Fatal(err)
			}
			t.Logf("Thumbnail: %d ReadAt calls, %d bytes read", r.calls, r.bytes)
			if r.calls > tt.thumb {
				t.Errorf("Thumbnail made %d ReadAt calls, want at most %d", r.calls, tt.thumb)
			}
			if size > readChunk && r.bytes > 2*size {
				t.Errorf("Thumbnail read %d bytes of a %d-byte file, want at most twice its size", r.bytes, size)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	data := make([]byte, 3*headerChunk)
	for i := range data {
		data[i] = byte(i * 7)
	}
	r := &countingReaderAt{r: bytes.NewReader(data)}
	w := newWindow(r, int64(len(data)))
	read := func(off int64, n int, want []byte, calls int) {
		t.Helper()
		b, err := w.at(off, n)
		if err != nil || !bytes.Equal(b, want) {
			t.Fatalf("at(%d, %d) = %d bytes, %v; want %d bytes", off, n, len(b), err, len(want))
		}
		if r.calls != calls {
			t.Fatalf("after at(%d, %d): %d ReadAt calls, want %d", off, n, r.calls, calls)
		}
	}
	read(12, 8, data[12:20], 1)
	read(100, 16, data[100:116], 1)                                            // in the window
	read(12+headerChunk-4, 8, data[12+headerChunk-4:12+headerChunk+4], 2)      // across its end: refilled there
	read(10, 4, data[10:14], 3)                                                // before it
	read(headerChunk, 2*headerChunk, data[headerChunk:], 4)                    // more than a window
	read(int64(len(data))-3, 8, data[len(data)-3:], 4)                         // cut at the end of the file
	read(int64(len(data)), 8, nil, 4)                                          // past it
	read(headerChunk+1, headerChunk+2, data[headerChunk+1:2*headerChunk+3], 4) // the large buffer holds it

	// A reader shorter than the size it was given ran out of bytes.
	short := newWindow(bytes.NewReader(data[:100]), int64(len(data)))
	if _, err := short.at(90, 20); err != io.ErrUnexpectedEOF {
		t.Fatalf("reading past a short reader: %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestCopyNAndDiscard(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 300_000) // 3 MB
	r := &countingReaderAt{r: bytes.NewReader(data)}
	br := sequential(r, 0, int64(len(data)))
	var out bytes.Buffer
	if err := copyN(&out, br, 10); err != nil {
		t.Fatal(err)
	}
	if err := discard(br, readChunk); err != nil {
		t.Fatal(err)
	}
	if err := copyN(&out, br, int64(len(data))-readChunk-10); err != nil {
		t.Fatal(err)
	}
	if want := append(bytes.Clone(data[:10]), data[readChunk+10:]...); !bytes.Equal(out.Bytes(), want) {
		t.Fatal("copyN and discard did not pass on the right bytes")
	}
	if r.calls != 3 {
		t.Errorf("%d ReadAt calls for 3 MB, want 3", r.calls)
	}
	if err := copyN(&out, br, 1); err != io.ErrUnexpectedEOF {
		t.Errorf("copyN past the end: %v, want io.ErrUnexpectedEOF", err)
	}
	if err := discard(br, 1); err != io.ErrUnexpectedEOF {
		t.Errorf("discard past the end: %v, want io.ErrUnexpectedEOF", err)
	}
}
