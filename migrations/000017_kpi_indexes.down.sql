DROP INDEX IF EXISTS kpi_ratings_created;
DROP INDEX IF EXISTS kpi_orders_asset_created;
DROP INDEX IF EXISTS kpi_orders_created;
DROP INDEX appointments_order;
CREATE INDEX appointments_order ON appointments (order_id, created_at);
DROP INDEX order_events_order;
CREATE INDEX order_events_order ON order_events (order_id, created_at, id);
DROP INDEX IF EXISTS kpi_order_events_reopens;
DROP INDEX IF EXISTS kpi_order_events_milestones;
