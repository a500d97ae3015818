//! The round-trip corpus: each case is a schema `a` and a change script
//! that turns it into `b` in place (so renames keep their identity).

pub mod aggregates;
pub mod casts;
pub mod collations;
pub mod event_triggers;
pub mod features;
pub mod foreign;
pub mod inheritance;
pub mod opclasses;
pub mod operators;
pub mod owners;
pub mod privileges;
pub mod publications;
pub mod settings;
pub mod statistics;
pub mod text_search;

/// Cases pggit does not get right yet: the case, the major versions it
/// fails on (empty: all) and what is missing. The round-trip test checks
/// that each still fails there, so a fix shows up as a test failure until
/// the case is taken off this list.
pub const KNOWN_GAPS: &[(&str, &[i32], &str)] = &[
    ("tbl_no_inherit", &[], "undoing NO INHERIT: INHERIT makes the columns the table has merged (its own too), and PostgreSQL has no statement that makes them only inherited again"),
    ("inh_no_inherit", &[], "undoing NO INHERIT: INHERIT makes the columns and CHECK constraints the table has merged (its own too), and PostgreSQL has no statement that makes them only inherited again"),
    ("inh_no_inherit_and_drop_parent", &[], "undoing NO INHERIT: INHERIT makes the columns and CHECK constraints the table has merged (its own too), and PostgreSQL has no statement that makes them only inherited again"),
    ("inh_second_parent", &[], "undoing NO INHERIT: INHERIT makes the columns the table has merged (its own too), and PostgreSQL has no statement that makes them only inherited again"),
    ("inh_parent_add_column_child_has_it", &[], "a column a table adds itself and its parent adds after it is planned parent first, which leaves it only inherited (the table's own ADD COLUMN is then a no-op)"),
    ("seq_descending", &[], "reversing a sequence's direction needs RESTART, which pggit does not emit (it would reset a live counter)"),
    ("typ_range_rename", &[], "a renamed range keeps its multirange's old name, which replay does not restore"),
    ("typ_range_set_schema", &[], "a moved range keeps its multirange in the old schema, which replay does not restore"),
    ("pg14_range_multirange_name", &[], "multirange_type_name is not tracked"),
    ("pg14_range_rename_keeps_multirange", &[], "multirange_type_name is not tracked"),
    ("view_alter_column_set_default", &[], "view column defaults are not tracked"),
    ("view_alter_column_drop_default", &[], "view column defaults are not tracked"),
    ("part_index_on_only_then_attach", &[], "an index created ON ONLY a partitioned table and attached partition by partition is re-created as one index"),
    ("part_partition_own_default_and_not_null", &[], "a partition's own column defaults and NOT NULL are not tracked"),
    ("settings_kept_by_attach", &[], "a partition's own column settings (statistics, storage) are not tracked"),
    ("part_partition_create_with_constraint", &[], "a partition's own column defaults are not tracked"),
    ("cmt_sequence_and_identity_sequence", &[], "comments on identity sequences are not tracked"),
    ("cmt_extension", &[], "extension comments are not tracked"),
    ("part_attach_existing_table", &[18], "PostgreSQL 18: an attached partition keeps its own NOT NULL constraint name, and a replay (CREATE TABLE ... PARTITION OF) names it after the parent's"),
];

/// Whether `case` is a known gap on PostgreSQL `major`.
pub fn known_gap(case: &str, major: i32) -> bool {
    KNOWN_GAPS
        .iter()
        .any(|(c, versions, _)| *c == case && (versions.is_empty() || versions.contains(&major)))
}

pub struct Case {
    pub name: &'static str,
    pub a: &'static str,
    pub change: &'static str,
}

const BASE: &str = "
CREATE TABLE public.users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    name varchar(100),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE public.orders (
    id serial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES public.users(id) ON DELETE CASCADE,
    total numeric(12,2) NOT NULL DEFAULT 0 CHECK (total >= 0),
    note text
);
CREATE INDEX orders_user_idx ON public.orders (user_id);
";

