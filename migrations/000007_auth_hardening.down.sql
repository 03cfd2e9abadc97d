ALTER TABLE login_throttles DROP COLUMN IF EXISTS lockouts;
