package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/fieldops/fieldops/api/apitest"
)

// noise is a w×h image of random colours (seeded: the same bytes every run).
func noise(w, h int, seed uint64) image.Image {
	r := rand.New(rand.NewPCG(seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.UintN(256))
	}
	return img
}

func jpegOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withExifGPS inserts an APP1 Exif segment with a GPS IFD (latitude ref
// "N") right after the JPEG's SOI marker, as a phone camera does.
func withExifGPS(j []byte) []byte {
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08" + // big-endian TIFF, IFD0 at 8
		"\x00\x01" + "\x88\x25\x00\x04\x00\x00\x00\x01\x00\x00\x00\x1a" + "\x00\x00\x00\x00" + // IFD0: GPS IFD pointer → 26
		"\x00\x01" + "\x00\x01\x00\x02\x00\x00\x00\x02N\x00\x00\x00" + "\x00\x00\x00\x00") // GPS IFD: GPSLatitudeRef "N"
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out := append([]byte{}, j[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, j[2:]...)
}

// signaturePNG is a white canvas with a dark stroke.
func signaturePNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 300, 100))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for x := 20; x < 280; x++ {
		y := 50 + (x%40 - 20)
		for d := -2; d <= 2; d++ {
			img.Set(x, y+d, color.RGBA{10, 10, 40, 255})
		}
	}
	return pngOf(t, img)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// closeOut is an order of alice's in-warranty AC, worked by Tom, in progress.
type closeOut struct {
	env              *apitest.Env
	id               string
	tom, alice, disp string
}

func inProgressOrder(t *testing.T, env *apitest.Env, typ string) closeOut {
	t.Helper()
	return inProgressQuoted(t, env, typ, nil)
}

// inProgressQuoted is inProgressOrder with a quote the customer approves
// (when items is not nil) instead of warranty work started without one.
func inProgressQuoted(t *testing.T, env *apitest.Env, typ string, items []map[string]any) closeOut {
	t.Helper()
	alice, disp, tom := env.Token("alice@example.com"), env.Token("dispatcher@fieldops.test"), env.Token("tom@fieldops.test")
	o := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{
		"type": typ, "description": "AC drips water", "asset_id": aliceAsset(t, env, alice),
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"},
	}), http.StatusCreated, "create").JSON
	id := o["id"].(string)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", disp, map[string]any{}), http.StatusOK, "triage")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": env.UserID("tom@fieldops.test")}), http.StatusOK, "assign")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/accept", tom, nil), http.StatusOK, "accept")
	slots := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id+"/slots?days=2", alice, nil), http.StatusOK, "slots")
	first := slots.JSON["items"].([]any)[0].(map[string]any)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/appointment", alice, map[string]any{"start": first["start"], "end": first["end"]}), http.StatusOK, "book")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/depart", tom, departEarly), http.StatusOK, "depart")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/arrive", tom, map[string]any{"lat": 31.24, "lng": 121.49}), http.StatusOK, "arrive")
	if items == nil {
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/start", tom, nil), http.StatusOK, "start")
	} else {
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/quote", tom, map[string]any{"items": items}), http.StatusOK, "quote")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/quote/approve", alice, nil), http.StatusOK, "approve")
	}
	return closeOut{env: env, id: id, tom: tom, alice: alice, disp: disp}
}

func (c closeOut) photo(t *testing.T, tok, kind, name, ct string, data []byte, extra ...string) apitest.Response {
	t.Helper()
	return c.env.Form(http.MethodPost, "/v1/orders/"+c.id+"/photos", tok, append([]string{"kind", kind}, extra...),
		apitest.FilePart{Field: "file", Filename: name, ContentType: ct, Data: data})
}

func (c closeOut) complete(t *testing.T, sig []byte) apitest.Response {
	t.Helper()
	return c.env.Form(http.MethodPost, "/v1/orders/"+c.id+"/complete", c.tom,
		[]string{"resolution", "Replaced the drain pump; test cycle ran clean", "fixed", "true", "labour_minutes", "45", "signer_name", "Alice Customer"},
		apitest.FilePart{Field: "signature", Filename: "signature.png", ContentType: "image/png", Data: sig})
}

// get fetches a path raw (no JSON), checked against the document.
func get(t *testing.T, env *apitest.Env, path, tok string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	apitest.Verify(t, req, nil, res, b.Bytes())
	return res, b.Bytes()
}

