package api_test

import (
	"net/http"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

// The inbox pages with a keyset cursor: unread first, newest first, each
// entry exactly once; a foreign cursor names the field.
func TestNotificationInboxPages(t *testing.T) {
	env := apitest.New(t)
	disp := env.Token("dispatcher@fieldops.test")
	tom := env.Token("tom@fieldops.test")
	alice := env.Token("alice@example.com")
	tomID := env.UserID("tom@fieldops.test")
	for i := 0; i < 3; i++ {
		id := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{"type": "repair", "description": "job",
			"address": map[string]any{"line1": "1 Road", "city": "Northport", "region": "north"}}), http.StatusCreated, "create").JSON["id"].(string)
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", disp, map[string]any{}), http.StatusOK, "triage")
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"technician_id": tomID}), http.StatusOK, "assign")
	}
	all := mustStatus(t, env.Do(http.MethodGet, "/v1/notifications", tom, nil), http.StatusOK, "inbox").JSON["items"].([]any)
	if len(all) != 3 {
		t.Fatalf("tom has %d notifications, want 3", len(all))
	}
	firstID := all[2].(map[string]any)["id"].(string) // the oldest
	mustStatus(t, env.Do(http.MethodPost, "/v1/notifications/"+firstID+"/read", tom, nil), http.StatusOK, "read")

	var seen []string
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		r := mustStatus(t, env.Do(http.MethodGet, "/v1/notifications?limit=1&cursor="+cursor, tom, nil), http.StatusOK, "page")
		for _, it := range r.JSON["items"].([]any) {
			seen = append(seen, it.(map[string]any)["id"].(string))
		}
		if cursor, _ = r.JSON["next_cursor"].(string); cursor == "" {
			break
		}
	}
	if len(seen) != 3 || seen[2] != firstID {
		t.Fatalf("paged inbox %v: want 3 entries with the read one (%s) last", seen, firstID)
	}
	if r := env.Do(http.MethodGet, "/v1/notifications?cursor=bogus", tom, nil); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bogus cursor: %d", r.Status)
	}
}
