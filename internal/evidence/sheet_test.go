package evidence

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// signaturePNG draws a signature: a dark pen stroke on white.
func signaturePNG(t *testing.T) []byte {
	t.Helper()
	const w, h = 400, 150
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.White)
		}
	}
	ink := color.RGBA{R: 20, G: 30, B: 90, A: 255}
	for x := 20; x < w-20; x++ {
		cy := h/2 + int(40*math.Sin(float64(x)/25)*math.Cos(float64(x)/90))
		for dy := -3; dy <= 3; dy++ {
			img.Set(x, cy+dy, ink)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mustTool finds a poppler-utils program; the sheet tests need it and fail
// rather than skip without it, so a CI machine that lacks it is noticed.
func mustTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (%v): the PDF tests need poppler-utils; install it with `apt-get install -y poppler-utils`", name, err)
	}
	return path
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(mustTool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// mustRender renders a sheet into a file in a fresh temporary directory.
func mustRender(t *testing.T, r Record, hash string, sig io.Reader) string {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderSheet(&buf, r, hash, sig); err != nil {
		t.Fatalf("RenderSheet: %v", err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("output is not a PDF: %q", buf.Bytes()[:min(buf.Len(), 16)])
	}
	path := filepath.Join(t.TempDir(), "sheet.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func pageCount(t *testing.T, pdf string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindStringSubmatch(run(t, "pdfinfo", pdf))
	if m == nil {
		t.Fatal("pdfinfo printed no page count")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestRenderSheet(t *testing.T) {
	r := sampleRecord()
	r.Asset = &Asset{ID: "a-1", SerialNumber: "SN-88231", ProductModel: Model{ID: "m-1", Code: "WH-200", Brand: "Acme", Name: "Water heater"}}
	r.Photos = []Photo{
		{ID: "p-1", Kind: "before", SHA256: strings.Repeat("1f", 32)},
		{ID: "p-2", Kind: "after", SHA256: strings.Repeat("e0", 32)},
	}
	r.Charges.Items[0].UnitPrice = 12345
	r.Signature.SignerName = "Renée Müller"
	_, hash, err := Canonical(r)
	if err != nil {
		t.Fatal(err)
	}
	pdf := mustRender(t, r, hash, bytes.NewReader(signaturePNG(t)))

	t.Run("first page has visible content", func(t *testing.T) {
		dir := t.TempDir()
		run(t, "pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", pdf, filepath.Join(dir, "page"))
		pngs, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
		if len(pngs) != 1 {
			t.Fatalf("pdftoppm wrote %v, want one PNG", pngs)
		}
		f, err := os.Open(pngs[0])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		if b.Dx() < 400 || b.Dx() > 420 || b.Dy() < 575 || b.Dy() > 590 {
			t.Errorf("page is %dx%d pixels at 50 dpi, want A4 (about 413x585)", b.Dx(), b.Dy())
		}
		dark := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if r, g, bl, _ := img.At(x, y).RGBA(); r < 0xc000 || g < 0xc000 || bl < 0xc000 {
					dark++
				}
			}
		}
		share := float64(dark) / float64(b.Dx()*b.Dy())
		t.Logf("non-white pixels: %.1f%%", 100*share)
		if share < 0.02 || share > 0.5 {
			t.Errorf("%.2f%% of the first page is non-white, want 2%%-50%% (text, table and signature)", 100*share)
		}
	})

	t.Run("text carries the order, the figures and the hash", func(t *testing.T) {
		text := run(t, "pdftotext", "-layout", pdf, "-")
		for _, want := range []string{
			"Service report",
			"WO-2026-000042",
			"Report hash (SHA-256, RFC 8785 canonical form): " + hash,
			"123.45 CNY", // the unit price, from minor units
			"120.00 CNY", // the amount due
			"Acme Water heater (WH-200)",
			"SN-88231",
			"Nowak",
			"Renée Müller",          // Windows-1252 letters print as themselves
			"Replaced the filter ?", // the emoji is outside Windows-1252
			"Line two\n",            // U+2028 breaks the line
			"before",
			strings.Repeat("1f", 32),
			"75 min",
			"In warranty",
			"2026-03-04 05:06:07 UTC",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("sheet text lacks %q:\n%s", want, text)
			}
		}
		// Characters outside Windows-1252 (Chinese, ā, ě) print as '?', one
		// per character; é and other Latin-1 letters print as themselves.
		if !strings.Contains(text, "?? (Zh?ng W?i)") {
			t.Errorf("customer name not transliterated as documented:\n%s", text)
		}
	})

	t.Run("signature image is embedded", func(t *testing.T) {
		out := run(t, "pdfimages", "-list", pdf)
		if !regexp.MustCompile(`(?m)^\s*1\s+0\s+image\s+400\s+150\s`).MatchString(out) {
			t.Errorf("want one 400x150 image on page 1:\n%s", out)
		}
	})
}

func TestRenderSheetLongRecordBreaksPages(t *testing.T) {
	r := sampleRecord()
	for i := range 40 {
		r.Charges.Items = append(r.Charges.Items, Line{
			Kind: "part", Description: fmt.Sprintf("Spare part %d with a description long enough to wrap onto a second line of its cell", i),
			Qty: int64(i + 1), UnitPrice: 199, Amount: int64(199 * (i + 1)),
		})
	}
	r.Resolution = strings.Repeat("The unit was inspected, cleaned and tested under load. ", 30)
	_, hash, err := Canonical(r)
	if err != nil {
		t.Fatal(err)
	}
	pdf := mustRender(t, r, hash, bytes.NewReader(signaturePNG(t)))
	pages := pageCount(t, pdf)
	if pages < 2 {
		t.Fatalf("%d page(s), want the long record to break onto more", pages)
	}
	text := run(t, "pdftotext", pdf, "-")
	if n := strings.Count(text, hash); n != pages {
		t.Errorf("the hash is on %d of %d pages, want every page", n, pages)
	}
	if !strings.Contains(text, "Spare part 39") || !strings.Contains(text, fmt.Sprintf("page %d of %d", pages, pages)) {
		t.Errorf("last line or page number missing:\n%s", text)
	}
}

func TestRenderSheetEmptyRecord(t *testing.T) {
	// Nothing set: empty strings, no items, no photos, nil asset, no
	// signature image, no hash. It must render, not panic.
	pdf := mustRender(t, Record{}, "", nil)
	text := run(t, "pdftotext", pdf, "-")
	for _, want := range []string{"Service report", "No charge lines", "No asset recorded", "(no signature image)", "Report hash (SHA-256, RFC 8785 canonical form):"} {
		if !strings.Contains(text, want) {
			t.Errorf("sheet text lacks %q:\n%s", want, text)
		}
	}

	// Empty (non-nil) slices and an asset with empty fields.
	r := Record{Asset: &Asset{}, Charges: Charges{Items: []Line{{}}}, Photos: []Photo{{}}}
	mustRender(t, r, strings.Repeat("0", 64), bytes.NewReader(signaturePNG(t)))
}

func TestRenderSheetRejectsBadSignature(t *testing.T) {
	for name, sig := range map[string][]byte{
		"not a PNG": []byte("GIF89a..."),
		"empty":     {},
		"truncated": signaturePNG(t)[:100],
	} {
		t.Run(name, func(t *testing.T) {
			if err := RenderSheet(io.Discard, sampleRecord(), "", bytes.NewReader(sig)); err == nil {
				t.Error("want an error")
			}
		})
	}
}

func TestMoney(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		want     string
	}{
		{12345, "CNY", "123.45 CNY"},
		{5, "CNY", "0.05 CNY"},
		{0, "CNY", "0.00 CNY"},
		{-1050, "EUR", "-10.50 EUR"},
		{1500, "JPY", "1500 JPY"},
		{1234, "KWD", "1.234 KWD"},
		{100, "", "1.00"},
		{math.MinInt64, "CNY", "-92233720368547758.08 CNY"},
	}
	for _, tt := range tests {
		if got := Money(tt.minor, tt.currency); got != tt.want {
			t.Errorf("Money(%d, %q) = %q, want %q", tt.minor, tt.currency, got, tt.want)
		}
	}
}
