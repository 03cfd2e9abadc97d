package orders

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

func TestTransitionTable(t *testing.T) {
	tech, other, cust := uuid.New(), uuid.New(), uuid.New()
	order := func(status Status) Order { return Order{Status: status, TechnicianID: &tech, CustomerID: cust} }
	as := func(role string, id uuid.UUID) auth.Principal { return auth.Principal{UserID: id, Role: role} }
	staff := as(auth.RoleDispatcher, uuid.New())
	cases := []struct {
		name     string
		action   Action
		p        auth.Principal
		status   Status
		wantTo   Status
		wantKind errs.Kind // "" = allowed
	}{
		{"staff triage a submitted order", ActTriage, staff, StatusSubmitted, StatusTriaged, ""},
		{"the assigned technician accepts", ActAccept, as(auth.RoleTechnician, tech), StatusAssigned, StatusAccepted, ""},
		{"another technician cannot accept", ActAccept, as(auth.RoleTechnician, other), StatusAssigned, "", errs.Conflict},
		{"accepting twice is a conflict", ActAccept, as(auth.RoleTechnician, tech), StatusAccepted, "", errs.Conflict},
		{"a customer may not accept", ActAccept, as(auth.RoleCustomer, cust), StatusAssigned, "", errs.Forbidden},
		{"decline goes back to triage", ActDecline, as(auth.RoleTechnician, tech), StatusAssigned, StatusTriaged, ""},
		{"the owner books after acceptance", ActAppointment, as(auth.RoleCustomer, cust), StatusAccepted, StatusScheduled, ""},
		{"another customer cannot book", ActAppointment, as(auth.RoleCustomer, other), StatusAccepted, "", errs.Conflict},
		{"a new visit after parts arrived", ActAppointment, staff, StatusAwaitingParts, StatusScheduled, ""},
		{"depart only when scheduled", ActDepart, as(auth.RoleTechnician, tech), StatusAccepted, "", errs.Conflict},
		{"arrive after departing", ActArrive, as(auth.RoleTechnician, tech), StatusEnRoute, StatusOnSite, ""},
		{"quote on site", ActQuote, as(auth.RoleTechnician, tech), StatusOnSite, StatusAwaitingApproval, ""},
		{"the owner approves", ActApprove, as(auth.RoleCustomer, cust), StatusAwaitingApproval, StatusInProgress, ""},
		{"staff cannot approve for the customer", ActApprove, staff, StatusAwaitingApproval, "", errs.Forbidden},
		{"rejecting ends the visit", ActReject, as(auth.RoleCustomer, cust), StatusAwaitingApproval, StatusCompleted, ""},
		{"start on site", ActStart, as(auth.RoleTechnician, tech), StatusOnSite, StatusInProgress, ""},
		{"parts missing while in progress", ActAwaitingParts, as(auth.RoleTechnician, tech), StatusInProgress, StatusAwaitingParts, ""},
		{"a customer cancels a scheduled order", ActCancel, as(auth.RoleCustomer, cust), StatusScheduled, StatusCancelled, ""},
		{"a customer cannot cancel en route", ActCancel, as(auth.RoleCustomer, cust), StatusEnRoute, "", errs.Conflict},
		{"staff cancel en route", ActCancel, staff, StatusEnRoute, StatusCancelled, ""},
		{"nobody cancels on site", ActCancel, staff, StatusOnSite, "", errs.Conflict},
		{"reopen a completed order", ActReopen, as(auth.RoleCustomer, cust), StatusCompleted, StatusTriaged, ""},
		{"reopen is not for open orders", ActReopen, staff, StatusInProgress, "", errs.Conflict},
		{"staff unassign a scheduled order", ActUnassign, staff, StatusScheduled, StatusTriaged, ""},
		{"reassign an accepted order", ActAssign, staff, StatusAccepted, StatusAssigned, ""},
		{"no assigning a submitted order before triage", ActAssign, staff, StatusSubmitted, "", errs.Conflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			to, err := next(c.action, c.p, order(c.status))
			if c.wantKind == "" {
				if err != nil || to != c.wantTo {
					t.Fatalf("next = %q, %v; want %q", to, err, c.wantTo)
				}
				return
			}
			if !errs.Is(err, c.wantKind) {
				t.Fatalf("next = %q, %v; want a %s error", to, err, c.wantKind)
			}
		})
	}
}

func TestIllegalMoveNamesCurrentStatusAndAllowedActions(t *testing.T) {
	tech := uuid.New()
	o := Order{Status: StatusAssigned, TechnicianID: &tech}
	_, err := next(ActDepart, auth.Principal{UserID: tech, Role: auth.RoleTechnician}, o)
	var e *errs.Error
	if !errsAs(err, &e) || e.Extra["current_status"] != StatusAssigned {
		t.Fatalf("err = %v", err)
	}
	if got := e.Extra["allowed_actions"].([]string); !slices.Equal(got, []string{"accept", "decline"}) {
		t.Fatalf("allowed_actions = %v, want [accept decline]", got)
	}
}

func TestRolesForMatchesTheTable(t *testing.T) {
	for a, want := range map[Action][]string{
		ActAccept:      {auth.RoleTechnician},
		ActAppointment: {auth.RoleCustomer, auth.RoleDispatcher, auth.RoleManager, auth.RoleTechnician},
		ActCancel:      {auth.RoleCustomer, auth.RoleDispatcher, auth.RoleManager},
		ActApprove:     {auth.RoleCustomer},
	} {
		slices.Sort(want)
		if got := RolesFor(a); !slices.Equal(got, want) {
			t.Errorf("RolesFor(%s) = %v, want %v", a, got, want)
		}
	}
}

func TestChargesInAndOutOfWarranty(t *testing.T) {
	o := Order{Currency: Currency, QuoteItems: QuoteItems{
		{Kind: "part", Qty: 2, UnitPrice: 1000, Covered: true, Amount: 0},
		{Kind: "labour", Qty: 1, UnitPrice: 5000, Amount: 5000},
		{Kind: "fee", Qty: 1, UnitPrice: 300, Amount: 300},
	}}
	c := o.Charges()
	if c.Parts != 0 || c.Labour != 5000 || c.Fees != 300 || c.Covered != 2000 || c.AmountDue != 5300 || c.Currency != "CNY" {
		t.Fatalf("charges = %+v", c)
	}
}

func errsAs(err error, target **errs.Error) bool {
	e, ok := err.(*errs.Error)
	if ok {
		*target = e
	}
	return ok
}
