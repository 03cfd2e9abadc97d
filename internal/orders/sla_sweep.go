package orders

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/jobs"
	"github.com/fieldops/fieldops/internal/platform/outbox"
)

// The breach sweep (issue 11 item 2): a periodic job that marks each
// milestone past due and not met, once per order and milestone, and tells
// staff about follow-up calls that became due, once per visit.

// EventSLABreached is the order event of a breached milestone (staff only).
const EventSLABreached = "sla.breached"

// The notification kinds of the sweep.
const (
	NotifySLABreached = "sla_breached"
	NotifyFollowUpDue = "follow_up_due"
)

// SweepBatch is how many orders one statement of the sweep picks per
// milestone; the sweep repeats until fewer are due.
const SweepBatch = 200

// FollowUpLookback bounds the follow-up reminders to calls that became due
// within it: the first sweep after an upgrade (or a long outage) does not
// remind staff of every old completed order; the staff list
// (GET /v1/orders?follow_up_due=true) still shows them.
const FollowUpLookback = 7 * 24 * time.Hour

// sweepOpen are the statuses the breach sweep looks at.
const sweepOpen = `o.status NOT IN ('completed', 'closed', 'cancelled')`

// milestoneSweep is how one milestone is found and checked: open is the
// predicate of its partial index (migration 000015), repeated verbatim so
// the planner uses it; met is the milestone's definition on the order events.
type milestoneSweep struct {
	name, due, open, met string
}

var milestoneSweeps = []milestoneSweep{
	{MilestoneFirstResponse, "first_response_due",
		`o.first_responded_at IS NULL AND NOT ('first_response' = ANY (o.sla_breached)) AND ` + sweepOpen,
		`EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.action <> 'create'
		  AND e.actor_role IN ('dispatcher', 'manager', 'technician'))`},
	{MilestoneOnSite, "on_site_due",
		`o.arrived_at IS NULL AND o.on_site_due IS NOT NULL AND NOT ('on_site' = ANY (o.sla_breached)) AND ` + sweepOpen,
		`EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.action = 'arrive')`},
	{MilestoneResolution, "resolution_due",
		`o.completed_at IS NULL AND NOT ('resolution' = ANY (o.sla_breached))
		  AND o.status NOT IN ('completed', 'closed', 'cancelled', 'awaiting_parts', 'awaiting_approval')`,
		`EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.action = 'complete')`},
}

// RegisterJobs adds the orders' periodic jobs: the SLA breach sweep and the
// follow-up reminders, every minute. A run left "running" by a killed
// process holds them back at most SweepRecoverAfter (jobs.Periodic.RecoverAfter).
func (s *Service) RegisterJobs(reg *jobs.Registry) {
	reg.AddPeriodic(jobs.Periodic{Name: "sla.breaches", Interval: time.Minute, RecoverAfter: SweepRecoverAfter, Run: s.SweepSLA})
	reg.AddPeriodic(jobs.Periodic{Name: "orders.follow_ups_due", Interval: time.Minute, RecoverAfter: SweepRecoverAfter, Run: s.SweepFollowUps})
}

// SweepRecoverAfter bounds how long a sweep killed mid-run delays the next.
const SweepRecoverAfter = 5 * time.Minute

// SLABreachedEventData is the data of sla.breached integration events
// (SPEC §6, outbox.SLABreached), with the API's field names.
type SLABreachedEventData struct {
	OrderID      uuid.UUID  `json:"order_id"`
	OrderNumber  string     `json:"order_number"`
	ExternalRef  *string    `json:"external_ref"` // null when the order has none
	TechnicianID *uuid.UUID `json:"technician_id"`
	ProviderID   *uuid.UUID `json:"provider_id"`
	Milestone    string     `json:"milestone"` // first_response, on_site or resolution
	DueAt        time.Time  `json:"due_at"`
	BreachedAt   time.Time  `json:"breached_at"` // when the sweep found it (at or after due_at)
	Priority     string     `json:"priority"`
	Type         string     `json:"type"`
	Region       string     `json:"region"`
	Status       Status     `json:"status"`
	Visit        int        `json:"visit"`
}

// breachRow is what marking a breach reads back.
type breachRow struct {
	ID           uuid.UUID
	Number       string
	ProviderID   *uuid.UUID
	TechnicianID *uuid.UUID
	ExternalRef  string
	VisitCount   int
	DueAt        time.Time
	Priority     string
	Type         string
	Region       string
	Status       Status
}

