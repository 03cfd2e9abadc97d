DROP INDEX IF EXISTS notifications_user_id_id;
DROP TRIGGER IF EXISTS notifications_publish ON notifications;
DROP FUNCTION IF EXISTS notifications_publish();
