package api_test

import (
	"net/http"
	"testing"
)

// A partner's dispatcher sees the warehouses and the vans of their own
// provider's technicians only: the in-house vans (and the technician ids on
// them) are another provider's objects.
func TestPartnerDispatcherSeesOwnProvidersVansOnly(t *testing.T) {
	w := newInv(t)
	env := w.env
	carlVan := mustStatus(t, env.Do(http.MethodPost, "/v1/stock-locations", w.mgr, map[string]any{"kind": "van",
		"technician_id": env.UserID("carl@coolfix.test")}), http.StatusCreated, "carl's van").JSON["id"].(string)

	seen := map[string]bool{}
	for _, l := range mustStatus(t, env.Do(http.MethodGet, "/v1/stock-locations", w.partner, nil), http.StatusOK, "locations").Items(t) {
		seen[l["id"].(string)] = true
	}
	if !seen[w.warehouse] || !seen[carlVan] || seen[w.van] || len(seen) != 2 {
		t.Errorf("partner dispatcher sees %v; want the warehouse %s and carl's van %s, not tom's van %s", seen, w.warehouse, carlVan, w.van)
	}
	if r := env.Do(http.MethodGet, "/v1/stock-locations?kind=van", w.partner, nil); r.Status != http.StatusOK || len(r.Items(t)) != 1 {
		t.Errorf("partner dispatcher vans: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(http.MethodGet, "/v1/stock?location_id="+w.van, w.partner, nil); r.Status != http.StatusUnprocessableEntity || invField(r) != "location_id" {
		t.Errorf("partner dispatcher, in-house van's stock: %d %s", r.Status, r.Raw)
	}
	mustStatus(t, env.Do(http.MethodGet, "/v1/stock?location_id="+carlVan, w.partner, nil), http.StatusOK, "own provider's van")
	mustStatus(t, env.Do(http.MethodGet, "/v1/stock?location_id="+w.warehouse, w.partner, nil), http.StatusOK, "warehouse")
	// in-house staff still see every location
	if n := len(mustStatus(t, env.Do(http.MethodGet, "/v1/stock-locations", w.disp, nil), http.StatusOK, "in-house").Items(t)); n != 3 {
		t.Errorf("in-house dispatcher sees %d locations, want 3", n)
	}
}
