package evidence

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// The sheet's page geometry, in millimetres on A4 portrait.
const (
	pageMargin   = 15.0
	footerHeight = 14.0                      // the two footer lines below the break trigger
	contentWidth = 210.0 - 2*pageMargin      // 180
	pageBreakAt  = 297.0 - pageMargin - 10.0 // content stops here; the footer sits below
	lineHeight   = 5.0
)

// Limits on the signature image, which comes from a customer's device: a
// bound on what is decoded keeps a crafted PNG from exhausting memory.
const (
	maxSignatureBytes = 8 << 20
	maxSignatureSide  = 4096
)

// RenderSheet writes the printable service sheet of r to w: a one- or
// two-page A4 PDF with the order, the people, the asset, the charge lines
// and totals, the resolution, the photos by content hash, the customer's
// signature and, at the foot of every page, the report hash, so a printed
// sheet can be checked against the signed record. hash is normally the one
// Canonical returned for r. signaturePNG is the signature image (PNG); nil
// prints an empty signature box.
//
// The sheet uses the PDF core font Helvetica, whose encoding is Windows-1252:
// every character that encoding has (Latin-1, €, typographic quotes and
// dashes) prints as itself, and every other one (Chinese names, emoji)
// prints as '?'. A font with CJK glyphs would have to be embedded; none ships
// with Go or fpdf, a system font may be missing on the next machine, and a
// CJK font is too large to commit, so the sheet stays self-contained and
// renders the same everywhere. The exact text is the canonical record, which
// the printed hash identifies.
//
// An error means the signature is not a usable PNG or the PDF could not be
// written.
func RenderSheet(w io.Writer, r Record, hash string, signaturePNG io.Reader) error {
	var sig []byte
	if signaturePNG != nil {
		var err error
		if sig, err = normalizeSignature(signaturePNG); err != nil {
			return fmt.Errorf("evidence: signature image: %w", err)
		}
	}

	pdf := fpdf.New("P", "mm", "A4", "")
	s := &sheet{pdf: pdf, latin: cp1252(pdf.UnicodeTranslatorFromDescriptor("cp1252"))}
	pdf.SetMargins(pageMargin, pageMargin, pageMargin)
	pdf.SetAutoPageBreak(true, 297.0-pageBreakAt)
	pdf.AliasNbPages("{nb}")
	pdf.SetTitle("Service report "+r.Order.Number, true)
	pdf.SetSubject("Report hash (SHA-256, RFC 8785 canonical form): "+hash, true)
	pdf.SetCreator("FieldOps", true)
	if at, err := time.Parse(time.RFC3339Nano, r.CompletedAt); err == nil {
		// The same record renders to the same bytes.
		pdf.SetCreationDate(at)
		pdf.SetModificationDate(at)
	}
	pdf.SetFooterFunc(func() { s.footer(r.Order.Number, hash) })

	if sig != nil {
		pdf.RegisterImageOptionsReader("signature", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(sig))
	}

	pdf.AddPage()
	s.title(r)
	s.details(r)
	s.charges(r.Charges)
	s.resolution(r)
	s.photos(r.Photos)
	s.signature(r.Signature, sig != nil)

	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("evidence: render sheet: %w", err)
	}
	return nil
}

// sheet draws the parts of one service sheet.
type sheet struct {
	pdf   *fpdf.Fpdf
	latin func(string) string // UTF-8 → the core fonts' Windows-1252 bytes
}

// line is s.latin for a single-line cell: line breaks become spaces.
func (s *sheet) line(text string) string {
	return strings.ReplaceAll(s.latin(text), "\n", " ")
}

func (s *sheet) font(style string, size float64) { s.pdf.SetFont("Helvetica", style, size) }

// ensure starts a new page when fewer than h millimetres are left, so a
// block (a table row, the signature box) is never split across pages.
func (s *sheet) ensure(h float64) bool {
	if s.pdf.GetY()+h > pageBreakAt {
		s.pdf.AddPage()
		return true
	}
	return false
}

func (s *sheet) title(r Record) {
	s.font("B", 18)
	s.pdf.CellFormat(contentWidth/2, 10, "Service report", "", 0, "L", false, 0, "")
	s.font("B", 12)
	s.pdf.CellFormat(contentWidth/2, 10, s.line("Order "+orNone(r.Order.Number)), "", 1, "R", false, 0, "")
	s.rule()
}

