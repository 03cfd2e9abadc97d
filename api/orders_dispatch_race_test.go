package api_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/identity"
)

// Concurrent auto-assigns must not push a technician past daily capacity:
// three west technicians with capacity 1 take exactly three of ten orders.
func TestConcurrentAutoAssignRespectsCapacity(t *testing.T) {
	env := apitest.New(t)
	ctx := context.Background()
	one := 1
	on := true
	for i := 0; i < 3; i++ {
		u, err := env.Identity.CreateStaff(ctx, identity.StaffInput{Role: identity.RoleTechnician, Name: fmt.Sprintf("West %d", i),
			Email: fmt.Sprintf("west%d@fieldops.test", i), Password: "a-long-password", Regions: []string{"west"},
			Skills: []string{"repair"}, DailyCapacity: &one})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Identity.UpdateUser(ctx, u.ID, identity.UserPatch{OnDuty: &on}); err != nil {
			t.Fatal(err)
		}
	}
	alice, disp := env.Token("alice@example.com"), env.Token("dispatcher@fieldops.test")
	var ids []string
	for i := 0; i < 10; i++ {
		r := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{"type": "repair", "description": fmt.Sprintf("west job %d", i),
			"address": map[string]any{"line1": "1 West Street", "city": "Westville", "region": "west"}}), http.StatusCreated, "create")
		id := r.JSON["id"].(string)
		mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", disp, map[string]any{}), http.StatusOK, "triage")
		ids = append(ids, id)
	}
	statuses := make([]int, len(ids))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, id := range ids {
		wg.Add(1)
		go func(i int, id string) {
			defer wg.Done()
			<-start
			statuses[i] = env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp, map[string]any{"auto": true}).Status
		}(i, id)
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusOK] != 3 || count[http.StatusConflict] != 7 {
		t.Fatalf("auto-assign statuses %v: want 3 × 200 and 7 × 409 (capacity)", count)
	}
	var perTech []int64
	if err := env.DB.Raw(`SELECT count(*) FROM orders WHERE region = 'west' AND technician_id IS NOT NULL GROUP BY technician_id`).Scan(&perTech).Error; err != nil {
		t.Fatal(err)
	}
	if len(perTech) != 3 {
		t.Fatalf("jobs per technician %v: want one each for three technicians", perTech)
	}
	for _, n := range perTech {
		if n != 1 {
			t.Fatalf("jobs per technician %v: a technician is past capacity 1", perTech)
		}
	}
}
