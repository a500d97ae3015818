//! Planner and storage settings: column statistics targets, storage modes,
//! attribute options (`n_distinct`), compression, `CLUSTER ON`, statistics
//! targets of index expression columns, TOAST storage parameters and
//! unlogged sequences — each set, changed and reset, on new and existing
//! objects, through type changes, inheritance and hostile names. The
//! single-statement forms are in `features.rs`; these are what a team's
//! migrations combine them with.
use super::Case;

#[rustfmt::skip]
pub const SETTINGS: &[Case] = &[
    Case { name: "set_statistics_on_new_table", a: "CREATE SCHEMA app;", change: "CREATE TABLE app.t (id int PRIMARY KEY, v text, n numeric); ALTER TABLE app.t ALTER COLUMN v SET STATISTICS 1000, ALTER COLUMN n SET STATISTICS 0;" },
    Case { name: "set_statistics_changed", a: "CREATE TABLE public.t (id int, v text); ALTER TABLE public.t ALTER COLUMN v SET STATISTICS 200;", change: "ALTER TABLE public.t ALTER COLUMN v SET STATISTICS 50, ALTER COLUMN id SET STATISTICS 10;" },
    Case { name: "storage_back_to_type_default", a: "CREATE TABLE public.t (id int, a text, b bytea); ALTER TABLE public.t ALTER COLUMN a SET STORAGE EXTERNAL, ALTER COLUMN b SET STORAGE MAIN;", change: "ALTER TABLE public.t ALTER COLUMN a SET STORAGE EXTENDED, ALTER COLUMN b SET STORAGE EXTENDED;" },
    Case { name: "storage_plain_int_to_main", a: "CREATE TABLE public.t (id int, j jsonb);", change: "ALTER TABLE public.t ALTER COLUMN j SET STORAGE MAIN, ALTER COLUMN id SET STORAGE PLAIN;" },
    Case { name: "storage_through_type_change", a: "CREATE TABLE public.t (a text, b text, c text); ALTER TABLE public.t ALTER COLUMN a SET STORAGE EXTERNAL, ALTER COLUMN b SET STORAGE EXTERNAL;", change: "ALTER TABLE public.t ALTER COLUMN a TYPE varchar(80), ALTER COLUMN b TYPE varchar(80); ALTER TABLE public.t ALTER COLUMN b SET STORAGE MAIN, ALTER COLUMN c TYPE varchar(9), ALTER COLUMN c SET STORAGE EXTERNAL;" },
    Case { name: "storage_on_added_column", a: "CREATE TABLE public.t (id int);", change: "ALTER TABLE public.t ADD COLUMN doc text; ALTER TABLE public.t ALTER COLUMN doc SET STORAGE EXTERNAL, ALTER COLUMN doc SET STATISTICS 300, ALTER COLUMN doc SET (n_distinct = -0.25);" },
    Case { name: "storage_on_dropped_column", a: "CREATE TABLE public.t (id int, doc text); ALTER TABLE public.t ALTER COLUMN doc SET STORAGE EXTERNAL, ALTER COLUMN doc SET STATISTICS 300;", change: "ALTER TABLE public.t DROP COLUMN doc;" },
    Case { name: "n_distinct_changed_and_one_removed", a: "CREATE TABLE public.t (id int, v text); ALTER TABLE public.t ALTER COLUMN v SET (n_distinct = 100, n_distinct_inherited = 200);", change: "ALTER TABLE public.t ALTER COLUMN v RESET (n_distinct_inherited); ALTER TABLE public.t ALTER COLUMN v SET (n_distinct = -1);" },
    Case { name: "settings_inherited_storage_child", a: "CREATE TABLE public.p (id int, body text); ALTER TABLE public.p ALTER COLUMN body SET STORAGE MAIN;", change: "CREATE TABLE public.c1 (extra int) INHERITS (public.p); CREATE TABLE public.c2 () INHERITS (public.p); ALTER TABLE ONLY public.c2 ALTER COLUMN body SET STORAGE EXTENDED;" },
    Case { name: "settings_parent_only", a: "CREATE TABLE public.p (id int, body text); CREATE TABLE public.c () INHERITS (public.p);", change: "ALTER TABLE ONLY public.p ALTER COLUMN body SET STORAGE EXTERNAL, ALTER COLUMN body SET STATISTICS 77; ALTER TABLE ONLY public.c ALTER COLUMN id SET STATISTICS 5;" },
    Case { name: "settings_on_partitioned_parent", a: "CREATE TABLE public.ev (id int, at date, body text) PARTITION BY RANGE (at); CREATE TABLE public.ev_1 PARTITION OF public.ev FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');", change: "ALTER TABLE ONLY public.ev ALTER COLUMN body SET STATISTICS 500, ALTER COLUMN id SET (n_distinct = -1);" },
    Case { name: "settings_hostile_names", a: "CREATE SCHEMA \"we\"\"ird\";", change: "CREATE TABLE \"we\"\"ird\".\"a\"\"; drop table x; --\" (\"Ünïcode col\" text, \"select\" bytea); ALTER TABLE \"we\"\"ird\".\"a\"\"; drop table x; --\" ALTER COLUMN \"Ünïcode col\" SET STATISTICS 12, ALTER COLUMN \"Ünïcode col\" SET (n_distinct = 3), ALTER COLUMN \"select\" SET STORAGE EXTERNAL; CREATE INDEX \"i\"\"x\" ON \"we\"\"ird\".\"a\"\"; drop table x; --\" (lower(\"Ünïcode col\")); ALTER TABLE \"we\"\"ird\".\"a\"\"; drop table x; --\" CLUSTER ON \"i\"\"x\"; ALTER INDEX \"we\"\"ird\".\"i\"\"x\" ALTER COLUMN 1 SET STATISTICS 99;" },
    Case { name: "settings_renamed_column_keeps_them", a: "CREATE TABLE public.t (id int, v text); ALTER TABLE public.t ALTER COLUMN v SET STATISTICS 321, ALTER COLUMN v SET STORAGE MAIN;", change: "ALTER TABLE public.t RENAME COLUMN v TO w; ALTER TABLE public.t RENAME TO u;" },
    Case { name: "settings_parent_retyped_child_storage", a: "CREATE TABLE public.p (id int, body text); CREATE TABLE public.c () INHERITS (public.p); ALTER TABLE ONLY public.c ALTER COLUMN body SET STORAGE EXTERNAL, ALTER COLUMN body SET STATISTICS 40;", change: "ALTER TABLE public.p ALTER COLUMN body TYPE integer USING length(body);" },
    Case { name: "settings_parent_adds_column_with_settings", a: "CREATE TABLE public.p (id int); CREATE TABLE public.c () INHERITS (public.p);", change: "ALTER TABLE public.p ADD COLUMN note text; ALTER TABLE ONLY public.p ALTER COLUMN note SET STORAGE MAIN, ALTER COLUMN note SET STATISTICS 9;" },
    Case { name: "settings_kept_by_attach", a: "CREATE TABLE public.ev (id int, body text) PARTITION BY LIST (id); CREATE TABLE public.ev_1 (id int, body text); ALTER TABLE public.ev_1 ALTER COLUMN body SET STATISTICS 70, ALTER COLUMN body SET STORAGE EXTERNAL;", change: "ALTER TABLE public.ev ATTACH PARTITION public.ev_1 FOR VALUES IN (1);" },
    Case { name: "idx_statistics_through_column_retype", a: "CREATE TABLE public.t (a varchar(10), b int); CREATE INDEX t_e ON public.t (lower(a)); ALTER INDEX public.t_e ALTER COLUMN 1 SET STATISTICS 100; ALTER TABLE public.t CLUSTER ON t_e;", change: "ALTER TABLE public.t ALTER COLUMN a TYPE text; ALTER INDEX public.t_e ALTER COLUMN 1 SET STATISTICS 100;" },
    // CLUSTER ON: on a key's index, moved, new index, index dropped, re-created.
    Case { name: "cluster_on_primary_key", a: "CREATE TABLE public.t (id int PRIMARY KEY, v text);", change: "ALTER TABLE public.t CLUSTER ON t_pkey;" },
    Case { name: "cluster_moves_to_other_index", a: "CREATE TABLE public.t (id int PRIMARY KEY, v text); CREATE INDEX t_v ON public.t (v); ALTER TABLE public.t CLUSTER ON t_pkey;", change: "ALTER TABLE public.t CLUSTER ON t_v;" },
    Case { name: "cluster_on_new_index", a: "CREATE TABLE public.t (id int, v text);", change: "CREATE INDEX t_v ON public.t (v DESC); ALTER TABLE public.t CLUSTER ON t_v; CREATE TABLE public.n (id int UNIQUE); ALTER TABLE public.n CLUSTER ON n_id_key;" },
    Case { name: "cluster_index_dropped", a: "CREATE TABLE public.t (id int, v text); CREATE INDEX t_v ON public.t (v); ALTER TABLE public.t CLUSTER ON t_v;", change: "DROP INDEX public.t_v;" },
    Case { name: "cluster_index_recreated", a: "CREATE TABLE public.t (id int, v text); CREATE INDEX t_v ON public.t (v); ALTER TABLE public.t CLUSTER ON t_v;", change: "DROP INDEX public.t_v; CREATE INDEX t_v ON public.t (v, id); ALTER TABLE public.t CLUSTER ON t_v;" },
    Case { name: "cluster_index_renamed", a: "CREATE TABLE public.t (id int, v text); CREATE INDEX t_v ON public.t (v); ALTER TABLE public.t CLUSTER ON t_v;", change: "ALTER INDEX public.t_v RENAME TO t_by_v;" },
    Case { name: "cluster_key_to_without", a: "CREATE TABLE public.t (id int PRIMARY KEY); ALTER TABLE public.t CLUSTER ON t_pkey;", change: "ALTER TABLE public.t SET WITHOUT CLUSTER;" },
    // Index expression columns' statistics targets.
    Case { name: "idx_statistics_changed_and_reset", a: "CREATE TABLE public.t (a text, b int); CREATE INDEX t_e ON public.t (lower(a), (b + 1)); ALTER INDEX public.t_e ALTER COLUMN 1 SET STATISTICS 100;", change: "ALTER INDEX public.t_e ALTER COLUMN 1 SET STATISTICS -1; ALTER INDEX public.t_e ALTER COLUMN 2 SET STATISTICS 400;" },
    Case { name: "idx_statistics_on_new_index", a: "CREATE TABLE public.t (a text);", change: "CREATE INDEX t_e ON public.t (upper(a)); ALTER INDEX public.t_e ALTER COLUMN 1 SET STATISTICS 1000;" },
    // TOAST storage parameters.
    Case { name: "toast_params_on_new_table", a: "CREATE SCHEMA app;", change: "CREATE TABLE app.t (id int, doc text) WITH (fillfactor = 70, toast.autovacuum_enabled = false, toast.vacuum_truncate = false);" },
    Case { name: "toast_params_reset", a: "CREATE TABLE public.t (id int, doc text) WITH (toast.autovacuum_enabled = false, toast.autovacuum_vacuum_scale_factor = 0.05);", change: "ALTER TABLE public.t RESET (toast.autovacuum_enabled); ALTER TABLE public.t SET (toast.autovacuum_vacuum_scale_factor = 0.1, autovacuum_enabled = false);" },
];