// details lays out the order, the people and the asset as two columns of
// labelled values; a value that does not fit wraps.
func (s *sheet) details(r Record) {
	warranty := "Out of warranty"
	if r.Order.InWarranty {
		warranty = "In warranty"
	}
	model, serial := "No asset recorded", "-"
	if a := r.Asset; a != nil {
		model = joinNonEmpty(" ", a.ProductModel.Brand, a.ProductModel.Name)
		if a.ProductModel.Code != "" {
			model = joinNonEmpty(" ", model, "("+a.ProductModel.Code+")")
		}
		model, serial = orNone(model), orNone(a.SerialNumber)
	}
	rows := [][2][2]string{
		{{"Order number", orNone(r.Order.Number)}, {"Completed at", displayTime(r.CompletedAt)}},
		{{"Visit", strconv.Itoa(r.Order.Visit)}, {"Type", orNone(r.Order.Type)}},
		{{"Warranty", warranty}, {"", ""}},
		{{"Customer", orNone(r.Customer.Name)}, {"Technician", orNone(r.Technician.Name)}},
		{{"Asset", model}, {"Serial number", serial}},
	}
	s.font("", 10)
	for _, row := range rows {
		s.pairRow(row[0], row[1])
	}
	s.pdf.Ln(2)
}

// pairRow draws two label/value pairs side by side, each value wrapped to
// its column.
func (s *sheet) pairRow(left, right [2]string) {
	const labelW, valueW = 30.0, contentWidth/2 - 30.0
	s.font("", 10)
	leftLines := s.wrap(left[1], valueW)
	rightLines := s.wrap(right[1], valueW)
	h := lineHeight * float64(max(len(leftLines), len(rightLines), 1))
	s.ensure(h)
	y := s.pdf.GetY()
	for i, pair := range [][2]string{left, right} {
		x := pageMargin + float64(i)*contentWidth/2
		lines := leftLines
		if i == 1 {
			lines = rightLines
		}
		s.pdf.SetXY(x, y)
		s.pdf.SetTextColor(90, 90, 90)
		s.pdf.CellFormat(labelW, lineHeight, s.line(pair[0]), "", 0, "L", false, 0, "")
		s.pdf.SetTextColor(0, 0, 0)
		for j, l := range lines {
			s.pdf.SetXY(x+labelW, y+float64(j)*lineHeight)
			s.pdf.CellFormat(valueW, lineHeight, l, "", 0, "L", false, 0, "")
		}
	}
	s.pdf.SetXY(pageMargin, y+h)
}

// wrap converts text for the core font and splits it into lines that fit
// width w in the current font. fpdf's SplitText reads UTF-8, so the
// converted single-byte text goes through SplitLines.
func (s *sheet) wrap(text string, w float64) []string {
	var lines []string
	for _, l := range s.pdf.SplitLines([]byte(s.latin(text)), w) {
		lines = append(lines, string(l))
	}
	if len(lines) == 0 {
		lines = []string{""}
	}
	return lines
}

// The charge table's columns; their widths add up to contentWidth.
var chargeColumns = []struct {
	title string
	width float64
	align string
}{
	{"Kind", 20, "L"},
	{"Description", 64, "L"},
	{"Qty", 14, "R"},
	{"Unit price", 30, "R"},
	{"Covered", 22, "C"},
	{"Amount", 30, "R"},
}

func (s *sheet) charges(c Charges) {
	s.heading("Charges")
	s.chargeHeader()
	s.font("", 9)
	if len(c.Items) == 0 {
		s.pdf.CellFormat(contentWidth, lineHeight+1, "No charge lines", "1", 1, "C", false, 0, "")
	}
	for _, item := range c.Items {
		covered := "No"
		if item.Covered {
			covered = "Yes"
		}
		cells := []string{
			s.line(item.Kind),
			"", // wrapped below
			strconv.FormatInt(item.Qty, 10),
			s.line(Money(item.UnitPrice, c.Currency)),
			covered,
			s.line(Money(item.Amount, c.Currency)),
		}
		desc := s.wrap(item.Description, chargeColumns[1].width)
		h := lineHeight * float64(len(desc))
		if s.ensure(h + 1) {
			s.chargeHeader()
			s.font("", 9)
		}
		x, y := pageMargin, s.pdf.GetY()
		for i, col := range chargeColumns {
			s.pdf.Rect(x, y, col.width, h+1, "D")
			lines := []string{cells[i]}
			if i == 1 {
				lines = desc
			}
			for j, l := range lines {
				s.pdf.SetXY(x, y+0.5+float64(j)*lineHeight)
				s.pdf.CellFormat(col.width, lineHeight, l, "", 0, col.align, false, 0, "")
			}
			x += col.width
		}
		s.pdf.SetXY(pageMargin, y+h+1)
	}

	s.pdf.Ln(2)
	totals := [][2]string{
		{"Parts", Money(c.Parts, c.Currency)},
		{"Labour", Money(c.Labour, c.Currency)},
		{"Fees", Money(c.Fees, c.Currency)},
		{"Covered by warranty", Money(c.Covered, c.Currency)},
		{"Amount due", Money(c.AmountDue, c.Currency)},
	}
	s.ensure(lineHeight * float64(len(totals)))
	for i, t := range totals {
		style := ""
		if i == len(totals)-1 {
			style = "B"
		}
		s.font(style, 10)
		s.pdf.SetX(pageMargin + contentWidth - 100)
		s.pdf.CellFormat(60, lineHeight, t[0], "", 0, "R", false, 0, "")
		s.pdf.CellFormat(40, lineHeight, s.line(t[1]), "", 1, "R", false, 0, "")
	}
	s.pdf.Ln(2)
}

