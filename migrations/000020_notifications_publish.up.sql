-- Issue 12, item 4: live notifications across replicas.
--
-- Every inserted notification is published on the PostgreSQL channel
-- fieldops_notifications, whoever writes it (orders, complaints, SLA jobs):
-- NOTIFY is transactional, so the message goes out only if the writing
-- transaction commits, and at its commit. The payload is "<id> <user_id>"
-- only, never the content: each replica's hub (internal/platform/notify)
-- wakes that user's Server-Sent Events streams, which read the row itself
-- under the user's scope.
CREATE FUNCTION notifications_publish() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fieldops_notifications', NEW.id::text || ' ' || NEW.user_id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER notifications_publish AFTER INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_publish();

-- a stream's catch-up (Last-Event-ID, or after the listener reconnected) is
-- "this user's notifications after id X, in id order" (UUIDv7: time order)
CREATE INDEX notifications_user_id_id ON notifications (user_id, id);
