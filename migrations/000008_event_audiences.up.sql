-- Issue 9, items 5, 6 and 16.
--
-- Event audiences (SPEC §8): every order event says who may read it
-- (internal/orders/audience.go is the table per action), the visit it
-- belongs to and the technician it belongs to, so a technician reads the
-- events of the visits they worked on and never internal ones.
ALTER TABLE order_events
    ADD COLUMN audience text NOT NULL DEFAULT 'staff'
        CONSTRAINT order_events_audience_check CHECK (audience IN ('all', 'customer', 'visit', 'staff')),
    ADD COLUMN visit integer NOT NULL DEFAULT 1,
    ADD COLUMN technician_id uuid REFERENCES users (id);

-- Backfill, by the same rules as the code. Audience per action.
UPDATE order_events SET audience = CASE action
    WHEN 'decline' THEN 'staff'
    WHEN 'unassign' THEN 'visit'
    WHEN 'rating' THEN 'customer'
    ELSE 'all' END;

-- Visit: the order's visit count after the event. Events that start a new
-- visit record it (reopen and a follow-up "not resolved": visit_count; a
-- booking after awaiting parts and completion: visit).
UPDATE order_events e SET visit = COALESCE((
    SELECT COALESCE(c.payload->>'visit_count', c.payload->>'visit')::int
    FROM order_events c
    WHERE c.order_id = e.order_id AND (c.created_at, c.id) <= (e.created_at, e.id)
      AND (c.payload ? 'visit_count' OR (c.action IN ('appointment', 'complete') AND c.payload ? 'visit'))
    ORDER BY c.created_at DESC, c.id DESC LIMIT 1), 1);

-- Technician: the order's technician after the event (the one taken off for
-- decline and unassign), carried from the latest event that changed it.
UPDATE order_events e SET technician_id = (
    SELECT CASE
        WHEN c.action = 'assign' THEN (c.payload->>'technician_id')::uuid
        WHEN c.id = e.id AND c.action = 'decline' THEN (c.payload->>'technician_id')::uuid
        WHEN c.id = e.id AND c.action = 'unassign' THEN (c.payload->>'previous_technician_id')::uuid
        END
    FROM order_events c
    WHERE c.order_id = e.order_id AND (c.created_at, c.id) <= (e.created_at, e.id)
      AND (c.action IN ('assign', 'decline', 'unassign', 'reopen') OR (c.action = 'follow-ups' AND c.payload ? 'visit_count'))
    ORDER BY c.created_at DESC, c.id DESC LIMIT 1);


-- Payload keys are snake_case: update events stored the address with Go
-- field names (Line1, City, Region, Lat, Lng).
UPDATE order_events SET payload = jsonb_set(payload, '{address}', (
    SELECT jsonb_object_agg(CASE k WHEN 'Line1' THEN 'line1' WHEN 'City' THEN 'city' WHEN 'Region' THEN 'region'
        WHEN 'Lat' THEN 'lat' WHEN 'Lng' THEN 'lng' ELSE k END, v)
    FROM jsonb_each(payload->'address') AS a(k, v)))
WHERE action = 'update' AND jsonb_typeof(payload->'address') = 'object' AND payload->'address' <> '{}'::jsonb;

-- A technician who declined never worked the order: order_assignments (the
-- technician scope: "orders assigned to them, current and past") records
-- when the technician accepted, and a decline without an acceptance removes
-- the row.
ALTER TABLE order_assignments ADD COLUMN accepted_at timestamptz;
UPDATE order_assignments a SET accepted_at = (
    SELECT min(e.created_at) FROM order_events e
    WHERE e.order_id = a.order_id AND e.actor_id = a.technician_id AND e.action = 'accept');
DELETE FROM order_assignments a
WHERE a.accepted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = a.order_id AND o.technician_id = a.technician_id)
  AND EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = a.order_id AND e.action = 'decline'
              AND e.payload->>'technician_id' = a.technician_id::text);

-- provider_id follows the technician; without one, the order belongs to its
-- intake provider: the partner whose dispatcher took it in, else nobody
-- (in-house dispatch). Unassign, decline and a new visit give it back.
ALTER TABLE orders ADD COLUMN intake_provider_id uuid REFERENCES providers (id);
UPDATE orders o SET intake_provider_id = u.provider_id
FROM order_events e
JOIN users u ON u.id = e.actor_id
JOIN providers p ON p.id = u.provider_id AND p.kind = 'partner'
WHERE e.order_id = o.id AND e.action = 'create' AND e.actor_role = 'dispatcher';
UPDATE orders SET provider_id = intake_provider_id
WHERE technician_id IS NULL AND provider_id IS DISTINCT FROM intake_provider_id;
