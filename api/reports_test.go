package api_test

import (
	"encoding/csv"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
)

// kpiWorld drives orders through the API for the KPI tests. The clock moves,
// so every call logs in again (a token lives 15 minutes).
type kpiWorld struct {
	t    *testing.T
	env  *apitest.Env
	part string // a spare part stocked in Tom's van
}

func (w kpiWorld) do(method, path, email string, body any, want int, what string) apitest.Response {
	w.t.Helper()
	return mustStatus(w.t, w.env.Do(method, path, w.env.Token(email), body), want, what)
}

func (w kpiWorld) now() time.Time { return w.env.Clock.Now() }

// at moves the clock forward to t (never back).
func (w kpiWorld) at(t time.Time) {
	w.t.Helper()
	if t.Before(w.now()) {
		w.t.Fatalf("the fixture's clock would go back from %s to %s", w.now(), t)
	}
	w.env.Clock.Set(t)
}

func (w kpiWorld) asset(serial string) string {
	w.t.Helper()
	var id string
	if err := w.env.DB.Raw(`SELECT id FROM assets WHERE serial_number = ?`, serial).Row().Scan(&id); err != nil {
		w.t.Fatalf("asset %s: %v", serial, err)
	}
	return id
}

// create submits alice's order of type typ on the asset with serial.
func (w kpiWorld) create(typ, serial string) string {
	w.t.Helper()
	o := w.do(http.MethodPost, "/v1/orders", "alice@example.com", map[string]any{
		"type": typ, "description": "KPI fixture: " + typ, "asset_id": w.asset(serial),
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"},
	}, http.StatusCreated, "create "+typ).JSON
	return o["id"].(string)
}

func (w kpiWorld) order(id string) map[string]any {
	w.t.Helper()
	return w.do(http.MethodGet, "/v1/orders/"+id, "dispatcher@fieldops.test", nil, http.StatusOK, "get order").JSON
}

func (w kpiWorld) sla(id, field string) time.Time {
	w.t.Helper()
	s, _ := w.order(id)["sla"].(map[string]any)[field].(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		w.t.Fatalf("order %s: sla.%s = %q", id, field, s)
	}
	return t
}

// visit works one visit: Tom is assigned, accepts, alice books the first
// free slot, Tom arrives 15 minutes into it (late: 30 minutes after it
// ended), works an hour and completes (fixed as given). It returns the
// arrival and completion times.
func (w kpiWorld) visit(id string, late, fixed bool, parts int) (arrived, completed time.Time) {
	w.t.Helper()
	tom := "tom@fieldops.test"
	w.do(http.MethodPost, "/v1/orders/"+id+"/assign", "dispatcher@fieldops.test", map[string]any{"technician_id": w.env.UserID(tom)}, http.StatusOK, "assign")
	w.do(http.MethodPost, "/v1/orders/"+id+"/accept", tom, nil, http.StatusOK, "accept")
	slots := w.do(http.MethodGet, "/v1/orders/"+id+"/slots?days=3", "alice@example.com", nil, http.StatusOK, "slots")
	first := slots.JSON["items"].([]any)[0].(map[string]any)
	w.do(http.MethodPost, "/v1/orders/"+id+"/appointment", "alice@example.com", map[string]any{"start": first["start"], "end": first["end"]}, http.StatusOK, "book")
	start, _ := time.Parse(time.RFC3339, first["start"].(string))
	end, _ := time.Parse(time.RFC3339, first["end"].(string))
	arrived = start.Add(15 * time.Minute)
	if late {
		arrived = end.Add(30 * time.Minute)
	}
	w.at(arrived.Add(-20 * time.Minute))
	w.do(http.MethodPost, "/v1/orders/"+id+"/depart", tom, departEarly, http.StatusOK, "depart")
	w.at(arrived)
	w.do(http.MethodPost, "/v1/orders/"+id+"/arrive", tom, map[string]any{"lat": 31.24, "lng": 121.49}, http.StatusOK, "arrive")
	w.do(http.MethodPost, "/v1/orders/"+id+"/start", tom, nil, http.StatusOK, "start")
	if parts > 0 {
		w.do(http.MethodPost, "/v1/orders/"+id+"/parts", tom, map[string]any{"part_id": w.part, "qty": parts}, http.StatusOK, "parts used")
	}
	completed = arrived.Add(time.Hour)
	w.at(completed)
	if w.order(id)["type"] == "repair" {
		mustStatus(w.t, w.env.Form(http.MethodPost, "/v1/orders/"+id+"/photos", w.env.Token(tom), []string{"kind", "after"},
			apitest.FilePart{Field: "file", Filename: "after.jpg", ContentType: "image/jpeg", Data: jpegOf(w.t, noise(30, 30, uint64(completed.Unix())))}),
			http.StatusCreated, "after photo")
	}
	fixedText := "false"
	if fixed {
		fixedText = "true"
	}
	mustStatus(w.t, w.env.Form(http.MethodPost, "/v1/orders/"+id+"/complete", w.env.Token(tom),
		[]string{"resolution", "KPI fixture visit", "fixed", fixedText, "labour_minutes", "60", "signer_name", "Alice Customer"},
		apitest.FilePart{Field: "signature", Filename: "signature.png", ContentType: "image/png", Data: signaturePNG(w.t)}),
		http.StatusOK, "complete")
	return arrived, completed
}