func (s *sheet) chargeHeader() {
	s.font("B", 9)
	s.pdf.SetFillColor(230, 230, 230)
	for _, col := range chargeColumns {
		s.pdf.CellFormat(col.width, lineHeight+1, col.title, "1", 0, col.align, true, 0, "")
	}
	s.pdf.Ln(-1)
}

func (s *sheet) resolution(r Record) {
	s.heading("Resolution")
	s.font("", 10)
	text := strings.TrimRight(r.Resolution, "\r\n ")
	if strings.TrimSpace(text) == "" {
		text = "(none)"
	}
	s.pdf.MultiCell(contentWidth, lineHeight, s.latin(text), "", "L", false)
	s.pdf.Ln(1)
	fixed := "No"
	if r.Fixed {
		fixed = "Yes"
	}
	s.pairRow([2]string{"Fixed", fixed}, [2]string{"Labour", fmt.Sprintf("%d min", r.LabourMinutes)})
	s.pdf.Ln(2)
}

func (s *sheet) photos(photos []Photo) {
	s.heading(fmt.Sprintf("Photos (%d)", len(photos)))
	if len(photos) == 0 {
		s.font("", 10)
		s.pdf.CellFormat(contentWidth, lineHeight, "(none)", "", 1, "L", false, 0, "")
	}
	for _, p := range photos {
		s.font("", 9)
		s.pdf.CellFormat(35, lineHeight, s.line(orNone(p.Kind)), "", 0, "L", false, 0, "")
		s.pdf.SetFont("Courier", "", 8)
		s.pdf.CellFormat(contentWidth-35, lineHeight, s.line("sha256 "+p.SHA256), "", 1, "L", false, 0, "")
	}
	s.pdf.Ln(2)
}

