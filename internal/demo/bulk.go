package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// BulkSize is how much bulk data to generate: orders spread over customers
// (each with one asset) and technicians.
type BulkSize struct {
	Orders, Technicians, Customers int
}

// BulkResult says what SeedBulk did.
type BulkResult struct {
	Created bool // false: the same bulk data was present already
	Took    time.Duration
}

// Bulk data is recognisable by these keys; SeedBulk counts them to refuse a
// second, different seed.
const (
	bulkTechEmail     = "bulk-tech-%@fieldops.test"
	bulkCustomerEmail = "bulk-customer-%@example.com"
	bulkOrderRef      = "BULK-%"
)

// SeedBulk generates a load-test data set in one transaction with set-based
// SQL (INSERT … SELECT over generate_series, no row-by-row round trips), for
// the benchmarks of issue 8: s.Technicians technicians (every fourth a
// partner's, alternately in the demo regions north and south), s.Customers
// customers with one asset each, and s.Orders orders round-robin over the
// customers, each handled by a technician of the customer's region. The
// newest 25 per technician (at most half) are open (submitted, triaged,
// assigned, accepted in turn; bulkOpenOrders); of the others 8 % are
// cancelled before dispatch, 17 % completed (their follow-up calls due, the
// reminders of the past ones sent) and the rest closed. Every dispatched order has its assignment row
// (accepted_at once accepted); every 25th has an earlier technician too, who
// had accepted it and was taken off (the delta sync tombstone). Every order
// has its create event and, past submitted, the event of its last
// transition; completed and closed ones also their (ended) appointment and
// arrive event, every third a rating, and the low ones a closed complaint
// (for the KPI reports). Completion records and photos are not generated.
//
// Seed (the demo accounts and product models) must have run: bulk accounts
// reuse the demo password's hash. Bulk data cannot be topped up: when some
// is present, SeedBulk does nothing if it has exactly the requested size
// and refuses otherwise (seed a fresh database for another size).
// Ids are derived from the row numbers (md5), so a rerun makes the same rows.
func SeedBulk(ctx context.Context, db *gorm.DB, s BulkSize, now time.Time) (BulkResult, error) {
	start := time.Now()
	if s.Orders < 1 || s.Technicians < 2 || s.Customers < 1 {
		return BulkResult{}, fmt.Errorf("bulk seed: want --orders ≥ 1, --technicians ≥ 2 and --customers ≥ 1")
	}
	var have struct{ Orders, Technicians, Customers int }
	if err := db.WithContext(ctx).Raw(`SELECT
  (SELECT count(*) FROM orders WHERE external_ref LIKE ?) AS orders,
  (SELECT count(*) FROM users WHERE email LIKE ?) AS technicians,
  (SELECT count(*) FROM users WHERE email LIKE ?) AS customers`, bulkOrderRef, bulkTechEmail, bulkCustomerEmail).
		Scan(&have).Error; err != nil {
		return BulkResult{}, err
	}
	if have.Orders+have.Technicians+have.Customers > 0 {
		if have.Orders == s.Orders && have.Technicians == s.Technicians && have.Customers == s.Customers {
			return BulkResult{Took: time.Since(start)}, nil
		}
		return BulkResult{}, fmt.Errorf("bulk seed: bulk data of another size is present (%d orders, %d technicians, %d customers); seed a fresh database",
			have.Orders, have.Technicians, have.Customers)
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		params := map[string]any{"n": s.Orders, "t": s.Technicians, "c": s.Customers, "now": now.UTC(), "open": bulkOpenOrders(s)}
		for i, q := range bulkStatements {
			var args []any
			if strings.Contains(q, "@") {
				args = append(args, params)
			}
			if err := tx.Exec(q, args...).Error; err != nil {
				return fmt.Errorf("bulk seed step %d: %w", i+1, err)
			}
		}
		return nil
	})
	if err != nil {
		return BulkResult{}, err
	}
	for _, table := range []string{"users", "assets", "orders", "order_assignments", "order_events", "appointments", "ratings", "complaints"} {
		// VACUUM too: the UPDATE above leaves dead rows, and the visibility
		// map lets index-only scans skip the heap, as after autovacuum.
		if err := db.WithContext(ctx).Exec("VACUUM (ANALYZE) " + table).Error; err != nil {
			return BulkResult{}, err
		}
	}
	return BulkResult{Created: true, Took: time.Since(start)}, nil
}

