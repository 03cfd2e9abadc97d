package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/platform/config"
)

// departEarly says why the technician leaves more than 3 hours before the
// window: with the test clock at 18:00 in Asia/Shanghai, the first slot
// offered is the next morning.
var departEarly = map[string]any{"reason": "The previous job finished early"}

// apptOrder is an order of alice's accepted by Tom (region north), ready to book.
type apptOrder struct {
	env                    *apitest.Env
	id                     string
	alice, tom, disp, path string
}

func acceptedOrder(t *testing.T, env *apitest.Env) apptOrder {
	t.Helper()
	o := apptOrder{env: env, alice: env.Token("alice@example.com"), tom: env.Token("tom@fieldops.test"),
		disp: env.Token("dispatcher@fieldops.test")}
	r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", o.alice, map[string]any{
		"type": "repair", "description": "AC drips water", "asset_id": aliceAsset(t, env, o.alice),
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"},
	}), http.StatusCreated, "create")
	o.id = r.JSON["id"].(string)
	o.path = "/v1/orders/" + o.id
	mustStatus(t, env.Do(http.MethodPost, o.path+"/triage", o.disp, map[string]any{}), http.StatusOK, "triage")
	mustStatus(t, env.Do(http.MethodPost, o.path+"/assign", o.disp, map[string]any{"technician_id": env.UserID("tom@fieldops.test")}), http.StatusOK, "assign")
	mustStatus(t, env.Do(http.MethodPost, o.path+"/accept", o.tom, nil), http.StatusOK, "accept")
	return o
}

// book posts an appointment as token.
func (o apptOrder) book(token, start, end, reason string) apitest.Response {
	body := map[string]any{"start": start, "end": end}
	if reason != "" {
		body["reason"] = reason
	}
	return o.env.Do(http.MethodPost, o.path+"/appointment", token, body)
}

// fieldsOf lists the fields a problem names.
func fieldsOf(r apitest.Response) []string {
	var out []string
	errs, _ := r.JSON["errors"].([]any)
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m["field"].(string))
		}
	}
	return out
}

func TestBookingMustMatchAnOfferedSlot(t *testing.T) {
	env := apitest.New(t) // clock: 2026-06-01 10:00 UTC = 18:00 in Asia/Shanghai
	o := acceptedOrder(t, env)

	t.Run("slots are the region's local working hours in 2-hour windows", func(t *testing.T) {
		r := mustStatus(t, env.Do(http.MethodGet, o.path+"/slots?from=2026-06-02&days=1", o.alice, nil), http.StatusOK, "slots")
		if r.JSON["time_zone"] != "Asia/Shanghai" {
			t.Errorf("time_zone = %v, want Asia/Shanghai", r.JSON["time_zone"])
		}
		var got []string
		for _, it := range r.Items(t) {
			got = append(got, it["start"].(string)+"/"+it["end"].(string))
		}
		// 08:00–20:00 at UTC+8
		want := []string{"2026-06-02T00:00:00Z/2026-06-02T02:00:00Z", "2026-06-02T02:00:00Z/2026-06-02T04:00:00Z",
			"2026-06-02T04:00:00Z/2026-06-02T06:00:00Z", "2026-06-02T06:00:00Z/2026-06-02T08:00:00Z",
			"2026-06-02T08:00:00Z/2026-06-02T10:00:00Z", "2026-06-02T10:00:00Z/2026-06-02T12:00:00Z"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("slots\n got %v\nwant %v", got, want)
		}
		today := mustStatus(t, env.Do(http.MethodGet, o.path+"/slots?days=1", o.alice, nil), http.StatusOK, "slots today")
		if n := len(today.Items(t)); n != 0 { // 18:00 local: the 18–20 window has begun
			t.Errorf("today (local) offers %d windows after 18:00, want 0: %s", n, today.Raw)
		}
		ord := mustStatus(t, env.Do(http.MethodGet, o.path, o.alice, nil), http.StatusOK, "get")
		if ord.JSON["time_zone"] != "Asia/Shanghai" {
			t.Errorf("order time_zone = %v, want Asia/Shanghai", ord.JSON["time_zone"])
		}
	})

	for _, c := range []struct{ name, start, end string }{
		{"02:17-03:03 UTC", "2026-06-02T02:17:00Z", "2026-06-02T03:03:00Z"},
		{"08:00-16:00 UTC, a whole day", "2026-06-02T08:00:00Z", "2026-06-02T16:00:00Z"},
		{"a window offset by an hour", "2026-06-02T01:00:00Z", "2026-06-02T03:00:00Z"},
		{"two windows at once", "2026-06-02T00:00:00Z", "2026-06-02T04:00:00Z"},
		{"the old UTC 13-15 window (21-23 local)", "2026-06-02T13:00:00Z", "2026-06-02T15:00:00Z"},
	} {
		for _, who := range []struct{ role, token string }{{"customer", o.alice}, {"technician", o.tom}, {"dispatcher", o.disp}} {
			t.Run(who.role+" off slot: "+c.name+" is 422 naming start and end", func(t *testing.T) {
				r := mustStatus(t, o.book(who.token, c.start, c.end, ""), http.StatusUnprocessableEntity, "book")
				if f := strings.Join(fieldsOf(r), ","); f != "start,end" {
					t.Errorf("fields %q, want start,end: %s", f, r.Raw)
				}
			})
		}
	}
	if n := env.Count("appointments"); n != 0 {
		t.Fatalf("%d appointments after refused bookings, want 0", n)
	}

	t.Run("an offered slot is booked", func(t *testing.T) {
		r := mustStatus(t, env.Do(http.MethodGet, o.path+"/slots?from=2026-06-02&days=1", o.alice, nil), http.StatusOK, "slots")
		sl := r.Items(t)[2]
		b := mustStatus(t, o.book(o.alice, sl["start"].(string), sl["end"].(string), ""), http.StatusOK, "book")
		if b.JSON["status"] != "scheduled" || b.JSON["time_zone"] != "Asia/Shanghai" {
			t.Errorf("booked: status %v, time_zone %v", b.JSON["status"], b.JSON["time_zone"])
		}
	})
}

