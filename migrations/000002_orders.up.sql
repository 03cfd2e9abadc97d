-- Work orders: SLA policies, orders, their timeline (events), assignment
-- history, appointments (no overlap per technician, enforced here),
-- idempotency records and the notification inbox.

CREATE EXTENSION IF NOT EXISTS btree_gist; -- uuid equality inside the exclusion constraint

CREATE TABLE sla_policies (
    order_type              text NOT NULL,
    priority                text NOT NULL CHECK (priority IN ('P1', 'P2', 'P3', 'P4')),
    first_response_minutes  integer NOT NULL CHECK (first_response_minutes > 0),
    on_site_minutes         integer CHECK (on_site_minutes > 0), -- NULL: by appointment
    resolution_minutes      integer NOT NULL CHECK (resolution_minutes > 0),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_type, priority)
);

-- SPEC §4 defaults for every order type.
INSERT INTO sla_policies (order_type, priority, first_response_minutes, on_site_minutes, resolution_minutes)
SELECT t.type, p.priority, p.first_response, p.on_site, p.resolution
FROM (VALUES ('install'), ('repair'), ('maintenance'), ('inspection'), ('return_exchange'), ('consultation')) AS t(type)
CROSS JOIN (VALUES ('P1', 30, 1440, 2880), ('P2', 120, 2880, 4320), ('P3', 1440, 4320, 10080), ('P4', 1440, NULL, 20160))
    AS p(priority, first_response, on_site, resolution);

-- Order numbers: FO-<year>-<6 digits> from one sequence; gaps (rolled-back
-- inserts) are tolerated, duplicates are impossible.
CREATE SEQUENCE order_number_seq;

CREATE TABLE orders (
    id                  uuid PRIMARY KEY,
    number              text NOT NULL,
    type                text NOT NULL CHECK (type IN ('install', 'repair', 'maintenance', 'inspection', 'return_exchange', 'consultation')),
    channel             text NOT NULL CHECK (channel IN ('app', 'web', 'phone', 'wechat', 'email', 'store', 'partner_api')),
    priority            text NOT NULL CHECK (priority IN ('P1', 'P2', 'P3', 'P4')),
    status              text NOT NULL CHECK (status IN ('submitted', 'triaged', 'assigned', 'accepted', 'scheduled', 'en_route',
                            'on_site', 'awaiting_approval', 'in_progress', 'awaiting_parts', 'completed', 'closed', 'cancelled')),
    customer_id         uuid NOT NULL REFERENCES users (id),
    asset_id            uuid REFERENCES assets (id),
    product_model_id    uuid REFERENCES product_models (id),
    technician_id       uuid REFERENCES users (id),
    provider_id         uuid REFERENCES providers (id),
    region              text NOT NULL,
    address_line1       text NOT NULL DEFAULT '',
    address_city        text NOT NULL DEFAULT '',
    address_region      text NOT NULL DEFAULT '',
    address_lat         double precision CHECK (address_lat BETWEEN -90 AND 90),
    address_lng         double precision CHECK (address_lng BETWEEN -180 AND 180),
    description         text NOT NULL,
    preferred_windows   jsonb NOT NULL DEFAULT '[]',
    in_warranty         boolean NOT NULL,
    warranty_ends_at    date,
    first_response_due  timestamptz NOT NULL,
    on_site_due         timestamptz,
    resolution_due      timestamptz NOT NULL,
    first_responded_at  timestamptz,
    arrived_at          timestamptz,
    arrive_lat          double precision,
    arrive_lng          double precision,
    completed_at        timestamptz,
    sla_breached        text[] NOT NULL DEFAULT '{}',
    appointment_start   timestamptz,
    appointment_end     timestamptz,
    quote_status        text NOT NULL DEFAULT 'none' CHECK (quote_status IN ('none', 'pending', 'approved', 'rejected')),
    quote_items         jsonb NOT NULL DEFAULT '[]',
    currency            text NOT NULL DEFAULT 'CNY',
    fixed               boolean,
    resolution          text NOT NULL DEFAULT '',
    cancel_reason       text NOT NULL DEFAULT '',
    visit_count         integer NOT NULL DEFAULT 1,
    repeat_repair       boolean NOT NULL DEFAULT false,
    external_ref        text NOT NULL DEFAULT '',
    created_by          uuid REFERENCES users (id),
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_number_key UNIQUE (number),
    -- a technician is working the order in these statuses
    CONSTRAINT orders_technician_when_assigned CHECK (technician_id IS NOT NULL OR status NOT IN
        ('assigned', 'accepted', 'scheduled', 'en_route', 'on_site', 'awaiting_approval', 'in_progress', 'awaiting_parts')),
    CONSTRAINT orders_appointment_range CHECK ((appointment_start IS NULL) = (appointment_end IS NULL)
        AND (appointment_end IS NULL OR appointment_end > appointment_start))
);
-- Delta sync and staff lists walk (updated_at, id).
CREATE INDEX orders_updated ON orders (updated_at, id);
CREATE INDEX orders_customer_updated ON orders (customer_id, updated_at, id);
CREATE INDEX orders_technician_updated ON orders (technician_id, updated_at, id) WHERE technician_id IS NOT NULL;
CREATE INDEX orders_provider_updated ON orders (provider_id, updated_at, id) WHERE provider_id IS NOT NULL;
CREATE INDEX orders_status_updated ON orders (status, updated_at, id);
-- Dispatch counts a technician's open jobs.
CREATE INDEX orders_technician_open ON orders (technician_id) WHERE status IN
    ('assigned', 'accepted', 'scheduled', 'en_route', 'on_site', 'awaiting_approval', 'in_progress', 'awaiting_parts');

