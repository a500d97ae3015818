//! Publications (`CREATE PUBLICATION`, `ALTER PUBLICATION`), every form
//! PostgreSQL's documentation lists, and what table renames and drops do to
//! them. Run on every server; row filters, column lists and schemas need
//! PostgreSQL 15.

use super::Case;

const T: &str = "CREATE TABLE public.orders (id int PRIMARY KEY, status text, total numeric); CREATE TABLE public.users (id int PRIMARY KEY, email text);";

#[rustfmt::skip]
pub const PUBLICATIONS: &[Case] = &[
    Case { name: "pub_for_table", a: T, change: "CREATE PUBLICATION orders_pub FOR TABLE public.orders;" },
    Case { name: "pub_for_two_tables_with_options", a: T, change: "CREATE PUBLICATION p FOR TABLE public.orders, public.users WITH (publish = 'insert, update');" },
    Case { name: "pub_for_all_tables", a: T, change: "CREATE PUBLICATION everything FOR ALL TABLES;" },
    Case { name: "pub_empty", a: T, change: "CREATE PUBLICATION later;" },
    Case { name: "pub_publish_nothing", a: T, change: "CREATE PUBLICATION quiet FOR TABLE public.users WITH (publish = '');" },
    Case { name: "pub_via_root", a: "CREATE TABLE public.m (at date NOT NULL, v int) PARTITION BY RANGE (at); CREATE TABLE public.m_2026 PARTITION OF public.m FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');", change: "CREATE PUBLICATION m_pub FOR TABLE public.m WITH (publish_via_partition_root = true);" },
    Case { name: "pub_hostile_name", a: T, change: "CREATE PUBLICATION \"p\"\"; drop table x; --\" FOR TABLE public.orders;" },
    Case { name: "pub_add_table", a: "CREATE TABLE public.orders (id int PRIMARY KEY); CREATE TABLE public.users (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE public.orders;", change: "ALTER PUBLICATION p ADD TABLE public.users;" },
    Case { name: "pub_drop_table", a: "CREATE TABLE public.orders (id int PRIMARY KEY); CREATE TABLE public.users (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE public.orders, public.users;", change: "ALTER PUBLICATION p DROP TABLE public.orders;" },
    Case { name: "pub_drop_last_table", a: "CREATE TABLE public.orders (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE public.orders;", change: "ALTER PUBLICATION p DROP TABLE public.orders;" },
    Case { name: "pub_set_table", a: "CREATE TABLE public.orders (id int PRIMARY KEY); CREATE TABLE public.users (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE public.orders;", change: "ALTER PUBLICATION p SET TABLE public.users;" },
    Case { name: "pub_set_options", a: "CREATE TABLE public.orders (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE public.orders;", change: "ALTER PUBLICATION p SET (publish = 'insert, delete, truncate');" },
    Case { name: "pub_rename", a: "CREATE TABLE public.orders (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE public.orders;", change: "ALTER PUBLICATION p RENAME TO orders_feed;" },
    Case { name: "pub_comment", a: "CREATE TABLE public.orders (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE public.orders;", change: "COMMENT ON PUBLICATION p IS 'to the warehouse';" },
    Case { name: "pub_dropped", a: "CREATE TABLE public.orders (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE public.orders;", change: "DROP PUBLICATION p;" },
    Case { name: "pub_table_renamed", a: "CREATE TABLE public.orders (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE public.orders;", change: "ALTER TABLE public.orders RENAME TO purchases;" },
    Case { name: "pub_table_dropped", a: "CREATE TABLE public.orders (id int PRIMARY KEY); CREATE TABLE public.users (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE public.orders, public.users;", change: "DROP TABLE public.orders;" },
    Case { name: "pub_all_tables_to_list", a: "CREATE TABLE public.orders (id int PRIMARY KEY); CREATE PUBLICATION p FOR ALL TABLES;", change: "DROP PUBLICATION p; CREATE PUBLICATION p FOR TABLE public.orders;" },
];

/// Row filters, column lists and schemas (PostgreSQL 15).
#[rustfmt::skip]
pub const PUBLICATIONS_PG15: &[Case] = &[
    Case { name: "pg15_pub_row_filter", a: T, change: "CREATE PUBLICATION open_orders FOR TABLE public.orders WHERE (status <> 'closed');" },
    Case { name: "pg15_pub_column_list", a: T, change: "CREATE PUBLICATION slim FOR TABLE public.orders (id, status), public.users (id);" },
    Case { name: "pg15_pub_tables_in_schema", a: "CREATE SCHEMA sales; CREATE TABLE sales.a (id int); CREATE TABLE public.u (id int);", change: "CREATE PUBLICATION s FOR TABLES IN SCHEMA sales;" },
    Case { name: "pg15_pub_table_and_schema", a: "CREATE SCHEMA sales; CREATE TABLE sales.a (id int); CREATE TABLE public.u (id int PRIMARY KEY);", change: "CREATE PUBLICATION s FOR TABLE public.u, TABLES IN SCHEMA sales;" },
    Case { name: "pg15_pub_set_filter", a: "CREATE TABLE public.orders (id int PRIMARY KEY, status text); CREATE PUBLICATION p FOR TABLE public.orders;", change: "ALTER PUBLICATION p SET TABLE public.orders WHERE (status = 'open');" },
    Case { name: "pg15_pub_filter_column_renamed", a: "CREATE TABLE public.orders (id int PRIMARY KEY, status text); CREATE PUBLICATION p FOR TABLE public.orders (id, status) WHERE (status = 'open');", change: "ALTER TABLE public.orders RENAME COLUMN status TO state;" },
    // Found in review: a column a publication lists or filters on must
    // leave the publication before it can be dropped or retyped.
    Case { name: "pg15_pub_column_list_column_dropped", a: "CREATE TABLE public.t (id int PRIMARY KEY, a int, b int); CREATE PUBLICATION p FOR TABLE public.t (id, a, b);", change: "ALTER PUBLICATION p SET TABLE public.t (id, a); ALTER TABLE public.t DROP COLUMN b;" },
    Case { name: "pg15_pub_filter_column_retyped", a: "CREATE TABLE public.t (id int PRIMARY KEY, status varchar(10)); CREATE PUBLICATION p FOR TABLE public.t WHERE (status <> 'x');", change: "ALTER PUBLICATION p SET TABLE public.t; ALTER TABLE public.t ALTER COLUMN status TYPE text; ALTER PUBLICATION p SET TABLE public.t WHERE (status <> 'x');" },
    Case { name: "pg15_pub_drop_schema_from", a: "CREATE SCHEMA sales; CREATE TABLE sales.a (id int); CREATE PUBLICATION s FOR TABLES IN SCHEMA sales;", change: "ALTER PUBLICATION s DROP TABLES IN SCHEMA sales;" },
];

/// `publish_generated_columns` (PostgreSQL 18).
#[rustfmt::skip]
pub const PUBLICATIONS_PG18: &[Case] = &[
    Case { name: "pg18_pub_generated_columns", a: "CREATE TABLE public.t (id int PRIMARY KEY, a int, d int GENERATED ALWAYS AS (a * 2) STORED);", change: "CREATE PUBLICATION p FOR TABLE public.t WITH (publish_generated_columns = stored);" },
    Case { name: "pg18_pub_set_generated_columns", a: "CREATE TABLE public.t (id int PRIMARY KEY, a int); CREATE PUBLICATION p FOR TABLE public.t;", change: "ALTER PUBLICATION p SET (publish = 'insert', publish_generated_columns = stored);" },
];
