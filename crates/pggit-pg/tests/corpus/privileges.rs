//! Round-trip pairs for privileges (`GRANT` / `REVOKE`) on every kind of
//! object that has them, with the roles the harness creates once per
//! server (`pggit_rt_reader`, `pggit_rt_writer` and a hostile name).
use super::Case;

#[rustfmt::skip]
pub const PRIVILEGES: &[Case] = &[
    Case { name: "acl_table_select", a: "CREATE TABLE public.t (id int PRIMARY KEY, v text);", change: "GRANT SELECT ON public.t TO pggit_rt_reader;" },
    Case { name: "acl_table_many_with_grant_option", a: "CREATE TABLE public.t (id int PRIMARY KEY, v text);", change: "GRANT SELECT, INSERT, UPDATE ON public.t TO pggit_rt_writer WITH GRANT OPTION; GRANT DELETE, TRUNCATE, REFERENCES, TRIGGER ON public.t TO pggit_rt_reader;" },
    Case { name: "acl_table_revoke_some", a: "CREATE TABLE public.t (id int PRIMARY KEY, v text); GRANT ALL ON public.t TO pggit_rt_writer;", change: "REVOKE INSERT, DELETE ON public.t FROM pggit_rt_writer;" },
    Case { name: "acl_table_revoke_grant_option", a: "CREATE TABLE public.t (id int); GRANT SELECT ON public.t TO pggit_rt_writer WITH GRANT OPTION;", change: "REVOKE GRANT OPTION FOR SELECT ON public.t FROM pggit_rt_writer;" },
    Case { name: "acl_table_to_public", a: "CREATE TABLE public.t (id int);", change: "GRANT SELECT ON public.t TO PUBLIC;" },
    Case { name: "acl_hostile_role", a: "CREATE TABLE public.t (id int);", change: r#"GRANT SELECT, UPDATE ON public.t TO "pggit Odd ""Role"" ; --";"# },
    Case { name: "acl_columns", a: "CREATE TABLE public.t (id int PRIMARY KEY, a text, b text);", change: "GRANT SELECT (id, a), UPDATE (b) ON public.t TO pggit_rt_reader; GRANT INSERT (a) ON public.t TO pggit_rt_writer;" },
    Case { name: "acl_columns_revoke", a: "CREATE TABLE public.t (id int PRIMARY KEY, a text, b text); GRANT SELECT (id, a, b) ON public.t TO pggit_rt_reader;", change: "REVOKE SELECT (b) ON public.t FROM pggit_rt_reader;" },
    Case { name: "acl_sequence", a: "CREATE SEQUENCE public.s;", change: "GRANT USAGE, SELECT ON SEQUENCE public.s TO pggit_rt_writer; GRANT UPDATE ON SEQUENCE public.s TO pggit_rt_reader;" },
    Case { name: "acl_view_and_matview", a: "CREATE TABLE public.t (id int); CREATE VIEW public.v AS SELECT id FROM public.t; CREATE MATERIALIZED VIEW public.m AS SELECT id FROM public.t;", change: "GRANT SELECT ON public.v TO pggit_rt_reader; GRANT SELECT ON public.m TO pggit_rt_reader, pggit_rt_writer;" },
    Case { name: "acl_function_revoke_public", a: "CREATE FUNCTION public.f(x int) RETURNS int LANGUAGE sql AS $$ SELECT x $$;", change: "REVOKE EXECUTE ON FUNCTION public.f(int) FROM PUBLIC; GRANT EXECUTE ON FUNCTION public.f(int) TO pggit_rt_reader;" },
    Case { name: "acl_procedure", a: "CREATE PROCEDURE public.p() LANGUAGE sql AS $$ SELECT 1 $$;", change: "REVOKE ALL ON PROCEDURE public.p() FROM PUBLIC;" },
    Case { name: "acl_type_and_domain", a: "CREATE TYPE public.mood AS ENUM ('sad', 'ok'); CREATE DOMAIN public.pos AS int CHECK (VALUE > 0);", change: "REVOKE USAGE ON TYPE public.mood FROM PUBLIC; GRANT USAGE ON TYPE public.mood TO pggit_rt_reader; REVOKE ALL ON DOMAIN public.pos FROM PUBLIC;" },
    Case { name: "acl_schema", a: "CREATE SCHEMA app;", change: "GRANT USAGE ON SCHEMA app TO pggit_rt_reader; GRANT USAGE, CREATE ON SCHEMA app TO pggit_rt_writer WITH GRANT OPTION;" },
    Case { name: "acl_public_schema_locked_down", a: "CREATE TABLE public.t (id int);", change: "REVOKE ALL ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO pggit_rt_reader;" },
    Case { name: "acl_kept_through_rename", a: "CREATE TABLE public.t (id int, v text); GRANT SELECT ON public.t TO pggit_rt_reader;", change: "ALTER TABLE public.t RENAME TO t2; ALTER TABLE public.t2 RENAME COLUMN v TO w; GRANT UPDATE (w) ON public.t2 TO pggit_rt_writer;" },
    Case { name: "acl_view_recreated_keeps_grants", a: "CREATE TABLE public.t (n int); CREATE VIEW public.v AS SELECT n FROM public.t; GRANT SELECT ON public.v TO pggit_rt_reader;", change: "DROP VIEW public.v; ALTER TABLE public.t ALTER COLUMN n TYPE bigint; CREATE VIEW public.v AS SELECT n FROM public.t; GRANT SELECT ON public.v TO pggit_rt_reader;" },
    Case { name: "acl_new_objects_with_grants", a: "CREATE SCHEMA app;", change: "CREATE TABLE app.t (id int PRIMARY KEY, v text); GRANT ALL ON app.t TO pggit_rt_writer; CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$; REVOKE EXECUTE ON FUNCTION app.f() FROM PUBLIC;" },
    Case { name: "acl_partition", a: "CREATE TABLE public.ev (id int, at date) PARTITION BY RANGE (at); CREATE TABLE public.ev_1 PARTITION OF public.ev FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');", change: "GRANT SELECT ON public.ev TO pggit_rt_reader; GRANT SELECT, INSERT ON public.ev_1 TO pggit_rt_writer;" },
    Case { name: "acl_function_signature_changed", a: "CREATE FUNCTION public.f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a $$; GRANT EXECUTE ON FUNCTION public.f(int) TO pggit_rt_reader;", change: "DROP FUNCTION public.f(int); CREATE FUNCTION public.f(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$; REVOKE EXECUTE ON FUNCTION public.f(int, int) FROM PUBLIC; GRANT EXECUTE ON FUNCTION public.f(int, int) TO pggit_rt_writer;" },
    Case { name: "acl_grant_everything_then_drop_table", a: "CREATE TABLE public.t (id int); GRANT ALL ON public.t TO pggit_rt_reader; CREATE TABLE public.u (id int);", change: "DROP TABLE public.t; GRANT SELECT ON public.u TO pggit_rt_reader;" },
];

/// The roles the privilege cases grant to (cluster-wide; created once per
/// server, concurrently safe).
pub const ROLES_SQL: &str = r#"
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['pggit_rt_reader', 'pggit_rt_writer', 'pggit Odd "Role" ; --'] LOOP
    BEGIN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END LOOP;
END $$;
"#;

/// `ALTER DEFAULT PRIVILEGES`, database-wide and per schema, for the
/// connecting role and for another role; objects created under them.
#[rustfmt::skip]
pub const DEFAULT_PRIVILEGES: &[Case] = &[
    Case { name: "defacl_tables_select", a: "CREATE TABLE public.t (id int);", change: "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO pggit_rt_reader;" },
    Case { name: "defacl_functions_revoke_public", a: "CREATE SCHEMA app;", change: "ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC; ALTER DEFAULT PRIVILEGES REVOKE USAGE ON TYPES FROM PUBLIC;" },
    Case { name: "defacl_in_schema_with_grant_option", a: "CREATE SCHEMA app;", change: "ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT USAGE, SELECT ON SEQUENCES TO pggit_rt_writer WITH GRANT OPTION; ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT INSERT ON TABLES TO pggit_rt_writer;" },
    Case { name: "defacl_for_other_role", a: "CREATE SCHEMA app;", change: "ALTER DEFAULT PRIVILEGES FOR ROLE pggit_rt_writer GRANT SELECT ON TABLES TO pggit_rt_reader; ALTER DEFAULT PRIVILEGES FOR ROLE pggit_rt_writer IN SCHEMA app GRANT USAGE ON TYPES TO pggit_rt_reader;" },
    Case { name: "defacl_schemas", a: "CREATE TABLE public.t (id int);", change: "ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO pggit_rt_reader;" },
    Case { name: "defacl_then_objects_created", a: "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO pggit_rt_reader; ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;", change: "CREATE TABLE public.t (id int); CREATE TABLE public.u (id int); REVOKE SELECT ON public.u FROM pggit_rt_reader; CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$; ALTER DEFAULT PRIVILEGES REVOKE SELECT ON TABLES FROM pggit_rt_reader;" },
    Case { name: "defacl_dropped_with_schema", a: "CREATE SCHEMA app; ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO pggit_rt_reader; CREATE TABLE public.t (id int);", change: "DROP SCHEMA app;" },
];
