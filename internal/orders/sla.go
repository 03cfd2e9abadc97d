package orders

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/workcal"
)

// SLA clocks (issue 11 item 1). A policy per order type × priority gives the
// first-response, on-site and resolution targets in minutes, counted in wall
// time or in working time of the order region's working calendar
// (CalendarOf). The due times are stored on the order at intake and
// recomputed from the creation time when triage changes the type or the
// priority; they are the truth the breach sweep (sla_sweep.go) and the KPIs
// compare against. The resolution clock pauses while the order is
// awaiting_parts or awaiting_approval: leaving those statuses pushes
// resolution_due by the paused span (working time for working policies).
//
// Milestones (one definition for SLA marking and KPIs): first response is met
// at the first order event after `create` whose actor role is dispatcher,
// manager or technician (any action); on site at the first `arrive` event;
// resolution at the first `complete` event.

// The policy clocks.
const (
	SLAClockWall    = "wall"
	SLAClockWorking = "working"
)

// SLAClocks are the policy clocks.
var SLAClocks = []string{SLAClockWall, SLAClockWorking}

// The SLA milestones, as stored in orders.sla_breached.
const (
	MilestoneFirstResponse = "first_response"
	MilestoneOnSite        = "on_site"
	MilestoneResolution    = "resolution"
)

// Milestones are the SLA milestones in order.
var Milestones = []string{MilestoneFirstResponse, MilestoneOnSite, MilestoneResolution}

// MaxSLAMinutes bounds a target (one year).
const MaxSLAMinutes = 525_600

// slaPaused are the statuses in which the resolution clock stands still.
var slaPaused = []Status{StatusAwaitingParts, StatusAwaitingApproval}

// respondsFirst are the roles whose action meets the first response.
var respondsFirst = []string{auth.RoleDispatcher, auth.RoleManager, auth.RoleTechnician}

// policyCalendar is the working calendar a working-time policy counts in
// (the order region's); nil for wall-clock policies.
func policyCalendar(ctx context.Context, db *gorm.DB, pol SLAPolicy, region string) (*workcal.Calendar, error) {
	if pol.Clock != SLAClockWorking {
		return nil, nil
	}
	cal, err := CalendarOf(ctx, db, region)
	if err != nil {
		return nil, err
	}
	return &cal, nil
}

// dueAfter is minutes after t: wall-clock minutes, or working minutes of cal.
func dueAfter(t time.Time, minutes int, cal *workcal.Calendar) time.Time {
	d := time.Duration(minutes) * time.Minute
	if cal == nil {
		return t.Add(d)
	}
	return cal.AddWorking(t, d).UTC()
}

// pushBy is due moved later by the span [from, to): wall time, or the
// working time of that span counted on from due in cal.
func pushBy(due, from, to time.Time, cal *workcal.Calendar) time.Time {
	if cal == nil {
		return due.Add(max(to.Sub(from), 0))
	}
	return cal.AddWorking(due, cal.WorkingBetween(from, to)).UTC()
}

// slaOnChange keeps the SLA facts of an order in step with a change: the
// first staff action (not the creation) meets the first response, entering
// a paused status starts the pause, leaving it pushes resolution_due, and a
// new visit (no follow-up due) makes the next follow-up reminder possible.
func slaOnChange(c *change, action string) error {
	o := c.o
	if o.FirstRespondedAt == nil && action != "create" && slices.Contains(respondsFirst, c.p.Role) {
		t := c.now
		o.FirstRespondedAt = &t
	}
	if o.FollowUpDueAt == nil {
		o.FollowUpNotifiedAt = nil
	}
	was, is := slices.Contains(slaPaused, c.from), slices.Contains(slaPaused, o.Status)
	switch {
	case !was && is:
		t := c.now
		o.SLAPausedAt = &t
	case was && !is && o.SLAPausedAt != nil:
		pol, err := c.st.policy(c.ctx, o.Type, o.Priority)
		if err != nil {
			return err
		}
		cal, err := policyCalendar(c.ctx, c.st.db, pol, o.Region)
		if err != nil {
			return err
		}
		o.ResolutionDue = pushBy(o.ResolutionDue, *o.SLAPausedAt, c.now, cal)
		o.SLAPausedAt = nil
	}
	return nil
}

