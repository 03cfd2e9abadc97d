-- Intake's cost (issue 8): the writing transaction id of an outbox event
-- becomes a column of the event, filled by its DEFAULT, instead of a row of
-- outbox_event_txids inserted by an AFTER INSERT trigger (000019). Per event
-- that saves a PL/pgSQL call, a second heap row with two index entries, and
-- the foreign-key check of that row against outbox_events.
--
-- Same value, same meaning: a column DEFAULT is evaluated while the INSERT
-- runs, in the inserting transaction, as the trigger was (AFTER ROW triggers
-- run at the end of the same statement, still in that transaction), so
-- pg_current_xact_id() is the same id. The relay's bound and cursor
-- (internal/webhooks, relay.go) keep their meaning: (txid, seq) walked
-- through outbox_events_walk instead of outbox_event_txids_walk. Writers
-- never name the column (outbox.Event.Txid is read-only).
ALTER TABLE outbox_events ADD COLUMN txid bigint NOT NULL DEFAULT 0;
UPDATE outbox_events e SET txid = t.txid FROM outbox_event_txids t WHERE t.seq = e.seq;
ALTER TABLE outbox_events ALTER COLUMN txid SET DEFAULT pg_current_xact_id()::text::bigint;
CREATE INDEX outbox_events_walk ON outbox_events (txid, seq);

DROP TRIGGER outbox_events_txid ON outbox_events;
DROP FUNCTION outbox_event_txid();
DROP TABLE outbox_event_txids;
