package orders

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Audience says who may read an order event (SPEC §8). Staff in the order's
// scope read every event; the others read the events of their audience,
// each with the payload keys the event table below gives them.
type Audience = string

// The audiences.
const (
	// AudienceAll: staff, the order's customer and the technicians of the
	// event's visit.
	AudienceAll Audience = "all"
	// AudienceCustomer: staff and the order's customer (e.g. a rating: the
	// technician does not read the verdict on their work).
	AudienceCustomer Audience = "customer"
	// AudienceVisit: staff and the technicians of the event's visit, not the
	// customer (e.g. a technician taken off the job).
	AudienceVisit Audience = "visit"
	// AudienceStaff: internal (e.g. a technician's decline and its reason).
	AudienceStaff Audience = "staff"
)

// Audiences are every audience, widest first.
var Audiences = []Audience{AudienceAll, AudienceCustomer, AudienceVisit, AudienceStaff}

// eventView is who reads an event of one action and which payload keys the
// customer and the technician get. Staff get every key; a key not listed is
// internal, so a new payload key stays with staff until it is added here.
type eventView struct {
	audience   Audience
	customer   []string
	technician []string
}

// eventViews is THE table of event audiences, one row per event action
// (like the life-cycle table in lifecycle.go). Internal by design: triage
// notes, dispatch reasoning and earlier technicians (assign's reason and
// previous_technician_id), decline and unassign reasons, follow-up answers,
// a rating's complaint_id, the technician's check-in position (customers).
var eventViews = map[string]eventView{
	"create": {AudienceAll, []string{"number", "channel", "priority", "in_warranty"},
		[]string{"number", "channel", "priority", "in_warranty"}},
	// the technician reads the address on the order while they may (parties.go)
	"update":                 {AudienceAll, []string{"description", "address", "preferred_windows"}, []string{"description", "preferred_windows"}},
	string(ActTriage):        {AudienceAll, []string{"priority", "type"}, []string{"priority", "type", "region"}},
	string(ActAssign):        {AudienceAll, nil, []string{"technician_id", "auto"}},
	string(ActUnassign):      {AudienceVisit, nil, nil},
	string(ActAccept):        {AudienceAll, nil, nil},
	string(ActDecline):       {AudienceStaff, nil, nil},
	string(ActAppointment):   {AudienceAll, appointmentKeys, appointmentKeys},
	string(ActDepart):        {AudienceAll, departKeys, departKeys}, // an early departure's reason is for the customer
	string(ActArrive):        {AudienceAll, nil, []string{"lat", "lng", "distance_m"}},
	string(ActQuote):         {AudienceAll, quoteKeys, quoteKeys},
	string(ActApprove):       {AudienceAll, []string{"amount_due"}, []string{"amount_due"}},
	string(ActReject):        {AudienceAll, []string{"reason"}, []string{"reason"}},
	string(ActStart):         {AudienceAll, []string{"in_warranty", "charge"}, []string{"in_warranty", "charge"}},
	string(ActAwaitingParts): {AudienceAll, []string{"note"}, []string{"note"}},
	string(ActComplete):      {AudienceAll, []string{"visit", "fixed", "report_hash"}, []string{"visit", "fixed", "report_hash"}},
	string(ActFollowUp):      {AudienceAll, nil, nil}, // the call's answers are staff's
	string(ActCancel):        {AudienceAll, []string{"reason"}, []string{"reason"}},
	string(ActReopen):        {AudienceAll, []string{"reason", "visit_count"}, []string{"reason", "visit_count"}},
	EventParts:               {AudienceAll, partKeys, append([]string{"serials", "location_id"}, partKeys...)},
	EventRating:              {AudienceCustomer, []string{"score", "timeliness", "attitude", "quality"}, nil},
	EventSLABreached:         {AudienceStaff, nil, nil}, // written by the sweep (sla_sweep.go)
}

var (
	appointmentKeys = []string{"start", "end", "previous_start", "previous_end", "reason", "visit"}
	quoteKeys       = []string{"items", "amount_due", "currency"}
	partKeys        = []string{"kind", "part_id", "sku", "qty", "amount", "covered"}
	departKeys      = []string{"reason", "early", "appointment_start"}
)

// audienceOf is the audience of an event action; an action missing from the
// table is internal.
func audienceOf(action string) Audience {
	if v, ok := eventViews[action]; ok {
		return v.audience
	}
	return AudienceStaff
}

// eventTechnician is the technician an event belongs to: the order's
// technician after the change, or, when the change took the technician off
// (decline, unassign), the one taken off. A new visit (reopen, a follow-up
// "not resolved") belongs to nobody until dispatched.
func eventTechnician(action string, before, after *uuid.UUID) *uuid.UUID {
	if after != nil {
		return after
	}
	if action == string(ActDecline) || action == string(ActUnassign) {
		return before
	}
	return nil
}

// isStaff reports whether p reads every event of the orders in their scope.
func isStaff(p auth.Principal) bool {
	return p.Role == auth.RoleDispatcher || p.Role == auth.RoleManager
}

// eventFilter is which events of an order a reader gets (store.events
// applies it in SQL so that pages stay full).
type eventFilter struct {
	audiences  []Audience // nil: every event (staff)
	technician *uuid.UUID // a technician: the events they hold, or held by nobody in visits they worked
	visits     []int      // the visits the technician worked on (accepted, or holds now)
}

// forReader returns e as p may read it: the payload reduced to p's keys.
// The event must already have passed p's eventFilter.
func forReader(p auth.Principal, e Event) Event {
	if isStaff(p) {
		return e
	}
	v := eventViews[e.Action]
	keys := v.customer
	if p.Role == auth.RoleTechnician {
		keys = v.technician
	}
	out := JSON{}
	for k, val := range e.Payload {
		if slices.Contains(keys, k) {
			out[k] = val
		}
	}
	e.Payload = out
	return e
}

// eventFilterFor is which events of o p reads: staff every one, the customer
// those for everyone or for the customer, a technician those for everyone or
// for the visit that they hold (or held), or that nobody held in a visit
// they worked on (accepted, or hold now).
func (s *Service) eventFilterFor(ctx context.Context, p auth.Principal, o Order) (eventFilter, error) {
	switch {
	case isStaff(p):
		return eventFilter{}, nil
	case p.Role == auth.RoleCustomer:
		return eventFilter{audiences: []Audience{AudienceAll, AudienceCustomer}}, nil
	case p.Role == auth.RoleTechnician:
		visits, err := s.st.workedVisits(ctx, o.ID, p.UserID)
		if err != nil {
			return eventFilter{}, err
		}
		if o.TechnicianID != nil && *o.TechnicianID == p.UserID {
			visits = append(visits, o.VisitCount)
		}
		return eventFilter{audiences: []Audience{AudienceAll, AudienceVisit}, technician: &p.UserID, visits: visits}, nil
	}
	return eventFilter{}, errs.NotFoundf("order")
}
