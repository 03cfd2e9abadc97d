package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// pagingWalk follows next_cursor from path (which has a query) with the given
// page size until it is null, and returns every item and the page count.
func pagingWalk(t *testing.T, w *accWorld, email, path string, limit int) ([]map[string]any, int) {
	t.Helper()
	var all []map[string]any
	cursor := ""
	for pages := 1; pages <= 50; pages++ {
		p := path + "&limit=" + strconv.Itoa(limit)
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		r := mustStatus(t, w.do(t, http.MethodGet, p, email, nil), http.StatusOK, "page")
		items := r.Items(t)
		if len(items) > limit {
			t.Fatalf("page %d has %d items, limit %d", pages, len(items), limit)
		}
		all = append(all, items...)
		next, isString := r.JSON["next_cursor"].(string)
		if r.JSON["next_cursor"] == nil {
			return all, pages
		}
		if !isString || next == "" || len(items) != limit {
			t.Fatalf("page %d: next_cursor %v with %d items", pages, r.JSON["next_cursor"], len(items))
		}
		cursor = next
	}
	t.Fatal("more than 50 pages")
	return nil, 0
}

func TestOrderEventsAndSlotsArePaginated(t *testing.T) {
	w := accNewWorld(t)
	id := w.aliceOrder(t) // create, triage, assign: 3 events
	w.driveTo(t, id, accTom, "on_site")

	t.Run("the timeline in pages of two, oldest first, each event once", func(t *testing.T) {
		whole := mustStatus(t, w.do(t, http.MethodGet, "/v1/orders/"+id+"/events", accAlice, nil), http.StatusOK, "events").Items(t)
		if len(whole) != 7 {
			t.Fatalf("%d events, want create, triage, assign, accept, appointment, depart, arrive", len(whole))
		}
		paged, pages := pagingWalk(t, w, accAlice, "/v1/orders/"+id+"/events?x=1", 2)
		if pages != 4 {
			t.Errorf("%d pages of 2 for 7 events, want 4", pages)
		}
		var got, want []any
		for i := range whole {
			want = append(want, whole[i]["id"])
		}
		for _, e := range paged {
			got = append(got, e["id"])
		}
		if !slices.Equal(got, want) {
			t.Errorf("paged timeline %v, want %v", got, want)
		}
	})

	t.Run("free slots in pages, in time order, the same windows as one page", func(t *testing.T) {
		other := w.submit(t, accBob, map[string]any{"type": "repair", "description": "AC rattles",
			"asset_id": w.asset(t, accBob, "AC9-DEMO-0002"), "address": accBobAddress()})
		path := "/v1/orders/" + other + "/slots?days=3"
		whole := mustStatus(t, w.do(t, http.MethodGet, path, accBob, nil), http.StatusOK, "slots").Items(t)
		if len(whole) < 5 {
			t.Fatalf("only %d free slots in 3 days", len(whole))
		}
		paged, _ := pagingWalk(t, w, accBob, path, 4)
		var got, want []any
		for _, s := range whole {
			want = append(want, s["start"])
		}
		for _, s := range paged {
			got = append(got, s["start"])
		}
		if !slices.Equal(got, want) {
			t.Errorf("paged slots %v, want %v", got, want)
		}
	})

	t.Run("a foreign cursor is 422 naming cursor", func(t *testing.T) {
		for _, p := range []string{"/events", "/slots"} {
			r := w.do(t, http.MethodGet, "/v1/orders/"+id+p+"?cursor=not-a-cursor", accAlice, nil)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Raw), `"field":"cursor"`) {
				t.Errorf("%s with a bad cursor: %d %s", p, r.Status, r.Raw)
			}
		}
	})
}
