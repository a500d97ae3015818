//! Aggregates (`CREATE [OR REPLACE] AGGREGATE` with every option the
//! documentation lists: plain, moving-aggregate, parallel with combine and
//! serial functions, ordered-set and hypothetical-set, `SORTOP`, zero
//! arguments; `ALTER AGGREGATE ... RENAME TO / SET SCHEMA / OWNER TO`,
//! `COMMENT ON AGGREGATE`, grants) and what uses them. Run on every server.

use super::Case;

const SUM: &str =
    "CREATE AGGREGATE public.my_sum(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '0');";

#[rustfmt::skip]
pub const AGGREGATES: &[Case] = &[
    Case { name: "agg_create_plain", a: "CREATE TABLE public.keep (id int);", change: SUM },
    Case { name: "agg_with_final_and_user_functions", a: "CREATE TABLE public.keep (id int);", change: "CREATE FUNCTION public.acc(numeric[], numeric) RETURNS numeric[] LANGUAGE sql IMMUTABLE AS $$ SELECT array_append($1, $2) $$; CREATE FUNCTION public.med(numeric[]) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT $1[(array_length($1, 1) + 1) / 2] $$; CREATE AGGREGATE public.rough_median(numeric) (SFUNC = public.acc, STYPE = numeric[], FINALFUNC = public.med, INITCOND = '{}');" },
    Case { name: "agg_moving", a: "CREATE TABLE public.keep (id int);", change: "CREATE AGGREGATE public.msum(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '0', MSFUNC = int4pl, MINVFUNC = int4mi, MSTYPE = integer, MINITCOND = '0');" },
    Case { name: "agg_parallel_combine", a: "CREATE TABLE public.keep (id int);", change: "CREATE AGGREGATE public.psum(bigint) (SFUNC = int8pl, STYPE = bigint, COMBINEFUNC = int8pl, INITCOND = '0', PARALLEL = SAFE);" },
    Case { name: "agg_serial_deserial", a: "CREATE TABLE public.keep (id int);", change: "CREATE AGGREGATE public.my_avg(numeric) (SFUNC = numeric_avg_accum, STYPE = internal, FINALFUNC = numeric_avg, COMBINEFUNC = numeric_avg_combine, SERIALFUNC = numeric_avg_serialize, DESERIALFUNC = numeric_avg_deserialize, SSPACE = 128, PARALLEL = SAFE);" },
    Case { name: "agg_sortop", a: "CREATE TABLE public.keep (id int);", change: "CREATE AGGREGATE public.my_max(integer) (SFUNC = int4larger, STYPE = integer, SORTOP = >);" },
    Case { name: "agg_ordered_set", a: "CREATE TABLE public.keep (id int);", change: "CREATE AGGREGATE public.my_pct(double precision ORDER BY double precision) (SFUNC = ordered_set_transition, STYPE = internal, FINALFUNC = percentile_cont_float8_final, FINALFUNC_MODIFY = SHAREABLE);" },
    Case { name: "agg_hypothetical", a: "CREATE TABLE public.keep (id int);", change: "CREATE AGGREGATE public.my_rank(VARIADIC \"any\" ORDER BY VARIADIC \"any\") (SFUNC = ordered_set_transition_multi, STYPE = internal, FINALFUNC = rank_final, FINALFUNC_EXTRA, HYPOTHETICAL);" },
    Case { name: "agg_final_modify", a: "CREATE TABLE public.keep (id int);", change: "CREATE FUNCTION public.app(anyarray, anyelement) RETURNS anyarray LANGUAGE sql IMMUTABLE AS $$ SELECT $1 || $2 $$; CREATE FUNCTION public.arr_len(anyarray) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT cardinality($1) $$; CREATE AGGREGATE public.agg_len(anyelement) (SFUNC = public.app, STYPE = anyarray, INITCOND = '{}', FINALFUNC = public.arr_len, FINALFUNC_MODIFY = SHAREABLE);" },
    Case { name: "agg_zero_args", a: "CREATE FUNCTION public.cnt(bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT $1 + 1 $$;", change: "CREATE AGGREGATE public.my_count(*) (SFUNC = public.cnt, STYPE = bigint, INITCOND = '0'); COMMENT ON AGGREGATE public.my_count(*) IS 'rows'; REVOKE EXECUTE ON FUNCTION public.my_count() FROM PUBLIC;" },
    Case { name: "agg_replaced_initcond", a: SUM, change: "CREATE OR REPLACE AGGREGATE public.my_sum(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '10');" },
    Case { name: "agg_rename", a: SUM, change: "ALTER AGGREGATE public.my_sum(integer) RENAME TO total;" },
    Case { name: "agg_set_schema", a: "CREATE SCHEMA app; CREATE AGGREGATE public.my_sum(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '0');", change: "ALTER AGGREGATE public.my_sum(integer) SET SCHEMA app;" },
    Case { name: "agg_comment_owner_grant", a: SUM, change: "COMMENT ON AGGREGATE public.my_sum(integer) IS 'a sum'; ALTER AGGREGATE public.my_sum(integer) OWNER TO pggit_rt_reader; REVOKE EXECUTE ON FUNCTION public.my_sum(integer) FROM PUBLIC; GRANT EXECUTE ON FUNCTION public.my_sum(integer) TO pggit_rt_writer;" },
    Case { name: "agg_used_by_view", a: "CREATE TABLE public.t (v integer); CREATE AGGREGATE public.my_sum(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '0');", change: "CREATE VIEW public.totals AS SELECT public.my_sum(v) AS s FROM public.t;" },
    Case { name: "agg_state_type_changed", a: SUM, change: "DROP AGGREGATE public.my_sum(integer); CREATE AGGREGATE public.my_sum(integer) (SFUNC = int4_sum, STYPE = bigint);" },
    Case { name: "agg_dropped", a: SUM, change: "DROP AGGREGATE public.my_sum(integer);" },
    Case { name: "agg_hostile_name", a: "CREATE SCHEMA \"Odd Schema\";", change: "CREATE AGGREGATE \"Odd Schema\".\"sum\"\"; drop table x; --\"(integer) (SFUNC = int4pl, STYPE = integer);" },
];
