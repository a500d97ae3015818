//! Casts (`CREATE CAST ... WITH FUNCTION / WITHOUT FUNCTION / WITH INOUT`,
//! `AS ASSIGNMENT` / `AS IMPLICIT`, `COMMENT ON CAST`, `DROP CAST`) between
//! user types and built-in ones, and what renames and drops of their types
//! and functions do to them. Run on every server.

use super::Case;

const T: &str = "CREATE TYPE public.money2 AS (cents bigint); CREATE FUNCTION public.money2_to_numeric(public.money2) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT ($1).cents / 100.0 $$;";
const C: &str = "CREATE TYPE public.money2 AS (cents bigint); CREATE FUNCTION public.money2_to_numeric(public.money2) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT ($1).cents / 100.0 $$; CREATE CAST (public.money2 AS numeric) WITH FUNCTION public.money2_to_numeric(public.money2);";

#[rustfmt::skip]
pub const CASTS: &[Case] = &[
    Case { name: "cast_with_function", a: T, change: "CREATE CAST (public.money2 AS numeric) WITH FUNCTION public.money2_to_numeric(public.money2);" },
    Case { name: "cast_as_assignment", a: T, change: "CREATE CAST (public.money2 AS numeric) WITH FUNCTION public.money2_to_numeric(public.money2) AS ASSIGNMENT;" },
    Case { name: "cast_as_implicit", a: T, change: "CREATE CAST (public.money2 AS numeric) WITH FUNCTION public.money2_to_numeric(public.money2) AS IMPLICIT;" },
    Case { name: "cast_with_inout", a: "CREATE TYPE public.color AS ENUM ('red', 'green');", change: "CREATE CAST (public.color AS integer) WITH INOUT;" },
    Case { name: "cast_without_function", a: "CREATE TABLE public.keep (id int);", change: "CREATE CAST (bytea AS text) WITHOUT FUNCTION AS ASSIGNMENT;" },
    Case { name: "cast_new_type_function_and_cast", a: "CREATE TABLE public.keep (id int);", change: C },
    Case { name: "cast_comment", a: C, change: "COMMENT ON CAST (public.money2 AS numeric) IS 'cents to units';" },
    Case { name: "cast_context_changed", a: C, change: "DROP CAST (public.money2 AS numeric); CREATE CAST (public.money2 AS numeric) WITH FUNCTION public.money2_to_numeric(public.money2) AS IMPLICIT;" },
    Case { name: "cast_method_changed", a: C, change: "DROP CAST (public.money2 AS numeric); CREATE CAST (public.money2 AS numeric) WITH INOUT;" },
    Case { name: "cast_dropped", a: C, change: "DROP CAST (public.money2 AS numeric);" },
    Case { name: "cast_dropped_with_type", a: C, change: "DROP CAST (public.money2 AS numeric); DROP FUNCTION public.money2_to_numeric(public.money2); DROP TYPE public.money2;" },
    Case { name: "cast_function_renamed", a: C, change: "ALTER FUNCTION public.money2_to_numeric(public.money2) RENAME TO to_units;" },
    Case { name: "cast_type_renamed", a: C, change: "ALTER TYPE public.money2 RENAME TO cents;" },
    Case { name: "cast_type_in_other_schema", a: "CREATE SCHEMA \"Odd Schema\";", change: "CREATE TYPE \"Odd Schema\".\"t\"\"x\" AS ENUM ('a'); CREATE CAST (\"Odd Schema\".\"t\"\"x\" AS text) WITH INOUT AS ASSIGNMENT;" },
    Case { name: "cast_used_by_view", a: C, change: "CREATE TABLE public.acct (id int, bal public.money2); CREATE VIEW public.balances AS SELECT id, bal::numeric AS units FROM public.acct;" },
    Case { name: "cast_between_domain_free_builtin_and_user", a: T, change: "CREATE FUNCTION public.numeric_to_money2(numeric) RETURNS public.money2 LANGUAGE sql IMMUTABLE AS $$ SELECT ROW(($1 * 100)::bigint)::public.money2 $$; CREATE CAST (numeric AS public.money2) WITH FUNCTION public.numeric_to_money2(numeric) AS ASSIGNMENT;" },
];
