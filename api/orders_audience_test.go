package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/migrations"
)

// audienceOrder submits a north repair for alice and triages it with an
// internal note; it returns the order id.
func audienceOrder(t *testing.T, env *apitest.Env) string {
	t.Helper()
	id := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", env.Token("alice@example.com"), map[string]any{"type": "repair",
		"description": "AC drips", "address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"}}),
		http.StatusCreated, "create").JSON["id"].(string)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", env.Token("dispatcher@fieldops.test"),
		map[string]any{"notes": "customer sounded angry"}), http.StatusOK, "triage")
	return id
}

func audienceEvents(t *testing.T, env *apitest.Env, tok, id string) []map[string]any {
	t.Helper()
	return mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id+"/events", tok, nil), http.StatusOK, "events").Items(t)
}

func eventActions(evs []map[string]any) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e["action"].(string))
	}
	return out
}

// Issue 9 item 6: events have an audience (SPEC §8). Customers read
// customer-facing events with customer-safe payloads, a technician the
// events of the visits they worked on, staff everything.
func TestEventAudiences(t *testing.T) {
	env := apitest.New(t)
	alice, disp := env.Token("alice@example.com"), env.Token("dispatcher@fieldops.test")
	tom, carl := env.Token("tom@fieldops.test"), env.Token("carl@coolfix.test")
	id := audienceOrder(t, env)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": env.UserID("tom@fieldops.test")}), http.StatusOK, "assign tom")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/decline", tom, map[string]any{"reason": "the customer is rude"}), http.StatusOK, "tom declines")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": env.UserID("carl@coolfix.test")}), http.StatusOK, "assign carl")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/accept", carl, nil), http.StatusOK, "carl accepts")

	t.Run("staff read every event and payload key", func(t *testing.T) {
		evs := audienceEvents(t, env, disp, id)
		if got := eventActions(evs); !slices.Equal(got, []string{"create", "triage", "assign", "decline", "assign", "accept"}) {
			t.Fatalf("staff's timeline: %v", got)
		}
		if evs[1]["payload"].(map[string]any)["notes"] != "customer sounded angry" || evs[3]["payload"].(map[string]any)["reason"] != "the customer is rude" {
			t.Errorf("staff miss internal payload: %v / %v", evs[1]["payload"], evs[3]["payload"])
		}
		if evs[3]["audience"] != "staff" || evs[0]["audience"] != "all" || evs[0]["visit"] != float64(1) {
			t.Errorf("audiences: decline %v, create %v (visit %v)", evs[3]["audience"], evs[0]["audience"], evs[0]["visit"])
		}
		if evs[4]["payload"].(map[string]any)["previous_technician_id"] != nil {
			t.Errorf("assign after a decline names a previous technician: %v", evs[4]["payload"])
		}
	})
	t.Run("the customer reads no internal event or key", func(t *testing.T) {
		evs := audienceEvents(t, env, alice, id)
		if got := eventActions(evs); !slices.Equal(got, []string{"create", "triage", "assign", "assign", "accept"}) {
			t.Fatalf("alice's timeline: %v", got)
		}
		for _, e := range evs {
			p := e["payload"].(map[string]any)
			for _, k := range []string{"notes", "reason", "technician_id", "previous_technician_id", "auto"} {
				if _, ok := p[k]; ok {
					t.Errorf("alice reads %s of %s: %v", k, e["action"], p)
				}
			}
			if e["audience"] != "all" && e["audience"] != "customer" {
				t.Errorf("alice reads a %v event", e["audience"])
			}
		}
		if p := evs[1]["payload"].(map[string]any); p["priority"] != "P3" {
			t.Errorf("alice's triage payload: %v", p)
		}
	})
	t.Run("the technician reads the events of their visit, not another technician's", func(t *testing.T) {
		evs := audienceEvents(t, env, carl, id)
		if got := eventActions(evs); !slices.Equal(got, []string{"create", "triage", "assign", "accept"}) {
			t.Fatalf("carl's timeline: %v", got)
		}
		if _, ok := evs[1]["payload"].(map[string]any)["notes"]; ok {
			t.Errorf("carl reads triage notes: %v", evs[1]["payload"])
		}
		if evs[2]["payload"].(map[string]any)["technician_id"] != env.UserID("carl@coolfix.test") {
			t.Errorf("carl's assign event: %v", evs[2])
		}
	})
	t.Run("a technician who declined loses the order", func(t *testing.T) {
		mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, tom, nil), http.StatusNotFound, "tom reads the order")
		mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id+"/events", tom, nil), http.StatusNotFound, "tom reads the timeline")
		for _, path := range []string{"/v1/orders", "/v1/orders?updated_since=2000-01-01T00:00:00Z"} {
			for _, o := range mustStatus(t, env.Do(http.MethodGet, path, tom, nil), http.StatusOK, "tom's list").Items(t) {
				if o["id"] == id {
					t.Errorf("%s still lists the declined order", path)
				}
			}
		}
	})
}

