-- Hand-written ops script (run with psql -f by the on-call engineer, autocommit): backfill + maintenance after the 2025-03 incident.
\set ON_ERROR_STOP on
SET statement_timeout = '5min';
SET lock_timeout = '2s';
-- backfill in batches, each its own transaction (autocommit)
UPDATE orders SET currency = 'EUR' WHERE currency IS NULL AND id BETWEEN 1 AND 50000;
UPDATE orders SET currency = 'EUR' WHERE currency IS NULL AND id BETWEEN 50001 AND 100000;
UPDATE orders SET currency = 'EUR' WHERE id IN (SELECT id FROM orders WHERE currency IS NULL ORDER BY id LIMIT 10000 FOR UPDATE SKIP LOCKED);
-- one-off fix-ups
UPDATE customers SET email = lower(email);
UPDATE customers SET marketing_opt_in = false WHERE TRUE;
DELETE FROM sessions WHERE last_seen_at < now() - interval '90 days';
DELETE FROM login_attempts;
TRUNCATE TABLE import_staging;
TRUNCATE ONLY import_errors RESTART IDENTITY;
VACUUM (ANALYZE, VERBOSE) orders;
ANALYZE customers;
VACUUM FULL VERBOSE login_attempts;
CLUSTER VERBOSE sessions USING sessions_last_seen_at_idx;
REINDEX (VERBOSE) INDEX CONCURRENTLY orders_customer_id_idx;
REINDEX INDEX orders_placed_at_idx;
REINDEX TABLE CONCURRENTLY customers;
ALTER TABLE orders SET (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE order_archive SET TABLESPACE cold_storage;
ALTER INDEX orders_placed_at_idx SET TABLESPACE fast_ssd;
ALTER TABLE order_archive SET LOGGED;
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle in transaction' AND xact_start < now() - interval '1 hour';
RESET lock_timeout;
RESET statement_timeout;