// mustHead sends HEAD, checked against the document.
func mustHead(t *testing.T, env *apitest.Env, path, tok string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodHead, env.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	apitest.Verify(t, req, nil, res, nil)
	return res
}

// canonicalJSON is an independent RFC 8785 canonical form for the values a
// report holds (objects, arrays, strings, integers, booleans, null): members
// sorted by UTF-16 code units, no whitespace, strings escaped minimally.
func canonicalJSON(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		n, err := strconv.ParseFloat(string(x), 64)
		if err != nil || n != float64(int64(n)) {
			panic("the report holds integers only: " + string(x))
		}
		return strconv.FormatInt(int64(n), 10)
	case string:
		var b strings.Builder
		b.WriteByte('"')
		for _, r := range x {
			switch {
			case r == '"':
				b.WriteString(`\"`)
			case r == '\\':
				b.WriteString(`\\`)
			case r == '\b':
				b.WriteString(`\b`)
			case r == '\f':
				b.WriteString(`\f`)
			case r == '\n':
				b.WriteString(`\n`)
			case r == '\r':
				b.WriteString(`\r`)
			case r == '\t':
				b.WriteString(`\t`)
			case r < 0x20:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
		return b.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = canonicalJSON(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int { return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b))) })
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = canonicalJSON(k) + ":" + canonicalJSON(x[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	panic(fmt.Sprintf("unexpected JSON value %T", v))
}

// reportOf fetches a report and checks it against its own record: the
// canonical text is the RFC 8785 form of record and hash its SHA-256.
func reportOf(t *testing.T, env *apitest.Env, id, tok, query string) map[string]any {
	t.Helper()
	res, raw := get(t, env, "/v1/orders/"+id+"/report"+query, tok)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("report: %d %s", res.StatusCode, raw)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var rep map[string]any
	if err := dec.Decode(&rep); err != nil {
		t.Fatal(err)
	}
	canonical := canonicalJSON(rep["record"])
	if canonical != rep["canonical"] {
		t.Fatalf("canonical text is not the RFC 8785 form of record:\n got %s\nwant %s", rep["canonical"], canonical)
	}
	if h := sha([]byte(canonical)); h != rep["hash"] || rep["canonicalization"] != "RFC8785" {
		t.Fatalf("hash %v, recomputed %s (%v)", rep["hash"], h, rep["canonicalization"])
	}
	return rep
}

// blobFiles lists the objects in the env's local blob store.
func blobFiles(t *testing.T, env *apitest.Env) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(env.BlobDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// The close-out of issue 7 over HTTP: on-site photos, completion with a
// signature, the report recomputed from its documented canonical form, the
// PDF, tampering refused, rating, and the follow-up call that closes it.
func TestCloseOutEndToEnd(t *testing.T) {
	t.Run("local blob store", func(t *testing.T) { closeOutEndToEnd(t, apitest.New(t)) })
	t.Run("S3 blob store", func(t *testing.T) { closeOutEndToEnd(t, apitest.New(t, apitest.WithS3(t))) })
}

func closeOutEndToEnd(t *testing.T, env *apitest.Env) {
	c := inProgressQuoted(t, env, "repair", []map[string]any{
		{"kind": "part", "description": "Drain pump", "qty": 1, "unit_price": 12900, "covered": true},
		{"kind": "labour", "description": "Replace the pump", "qty": 2, "unit_price": 4000, "covered": false},
		{"kind": "fee", "description": "Call-out", "qty": 1, "unit_price": 1500, "covered": false},
	})

	// Alice shows the fault with a phone photo carrying EXIF GPS.
	faultJPEG := withExifGPS(jpegOf(t, noise(64, 48, 1)))
	fault := mustStatus(t, c.photo(t, c.alice, "fault", "leak.jpg", "image/jpeg", faultJPEG), http.StatusCreated, "fault photo").JSON
	if fault["content_type"] != "image/jpeg" || fault["width"] != float64(64) || fault["height"] != float64(48) ||
		fault["sha256"] != sha(faultJPEG) || fault["size"] != float64(len(faultJPEG)) || fault["visit"] != float64(1) {
		t.Fatalf("fault photo: %v", fault)
	}
	mustStatus(t, c.photo(t, c.alice, "after", "x.jpg", "image/jpeg", faultJPEG), http.StatusUnprocessableEntity, "customers add fault photos only")

	// Tom: before (JPEG) and after (PNG, with a client id, time and place).
	before := jpegOf(t, noise(120, 80, 2))
	mustStatus(t, c.photo(t, c.tom, "before", "before.jpeg", "", before), http.StatusCreated, "before photo")
	after := pngOf(t, noise(90, 60, 3))
	afterID := "0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e99"
	extra := []string{"id", afterID, "taken_at", "2026-06-01T12:30:00+08:00", "lat", "31.2401", "lng", "121.4902"}
	a1 := mustStatus(t, c.photo(t, c.tom, "after", "after.png", "image/png", after, extra...), http.StatusCreated, "after photo").JSON
	if a1["id"] != afterID || a1["taken_at"] != "2026-06-01T04:30:00Z" || a1["lat"] != 31.2401 || a1["content_type"] != "image/png" {
		t.Fatalf("after photo: %v", a1)
	}
	// a retry is stored once; other bytes under the same id are refused
	a2 := mustStatus(t, c.photo(t, c.tom, "after", "after.png", "image/png", after, extra...), http.StatusOK, "retried upload")
	if a2.JSON["id"] != afterID || a2.JSON["created_at"] != a1["created_at"] {
		t.Fatalf("retry did not replay the photo: %s", a2.Raw)
	}
	mustStatus(t, c.photo(t, c.tom, "after", "after.png", "image/png", pngOf(t, noise(90, 60, 4)), extra...), http.StatusConflict, "same id, other bytes")
	if n := env.Count("photos"); n != 3 {
		t.Fatalf("%d photos stored, want 3", n)
	}

	// Bytes: staff get the original, with ETag = SHA-256 and ranges; the
	// customer gets them without the EXIF segment.
	res, body := get(t, env, "/v1/photos/"+fault["id"].(string)+"/content", c.tom)
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, faultJPEG) || res.Header.Get("ETag") != `"`+sha(faultJPEG)+`"` || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("original content: %d %q %q", res.StatusCode, res.Header.Get("ETag"), res.Header.Get("Content-Type"))
	}
	res, body = get(t, env, "/v1/photos/"+fault["id"].(string)+"/content", c.tom, "Range", "bytes=0-9")
	if res.StatusCode != http.StatusPartialContent || !bytes.Equal(body, faultJPEG[:10]) {
		t.Fatalf("range: %d %x", res.StatusCode, body)
	}
	res, body = get(t, env, "/v1/photos/"+fault["id"].(string)+"/content", c.tom, "Range", "bytes=999999-")
	if res.StatusCode != http.StatusRequestedRangeNotSatisfiable || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("a range past the end: %d %q %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	head := mustHead(t, env, "/v1/photos/"+fault["id"].(string)+"/content", c.tom)
	if head.StatusCode != http.StatusOK || head.ContentLength != int64(len(faultJPEG)) || head.Header.Get("ETag") != `"`+sha(faultJPEG)+`"` {
		t.Fatalf("HEAD: %d, length %d, ETag %s", head.StatusCode, head.ContentLength, head.Header.Get("ETag"))
	}
	res, _ = get(t, env, "/v1/photos/"+fault["id"].(string)+"/content", c.tom, "If-None-Match", `"`+sha(faultJPEG)+`"`)
	if res.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", res.StatusCode)
	}
	res, body = get(t, env, "/v1/photos/"+fault["id"].(string)+"/content", c.alice)
	if res.StatusCode != http.StatusOK || bytes.Contains(body, []byte("Exif\x00\x00")) || !bytes.Contains(faultJPEG, []byte("Exif\x00\x00")) {
		t.Fatalf("customer content still carries EXIF (status %d)", res.StatusCode)
	}
	if res.Header.Get("ETag") != `"`+sha(body)+`"` {
		t.Fatalf("the stripped copy's ETag %s is not its SHA-256", res.Header.Get("ETag"))
	}
	if img, err := jpeg.Decode(bytes.NewReader(body)); err != nil || img.Bounds().Dx() != 64 {
		t.Fatalf("stripped JPEG does not decode: %v", err)
	}
	res, body = get(t, env, "/v1/photos/"+a1["id"].(string)+"/content?size=thumb", c.alice)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumbnail: %d %s", res.StatusCode, body)
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(body)); err != nil || cfg.Width > 320 || cfg.Height > 320 {
		t.Fatalf("thumbnail: %v %+v", err, cfg)
	}
	thumb := body
	res, body = get(t, env, "/v1/photos/"+a1["id"].(string)+"/content?size=thumb", c.tom) // made once, then served
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, thumb) || res.Header.Get("ETag") != `"`+sha(thumb)+`"` {
		t.Fatalf("second thumbnail: %d, ETag %s", res.StatusCode, res.Header.Get("ETag"))
	}
	if n := env.Count("photo_variants"); n != 2 {
		t.Fatalf("%d variants recorded, want 2 (the clean copy and the thumbnail)", n)
	}
	// a customer does not learn where the technician stood
	list := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+c.id+"/photos", c.alice, nil), http.StatusOK, "photos as alice")
	for _, it := range list.Items(t) {
		if it["id"] == afterID && (it["lat"] != nil || it["taken_at"] != nil) {
			t.Fatalf("customer sees the technician's position: %v", it)
		}
	}

	// Completion with the signature.
	sig := signaturePNG(t)
	done := mustStatus(t, c.complete(t, sig), http.StatusOK, "complete").JSON
	if done["status"] != "completed" || done["fixed"] != true || done["labour_minutes"] != float64(45) || done["completed_at"] == nil {
		t.Fatalf("completed order: %v", done)
	}
	rep := reportOf(t, env, c.id, c.alice, "")
	rec := rep["record"].(map[string]any)
	photos := rec["photos"].([]any)
	if len(photos) != 3 || rec["fixed"] != true || rec["resolution"] != "Replaced the drain pump; test cycle ran clean" {
		t.Fatalf("record: %v", rec)
	}
	hashes := map[string]bool{}
	for _, p := range photos {
		hashes[p.(map[string]any)["sha256"].(string)] = true
	}
	if !hashes[sha(faultJPEG)] || !hashes[sha(before)] || !hashes[sha(after)] {
		t.Fatalf("record photos: %v", photos)
	}
	if s := rec["signature"].(map[string]any); s["sha256"] != sha(sig) || s["signer_name"] != "Alice Customer" {
		t.Fatalf("record signature: %v", s)
	}
	if rec["order"].(map[string]any)["number"] != done["number"] || rec["customer"].(map[string]any)["name"] != "Alice Customer" ||
		rec["technician"].(map[string]any)["name"] != "Tom North" || rec["asset"].(map[string]any)["serial_number"] != "AC9-DEMO-0001" {
		t.Fatalf("record parties: %v", rec)
	}
	hash := rep["hash"]
	// the priced lines and sums signed are the order's
	ch := rec["charges"].(map[string]any)
	if len(ch["items"].([]any)) != 3 || ch["amount_due"] != json.Number("9500") || ch["covered"] != json.Number("12900") ||
		ch["labour"] != json.Number("8000") || ch["fees"] != json.Number("1500") || ch["parts"] != json.Number("0") || ch["currency"] != "CNY" {
		t.Fatalf("record charges: %v", ch)
	}
	if oc := done["charges"].(map[string]any); oc["amount_due"] != float64(9500) || oc["covered"] != float64(12900) {
		t.Fatalf("order charges: %v", oc)
	}
	if line := ch["items"].([]any)[1].(map[string]any); line["kind"] != "labour" || line["qty"] != json.Number("2") || line["amount"] != json.Number("8000") || line["part_id"] != nil {
		t.Fatalf("record line: %v", line)
	}

	// The printable sheet: its first page rendered is not blank.
	res, pdf := get(t, env, "/v1/orders/"+c.id+"/report?format=pdf", c.disp)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("pdf: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if dark := renderedInk(t, pdf); dark < 0.01 {
		t.Fatalf("the PDF's first page is blank (%.4f of pixels inked)", dark)
	}
	if _, again := get(t, env, "/v1/orders/"+c.id+"/report?format=pdf", c.alice); !bytes.Equal(again, pdf) {
		t.Fatal("the sheet changed between two requests")
	}

	// Tampering is refused, and the record is unchanged.
	mustStatus(t, env.Do(http.MethodPatch, "/v1/orders/"+c.id, c.disp, map[string]any{"description": "changed"}), http.StatusConflict, "PATCH")
	mustStatus(t, c.photo(t, c.tom, "after", "late.jpg", "image/jpeg", before), http.StatusConflict, "new photo")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/quote", c.tom, map[string]any{"items": []map[string]any{
		{"kind": "part", "description": "Extra part", "qty": 1, "unit_price": 100, "covered": false}}}), http.StatusConflict, "new parts (quote)")
	mustStatus(t, c.complete(t, sig), http.StatusConflict, "second completion")
	if again := reportOf(t, env, c.id, c.tom, "?visit=1"); again["hash"] != hash || again["canonical"] != rep["canonical"] {
		t.Fatal("the report changed after tampering attempts")
	}
	if n := env.Count("completions"); n != 1 {
		t.Fatalf("%d completion records, want 1", n)
	}

	// Rating, once.
	r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/rating", c.alice, map[string]any{
		"score": 5, "timeliness": 5, "attitude": 4, "quality": 5, "comment": "Quick and tidy"}), http.StatusCreated, "rating").JSON
	if r["score"] != float64(5) || r["complaint_id"] != nil {
		t.Fatalf("rating: %v", r)
	}
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/rating", c.alice, map[string]any{
		"score": 1, "timeliness": 1, "attitude": 1, "quality": 1}), http.StatusConflict, "second rating")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/rating", c.tom, map[string]any{
		"score": 5, "timeliness": 5, "attitude": 5, "quality": 5}), http.StatusForbidden, "technician rating")

	// The follow-up is due from 24 h after completion; resolved closes the order.
	due := func() bool {
		l := mustStatus(t, env.Do(http.MethodGet, "/v1/orders?follow_up_due=true", env.Token("dispatcher@fieldops.test"), nil), http.StatusOK, "due list")
		for _, it := range l.Items(t) {
			if it["id"] == c.id {
				return true
			}
		}
		return false
	}
	if due() {
		t.Fatal("follow-up listed as due right after completion")
	}
	env.Clock.Advance(25 * time.Hour)
	if !due() {
		t.Fatal("follow-up not listed as due 25 h after completion")
	}
	disp := env.Token("dispatcher@fieldops.test")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/follow-ups", disp, map[string]any{"reached": true}), http.StatusUnprocessableEntity, "reached without answers")
	fu := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/follow-ups", disp, map[string]any{
		"reached": true, "satisfaction": 5, "resolved": true, "notes": "All good"}), http.StatusCreated, "follow-up").JSON
	if o := fu["order"].(map[string]any); o["status"] != "closed" || o["closed_at"] == nil {
		t.Fatalf("follow-up did not close the order: %v", o)
	}
	if due() {
		t.Fatal("a closed order is still due a follow-up")
	}
	l := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+c.id+"/follow-ups", disp, nil), http.StatusOK, "follow-ups")
	if items := l.Items(t); len(items) != 1 || items[0]["satisfaction"] != float64(5) {
		t.Fatalf("follow-ups: %s", l.Raw)
	}
	mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+c.id+"/follow-ups", env.Token("alice@example.com"), nil), http.StatusForbidden, "customer reads follow-ups")
}