func TestSlotsFollowTheRegionTimeZoneAcrossDST(t *testing.T) {
	env := apitest.New(t)
	// Berlin leaves summer time on Sunday 2026-10-25 at 03:00 (UTC+2 → UTC+1).
	if err := env.DB.Exec(`UPDATE regions SET time_zone = 'Europe/Berlin' WHERE code = 'north'`).Error; err != nil {
		t.Fatal(err)
	}
	env.Clock.Set(time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC))
	o := acceptedOrder(t, env)

	r := mustStatus(t, env.Do(http.MethodGet, o.path+"/slots?from=2026-10-24&days=3&limit=200", o.alice, nil), http.StatusOK, "slots")
	if r.JSON["time_zone"] != "Europe/Berlin" {
		t.Errorf("time_zone = %v, want Europe/Berlin", r.JSON["time_zone"])
	}
	byDay := map[string][]string{}
	for _, it := range r.Items(t) {
		s, e := it["start"].(string), it["end"].(string)
		byDay[s[:10]] = append(byDay[s[:10]], s[11:16]+"-"+e[11:16])
	}
	summer := "06:00-08:00 08:00-10:00 10:00-12:00 12:00-14:00 14:00-16:00 16:00-18:00" // 08–20 at UTC+2
	winter := "07:00-09:00 09:00-11:00 11:00-13:00 13:00-15:00 15:00-17:00 17:00-19:00" // 08–20 at UTC+1
	for day, want := range map[string]string{"2026-10-24": summer, "2026-10-25": winter, "2026-10-26": winter} {
		if got := strings.Join(byDay[day], " "); got != want {
			t.Errorf("%s (UTC)\n got %s\nwant %s", day, got, want)
		}
	}
	if ord := mustStatus(t, env.Do(http.MethodGet, o.path, o.alice, nil), http.StatusOK, "get"); ord.JSON["time_zone"] != "Europe/Berlin" {
		t.Errorf("order time_zone = %v, want Europe/Berlin", ord.JSON["time_zone"])
	}
	// 06:00Z was 08:00 local the day before; after the change it is 07:00 local.
	mustStatus(t, o.book(o.alice, "2026-10-25T06:00:00Z", "2026-10-25T08:00:00Z", ""), http.StatusUnprocessableEntity, "book summer hours after the change")
	mustStatus(t, o.book(o.alice, "2026-10-25T07:00:00Z", "2026-10-25T09:00:00Z", ""), http.StatusOK, "book 08:00-10:00 CET")
}

func TestCustomerMovesAreLimited(t *testing.T) {
	env := apitest.New(t)
	o := acceptedOrder(t, env)
	// Local 08:00, 10:00, … on 2026-06-03 (UTC+8), all more than 24 h ahead.
	slot := func(i int) (string, string) {
		s := time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC).Add(time.Duration(2*i) * time.Hour)
		return s.Format(time.RFC3339), s.Add(2 * time.Hour).Format(time.RFC3339)
	}
	s, e := slot(0)
	mustStatus(t, o.book(o.alice, s, e, ""), http.StatusOK, "book")
	for i := 1; i <= 3; i++ {
		s, e := slot(i)
		mustStatus(t, o.book(o.alice, s, e, ""), http.StatusOK, "customer move")
	}
	s, e = slot(4)
	r := mustStatus(t, o.book(o.alice, s, e, ""), http.StatusConflict, "the 4th customer move")
	if !strings.Contains(r.JSON["detail"].(string), "3 times") || r.JSON["current_status"] != "scheduled" {
		t.Errorf("4th move problem: %s", r.Raw)
	}
	t.Run("staff moves are not limited (they give a reason)", func(t *testing.T) {
		mustStatus(t, o.book(o.disp, s, e, ""), http.StatusUnprocessableEntity, "staff move without reason")
		mustStatus(t, o.book(o.disp, s, e, "customer called"), http.StatusOK, "staff move")
	})
	t.Run("the technician's moves are not counted", func(t *testing.T) {
		s, e := slot(5)
		mustStatus(t, o.book(o.tom, s, e, ""), http.StatusOK, "technician move")
	})
}