func (w kpiWorld) rate(id string, score int) apitest.Response {
	w.t.Helper()
	return w.do(http.MethodPost, "/v1/orders/"+id+"/rating", "alice@example.com",
		map[string]any{"score": score, "timeliness": score, "attitude": score, "quality": score}, http.StatusCreated, "rating")
}

// kpiFixture is the known set of orders (all alice's, in north, worked by Tom):
//
//	A repair on her AC: answered in 10 min, on-time arrival, 2 parts used,
//	  fixed, rated 5.
//	B repair on the same AC, created after A's completion (so A is a repeat
//	  repair: a new repair on the asset within 30 days): answered in 20 min,
//	  late arrival, fixed, rated 2 (opens a complaint), reopened by alice and
//	  fixed on visit 2 with an on-time arrival and 1 part.
//	C maintenance on the AC, triaged P1 after 45 min (first response
//	  breached: due in 30 min), on-time arrival, not fixed, rated 4.
//	D inspection of her washing machine, never answered: every milestone
//	  breached once the report runs 10 days later.
//	E consultation, cancelled by alice after 5 min: no milestone is decided.
type kpiFixture struct {
	kpiWorld
	t0, from, to time.Time
	a, b, c      string
}

func newKPIFixture(t *testing.T) kpiFixture {
	env := apitest.New(t)
	w := kpiWorld{t: t, env: env}
	disp := "dispatcher@fieldops.test"
	// five parts in Tom's van (the inventory's own API)
	warehouse := w.do(http.MethodPost, "/v1/stock-locations", disp, map[string]any{"kind": "warehouse", "name": "Central"}, http.StatusCreated, "warehouse").JSON["id"]
	van := w.do(http.MethodPost, "/v1/stock-locations", "manager@fieldops.test", map[string]any{"kind": "van", "technician_id": env.UserID("tom@fieldops.test")},
		http.StatusCreated, "van").JSON["id"]
	w.part = w.do(http.MethodPost, "/v1/parts", "manager@fieldops.test", map[string]any{"sku": "KPI-PUMP", "name": "Drain pump", "unit_price": 12900,
		"genuine": true}, http.StatusCreated, "part").JSON["id"].(string)
	w.do(http.MethodPost, "/v1/stock/movements", disp, map[string]any{"kind": "receive", "part_id": w.part, "qty": 5, "to_location_id": warehouse,
		"supplier_ref": "PO-KPI"}, http.StatusCreated, "receive")
	w.do(http.MethodPost, "/v1/stock/movements", disp, map[string]any{"kind": "transfer", "part_id": w.part, "qty": 5, "from_location_id": warehouse,
		"to_location_id": van}, http.StatusCreated, "to the van")
	f := kpiFixture{kpiWorld: w, t0: w.now()}

	f.a = w.create("repair", "AC9-DEMO-0001")
	w.at(f.t0.Add(10 * time.Minute))
	w.do(http.MethodPost, "/v1/orders/"+f.a+"/triage", disp, map[string]any{}, http.StatusOK, "triage A")
	arrA, doneA := w.visit(f.a, false, true, 2)
	w.rate(f.a, 5)

	w.at(doneA.Add(time.Hour))
	bCreated := w.now()
	f.b = w.create("repair", "AC9-DEMO-0001")
	if !bCreated.After(doneA) || bCreated.Sub(doneA) > 30*24*time.Hour {
		t.Fatalf("premise: B must follow A's completion within 30 days (A %s, B %s)", doneA, bCreated)
	}
	w.at(bCreated.Add(20 * time.Minute))
	w.do(http.MethodPost, "/v1/orders/"+f.b+"/triage", disp, map[string]any{}, http.StatusOK, "triage B")
	arrB, doneB := w.visit(f.b, true, true, 0)
	if r := w.rate(f.b, 2); r.JSON["complaint_id"] == nil {
		t.Fatalf("premise: a rating of 2 opens a complaint: %s", r.Raw)
	}
	w.do(http.MethodPost, "/v1/orders/"+f.b+"/reopen", "alice@example.com", map[string]any{"reason": "It drips again"}, http.StatusOK, "reopen B")
	_, doneB2 := w.visit(f.b, false, true, 1)

	w.at(doneB2.Add(time.Hour))
	cCreated := w.now()
	f.c = w.create("maintenance", "AC9-DEMO-0001")
	w.at(cCreated.Add(45 * time.Minute))
	w.do(http.MethodPost, "/v1/orders/"+f.c+"/triage", disp, map[string]any{"priority": "P1"}, http.StatusOK, "triage C")
	arrC, doneC := w.visit(f.c, false, false, 0)
	w.rate(f.c, 4)
	w.at(doneC.Add(time.Hour))

	w.create("inspection", "WM5-DEMO-0001") // D
	e := w.create("consultation", "AC9-DEMO-0001")
	w.at(w.now().Add(5 * time.Minute))
	w.do(http.MethodPost, "/v1/orders/"+e+"/cancel", "alice@example.com", map[string]any{"reason": "Solved it myself"}, http.StatusOK, "cancel E")

	// premises of the expected SLA figures: A, B and C met on site and
	// resolution; C's first response (45 min) missed its 30 minutes
	for _, p := range []struct {
		id                string
		arrived, resolved time.Time
	}{{f.a, arrA, doneA}, {f.b, arrB, doneB}, {f.c, arrC, doneC}} {
		if p.arrived.After(w.sla(p.id, "on_site_due")) || p.resolved.After(w.sla(p.id, "resolution_due")) {
			t.Fatalf("premise: order %s met its on-site and resolution due times (arrived %s, resolved %s): %v",
				p.id, p.arrived, p.resolved, w.order(p.id)["sla"])
		}
	}
	if due := w.sla(f.c, "first_response_due"); !due.Equal(cCreated.Add(30 * time.Minute)) {
		t.Fatalf("premise: C's first response is due 30 min after creation, got %s", due)
	}
	w.at(f.t0.Add(10 * 24 * time.Hour)) // D's every due time has passed
	f.from, f.to = f.t0.Add(-time.Hour), f.t0.Add(30*24*time.Hour)
	return f
}

