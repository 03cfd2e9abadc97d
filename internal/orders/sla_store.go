package orders

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// The SQL of SLA policies (sla.go) and of the breach and follow-up sweeps
// (sla_sweep.go).

// slaPolicies reads every policy, by priority.
func (s store) slaPolicies(ctx context.Context) ([]SLAPolicy, error) {
	var out []SLAPolicy
	err := s.db.WithContext(ctx).Order("priority").Find(&out).Error
	return out, err
}

// putSLAPolicy creates or replaces the policy of pi's type × priority.
func (s store) putSLAPolicy(ctx context.Context, pi SLAPolicyInput, now time.Time) error {
	return s.db.WithContext(ctx).Exec(`INSERT INTO sla_policies
  (order_type, priority, first_response_minutes, on_site_minutes, resolution_minutes, clock, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (order_type, priority) DO UPDATE SET first_response_minutes = excluded.first_response_minutes,
  on_site_minutes = excluded.on_site_minutes, resolution_minutes = excluded.resolution_minutes,
  clock = excluded.clock, updated_at = excluded.updated_at`,
		pi.OrderType, pi.Priority, pi.FirstResponseMinutes, pi.OnSiteMinutes, pi.ResolutionMinutes, pi.Clock, now).Error
}

// dueBreaches lists up to limit orders whose milestone m is due by now, not
// met and not marked, earliest due first.
func (s store) dueBreaches(ctx context.Context, m milestoneSweep, now time.Time, limit int) ([]uuid.UUID, error) {
	var due []uuid.UUID
	err := s.db.WithContext(ctx).Raw(`SELECT o.id FROM orders o WHERE `+m.open+` AND o.`+m.due+` <= ?
  AND NOT `+m.met+` ORDER BY o.`+m.due+` LIMIT ?`, now, limit).Scan(&due).Error
	return due, err
}

// markBreached appends milestone m to order id's sla_breached while it is
// still unmarked, unmet and due; false when it no longer qualifies.
func (s store) markBreached(ctx context.Context, m milestoneSweep, id uuid.UUID, now time.Time) (breachRow, bool, error) {
	var rows []breachRow
	err := s.db.WithContext(ctx).Raw(`UPDATE orders o SET sla_breached = array_append(o.sla_breached, ?), version = o.version + 1
WHERE o.id = ? AND `+m.open+` AND o.`+m.due+` <= ? AND NOT `+m.met+`
RETURNING o.id, o.number, o.provider_id, o.visit_count, o.`+m.due+` AS due_at, o.priority, o.type, o.region, o.status,
  o.technician_id, o.external_ref`,
		m.name, id, now).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return breachRow{}, false, err
	}
	return rows[0], true, nil
}

// dispatchersOf lists the active dispatchers who see an order of providerID:
// the in-house team's and that provider's.
func (s store) dispatchersOf(ctx context.Context, providerID *uuid.UUID) ([]uuid.UUID, error) {
	var users []uuid.UUID
	err := s.db.WithContext(ctx).Raw(`SELECT u.id FROM users u JOIN providers p ON p.id = u.provider_id
WHERE u.role = 'dispatcher' AND u.active AND (p.kind = 'in_house' OR u.provider_id = ?) ORDER BY u.id`, providerID).
		Scan(&users).Error
	return users, err
}

// dueFollowUps lists up to limit completed orders whose follow-up call
// became due in (since, now] and was not reminded of, earliest first.
func (s store) dueFollowUps(ctx context.Context, now, since time.Time, limit int) ([]uuid.UUID, error) {
	var due []uuid.UUID
	err := s.db.WithContext(ctx).Raw(`SELECT o.id FROM orders o WHERE o.status = 'completed'
  AND o.follow_up_notified_at IS NULL AND o.follow_up_due_at IS NOT NULL AND o.follow_up_due_at <= ?
  AND o.follow_up_due_at > ? ORDER BY o.follow_up_due_at LIMIT ?`, now, since, limit).Scan(&due).Error
	return due, err
}

// markFollowUpNotified stamps order id's follow_up_notified_at while its
// call is due and not reminded of; false when it no longer qualifies.
func (s store) markFollowUpNotified(ctx context.Context, id uuid.UUID, now time.Time) (breachRow, bool, error) {
	var rows []breachRow
	err := s.db.WithContext(ctx).Raw(`UPDATE orders o SET follow_up_notified_at = ?
WHERE o.id = ? AND o.status = 'completed' AND o.follow_up_notified_at IS NULL AND o.follow_up_due_at IS NOT NULL
  AND o.follow_up_due_at <= ?
RETURNING o.id, o.number, o.provider_id, o.follow_up_due_at AS due_at`, now, id, now).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return breachRow{}, false, err
	}
	return rows[0], true, nil
}
