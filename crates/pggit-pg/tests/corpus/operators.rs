//! Operators (`CREATE OPERATOR` with every clause, prefix and binary,
//! commutator pairs, `ALTER OPERATOR ... SET`, `SET SCHEMA`, owner,
//! comment, use by a view and an index expression). Run on every server.

use super::Case;

const F: &str = "CREATE FUNCTION public.approx_eq(numeric, numeric) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT abs($1 - $2) < 0.01 $$;";
const OP: &str = "CREATE FUNCTION public.approx_eq(numeric, numeric) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT abs($1 - $2) < 0.01 $$; CREATE OPERATOR public.~= (FUNCTION = public.approx_eq, LEFTARG = numeric, RIGHTARG = numeric, COMMUTATOR = ~=);";
const EQ: &str = "CREATE OPERATOR public.=== (FUNCTION = int4eq, LEFTARG = integer, RIGHTARG = integer, COMMUTATOR = ===, NEGATOR = !==, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);";

#[rustfmt::skip]
pub const OPERATORS: &[Case] = &[
    Case { name: "opr_create_binary", a: F, change: "CREATE OPERATOR public.~= (FUNCTION = public.approx_eq, LEFTARG = numeric, RIGHTARG = numeric, COMMUTATOR = ~=);" },
    Case { name: "opr_create_prefix", a: "CREATE FUNCTION public.neg(integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT -$1 $$;", change: "CREATE OPERATOR public.~~~ (RIGHTARG = integer, FUNCTION = public.neg);" },
    Case { name: "opr_create_every_clause", a: "CREATE TABLE public.keep (id int);", change: EQ },
    Case { name: "opr_commutator_pair", a: "CREATE FUNCTION public.lt(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 < $2 $$; CREATE FUNCTION public.gt(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 > $2 $$;", change: "CREATE OPERATOR public.<<< (FUNCTION = public.lt, LEFTARG = integer, RIGHTARG = integer, COMMUTATOR = >>>); CREATE OPERATOR public.>>> (FUNCTION = public.gt, LEFTARG = integer, RIGHTARG = integer, COMMUTATOR = <<<);" },
    Case { name: "opr_with_function_and_type", a: "CREATE TABLE public.keep (id int);", change: "CREATE TYPE public.mood AS ENUM ('sad', 'happy'); CREATE FUNCTION public.mood_eq(public.mood, public.mood) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1::text = $2::text $$; CREATE OPERATOR public.=~= (FUNCTION = public.mood_eq, LEFTARG = public.mood, RIGHTARG = public.mood);" },
    Case { name: "opr_overloaded_symbol", a: EQ, change: "CREATE OPERATOR public.=== (FUNCTION = texteq, LEFTARG = text, RIGHTARG = text); CREATE OPERATOR public.=== (FUNCTION = int8eq, LEFTARG = bigint, RIGHTARG = bigint); COMMENT ON OPERATOR public.=== (text, text) IS 'text';" },
    Case { name: "opr_comment", a: OP, change: "COMMENT ON OPERATOR public.~= (numeric, numeric) IS 'about equal';" },
    Case { name: "opr_drop", a: OP, change: "DROP OPERATOR public.~= (numeric, numeric);" },
    Case { name: "opr_alter_set_restrict_join", a: EQ, change: "ALTER OPERATOR public.=== (integer, integer) SET (RESTRICT = scalarltsel, JOIN = scalarltjoinsel);" },
    Case { name: "opr_set_schema", a: OP, change: "CREATE SCHEMA ops; ALTER OPERATOR public.~= (numeric, numeric) SET SCHEMA ops;" },
    Case { name: "opr_owner", a: OP, change: "ALTER OPERATOR public.~= (numeric, numeric) OWNER TO pggit_rt_reader;" },
    Case { name: "opr_used_by_view", a: OP, change: "CREATE TABLE public.prices (a numeric, b numeric); CREATE VIEW public.close_prices AS SELECT a, b FROM public.prices WHERE a OPERATOR(public.~=) b;" },
    Case { name: "opr_recreated_under_view_and_index", a: "CREATE OPERATOR public.=== (FUNCTION = int4eq, LEFTARG = integer, RIGHTARG = integer, COMMUTATOR = ===, NEGATOR = !==, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES); CREATE TABLE public.t (a int, b int); CREATE VIEW public.same AS SELECT a FROM public.t WHERE a OPERATOR(public.===) b; CREATE INDEX t_same ON public.t ((a OPERATOR(public.===) b));", change: "ALTER OPERATOR public.=== (integer, integer) SET (RESTRICT = scalarltsel, JOIN = scalarltjoinsel);" },
    Case { name: "opr_function_replaced", a: OP, change: "CREATE OR REPLACE FUNCTION public.approx_eq(numeric, numeric) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT abs($1 - $2) < 0.001 $$;" },
    Case { name: "opr_hostile_schema", a: "CREATE SCHEMA \"o\"\"; drop table x; --\";", change: "CREATE OPERATOR \"o\"\"; drop table x; --\".@@@ (FUNCTION = int4pl, LEFTARG = integer, RIGHTARG = integer); COMMENT ON OPERATOR \"o\"\"; drop table x; --\".@@@ (integer, integer) IS 'it''s';" },
];
