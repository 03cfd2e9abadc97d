-- Back to 000019's layout: the transaction ids in outbox_event_txids, noted by a trigger.
CREATE TABLE IF NOT EXISTS outbox_event_txids (
    seq   bigint PRIMARY KEY REFERENCES outbox_events (seq) ON DELETE CASCADE,
    txid  bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_event_txids_walk ON outbox_event_txids (txid, seq);
INSERT INTO outbox_event_txids (seq, txid) SELECT seq, txid FROM outbox_events ON CONFLICT (seq) DO NOTHING;

CREATE OR REPLACE FUNCTION outbox_event_txid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox_event_txids (seq, txid) VALUES (NEW.seq, pg_current_xact_id()::text::bigint);
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS outbox_events_txid ON outbox_events;
CREATE TRIGGER outbox_events_txid AFTER INSERT ON outbox_events
    FOR EACH ROW EXECUTE FUNCTION outbox_event_txid();

DROP INDEX IF EXISTS outbox_events_walk;
ALTER TABLE outbox_events DROP COLUMN IF EXISTS txid;
