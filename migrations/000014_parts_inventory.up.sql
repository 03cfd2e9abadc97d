-- Spare parts and inventory (issue 10): the parts catalogue, stock locations
-- (warehouses and one van per technician), the append-only stock ledger,
-- balances kept in step with it in the same transaction, serial numbers of
-- tracked parts, and the parts used on an order (its charge lines).
CREATE TABLE parts (
    id                   uuid PRIMARY KEY,
    sku                  text NOT NULL CHECK (sku <> ''),
    name                 text NOT NULL CHECK (name <> ''),
    compatible_model_ids uuid[] NOT NULL DEFAULT '{}',
    unit_price           bigint NOT NULL CHECK (unit_price >= 0), -- minor units
    currency             text NOT NULL,
    genuine              boolean NOT NULL,
    reorder_point        bigint NOT NULL DEFAULT 0 CHECK (reorder_point >= 0),
    serial_tracked       boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE UNIQUE INDEX parts_sku_key ON parts (lower(sku));
CREATE INDEX parts_created ON parts (created_at, id);
CREATE INDEX parts_compatible ON parts USING gin (compatible_model_ids);

CREATE TABLE stock_locations (
    id            uuid PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('warehouse', 'van')),
    name          text NOT NULL CHECK (name <> ''),
    technician_id uuid REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    CONSTRAINT stock_locations_van_technician CHECK ((kind = 'van') = (technician_id IS NOT NULL))
);
CREATE UNIQUE INDEX stock_locations_van_key ON stock_locations (technician_id) WHERE kind = 'van';
CREATE INDEX stock_locations_created ON stock_locations (created_at, id);

-- The ledger: one row per change, never updated or deleted. A movement takes
-- qty (> 0) out of from_location_id and/or puts it into to_location_id;
-- adjust has exactly one of them (from: the count was lower, to: higher).
CREATE TABLE stock_movements (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('receive', 'transfer', 'issue', 'return', 'adjust')),
    part_id          uuid NOT NULL REFERENCES parts (id),
    qty              bigint NOT NULL CHECK (qty > 0),
    from_location_id uuid REFERENCES stock_locations (id),
    to_location_id   uuid REFERENCES stock_locations (id),
    supplier_ref     text NOT NULL DEFAULT '',
    serials          text[] NOT NULL DEFAULT '{}',
    order_id         uuid REFERENCES orders (id),
    reason           text NOT NULL DEFAULT '',
    actor_id         uuid REFERENCES users (id),
    actor_role       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    CONSTRAINT stock_movements_shape CHECK (CASE kind
        WHEN 'receive'  THEN from_location_id IS NULL AND to_location_id IS NOT NULL AND order_id IS NULL
        WHEN 'transfer' THEN from_location_id IS NOT NULL AND to_location_id IS NOT NULL
                             AND from_location_id <> to_location_id AND order_id IS NULL
        WHEN 'issue'    THEN from_location_id IS NOT NULL AND to_location_id IS NULL AND order_id IS NOT NULL
        WHEN 'return'   THEN from_location_id IS NULL AND to_location_id IS NOT NULL AND order_id IS NOT NULL
        WHEN 'adjust'   THEN (from_location_id IS NULL) <> (to_location_id IS NULL) AND reason <> ''
    END)
);
-- traceability: a part's movements in time order
CREATE INDEX stock_movements_part ON stock_movements (part_id, created_at, id);
CREATE INDEX stock_movements_from ON stock_movements (from_location_id, part_id) WHERE from_location_id IS NOT NULL;
CREATE INDEX stock_movements_to ON stock_movements (to_location_id, part_id) WHERE to_location_id IS NOT NULL;
CREATE INDEX stock_movements_order ON stock_movements (order_id) WHERE order_id IS NOT NULL;

CREATE FUNCTION stock_movements_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the stock ledger is append-only' USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER stock_movements_immutable BEFORE UPDATE OR DELETE ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION stock_movements_immutable();
CREATE TRIGGER stock_movements_no_truncate BEFORE TRUNCATE ON stock_movements
    FOR EACH STATEMENT EXECUTE FUNCTION stock_movements_immutable();

-- Balances per location and part, changed by conditional UPDATEs in the
-- movement's transaction; the CHECKs are the database's last word. low is
-- whether available was below the part's reorder point after the last
-- change, so stock.low is written once per crossing.
CREATE TABLE stock_balances (
    location_id uuid NOT NULL REFERENCES stock_locations (id),
    part_id     uuid NOT NULL REFERENCES parts (id),
    on_hand     bigint NOT NULL DEFAULT 0,
    reserved    bigint NOT NULL DEFAULT 0,
    low         boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (location_id, part_id),
    CONSTRAINT stock_balances_on_hand_nonnegative CHECK (on_hand >= 0),
    CONSTRAINT stock_balances_reserved_nonnegative CHECK (reserved >= 0),
    CONSTRAINT stock_balances_reserved_on_hand CHECK (reserved <= on_hand)
);
CREATE INDEX stock_balances_part ON stock_balances (part_id);

-- Where each serial number of a tracked part is: a location, or an order
-- it was issued to (location NULL).
CREATE TABLE stock_serials (
    part_id     uuid NOT NULL REFERENCES parts (id),
    serial      text NOT NULL,
    location_id uuid REFERENCES stock_locations (id),
    order_id    uuid REFERENCES orders (id),
    received_by uuid NOT NULL REFERENCES stock_movements (id),
    PRIMARY KEY (part_id, serial),
    CONSTRAINT stock_serials_somewhere CHECK ((location_id IS NULL) <> (order_id IS NULL))
);

-- The parts used on the order's current visit: its charge lines (JSONB,
-- like the quote), written with the issue movement in one transaction.
ALTER TABLE orders ADD COLUMN parts_used jsonb NOT NULL DEFAULT '[]';
