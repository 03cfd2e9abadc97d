package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/api/apitest"
)

// Demo accounts the catalogue tests act as.
const (
	catManager         = "manager@fieldops.test"
	catDispatcher      = "dispatcher@fieldops.test" // in-house
	catPartnerDispatch = "dispatcher@coolfix.test"
	catTechnician      = "tom@fieldops.test"
	catPartnerTech     = "carl@coolfix.test"
	catAlice           = "alice@example.com"
	catBob             = "bob@example.com"
)

// catTokens logs every given demo account in once.
func catTokens(t *testing.T, env *apitest.Env, emails ...string) map[string]string {
	t.Helper()
	out := make(map[string]string, len(emails))
	for _, e := range emails {
		out[e] = env.Token(e)
	}
	return out
}

// catModelID returns the id of a product model by code, read through the API.
func catModelID(t *testing.T, env *apitest.Env, tok, code string) string {
	t.Helper()
	r := env.Do(http.MethodGet, "/v1/product-models?limit=200", tok, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /v1/product-models = %d %s", r.Status, r.Raw)
	}
	for _, it := range catItems(t, r) {
		if it["code"] == code {
			return it["id"].(string)
		}
	}
	t.Fatalf("product model %s not in the catalogue: %s", code, r.Raw)
	return ""
}

// catItems returns the items of a list response (apitest.Response.Items).
func catItems(t *testing.T, r apitest.Response) []map[string]any { t.Helper(); return r.Items(t) }

// catSerials returns the sorted serial numbers of an asset list response.
func catSerials(t *testing.T, r apitest.Response) []string {
	t.Helper()
	var out []string
	for _, it := range catItems(t, r) {
		out = append(out, it["serial_number"].(string))
	}
	slices.Sort(out)
	return out
}

// catAssetID returns the id of a seeded asset, looked up by a manager.
func catAssetID(t *testing.T, env *apitest.Env, managerTok, serial string) string {
	t.Helper()
	r := env.Do(http.MethodGet, "/v1/assets?limit=200", managerTok, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /v1/assets = %d %s", r.Status, r.Raw)
	}
	for _, it := range catItems(t, r) {
		if it["serial_number"] == serial {
			return it["id"].(string)
		}
	}
	t.Fatalf("asset %s not found: %s", serial, r.Raw)
	return ""
}

func catWarranty(t *testing.T, r apitest.Response) map[string]any {
	t.Helper()
	w, ok := r.JSON["warranty"].(map[string]any)
	if !ok {
		t.Fatalf("no warranty block: %s", r.Raw)
	}
	return w
}