func (f kpiFixture) query(extra string) string {
	q := "from=" + url.QueryEscape(f.from.Format(time.RFC3339)) + "&to=" + url.QueryEscape(f.to.Format(time.RFC3339))
	if extra != "" {
		q += "&" + extra
	}
	return q
}

// kpiWant is a KPI's expected numerator/denominator.
type kpiWant struct{ num, den float64 }

// checkKPI compares a KPI object with want; value must be num/den × scale
// (null for a zero denominator).
func checkKPI(t *testing.T, name string, got any, want kpiWant, scale float64) {
	t.Helper()
	k, ok := got.(map[string]any)
	if !ok {
		t.Errorf("%s: not an object: %v", name, got)
		return
	}
	if k["numerator"] != want.num || k["denominator"] != want.den {
		t.Errorf("%s = %v/%v, want %v/%v", name, k["numerator"], k["denominator"], want.num, want.den)
		return
	}
	if want.den == 0 {
		if k["value"] != nil {
			t.Errorf("%s: value %v with a zero denominator, want null", name, k["value"])
		}
		return
	}
	v, _ := k["value"].(float64)
	if math.Abs(v-want.num/want.den*scale) > 1e-9 {
		t.Errorf("%s: value %v, want %v", name, v, want.num/want.den*scale)
	}
}

