-- Issue 8, item 1: lists whose cost follows the page, not the table.
--
-- A technician's list is "orders assigned to them, current and past"
-- (order_assignments), in (updated_at, id) order. Each assignment row keeps
-- a copy of its order's updated_at and status, kept in step by the triggers
-- below in the same statement that writes the order, so a technician's page
-- is a keyset walk on order_assignments joined to orders by primary key:
-- no scan of every open order, no hash join of the technician's history.
ALTER TABLE order_assignments
    ADD COLUMN order_updated_at timestamptz,
    ADD COLUMN order_status text;

UPDATE order_assignments a SET order_updated_at = o.updated_at, order_status = o.status
FROM orders o WHERE o.id = a.order_id;

ALTER TABLE order_assignments
    ALTER COLUMN order_updated_at SET NOT NULL,
    ALTER COLUMN order_status SET NOT NULL;

-- the technician's walk (all statuses; delta sync) and the job list (a few statuses)
CREATE INDEX order_assignments_technician_updated ON order_assignments (technician_id, order_updated_at, order_id);
CREATE INDEX order_assignments_technician_status ON order_assignments (technician_id, order_status, order_updated_at, order_id);

-- A new assignment row copies its order as it is now (in this transaction).
CREATE FUNCTION order_assignments_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT o.updated_at, o.status INTO NEW.order_updated_at, NEW.order_status FROM orders o WHERE o.id = NEW.order_id;
    RETURN NEW;
END $$;
CREATE TRIGGER order_assignments_copy BEFORE INSERT ON order_assignments
    FOR EACH ROW EXECUTE FUNCTION order_assignments_copy();

-- Every write of an order (orders_touch stamps updated_at on each) carries
-- the stamp and the status to the order's assignment rows.
CREATE FUNCTION orders_assignments_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_assignments SET order_updated_at = NEW.updated_at, order_status = NEW.status
    WHERE order_id = NEW.id AND (order_updated_at, order_status) IS DISTINCT FROM (NEW.updated_at, NEW.status);
    RETURN NULL;
END $$;
CREATE TRIGGER orders_assignments_sync AFTER UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_assignments_sync();

-- Dispatcher lists filtered by region or priority walk these like status.
CREATE INDEX orders_region_updated ON orders (region, updated_at, id);
CREATE INDEX orders_priority_updated ON orders (priority, updated_at, id);