// renderedInk rasterises a PDF's first page with pdftoppm and returns the
// share of pixels that are not white.
func renderedInk(t *testing.T, pdf []byte) float64 {
	t.Helper()
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Fatal("pdftoppm (poppler-utils) is needed to render the service sheet: apt-get install poppler-utils")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	inked := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xE000 || g < 0xE000 || bl < 0xE000 {
				inked++
			}
		}
	}
	return float64(inked) / float64(b.Dx()*b.Dy())
}

// Refused uploads leave nothing behind, in the store or the database.
func TestPhotoUploadsRefusedLeaveNothing(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "repair")
	pngBytes := pngOf(t, noise(40, 30, 5))
	jpg := jpegOf(t, noise(200, 150, 6))
	big := make([]byte, 16<<20)
	copy(big, jpg)
	cases := []struct {
		name, file, ct string
		data           []byte
		want           int
		field          string
	}{
		{"a PNG renamed .jpg", "shot.jpg", "", pngBytes, http.StatusUnsupportedMediaType, ""},
		{"a PNG declared as JPEG", "shot", "image/jpeg", pngBytes, http.StatusUnsupportedMediaType, ""},
		{"a text file named .png", "notes.png", "image/png", []byte("hello, this is not an image at all\n"), http.StatusUnsupportedMediaType, ""},
		{"an empty file", "empty.jpg", "image/jpeg", nil, http.StatusUnprocessableEntity, "file"},
		{"a truncated JPEG", "cut.jpg", "image/jpeg", jpg[:len(jpg)*6/10], http.StatusUnsupportedMediaType, ""},
		{"a 16 MiB file", "huge.jpg", "image/jpeg", big, http.StatusRequestEntityTooLarge, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.photo(t, c.tom, "after", tc.file, tc.ct, tc.data)
			if r.Status != tc.want || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") || r.JSON["detail"] == "" {
				t.Fatalf("status %d (want %d): %s", r.Status, tc.want, r.Raw)
			}
			if tc.field != "" && !strings.Contains(string(r.Raw), `"field":"`+tc.field+`"`) {
				t.Fatalf("the problem does not name %s: %s", tc.field, r.Raw)
			}
			if n := env.Count("photos"); n != 0 {
				t.Fatalf("%d photo rows left", n)
			}
			if files := blobFiles(t, env); len(files) != 0 {
				t.Fatalf("bytes left in the store: %v", files)
			}
		})
	}
	// a signature is a PNG of at most 2048 pixels a side
	wide := c.env.Form(http.MethodPost, "/v1/orders/"+c.id+"/complete", c.tom,
		[]string{"resolution", "done", "fixed", "true", "labour_minutes", "10", "signer_name", "Alice"},
		apitest.FilePart{Field: "signature", Filename: "sig.png", ContentType: "image/png", Data: pngOf(t, image.NewGray(image.Rect(0, 0, 3000, 20)))})
	if mustStatus(t, wide, http.StatusUnprocessableEntity, "a 3000 px signature"); !strings.Contains(string(wide.Raw), `"field":"signature"`) {
		t.Fatalf("the problem does not name signature: %s", wide.Raw)
	}
	// completion needs an after photo for a repair, and a PNG signature
	mustStatus(t, c.complete(t, signaturePNG(t)), http.StatusConflict, "repair without an after photo")
	mustStatus(t, c.photo(t, c.tom, "after", "after.jpg", "image/jpeg", jpg), http.StatusCreated, "after photo")
	bad := c.env.Form(http.MethodPost, "/v1/orders/"+c.id+"/complete", c.tom,
		[]string{"resolution", "done", "fixed", "true", "labour_minutes", "10", "signer_name", "Alice"},
		apitest.FilePart{Field: "signature", Filename: "sig.jpg", ContentType: "image/jpeg", Data: jpg})
	mustStatus(t, bad, http.StatusUnsupportedMediaType, "a JPEG signature")
	latin1 := c.env.Form(http.MethodPost, "/v1/orders/"+c.id+"/complete", c.tom,
		[]string{"resolution", "r\xe9par\xe9", "fixed", "true", "labour_minutes", "10", "signer_name", "Alice"},
		apitest.FilePart{Field: "signature", Filename: "sig.png", ContentType: "image/png", Data: signaturePNG(t)})
	if mustStatus(t, latin1, http.StatusUnprocessableEntity, "a Latin-1 resolution"); !strings.Contains(string(latin1.Raw), `"field":"resolution"`) {
		t.Fatalf("the problem does not name resolution: %s", latin1.Raw)
	}
	if n := env.Count("photos"); n != 1 || env.Count("completions") != 0 || len(blobFiles(t, env)) != 1 {
		t.Fatalf("refused completion left %d photos, %d records, %v", n, env.Count("completions"), blobFiles(t, env))
	}
	// the whole completion request is bounded (4 MiB), before anything reads it
	huge := env.Do(http.MethodPost, "/v1/orders/"+c.id+"/complete", c.tom, map[string]any{"resolution": "x", "fixed": true,
		"labour_minutes": 1, "signer_name": "A", "signature": strings.Repeat("A", 5<<20)}, "Idempotency-Key", "huge-1")
	mustStatus(t, huge, http.StatusRequestEntityTooLarge, "a 5 MiB completion")
	// the JSON form, with a base64 signature
	r := env.Do(http.MethodPost, "/v1/orders/"+c.id+"/complete", c.tom, map[string]any{"resolution": "Replaced the pump", "fixed": true,
		"labour_minutes": 30, "signer_name": "Alice", "signature": base64.StdEncoding.EncodeToString(signaturePNG(t))})
	mustStatus(t, r, http.StatusOK, "JSON completion")
}