pub const CASES: &[Case] = &[
    // Issue 10's defects, each found by a user on a schema outside this corpus.
    Case { name: "detach_partition", a: "CREATE TABLE public.ev (id bigserial, at date NOT NULL DEFAULT current_date, v text CHECK (v <> ''), PRIMARY KEY (id, at)) PARTITION BY RANGE (at); CREATE INDEX ev_v ON public.ev (v); CREATE TABLE public.ev_1 PARTITION OF public.ev FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');", change: "ALTER TABLE public.ev DETACH PARTITION public.ev_1;" },
    Case { name: "detach_partition_then_change", a: "CREATE TABLE public.ev (id bigint, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY LIST (at); CREATE TABLE public.ev_1 PARTITION OF public.ev FOR VALUES IN ('2025-01-01');", change: "ALTER TABLE public.ev DETACH PARTITION public.ev_1; ALTER TABLE public.ev_1 ADD COLUMN extra text; ALTER TABLE public.ev_1 ALTER COLUMN id SET DEFAULT 7; COMMENT ON INDEX public.ev_1_pkey IS 'kept';" },
    Case { name: "serial_table_set_schema", a: "CREATE SCHEMA other; CREATE TABLE public.t (id serial PRIMARY KEY, v text);", change: "ALTER TABLE public.t SET SCHEMA other;" },
    Case { name: "serial_table_rename", a: "CREATE TABLE public.t (id serial PRIMARY KEY, v text); CREATE INDEX t_v ON public.t (v);", change: "ALTER TABLE public.t RENAME TO t2;" },
    Case { name: "sequence_reowned_from_dropped_column", a: "CREATE TABLE public.t (id int, a serial); CREATE TABLE public.u (id int);", change: "ALTER SEQUENCE public.t_a_seq OWNED BY public.u.id; ALTER TABLE public.t DROP COLUMN a;" },
    Case { name: "renamed_sequence_outlives_its_table", a: "CREATE TABLE public.t (id serial); CREATE TABLE public.u (x int);", change: "ALTER SEQUENCE public.t_id_seq RENAME TO s2; ALTER TABLE public.u ALTER COLUMN x SET DEFAULT nextval('public.s2'); ALTER SEQUENCE public.s2 OWNED BY public.u.x; DROP TABLE public.t;" },
    // Found by the generator (tests/generator): a table moved into a schema
    // created by the same change, and a serial table moved out of a schema
    // that the reverse migration drops.
    Case { name: "gen_generated_column_follows_rename", a: "CREATE TABLE public.t (id int PRIMARY KEY, g bigint GENERATED ALWAYS AS (id * 2) STORED, v text);", change: "ALTER TABLE public.t RENAME COLUMN id TO r;" },
    Case { name: "gen_move_into_new_schema", a: "CREATE TABLE public.t (id int PRIMARY KEY, v text); CREATE INDEX t_v ON public.t (v);", change: "CREATE SCHEMA \"Odd Schema\"; ALTER TABLE public.t SET SCHEMA \"Odd Schema\";" },
    Case { name: "gen_serial_table_into_new_schema", a: "CREATE TABLE public.t (id bigserial PRIMARY KEY, c date DEFAULT CURRENT_DATE);", change: "CREATE SCHEMA app; ALTER TABLE public.t SET SCHEMA app;" },
    Case { name: "composite_rename_attribute", a: "CREATE TYPE public.addr AS (street text, zip int, city text);", change: "ALTER TYPE public.addr RENAME ATTRIBUTE street TO street_line;" },
    Case { name: "identity_added_with_start", a: "CREATE TABLE public.t (id int NOT NULL, v text);", change: "ALTER TABLE public.t ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH 100 INCREMENT BY 5);" },
    Case { name: "identity_options_changed", a: "CREATE TABLE public.t (id bigint GENERATED ALWAYS AS IDENTITY, v text);", change: "ALTER TABLE public.t ALTER COLUMN id SET INCREMENT BY 10 SET START WITH 50 SET CACHE 20;" },
    Case { name: "comment_on_constraint_index", a: "CREATE TABLE public.books (id int PRIMARY KEY, isbn text UNIQUE);", change: "COMMENT ON INDEX public.books_pkey IS 'the key'; COMMENT ON INDEX public.books_isbn_key IS 'one per book';" },
    Case { name: "django_partial_unique_in_list", a: "CREATE TABLE public.task (id bigint PRIMARY KEY, owner_id int NOT NULL, status varchar(20) NOT NULL);", change: "CREATE UNIQUE INDEX task_one_open ON public.task (owner_id) WHERE status IN ('new', 'running'); ALTER TABLE public.task ADD CONSTRAINT task_status_ok CHECK (status IN ('new', 'running', 'done'));" },
    Case { name: "add_table", a: BASE, change: "CREATE TABLE public.tags (id int PRIMARY KEY, label text NOT NULL UNIQUE);" },
    Case { name: "drop_table", a: BASE, change: "DROP TABLE public.orders;" },
    Case { name: "add_column", a: BASE, change: "ALTER TABLE public.users ADD COLUMN avatar_url text DEFAULT 'none' NOT NULL;" },
    Case { name: "drop_last_column", a: BASE, change: "ALTER TABLE public.orders DROP COLUMN note;" },
    Case { name: "rename_column", a: BASE, change: "ALTER TABLE public.users RENAME COLUMN name TO full_name;" },
    Case { name: "rename_table", a: BASE, change: "ALTER TABLE public.orders RENAME TO purchases;" },
    Case { name: "retype_column", a: BASE, change: "ALTER TABLE public.users ALTER COLUMN name TYPE varchar(200);" },
    Case { name: "retype_numeric_and_default", a: BASE, change: "ALTER TABLE public.orders ALTER COLUMN total TYPE numeric(14,4); ALTER TABLE public.orders ALTER COLUMN total SET DEFAULT 1.5;" },
    Case { name: "not_null_toggle", a: BASE, change: "ALTER TABLE public.users ALTER COLUMN name SET NOT NULL; ALTER TABLE public.users ALTER COLUMN created_at DROP NOT NULL;" },
    Case { name: "default_drop", a: BASE, change: "ALTER TABLE public.users ALTER COLUMN created_at DROP DEFAULT;" },
    Case { name: "identity_change", a: BASE, change: "ALTER TABLE public.users ALTER COLUMN id SET GENERATED BY DEFAULT;" },
    Case { name: "add_identity_column", a: "CREATE TABLE public.t (a int NOT NULL, b text);", change: "ALTER TABLE public.t ALTER COLUMN a ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME public.t_a_seq);" },
    Case { name: "generated_column", a: "CREATE TABLE public.p (w int, h int);", change: "ALTER TABLE public.p ADD COLUMN area int GENERATED ALWAYS AS (w * h) STORED;" },
    Case { name: "collation_change", a: "CREATE TABLE public.c (s text);", change: "ALTER TABLE public.c ALTER COLUMN s TYPE text COLLATE \"C\";" },
    Case { name: "add_unique_constraint", a: BASE, change: "ALTER TABLE public.users ADD CONSTRAINT users_email_key UNIQUE (email);" },
    Case { name: "drop_check_constraint", a: BASE, change: "ALTER TABLE public.orders DROP CONSTRAINT orders_total_check;" },
    Case { name: "change_fk_action", a: BASE, change: "ALTER TABLE public.orders DROP CONSTRAINT orders_user_id_fkey; ALTER TABLE public.orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED;" },
    Case { name: "rename_constraint", a: BASE, change: "ALTER TABLE public.orders RENAME CONSTRAINT orders_total_check TO total_positive;" },
    Case { name: "exclusion_constraint", a: "CREATE TABLE public.booking (id int, during tsrange);", change: "ALTER TABLE public.booking ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&);" },
    Case { name: "partial_expression_index", a: BASE, change: "CREATE UNIQUE INDEX users_lower_email ON public.users (lower(email)) WHERE created_at IS NOT NULL; CREATE INDEX orders_cover ON public.orders (user_id) INCLUDE (total);" },
    Case { name: "opclass_index", a: BASE, change: "CREATE INDEX users_email_pattern ON public.users (email text_pattern_ops DESC NULLS LAST);" },
    Case { name: "change_index", a: BASE, change: "DROP INDEX public.orders_user_idx; CREATE INDEX orders_user_idx ON public.orders (user_id, total);" },
    Case { name: "rename_index", a: BASE, change: "ALTER INDEX public.orders_user_idx RENAME TO orders_by_user;" },
    Case { name: "enum_add_values", a: "CREATE TYPE public.mood AS ENUM ('sad', 'ok'); CREATE TABLE public.m (m public.mood);", change: "ALTER TYPE public.mood ADD VALUE 'happy'; ALTER TYPE public.mood ADD VALUE 'meh' BEFORE 'ok'; ALTER TYPE public.mood ADD VALUE 'awful' BEFORE 'sad';" },
    Case { name: "enum_remove_and_reorder_labels", a: "CREATE TYPE public.status AS ENUM ('new', 'old', 'gone'); CREATE TABLE public.items (id int PRIMARY KEY, s public.status DEFAULT 'new' NOT NULL, hist public.status[]); CREATE VIEW public.live AS SELECT id, s FROM public.items WHERE s <> 'gone'; CREATE FUNCTION public.is_new(x public.status) RETURNS boolean LANGUAGE sql AS $$ SELECT x = 'new' $$;", change: "DROP VIEW public.live; DROP FUNCTION public.is_new(public.status); ALTER TYPE public.status RENAME TO status_tmp; CREATE TYPE public.status AS ENUM ('old', 'new'); ALTER TABLE public.items ALTER COLUMN s DROP DEFAULT, ALTER COLUMN s TYPE public.status USING s::text::public.status, ALTER COLUMN s SET DEFAULT 'new', ALTER COLUMN hist TYPE public.status[] USING hist::text[]::public.status[]; DROP TYPE public.status_tmp; CREATE VIEW public.live AS SELECT id, s FROM public.items WHERE s <> 'old'; CREATE FUNCTION public.is_new(x public.status) RETURNS boolean LANGUAGE sql AS $$ SELECT x = 'new' $$;" },
    Case { name: "enum_rename_type", a: "CREATE TYPE public.mood AS ENUM ('sad', 'ok');", change: "ALTER TYPE public.mood RENAME TO feeling;" },
    Case { name: "composite_type", a: "CREATE TYPE public.addr AS (street text, zip int);", change: "ALTER TYPE public.addr ADD ATTRIBUTE city text; ALTER TYPE public.addr DROP ATTRIBUTE zip; ALTER TYPE public.addr ALTER ATTRIBUTE street TYPE varchar(80);" },
    Case { name: "domain_changes", a: "CREATE DOMAIN public.posint AS int CHECK (VALUE > 0); CREATE TABLE public.d (v public.posint);", change: "ALTER DOMAIN public.posint SET DEFAULT 1; ALTER DOMAIN public.posint SET NOT NULL; ALTER DOMAIN public.posint ADD CONSTRAINT small CHECK (VALUE < 1000);" },
    Case { name: "range_type", a: "CREATE SCHEMA s;", change: "CREATE TYPE s.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi); CREATE TABLE s.r (x s.floatrange);" },
    Case { name: "sequence_changes", a: "CREATE SEQUENCE public.counter START 10 INCREMENT 5;", change: "ALTER SEQUENCE public.counter INCREMENT BY 2 MAXVALUE 5000 CYCLE CACHE 3;" },
    Case { name: "sequence_ownership", a: "CREATE SEQUENCE public.s1; CREATE TABLE public.t (id int DEFAULT nextval('public.s1'));", change: "ALTER SEQUENCE public.s1 OWNED BY public.t.id;" },
    Case { name: "schema_add_rename", a: "CREATE SCHEMA app; CREATE TABLE app.t (id int);", change: "ALTER SCHEMA app RENAME TO core; CREATE SCHEMA audit; CREATE TABLE audit.log (id int, at timestamptz);" },
    Case { name: "move_table_schema", a: "CREATE SCHEMA a; CREATE SCHEMA b; CREATE TABLE a.t (id int PRIMARY KEY);", change: "ALTER TABLE a.t SET SCHEMA b;" },
    Case { name: "drop_schema", a: "CREATE SCHEMA old; CREATE TABLE old.t (id int); CREATE VIEW old.v AS SELECT id FROM old.t;", change: "DROP SCHEMA old CASCADE;" },
    Case { name: "extension", a: BASE, change: "CREATE EXTENSION citext; ALTER TABLE public.users ADD COLUMN nick public.citext;" },
    Case { name: "view_add_and_change", a: "CREATE TABLE public.t (a int, b int); CREATE VIEW public.v AS SELECT a FROM public.t;", change: "CREATE OR REPLACE VIEW public.v AS SELECT a, b FROM public.t; CREATE VIEW public.w AS SELECT a FROM public.v WHERE a > 1;" },
    Case { name: "view_incompatible_change_with_dependent", a: "CREATE TABLE public.t (a int, b text); CREATE VIEW public.v AS SELECT a, b FROM public.t; CREATE VIEW public.w AS SELECT b FROM public.v;", change: "DROP VIEW public.w; DROP VIEW public.v; CREATE VIEW public.v AS SELECT b, a FROM public.t; CREATE VIEW public.w AS SELECT b FROM public.v;" },
    Case { name: "retype_column_under_view", a: "CREATE TABLE public.t (a int, b text); CREATE VIEW public.v AS SELECT a, b FROM public.t; COMMENT ON VIEW public.v IS 'keeps its comment';", change: "DROP VIEW public.v; ALTER TABLE public.t ALTER COLUMN a TYPE bigint; CREATE VIEW public.v AS SELECT a, b FROM public.t; COMMENT ON VIEW public.v IS 'keeps its comment';" },
    Case { name: "rename_table_under_view", a: "CREATE TABLE public.t (a int); CREATE VIEW public.v AS SELECT a FROM public.t;", change: "ALTER TABLE public.t RENAME TO t2; ALTER TABLE public.t2 RENAME COLUMN a TO aa;" },
    Case { name: "materialized_view", a: "CREATE TABLE public.t (a int, b int);", change: "CREATE MATERIALIZED VIEW public.mv AS SELECT a, sum(b) AS s FROM public.t GROUP BY a; CREATE UNIQUE INDEX mv_a ON public.mv (a);" },
    Case { name: "function_body_change", a: "CREATE FUNCTION public.add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;", change: "CREATE OR REPLACE FUNCTION public.add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT a + b + 0 $$;" },
    Case { name: "function_overloads", a: "CREATE FUNCTION public.f(x int) RETURNS int LANGUAGE sql AS $$ SELECT x $$;", change: "CREATE FUNCTION public.f(x text) RETURNS text LANGUAGE sql AS $$ SELECT x $$; CREATE PROCEDURE public.p(n int) LANGUAGE plpgsql AS $$ BEGIN PERFORM n; END $$;" },
    Case { name: "function_return_type_change_with_view", a: "CREATE FUNCTION public.g() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$; CREATE VIEW public.gv AS SELECT public.g() AS x;", change: "DROP VIEW public.gv; DROP FUNCTION public.g(); CREATE FUNCTION public.g() RETURNS bigint LANGUAGE sql AS $$ SELECT 1::bigint $$; CREATE VIEW public.gv AS SELECT public.g() AS x;" },
    Case { name: "function_rename", a: "CREATE FUNCTION public.h(x int) RETURNS int LANGUAGE sql AS $$ SELECT x * 2 $$;", change: "ALTER FUNCTION public.h(int) RENAME TO double_it;" },
    Case { name: "function_default_in_table", a: "CREATE TABLE public.t (id int);", change: "CREATE FUNCTION public.next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$; ALTER TABLE public.t ADD COLUMN code text DEFAULT public.next_code();" },
    Case { name: "trigger_add_change", a: "CREATE TABLE public.t (id int, updated_at timestamptz); CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;", change: "CREATE TRIGGER t_touch BEFORE UPDATE ON public.t FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION public.touch();" },
    Case { name: "trigger_drop_rename", a: "CREATE TABLE public.t (id int); CREATE FUNCTION public.tf() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$; CREATE TRIGGER a AFTER INSERT ON public.t FOR EACH STATEMENT EXECUTE FUNCTION public.tf(); CREATE TRIGGER b AFTER DELETE ON public.t FOR EACH ROW EXECUTE FUNCTION public.tf();", change: "DROP TRIGGER a ON public.t; ALTER TRIGGER b ON public.t RENAME TO b2;" },
    Case { name: "policies_and_rls", a: "CREATE TABLE public.doc (id int, owner text);", change: "ALTER TABLE public.doc ENABLE ROW LEVEL SECURITY; ALTER TABLE public.doc FORCE ROW LEVEL SECURITY; CREATE POLICY own ON public.doc FOR SELECT TO PUBLIC USING (owner = current_user); CREATE POLICY ins ON public.doc AS RESTRICTIVE FOR INSERT WITH CHECK (owner IS NOT NULL);" },
    Case { name: "policy_change", a: "CREATE TABLE public.doc (id int, owner text); ALTER TABLE public.doc ENABLE ROW LEVEL SECURITY; CREATE POLICY own ON public.doc USING (owner = current_user);", change: "ALTER POLICY own ON public.doc USING (owner = session_user); ALTER POLICY own ON public.doc RENAME TO mine;" },
    Case { name: "partitions_add", a: "CREATE TABLE public.ev (id bigint, at date NOT NULL, v text) PARTITION BY RANGE (at);", change: "CREATE TABLE public.ev_2025 PARTITION OF public.ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01'); CREATE TABLE public.ev_default PARTITION OF public.ev DEFAULT; CREATE INDEX ev_at ON public.ev (at);" },
    Case { name: "partitions_drop_and_column", a: "CREATE TABLE public.ev (id bigint, at date NOT NULL) PARTITION BY RANGE (at); CREATE TABLE public.ev_1 PARTITION OF public.ev FOR VALUES FROM ('2025-01-01') TO ('2025-02-01'); CREATE TABLE public.ev_2 PARTITION OF public.ev FOR VALUES FROM ('2025-02-01') TO ('2025-03-01'); ALTER TABLE public.ev ADD PRIMARY KEY (id, at);", change: "DROP TABLE public.ev_1; ALTER TABLE public.ev ADD COLUMN payload jsonb;" },
    Case { name: "partition_bound_change", a: "CREATE TABLE public.l (k text, v int) PARTITION BY LIST (k); CREATE TABLE public.l_a PARTITION OF public.l FOR VALUES IN ('a');", change: "ALTER TABLE public.l DETACH PARTITION public.l_a; ALTER TABLE public.l ATTACH PARTITION public.l_a FOR VALUES IN ('a', 'b');" },
    Case { name: "comments_everywhere", a: BASE, change: "COMMENT ON TABLE public.users IS 'people'; COMMENT ON COLUMN public.users.email IS 'it''s unique-ish \\ maybe'; COMMENT ON INDEX public.orders_user_idx IS 'lookup'; COMMENT ON CONSTRAINT orders_total_check ON public.orders IS 'no negatives'; COMMENT ON SCHEMA public IS 'main';" },
    Case { name: "table_options_unlogged", a: "CREATE TABLE public.cache (k text, v text);", change: "ALTER TABLE public.cache SET UNLOGGED; ALTER TABLE public.cache SET (fillfactor = 70);" },
    Case { name: "hostile_names", a: "CREATE SCHEMA \"We;ird\"; CREATE TABLE \"We;ird\".\"a\"\"; drop table x; --\" (\"select\" int, \"día\" text);", change: "ALTER TABLE \"We;ird\".\"a\"\"; drop table x; --\" RENAME COLUMN \"día\" TO \"Ωmega\"; CREATE INDEX \"ix \"\" \" ON \"We;ird\".\"a\"\"; drop table x; --\" (\"select\"); COMMENT ON TABLE \"We;ird\".\"a\"\"; drop table x; --\" IS 'x''); drop table y; --';" },
    Case { name: "long_names", a: "CREATE TABLE public.abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123 (c123456789012345678901234567890123456789012345678901234567890ab int);", change: "ALTER TABLE public.abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123 ADD COLUMN zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz text;" },
    Case { name: "cyclic_foreign_keys", a: "CREATE TABLE public.a (id int PRIMARY KEY, b_id int); CREATE TABLE public.b (id int PRIMARY KEY, a_id int);", change: "ALTER TABLE public.a ADD CONSTRAINT a_b FOREIGN KEY (b_id) REFERENCES public.b(id); ALTER TABLE public.b ADD CONSTRAINT b_a FOREIGN KEY (a_id) REFERENCES public.a(id);" },
    Case { name: "drop_table_with_dependents", a: "CREATE TABLE public.p (id int PRIMARY KEY); CREATE TABLE public.c (id int, p_id int REFERENCES public.p(id)); CREATE VIEW public.pv AS SELECT id FROM public.p;", change: "DROP VIEW public.pv; ALTER TABLE public.c DROP CONSTRAINT c_p_id_fkey; DROP TABLE public.p;" },
    Case { name: "check_using_function", a: "CREATE FUNCTION public.ok(x int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT x > 0 $$; CREATE TABLE public.t (x int);", change: "ALTER TABLE public.t ADD CONSTRAINT t_x_ok CHECK (public.ok(x));" },
    Case { name: "type_used_by_table_added", a: "CREATE TABLE public.t (id int);", change: "CREATE TYPE public.state AS ENUM ('on', 'off'); CREATE DOMAIN public.label AS text COLLATE \"C\" CHECK (length(VALUE) < 10); ALTER TABLE public.t ADD COLUMN s public.state DEFAULT 'on', ADD COLUMN l public.label;" },
    Case { name: "serial_table_renamed", a: "CREATE TABLE public.items (id serial PRIMARY KEY, v text);", change: "ALTER TABLE public.items RENAME TO things; ALTER TABLE public.things RENAME CONSTRAINT items_pkey TO things_pkey; ALTER INDEX public.things_pkey RENAME TO things_pkey2;" },
    Case { name: "view_options_and_check_option", a: "CREATE TABLE public.t (a int);", change: "CREATE VIEW public.sv WITH (security_barrier = true) AS SELECT a FROM public.t WHERE a > 0 WITH LOCAL CHECK OPTION;" },
    Case { name: "drop_many_kinds", a: "CREATE SCHEMA x; CREATE TYPE x.e AS ENUM ('a'); CREATE SEQUENCE x.s; CREATE FUNCTION x.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$; CREATE TABLE x.t (e x.e, n int DEFAULT nextval('x.s'), f int DEFAULT x.f());", change: "DROP SCHEMA x CASCADE;" },
];
