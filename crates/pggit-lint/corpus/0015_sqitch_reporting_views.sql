-- sqitch deploy script: deploy/reporting_views.sql (-- requires: appschema, orders), sqitch runs it with psql.
-- Deploy shop:reporting_views to pg
-- requires: appschema

BEGIN;

CREATE SCHEMA IF NOT EXISTS reporting AUTHORIZATION shop_owner;

CREATE OR REPLACE VIEW reporting.daily_revenue AS
    SELECT date_trunc('day', placed_at) AS day, currency, sum(total) AS revenue, count(*) AS orders
      FROM shop.orders
     WHERE status <> 'cancelled'
     GROUP BY 1, 2;

CREATE MATERIALIZED VIEW reporting.customer_ltv AS
    SELECT customer_id, sum(total) AS lifetime_value, max(placed_at) AS last_order_at
      FROM shop.orders
     GROUP BY customer_id
WITH NO DATA;

CREATE UNIQUE INDEX customer_ltv_customer_id ON reporting.customer_ltv (customer_id);

REFRESH MATERIALIZED VIEW reporting.customer_ltv;

CREATE OR REPLACE FUNCTION shop.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS orders_touch_updated_at ON shop.orders;
CREATE TRIGGER orders_touch_updated_at BEFORE UPDATE ON shop.orders
    FOR EACH ROW EXECUTE FUNCTION shop.touch_updated_at();

CREATE OR REPLACE FUNCTION reporting.refresh_all() RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = reporting, pg_temp AS $$
    REFRESH MATERIALIZED VIEW CONCURRENTLY reporting.customer_ltv;
$$;

GRANT USAGE ON SCHEMA reporting TO analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA reporting GRANT SELECT ON TABLES TO analyst;
REVOKE ALL ON FUNCTION reporting.refresh_all() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reporting.refresh_all() TO reporting_cron;
COMMENT ON MATERIALIZED VIEW reporting.customer_ltv IS 'refreshed nightly by reporting.refresh_all()';

COMMIT;

-- run outside the deploy transaction by the release script once the view is populated
REFRESH MATERIALIZED VIEW CONCURRENTLY reporting.customer_ltv;
