-- Hand-written operations script.
VACUUM FULL audit_log;
CLUSTER audit_log USING audit_log_at_idx;
REINDEX TABLE orders;
REINDEX INDEX CONCURRENTLY orders_pkey;
DROP INDEX orders_status_idx;
DROP INDEX CONCURRENTLY IF EXISTS orders_old_idx;
TRUNCATE sessions CASCADE;
ALTER TABLE events DETACH PARTITION events_2019;
ALTER TABLE events ATTACH PARTITION events_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
ALTER TABLE orders SET UNLOGGED;
ALTER TABLE orders ALTER COLUMN amount SET STATISTICS 1000;
CREATE STATISTICS orders_stats (dependencies) ON customer_id, status FROM orders;
DELETE FROM audit_log;
DROP DATABASE scratch;