// A technician who accepted keeps the order (current and past) after a
// later decline of a new assignment, and one taken off keeps reading the
// events of the visit they worked on, not those of the next technician.
func TestEventAudiencesAcrossTechnicians(t *testing.T) {
	env := apitest.New(t)
	disp, tom, carl := env.Token("dispatcher@fieldops.test"), env.Token("tom@fieldops.test"), env.Token("carl@coolfix.test")
	id := audienceOrder(t, env)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": env.UserID("tom@fieldops.test")}), http.StatusOK, "assign tom")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/accept", tom, nil), http.StatusOK, "tom accepts")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/unassign", disp, map[string]any{"reason": "tom is slow"}), http.StatusOK, "unassign tom")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": env.UserID("carl@coolfix.test")}), http.StatusOK, "assign carl")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/accept", carl, nil), http.StatusOK, "carl accepts")

	evs := audienceEvents(t, env, tom, id)
	if got := eventActions(evs); !slices.Equal(got, []string{"create", "triage", "assign", "accept", "unassign"}) {
		t.Fatalf("tom's timeline: %v", got)
	}
	if p := evs[4]["payload"].(map[string]any); len(p) != 0 {
		t.Errorf("tom reads the unassign reason: %v", p)
	}
	if got := eventActions(audienceEvents(t, env, env.Token("alice@example.com"), id)); slices.Contains(got, "unassign") {
		t.Errorf("alice reads the unassign event: %v", got)
	}
	if got := eventActions(audienceEvents(t, env, carl, id)); !slices.Equal(got, []string{"create", "triage", "assign", "accept"}) {
		t.Errorf("carl's timeline: %v", got)
	}
}

// Issue 9 item 5: taking an order back from a partner's technician
// (unassign, decline) takes it back from the partner: the partner
// dispatcher loses GET, PATCH, assign and cancel on it.
func TestTakingAnOrderBackFromAPartner(t *testing.T) {
	env := apitest.New(t)
	disp, partner, carl := env.Token("dispatcher@fieldops.test"), env.Token("dispatcher@coolfix.test"), env.Token("carl@coolfix.test")
	carlID := env.UserID("carl@coolfix.test")
	lost := func(t *testing.T, id string) {
		t.Helper()
		mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, partner, nil), http.StatusNotFound, "partner GET")
		mustStatus(t, env.Do(http.MethodPatch, "/v1/orders/"+id, partner, map[string]any{"description": "mine"}), http.StatusNotFound, "partner PATCH")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", partner, map[string]any{"technician_id": carlID}), http.StatusNotFound, "partner assign")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/cancel", partner, map[string]any{"reason": "mine"}), http.StatusNotFound, "partner cancel")
	}
	for _, how := range []string{"unassign", "decline"} {
		t.Run(how, func(t *testing.T) {
			id := audienceOrder(t, env)
			mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": carlID}), http.StatusOK, "assign carl")
			mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, partner, nil), http.StatusOK, "the partner sees its technician's order")
			var o apitest.Response
			if how == "unassign" {
				o = mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/unassign", disp, map[string]any{"reason": "in-house takes it"}), http.StatusOK, how)
			} else {
				o = mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/decline", carl, map[string]any{"reason": "too far"}), http.StatusOK, how)
			}
			if o.JSON["provider_id"] != nil {
				t.Errorf("provider_id after %s: %v", how, o.JSON["provider_id"])
			}
			lost(t, id)
		})
	}
	t.Run("a partner's own intake stays the partner's", func(t *testing.T) {
		id := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", partner, map[string]any{"type": "repair", "description": "Hotline call",
			"customer_id": env.UserID("bob@example.com"), "address": map[string]any{"line1": "7 Garden Lane", "city": "Southbay", "region": "south"}}),
			http.StatusCreated, "partner intake").JSON["id"].(string)
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", partner, map[string]any{}), http.StatusOK, "triage")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", partner, map[string]any{"technician_id": carlID}), http.StatusOK, "assign carl")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/decline", carl, map[string]any{"reason": "ill"}), http.StatusOK, "decline")
		o := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, partner, nil), http.StatusOK, "partner reads its intake")
		if o.JSON["provider_id"] == nil {
			t.Errorf("the partner's intake lost its provider: %s", o.Raw)
		}
	})
}