// SLAPolicyInput is one policy of PUT /v1/sla-policies.
type SLAPolicyInput struct {
	OrderType, Priority  string
	FirstResponseMinutes int
	OnSiteMinutes        *int // nil: by appointment
	ResolutionMinutes    int
	Clock                string
}

// SLAPolicies lists every policy, by type then priority (managers only:
// Forbidden otherwise).
func (s *Service) SLAPolicies(ctx context.Context, p auth.Principal) ([]SLAPolicy, error) {
	if p.Role != auth.RoleManager {
		return nil, errs.E(errs.Forbidden, "only managers read SLA policies")
	}
	out, err := s.st.slaPolicies(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b SLAPolicy) int { // the documented type order
		return slices.Index(Types, a.OrderType) - slices.Index(Types, b.OrderType)
	})
	return out, nil
}

// PutSLAPolicies creates or replaces the given policies (type × priority) in
// one transaction and returns every policy. They apply to orders created or
// re-prioritised afterwards; due times already stored stay. Invalid names the
// field (policies[i].x); Forbidden for non-managers.
func (s *Service) PutSLAPolicies(ctx context.Context, p auth.Principal, in []SLAPolicyInput) ([]SLAPolicy, error) {
	if p.Role != auth.RoleManager {
		return nil, errs.E(errs.Forbidden, "only managers change SLA policies")
	}
	if err := checkPolicies(in); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	err := database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		for _, pi := range in {
			if err := s.st.tx(tx).putSLAPolicy(ctx, pi, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.SLAPolicies(ctx, p)
}

func checkPolicies(in []SLAPolicyInput) error {
	var fe []errs.FieldError
	if len(in) == 0 {
		return errs.Field("policies", "must name at least one policy")
	}
	if len(in) > len(Types)*len(Priorities) {
		return errs.Field("policies", fmt.Sprintf("must have at most %d entries (one per type × priority)", len(Types)*len(Priorities)))
	}
	seen := map[string]int{}
	minutes := func(f string, v int) {
		if v < 1 || v > MaxSLAMinutes {
			fe = append(fe, errs.FieldError{Field: f, Message: fmt.Sprintf("must be between 1 and %d minutes", MaxSLAMinutes)})
		}
	}
	for i, pi := range in {
		at := func(f string) string { return fmt.Sprintf("policies[%d].%s", i, f) }
		if !slices.Contains(Types, pi.OrderType) {
			fe = append(fe, errs.FieldError{Field: at("order_type"), Message: "must be one of " + strings.Join(Types, ", ")})
		}
		if !slices.Contains(Priorities, pi.Priority) {
			fe = append(fe, errs.FieldError{Field: at("priority"), Message: "must be one of P1, P2, P3, P4"})
		}
		if !slices.Contains(SLAClocks, pi.Clock) {
			fe = append(fe, errs.FieldError{Field: at("clock"), Message: "must be wall or working"})
		}
		minutes(at("first_response_minutes"), pi.FirstResponseMinutes)
		minutes(at("resolution_minutes"), pi.ResolutionMinutes)
		if pi.OnSiteMinutes != nil {
			minutes(at("on_site_minutes"), *pi.OnSiteMinutes)
		}
		key := pi.OrderType + "/" + pi.Priority
		if j, dup := seen[key]; dup {
			fe = append(fe, errs.FieldError{Field: at("priority"), Message: fmt.Sprintf("repeats policies[%d] (%s)", j, key)})
		}
		seen[key] = i
	}
	return errs.Fields(fe)
}
