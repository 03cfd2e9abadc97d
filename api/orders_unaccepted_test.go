package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

// lostOrder fails unless the technician behind tok has lost order id: 404
// on the order, its timeline and its photos, and absent from their list
// and from delta sync.
func lostOrder(t *testing.T, env *apitest.Env, tok, id string) {
	t.Helper()
	for _, path := range []string{"/v1/orders/" + id, "/v1/orders/" + id + "/events", "/v1/orders/" + id + "/photos"} {
		mustStatus(t, env.Do(http.MethodGet, path, tok, nil), http.StatusNotFound, "GET "+path)
	}
	for _, path := range []string{"/v1/orders", "/v1/orders?updated_since=2000-01-01T00:00:00Z"} {
		for _, o := range mustStatus(t, env.Do(http.MethodGet, path, tok, nil), http.StatusOK, "list").Items(t) {
			if o["id"] == id {
				t.Errorf("%s still lists the order", path)
			}
		}
	}
}

// Issue 9 item 6 (review): a technician taken off an order they never
// accepted — by a reassignment or an unassign, not only their own decline —
// loses it; one who accepted keeps it (they worked the order).
func TestTechnicianTakenOffBeforeAcceptingLosesTheOrder(t *testing.T) {
	env := apitest.New(t)
	disp, tom, carl := env.Token("dispatcher@fieldops.test"), env.Token("tom@fieldops.test"), env.Token("carl@coolfix.test")
	tomID, carlID := env.UserID("tom@fieldops.test"), env.UserID("carl@coolfix.test")
	assign := func(t *testing.T, id, tech string) {
		t.Helper()
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": tech}), http.StatusOK, "assign")
	}
	unassign := func(t *testing.T, id, reason string) {
		t.Helper()
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/unassign", disp, map[string]any{"reason": reason}), http.StatusOK, "unassign")
	}

	t.Run("a partner technician replaced before accepting loses the order", func(t *testing.T) {
		id := audienceOrder(t, env)
		assign(t, id, carlID)
		mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, carl, nil), http.StatusOK, "carl reads his new job")
		assign(t, id, tomID)
		lostOrder(t, env, carl, id)
		mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, tom, nil), http.StatusOK, "tom reads his job")
	})
	t.Run("a technician unassigned before accepting loses the order", func(t *testing.T) {
		id := audienceOrder(t, env)
		assign(t, id, tomID)
		unassign(t, id, "tom is needed elsewhere")
		lostOrder(t, env, tom, id)
	})
	t.Run("a technician who accepted keeps the order after an unassign or a reassignment", func(t *testing.T) {
		id := audienceOrder(t, env)
		assign(t, id, tomID)
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/accept", tom, nil), http.StatusOK, "tom accepts")
		unassign(t, id, "tom is needed elsewhere")
		assign(t, id, carlID)
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/accept", carl, nil), http.StatusOK, "carl accepts")
		assign(t, id, tomID) // carl accepted: replacing him leaves him the order
		for name, tok := range map[string]string{"tom": tom, "carl": carl} {
			mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id, tok, nil), http.StatusOK, name+" reads the order he worked")
			mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+id+"/events", tok, nil), http.StatusOK, name+" reads the timeline")
			listed := false
			for _, o := range mustStatus(t, env.Do(http.MethodGet, "/v1/orders?updated_since=2000-01-01T00:00:00Z", tok, nil), http.StatusOK, "sync").Items(t) {
				listed = listed || o["id"] == id
			}
			if !listed {
				t.Errorf("%s's delta sync lost the order he accepted", name)
			}
		}
	})
	t.Run("the unassign notification does not carry the internal reason", func(t *testing.T) {
		id := audienceOrder(t, env)
		assign(t, id, tomID)
		unassign(t, id, "tom's reviews are poor")
		inbox := mustStatus(t, env.Do(http.MethodGet, "/v1/notifications?unread=true", tom, nil), http.StatusOK, "inbox").Items(t)
		if len(inbox) == 0 || inbox[0]["kind"] != "job_unassigned" {
			t.Fatalf("tom's newest notification: %v", inbox)
		}
		for _, k := range []string{"title", "body"} {
			if s, _ := inbox[0][k].(string); strings.Contains(s, "reviews") {
				t.Errorf("the notification's %s carries the reason: %q", k, s)
			}
		}
	})
}
