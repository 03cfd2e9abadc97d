DROP INDEX IF EXISTS orders_priority_updated;
DROP INDEX IF EXISTS orders_region_updated;
DROP TRIGGER IF EXISTS orders_assignments_sync ON orders;
DROP FUNCTION IF EXISTS orders_assignments_sync();
DROP TRIGGER IF EXISTS order_assignments_copy ON order_assignments;
DROP FUNCTION IF EXISTS order_assignments_copy();
DROP INDEX IF EXISTS order_assignments_technician_status;
DROP INDEX IF EXISTS order_assignments_technician_updated;
ALTER TABLE order_assignments DROP COLUMN IF EXISTS order_status, DROP COLUMN IF EXISTS order_updated_at;