// signature draws the signer's name and the signature image fitted into a
// framed box, keeping its aspect ratio.
func (s *sheet) signature(sig Signature, haveImage bool) {
	const boxW, boxH = 80.0, 32.0
	s.ensure(8 + lineHeight + boxH)
	s.heading("Customer signature")
	s.font("", 10)
	s.pairRow([2]string{"Signed by", orNone(sig.SignerName)}, [2]string{"", ""})
	x, y := pageMargin, s.pdf.GetY()+1
	s.pdf.SetDrawColor(150, 150, 150)
	s.pdf.Rect(x, y, boxW, boxH, "D")
	s.pdf.SetDrawColor(0, 0, 0)
	if info := s.pdf.GetImageInfo("signature"); haveImage && info != nil && info.Width() > 0 && info.Height() > 0 {
		iw, ih := boxW-4, (boxW-4)*info.Height()/info.Width()
		if ih > boxH-4 {
			iw, ih = (boxH-4)*info.Width()/info.Height(), boxH-4
		}
		s.pdf.ImageOptions("signature", x+(boxW-iw)/2, y+(boxH-ih)/2, iw, ih, false,
			fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	} else {
		s.font("I", 9)
		s.pdf.SetXY(x, y+boxH/2-lineHeight/2)
		s.pdf.CellFormat(boxW, lineHeight, "(no signature image)", "", 0, "C", false, 0, "")
	}
	s.pdf.SetXY(pageMargin, y+boxH+2)
}

func (s *sheet) heading(text string) {
	s.ensure(8 + 2*lineHeight) // never a heading alone at the foot of a page
	s.font("B", 12)
	s.pdf.CellFormat(contentWidth, 8, text, "", 1, "L", false, 0, "")
}

func (s *sheet) rule() {
	y := s.pdf.GetY() + 1
	s.pdf.Line(pageMargin, y, pageMargin+contentWidth, y)
	s.pdf.SetY(y + 3)
}

// footer prints the report hash on one line (shrinking the font if it must)
// and the page number; it runs for every page.
func (s *sheet) footer(number, hash string) {
	s.pdf.SetY(-footerHeight)
	s.pdf.SetDrawColor(150, 150, 150)
	s.pdf.Line(pageMargin, s.pdf.GetY(), pageMargin+contentWidth, s.pdf.GetY())
	s.pdf.SetDrawColor(0, 0, 0)
	text := s.line("Report hash (SHA-256, RFC 8785 canonical form): " + hash)
	size := 8.0
	for ; size > 4; size -= 0.5 {
		s.font("", size)
		if s.pdf.GetStringWidth(text) <= contentWidth-2 {
			break
		}
	}
	s.pdf.CellFormat(contentWidth, 5, text, "", 1, "L", false, 0, "")
	s.font("", 8)
	s.pdf.SetTextColor(90, 90, 90)
	footer := fmt.Sprintf("Order %s - page %d of {nb}", orNone(number), s.pdf.PageNo())
	s.pdf.CellFormat(contentWidth, 4, s.line(footer), "", 0, "R", false, 0, "")
	s.pdf.SetTextColor(0, 0, 0)
}

// lineBreaks are the ways text in a record may break a line; the sheet
// writes each as "\n".
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n")

// cp1252 wraps fpdf's Windows-1252 translator: a rune the code page lacks
// becomes '?' (fpdf's own translator writes '.', which reads as text), line
// breaks become "\n" and other control characters spaces.
func cp1252(translate func(string) string) func(string) string {
	return func(text string) string {
		var b strings.Builder
		b.Grow(len(text))
		for _, r := range lineBreaks.Replace(text) {
			switch {
			case r == '\n':
				b.WriteByte('\n')
			case r < 0x20 || r == 0x7f:
				b.WriteByte(' ')
			case r < 0x80:
				b.WriteRune(r)
			default:
				if t := translate(string(r)); t != "." {
					b.WriteString(t)
				} else {
					b.WriteByte('?')
				}
			}
		}
		return b.String()
	}
}

// normalizeSignature decodes the signature PNG and re-encodes it as 8-bit,
// non-interlaced PNG, which is what fpdf's PNG reader accepts (it refuses
// 16-bit and interlaced files that a device may well produce).
func normalizeSignature(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSignatureBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSignatureBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxSignatureBytes)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxSignatureSide || cfg.Height > maxSignatureSide {
		return nil, fmt.Errorf("%dx%d pixels, want at most %d on a side", cfg.Width, cfg.Height, maxSignatureSide)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	rgba := image.NewNRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	var out bytes.Buffer
	if err := png.Encode(&out, rgba); err != nil {
		return nil, err
	}
	if out.Len() == 0 {
		return nil, errors.New("empty image")
	}
	return out.Bytes(), nil
}

// minorDigits lists the ISO 4217 currencies whose minor unit is not a
// hundredth; every other currency (CNY, EUR, USD, …) has two decimals.
var minorDigits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// Money formats an amount in minor units with its currency code:
// Money(12345, "CNY") is "123.45 CNY", Money(-5, "CNY") is "-0.05 CNY".
func Money(minor int64, currency string) string {
	digits, ok := minorDigits[strings.ToUpper(currency)]
	if !ok {
		digits = 2
	}
	sign := ""
	// Work on the magnitude as uint64 so the most negative int64 has one.
	mag := uint64(minor)
	if minor < 0 {
		sign, mag = "-", -mag
	}
	text := strconv.FormatUint(mag, 10)
	if digits > 0 {
		if len(text) <= digits {
			text = strings.Repeat("0", digits-len(text)+1) + text
		}
		text = text[:len(text)-digits] + "." + text[len(text)-digits:]
	}
	return joinNonEmpty(" ", sign+text, currency)
}

// displayTime writes an RFC 3339 time as "2006-01-02 15:04:05 UTC"; text
// that is not such a time is shown as it is.
func displayTime(text string) string {
	at, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return orNone(text)
	}
	return at.UTC().Format("2006-01-02 15:04:05 UTC")
}

func orNone(text string) string {
	if strings.TrimSpace(text) == "" {
		return "-"
	}
	return text
}

func joinNonEmpty(sep string, parts ...string) string {
	kept := parts[:0:0]
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}
