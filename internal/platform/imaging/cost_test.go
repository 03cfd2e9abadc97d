package imaging

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"io"
	"runtime"
	"testing"
)

// TestDecodeCostCoversAllocations checks each kind of image the estimates
// distinguish against what decoding it really allocates (MemStats.TotalAlloc
// across Inspect or Thumbnail, the least of three runs, since other
// goroutines can only add to it): the estimate must be at least the
// allocation, so that the budget bounds the memory, and at most twice it, so
// that the budget is not wasted. The images are 1024×768 (786 432 pixels), so
// that the fixed overhead does not hide the per-pixel terms. Most of the files
// are smaller than the read buffers, which then shrink to their size; the PNG
// of noise is larger, so its buffers are full size.
func TestDecodeCostCoversAllocations(t *testing.T) {
	const w, h = 1024, 768
	rgb := testImage(w, h) // opaque: PNG true colour, 8-bit
	gray := image.NewGray(rgb.Rect)
	gray16 := image.NewGray16(rgb.Rect)
	translucent := image.NewNRGBA(rgb.Rect)
	deep := image.NewNRGBA64(rgb.Rect)
	paletted := image.NewPaletted(rgb.Rect, color.Palette{color.Black, color.White, color.NRGBA{200, 30, 30, 255}})
	for y := range h {
		for x := range w {
			c := rgb.NRGBAAt(x, y)
			gray.SetGray(x, y, color.Gray{c.R})
			gray16.SetGray16(x, y, color.Gray16{uint16(c.R) << 8})
			translucent.SetNRGBA(x, y, color.NRGBA{c.R, c.G, c.B, uint8(x)})
			deep.SetNRGBA64(x, y, color.NRGBA64{uint16(c.R) << 8, uint16(c.G) << 8, uint16(c.B) << 8, uint16(x) << 6})
			paletted.SetColorIndex(x, y, uint8((x/32+y/32)%3))
		}
	}
	grayPNG := mustPNG(t, gray)
	// A tRNS chunk (grey level 0 is transparent) right after IHDR: image/png
	// then decodes to NRGBA, 4 bytes a pixel instead of 1.
	grayTRNS := append(bytes.Clone(grayPNG[:33]), pngChunk("tRNS", []byte{0, 0})...)
	grayTRNS = append(grayTRNS, grayPNG[33:]...)

	noisyPNG := mustPNG(t, noise(w, h))
	if len(noisyPNG) <= readChunk+headerChunk {
		t.Fatalf("the PNG of noise is %d bytes, want more than the read buffers", len(noisyPNG))
	}

	tests := []struct {
		name  string
		f     Format
		data  []byte
		thumb bool // Thumbnail (256 px) rather than Inspect
	}{
		{"JPEG baseline 4:2:0", JPEG, mustJPEG(t, rgb), false},
		{"JPEG baseline greyscale", JPEG, mustJPEG(t, gray), false},
		{"JPEG baseline 4:4:4", JPEG, mustFixture(t, "cost_444.jpg"), false},
		{"JPEG baseline RGB (decoded to RGBA)", JPEG, mustFixture(t, "cost_rgb.jpg"), false},
		{"JPEG progressive 4:2:0", JPEG, mustFixture(t, "cost_420_progressive.jpg"), false},
		{"JPEG progressive 4:4:4", JPEG, mustFixture(t, "cost_444_progressive.jpg"), false},
		{"PNG RGB 8-bit (RGBA)", PNG, mustPNG(t, rgb), false},
		{"PNG RGBA 8-bit (NRGBA)", PNG, mustPNG(t, translucent), false},
		{"PNG RGBA 16-bit (NRGBA64)", PNG, mustPNG(t, deep), false},
		{"PNG grey 8-bit", PNG, grayPNG, false},
		{"PNG grey 8-bit with tRNS (NRGBA)", PNG, grayTRNS, false},
		{"PNG grey 16-bit", PNG, mustPNG(t, gray16), false},
		{"PNG paletted", PNG, mustPNG(t, paletted), false},
		{"PNG of noise, larger than the read buffers", PNG, noisyPNG, false},
		{"PNG interlaced (Adam7) RGBA", PNG, mustInterlacedPNG(t, translucent), false},
		{"WebP lossy", WebP, mustFixture(t, "cost_lossy.webp"), false},
		{"WebP lossy with alpha", WebP, mustFixture(t, "cost_alpha.webp"), false},
		{"WebP lossless", WebP, mustFixture(t, "cost_lossless.webp"), false},
		{"WebP lossless with a packed palette", WebP, mustFixture(t, "cost_palette.webp"), false},
		{"thumbnail of a JPEG 4:2:0", JPEG, mustJPEG(t, rgb), true},
		{"thumbnail of a PNG RGBA", PNG, mustPNG(t, translucent), true},
		{"thumbnail of a lossless WebP", WebP, mustFixture(t, "cost_lossless.webp"), true},
	}
	in := NewInspector(1<<30, 100_000_000) // never waits, never collects
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, size := bytes.NewReader(tt.data), int64(len(tt.data))
			cfg, err := in.config(tt.f, r, size)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Width != w || cfg.Height != h {
				t.Fatalf("the image is %d×%d, want %d×%d", cfg.Width, cfg.Height, w, h)
			}
			estimate := decodeCost(tt.f, r, size, w, h)
			if tt.thumb {
				estimate += thumbnailCost(w, h, 256)
			}
			allocated := uint64(1 << 63)
			for range 3 {
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				if tt.thumb {
					err = in.Thumbnail(context.Background(), tt.f, r, size, 256, io.Discard)
				} else {
					_, err = in.Inspect(context.Background(), tt.f, r, size)
				}
				runtime.ReadMemStats(&after)
				if err != nil {
					t.Fatal(err)
				}
				allocated = min(allocated, after.TotalAlloc-before.TotalAlloc)
			}
			ratio := float64(estimate) / float64(allocated)
			t.Logf("estimate %d bytes (%.2f a pixel), allocated %d (%.2f a pixel): ×%.2f",
				estimate, float64(estimate)/(w*h), allocated, float64(allocated)/(w*h), ratio)
			if uint64(estimate) < allocated {
				t.Errorf("the estimate, %d bytes, is less than the %d bytes allocated", estimate, allocated)
			}
			if ratio > 2 {
				t.Errorf("the estimate, %d bytes, is more than twice the %d bytes allocated", estimate, allocated)
			}
		})
	}
}

