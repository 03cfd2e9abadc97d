package orders

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/auth"
)

// TestEveryEventActionHasAnAudience: the audience table has a row for every
// event action, so a new action decides who reads it.
func TestEveryEventActionHasAnAudience(t *testing.T) {
	for _, a := range EventActions() {
		v, ok := eventViews[a]
		if !ok {
			t.Errorf("event action %q has no row in eventViews", a)
			continue
		}
		if !slices.Contains(Audiences, v.audience) {
			t.Errorf("%s: unknown audience %q", a, v.audience)
		}
	}
	if audienceOf("something-new") != AudienceStaff {
		t.Error("an action missing from the table is not internal")
	}
}

// TestForReaderReducesPayloads: staff read every key, customers and
// technicians only theirs (a rating's complaint_id stays with staff).
func TestForReaderReducesPayloads(t *testing.T) {
	e := Event{Action: EventRating, Payload: JSON{"score": 1, "complaint_id": uuid.New()}}
	customer := forReader(auth.Principal{Role: auth.RoleCustomer}, e)
	if _, ok := customer.Payload["complaint_id"]; ok || customer.Payload["score"] != 1 {
		t.Errorf("customer's rating payload: %v", customer.Payload)
	}
	if staff := forReader(auth.Principal{Role: auth.RoleManager}, e); len(staff.Payload) != 2 {
		t.Errorf("staff's rating payload: %v", staff.Payload)
	}
	tri := Event{Action: string(ActTriage), Payload: JSON{"notes": "internal", "priority": "P2", "region": "north"}}
	if p := forReader(auth.Principal{Role: auth.RoleTechnician}, tri).Payload; p["notes"] != nil || p["region"] != "north" {
		t.Errorf("technician's triage payload: %v", p)
	}
	if p := forReader(auth.Principal{Role: auth.RoleCustomer}, tri).Payload; p["notes"] != nil || p["region"] != nil || p["priority"] != "P2" {
		t.Errorf("customer's triage payload: %v", p)
	}
}

// TestEventTechnician: an event belongs to the order's technician after it,
// or to the one a decline or unassign took off.
func TestEventTechnician(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	if got := eventTechnician(string(ActAssign), &a, &b); got != &b {
		t.Errorf("assign: %v", got)
	}
	if got := eventTechnician(string(ActDecline), &a, nil); got != &a {
		t.Errorf("decline: %v", got)
	}
	if got := eventTechnician(string(ActReopen), &a, nil); got != nil {
		t.Errorf("reopen: %v", got)
	}
}
