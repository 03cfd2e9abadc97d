-- Disputed rows keep their data; their serials get a suffix so the plain
-- unique constraint can come back.
DROP INDEX assets_model_serial_key;
UPDATE assets SET serial_number = serial_number || ' (claim ' || id::text || ')' WHERE ownership_disputed;
DROP TABLE asset_claims;
ALTER TABLE assets
    DROP CONSTRAINT assets_warranty_verified_check,
    DROP COLUMN warranty_verified_by,
    DROP COLUMN warranty_verified_at,
    DROP COLUMN warranty_verified,
    DROP COLUMN ownership_disputed,
    ADD CONSTRAINT assets_model_serial_key UNIQUE (product_model_id, serial_number);