// Photos keep the order's scope: another customer and a technician who is
// not assigned get 404 on the list, the content and the upload.
func TestPhotoAccessIsScoped(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "repair")
	img := jpegOf(t, noise(50, 50, 9))
	ph := mustStatus(t, c.photo(t, c.tom, "before", "b.jpg", "image/jpeg", img), http.StatusCreated, "photo").JSON
	for _, who := range []string{"bob@example.com", "sam@fieldops.test", "carl@coolfix.test", "dispatcher@coolfix.test"} {
		tok := env.Token(who)
		mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+c.id+"/photos", tok, nil), http.StatusNotFound, who+" lists photos")
		res, _ := get(t, env, "/v1/photos/"+ph["id"].(string)+"/content", tok)
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("%s reads the content: %d", who, res.StatusCode)
		}
		r := c.photo(t, tok, "fault", "f.jpg", "image/jpeg", img)
		if r.Status != http.StatusNotFound && !(who == "dispatcher@coolfix.test" && r.Status == http.StatusForbidden) {
			t.Fatalf("%s uploads: %d %s", who, r.Status, r.Raw)
		}
		mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+c.id+"/report", tok, nil), http.StatusNotFound, who+" reads the report")
	}
	if n := env.Count("photos"); n != 1 {
		t.Fatalf("%d photos, want 1", n)
	}
}

