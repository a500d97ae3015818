-- Generated names and a psql include.
\set ON_ERROR_STOP on
CREATE TABLE IF NOT EXISTS customer_subscription_renewal_reminder_notification_preferences_by_channel (id bigint);
ALTER TABLE orders ADD COLUMN IF NOT EXISTS shipped_at timestamptz;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS delivered_at timestamptz;
\i 0009_more.sql
