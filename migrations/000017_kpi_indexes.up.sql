-- Issue 11, KPI reports (internal/reports): every KPI reads its window
-- [from, to) through one of these ranges, and the per-order look-ups are
-- index-only scans (no heap fetch per order). Measured at 1M orders in
-- docs/PERFORMANCE.md ("KPI report"): the covering versions of
-- order_events_order and appointments_order halved the buffers a 90-day
-- report touches.

-- completions (complete, quote/reject) and arrivals in the window; arrivals
-- are read from the index alone (order and technician included)
CREATE INDEX kpi_order_events_milestones ON order_events (action, created_at) INCLUDE (order_id, technician_id)
    WHERE action IN ('complete', 'quote/reject', 'arrive');
-- reopens (reopen, or a follow-up "not resolved"): after a completion, per order
CREATE INDEX kpi_order_events_reopens ON order_events (order_id, created_at) INCLUDE (visit)
    WHERE to_status = 'triaged' AND from_status IN ('completed', 'closed');
-- the timeline index carries what the first-response, arrival and completion
-- look-ups of the created cohort read (same key: the timeline uses it as before)
DROP INDEX order_events_order;
CREATE INDEX order_events_order ON order_events (order_id, created_at, id) INCLUDE (action, actor_role);
-- the appointment booked for an arrival (its window's end), index-only
DROP INDEX appointments_order;
CREATE INDEX appointments_order ON appointments (order_id, created_at) INCLUDE (during);
-- the created cohort (first response, SLA, fault rate); complaints use
-- complaints_created (migration 000016)
CREATE INDEX kpi_orders_created ON orders (created_at);
-- repeat repairs: a new repair on the same asset within 30 days
CREATE INDEX kpi_orders_asset_created ON orders (asset_id, created_at) WHERE asset_id IS NOT NULL;
CREATE INDEX kpi_ratings_created ON ratings (created_at);