// A follow-up that finds the problem unresolved reopens the order as a
// repeat repair: a new visit with its own record; the first stays as signed.
func TestRepeatRepairKeepsTheFirstReport(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "maintenance") // no after photo needed
	sig := signaturePNG(t)
	mustStatus(t, c.complete(t, sig), http.StatusOK, "complete visit 1")
	first := reportOf(t, env, c.id, c.alice, "")

	// a low rating opens a complaint
	r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/rating", c.alice, map[string]any{
		"score": 2, "timeliness": 3, "attitude": 3, "quality": 2, "comment": "Still drips"}), http.StatusCreated, "rating").JSON
	if r["complaint_id"] == nil || env.Count("complaints") != 1 {
		t.Fatalf("a score of 2 opened no complaint: %v", r)
	}

	fu := mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/follow-ups", c.disp, map[string]any{
		"reached": true, "satisfaction": 2, "resolved": false, "notes": "Still drips"}), http.StatusCreated, "follow-up").JSON
	o := fu["order"].(map[string]any)
	if o["status"] != "triaged" || o["repeat_repair"] != true || o["visit_count"] != float64(2) || o["completed_at"] != nil {
		t.Fatalf("not resolved did not reopen: %v", o)
	}
	// visit 2: assign, work, complete again
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/assign", c.disp, map[string]any{"technician_id": env.UserID("tom@fieldops.test")}), http.StatusOK, "assign")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/accept", c.tom, nil), http.StatusOK, "accept")
	slots := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+c.id+"/slots?days=3", c.alice, nil), http.StatusOK, "slots")
	first2 := slots.JSON["items"].([]any)[0].(map[string]any)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/appointment", c.alice, map[string]any{"start": first2["start"], "end": first2["end"]}), http.StatusOK, "book")
	for _, a := range []string{"depart", "arrive", "start"} {
		var body any
		switch a {
		case "depart":
			body = departEarly
		case "arrive":
			body = map[string]any{"lat": 31.24, "lng": 121.49}
		}
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/"+a, c.tom, body), http.StatusOK, a)
	}
	mustStatus(t, c.photo(t, c.tom, "after", "a2.jpg", "image/jpeg", jpegOf(t, noise(30, 30, 11))), http.StatusCreated, "visit 2 photo")
	mustStatus(t, c.complete(t, sig), http.StatusOK, "complete visit 2")

	again := reportOf(t, env, c.id, c.alice, "?visit=1")
	if again["hash"] != first["hash"] || again["canonical"] != first["canonical"] {
		t.Fatal("the first visit's report changed")
	}
	second := reportOf(t, env, c.id, c.alice, "")
	rec := second["record"].(map[string]any)
	if second["visit"] != json.Number("2") || rec["order"].(map[string]any)["visit"] != json.Number("2") || len(rec["photos"].([]any)) != 1 || second["hash"] == first["hash"] {
		t.Fatalf("visit 2 report: %v", second)
	}
	mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+c.id+"/report?visit=3", c.alice, nil), http.StatusNotFound, "no visit 3")
	// the database refuses to change a signed record
	if err := env.DB.Exec("UPDATE completions SET hash = repeat('0', 64) WHERE order_id = ?", c.id).Error; err == nil {
		t.Fatal("a completion record was changed")
	}
}