// bulkStatements run in order in one transaction. bulk_plan decides every
// order once (customer, technicians, status, times); the inserts read it.
// Technicians with an even number work north, odd ones south; a customer's
// region follows the parity of their number.
var bulkStatements = []string{
	`INSERT INTO users (id, role, name, email, phone, password_hash, provider_id, skills, regions, daily_capacity, on_duty, created_at, updated_at)
SELECT md5('fieldops-bulk-technician-' || t)::uuid, 'technician', 'Bulk Technician ' || t,
       'bulk-tech-' || lpad(t::text, 6, '0') || '@fieldops.test', '+86170' || lpad(t::text, 8, '0'), pw.h,
       CASE WHEN t % 4 = 0 THEN pr.partner ELSE pr.in_house END,
       '{repair,install,maintenance,inspection,aircon}', ARRAY[CASE WHEN t % 2 = 0 THEN 'north' ELSE 'south' END],
       8, true, @now, @now
FROM generate_series(1, @t) t,
     (SELECT password_hash AS h FROM users WHERE email = 'tom@fieldops.test') pw,
     (SELECT (SELECT id FROM providers WHERE kind = 'in_house') AS in_house,
             (SELECT id FROM providers WHERE name = 'CoolFix Partners') AS partner) pr`,

	`INSERT INTO users (id, role, name, email, phone, password_hash, created_at, updated_at)
SELECT md5('fieldops-bulk-customer-' || c)::uuid, 'customer', 'Bulk Customer ' || c,
       'bulk-customer-' || lpad(c::text, 8, '0') || '@example.com', '+86171' || lpad(c::text, 8, '0'), pw.h, @now, @now
FROM generate_series(1, @c) c, (SELECT password_hash AS h FROM users WHERE email = 'alice@example.com') pw`,

	`INSERT INTO assets (id, customer_id, product_model_id, serial_number, purchase_date, address_line1, address_city, address_region, created_at, updated_at)
SELECT md5('fieldops-bulk-asset-' || c)::uuid, md5('fieldops-bulk-customer-' || c)::uuid, m.ids[1 + c % 3],
       'BULK' || lpad(c::text, 8, '0'), (CAST(@now AS timestamptz) - (c % 1000) * interval '1 day')::date,
       c || ' Bulk Street', CASE WHEN c % 2 = 0 THEN 'Northport' ELSE 'Southbay' END,
       CASE WHEN c % 2 = 0 THEN 'north' ELSE 'south' END, @now, @now
FROM generate_series(1, @c) c,
     (SELECT array_agg(id ORDER BY code) AS ids FROM product_models WHERE code IN ('AC-9000', 'WM-500', 'SOFA-3')) m`,

	// s: the status draw (37 is prime to 100, so every 100 orders hold each
	// value once); h: a scrambled number choosing the technician, its low bits
	// dropped (they follow i's parity, which is the region's: without the
	// shift, no order of a north customer went to a partner technician).
	`CREATE TEMP TABLE bulk_plan ON COMMIT DROP AS
SELECT i, md5('fieldops-bulk-order-' || i)::uuid AS id, 1 + (i - 1) % @c AS cust, s,
       CASE WHEN i + @open > @n THEN (ARRAY['submitted', 'triaged', 'assigned', 'accepted'])[1 + i % 4]
            WHEN s <= 8 THEN 'cancelled' WHEN s <= 25 THEN 'completed' ELSE 'closed' END AS status,
       CASE WHEN i + @open > @n THEN CAST(@now AS timestamptz) - (i % 72) * interval '1 hour'
            ELSE CAST(@now AS timestamptz) - interval '4 days' - (@n - i) * (interval '365 days' / @n) END AS created_at,
       ((i::bigint * 2654435761) % 4294967296) / 256 AS h, nextval('order_number_seq') AS seq
FROM generate_series(1, @n) i, LATERAL (SELECT (i * 37) % 100 AS s) d`,

	`ALTER TABLE bulk_plan ADD COLUMN tech int, ADD COLUMN prev_tech int`,

	`UPDATE bulk_plan SET
  tech = CASE WHEN status IN ('submitted', 'triaged', 'cancelled') THEN NULL
              WHEN cust % 2 = 0 THEN 2 * (1 + h % (@t / 2)) ELSE 1 + 2 * (h % ((@t + 1) / 2)) END,
  prev_tech = CASE WHEN status IN ('submitted', 'triaged', 'cancelled') OR i % 25 <> 3 THEN NULL
              WHEN cust % 2 = 0 THEN 2 * (1 + (h + 1) % (@t / 2)) ELSE 1 + 2 * ((h + 1) % ((@t + 1) / 2)) END`,

	`INSERT INTO orders (id, number, type, channel, priority, status, customer_id, asset_id, product_model_id, technician_id,
    provider_id, region, address_line1, address_city, address_region, description, in_warranty, warranty_ends_at,
    first_response_due, on_site_due, resolution_due, first_responded_at, completed_at, closed_at, follow_up_due_at,
    follow_up_notified_at, labour_minutes, fixed, resolution, cancel_reason, external_ref, created_by, created_at)
SELECT p.id, 'FO-' || extract(year FROM CAST(@now AS timestamptz))::int || '-' || CASE WHEN p.seq < 1000000 THEN lpad(p.seq::text, 6, '0') ELSE p.seq::text END,
       (ARRAY['repair', 'install', 'maintenance', 'inspection'])[1 + p.i % 4], (ARRAY['app', 'web', 'phone'])[1 + p.i % 3],
       (ARRAY['P1', 'P2', 'P3', 'P3', 'P4'])[1 + p.i % 5], p.status,
       a.customer_id, a.id, a.product_model_id, tu.id, tu.provider_id,
       a.address_region, a.address_line1, a.address_city, a.address_region,
       'Bulk order ' || p.i || ': the appliance needs a technician.', p.i % 3 <> 0,
       CASE WHEN p.i % 3 <> 0 THEN (p.created_at + interval '200 days')::date END,
       p.created_at + interval '2 hours', p.created_at + interval '2 days', p.created_at + interval '7 days',
       CASE WHEN p.tech IS NOT NULL THEN p.created_at + interval '1 hour' END,
       CASE WHEN p.status IN ('completed', 'closed') THEN p.created_at + interval '1 day' END,
       CASE WHEN p.status = 'closed' THEN p.created_at + interval '3 days' END,
       CASE WHEN p.status = 'completed' THEN p.created_at + interval '1 day' + (p.i % 7) * interval '1 day' END,
       CASE WHEN p.status = 'completed' AND p.created_at + interval '1 day' + (p.i % 7) * interval '1 day' <= CAST(@now AS timestamptz)
            THEN p.created_at + interval '1 day' + (p.i % 7) * interval '1 day' END, -- the reminder went out when due
       CASE WHEN p.status IN ('completed', 'closed') THEN 30 + p.i % 90 END,
       CASE WHEN p.status IN ('completed', 'closed') THEN true END,
       CASE WHEN p.status IN ('completed', 'closed') THEN 'Replaced the faulty part.' ELSE '' END,
       CASE WHEN p.status = 'cancelled' THEN 'no longer needed' ELSE '' END,
       'BULK-' || p.i, a.customer_id, p.created_at
FROM bulk_plan p
JOIN assets a ON a.id = md5('fieldops-bulk-asset-' || p.cust)::uuid
LEFT JOIN users tu ON tu.id = md5('fieldops-bulk-technician-' || p.tech)::uuid
ORDER BY p.i`,

	`INSERT INTO order_assignments (technician_id, order_id, assigned_at, accepted_at)
SELECT md5('fieldops-bulk-technician-' || p.tech)::uuid, p.id, p.created_at + interval '1 hour',
       CASE WHEN p.status <> 'assigned' THEN p.created_at + interval '90 minutes' END
FROM bulk_plan p WHERE p.tech IS NOT NULL
UNION ALL
SELECT md5('fieldops-bulk-technician-' || p.prev_tech)::uuid, p.id, p.created_at + interval '10 minutes', p.created_at + interval '20 minutes'
FROM bulk_plan p WHERE p.prev_tech IS NOT NULL AND p.prev_tech <> p.tech`,

	`INSERT INTO order_events (id, order_id, action, actor_id, actor_role, from_status, to_status, payload, created_at, audience, visit, technician_id)
SELECT md5('fieldops-bulk-event-' || p.i || '-create')::uuid, p.id, 'create', md5('fieldops-bulk-customer-' || p.cust)::uuid, 'customer',
       '', 'submitted', jsonb_build_object('number', o.number, 'channel', o.channel, 'priority', o.priority, 'in_warranty', o.in_warranty),
       p.created_at, 'all', 1, NULL
FROM bulk_plan p JOIN orders o ON o.id = p.id
UNION ALL
SELECT md5('fieldops-bulk-event-' || p.i || '-last')::uuid, p.id, e.action,
       CASE WHEN e.action IN ('accept', 'complete') THEN md5('fieldops-bulk-technician-' || p.tech)::uuid
            WHEN e.action = 'cancel' THEN md5('fieldops-bulk-customer-' || p.cust)::uuid END,
       e.role, e.from_status, p.status, e.payload, e.at, 'all', 1,
       md5('fieldops-bulk-technician-' || p.tech)::uuid
FROM bulk_plan p
CROSS JOIN LATERAL (SELECT * FROM (VALUES
    ('triaged', 'triage', 'dispatcher', 'submitted', '{}'::jsonb, p.created_at + interval '30 minutes'),
    ('assigned', 'assign', 'dispatcher', 'triaged', jsonb_build_object('technician_id', md5('fieldops-bulk-technician-' || p.tech)::uuid), p.created_at + interval '1 hour'),
    ('accepted', 'accept', 'technician', 'assigned', '{}'::jsonb, p.created_at + interval '90 minutes'),
    ('completed', 'complete', 'technician', 'in_progress', jsonb_build_object('visit', 1, 'fixed', true), p.created_at + interval '1 day'),
    ('closed', 'follow-ups', 'dispatcher', 'completed', '{}'::jsonb, p.created_at + interval '3 days'),
    ('cancelled', 'cancel', 'customer', 'submitted', jsonb_build_object('reason', 'no longer needed'), p.created_at + interval '1 hour')
  ) v(status, action, role, from_status, payload, at) WHERE v.status = p.status) e`,

	// The KPI reports (internal/reports) read arrivals, appointments, ratings
	// and complaints. Completed and closed orders had their visit booked
	// (an ended appointment 20–22 h after creation) and an arrive event: on
	// time, except every 10th order, 30 minutes after the window. Every third
	// is rated (scores cycle 1–5); a score ≤ 2 opened a complaint, since closed.
	`INSERT INTO appointments (id, order_id, technician_id, during, active, booked_by, created_at, ended_at)
SELECT md5('fieldops-bulk-appointment-' || p.i)::uuid, p.id, md5('fieldops-bulk-technician-' || p.tech)::uuid,
       tstzrange(p.created_at + interval '20 hours', p.created_at + interval '22 hours'), false,
       md5('fieldops-bulk-customer-' || p.cust)::uuid, p.created_at + interval '2 hours', p.created_at + interval '1 day'
FROM bulk_plan p WHERE p.status IN ('completed', 'closed')`,

	// ... and the triage (first response, 30 minutes after creation) of
	// every order past triage, and the completion of closed ones (their last
	// event is the follow-up call).
	`INSERT INTO order_events (id, order_id, action, actor_id, actor_role, from_status, to_status, payload, created_at, audience, visit, technician_id)
SELECT md5('fieldops-bulk-event-' || p.i || '-triage')::uuid, p.id, 'triage', NULL, 'dispatcher', 'submitted', 'triaged', '{}'::jsonb,
       p.created_at + interval '30 minutes', 'all', 1, NULL
FROM bulk_plan p WHERE p.status NOT IN ('submitted', 'triaged', 'cancelled')
UNION ALL
SELECT md5('fieldops-bulk-event-' || p.i || '-complete')::uuid, p.id, 'complete', md5('fieldops-bulk-technician-' || p.tech)::uuid, 'technician',
       'in_progress', 'completed', jsonb_build_object('visit', 1, 'fixed', true), p.created_at + interval '1 day', 'all', 1,
       md5('fieldops-bulk-technician-' || p.tech)::uuid
FROM bulk_plan p WHERE p.status = 'closed'`,

	`INSERT INTO order_events (id, order_id, action, actor_id, actor_role, from_status, to_status, payload, created_at, audience, visit, technician_id)
SELECT md5('fieldops-bulk-event-' || p.i || '-arrive')::uuid, p.id, 'arrive', md5('fieldops-bulk-technician-' || p.tech)::uuid, 'technician',
       'en_route', 'on_site', '{}'::jsonb,
       p.created_at + CASE WHEN p.i % 10 = 0 THEN interval '22 hours 30 minutes' ELSE interval '20 hours 30 minutes' END,
       'all', 1, md5('fieldops-bulk-technician-' || p.tech)::uuid
FROM bulk_plan p WHERE p.status IN ('completed', 'closed')`,

	`INSERT INTO ratings (order_id, customer_id, visit, score, timeliness, attitude, quality, comment, created_at)
SELECT p.id, md5('fieldops-bulk-customer-' || p.cust)::uuid, 1, 1 + (p.i / 3) % 5, 4, 4, 4, '', p.created_at + interval '2 days'
FROM bulk_plan p WHERE p.status IN ('completed', 'closed') AND p.i % 3 = 0`,

	`INSERT INTO complaints (id, customer_id, order_id, source, category, severity, description, status, level, created_at, updated_at,
    region, reply_due_at, resolution_due_at, closed_at)
SELECT md5('fieldops-bulk-complaint-' || p.i)::uuid, md5('fieldops-bulk-customer-' || p.cust)::uuid, p.id, 'rating', 'service_quality',
       CASE WHEN 1 + (p.i / 3) % 5 = 1 THEN 'high' ELSE 'medium' END, 'rated ' || (1 + (p.i / 3) % 5) || ' of 5', 'closed', 0,
       p.created_at + interval '2 days', p.created_at + interval '4 days', o.region,
       p.created_at + interval '3 days', p.created_at + interval '5 days', p.created_at + interval '4 days'
FROM bulk_plan p JOIN orders o ON o.id = p.id
WHERE p.status IN ('completed', 'closed') AND p.i % 3 = 0 AND 1 + (p.i / 3) % 5 <= 2`,

	// The state the breach sweep would have left (a running system has no
	// backlog; without it, a server on the data set spends its first minutes
	// catching up, in the middle of a benchmark): every open order's missed
	// milestones marked breached, by the sweep's conditions
	// (internal/orders/sla_sweep.go; the follow-up reminders are marked sent
	// in the INSERT). The breach events and notifications are not generated.
	`UPDATE orders o SET sla_breached = ARRAY(SELECT m FROM unnest(ARRAY[
    CASE WHEN o.first_responded_at IS NULL AND o.first_response_due <= CAST(@now AS timestamptz) AND NOT EXISTS (SELECT 1 FROM order_events e
      WHERE e.order_id = o.id AND e.action <> 'create' AND e.actor_role IN ('dispatcher', 'manager', 'technician')) THEN 'first_response' END,
    CASE WHEN o.arrived_at IS NULL AND o.on_site_due <= CAST(@now AS timestamptz) THEN 'on_site' END,
    CASE WHEN o.completed_at IS NULL AND o.resolution_due <= CAST(@now AS timestamptz) THEN 'resolution' END]) m WHERE m IS NOT NULL)
WHERE o.id IN (SELECT p.id FROM bulk_plan p WHERE p.status NOT IN ('completed', 'closed', 'cancelled'))`,
}

// bulkOpenOrders is how many of the newest orders are still open: a fixed
// workload per technician (25: about two days of work at a daily capacity of
// 8, half of it on the technicians' job lists as assigned or accepted),
// whatever the history's length, as in a real operation, where history
// grows and the open work follows the team's size. The job list therefore
// holds the same number of orders at 10k and at 1M orders (the benchmark's
// ratio compares equal pages); at most half the orders.
func bulkOpenOrders(s BulkSize) int {
	return min(s.Orders/2, 25*s.Technicians)
}