func TestCustomerMovesAreConfigurable(t *testing.T) {
	env := apitest.New(t, func(c *config.Config) { c.Appointments.CustomerMaxMoves = 1 })
	o := acceptedOrder(t, env)
	mustStatus(t, o.book(o.alice, "2026-06-03T00:00:00Z", "2026-06-03T02:00:00Z", ""), http.StatusOK, "book")
	mustStatus(t, o.book(o.alice, "2026-06-03T02:00:00Z", "2026-06-03T04:00:00Z", ""), http.StatusOK, "1st move")
	mustStatus(t, o.book(o.alice, "2026-06-03T04:00:00Z", "2026-06-03T06:00:00Z", ""), http.StatusConflict, "2nd move over the configured 1")
}

func TestCustomerCannotMoveWithin24HoursOfTheStart(t *testing.T) {
	env := apitest.New(t)
	o := acceptedOrder(t, env)
	// 2026-06-02 08:00 local = 00:00Z, 14 h after the clock.
	mustStatus(t, o.book(o.alice, "2026-06-02T00:00:00Z", "2026-06-02T02:00:00Z", ""), http.StatusOK, "book")
	r := mustStatus(t, o.book(o.alice, "2026-06-03T00:00:00Z", "2026-06-03T02:00:00Z", ""), http.StatusConflict, "move within 24 h")
	if !strings.Contains(r.JSON["detail"].(string), "24 h") || r.JSON["current_status"] != "scheduled" {
		t.Errorf("problem: %s", r.Raw)
	}
	mustStatus(t, o.book(o.disp, "2026-06-03T00:00:00Z", "2026-06-03T02:00:00Z", "customer called, urgent trip"), http.StatusOK, "staff move")
}

func TestEarlyDepartureNeedsAReasonTheCustomerIsTold(t *testing.T) {
	env := apitest.New(t)
	o := acceptedOrder(t, env)
	// 2026-06-02 08:00 local = 00:00Z, 14 h after the clock.
	mustStatus(t, o.book(o.alice, "2026-06-02T00:00:00Z", "2026-06-02T02:00:00Z", ""), http.StatusOK, "book")

	r := mustStatus(t, env.Do(http.MethodPost, o.path+"/depart", o.tom, nil), http.StatusUnprocessableEntity, "early departure without a body")
	if f := strings.Join(fieldsOf(r), ","); f != "reason" {
		t.Errorf("fields %q, want reason: %s", f, r.Raw)
	}
	mustStatus(t, env.Do(http.MethodPost, o.path+"/depart", o.tom, map[string]any{"reason": "  "}), http.StatusUnprocessableEntity, "blank reason")

	const why = "Earlier job cancelled, I can come now"
	d := mustStatus(t, env.Do(http.MethodPost, o.path+"/depart", o.tom, map[string]any{"reason": why}), http.StatusOK, "early departure with a reason")
	if d.JSON["status"] != "en_route" {
		t.Fatalf("status %v, want en_route", d.JSON["status"])
	}
	evs := mustStatus(t, env.Do(http.MethodGet, o.path+"/events?limit=200", o.disp, nil), http.StatusOK, "events").Items(t)
	last := evs[len(evs)-1]
	p, _ := last["payload"].(map[string]any)
	if last["action"] != "depart" || p["reason"] != why || p["early"] != true {
		t.Errorf("depart event %v", last)
	}
	n := mustStatus(t, env.Do(http.MethodGet, "/v1/notifications", o.alice, nil), http.StatusOK, "alice's inbox").Items(t)
	told := false
	for _, it := range n {
		if it["kind"] == "technician_en_route" && strings.Contains(it["body"].(string), why) {
			told = true
		}
	}
	if !told {
		t.Errorf("the customer was not told the reason: %v", n)
	}
}

func TestDepartureWithinTheLimitNeedsNoReason(t *testing.T) {
	env := apitest.New(t)
	o := acceptedOrder(t, env)
	mustStatus(t, o.book(o.alice, "2026-06-02T00:00:00Z", "2026-06-02T02:00:00Z", ""), http.StatusOK, "book")
	env.Clock.Set(time.Date(2026, 6, 1, 21, 0, 0, 0, time.UTC)) // 3 h before the window
	tom := env.Token("tom@fieldops.test")
	mustStatus(t, env.Do(http.MethodPost, o.path+"/depart", tom, nil), http.StatusOK, "depart 3 h before")
}