// A customer adds a proof of purchase to their asset; others cannot.
func TestAssetProofOfPurchase(t *testing.T) {
	env := apitest.New(t)
	alice := env.Token("alice@example.com")
	asset := aliceAsset(t, env, alice)
	receipt := jpegOf(t, noise(80, 120, 21))
	up := func(tok string, fields ...string) apitest.Response {
		return env.Form(http.MethodPost, "/v1/assets/"+asset+"/photos", tok, fields,
			apitest.FilePart{Field: "file", Filename: "receipt.jpg", ContentType: "image/jpeg", Data: receipt})
	}
	ph := mustStatus(t, up(alice), http.StatusCreated, "proof of purchase").JSON
	if ph["kind"] != "proof_of_purchase" || ph["asset_id"] != asset || ph["order_id"] != nil || ph["visit"] != nil || ph["sha256"] != sha(receipt) {
		t.Fatalf("asset photo: %v", ph)
	}
	mustStatus(t, up(alice, "kind", "fault"), http.StatusUnprocessableEntity, "an asset takes proofs of purchase only")
	mustStatus(t, up(env.Token("bob@example.com")), http.StatusNotFound, "bob on alice's asset")
	mustStatus(t, up(env.Token("tom@fieldops.test")), http.StatusForbidden, "a technician on an asset")
	l := mustStatus(t, env.Do(http.MethodGet, "/v1/assets/"+asset+"/photos", alice, nil), http.StatusOK, "list").Items(t)
	if len(l) != 1 || l[0]["id"] != ph["id"] {
		t.Fatalf("asset photos: %v", l)
	}
	mustStatus(t, env.Do(http.MethodGet, "/v1/assets/"+asset+"/photos", env.Token("bob@example.com"), nil), http.StatusNotFound, "bob lists")
	res, body := get(t, env, "/v1/photos/"+ph["id"].(string)+"/content", env.Token("dispatcher@fieldops.test"))
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, receipt) {
		t.Fatalf("staff read the receipt: %d", res.StatusCode)
	}
	if res, _ := get(t, env, "/v1/photos/"+ph["id"].(string)+"/content", env.Token("bob@example.com")); res.StatusCode != http.StatusNotFound {
		t.Fatalf("bob reads alice's receipt: %d", res.StatusCode)
	}
	if n := env.Count("photos"); n != 1 || len(blobFiles(t, env)) != 1 {
		t.Fatalf("%d photos, files %v", n, blobFiles(t, env))
	}
}

