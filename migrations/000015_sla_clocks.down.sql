DROP INDEX IF EXISTS orders_follow_up_unnotified;
DROP INDEX IF EXISTS orders_sla_resolution_open;
DROP INDEX IF EXISTS orders_sla_on_site_open;
DROP INDEX IF EXISTS orders_sla_first_response_open;
ALTER TABLE orders DROP COLUMN IF EXISTS follow_up_notified_at, DROP COLUMN IF EXISTS sla_paused_at;
ALTER TABLE sla_policies DROP COLUMN IF EXISTS clock;