// SweepSLA marks every milestone due by the service clock's now and not met
// and returns how many it marked. Each breach is one transaction: a
// conditional UPDATE appends the milestone to sla_breached only while it is
// still unmarked, unmet and due (so of two sweeps at once, one marks it and
// the other finds nothing), then the sla.breached event, a notification to
// each dispatcher who sees the order and the outbox event.
func (s *Service) SweepSLA(ctx context.Context) (int, error) {
	now := s.clock.Now()
	marked := 0
	for _, m := range milestoneSweeps {
		for {
			due, err := s.st.dueBreaches(ctx, m, now, SweepBatch)
			if err != nil {
				return marked, err
			}
			for _, id := range due {
				ok, err := s.markBreach(ctx, m, id, now)
				if err != nil {
					return marked, err
				}
				if ok {
					marked++
				}
			}
			if len(due) < SweepBatch {
				break
			}
		}
	}
	return marked, nil
}

// markBreach marks milestone m of order id breached as of now; false when
// another sweep did, or the order no longer qualifies.
func (s *Service) markBreach(ctx context.Context, m milestoneSweep, id uuid.UUID, now time.Time) (bool, error) {
	var done bool
	err := database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		st := s.st.tx(tx)
		b, ok, err := st.markBreached(ctx, m, id, now)
		if err != nil || !ok {
			return err
		}
		due := b.DueAt.UTC()
		if err := st.addEvent(ctx, &Event{ID: ids.New(), OrderID: b.ID, Action: EventSLABreached, ActorRole: "system",
			FromStatus: b.Status, ToStatus: b.Status, Payload: JSON{"milestone": m.name, "due_at": due}, CreatedAt: now, Audience: audienceOf(EventSLABreached),
			Visit: b.VisitCount}); err != nil {
			return err
		}
		if err := s.notifyDispatchers(ctx, st, b.ID, b.ProviderID, NotifySLABreached, now,
			"SLA breached: "+b.Number, "The "+milestoneWords[m.name]+" of "+b.Number+" was due "+due.Format(time.RFC3339)+" and is not met."); err != nil {
			return err
		}
		data := SLABreachedEventData{OrderID: b.ID, OrderNumber: b.Number, TechnicianID: b.TechnicianID, ProviderID: b.ProviderID,
			Milestone: m.name, DueAt: due, BreachedAt: now.UTC(), Priority: b.Priority, Type: b.Type, Region: b.Region,
			Status: b.Status, Visit: b.VisitCount}
		if b.ExternalRef != "" {
			data.ExternalRef = &b.ExternalRef
		}
		if _, err := outbox.Write(ctx, tx, outbox.SLABreached, &b.ID, b.ProviderID, now, data); err != nil {
			return err
		}
		done = true
		return nil
	})
	return done, err
}

var milestoneWords = map[string]string{MilestoneFirstResponse: "first response", MilestoneOnSite: "arrival on site",
	MilestoneResolution: "resolution"}

// notifyDispatchers writes a notification to every active dispatcher who
// sees the order: the in-house team's, and the partner's when a partner
// holds the order (providerID).
func (s *Service) notifyDispatchers(ctx context.Context, st store, order uuid.UUID, providerID *uuid.UUID, kind string, now time.Time, title, body string) error {
	users, err := st.dispatchersOf(ctx, providerID)
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := st.notify(ctx, &Notification{ID: ids.New(), UserID: u, Kind: kind, OrderID: &order, Title: title,
			Body: body, CreatedAt: now}); err != nil {
			return err
		}
	}
	return nil
}

// SweepFollowUps tells the dispatchers who see a completed order that its
// follow-up call is due (follow_up_due_at reached within FollowUpLookback),
// once per visit: a conditional UPDATE of follow_up_notified_at guards it. It
// returns how many orders it reminded about.
func (s *Service) SweepFollowUps(ctx context.Context) (int, error) {
	now := s.clock.Now()
	n := 0
	for {
		due, err := s.st.dueFollowUps(ctx, now, now.Add(-FollowUpLookback), SweepBatch)
		if err != nil {
			return n, err
		}
		for _, id := range due {
			reminded := false
			err := database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
				st := s.st.tx(tx)
				b, ok, err := st.markFollowUpNotified(ctx, id, now)
				if err != nil || !ok {
					return err
				}
				reminded = true
				return s.notifyDispatchers(ctx, st, b.ID, b.ProviderID, NotifyFollowUpDue, now,
					"Follow-up call due: "+b.Number, "The follow-up call for "+b.Number+" is due; record it with POST /v1/orders/{id}/follow-ups.")
			})
			if err != nil {
				return n, err
			}
			if reminded {
				n++
			}
		}
		if len(due) < SweepBatch {
			return n, nil
		}
	}
}
