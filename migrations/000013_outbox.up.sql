-- The transactional outbox (SPEC §6): every integration event (order.created,
-- order.status_changed, order.assigned, order.completed, rating.created,
-- complaint.created, complaint.escalated, sla.breached, stock.low) is a row
-- written in the same transaction as the change that causes it, so none is
-- lost when the process dies between commit and delivery. Webhook delivery
-- reads it; rows are never updated by the writers.
CREATE TABLE outbox_events (
    id          uuid PRIMARY KEY,
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    type        text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
    order_id    uuid,          -- ordering key for deliveries (NULL: not about one order)
    provider_id uuid,          -- the provider the event belongs to (NULL: in-house / global)
    data        jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    created_at  timestamptz NOT NULL
);
CREATE INDEX outbox_events_order ON outbox_events (order_id, seq) WHERE order_id IS NOT NULL;
