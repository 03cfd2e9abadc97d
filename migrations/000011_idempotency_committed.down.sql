UPDATE idempotency_records SET state = 'in_flight' WHERE state = 'committed';
ALTER TABLE idempotency_records DROP CONSTRAINT idempotency_records_state_check;
ALTER TABLE idempotency_records ADD CONSTRAINT idempotency_records_state_check
    CHECK (state IN ('in_flight', 'done'));