func TestProductModelCreate(t *testing.T) {
	env := apitest.New(t)
	tok := catTokens(t, env, catManager, catAlice, catTechnician, catDispatcher, catPartnerDispatch)
	mgr := tok[catManager]

	t.Run("manager creates with default terms when they are omitted", func(t *testing.T) {
		before := env.Count("product_models")
		r := env.Do(http.MethodPost, "/v1/product-models", mgr, map[string]any{"code": "TV-55", "name": "55-inch television", "category": "tv"})
		if r.Status != http.StatusCreated {
			t.Fatalf("status %d: %s", r.Status, r.Raw)
		}
		id, err := uuid.Parse(r.JSON["id"].(string))
		if err != nil {
			t.Fatalf("id is not a UUID: %s", r.Raw)
		}
		if got := r.Header.Get("Location"); got != "/v1/product-models/"+id.String() {
			t.Errorf("Location = %q", got)
		}
		for field, want := range map[string]any{"code": "TV-55", "name": "55-inch television", "category": "tv",
			"warranty_months": 12.0, "software_warranty_months": 3.0, "return_window_days": 180.0} {
			if r.JSON[field] != want {
				t.Errorf("%s = %v, want %v", field, r.JSON[field], want)
			}
		}
		if got := env.Count("product_models"); got != before+1 {
			t.Errorf("product_models rows %d, want %d", got, before+1)
		}
		g := env.Do(http.MethodGet, "/v1/product-models/"+id.String(), tok[catAlice], nil)
		if g.Status != http.StatusOK || g.JSON["code"] != "TV-55" || g.JSON["warranty_months"] != 12.0 {
			t.Errorf("GET created model = %d %s", g.Status, g.Raw)
		}
	})

	t.Run("explicit terms are kept, including zero", func(t *testing.T) {
		r := env.Do(http.MethodPost, "/v1/product-models", mgr, map[string]any{"code": "LAMP-1", "name": "Desk lamp",
			"warranty_months": 0, "software_warranty_months": 0, "return_window_days": 7})
		if r.Status != http.StatusCreated {
			t.Fatalf("status %d: %s", r.Status, r.Raw)
		}
		if r.JSON["warranty_months"] != 0.0 || r.JSON["software_warranty_months"] != 0.0 || r.JSON["return_window_days"] != 7.0 {
			t.Errorf("terms = %s, want 0/0/7", r.Raw)
		}
	})

	t.Run("duplicate code is 409 naming code", func(t *testing.T) {
		before := env.Count("product_models")
		r := env.Do(http.MethodPost, "/v1/product-models", mgr, map[string]any{"code": "AC-9000", "name": "Another"})
		expectProblem(t, r, http.StatusConflict, "code")
		if got := env.Count("product_models"); got != before {
			t.Errorf("product_models rows %d, want %d", got, before)
		}
	})

	t.Run("invalid fields are 422 naming each", func(t *testing.T) {
		before := env.Count("product_models")
		r := env.Do(http.MethodPost, "/v1/product-models", mgr, map[string]any{"code": "X-1", "warranty_months": 241, "return_window_days": -1})
		expectProblem(t, r, http.StatusUnprocessableEntity, "name", "warranty_months", "return_window_days")
		if got := env.Count("product_models"); got != before {
			t.Errorf("product_models rows %d, want %d", got, before)
		}
	})

	for _, who := range []string{catAlice, catTechnician, catDispatcher, catPartnerDispatch} {
		t.Run("403 for "+who, func(t *testing.T) {
			before := env.Count("product_models")
			r := env.Do(http.MethodPost, "/v1/product-models", tok[who], map[string]any{"code": "NOPE-" + who, "name": "Nope"})
			expectProblem(t, r, http.StatusForbidden)
			if got := env.Count("product_models"); got != before {
				t.Errorf("product_models rows %d, want %d", got, before)
			}
		})
	}

	t.Run("401 without a token", func(t *testing.T) {
		r := env.Do(http.MethodPost, "/v1/product-models", "", map[string]any{"code": "NOPE", "name": "Nope"})
		expectProblem(t, r, http.StatusUnauthorized)
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
		}
	})
}

func TestProductModelRead(t *testing.T) {
	env := apitest.New(t)
	everyone := []string{catManager, catDispatcher, catPartnerDispatch, catTechnician, catPartnerTech, catAlice, catBob}
	tok := catTokens(t, env, everyone...)
	acID := catModelID(t, env, tok[catManager], "AC-9000")

	for _, who := range everyone {
		t.Run(who+" lists and reads models", func(t *testing.T) {
			r := env.Do(http.MethodGet, "/v1/product-models", tok[who], nil)
			if r.Status != http.StatusOK {
				t.Fatalf("list = %d %s", r.Status, r.Raw)
			}
			var codes []string
			for _, it := range catItems(t, r) {
				codes = append(codes, it["code"].(string))
			}
			slices.Sort(codes)
			if want := []string{"AC-9000", "SOFA-3", "WM-500"}; !slices.Equal(codes, want) {
				t.Errorf("codes = %v, want %v", codes, want)
			}
			g := env.Do(http.MethodGet, "/v1/product-models/"+acID, tok[who], nil)
			if g.Status != http.StatusOK || g.JSON["id"] != acID || g.JSON["code"] != "AC-9000" ||
				g.JSON["warranty_months"] != 12.0 || g.JSON["software_warranty_months"] != 3.0 || g.JSON["return_window_days"] != 180.0 {
				t.Errorf("GET = %d %s", g.Status, g.Raw)
			}
		})
	}

	t.Run("category filter", func(t *testing.T) {
		r := env.Do(http.MethodGet, "/v1/product-models?category=furniture", tok[catAlice], nil)
		items := catItems(t, r)
		if r.Status != http.StatusOK || len(items) != 1 || items[0]["code"] != "SOFA-3" {
			t.Errorf("category=furniture = %d %s", r.Status, r.Raw)
		}
	})

	for name, id := range map[string]string{"unknown id": uuid.NewString(), "malformed id": "not-a-uuid"} {
		t.Run(name+" is 404", func(t *testing.T) {
			r := env.Do(http.MethodGet, "/v1/product-models/"+id, tok[catAlice], nil)
			expectProblem(t, r, http.StatusNotFound)
		})
	}
}

