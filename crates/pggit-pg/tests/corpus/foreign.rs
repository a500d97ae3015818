//! Foreign data wrappers, servers and foreign tables (`CREATE FOREIGN DATA
//! WRAPPER`, `CREATE SERVER`, `CREATE FOREIGN TABLE` and every `ALTER`
//! form of them that the catalog keeps). Wrappers are made without a
//! handler (that needs C), with a validator written in SQL. Run on every
//! server.

use super::Case;

const W: &str = "CREATE FOREIGN DATA WRAPPER dummy;";
const S: &str = "CREATE FOREIGN DATA WRAPPER dummy; CREATE SERVER remote TYPE 'pg' VERSION '15' FOREIGN DATA WRAPPER dummy OPTIONS (host 'db.example', port '5432');";
const FT: &str = "CREATE FOREIGN DATA WRAPPER dummy; CREATE SERVER remote FOREIGN DATA WRAPPER dummy OPTIONS (host 'db.example'); CREATE FOREIGN TABLE public.orders (id int OPTIONS (column_name 'order_id') NOT NULL, total numeric(10,2) DEFAULT 0, note text COLLATE \"C\") SERVER remote OPTIONS (schema_name 'sales', table_name 'orders');";
const VALIDATOR: &str = "CREATE FUNCTION public.accept_all(text[], oid) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;";

