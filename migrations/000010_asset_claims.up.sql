-- Issue 9, item 9: serial numbers are normalised before uniqueness; a second
-- registration of a serial another customer holds becomes a claim for staff
-- review instead of a 409 (which told the caller someone else owns it); a
-- purchase date is the customer's word until staff verify the warranty.

-- The claimant's own row of a serial someone else registered first is
-- ownership_disputed: the unique serial per model holds among the undisputed
-- rows only, so the first owner keeps theirs and nothing is revealed.
ALTER TABLE assets
    ADD COLUMN ownership_disputed   boolean NOT NULL DEFAULT false,
    ADD COLUMN warranty_verified    boolean NOT NULL DEFAULT false,
    ADD COLUMN warranty_verified_at timestamptz,
    ADD COLUMN warranty_verified_by uuid REFERENCES users (id),
    ADD CONSTRAINT assets_warranty_verified_check
        CHECK (warranty_verified = (warranty_verified_at IS NOT NULL AND warranty_verified_by IS NOT NULL));

ALTER TABLE assets DROP CONSTRAINT assets_model_serial_key;

-- Existing serials, normalised as catalog.NormalizeSerial does (NFKC, white
-- space and invisible format characters removed, upper case); Go also refuses
-- what is then not printable ASCII, which old rows keep as they are.
UPDATE assets SET serial_number = upper(regexp_replace(normalize(serial_number, NFKC),
    '[[:space:][:cntrl:]\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFFB]',
    '', 'g'));

-- A claim: claimant says they own the serial of asset_id (the undisputed
-- row); claimant_asset_id is the claimant's own, disputed row. Staff review.
CREATE TABLE asset_claims (
    id                 uuid PRIMARY KEY,
    asset_id           uuid NOT NULL REFERENCES assets (id),
    claimant_id        uuid NOT NULL REFERENCES users (id),
    claimant_asset_id  uuid NOT NULL REFERENCES assets (id),
    status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at         timestamptz NOT NULL,
    CONSTRAINT asset_claims_claimant_key UNIQUE (asset_id, claimant_id),
    CONSTRAINT asset_claims_claimant_asset_key UNIQUE (claimant_asset_id)
);
CREATE INDEX asset_claims_created ON asset_claims (created_at, id);
CREATE INDEX asset_claims_status_created ON asset_claims (status, created_at, id);

-- Rows that now share a serial: the earliest keeps it, the others become
-- claims against it (several rows of one customer: one claim).
WITH ranked AS (
    SELECT id, customer_id, created_at,
           first_value(id) OVER (PARTITION BY product_model_id, serial_number ORDER BY created_at, id) AS owner_id
    FROM assets
), disputed AS (
    UPDATE assets a SET ownership_disputed = true
    FROM ranked r WHERE a.id = r.id AND r.id <> r.owner_id
    RETURNING a.id, a.customer_id, a.created_at, r.owner_id
)
INSERT INTO asset_claims (id, asset_id, claimant_id, claimant_asset_id, status, created_at)
SELECT gen_random_uuid(), owner_id, customer_id, id, 'pending', created_at FROM disputed
ON CONFLICT DO NOTHING;

CREATE UNIQUE INDEX assets_model_serial_key ON assets (product_model_id, serial_number) WHERE NOT ownership_disputed;
