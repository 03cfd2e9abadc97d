DROP TABLE complaint_events;
DROP INDEX complaints_created;
DROP INDEX complaints_close_due;
DROP INDEX complaints_escalation_due;
ALTER TABLE complaints
    DROP COLUMN region, DROP COLUMN reply_due_at, DROP COLUMN resolution_due_at, DROP COLUMN escalation_due_at,
    DROP COLUMN close_due_at, DROP COLUMN responded_at, DROP COLUMN resolved_at, DROP COLUMN closed_at,
    DROP COLUMN response, DROP COLUMN resolution;
DROP TABLE region_holidays;
ALTER TABLE regions DROP COLUMN working_days;
