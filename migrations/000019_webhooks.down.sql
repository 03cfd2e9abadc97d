DROP TABLE IF EXISTS webhook_deliveries;
DROP TABLE IF EXISTS webhook_messages;
DROP TABLE IF EXISTS webhooks;
DROP TABLE IF EXISTS webhook_relay;
DROP TRIGGER IF EXISTS outbox_events_txid ON outbox_events;
DROP FUNCTION IF EXISTS outbox_event_txid();
DROP TABLE IF EXISTS outbox_event_txids;
