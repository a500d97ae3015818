-- Flyway V23__partition_measurements.sql: executeInTransaction=true (Flyway wraps the whole script in one transaction).
CREATE TABLE telemetry.measurement_p (
    device_id   bigint      NOT NULL,
    recorded_at timestamptz NOT NULL,
    metric      text        NOT NULL,
    value       double precision,
    PRIMARY KEY (device_id, recorded_at, metric)
) PARTITION BY RANGE (recorded_at);
CREATE TABLE telemetry.measurement_p_2025_01 PARTITION OF telemetry.measurement_p FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
CREATE TABLE telemetry.measurement_p_2025_02 PARTITION OF telemetry.measurement_p FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');
CREATE TABLE telemetry.measurement_p_default PARTITION OF telemetry.measurement_p DEFAULT;
CREATE INDEX measurement_p_metric_idx ON telemetry.measurement_p (metric, recorded_at DESC);
-- the old unpartitioned table becomes the partition for everything before 2025
ALTER TABLE telemetry.measurement ADD CONSTRAINT measurement_before_2025 CHECK (recorded_at IS NOT NULL AND recorded_at < '2025-01-01') NOT VALID;
ALTER TABLE telemetry.measurement VALIDATE CONSTRAINT measurement_before_2025;
ALTER TABLE telemetry.measurement RENAME TO measurement_legacy;
ALTER TABLE telemetry.measurement_p ATTACH PARTITION telemetry.measurement_legacy FOR VALUES FROM (MINVALUE) TO ('2025-01-01');
ALTER TABLE telemetry.measurement_p RENAME TO measurement;
ALTER TABLE telemetry.measurement_legacy DROP CONSTRAINT measurement_before_2025;
CREATE OR REPLACE VIEW telemetry.latest_measurement AS SELECT DISTINCT ON (device_id, metric) device_id, metric, value, recorded_at FROM telemetry.measurement ORDER BY device_id, metric, recorded_at DESC;
-- retention: the 2022 partition of the event log goes to cold storage
ALTER TABLE telemetry.event_log DETACH PARTITION telemetry.event_log_2022;
DROP TABLE telemetry.event_log_2022;
ALTER TABLE telemetry.event_log ATTACH PARTITION telemetry.event_log_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
GRANT SELECT ON telemetry.measurement, telemetry.latest_measurement TO reporting;
GRANT SELECT, INSERT ON telemetry.measurement TO ingest_writer;