// The estimates of the images that make the memory budget matter: phone
// photos, 12 MP (4000×3000) and 50 MP (8160×6120), arithmetic only.
func TestDecodeCostOfPhonePhotos(t *testing.T) {
	baseline := mustJPEG(t, testImage(16, 16)) // Go writes 4:2:0
	progressive := mustFixture(t, "cost_420_progressive.jpg")
	progressive444 := mustFixture(t, "cost_444_progressive.jpg")
	cost := func(data []byte, w, h int) int64 {
		return decodeCost(JPEG, bytes.NewReader(data), int64(len(data)), w, h) - overhead(int64(len(data)))
	}
	tests := []struct {
		name string
		got  int64
		want int64
	}{
		// Planes padded to whole 16×16 MCUs: 4000 × 3008 luma, 2 × 2000 × 1504 chroma.
		{"12 MP baseline 4:2:0", cost(baseline, 4000, 3000), 4000*3008 + 2*2000*1504},
		{"12 MP progressive 4:2:0: the planes and their coefficients", cost(progressive, 4000, 3000), 5 * (4000*3008 + 2*2000*1504)},
		{"12 MP progressive 4:4:4: 15 bytes a pixel", cost(progressive444, 4000, 3000), 15 * 4000 * 3000},
		{"50 MP baseline 4:2:0", cost(baseline, 8160, 6120), 8160*6128 + 2*4080*3064},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %d bytes, want %d", tt.name, tt.got, tt.want)
		}
	}
}

func TestDecodeCostOfUnreadableHeadersIsTheWorstCase(t *testing.T) {
	const w, h = 100, 100
	px := int64(w * h)
	tests := []struct {
		name string
		f    Format
		data []byte
		min  int64
	}{
		{"JPEG without a frame", JPEG, []byte{0xFF, 0xD8, 0xFF, 0xDA, 0, 2}, 24 * px},
		{"PNG cut in IHDR", PNG, pngSignature, 16 * px},
		{"WebP without image data", WebP, []byte("RIFF\x04\x00\x00\x00WEBP"), 8 * px},
	}
	for _, tt := range tests {
		if got := decodeCost(tt.f, bytes.NewReader(tt.data), int64(len(tt.data)), w, h); got < tt.min {
			t.Errorf("%s: %d bytes, want at least %d", tt.name, got, tt.min)
		}
	}
}

// mustInterlacedPNG encodes img as an 8-bit RGBA PNG with Adam7 interlacing
// (image/png does not write interlaced images): each of the seven passes is
// a reduced image whose rows have filter type 0.
func mustInterlacedPNG(t *testing.T, img *image.NRGBA) []byte {
	t.Helper()
	w, h := img.Rect.Dx(), img.Rect.Dy()
	passes := [7][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}
	var raw bytes.Buffer
	for _, p := range passes {
		x0, y0, dx, dy := p[0], p[1], p[2], p[3]
		if x0 >= w {
			continue // an empty pass has no rows at all
		}
		for y := y0; y < h; y += dy {
			raw.WriteByte(0)
			for x := x0; x < w; x += dx {
				raw.Write(img.Pix[img.PixOffset(x, y) : img.PixOffset(x, y)+4])
			}
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write(raw.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 8, 6, 0, 0, 1) // 8-bit RGBA, deflate, adaptive filters, Adam7
	out := append(bytes.Clone(pngSignature), pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", z.Bytes())...)
	out = append(out, pngChunk("IEND", nil)...)
	// The encoding is right if image/png reads back the same pixels.
	back, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	samePixels(t, img, back)
	return out
}