func TestAssetWarrantyIsDerivedForTheFixedClock(t *testing.T) {
	env := apitest.New(t) // clock: 2026-06-01 10:00 UTC
	tok := catTokens(t, env, catManager, catAlice)
	ac := catModelID(t, env, tok[catManager], "AC-9000") // 12 months, software 3, return 180 days
	wm := catModelID(t, env, tok[catManager], "WM-500")  // 24 months, software 6, return 30 days

	cases := []struct {
		name, model, purchase string
		in                    bool
		ends, software, ret   string
	}{
		{"bought this January: covered", ac, "2026-01-15", true, "2027-01-15", "2026-04-15", "2026-07-14"},
		{"warranty ended yesterday: not covered", ac, "2025-05-31", false, "2026-05-31", "2025-08-31", "2025-11-27"},
		{"warranty ends today: still covered", ac, "2025-06-01", true, "2026-06-01", "2025-09-01", "2025-11-28"},
		{"bought today", ac, "2026-06-01", true, "2027-06-01", "2026-09-01", "2026-11-28"},
		{"24-month model ending today", wm, "2024-06-01", true, "2026-06-01", "2024-12-01", "2024-07-01"},
		{"24-month model ended yesterday", wm, "2024-05-31", false, "2026-05-31", "2024-11-30", "2024-06-30"},
		{"month end clamps to a shorter month", wm, "2025-08-31", true, "2027-08-31", "2026-02-28", "2025-09-30"},
		{"29 February plus a year is 28 February", ac, "2024-02-29", false, "2025-02-28", "2024-05-29", "2024-08-27"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			serial := "SN-W-" + string(rune('A'+i))
			r := env.Do(http.MethodPost, "/v1/assets", tok[catAlice], map[string]any{"product_model_id": tc.model,
				"serial_number": serial, "purchase_date": tc.purchase,
				"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"}})
			if r.Status != http.StatusCreated {
				t.Fatalf("status %d: %s", r.Status, r.Raw)
			}
			if r.JSON["customer_id"] != env.UserID(catAlice) || r.JSON["purchase_date"] != tc.purchase || r.JSON["serial_number"] != serial {
				t.Errorf("asset = %s", r.Raw)
			}
			if got := r.Header.Get("Location"); got != "/v1/assets/"+r.JSON["id"].(string) {
				t.Errorf("Location = %q", got)
			}
			want := map[string]any{"in_warranty": tc.in, "ends_at": tc.ends, "software_ends_at": tc.software, "return_until": tc.ret}
			for _, resp := range []apitest.Response{r, env.Do(http.MethodGet, "/v1/assets/"+r.JSON["id"].(string), tok[catAlice], nil)} {
				w := catWarranty(t, resp)
				for k, v := range want {
					if w[k] != v {
						t.Errorf("warranty.%s = %v, want %v (%s)", k, w[k], v, resp.Raw)
					}
				}
			}
		})
	}

	t.Run("seeded assets", func(t *testing.T) {
		r := env.Do(http.MethodGet, "/v1/assets?limit=200", tok[catManager], nil)
		want := map[string]bool{"AC9-DEMO-0001": true, "WM5-DEMO-0001": false, "SOF-DEMO-0001": true, "AC9-DEMO-0002": false}
		seen := 0
		for _, it := range catItems(t, r) {
			in, ok := want[it["serial_number"].(string)]
			if !ok {
				continue
			}
			seen++
			if got := it["warranty"].(map[string]any)["in_warranty"]; got != in {
				t.Errorf("%s in_warranty = %v, want %v", it["serial_number"], got, in)
			}
		}
		if seen != len(want) {
			t.Errorf("saw %d of the %d seeded assets: %s", seen, len(want), r.Raw)
		}
	})
}