-- updated_at is the moment of the write (clock_timestamp), set here whatever
-- the client sends. Delta sync bounds its pages by the oldest running
-- transaction that has written anything (internal/orders/store.go syncBound):
-- the trigger takes the transaction id (published in pg_stat_activity.backend_xid)
-- before the stamp, so a row stamped before a sync bound belongs to a
-- transaction that bound already accounted for. Read-only transactions
-- (reports, pg_dump, an idle BEGIN) never hold the bound back.
CREATE FUNCTION orders_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_current_xact_id(); -- the transaction id is visible to syncBound before the stamp is taken
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END $$;
CREATE TRIGGER orders_touch BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION orders_touch();

-- Every technician an order was ever assigned to: they keep seeing it.
CREATE TABLE order_assignments (
    order_id       uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    technician_id  uuid NOT NULL REFERENCES users (id),
    assigned_at    timestamptz NOT NULL,
    PRIMARY KEY (technician_id, order_id)
);
CREATE INDEX order_assignments_order ON order_assignments (order_id);

CREATE TABLE order_events (
    id           uuid PRIMARY KEY,
    order_id     uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    action       text NOT NULL,
    actor_id     uuid REFERENCES users (id),
    actor_role   text NOT NULL,
    from_status  text NOT NULL,
    to_status    text NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, created_at, id);

-- A technician is never in two places at once: active appointments of one
-- technician may not overlap. Moved or cancelled ones stay as history.
CREATE TABLE appointments (
    id             uuid PRIMARY KEY,
    order_id       uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    technician_id  uuid NOT NULL REFERENCES users (id),
    during         tstzrange NOT NULL CHECK (NOT isempty(during)),
    active         boolean NOT NULL DEFAULT true,
    reason         text NOT NULL DEFAULT '',
    booked_by      uuid REFERENCES users (id),
    created_at     timestamptz NOT NULL,
    ended_at       timestamptz,
    CONSTRAINT appointments_no_overlap EXCLUDE USING gist (technician_id WITH =, during WITH &&) WHERE (active)
);
CREATE INDEX appointments_order ON appointments (order_id, created_at);
CREATE UNIQUE INDEX appointments_one_active_per_order ON appointments (order_id) WHERE active;

-- Idempotency-Key records (draft-ietf-httpapi-idempotency-key-header): one per caller and key.
CREATE TABLE idempotency_records (
    caller          text NOT NULL,
    key             text NOT NULL,
    request_hash    bytea NOT NULL,
    state           text NOT NULL CHECK (state IN ('in_flight', 'done')),
    response_status integer,
    response_type   text,
    response_body   bytea,
    location        text,
    created_at      timestamptz NOT NULL,
    locked_until    timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_records_expiry ON idempotency_records (expires_at);

CREATE TABLE notifications (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    order_id    uuid REFERENCES orders (id) ON DELETE CASCADE,
    title       text NOT NULL,
    body        text NOT NULL DEFAULT '',
    read_at     timestamptz,
    created_at  timestamptz NOT NULL
);
CREATE INDEX notifications_inbox ON notifications (user_id, (read_at IS NOT NULL), created_at DESC, id DESC);