// kpiExpect is every KPI of a report; faults by model code.
type kpiExpect struct {
	ftf, resp, onTime, slaFirst, slaOnSite, slaRes, resolution, csat, csi, complaint, repeat, parts kpiWant
	faults                                                                                          map[string]kpiWant
}

func checkKPIs(t *testing.T, kpis map[string]any, want kpiExpect) {
	t.Helper()
	checkKPI(t, "first_time_fix_rate", kpis["first_time_fix_rate"], want.ftf, 1)
	checkKPI(t, "avg_first_response_minutes", kpis["avg_first_response_minutes"], want.resp, 1)
	checkKPI(t, "on_time_arrival_rate", kpis["on_time_arrival_rate"], want.onTime, 1)
	sla, _ := kpis["sla_compliance"].(map[string]any)
	checkKPI(t, "sla_compliance.first_response", sla["first_response"], want.slaFirst, 1)
	checkKPI(t, "sla_compliance.on_site", sla["on_site"], want.slaOnSite, 1)
	checkKPI(t, "sla_compliance.resolution", sla["resolution"], want.slaRes, 1)
	checkKPI(t, "resolution_rate", kpis["resolution_rate"], want.resolution, 1)
	checkKPI(t, "csat_avg", kpis["csat_avg"], want.csat, 1)
	checkKPI(t, "csi_pct", kpis["csi_pct"], want.csi, 100)
	checkKPI(t, "complaint_rate", kpis["complaint_rate"], want.complaint, 1)
	checkKPI(t, "repeat_repair_rate", kpis["repeat_repair_rate"], want.repeat, 1)
	checkKPI(t, "parts_usage", kpis["parts_usage"], want.parts, 1)
	faults, _ := kpis["fault_rate_per_100"].([]any)
	got := map[string]any{}
	for _, m := range faults {
		got[m.(map[string]any)["code"].(string)] = m
	}
	if len(got) != len(want.faults) {
		t.Errorf("fault_rate_per_100 lists %d models, want %d: %v", len(got), len(want.faults), faults)
	}
	for code, w := range want.faults {
		checkKPI(t, "fault_rate_per_100["+code+"]", got[code], w, 100)
	}
}

// zeroKPIs is a report with nothing in it but the registered assets.
func zeroKPIs(faults map[string]kpiWant) kpiExpect {
	return kpiExpect{faults: faults}
}

