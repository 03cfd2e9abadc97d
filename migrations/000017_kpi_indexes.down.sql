DROP INDEX IF EXISTS kpi_complaints_created;
DROP INDEX IF EXISTS kpi_ratings_created;
DROP INDEX IF EXISTS kpi_orders_asset_created;
DROP INDEX IF EXISTS kpi_orders_created;
DROP INDEX IF EXISTS kpi_order_events_milestones;
