package imaging

import (
	"testing"
)

func TestSniff(t *testing.T) {
	heic := mustFixture(t, "photo.heic")
	tests := []struct {
		name string
		head []byte
		want Format // "" = refused
		msg  string // part of the refusal message
	}{
		{"JPEG", mustJPEG(t, testImage(8, 8)), JPEG, ""},
		{"JPEG magic only", []byte{0xFF, 0xD8, 0xFF}, JPEG, ""},
		{"PNG", mustPNG(t, testImage(8, 8)), PNG, ""},
		{"WebP lossy", mustFixture(t, "photo.webp"), WebP, ""},
		{"WebP lossless", mustFixture(t, "photo_lossless.webp"), WebP, ""},
		{"HEIC first SniffLen bytes", heic[:SniffLen], HEIC, ""},
		{"HEIC with Exif", mustFixture(t, "photo_gps.heic"), HEIC, ""},
		{"generic mif1 brand with heic compatible", ftyp("mif1", "heic"), HEIC, ""},
		{"AVIF is not HEIC", mustFixture(t, "photo.avif"), "", "AVIF"},
		{"mif1 brand with only avif compatible", ftyp("mif1", "miaf", "avif"), "", "AVIF"},
		{"MP4 video", ftyp("isom", "iso2", "mp41"), "", "not a JPEG, PNG, WebP or HEIC"},
		{"text file", []byte("hello, this is a text file\n"), "", "not a JPEG, PNG, WebP or HEIC"},
		{"RIFF but WAVE", []byte("RIFF\x24\x00\x00\x00WAVEfmt "), "", "not a JPEG"},
		{"empty", nil, "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head := tt.head[:min(len(tt.head), SniffLen)]
			got, err := Sniff(head)
			if tt.want == "" {
				wantUnsupported(t, err, tt.msg)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Sniff = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// ftyp builds an ftyp box.
func ftyp(major string, compatible ...string) []byte {
	b := []byte{0, 0, 0, byte(16 + 4*len(compatible))}
	b = append(b, "ftyp"+major+"\x00\x00\x00\x00"...)
	for _, c := range compatible {
		b = append(b, c...)
	}
	return b
}

func TestAgrees(t *testing.T) {
	tests := []struct {
		name               string
		f                  Format
		declared, filename string
		msg                string // part of the refusal message; "" = agrees
	}{
		{"PNG named .jpg", PNG, "", "photo.jpg", "the file is a PNG image but is named .jpg"},
		{"PNG declared image/jpeg", PNG, "image/jpeg", "photo.png", "the file is a PNG image but was declared as image/jpeg"},
		{"PNG declared octet-stream, no name", PNG, "application/octet-stream", "", ""},
		{"PNG named .txt", PNG, "", "notes.txt", "named .txt"},
		{"PNG declared text/plain", PNG, "text/plain", "", "declared as text/plain"},
		{"JPEG declared image/pjpeg, upper-case .JPEG", JPEG, "image/pjpeg", "IMG_0001.JPEG", ""},
		{"JPEG declared image/jpg, .jpe", JPEG, "image/jpg", "scan.jpe", ""},
		{"JPEG named .heic", JPEG, "image/jpeg", "IMG_0001.heic", "the file is a JPEG image but is named .heic"},
		{"HEIC declared image/heif with parameters, .HEIF", HEIC, "image/heif; foo=bar", "a.HEIF", ""},
		{"WebP declared with charset", WebP, "image/webp; charset=binary", "x.webp", ""},
		{"PNG with a Windows path", PNG, "IMAGE/PNG", `C:\Users\tech\site.v2\photo.png`, ""},
		{"no extension", PNG, "", "photo", ""},
		{"HEIC declared image/png", HEIC, "image/png", "", "the file is a HEIC image but was declared as image/png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Agrees(tt.f, tt.declared, tt.filename)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("Agrees = %v, want nil", err)
				}
				return
			}
			wantUnsupported(t, err, tt.msg)
		})
	}
}

// MayStart agrees with Sniff: every prefix of an accepted file may start an
// image, and a prefix no accepted format has may not.
func TestMayStartAgreesWithSniff(t *testing.T) {
	for _, name := range []string{"photo_gps.jpg", "photo.webp", "photo.heic"} {
		b := mustFixture(t, name)
		for n := 1; n <= SniffLen; n++ {
			if !MayStart(b[:n]) {
				t.Fatalf("%s: its first %d bytes were refused", name, n)
			}
		}
	}
	png := mustPNG(t, testImage(4, 4))
	for n := 1; n <= 8; n++ {
		if !MayStart(png[:n]) {
			t.Fatalf("PNG: its first %d bytes were refused", n)
		}
	}
	for _, head := range []string{"h", "he", "hello", "\xFF\xD8\x00", "RIFF\x00\x00\x00\x00WAVE", "GIF89a"} {
		if MayStart([]byte(head)) {
			t.Errorf("%q may start an image", head)
		}
		if _, err := Sniff([]byte(head)); err == nil {
			t.Errorf("Sniff accepted %q", head)
		}
	}
}
