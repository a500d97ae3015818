//! Extended statistics (`CREATE STATISTICS`, `ALTER STATISTICS`), every
//! form PostgreSQL's documentation lists, and what happens to them when
//! the table or columns they cover change. Run on every server.

use super::Case;

const T: &str = "CREATE TABLE public.t (id int PRIMARY KEY, a int, b int, c text, d date);";

const T_S: &str = "CREATE TABLE public.t (id int PRIMARY KEY, a int, b int, c text, d date); CREATE STATISTICS public.s ON a, b FROM public.t;";

#[rustfmt::skip]
pub const STATISTICS: &[Case] = &[
    Case { name: "stx_create_all_kinds", a: T, change: "CREATE STATISTICS public.s ON a, b FROM public.t;" },
    Case { name: "stx_create_ndistinct_dependencies", a: T, change: "CREATE STATISTICS public.s (ndistinct, dependencies) ON a, b, c FROM public.t;" },
    Case { name: "stx_create_mcv", a: T, change: "CREATE STATISTICS public.s (mcv) ON a, d FROM public.t;" },
    Case { name: "stx_create_if_not_exists_two", a: T, change: "CREATE STATISTICS IF NOT EXISTS public.s1 (dependencies) ON a, b FROM public.t; CREATE STATISTICS public.s2 (ndistinct) ON b, c FROM public.t;" },
    Case { name: "stx_create_in_other_schema", a: "CREATE SCHEMA st; CREATE TABLE public.t (id int, a int, b int);", change: "CREATE STATISTICS st.s ON a, b FROM public.t;" },
    Case { name: "stx_create_with_table", a: "CREATE SCHEMA app;", change: "CREATE TABLE app.o (id int, region text, city text); CREATE STATISTICS app.o_geo (dependencies, mcv) ON region, city FROM app.o;" },
    Case { name: "stx_hostile_names", a: "CREATE TABLE public.\"t\"\"; drop table x; --\" (\"a b\" int, \"ü\" int);", change: "CREATE STATISTICS public.\"st\"\"; --\" ON \"a b\", \"ü\" FROM public.\"t\"\"; drop table x; --\";" },
    Case { name: "stx_drop", a: T_S, change: "DROP STATISTICS public.s;" },
    Case { name: "stx_drop_if_exists", a: T_S, change: "DROP STATISTICS IF EXISTS public.s, public.nope;" },
    Case { name: "stx_rename", a: T_S, change: "ALTER STATISTICS public.s RENAME TO s_ab;" },
    Case { name: "stx_set_schema", a: "CREATE SCHEMA st; CREATE TABLE public.t (id int, a int, b int); CREATE STATISTICS public.s ON a, b FROM public.t;", change: "ALTER STATISTICS public.s SET SCHEMA st;" },
    Case { name: "stx_set_statistics", a: T_S, change: "ALTER STATISTICS public.s SET STATISTICS 500;" },
    Case { name: "stx_set_statistics_zero", a: T_S, change: "ALTER STATISTICS public.s SET STATISTICS 0;" },
    Case { name: "stx_reset_statistics", a: "CREATE TABLE public.t (a int, b int); CREATE STATISTICS public.s ON a, b FROM public.t; ALTER STATISTICS public.s SET STATISTICS 300;", change: "ALTER STATISTICS public.s SET STATISTICS -1;" },
    Case { name: "stx_comment", a: T_S, change: "COMMENT ON STATISTICS public.s IS 'a and b move together';" },
    Case { name: "stx_comment_removed", a: "CREATE TABLE public.t (a int, b int); CREATE STATISTICS public.s ON a, b FROM public.t; COMMENT ON STATISTICS public.s IS 'x';", change: "COMMENT ON STATISTICS public.s IS NULL;" },
    Case { name: "stx_redefined", a: T_S, change: "DROP STATISTICS public.s; CREATE STATISTICS public.s (mcv) ON a, b, c FROM public.t;" },
    Case { name: "stx_table_renamed", a: T_S, change: "ALTER TABLE public.t RENAME TO t2;" },
    Case { name: "stx_table_moved", a: "CREATE SCHEMA app; CREATE TABLE public.t (a int, b int); CREATE STATISTICS public.s ON a, b FROM public.t;", change: "ALTER TABLE public.t SET SCHEMA app;" },
    Case { name: "stx_column_renamed", a: T_S, change: "ALTER TABLE public.t RENAME COLUMN a TO a_new;" },
    Case { name: "stx_column_retyped", a: T_S, change: "ALTER TABLE public.t ALTER COLUMN a TYPE bigint;" },
    // The last column: a column re-added on the way back goes last.
    Case { name: "stx_column_dropped", a: "CREATE TABLE public.t (id int, a int, b int); CREATE STATISTICS public.s ON a, b FROM public.t;", change: "ALTER TABLE public.t DROP COLUMN b;" },
    Case { name: "stx_table_dropped", a: "CREATE TABLE public.keep (id int); CREATE TABLE public.t (a int, b int); CREATE STATISTICS public.s ON a, b FROM public.t;", change: "DROP TABLE public.t;" },
    Case { name: "stx_on_materialized_view", a: "CREATE TABLE public.t (a int, b int); CREATE MATERIALIZED VIEW public.mv AS SELECT a, b FROM public.t;", change: "CREATE STATISTICS public.mv_s ON a, b FROM public.mv;" },
];

/// Statistics on expressions (PostgreSQL 14).
#[rustfmt::skip]
pub const STATISTICS_PG14: &[Case] = &[
    Case { name: "pg14_stx_expressions", a: T, change: "CREATE STATISTICS public.s ON lower(c), (a + b) FROM public.t;" },
    Case { name: "pg14_stx_single_expression", a: T, change: "CREATE STATISTICS public.s ON (date_trunc('month', d::timestamp)) FROM public.t;" },
    Case { name: "pg14_stx_expression_and_columns_kinds", a: T, change: "CREATE STATISTICS public.s (ndistinct, mcv) ON a, lower(c) FROM public.t;" },
    Case { name: "pg14_stx_expression_column_renamed", a: "CREATE TABLE public.t (a int, c text); CREATE STATISTICS public.s ON a, lower(c) FROM public.t;", change: "ALTER TABLE public.t RENAME COLUMN c TO label;" },
];
