DROP TABLE rate_limits;
DROP INDEX orders_external_ref_idx;
DROP INDEX orders_client_external_ref_key;
ALTER TABLE orders DROP COLUMN api_client_id;
DROP TABLE api_clients;
