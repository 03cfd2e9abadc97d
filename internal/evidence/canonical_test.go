package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/fieldops/fieldops/internal/platform/jcs"
)

// sampleRecord is a completed visit with nested values, non-ASCII text and
// characters encoding/json would escape, no asset and no photos.
func sampleRecord() Record {
	part := "0197a3c2-5d2e-7c1a-9b7e-3f1c2d4e5f60"
	return Record{
		Schema: Schema,
		Order: Order{
			ID: "0197a3c2-0000-7000-8000-000000000001", Number: "WO-2026-000042",
			Type: "repair", Visit: 2, InWarranty: true,
		},
		Customer:   Party{ID: "c-1", Name: "张伟 (Zhāng Wěi)"},
		Technician: Party{ID: "t-1", Name: "Łukasz \"Luke\" Nowak"},
		Asset:      nil,
		Charges: Charges{
			Items: []Line{
				{Kind: "part", PartID: &part, Description: "滤芯 <filter> & seal", Qty: 2, UnitPrice: 4550, Covered: true, Amount: 9100},
				{Kind: "labour", Description: "Diagnosis\tand repair", Qty: 1, UnitPrice: 12000, Amount: 12000},
			},
			Parts: 9100, Labour: 12000, Fees: 0, Covered: 9100, AmountDue: 12000, Currency: "CNY",
		},
		Resolution:    "Replaced the filter 😀\nLine two\u2028end",
		Fixed:         true,
		LabourMinutes: 75,
		Photos:        nil,
		Signature:     Signature{PhotoID: "p-9", SHA256: strings.Repeat("ab", 32), SignerName: "张伟"},
		CompletedAt:   "2026-03-04T05:06:07.123456Z",
	}
}

