-- Working calendars and complaints with escalation (issue 11 items 1 and 3).

-- A region's working weekdays (its working hours and zone are already on the
-- row, migration 000009) and its holidays, local dates (internal/platform/workcal).
ALTER TABLE regions
    ADD COLUMN working_days text[] NOT NULL DEFAULT '{mon,tue,wed,thu,fri}'
        CONSTRAINT regions_working_days CHECK (cardinality(working_days) > 0
            AND working_days <@ '{mon,tue,wed,thu,fri,sat,sun}'::text[]);

CREATE TABLE region_holidays (
    region_code  text NOT NULL REFERENCES regions (code) ON DELETE CASCADE ON UPDATE CASCADE,
    day          date NOT NULL,
    name         text NOT NULL DEFAULT '',
    PRIMARY KEY (region_code, day)
);

-- Complaints (SPEC §5): due times on the working calendar of the region they
-- were counted on (the order's, or the default region's), the next automatic
-- escalation while unanswered, and the replies customers see.
ALTER TABLE complaints
    ADD COLUMN region             text NOT NULL DEFAULT '',
    ADD COLUMN reply_due_at       timestamptz,
    ADD COLUMN resolution_due_at  timestamptz,
    ADD COLUMN escalation_due_at  timestamptz,  -- the next automatic escalation (open, level < 3); NULL: none pending
    ADD COLUMN close_due_at       timestamptz,  -- resolved: closes itself then unless the customer rejects the resolution
    ADD COLUMN responded_at       timestamptz,
    ADD COLUMN resolved_at        timestamptz,
    ADD COLUMN closed_at          timestamptz,
    ADD COLUMN response           text NOT NULL DEFAULT '',
    ADD COLUMN resolution         text NOT NULL DEFAULT '';
-- rows opened by ratings before this migration: wall-clock days stand in for working days
UPDATE complaints SET reply_due_at = created_at + interval '1 day', resolution_due_at = created_at + interval '3 days',
    escalation_due_at = CASE WHEN status = 'open' AND level < 3 THEN created_at + interval '1 day' END;
ALTER TABLE complaints
    ALTER COLUMN reply_due_at SET NOT NULL,
    ALTER COLUMN resolution_due_at SET NOT NULL;
-- the escalation sweep and the closing sweep read these
CREATE INDEX complaints_escalation_due ON complaints (escalation_due_at) WHERE status = 'open' AND escalation_due_at IS NOT NULL;
CREATE INDEX complaints_close_due ON complaints (close_due_at) WHERE status = 'resolved';
-- lists: newest first, keyset on (created_at, id)
CREATE INDEX complaints_created ON complaints (created_at DESC, id DESC);

-- The complaint's timeline: who did what, when. Rows are never changed.
-- internal = true rows (escalations, staff notes) are never shown to customers,
-- nor is internal_note on any row.
CREATE TABLE complaint_events (
    id             uuid PRIMARY KEY,
    seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    complaint_id   uuid NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
    action         text NOT NULL CHECK (action IN ('create', 'respond', 'escalate', 'auto_escalate', 'resolve', 'reject_resolution', 'close')),
    actor_id       uuid REFERENCES users (id),  -- NULL: the system (automatic escalation, closing)
    actor_role     text NOT NULL,                -- a role, or 'system'
    from_status    text,
    to_status      text NOT NULL,
    from_level     smallint,
    to_level       smallint NOT NULL,
    note           text NOT NULL DEFAULT '',     -- what the customer sees (reply, resolution, their reason)
    internal_note  text NOT NULL DEFAULT '',     -- staff only
    internal       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL
);
CREATE INDEX complaint_events_complaint ON complaint_events (complaint_id, seq);
