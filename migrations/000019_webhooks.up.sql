-- Webhooks (issue 12 item 3): subscriptions, the relay from the outbox and
-- the delivery queue with its attempt log.
--
-- Relay: outbox_events.seq is taken at INSERT, not at COMMIT, so a cursor on
-- seq alone could pass over a row whose transaction commits later. Each
-- outbox row's writing transaction id is therefore noted (trigger below) and
-- the relay only reads rows whose transaction is older than the oldest one
-- still running (pg_snapshot_xmin): those can no longer appear or vanish.
-- The relay walks (txid, seq) from its cursor row, updated in the same
-- transaction as the messages it inserts (at-least-once, nothing skipped).
CREATE TABLE outbox_event_txids (
    seq   bigint PRIMARY KEY REFERENCES outbox_events (seq) ON DELETE CASCADE,
    txid  bigint NOT NULL
);
CREATE INDEX outbox_event_txids_walk ON outbox_event_txids (txid, seq);

CREATE FUNCTION outbox_event_txid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox_event_txids (seq, txid) VALUES (NEW.seq, pg_current_xact_id()::text::bigint);
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_events_txid AFTER INSERT ON outbox_events
    FOR EACH ROW EXECUTE FUNCTION outbox_event_txid();

-- events written before this migration: one old "transaction" each
INSERT INTO outbox_event_txids (seq, txid) SELECT seq, 0 FROM outbox_events;

CREATE TABLE webhook_relay (
    id         smallint PRIMARY KEY CHECK (id = 1),
    last_txid  bigint NOT NULL,
    last_seq   bigint NOT NULL
);
INSERT INTO webhook_relay (id, last_txid, last_seq) VALUES (1, -1, 0);

-- A subscription. events empty = every event type. provider_id set: only
-- events whose outbox row carries that provider (a partner's own orders).
-- The secret is the HMAC key (it must be readable to sign; shown once).
-- start_seq: events at or below it happened before the webhook existed.
CREATE TABLE webhooks (
    id             uuid PRIMARY KEY,
    url            text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    events         text[] NOT NULL,
    description    text NOT NULL DEFAULT '',
    secret         text NOT NULL CHECK (length(secret) >= 16),
    provider_id    uuid REFERENCES providers (id),
    api_client_id  uuid,          -- the API client that registered it (NULL: a manager)
    created_by     uuid REFERENCES users (id),
    start_seq      bigint NOT NULL,
    created_at     timestamptz NOT NULL,
    deleted_at     timestamptz
);
CREATE INDEX webhooks_live ON webhooks (created_at, id) WHERE deleted_at IS NULL;

-- One event to send to one webhook. pending → delivered, or failed once the
-- retry window (24 h from the first attempt's due time) is over. A pending
-- message of an order blocks that order's later messages to the same webhook
-- (in order per order id). next_attempt_at doubles as the claim's lease.
CREATE TABLE webhook_messages (
    id               uuid PRIMARY KEY,
    webhook_id       uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         uuid NOT NULL REFERENCES outbox_events (id),
    seq              bigint NOT NULL,
    order_id         uuid,
    status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    give_up_at       timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    delivered_at     timestamptz,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at, seq) WHERE status = 'pending';
CREATE INDEX webhook_messages_chain ON webhook_messages (webhook_id, order_id, seq) WHERE status = 'pending';

-- Every attempt (and every test ping), newest first per webhook.
CREATE TABLE webhook_deliveries (
    id             uuid PRIMARY KEY,
    webhook_id     uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id     uuid REFERENCES webhook_messages (id) ON DELETE CASCADE,
    event_id       uuid NOT NULL,
    event_type     text NOT NULL,
    attempt        integer NOT NULL,
    status_code    integer,
    error          text NOT NULL DEFAULT '',
    duration_ms    bigint NOT NULL,
    next_retry_at  timestamptz,
    created_at     timestamptz NOT NULL
);
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, created_at DESC, id DESC);
