-- Close-out (issue 7): photos, the signed completion record of each visit,
-- the customer's rating (a low score opens a complaint) and follow-up calls.

-- A photo of an order (fault, before, after, signature, other) or of an
-- asset (proof_of_purchase). The bytes are in the blob store under blob_key;
-- the row exists only once the bytes are stored, sniffed and decoded.
CREATE TABLE photos (
    id            uuid PRIMARY KEY,
    order_id      uuid REFERENCES orders (id) ON DELETE CASCADE,
    asset_id      uuid REFERENCES assets (id) ON DELETE CASCADE,
    visit         integer,
    kind          text NOT NULL CHECK (kind IN ('fault', 'before', 'after', 'signature', 'other', 'proof_of_purchase')),
    content_type  text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'image/heic')),
    size          bigint NOT NULL CHECK (size > 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    width         integer NOT NULL CHECK (width > 0),
    height        integer NOT NULL CHECK (height > 0),
    taken_at      timestamptz,
    lat           double precision CHECK (lat BETWEEN -90 AND 90),
    lng           double precision CHECK (lng BETWEEN -180 AND 180),
    blob_key      text NOT NULL UNIQUE,
    uploaded_by   uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    CONSTRAINT photos_one_owner CHECK ((order_id IS NULL) <> (asset_id IS NULL)),
    CONSTRAINT photos_order_visit CHECK ((order_id IS NULL) = (visit IS NULL)),
    CONSTRAINT photos_asset_kind CHECK ((asset_id IS NULL) = (kind <> 'proof_of_purchase'))
);
CREATE INDEX photos_order ON photos (order_id, created_at, id) WHERE order_id IS NOT NULL;
CREATE INDEX photos_asset ON photos (asset_id, created_at, id) WHERE asset_id IS NOT NULL;

-- Derived copies of a photo, made on first request and kept in the blob
-- store: "clean" (metadata stripped, what customers get) and "thumb". The
-- SHA-256 of their bytes is their ETag.
CREATE TABLE photo_variants (
    photo_id      uuid NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    variant       text NOT NULL CHECK (variant IN ('clean', 'thumb')),
    blob_key      text NOT NULL UNIQUE,
    content_type  text NOT NULL,
    size          bigint NOT NULL CHECK (size > 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (photo_id, variant)
);

-- The signed record of one completed visit: the exact canonical text that was
-- hashed (RFC 8785) and its SHA-256. Rows are never changed or removed.
CREATE TABLE completions (
    order_id            uuid NOT NULL REFERENCES orders (id),
    visit               integer NOT NULL CHECK (visit > 0),
    technician_id       uuid NOT NULL REFERENCES users (id),
    signature_photo_id  uuid NOT NULL REFERENCES photos (id),
    canonical           text NOT NULL,
    hash                text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    completed_at        timestamptz NOT NULL,
    PRIMARY KEY (order_id, visit)
);

CREATE FUNCTION completions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a completion record is immutable' USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER completions_immutable BEFORE UPDATE OR DELETE ON completions
    FOR EACH ROW EXECUTE FUNCTION completions_immutable();

ALTER TABLE orders
    ADD COLUMN labour_minutes integer CHECK (labour_minutes >= 0),
    ADD COLUMN follow_up_due_at timestamptz,
    ADD COLUMN closed_at timestamptz;
-- staff's follow-up call list: completed orders by due time
CREATE INDEX orders_follow_up_due ON orders (follow_up_due_at, id) WHERE status = 'completed';

CREATE TABLE ratings (
    order_id     uuid PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    customer_id  uuid NOT NULL REFERENCES users (id),
    visit        integer NOT NULL,
    score        smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    timeliness   smallint NOT NULL CHECK (timeliness BETWEEN 1 AND 5),
    attitude     smallint NOT NULL CHECK (attitude BETWEEN 1 AND 5),
    quality      smallint NOT NULL CHECK (quality BETWEEN 1 AND 5),
    comment      text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL
);

-- Complaints: here only the row a low rating opens; the workflow (respond,
-- escalate, resolve) comes with the quality issue.
CREATE TABLE complaints (
    id           uuid PRIMARY KEY,
    customer_id  uuid NOT NULL REFERENCES users (id),
    order_id     uuid REFERENCES orders (id) ON DELETE CASCADE,
    source       text NOT NULL CHECK (source IN ('rating', 'customer', 'staff')),
    category     text NOT NULL,
    severity     text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    description  text NOT NULL,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'responded', 'resolved', 'closed')),
    level        smallint NOT NULL DEFAULT 0 CHECK (level BETWEEN 0 AND 3),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX complaints_order ON complaints (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX complaints_customer ON complaints (customer_id, created_at);

CREATE TABLE follow_ups (
    id            uuid PRIMARY KEY,
    order_id      uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    visit         integer NOT NULL,
    reached       boolean NOT NULL,
    satisfaction  smallint CHECK (satisfaction BETWEEN 1 AND 5),
    resolved      boolean,
    notes         text NOT NULL DEFAULT '',
    recorded_by   uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    CONSTRAINT follow_ups_reached CHECK (reached OR (satisfaction IS NULL AND resolved IS NULL)),
    CONSTRAINT follow_ups_answered CHECK (NOT reached OR resolved IS NOT NULL)
);
CREATE INDEX follow_ups_order ON follow_ups (order_id, created_at, id);
