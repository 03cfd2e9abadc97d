package api_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

// assetBody is a registration of an AC-9000 with the given serial.
func assetBody(model, serial string) map[string]any {
	return map[string]any{"product_model_id": model, "serial_number": serial, "purchase_date": "2026-05-01",
		"address": map[string]any{"line1": "7 Garden Lane", "city": "Southbay", "region": "south"}}
}

// sortedKeys lists an object's keys: the shape of a response.
func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Serial numbers are normalised before uniqueness: case, white space,
// zero-width and other invisible characters, full-width forms.
func TestAssetSerialIsNormalised(t *testing.T) {
	env := apitest.New(t)
	tok := catTokens(t, env, catManager, catAlice)
	ac := catModelID(t, env, tok[catManager], "AC-9000")

	r := mustStatus(t, env.Do(http.MethodPost, "/v1/assets", tok[catAlice], assetBody(ac, " ｓｎ－ｚｗ\u200b－１\ufeff ")), http.StatusCreated, "full-width with a zero-width space")
	if r.JSON["serial_number"] != "SN-ZW-1" {
		t.Fatalf("serial_number = %q, want SN-ZW-1", r.JSON["serial_number"])
	}
	for _, variant := range []string{"sn-zw-1", "SN-ZW-1 ", "SN\u200b-ZW-1", "S N-ZW-1", "SN-ZW\u2060-1\u00ad"} {
		r := env.Do(http.MethodPost, "/v1/assets", tok[catAlice], assetBody(ac, variant))
		expectProblem(t, r, http.StatusConflict, "serial_number")
	}
	// alice's seeded serial, in lower case with a zero-width space: hers already
	expectProblem(t, env.Do(http.MethodPost, "/v1/assets", tok[catAlice], assetBody(ac, "ac9-demo\u200b-0001")), http.StatusConflict, "serial_number")

	for name, serial := range map[string]string{
		"a Cyrillic lookalike": "АС9-DEMO-0001", // Cyrillic А and С
		"only invisible":       "\u200b\u200c\ufeff ",
	} {
		t.Run(name, func(t *testing.T) {
			expectProblem(t, env.Do(http.MethodPost, "/v1/assets", tok[catAlice], assetBody(ac, serial)), http.StatusUnprocessableEntity, "serial_number")
		})
	}
	if n := env.Count("assets"); n != 5 {
		t.Errorf("assets = %d, want the 4 seeded + 1", n)
	}
}

