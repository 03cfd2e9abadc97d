package orders

import (
	"slices"
	"sort"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Action is a life-cycle step a caller asks for. Its value is the path of the
// route that performs it, relative to /v1/orders/{id}/ (the router builds the
// route from it), so `allowed_actions` names exactly the routes a client may
// call next. Event rows record the same value.
type Action string

// The actions of SPEC §3.
const (
	ActTriage        Action = "triage"
	ActAssign        Action = "assign"
	ActUnassign      Action = "unassign"
	ActAccept        Action = "accept"
	ActDecline       Action = "decline"
	ActAppointment   Action = "appointment"
	ActDepart        Action = "depart"
	ActArrive        Action = "arrive"
	ActQuote         Action = "quote"
	ActApprove       Action = "quote/approve"
	ActReject        Action = "quote/reject"
	ActStart         Action = "start"
	ActAwaitingParts Action = "awaiting-parts"
	ActComplete      Action = "complete"
	ActFollowUp      Action = "follow-ups"
	ActCancel        Action = "cancel"
	ActReopen        Action = "reopen"
)

// Who, besides role, an action requires of the caller.
const (
	anyInRole = iota
	assignee  // the technician currently assigned
	owner     // the order's customer
)

// step is one legal move: from which statuses, by which roles, to which status.
type step struct {
	from []Status
	to   Status
	by   map[string]int // role → relation required (anyInRole, assignee, owner)
}

var (
	staff        = map[string]int{auth.RoleDispatcher: anyInRole, auth.RoleManager: anyInRole}
	technicianOf = map[string]int{auth.RoleTechnician: assignee}
	customerOf   = map[string]int{auth.RoleCustomer: owner}
)

func join(ms ...map[string]int) map[string]int {
	out := map[string]int{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// transitions is THE life-cycle table: what is legal, from where, for whom.
// Customers may cancel until the technician is on the way; staff until on site.
var transitions = map[Action][]step{
	ActTriage:        {{from: []Status{StatusSubmitted, StatusTriaged}, to: StatusTriaged, by: staff}},
	ActAssign:        {{from: []Status{StatusTriaged, StatusAssigned, StatusAccepted, StatusScheduled}, to: StatusAssigned, by: staff}},
	ActUnassign:      {{from: []Status{StatusAssigned, StatusAccepted, StatusScheduled}, to: StatusTriaged, by: staff}},
	ActAccept:        {{from: []Status{StatusAssigned}, to: StatusAccepted, by: technicianOf}},
	ActDecline:       {{from: []Status{StatusAssigned}, to: StatusTriaged, by: technicianOf}},
	ActAppointment:   {{from: []Status{StatusAccepted, StatusScheduled, StatusAwaitingParts}, to: StatusScheduled, by: join(staff, technicianOf, customerOf)}},
	ActDepart:        {{from: []Status{StatusScheduled}, to: StatusEnRoute, by: technicianOf}},
	ActArrive:        {{from: []Status{StatusEnRoute}, to: StatusOnSite, by: technicianOf}},
	ActQuote:         {{from: []Status{StatusOnSite}, to: StatusAwaitingApproval, by: technicianOf}},
	ActApprove:       {{from: []Status{StatusAwaitingApproval}, to: StatusInProgress, by: customerOf}},
	ActReject:        {{from: []Status{StatusAwaitingApproval}, to: StatusCompleted, by: customerOf}},
	ActStart:         {{from: []Status{StatusOnSite}, to: StatusInProgress, by: technicianOf}},
	ActAwaitingParts: {{from: []Status{StatusInProgress}, to: StatusAwaitingParts, by: technicianOf}},
	ActComplete:      {{from: []Status{StatusInProgress}, to: StatusCompleted, by: technicianOf}},
	// a follow-up call closes the order; "not resolved" reopens it instead
	// and "not reached" leaves it completed (FollowUp decides)
	ActFollowUp: {{from: []Status{StatusCompleted}, to: StatusClosed, by: staff}},
	ActCancel: {
		{from: []Status{StatusSubmitted, StatusTriaged, StatusAssigned, StatusAccepted, StatusScheduled}, to: StatusCancelled, by: customerOf},
		{from: []Status{StatusSubmitted, StatusTriaged, StatusAssigned, StatusAccepted, StatusScheduled, StatusEnRoute}, to: StatusCancelled, by: staff},
	},
	ActReopen: {{from: []Status{StatusCompleted, StatusClosed}, to: StatusTriaged, by: join(staff, customerOf)}},
}

// Actions lists every life-cycle action, sorted: the closed set of
// allowed_actions values (the OpenAPI enum is checked against it).
func Actions() []Action {
	out := make([]Action, 0, len(transitions))
	for a := range transitions {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// EventRating is the event of a customer's rating (not a life-cycle step).
const EventRating = "rating"

// EventActions lists every value an event's action takes: create, update,
// rating and the life-cycle actions.
func EventActions() []string {
	out := []string{"create", "update", EventRating, EventSLABreached, EventParts}
	for _, a := range Actions() {
		out = append(out, string(a))
	}
	return out
}

// RolesFor lists the roles that may ever take an action (the router's policy
// for the action's route is built from it, so the two cannot disagree).
func RolesFor(a Action) []string {
	set := map[string]bool{}
	for _, s := range transitions[a] {
		for r := range s.by {
			set[r] = true
		}
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// relationOK reports whether the principal stands in the required relation to o.
func relationOK(rel int, p auth.Principal, o Order) bool {
	switch rel {
	case assignee:
		return o.TechnicianID != nil && *o.TechnicianID == p.UserID
	case owner:
		return o.CustomerID == p.UserID
	}
	return true
}

// next decides whether p may take action a on o, returning the new status.
// A wrong status is Conflict naming the current status and the actions the
// caller could take now; the right status but the wrong person (e.g. a
// technician the order was reassigned away from) is Conflict too.
func next(a Action, p auth.Principal, o Order) (Status, error) {
	roleMatched := false
	for _, s := range transitions[a] {
		rel, ok := s.by[p.Role]
		if !ok {
			continue
		}
		roleMatched = true
		if !slices.Contains(s.from, o.Status) {
			continue
		}
		if !relationOK(rel, p, o) {
			return "", &errs.Error{Kind: errs.Conflict, Message: "the order is assigned to another technician",
				Extra: map[string]any{"current_status": o.Status}}
		}
		return s.to, nil
	}
	if !roleMatched {
		return "", errs.E(errs.Forbidden, "your role may not %s orders", a)
	}
	allowed := Allowed(p, o)
	return "", &errs.Error{Kind: errs.Conflict,
		Message: "the action " + string(a) + " is not possible while the order is " + o.Status,
		Extra:   map[string]any{"current_status": o.Status, "allowed_actions": allowed}}
}

// Allowed lists the actions p may take on o now.
func Allowed(p auth.Principal, o Order) []string {
	out := []string{}
	for a, steps := range transitions {
		for _, s := range steps {
			if rel, ok := s.by[p.Role]; ok && slices.Contains(s.from, o.Status) && relationOK(rel, p, o) {
				out = append(out, string(a))
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