// The KPI fixture (issue 11 item 7): a known set of orders driven through
// the API, and every KPI's exact numerator and denominator.
func TestKPIReportFixture(t *testing.T) {
	f := newKPIFixture(t)
	manager := f.env.Token("manager@fieldops.test")
	all := kpiExpect{
		ftf:        kpiWant{1, 3},  // first completions A, B, C; only A fixed on visit 1 and not reopened
		resp:       kpiWant{75, 3}, // A 10 + B 20 + C 45 minutes; D, E never answered
		onTime:     kpiWant{3, 4},  // A, B visit 2 and C on time; B visit 1 late
		slaFirst:   kpiWant{2, 4},  // A, B met; C (P1, 45 > 30 min) and D breached; E cancelled before due
		slaOnSite:  kpiWant{3, 4},  // A, B, C met; D breached
		slaRes:     kpiWant{3, 4},  // A, B, C met; D breached
		resolution: kpiWant{3, 4},  // completions A, B1, B2 fixed; C not
		csat:       kpiWant{11, 3}, // 5 + 2 + 4
		csi:        kpiWant{2, 3},  // 5 and 4
		complaint:  kpiWant{1, 3},  // B's rating of 2; orders completed: A, B, C
		repeat:     kpiWant{2, 3},  // repair completions A (B follows on the asset), B1 (reopened), B2 (no)
		parts:      kpiWant{3, 3},  // A 2 + B 1 parts; orders completed: A, B, C
		faults: map[string]kpiWant{ // repair orders created / registered assets
			"AC-9000": {2, 2}, "WM-500": {0, 1}, "SOFA-3": {0, 1}},
	}

	r := mustStatus(t, f.env.Do(http.MethodGet, "/v1/reports/kpis?"+f.query(""), manager, nil), http.StatusOK, "kpis")
	if r.JSON["from"] != f.from.Format(time.RFC3339) || r.JSON["to"] != f.to.Format(time.RFC3339) {
		t.Errorf("window: %v – %v", r.JSON["from"], r.JSON["to"])
	}
	checkKPIs(t, r.JSON["kpis"].(map[string]any), all)

	t.Run("the in-house dispatcher sees the same", func(t *testing.T) {
		r := mustStatus(t, f.env.Do(http.MethodGet, "/v1/reports/kpis?"+f.query(""), f.env.Token("dispatcher@fieldops.test"), nil), http.StatusOK, "kpis")
		checkKPIs(t, r.JSON["kpis"].(map[string]any), all)
	})

	t.Run("a window before the orders has no data but the registered assets", func(t *testing.T) {
		q := "from=" + url.QueryEscape(f.t0.Add(-48*time.Hour).Format(time.RFC3339)) + "&to=" + url.QueryEscape(f.t0.Add(-time.Hour).Format(time.RFC3339))
		r := mustStatus(t, f.env.Do(http.MethodGet, "/v1/reports/kpis?"+q, manager, nil), http.StatusOK, "kpis")
		// the demo assets are registered at t0, after this window
		checkKPIs(t, r.JSON["kpis"].(map[string]any), zeroKPIs(map[string]kpiWant{}))
	})

	t.Run("CSV has a header and one row per KPI", func(t *testing.T) {
		res, body := get(t, f.env, "/v1/reports/kpis?"+f.query(""), manager, "Accept", "text/csv")
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil {
			t.Fatalf("csv: %v", err)
		}
		if strings.Join(rows[0], ",") != "from,to,kpi,product_model_code,value,numerator,denominator" || len(rows) != 1+12+3 {
			t.Fatalf("csv rows: %v", rows)
		}
		byName := map[string][]string{}
		for _, row := range rows[1:] {
			byName[row[2]+row[3]] = row
		}
		if r := byName["first_time_fix_rate"]; r[5] != "1" || r[6] != "3" || !strings.HasPrefix(r[4], "0.333") {
			t.Errorf("first_time_fix_rate row: %v", r)
		}
		if r := byName["sla_compliance.first_response"]; r[5] != "2" || r[6] != "4" || r[4] != "0.5" {
			t.Errorf("sla_compliance.first_response row: %v", r)
		}
		if r := byName["fault_rate_per_100AC-9000"]; r[4] != "100" || r[5] != "2" || r[6] != "2" {
			t.Errorf("fault rate row: %v", r)
		}
	})

	t.Run("weekly series: buckets cover the window and add up", func(t *testing.T) {
		r := mustStatus(t, f.env.Do(http.MethodGet, "/v1/reports/kpis/timeseries?bucket=week&"+f.query(""), manager, nil), http.StatusOK, "series")
		buckets := r.JSON["buckets"].([]any)
		if r.JSON["time_zone"] != "UTC" || len(buckets) != 5 { // Monday 2026-06-01 09:00 → 06-08 → 15 → 22 → 29 → 07-01 10:00
			t.Fatalf("series: zone %v, %d buckets: %s", r.JSON["time_zone"], len(buckets), r.Raw)
		}
		var completions, ratings float64
		prevEnd := f.from.Format(time.RFC3339)
		for _, b := range buckets {
			m := b.(map[string]any)
			if m["start"] != prevEnd {
				t.Errorf("bucket starts %v, want %v", m["start"], prevEnd)
			}
			prevEnd = m["end"].(string)
			k := m["kpis"].(map[string]any)
			completions += k["resolution_rate"].(map[string]any)["denominator"].(float64)
			ratings += k["csat_avg"].(map[string]any)["denominator"].(float64)
		}
		if prevEnd != f.to.Format(time.RFC3339) || completions != 4 || ratings != 3 {
			t.Errorf("buckets end %v; completions %v, ratings %v; want 4 and 3", prevEnd, completions, ratings)
		}
		second := buckets[1].(map[string]any)
		if second["start"] != "2026-06-08T00:00:00Z" {
			t.Errorf("the second bucket starts on Monday midnight UTC: %v", second["start"])
		}
	})

	t.Run("daily series in the region's zone, CSV", func(t *testing.T) {
		from, to := f.t0.Add(-time.Hour), f.t0.Add(3*24*time.Hour)
		q := "bucket=day&region=north&from=" + url.QueryEscape(from.Format(time.RFC3339)) + "&to=" + url.QueryEscape(to.Format(time.RFC3339))
		r := mustStatus(t, f.env.Do(http.MethodGet, "/v1/reports/kpis/timeseries?"+q, manager, nil), http.StatusOK, "series")
		buckets := r.JSON["buckets"].([]any)
		// Asia/Shanghai midnights are 16:00 UTC: 06-01 09:00 → 16:00, two whole days, 06-03 16:00 → 06-04 10:00
		if r.JSON["time_zone"] != "Asia/Shanghai" || len(buckets) != 4 || buckets[0].(map[string]any)["end"] != "2026-06-01T16:00:00Z" {
			t.Fatalf("series: %s", r.Raw)
		}
		res, body := get(t, f.env, "/v1/reports/kpis/timeseries?"+q, manager, "Accept", "text/csv")
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if res.StatusCode != http.StatusOK || err != nil || len(rows) != 1+4*(12+2) { // north has the AC and the washing machine
			t.Fatalf("csv: status %d, %v, %d rows", res.StatusCode, err, len(rows))
		}
	})
}

