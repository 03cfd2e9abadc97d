ALTER TABLE orders DROP COLUMN IF EXISTS intake_provider_id;
ALTER TABLE order_assignments DROP COLUMN IF EXISTS accepted_at;
UPDATE order_events SET payload = jsonb_set(payload, '{address}', (
    SELECT jsonb_object_agg(CASE k WHEN 'line1' THEN 'Line1' WHEN 'city' THEN 'City' WHEN 'region' THEN 'Region'
        WHEN 'lat' THEN 'Lat' WHEN 'lng' THEN 'Lng' ELSE k END, v)
    FROM jsonb_each(payload->'address') AS a(k, v)))
WHERE action = 'update' AND jsonb_typeof(payload->'address') = 'object' AND payload->'address' <> '{}'::jsonb;
ALTER TABLE order_events DROP COLUMN IF EXISTS technician_id, DROP COLUMN IF EXISTS visit, DROP COLUMN IF EXISTS audience;