// A serial another customer registered first is not refused: the caller
// gets their own asset, exactly as a fresh registration, the owner keeps
// theirs, and staff get a claim to review.
func TestAssetDuplicateSerialBecomesAClaim(t *testing.T) {
	env := apitest.New(t)
	tok := catTokens(t, env, catManager, catDispatcher, catPartnerDispatch, catTechnician, catAlice, catBob)
	ac := catModelID(t, env, tok[catManager], "AC-9000")
	aliceAssetID := catAssetID(t, env, tok[catManager], "AC9-DEMO-0001")
	before := mustStatus(t, env.Do(http.MethodGet, "/v1/assets/"+aliceAssetID, tok[catAlice], nil), http.StatusOK, "alice's asset").Raw

	fresh := mustStatus(t, env.Do(http.MethodPost, "/v1/assets", tok[catBob], assetBody(ac, "SN-NOBODY-HAS-IT")), http.StatusCreated, "fresh serial")
	claim := mustStatus(t, env.Do(http.MethodPost, "/v1/assets", tok[catBob], assetBody(ac, "ac9-demo-0001\u200b")), http.StatusCreated, "alice's serial")
	if !slices.Equal(sortedKeys(claim.JSON), sortedKeys(fresh.JSON)) || claim.Header.Get("Location") != "/v1/assets/"+claim.JSON["id"].(string) {
		t.Fatalf("a claim answers differently from a registration:\n%s\n%s", claim.Raw, fresh.Raw)
	}
	bobAsset := claim.JSON["id"].(string)
	if bobAsset == aliceAssetID || claim.JSON["customer_id"] != env.UserID(catBob) || claim.JSON["serial_number"] != "AC9-DEMO-0001" ||
		claim.JSON["warranty_verified"] != false {
		t.Fatalf("claimant's asset: %s", claim.Raw)
	}

	// the owner keeps hers, unchanged; each sees only their own
	if after := mustStatus(t, env.Do(http.MethodGet, "/v1/assets/"+aliceAssetID, tok[catAlice], nil), http.StatusOK, "alice's asset").Raw; string(after) != string(before) {
		t.Errorf("alice's asset changed:\n%s\n%s", before, after)
	}
	mustStatus(t, env.Do(http.MethodGet, "/v1/assets/"+aliceAssetID, tok[catBob], nil), http.StatusNotFound, "bob on alice's asset")
	mustStatus(t, env.Do(http.MethodGet, "/v1/assets/"+bobAsset, tok[catAlice], nil), http.StatusNotFound, "alice on bob's asset")
	if got := catSerials(t, env.Do(http.MethodGet, "/v1/assets", tok[catAlice], nil)); !slices.Equal(got, []string{"AC9-DEMO-0001", "WM5-DEMO-0001"}) {
		t.Errorf("alice's assets = %v", got)
	}
	if got := catSerials(t, env.Do(http.MethodGet, "/v1/assets", tok[catBob], nil)); !slices.Contains(got, "AC9-DEMO-0001") {
		t.Errorf("bob's assets = %v, want his claimed AC9-DEMO-0001 among them", got)
	}
	// the owner can still use it
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders", tok[catAlice], map[string]any{"type": "repair", "description": "noisy", "asset_id": aliceAssetID,
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"}}), http.StatusCreated, "alice orders on her asset")

	// registering the same serial again tells the claimant nothing new: 409, as for one's own
	expectProblem(t, env.Do(http.MethodPost, "/v1/assets", tok[catBob], assetBody(ac, "AC9-DEMO-0001")), http.StatusConflict, "serial_number")
	expectProblem(t, env.Do(http.MethodPost, "/v1/assets", tok[catBob], assetBody(ac, "SN-NOBODY-HAS-IT")), http.StatusConflict, "serial_number")

	// staff review the claim
	for _, who := range []string{catManager, catDispatcher} {
		l := mustStatus(t, env.Do(http.MethodGet, "/v1/asset-claims?status=pending", tok[who], nil), http.StatusOK, "claims as "+who)
		items := l.Items(t)
		if len(items) != 1 {
			t.Fatalf("claims as %s: %s", who, l.Raw)
		}
		c := items[0]
		if c["asset_id"] != aliceAssetID || c["owner_id"] != env.UserID(catAlice) || c["claimant_id"] != env.UserID(catBob) ||
			c["claimant_asset_id"] != bobAsset || c["serial_number"] != "AC9-DEMO-0001" || c["product_model_id"] != ac || c["status"] != "pending" {
			t.Errorf("claim: %v", c)
		}
	}
	if l := mustStatus(t, env.Do(http.MethodGet, "/v1/asset-claims?status=approved", tok[catManager], nil), http.StatusOK, "approved claims"); len(l.Items(t)) != 0 {
		t.Errorf("approved claims: %s", l.Raw)
	}
	expectProblem(t, env.Do(http.MethodGet, "/v1/asset-claims?status=bogus", tok[catManager], nil), http.StatusUnprocessableEntity, "status")
	for _, who := range []string{catAlice, catBob, catTechnician, catPartnerDispatch} {
		mustStatus(t, env.Do(http.MethodGet, "/v1/asset-claims", tok[who], nil), http.StatusForbidden, "claims as "+who)
	}
	if n := env.Count("asset_claims"); n != 1 {
		t.Errorf("asset_claims = %d, want 1", n)
	}
}

