//! Owners (`ALTER ... OWNER TO`) of every kind of object pggit tracks,
//! objects created owned by another role, owners together with renames,
//! privileges and partitions. The roles are the privilege cases' own
//! (`privileges::ROLES_SQL`). Run on every server.

use super::Case;

#[rustfmt::skip]
pub const OWNERS: &[Case] = &[
    Case { name: "own_table_with_serial_and_index", a: "CREATE TABLE public.t (id serial PRIMARY KEY, v text); CREATE INDEX t_v ON public.t (v);", change: "ALTER TABLE public.t OWNER TO pggit_rt_reader;" },
    Case { name: "own_new_table_with_identity", a: "CREATE TABLE public.keep (id int);", change: "CREATE TABLE public.t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text); ALTER TABLE public.t OWNER TO pggit_rt_writer;" },
    Case { name: "own_schema_and_table_in_it", a: "CREATE SCHEMA app;", change: "ALTER SCHEMA app OWNER TO pggit_rt_reader; CREATE TABLE app.t (id int); ALTER TABLE app.t OWNER TO pggit_rt_writer;" },
    Case { name: "own_new_schema_owned", a: "CREATE TABLE public.keep (id int);", change: "CREATE SCHEMA app AUTHORIZATION pggit_rt_writer; CREATE TABLE app.t (id int); ALTER TABLE app.t OWNER TO pggit_rt_writer;" },
    Case { name: "own_view_and_materialized_view", a: "CREATE TABLE public.t (a int); CREATE VIEW public.v AS SELECT a FROM public.t; CREATE MATERIALIZED VIEW public.mv AS SELECT a FROM public.t;", change: "ALTER VIEW public.v OWNER TO pggit_rt_reader; ALTER MATERIALIZED VIEW public.mv OWNER TO pggit_rt_writer;" },
    Case { name: "own_sequence", a: "CREATE SEQUENCE public.s START 5;", change: "ALTER SEQUENCE public.s OWNER TO pggit_rt_reader;" },
    Case { name: "own_function_and_procedure", a: "CREATE FUNCTION public.f(x int) RETURNS int LANGUAGE sql AS $$ SELECT x $$; CREATE PROCEDURE public.p() LANGUAGE sql AS $$ SELECT 1 $$;", change: "ALTER FUNCTION public.f(int) OWNER TO pggit_rt_reader; ALTER PROCEDURE public.p() OWNER TO pggit_rt_writer;" },
    Case { name: "own_types", a: "CREATE TYPE public.mood AS ENUM ('ok'); CREATE TYPE public.pair AS (a int, b int); CREATE DOMAIN public.posint AS int CHECK (VALUE > 0); CREATE TYPE public.fr AS RANGE (subtype = float8);", change: "ALTER TYPE public.mood OWNER TO pggit_rt_reader; ALTER TYPE public.pair OWNER TO pggit_rt_reader; ALTER DOMAIN public.posint OWNER TO pggit_rt_writer; ALTER TYPE public.fr OWNER TO pggit_rt_writer;" },
    Case { name: "own_collation_statistics_publication", a: "CREATE TABLE public.t (a int, b int); CREATE COLLATION public.c_copy (provider = libc, locale = 'C'); CREATE STATISTICS public.t_ab ON a, b FROM public.t; CREATE PUBLICATION pub FOR TABLE public.t;", change: "ALTER COLLATION public.c_copy OWNER TO pggit_rt_reader; ALTER STATISTICS public.t_ab OWNER TO pggit_rt_reader; ALTER PUBLICATION pub OWNER TO pggit_rt_writer;" },
    Case { name: "own_partition_differs_from_parent", a: "CREATE TABLE public.ev (id int, at date) PARTITION BY RANGE (at); CREATE TABLE public.ev_1 PARTITION OF public.ev FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');", change: "ALTER TABLE public.ev OWNER TO pggit_rt_reader; ALTER TABLE public.ev_1 OWNER TO pggit_rt_writer; CREATE TABLE public.ev_2 PARTITION OF public.ev FOR VALUES FROM ('2025-02-01') TO ('2025-03-01'); ALTER TABLE public.ev_2 OWNER TO pggit_rt_reader;" },
    Case { name: "own_renamed_and_reowned", a: "CREATE TABLE public.t (id int); ALTER TABLE public.t OWNER TO pggit_rt_reader;", change: "ALTER TABLE public.t RENAME TO t2; ALTER TABLE public.t2 OWNER TO pggit_rt_writer;" },
    Case { name: "own_moved_schema_keeps_owner", a: "CREATE SCHEMA a; CREATE SCHEMA b; CREATE TABLE a.t (id serial); ALTER TABLE a.t OWNER TO pggit_rt_reader;", change: "ALTER TABLE a.t SET SCHEMA b;" },
    Case { name: "own_hostile_role_name", a: "CREATE TABLE public.t (id int);", change: "ALTER TABLE public.t OWNER TO \"pggit Odd \"\"Role\"\" ; --\";" },
    Case { name: "own_change_with_grants", a: "CREATE TABLE public.t (id int, v text); GRANT SELECT ON public.t TO pggit_rt_writer; GRANT UPDATE (v) ON public.t TO pggit_rt_writer;", change: "ALTER TABLE public.t OWNER TO pggit_rt_reader;" },
    Case { name: "own_owner_granted_to_public_revoked", a: "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;", change: "ALTER FUNCTION public.f() OWNER TO pggit_rt_reader; REVOKE EXECUTE ON FUNCTION public.f() FROM PUBLIC; GRANT EXECUTE ON FUNCTION public.f() TO pggit_rt_writer;" },
    Case { name: "own_recreated_table_keeps_owner", a: "CREATE TABLE public.t (id int, v text); ALTER TABLE public.t OWNER TO pggit_rt_reader;", change: "ALTER TABLE public.t ALTER COLUMN v TYPE int USING length(v);" },
    Case { name: "own_public_schema", a: "CREATE TABLE public.t (id int);", change: "ALTER SCHEMA public OWNER TO pggit_rt_writer;" },
];
