package api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

func regionBody() map[string]any {
	return map[string]any{"name": "Berlin", "time_zone": "Europe/Berlin", "work_start": "09:00", "work_end": "17:30",
		"slot_minutes": 90, "working_days": []string{"mon", "tue", "wed", "thu", "fri", "sat"},
		"holidays": []map[string]any{{"date": "2026-12-25", "name": "Christmas"}, {"date": "2026-12-24", "name": "Christmas Eve"}}}
}

func TestRegionsConfigure(t *testing.T) {
	env := apitest.New(t)
	mgr := env.Token("manager@fieldops.test")

	r := env.Do(http.MethodPut, "/v1/regions/berlin", mgr, regionBody())
	if r.Status != http.StatusOK {
		t.Fatalf("put: %d %s", r.Status, r.Raw)
	}
	if r.JSON["time_zone"] != "Europe/Berlin" || r.JSON["work_start"] != "09:00" || r.JSON["slot_minutes"] != float64(90) {
		t.Errorf("put answered %s", r.Raw)
	}
	hs := r.JSON["holidays"].([]any)
	if len(hs) != 2 || hs[0].(map[string]any)["date"] != "2026-12-24" {
		t.Errorf("holidays not by date: %v", hs)
	}

	// listed, with the demo regions
	l := env.Do(http.MethodGet, "/v1/regions", env.Token("dispatcher@fieldops.test"), nil)
	if l.Status != http.StatusOK {
		t.Fatalf("list: %d %s", l.Status, l.Raw)
	}
	codes := map[string]map[string]any{}
	for _, it := range l.Items(t) {
		codes[it["code"].(string)] = it
	}
	if codes["north"] == nil || codes["south"] == nil || codes["berlin"] == nil {
		t.Fatalf("list = %s", l.Raw)
	}
	if wd := codes["north"]["working_days"].([]any); len(wd) != 5 || wd[0] != "mon" || wd[4] != "fri" {
		t.Errorf("north working days = %v, want Monday to Friday", wd)
	}
	if len(codes["berlin"]["holidays"].([]any)) != 2 {
		t.Errorf("berlin holidays = %v", codes["berlin"]["holidays"])
	}

	// replacing drops the holidays not sent
	b := regionBody()
	b["holidays"] = []map[string]any{{"date": "2027-01-01", "name": "New Year"}}
	if r := env.Do(http.MethodPut, "/v1/regions/berlin", mgr, b); r.Status != http.StatusOK || len(r.JSON["holidays"].([]any)) != 1 {
		t.Fatalf("replace: %d %s", r.Status, r.Raw)
	}
	if n := env.Count("region_holidays"); n != 1 {
		t.Errorf("region_holidays rows = %d, want 1", n)
	}
}

func TestRegionsDenied(t *testing.T) {
	env := apitest.New(t)
	if r := env.Do(http.MethodGet, "/v1/regions", "", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("anonymous list: %d", r.Status)
	}
	for _, who := range []string{"alice@example.com", "tom@fieldops.test"} {
		if r := env.Do(http.MethodGet, "/v1/regions", env.Token(who), nil); r.Status != http.StatusForbidden {
			t.Errorf("%s list: %d", who, r.Status)
		}
	}
	if r := env.Do(http.MethodPut, "/v1/regions/north", env.Token("dispatcher@fieldops.test"), regionBody()); r.Status != http.StatusForbidden {
		t.Errorf("dispatcher put: %d", r.Status)
	}
}

func TestRegionsBadInput(t *testing.T) {
	env := apitest.New(t)
	mgr := env.Token("manager@fieldops.test")
	for _, tc := range []struct {
		field string
		value any
	}{
		{"time_zone", "Mars/Olympus"},
		{"time_zone", "Local"},
		{"work_start", "8am"},
		{"work_end", "08:30"}, // before work_start 09:00
		{"slot_minutes", 5},
		{"working_days", []string{}},
		{"working_days", []string{"mon", "mon"}},
		{"holidays", []map[string]any{{"date": "2026-02-30", "name": "x"}}},
		{"holidays", []map[string]any{{"date": "2026-12-25", "name": "a"}, {"date": "2026-12-25", "name": "b"}}},
	} {
		b := regionBody()
		b[tc.field] = tc.value
		r := env.Do(http.MethodPut, "/v1/regions/north", mgr, b)
		if r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
			t.Errorf("%s=%v: %d %s", tc.field, tc.value, r.Status, r.Raw)
			continue
		}
		if !slices.Contains(fieldsOf(r), tc.field) {
			t.Errorf("%s=%v: problem does not name the field: %s", tc.field, tc.value, r.Raw)
		}
	}
	// nothing was changed
	l := env.Do(http.MethodGet, "/v1/regions", mgr, nil)
	for _, it := range l.Items(t) {
		if it["code"] == "north" && (it["time_zone"] != "Asia/Shanghai" || it["work_start"] != "08:00") {
			t.Errorf("north changed by refused requests: %v", it)
		}
	}
	if n := env.Count("region_holidays"); n != 0 {
		t.Errorf("region_holidays rows = %d after refused requests", n)
	}
}
