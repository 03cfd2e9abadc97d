-- SLA clocks (issue 11 items 1, 2): a policy counts wall-clock or working
-- time (the order region's working calendar); the resolution clock pauses in
-- awaiting_parts / awaiting_approval (sla_paused_at: since when; leaving
-- pushes resolution_due by the span); follow-up reminders are sent once
-- (follow_up_notified_at). The breach sweep reads open, unmet, unmarked
-- milestones by due time through the partial indexes below, which hold only
-- such orders: once met, marked or closed, an order leaves them, so the
-- sweep's cost follows the number of orders due, not the table (1M orders).

ALTER TABLE sla_policies
    ADD COLUMN clock text NOT NULL DEFAULT 'wall' CHECK (clock IN ('wall', 'working'));

ALTER TABLE orders
    ADD COLUMN sla_paused_at timestamptz,
    ADD COLUMN follow_up_notified_at timestamptz;

-- open orders whose first response happened (the first dispatcher, manager
-- or technician event after create) but was not recorded on the row leave
-- the first-response index below instead of being re-checked every minute
UPDATE orders o SET first_responded_at = (SELECT min(e.created_at) FROM order_events e WHERE e.order_id = o.id
      AND e.action <> 'create' AND e.actor_role IN ('dispatcher', 'manager', 'technician'))
WHERE o.first_responded_at IS NULL AND o.status NOT IN ('completed', 'closed', 'cancelled')
  AND EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id
      AND e.action <> 'create' AND e.actor_role IN ('dispatcher', 'manager', 'technician'));

CREATE INDEX orders_sla_first_response_open ON orders (first_response_due)
    WHERE first_responded_at IS NULL AND NOT ('first_response' = ANY (sla_breached))
      AND status NOT IN ('completed', 'closed', 'cancelled');

CREATE INDEX orders_sla_on_site_open ON orders (on_site_due)
    WHERE arrived_at IS NULL AND on_site_due IS NOT NULL AND NOT ('on_site' = ANY (sla_breached))
      AND status NOT IN ('completed', 'closed', 'cancelled');

CREATE INDEX orders_sla_resolution_open ON orders (resolution_due)
    WHERE completed_at IS NULL AND NOT ('resolution' = ANY (sla_breached))
      AND status NOT IN ('completed', 'closed', 'cancelled', 'awaiting_parts', 'awaiting_approval');

CREATE INDEX orders_follow_up_unnotified ON orders (follow_up_due_at)
    WHERE status = 'completed' AND follow_up_notified_at IS NULL AND follow_up_due_at IS NOT NULL;
