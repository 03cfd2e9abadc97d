-- A claimed Idempotency-Key is marked 'committed' inside the business
-- transaction of its request, so a retry after a crash between that commit
-- and the stored response never runs the request again.
ALTER TABLE idempotency_records DROP CONSTRAINT idempotency_records_state_check;
ALTER TABLE idempotency_records ADD CONSTRAINT idempotency_records_state_check
    CHECK (state IN ('in_flight', 'committed', 'done'));