func TestCanonical(t *testing.T) {
	r := sampleRecord()
	canonical, hash, err := Canonical(r)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("text is the pinned RFC 8785 form", func(t *testing.T) {
		// Stored hashes depend on these exact bytes: a change here breaks
		// the verification of every signed record.
		want := `{"asset":null,"charges":{"amount_due":12000,"covered":9100,"currency":"CNY","fees":0,` +
			`"items":[{"amount":9100,"covered":true,"description":"滤芯 <filter> & seal","kind":"part",` +
			`"part_id":"0197a3c2-5d2e-7c1a-9b7e-3f1c2d4e5f60","qty":2,"unit_price":4550},` +
			`{"amount":12000,"covered":false,"description":"Diagnosis\tand repair","kind":"labour",` +
			`"part_id":null,"qty":1,"unit_price":12000}],"labour":12000,"parts":9100},` +
			`"completed_at":"2026-03-04T05:06:07.123456Z","customer":{"id":"c-1","name":"张伟 (Zhāng Wěi)"},` +
			`"fixed":true,"labour_minutes":75,"order":{"id":"0197a3c2-0000-7000-8000-000000000001",` +
			`"in_warranty":true,"number":"WO-2026-000042","type":"repair","visit":2},"photos":[],` +
			"\"resolution\":\"Replaced the filter 😀\\nLine two\u2028end\",\"schema\":\"fieldops.completion/v1\"," +
			`"signature":{"photo_id":"p-9","sha256":"` + strings.Repeat("ab", 32) + `","signer_name":"张伟"},` +
			`"technician":{"id":"t-1","name":"Łukasz \"Luke\" Nowak"}}`
		if string(canonical) != want {
			t.Errorf("got  %s\nwant %s", canonical, want)
		}
	})

	t.Run("members sorted, no insignificant whitespace", func(t *testing.T) {
		var compact bytes.Buffer
		if err := json.Compact(&compact, canonical); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(compact.Bytes(), canonical) {
			t.Errorf("canonical text has insignificant whitespace:\n%s", canonical)
		}
		assertSortedMembers(t, canonical)
		again, err := jcs.Canonicalize(canonical)
		if err != nil || !bytes.Equal(again, canonical) {
			t.Errorf("canonicalizing the canonical text changed it: %s (%v)", again, err)
		}
	})

	t.Run("hash is the SHA-256 of the canonical bytes", func(t *testing.T) {
		sum := sha256.Sum256(canonical)
		if want := hex.EncodeToString(sum[:]); hash != want {
			t.Errorf("hash %s, want %s", hash, want)
		}
		if len(hash) != 64 || strings.ToLower(hash) != hash {
			t.Errorf("hash %q is not 64 lower-case hex digits", hash)
		}
	})

	t.Run("nil slices are written as []", func(t *testing.T) {
		if !bytes.Contains(canonical, []byte(`"photos":[]`)) {
			t.Errorf("photos not []: %s", canonical)
		}
		r := sampleRecord()
		r.Charges.Items = nil
		text, nilHash, err := Canonical(r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(text, []byte(`"items":[]`)) {
			t.Errorf("items not []: %s", text)
		}
		r.Charges.Items, r.Photos = []Line{}, []Photo{}
		if _, emptyHash, _ := Canonical(r); emptyHash != nilHash {
			t.Errorf("nil and empty slices hash differently: %s vs %s", nilHash, emptyHash)
		}
		if r := sampleRecord(); r.Photos != nil {
			t.Fatal("fixture changed")
		}
	})

	t.Run("does not change the caller's record", func(t *testing.T) {
		r := sampleRecord()
		r.Charges.Items = nil
		if _, _, err := Canonical(r); err != nil {
			t.Fatal(err)
		}
		if r.Photos != nil || r.Charges.Items != nil {
			t.Error("Canonical modified its argument")
		}
	})

	t.Run("parses back into an equal record", func(t *testing.T) {
		dec := json.NewDecoder(bytes.NewReader(canonical))
		dec.DisallowUnknownFields()
		var back Record
		if err := dec.Decode(&back); err != nil {
			t.Fatal(err)
		}
		want := sampleRecord()
		want.Photos = []Photo{}
		if !reflect.DeepEqual(back, want) {
			t.Errorf("round trip differs:\ngot  %+v\nwant %+v", back, want)
		}
	})

	t.Run("same record, same hash; any change, another hash", func(t *testing.T) {
		_, again, err := Canonical(sampleRecord())
		if err != nil || again != hash {
			t.Fatalf("hash not stable: %s vs %s (%v)", again, hash, err)
		}
		r := sampleRecord()
		r.Charges.Items[0].Qty = 3
		if _, changed, _ := Canonical(r); changed == hash {
			t.Error("changing a quantity did not change the hash")
		}
		r = sampleRecord()
		r.Asset = &Asset{ID: "a-1", SerialNumber: "SN-1", ProductModel: Model{ID: "m-1", Code: "X1", Brand: "Acme", Name: "Boiler"}}
		text, withAsset, err := Canonical(r)
		if err != nil {
			t.Fatal(err)
		}
		if withAsset == hash {
			t.Error("adding the asset did not change the hash")
		}
		if !bytes.Contains(text, []byte(`"asset":{"id":"a-1","product_model":{"brand":"Acme","code":"X1","id":"m-1","name":"Boiler"},"serial_number":"SN-1"}`)) {
			t.Errorf("asset not canonical: %s", text)
		}
	})

	if Canonicalization != "RFC8785" {
		t.Errorf("Canonicalization = %q", Canonicalization)
	}
}

// assertSortedMembers walks a JSON text and fails unless the members of
// every object are in strictly increasing UTF-16 code unit order.
func assertSortedMembers(t *testing.T, text []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(text))
	type frame struct {
		object bool
		keys   [][]uint16
		expect bool // the next string token in an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.object {
					top.expect = true
				}
				stack = append(stack, &frame{object: v == '{', expect: v == '{'})
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.object && top.expect {
				key := utf16.Encode([]rune(v))
				if n := len(top.keys); n > 0 && slices.Compare(top.keys[n-1], key) >= 0 {
					t.Errorf("member %q is out of order", v)
				}
				top.keys = append(top.keys, key)
				top.expect = false
				continue
			}
		}
		if top != nil && top.object {
			top.expect = true
		}
	}
	if len(stack) != 0 {
		t.Error("unbalanced JSON")
	}
}