// Filters and scope: technician, region, provider (forced for a partner's
// dispatcher), model.
func TestKPIReportFilters(t *testing.T) {
	f := newKPIFixture(t)
	manager := f.env.Token("manager@fieldops.test")
	report := func(tok, extra string) map[string]any {
		t.Helper()
		return mustStatus(t, f.env.Do(http.MethodGet, "/v1/reports/kpis?"+f.query(extra), tok, nil), http.StatusOK, "kpis "+extra).JSON
	}
	var inHouse, partner string
	if err := f.env.DB.Raw(`SELECT provider_id FROM users WHERE email = 'dispatcher@fieldops.test'`).Row().Scan(&inHouse); err != nil {
		t.Fatal(err)
	}
	if err := f.env.DB.Raw(`SELECT provider_id FROM users WHERE email = 'dispatcher@coolfix.test'`).Row().Scan(&partner); err != nil {
		t.Fatal(err)
	}

	t.Run("technician: Tom's work; D and E have no technician", func(t *testing.T) {
		r := report(manager, "technician_id="+f.env.UserID("tom@fieldops.test"))
		checkKPIs(t, r["kpis"].(map[string]any), kpiExpect{
			ftf: kpiWant{1, 3}, resp: kpiWant{75, 3}, onTime: kpiWant{3, 4},
			slaFirst: kpiWant{2, 3}, slaOnSite: kpiWant{3, 3}, slaRes: kpiWant{3, 3},
			resolution: kpiWant{3, 4}, csat: kpiWant{11, 3}, csi: kpiWant{2, 3}, complaint: kpiWant{1, 3}, repeat: kpiWant{2, 3},
			parts: kpiWant{3, 3}, faults: map[string]kpiWant{"AC-9000": {2, 2}, "WM-500": {0, 1}, "SOFA-3": {0, 1}},
		})
		if r["filters"].(map[string]any)["technician_id"] != f.env.UserID("tom@fieldops.test") {
			t.Errorf("filters: %v", r["filters"])
		}
	})
	t.Run("another technician: nothing, values null", func(t *testing.T) {
		r := report(manager, "technician_id="+f.env.UserID("sam@fieldops.test"))
		checkKPIs(t, r["kpis"].(map[string]any), zeroKPIs(map[string]kpiWant{"AC-9000": {0, 2}, "WM-500": {0, 1}, "SOFA-3": {0, 1}}))
	})
	t.Run("region south: no orders; its assets only", func(t *testing.T) {
		r := report(manager, "region=south")
		checkKPIs(t, r["kpis"].(map[string]any), zeroKPIs(map[string]kpiWant{"AC-9000": {0, 1}, "SOFA-3": {0, 1}}))
	})
	t.Run("region north: everything", func(t *testing.T) {
		r := report(manager, "region=north")
		kp := r["kpis"].(map[string]any)
		checkKPI(t, "first_time_fix_rate", kp["first_time_fix_rate"], kpiWant{1, 3}, 1)
		checkKPI(t, "complaint_rate", kp["complaint_rate"], kpiWant{1, 3}, 1)
	})
	t.Run("product model: the washing machine has D only", func(t *testing.T) {
		var wm string
		if err := f.env.DB.Raw(`SELECT id FROM product_models WHERE code = 'WM-500'`).Row().Scan(&wm); err != nil {
			t.Fatal(err)
		}
		r := report(manager, "product_model_id="+wm)
		kp := r["kpis"].(map[string]any)
		sla := kp["sla_compliance"].(map[string]any)
		checkKPI(t, "sla_compliance.first_response", sla["first_response"], kpiWant{0, 1}, 1)
		checkKPI(t, "resolution_rate", kp["resolution_rate"], kpiWant{0, 0}, 1)
		if faults := kp["fault_rate_per_100"].([]any); len(faults) != 1 || faults[0].(map[string]any)["code"] != "WM-500" {
			t.Errorf("faults: %v", faults)
		}
	})
	t.Run("the in-house provider: A, B and C (D and E were never dispatched)", func(t *testing.T) {
		r := report(manager, "provider_id="+inHouse)
		sla := r["kpis"].(map[string]any)["sla_compliance"].(map[string]any)
		checkKPI(t, "sla_compliance.first_response", sla["first_response"], kpiWant{2, 3}, 1)
	})
	t.Run("a partner's dispatcher gets their provider whatever they ask", func(t *testing.T) {
		for _, extra := range []string{"", "provider_id=" + inHouse} {
			r := report(f.env.Token("dispatcher@coolfix.test"), extra)
			if r["filters"].(map[string]any)["provider_id"] != partner {
				t.Errorf("filters: %v", r["filters"])
			}
			checkKPIs(t, r["kpis"].(map[string]any), zeroKPIs(map[string]kpiWant{"AC-9000": {0, 2}, "WM-500": {0, 1}, "SOFA-3": {0, 1}}))
		}
		s := mustStatus(t, f.env.Do(http.MethodGet, "/v1/reports/kpis/timeseries?bucket=week&provider_id="+inHouse+"&"+f.query(""),
			f.env.Token("dispatcher@coolfix.test"), nil), http.StatusOK, "series").JSON
		if s["filters"].(map[string]any)["provider_id"] != partner {
			t.Errorf("series filters: %v", s["filters"])
		}
	})
}