/// Column compression (PostgreSQL 14+).
#[rustfmt::skip]
pub const SETTINGS_PG14: &[Case] = &[
    Case { name: "pg14_compression_reset_to_default", a: "CREATE TABLE public.t (id int, a text COMPRESSION pglz, b text COMPRESSION pglz);", change: "ALTER TABLE public.t ALTER COLUMN a SET COMPRESSION DEFAULT;" },
    Case { name: "pg14_compression_through_type_change", a: "CREATE TABLE public.t (a text COMPRESSION pglz, b text COMPRESSION pglz);", change: "ALTER TABLE public.t ALTER COLUMN a TYPE varchar(40), ALTER COLUMN b TYPE varchar(40); ALTER TABLE public.t ALTER COLUMN b SET COMPRESSION pglz;" },
    Case { name: "pg14_compression_inherited_child", a: "CREATE TABLE public.p (id int, body text COMPRESSION pglz);", change: "CREATE TABLE public.c () INHERITS (public.p); CREATE TABLE public.d () INHERITS (public.p); ALTER TABLE ONLY public.d ALTER COLUMN body SET COMPRESSION DEFAULT;" },
];

/// Unlogged sequences (PostgreSQL 15+).
#[rustfmt::skip]
pub const SETTINGS_PG15: &[Case] = &[
    Case { name: "pg15_unlogged_sequence_owned_and_renamed", a: "CREATE TABLE public.t (id int); CREATE UNLOGGED SEQUENCE public.s OWNED BY public.t.id;", change: "ALTER SEQUENCE public.s RENAME TO s2; ALTER SEQUENCE public.s2 INCREMENT BY 3; ALTER TABLE public.t ALTER COLUMN id SET DEFAULT nextval('public.s2');" },
];