// A technician who declined the job is as good as a stranger to its photos:
// 404 on the list, the content and the upload — until assigned again.
func TestDeclinedTechnicianLosesThePhotos(t *testing.T) {
	env := apitest.New(t)
	alice, disp, tom := env.Token("alice@example.com"), env.Token("dispatcher@fieldops.test"), env.Token("tom@fieldops.test")
	o := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{
		"type": "repair", "description": "AC drips water", "asset_id": aliceAsset(t, env, alice),
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"},
	}), http.StatusCreated, "create").JSON
	c := closeOut{env: env, id: o["id"].(string), tom: tom, alice: alice, disp: disp}
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/triage", disp, map[string]any{}), http.StatusOK, "triage")
	assign := func() {
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/assign", disp, map[string]any{"technician_id": env.UserID("tom@fieldops.test")}), http.StatusOK, "assign")
	}
	assign()
	fault := withExifGPS(jpegOf(t, noise(40, 40, 41)))
	ph := mustStatus(t, c.photo(t, alice, "fault", "f.jpg", "image/jpeg", fault, "lat", "31.2", "lng", "121.5"), http.StatusCreated, "fault photo").JSON
	mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+c.id+"/photos", tom, nil), http.StatusOK, "assigned tom lists")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+c.id+"/decline", tom, map[string]any{"reason": "too far"}), http.StatusOK, "decline")

	mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+c.id+"/photos", tom, nil), http.StatusNotFound, "declined tom lists")
	if res, _ := get(t, env, "/v1/photos/"+ph["id"].(string)+"/content", tom); res.StatusCode != http.StatusNotFound {
		t.Fatalf("declined tom reads the content: %d", res.StatusCode)
	}
	mustStatus(t, c.photo(t, tom, "before", "b.jpg", "image/jpeg", jpegOf(t, noise(20, 20, 42))), http.StatusNotFound, "declined tom uploads")

	assign()
	if l := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+c.id+"/photos", tom, nil), http.StatusOK, "reassigned tom lists").Items(t); len(l) != 1 {
		t.Fatalf("reassigned tom sees %d photos", len(l))
	}
}
