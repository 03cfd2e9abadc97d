-- Issue 11, KPI reports (internal/reports): every KPI reads its window
-- [from, to) through one of these ranges; the per-order look-ups (first
-- response, first completion, reopen, appointment) use the existing
-- order_events_order, appointments_order and completions keys.
-- Measured at 1M orders in docs/PERFORMANCE.md ("KPI report").

-- completions (complete, quote/reject) and arrivals in the window
CREATE INDEX kpi_order_events_milestones ON order_events (action, created_at)
    WHERE action IN ('complete', 'quote/reject', 'arrive');
-- the created cohort (first response, SLA, fault rate)
CREATE INDEX kpi_orders_created ON orders (created_at);
-- repeat repairs: a new repair on the same asset within 30 days
CREATE INDEX kpi_orders_asset_created ON orders (asset_id, created_at) WHERE asset_id IS NOT NULL;
CREATE INDEX kpi_ratings_created ON ratings (created_at);
CREATE INDEX kpi_complaints_created ON complaints (created_at);