// Who may read reports, and bad input.
func TestKPIReportAccessAndInput(t *testing.T) {
	env := apitest.New(t)
	manager := env.Token("manager@fieldops.test")
	window := "from=2026-05-01T00:00:00Z&to=2026-06-01T00:00:00Z"
	for _, path := range []string{"/v1/reports/kpis?" + window, "/v1/reports/kpis/timeseries?bucket=day&" + window} {
		mustStatus(t, env.Do(http.MethodGet, path, "", nil), http.StatusUnauthorized, "no token")
		for _, who := range []string{"alice@example.com", "tom@fieldops.test", "carl@coolfix.test"} {
			mustStatus(t, env.Do(http.MethodGet, path, env.Token(who), nil), http.StatusForbidden, who)
		}
		mustStatus(t, env.Do(http.MethodGet, path, manager, nil), http.StatusOK, "manager")
		mustStatus(t, env.Do(http.MethodGet, path, env.Token("dispatcher@coolfix.test"), nil), http.StatusOK, "partner dispatcher")
	}

	bad := []struct {
		name, path string
		fields     []string
	}{
		{"from missing", "/v1/reports/kpis?to=2026-06-01T00:00:00Z", []string{"from"}},
		{"both missing", "/v1/reports/kpis", []string{"from", "to"}},
		{"from not a time", "/v1/reports/kpis?from=yesterday&to=2026-06-01T00:00:00Z", []string{"from"}},
		{"to before from", "/v1/reports/kpis?from=2026-06-01T00:00:00Z&to=2026-05-01T00:00:00Z", []string{"to"}},
		{"to equal to from", "/v1/reports/kpis?from=2026-06-01T00:00:00Z&to=2026-06-01T00:00:00Z", []string{"to"}},
		{"a window over 400 days", "/v1/reports/kpis?from=2025-01-01T00:00:00Z&to=2026-06-01T00:00:00Z", []string{"to"}},
		{"technician not a UUID", "/v1/reports/kpis?" + window + "&technician_id=tom", []string{"technician_id"}},
		{"provider not a UUID", "/v1/reports/kpis?" + window + "&provider_id=1", []string{"provider_id"}},
		{"model not a UUID", "/v1/reports/kpis?" + window + "&product_model_id=x", []string{"product_model_id"}},
		{"bucket missing", "/v1/reports/kpis/timeseries?" + window, []string{"bucket"}},
		{"bucket unknown", "/v1/reports/kpis/timeseries?bucket=month&" + window, []string{"bucket"}},
		{"over 100 daily buckets", "/v1/reports/kpis/timeseries?bucket=day&from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z", []string{"to"}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			r := mustStatus(t, env.Do(http.MethodGet, c.path, manager, nil), http.StatusUnprocessableEntity, c.name)
			got := map[string]bool{}
			errsList, _ := r.JSON["errors"].([]any)
			for _, e := range errsList {
				got[e.(map[string]any)["field"].(string)] = true
			}
			for _, f := range c.fields {
				if !got[f] {
					t.Errorf("the problem does not name %s: %s", f, r.Raw)
				}
			}
		})
	}
}