// Issue 9 item 15: a PATCH that changes nothing is 200 with the order as
// it is: same version and ETag, no event.
func TestPatchWithoutChangeKeepsTheVersion(t *testing.T) {
	env := apitest.New(t)
	disp := env.Token("dispatcher@fieldops.test")
	id := audienceOrder(t, env)
	before := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, disp, nil), http.StatusOK, "get")
	events := len(audienceEvents(t, env, disp, id))
	for name, body := range map[string]map[string]any{
		"empty": {},
		"same values": {"description": before.JSON["description"], "address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"},
			"preferred_windows": []any{}},
	} {
		r := mustStatus(t, env.Do(http.MethodPatch, "/v1/orders/"+id, disp, body, "If-Match", before.Header.Get("ETag")), http.StatusOK, name)
		if r.JSON["version"] != before.JSON["version"] || r.Header.Get("ETag") != before.Header.Get("ETag") {
			t.Errorf("%s: version %v → %v, ETag %q → %q", name, before.JSON["version"], r.JSON["version"], before.Header.Get("ETag"), r.Header.Get("ETag"))
		}
		if n := len(audienceEvents(t, env, disp, id)); n != events {
			t.Errorf("%s wrote an event: %d → %d", name, events, n)
		}
	}
	r := mustStatus(t, env.Do(http.MethodPatch, "/v1/orders/"+id, disp, map[string]any{"description": "AC drips a lot"}), http.StatusOK, "a change")
	if r.JSON["version"] == before.JSON["version"] {
		t.Errorf("a change kept version %v", r.JSON["version"])
	}
	evs := audienceEvents(t, env, disp, id)
	if p := evs[len(evs)-1]["payload"].(map[string]any); len(p) != 1 || p["description"] != "AC drips a lot" {
		t.Errorf("update payload records more than the change: %v", p)
	}
}

// Issue 9 item 16: event payload keys are snake_case (an address is
// line1, not Line1).
func TestEventPayloadKeysAreSnakeCase(t *testing.T) {
	env := apitest.New(t)
	disp := env.Token("dispatcher@fieldops.test")
	id := audienceOrder(t, env)
	mustStatus(t, env.Do(http.MethodPatch, "/v1/orders/"+id, disp, map[string]any{"address": map[string]any{
		"line1": "3 New Street", "city": "Northport", "region": "north", "lat": 31.2, "lng": 121.4}}), http.StatusOK, "patch")
	evs := audienceEvents(t, env, disp, id)
	addr, _ := evs[len(evs)-1]["payload"].(map[string]any)["address"].(map[string]any)
	if addr["line1"] != "3 New Street" || addr["lat"] != 31.2 || addr["Line1"] != nil {
		t.Errorf("address in the update event: %v", addr)
	}
	// what the customer reads of it too
	alice := audienceEvents(t, env, env.Token("alice@example.com"), id)
	if addr, _ := alice[len(alice)-1]["payload"].(map[string]any)["address"].(map[string]any); addr["city"] != "Northport" {
		t.Errorf("alice's update event: %v", alice[len(alice)-1])
	}
}

// Issue 9 item 18: a partner dispatcher naming a customer's asset gets the
// same refusal whether or not the asset exists (partners see no assets).
func TestPartnerIntakeCannotProbeAssets(t *testing.T) {
	env := apitest.New(t)
	partner := env.Token("dispatcher@coolfix.test")
	alice := env.UserID("alice@example.com")
	real := aliceAsset(t, env, env.Token("alice@example.com"))
	try := func(asset string) apitest.Response {
		return env.Do(http.MethodPost, "/v1/orders", partner, map[string]any{"type": "repair", "description": "x", "customer_id": alice,
			"asset_id": asset, "address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"}})
	}
	existing, absent := try(real), try("01a22380-ae3b-7e75-846e-2b4ae119113f")
	if existing.Status != absent.Status || existing.Status != http.StatusUnprocessableEntity {
		t.Fatalf("statuses differ or are not 422: existing %d %s, absent %d %s", existing.Status, existing.Raw, absent.Status, absent.Raw)
	}
	if e, a := existing.JSON["errors"], absent.JSON["errors"]; !slices.EqualFunc(e.([]any), a.([]any), func(x, y any) bool {
		return x.(map[string]any)["field"] == y.(map[string]any)["field"] && x.(map[string]any)["message"] == y.(map[string]any)["message"]
	}) {
		t.Errorf("errors differ: %v vs %v", e, a)
	}
	// in-house staff still name the customer's asset
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders", env.Token("dispatcher@fieldops.test"), map[string]any{"type": "repair", "description": "x",
		"customer_id": alice, "asset_id": real, "address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"}}),
		http.StatusCreated, "in-house intake with the asset")
}