#[rustfmt::skip]
pub const FOREIGN: &[Case] = &[
    Case { name: "fdw_create", a: "CREATE TABLE public.keep (id int);", change: W },
    Case { name: "fdw_create_with_options", a: "CREATE TABLE public.keep (id int);", change: "CREATE FOREIGN DATA WRAPPER dummy OPTIONS (debug 'true', \"odd key\" 'it''s');" },
    Case { name: "fdw_validator", a: VALIDATOR, change: "CREATE FOREIGN DATA WRAPPER checked VALIDATOR public.accept_all;" },
    Case { name: "fdw_alter_validator", a: "CREATE FUNCTION public.accept_all(text[], oid) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$; CREATE FOREIGN DATA WRAPPER checked;", change: "ALTER FOREIGN DATA WRAPPER checked VALIDATOR public.accept_all;" },
    Case { name: "fdw_alter_options", a: "CREATE FOREIGN DATA WRAPPER dummy OPTIONS (a '1', b '2');", change: "ALTER FOREIGN DATA WRAPPER dummy OPTIONS (SET a '10', DROP b, ADD c '3');" },
    Case { name: "fdw_rename_and_comment", a: S, change: "ALTER FOREIGN DATA WRAPPER dummy RENAME TO dummy2; COMMENT ON FOREIGN DATA WRAPPER dummy2 IS 'no handler';" },
    Case { name: "fdw_drop", a: W, change: "DROP FOREIGN DATA WRAPPER dummy;" },
    Case { name: "server_create", a: W, change: "CREATE SERVER remote FOREIGN DATA WRAPPER dummy;" },
    Case { name: "server_create_full", a: W, change: "CREATE SERVER remote TYPE 'pg' VERSION '15' FOREIGN DATA WRAPPER dummy OPTIONS (host 'db.example', port '5432');" },
    Case { name: "server_alter_version_and_options", a: S, change: "ALTER SERVER remote VERSION '16' OPTIONS (SET port '6432', DROP host, ADD dbname 'app');" },
    Case { name: "server_rename_and_comment", a: S, change: "ALTER SERVER remote RENAME TO replica; COMMENT ON SERVER replica IS 'read replica';" },
    Case { name: "server_drop", a: S, change: "DROP SERVER remote;" },
    Case { name: "server_type_changed", a: S, change: "DROP SERVER remote; CREATE SERVER remote TYPE 'mysql' FOREIGN DATA WRAPPER dummy;" },
    Case { name: "ft_create", a: "CREATE FOREIGN DATA WRAPPER dummy; CREATE SERVER remote FOREIGN DATA WRAPPER dummy OPTIONS (host 'db.example');", change: "CREATE FOREIGN TABLE public.orders (id int OPTIONS (column_name 'order_id') NOT NULL, total numeric(10,2) DEFAULT 0, note text COLLATE \"C\") SERVER remote OPTIONS (schema_name 'sales', table_name 'orders');" },
    Case { name: "ft_create_everything", a: "CREATE TABLE public.keep (id int);", change: FT },
    Case { name: "ft_drop", a: FT, change: "DROP FOREIGN TABLE public.orders;" },
    Case { name: "ft_add_and_drop_column", a: FT, change: "ALTER FOREIGN TABLE public.orders ADD COLUMN placed date OPTIONS (column_name 'placed_at'); ALTER FOREIGN TABLE public.orders DROP COLUMN note;" },
    Case { name: "ft_rename_column_and_table", a: FT, change: "ALTER FOREIGN TABLE public.orders RENAME COLUMN total TO amount; ALTER FOREIGN TABLE public.orders RENAME TO remote_orders;" },
    Case { name: "ft_alter_column_type_default_not_null", a: FT, change: "ALTER FOREIGN TABLE public.orders ALTER COLUMN total TYPE numeric(12,2); ALTER FOREIGN TABLE public.orders ALTER COLUMN total DROP DEFAULT; ALTER FOREIGN TABLE public.orders ALTER COLUMN note SET NOT NULL;" },
    Case { name: "ft_column_options", a: FT, change: "ALTER FOREIGN TABLE public.orders ALTER COLUMN id OPTIONS (SET column_name 'id'); ALTER FOREIGN TABLE public.orders ALTER COLUMN note OPTIONS (ADD column_name 'remark');" },
    Case { name: "ft_table_options", a: FT, change: "ALTER FOREIGN TABLE public.orders OPTIONS (SET table_name 'orders_v2', DROP schema_name, ADD fetch_size '1000');" },
    Case { name: "ft_set_schema_and_comment", a: FT, change: "CREATE SCHEMA remote_data; ALTER FOREIGN TABLE public.orders SET SCHEMA remote_data; COMMENT ON FOREIGN TABLE remote_data.orders IS 'from sales'; COMMENT ON COLUMN remote_data.orders.id IS 'key';" },
    Case { name: "ft_check_constraint", a: FT, change: "ALTER FOREIGN TABLE public.orders ADD CONSTRAINT total_pos CHECK (total >= 0);" },
    Case { name: "ft_move_to_other_server", a: FT, change: "CREATE SERVER other FOREIGN DATA WRAPPER dummy; DROP FOREIGN TABLE public.orders; CREATE FOREIGN TABLE public.orders (id int NOT NULL) SERVER other;" },
    Case { name: "ft_used_by_view_and_granted", a: FT, change: "CREATE VIEW public.big_orders AS SELECT id, total FROM public.orders WHERE total > 100; GRANT SELECT ON public.orders TO PUBLIC;" },
    Case { name: "ft_partition_of_table", a: "CREATE FOREIGN DATA WRAPPER dummy; CREATE SERVER remote FOREIGN DATA WRAPPER dummy; CREATE TABLE public.events (id int, at date) PARTITION BY RANGE (at);", change: "CREATE FOREIGN TABLE public.events_2020 PARTITION OF public.events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01') SERVER remote OPTIONS (table_name 'events_2020');" },
    Case { name: "ft_hostile_names", a: "CREATE FOREIGN DATA WRAPPER dummy;", change: "CREATE SERVER \"a\"\"; drop table x; --\" FOREIGN DATA WRAPPER dummy OPTIONS (\"k'ey\" 'v''al'); CREATE FOREIGN TABLE public.\"tä\"\"ble\" (\"cöl\" int OPTIONS (\"o'\" 'p''q')) SERVER \"a\"\"; drop table x; --\";" },
];