func TestAssetVisibility(t *testing.T) {
	env := apitest.New(t)
	tok := catTokens(t, env, catManager, catDispatcher, catPartnerDispatch, catTechnician, catPartnerTech, catAlice, catBob)
	aliceAsset := catAssetID(t, env, tok[catManager], "AC9-DEMO-0001")

	t.Run("owner reads her asset", func(t *testing.T) {
		r := env.Do(http.MethodGet, "/v1/assets/"+aliceAsset, tok[catAlice], nil)
		if r.Status != http.StatusOK || r.JSON["id"] != aliceAsset || r.JSON["product_model"] != "AC-9000" {
			t.Fatalf("GET = %d %s", r.Status, r.Raw)
		}
		addr, _ := r.JSON["address"].(map[string]any)
		if addr["region"] != "north" || addr["lat"] != 31.24 || addr["lng"] != 121.49 {
			t.Errorf("address = %v", addr)
		}
	})

	for _, who := range []string{catBob, catTechnician, catPartnerTech, catPartnerDispatch} {
		t.Run(who+" gets 404, not 403, for alice's asset", func(t *testing.T) {
			r := env.Do(http.MethodGet, "/v1/assets/"+aliceAsset, tok[who], nil)
			expectProblem(t, r, http.StatusNotFound)
			if strings.Contains(string(r.Raw), "AC9-DEMO-0001") {
				t.Errorf("404 body leaks the asset: %s", r.Raw)
			}
		})
	}

	for _, who := range []string{catManager, catDispatcher} {
		t.Run(who+" reads alice's asset", func(t *testing.T) {
			r := env.Do(http.MethodGet, "/v1/assets/"+aliceAsset, tok[who], nil)
			if r.Status != http.StatusOK || r.JSON["id"] != aliceAsset || r.JSON["customer_id"] != env.UserID(catAlice) {
				t.Errorf("GET = %d %s", r.Status, r.Raw)
			}
		})
	}

	lists := []struct {
		who, query string
		want       []string
	}{
		{catAlice, "", []string{"AC9-DEMO-0001", "WM5-DEMO-0001"}},
		{catBob, "", []string{"AC9-DEMO-0002", "SOF-DEMO-0001"}},
		{catBob, "?customer_id=" + env.UserID(catAlice), []string{"AC9-DEMO-0002", "SOF-DEMO-0001"}}, // a customer cannot widen the filter
		{catTechnician, "", nil},
		{catPartnerTech, "", nil},
		{catPartnerDispatch, "", nil},
		{catManager, "", []string{"AC9-DEMO-0001", "AC9-DEMO-0002", "SOF-DEMO-0001", "WM5-DEMO-0001"}},
		{catDispatcher, "", []string{"AC9-DEMO-0001", "AC9-DEMO-0002", "SOF-DEMO-0001", "WM5-DEMO-0001"}},
		{catManager, "?customer_id=" + env.UserID(catAlice), []string{"AC9-DEMO-0001", "WM5-DEMO-0001"}},
	}
	for _, tc := range lists {
		t.Run(tc.who+" lists"+tc.query, func(t *testing.T) {
			r := env.Do(http.MethodGet, "/v1/assets"+tc.query, tok[tc.who], nil)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d: %s", r.Status, r.Raw)
			}
			if got := catSerials(t, r); !slices.Equal(got, tc.want) {
				t.Errorf("serials = %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("customer_id filter must be a UUID", func(t *testing.T) {
		r := env.Do(http.MethodGet, "/v1/assets?customer_id=alice", tok[catManager], nil)
		expectProblem(t, r, http.StatusUnprocessableEntity, "customer_id")
	})

	for name, id := range map[string]string{"unknown id": uuid.NewString(), "malformed id": "AC9-DEMO-0001"} {
		t.Run(name+" is 404 for a manager", func(t *testing.T) {
			expectProblem(t, env.Do(http.MethodGet, "/v1/assets/"+id, tok[catManager], nil), http.StatusNotFound)
		})
	}
}

func TestAssetRegistrationByStaff(t *testing.T) {
	env := apitest.New(t)
	tok := catTokens(t, env, catManager, catDispatcher, catBob)
	ac := catModelID(t, env, tok[catManager], "AC-9000")
	bob := env.UserID(catBob)

	for i, who := range []string{catManager, catDispatcher} {
		t.Run(who+" registers for a customer", func(t *testing.T) {
			serial := []string{"SN-STAFF-1", "SN-STAFF-2"}[i]
			r := env.Do(http.MethodPost, "/v1/assets", tok[who], map[string]any{"product_model_id": ac, "serial_number": serial,
				"purchase_date": "2026-05-01", "customer_id": bob})
			if r.Status != http.StatusCreated || r.JSON["customer_id"] != bob {
				t.Fatalf("status %d: %s", r.Status, r.Raw)
			}
			if got := catSerials(t, env.Do(http.MethodGet, "/v1/assets", tok[catBob], nil)); !slices.Contains(got, serial) {
				t.Errorf("bob's list %v lacks %s", got, serial)
			}
		})
	}
}

func TestAssetRegistrationRejected(t *testing.T) {
	env := apitest.New(t)
	tok := catTokens(t, env, catManager, catDispatcher, catTechnician, catAlice, catBob)
	ac := catModelID(t, env, tok[catManager], "AC-9000")
	valid := func(changes map[string]any) map[string]any {
		b := map[string]any{"product_model_id": ac, "serial_number": "SN-NEW-1", "purchase_date": "2026-05-01",
			"address": map[string]any{"line1": "1 Main St", "city": "Northport", "region": "north"}}
		for k, v := range changes {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	huge := `{"product_model_id":"` + ac + `","purchase_date":"2026-05-01","serial_number":"` + strings.Repeat("x", 2<<20) + `"}`

	cases := []struct {
		name, who string
		body      any
		status    int
		fields    []string
	}{
		{"manager without customer_id", catManager, valid(nil), 422, []string{"customer_id"}},
		{"dispatcher without customer_id", catDispatcher, valid(nil), 422, []string{"customer_id"}},
		{"customer_id of a technician", catManager, valid(map[string]any{"customer_id": env.UserID(catTechnician)}), 422, []string{"customer_id"}},
		{"customer_id that is not a UUID", catManager, valid(map[string]any{"customer_id": "bob"}), 422, []string{"customer_id"}},
		{"customer registering for another customer", catAlice, valid(map[string]any{"customer_id": env.UserID(catBob)}), 422, []string{"customer_id"}},
		{"same serial for the same model", catAlice, valid(map[string]any{"serial_number": "AC9-DEMO-0001"}), 409, []string{"serial_number"}},
		{"purchase date in the future", catAlice, valid(map[string]any{"purchase_date": "2026-06-02"}), 422, []string{"purchase_date"}},
		{"purchase date that is not a date", catAlice, valid(map[string]any{"purchase_date": "2026-13-01"}), 422, []string{"purchase_date"}},
		{"purchase date missing", catAlice, valid(map[string]any{"purchase_date": nil}), 422, []string{"purchase_date"}},
		{"lat without lng", catAlice, valid(map[string]any{"address": map[string]any{"line1": "x", "city": "c", "region": "north", "lat": 31.2}}), 422, []string{"address.lng"}},
		{"lat out of range", catAlice, valid(map[string]any{"address": map[string]any{"line1": "x", "city": "c", "region": "north", "lat": 91.0, "lng": 0.0}}), 422, []string{"address.lat"}},
		{"an address needs line1, city and region", catAlice, valid(map[string]any{"address": map[string]any{"city": "Shanghai"}}), 422, []string{"address.line1", "address.region"}},
		{"unknown product model", catAlice, valid(map[string]any{"product_model_id": uuid.NewString()}), 422, []string{"product_model_id"}},
		{"several fields at once", catAlice, valid(map[string]any{"product_model_id": nil, "serial_number": nil}), 422, []string{"product_model_id", "serial_number"}},
		{"unknown JSON field", catAlice, valid(map[string]any{"colour": "white"}), 400, []string{"colour"}},
		{"wrong JSON type", catAlice, valid(map[string]any{"serial_number": 42}), 400, []string{"serial_number"}},
		{"not JSON", catAlice, `{"product_model_id":`, 400, nil},
		{"technician may not register", catTechnician, valid(map[string]any{"customer_id": env.UserID(catAlice)}), 403, nil},
		{"no token", "", valid(nil), 401, nil},
		{"2 MiB body", catAlice, huge, 413, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := env.Count("assets")
			r := env.Do(http.MethodPost, "/v1/assets", tok[tc.who], tc.body)
			expectProblem(t, r, tc.status, tc.fields...)
			if got := env.Count("assets"); got != before {
				t.Errorf("assets rows %d after a failed request, want %d", got, before)
			}
		})
	}

	t.Run("same serial for another model is fine", func(t *testing.T) {
		before := env.Count("assets")
		wm := catModelID(t, env, tok[catManager], "WM-500")
		r := env.Do(http.MethodPost, "/v1/assets", tok[catAlice], valid(map[string]any{"product_model_id": wm, "serial_number": "AC9-DEMO-0001"}))
		if r.Status != http.StatusCreated || r.JSON["product_model"] != "WM-500" || r.JSON["serial_number"] != "AC9-DEMO-0001" {
			t.Fatalf("status %d: %s", r.Status, r.Raw)
		}
		if got := env.Count("assets"); got != before+1 {
			t.Errorf("assets rows %d, want %d", got, before+1)
		}
	})

	t.Run("customer naming herself as customer_id is fine", func(t *testing.T) {
		r := env.Do(http.MethodPost, "/v1/assets", tok[catAlice], valid(map[string]any{"serial_number": "SN-SELF", "customer_id": env.UserID(catAlice)}))
		if r.Status != http.StatusCreated || r.JSON["customer_id"] != env.UserID(catAlice) {
			t.Fatalf("status %d: %s", r.Status, r.Raw)
		}
	})
}
