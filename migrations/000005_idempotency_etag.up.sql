-- A replayed response carries the ETag of the first one (an order's version,
-- which the client needs for its next If-Match).
ALTER TABLE idempotency_records ADD COLUMN etag text;
