-- Login throttling per (account, address) pair with an exponential back-off
-- per account (docs/SECURITY.md): the account row keeps its back-off level.
ALTER TABLE login_throttles ADD COLUMN lockouts integer NOT NULL DEFAULT 0;

-- Sign-up responses are no longer kept for Idempotency-Key replays: they held
-- working access and refresh tokens in clear. Forget the ones stored before.
-- (Sign-up is the only route whose records are per client address.)
DELETE FROM idempotency_records WHERE caller LIKE 'ip:%';