// Migration 000008 backfills rows written before it: audiences, visits and
// technicians of events, snake_case address keys, declined technicians'
// assignment rows and the provider of orders without a technician.
func TestMigration000008Backfill(t *testing.T) {
	env := apitest.New(t)
	disp, tom := env.Token("dispatcher@fieldops.test"), env.Token("tom@fieldops.test")
	tomID, carlID := env.UserID("tom@fieldops.test"), env.UserID("carl@coolfix.test")
	id := audienceOrder(t, env)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": tomID}), http.StatusOK, "assign tom")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/decline", tom, map[string]any{"reason": "too far"}), http.StatusOK, "decline")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": carlID}), http.StatusOK, "assign carl")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/unassign", disp, map[string]any{"reason": "back in-house"}), http.StatusOK, "unassign carl")
	mustStatus(t, env.Do(http.MethodPatch, "/v1/orders/"+id, disp, map[string]any{"address": map[string]any{
		"line1": "3 New Street", "city": "Northport", "region": "north"}}), http.StatusOK, "patch")

	sql := func(name string) string {
		b, err := migrations.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// the rows as the code before 000008 left them
	if err := env.DB.Exec(sql("000008_event_audiences.down.sql")).Error; err != nil {
		t.Fatalf("down: %v", err)
	}
	var partnerID string
	env.DB.Raw(`SELECT provider_id FROM users WHERE id = ?`, carlID).Scan(&partnerID)
	if err := env.DB.Exec(`INSERT INTO order_assignments (order_id, technician_id, assigned_at) VALUES (?, ?, now())`, id, tomID).Error; err != nil {
		t.Fatal(err)
	}
	env.DB.Exec(`UPDATE orders SET provider_id = ? WHERE id = ?`, partnerID, id)
	var raw string
	env.DB.Raw(`SELECT payload::text FROM order_events WHERE order_id = ? AND action = 'update'`, id).Scan(&raw)
	if !strings.Contains(raw, `"Line1"`) {
		t.Fatalf("the down migration did not restore the old payload: %s", raw)
	}

	if err := env.DB.Exec(sql("000008_event_audiences.up.sql")).Error; err != nil {
		t.Fatalf("up: %v", err)
	}
	var rows []struct {
		Action, Audience string
		Visit            int
		TechnicianID     *string
	}
	env.DB.Raw(`SELECT action, audience, visit, technician_id::text AS technician_id FROM order_events WHERE order_id = ? ORDER BY created_at, id`, id).Scan(&rows)
	want := []struct{ action, audience, tech string }{
		{"create", "all", ""}, {"triage", "all", ""}, {"assign", "all", tomID}, {"decline", "staff", tomID},
		{"assign", "all", carlID}, {"unassign", "visit", carlID}, {"update", "all", ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("events: %+v", rows)
	}
	for i, w := range want {
		r := rows[i]
		tech := ""
		if r.TechnicianID != nil {
			tech = *r.TechnicianID
		}
		if r.Action != w.action || r.Audience != w.audience || tech != w.tech || r.Visit != 1 {
			t.Errorf("event %d: %+v, want %+v", i, r, w)
		}
	}
	env.DB.Raw(`SELECT payload->'address'->>'line1' FROM order_events WHERE order_id = ? AND action = 'update'`, id).Scan(&raw)
	if raw != "3 New Street" {
		t.Errorf("address line1 after the backfill: %q", raw)
	}
	var n int64
	env.DB.Raw(`SELECT count(*) FROM order_assignments WHERE order_id = ? AND technician_id = ?`, id, tomID).Scan(&n)
	if n != 0 {
		t.Errorf("tom, who declined, keeps %d assignment rows", n)
	}
	var provider *string
	env.DB.Raw(`SELECT provider_id::text FROM orders WHERE id = ?`, id).Scan(&provider)
	if provider != nil {
		t.Errorf("provider of the order taken back: %v", *provider)
	}
	mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, tom, nil), http.StatusNotFound, "tom after the backfill")
}
