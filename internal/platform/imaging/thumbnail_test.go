package imaging

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

func thumbnail(t *testing.T, f Format, data []byte, maxSide int) (image.Image, error) {
	t.Helper()
	var out bytes.Buffer
	err := NewInspector(testBudget, 100_000_000).Thumbnail(context.Background(), f, bytes.NewReader(data), int64(len(data)), maxSide, &out)
	if err != nil {
		return nil, err
	}
	img, err := jpeg.Decode(&out)
	if err != nil {
		t.Fatalf("the thumbnail is not a JPEG: %v", err)
	}
	return img, nil
}

func TestThumbnail(t *testing.T) {
	tests := []struct {
		name    string
		f       Format
		data    []byte
		maxSide int
		w, h    int
	}{
		{"landscape JPEG", JPEG, mustJPEG(t, testImage(2000, 1000)), 256, 256, 128},
		{"portrait PNG", PNG, mustPNG(t, testImage(300, 600)), 100, 50, 100},
		{"WebP", WebP, mustFixture(t, "photo_gps.webp"), 32, 32, 24},
		{"small image is not enlarged", PNG, mustPNG(t, testImage(100, 50)), 256, 100, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := thumbnail(t, tt.f, tt.data, tt.maxSide)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
				t.Fatalf("thumbnail is %dx%d, want %dx%d", b.Dx(), b.Dy(), tt.w, tt.h)
			}
		})
	}
}

func TestThumbnailFlattensTransparencyOnWhite(t *testing.T) {
	clear := image.NewNRGBA(image.Rect(0, 0, 20, 10)) // every pixel transparent
	img, err := thumbnail(t, PNG, mustPNG(t, clear), 16)
	if err != nil {
		t.Fatal(err)
	}
	r, g, b, _ := img.At(8, 4).RGBA()
	if r>>8 < 250 || g>>8 < 250 || b>>8 < 250 {
		t.Fatalf("a transparent pixel became %v, want white", color.RGBA64{uint16(r), uint16(g), uint16(b), 0xFFFF})
	}
}

func TestThumbnailRefusals(t *testing.T) {
	if _, err := thumbnail(t, HEIC, mustFixture(t, "photo.heic"), 256); !errors.Is(err, ErrNoThumbnail) {
		t.Errorf("HEIC: err = %v, want ErrNoThumbnail", err)
	}
	jpg := mustJPEG(t, testImage(200, 100))
	_, err := thumbnail(t, JPEG, jpg[:len(jpg)/2], 64)
	wantUnsupported(t, err, "not a valid JPEG image")

	in := NewInspector(testBudget, 1000)
	data := mustPNG(t, testImage(40, 30))
	err = in.Thumbnail(context.Background(), PNG, bytes.NewReader(data), int64(len(data)), 16, &bytes.Buffer{})
	wantUnsupported(t, err, "more than the 1000 pixels")
}