// A purchase date is the customer's word: warranty_verified stays false,
// a proof-of-purchase photo included, until staff verify it.
func TestAssetWarrantyVerifiedByStaffOnly(t *testing.T) {
	env := apitest.New(t)
	tok := catTokens(t, env, catManager, catDispatcher, catPartnerDispatch, catTechnician, catAlice, catBob)
	ac := catModelID(t, env, tok[catManager], "AC-9000")

	body := assetBody(ac, "SN-TODAY-1")
	body["purchase_date"] = "2026-06-01" // today, by the test clock
	a := mustStatus(t, env.Do(http.MethodPost, "/v1/assets", tok[catAlice], body), http.StatusCreated, "register").JSON
	id := a["id"].(string)
	if a["warranty_verified"] != false || a["warranty"].(map[string]any)["in_warranty"] != true {
		t.Fatalf("new asset: %v", a)
	}
	receipt := jpegOf(t, noise(80, 120, 7))
	mustStatus(t, env.Form(http.MethodPost, "/v1/assets/"+id+"/photos", tok[catAlice], nil,
		apitest.FilePart{Field: "file", Filename: "receipt.jpg", ContentType: "image/jpeg", Data: receipt}), http.StatusCreated, "proof of purchase")
	if g := mustStatus(t, env.Do(http.MethodGet, "/v1/assets/"+id, tok[catAlice], nil), http.StatusOK, "get").JSON; g["warranty_verified"] != false {
		t.Fatalf("a photo verified the warranty by itself: %v", g)
	}

	verify := func(who string) apitest.Response {
		return env.Do(http.MethodPost, "/v1/assets/"+id+"/verify-warranty", tok[who], nil)
	}
	mustStatus(t, verify(catAlice), http.StatusForbidden, "the customer verifies her own word")
	mustStatus(t, verify(catTechnician), http.StatusForbidden, "a technician")
	mustStatus(t, verify(catPartnerDispatch), http.StatusNotFound, "a partner dispatcher (does not see the asset)")
	mustStatus(t, env.Do(http.MethodPost, "/v1/assets/0190f1f4-0000-7000-8000-000000000000/verify-warranty", tok[catManager], nil), http.StatusNotFound, "no such asset")
	v := mustStatus(t, verify(catDispatcher), http.StatusOK, "in-house dispatcher verifies").JSON
	if v["warranty_verified"] != true || v["id"] != id {
		t.Fatalf("verified: %v", v)
	}
	mustStatus(t, verify(catManager), http.StatusOK, "again: no change")
	if g := mustStatus(t, env.Do(http.MethodGet, "/v1/assets/"+id, tok[catAlice], nil), http.StatusOK, "get").JSON; g["warranty_verified"] != true {
		t.Fatalf("after verification: %v", g)
	}
	var by string
	if err := env.DB.Raw("SELECT warranty_verified_by::text FROM assets WHERE id = ?", id).Scan(&by).Error; err != nil || by != env.UserID(catDispatcher) {
		t.Errorf("verified by %q (%v), want the dispatcher", by, err)
	}
}

// Customers racing to register one new serial: exactly one owns it, each
// other customer gets one claimant row and one claim, repeats are 409.
func TestAssetSerialRaceHasOneOwner(t *testing.T) {
	env := apitest.New(t)
	tok := catTokens(t, env, catManager, catAlice, catBob)
	ac := catModelID(t, env, tok[catManager], "AC-9000")
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		who := []string{catAlice, catBob}[i%2]
		wg.Go(func() {
			statuses[i] = env.Do(http.MethodPost, "/v1/assets", tok[who], assetBody(ac, "SN-RACE-1")).Status
		})
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("status %d", s)
		}
	}
	var owners, rows, claims int64
	env.DB.Raw("SELECT count(*) FROM assets WHERE serial_number = 'SN-RACE-1' AND NOT ownership_disputed").Scan(&owners)
	env.DB.Raw("SELECT count(*) FROM assets WHERE serial_number = 'SN-RACE-1'").Scan(&rows)
	env.DB.Raw("SELECT count(*) FROM asset_claims").Scan(&claims)
	if created != 2 || owners != 1 || rows != 2 || claims != 1 {
		t.Errorf("created %d, owners %d, rows %d, claims %d; want 2, 1, 2, 1 (%v)", created, owners, rows, claims, statuses)
	}
}
