//! Operator classes and families (`CREATE OPERATOR CLASS` with `DEFAULT`,
//! `FAMILY`, `STORAGE`, `FOR ORDER BY`; `CREATE OPERATOR FAMILY`; `ALTER
//! OPERATOR FAMILY ... ADD / DROP`; rename, `SET SCHEMA`, owner, comment;
//! indexes that use them). Run on every server.

use super::Case;

/// Five comparison operators and a support function ordering integers by
/// absolute value.
macro_rules! abs {
    () => {
        "CREATE FUNCTION public.abs_lt(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT abs($1) < abs($2) $$; \
CREATE FUNCTION public.abs_le(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT abs($1) <= abs($2) $$; \
CREATE FUNCTION public.abs_eq(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT abs($1) = abs($2) $$; \
CREATE FUNCTION public.abs_ge(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT abs($1) >= abs($2) $$; \
CREATE FUNCTION public.abs_gt(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT abs($1) > abs($2) $$; \
CREATE FUNCTION public.abs_cmp(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN abs($1) < abs($2) THEN -1 WHEN abs($1) > abs($2) THEN 1 ELSE 0 END $$; \
CREATE FUNCTION public.abs_cmp2(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT sign(abs($1) - abs($2))::integer $$; \
CREATE OPERATOR public.<# (FUNCTION = public.abs_lt, LEFTARG = integer, RIGHTARG = integer); \
CREATE OPERATOR public.<=# (FUNCTION = public.abs_le, LEFTARG = integer, RIGHTARG = integer); \
CREATE OPERATOR public.=# (FUNCTION = public.abs_eq, LEFTARG = integer, RIGHTARG = integer); \
CREATE OPERATOR public.>=# (FUNCTION = public.abs_ge, LEFTARG = integer, RIGHTARG = integer); \
CREATE OPERATOR public.># (FUNCTION = public.abs_gt, LEFTARG = integer, RIGHTARG = integer); "
    };
}
const ABS: &str = abs!();

macro_rules! class {
    () => {
        "CREATE OPERATOR CLASS public.abs_ops FOR TYPE integer USING btree AS \
OPERATOR 1 public.<#, OPERATOR 2 public.<=#, OPERATOR 3 public.=#, OPERATOR 4 public.>=#, OPERATOR 5 public.>#, \
FUNCTION 1 public.abs_cmp(integer, integer); "
    };
}
const CLASS: &str = concat!(abs!(), class!());

macro_rules! index {
    () => {
        "CREATE TABLE public.t (a integer); CREATE INDEX t_abs ON public.t (a public.abs_ops);"
    };
}

/// `ABS` and `CLASS`, with an index that uses the class.
const INDEXED: &str = concat!(abs!(), class!(), index!());

/// A hash class made the default for a type of our own.
const MOOD: &str = "CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy'); \
CREATE FUNCTION public.mood_eq(public.mood, public.mood) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1::text = $2::text $$; \
CREATE FUNCTION public.mood_hash(public.mood) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT hashtext($1::text) $$; \
CREATE OPERATOR public.=~= (FUNCTION = public.mood_eq, LEFTARG = public.mood, RIGHTARG = public.mood);";

/// A GiST class over `box` built from the server's own support functions,
/// with a storage type and an ordering operator.
const GIST: &str = "CREATE OPERATOR CLASS public.my_box_ops FOR TYPE box USING gist AS \
OPERATOR 3 pg_catalog.&&, OPERATOR 15 pg_catalog.<->(box, point) FOR ORDER BY pg_catalog.float_ops, \
FUNCTION 1 pg_catalog.gist_box_consistent(internal, box, smallint, oid, internal), \
FUNCTION 2 pg_catalog.gist_box_union(internal, internal), \
FUNCTION 5 pg_catalog.gist_box_penalty(internal, internal, internal), \
FUNCTION 6 pg_catalog.gist_box_picksplit(internal, internal), \
FUNCTION 7 pg_catalog.gist_box_same(box, box, internal), \
FUNCTION 8 pg_catalog.gist_box_distance(internal, box, smallint, oid, internal), \
STORAGE box;";

#[rustfmt::skip]
pub const OPCLASSES: &[Case] = &[
    Case { name: "opc_create_btree", a: ABS, change: class!() },
    Case { name: "opc_create_default_hash", a: MOOD, change: "CREATE OPERATOR CLASS public.mood_hash_ops DEFAULT FOR TYPE public.mood USING hash AS OPERATOR 1 public.=~=, FUNCTION 1 public.mood_hash(public.mood); CREATE TABLE public.m (x public.mood); CREATE INDEX m_x ON public.m USING hash (x);" },
    Case { name: "opc_create_gist_storage_order_by", a: "CREATE TABLE public.keep (id int);", change: GIST },
    Case { name: "opc_in_explicit_family", a: ABS, change: "CREATE OPERATOR FAMILY public.abs_family USING btree; CREATE OPERATOR CLASS public.abs_ops FOR TYPE integer USING btree FAMILY public.abs_family AS OPERATOR 1 public.<#, OPERATOR 2 public.<=#, OPERATOR 3 public.=#, OPERATOR 4 public.>=#, OPERATOR 5 public.>#, FUNCTION 1 public.abs_cmp(integer, integer);" },
    Case { name: "opc_used_by_index", a: CLASS, change: index!() },
    Case { name: "opc_comment", a: CLASS, change: "COMMENT ON OPERATOR CLASS public.abs_ops USING btree IS 'by absolute value';" },
    Case { name: "opc_rename", a: INDEXED, change: "ALTER OPERATOR CLASS public.abs_ops USING btree RENAME TO magnitude_ops;" },
    Case { name: "opc_set_schema", a: INDEXED, change: "CREATE SCHEMA ops; ALTER OPERATOR CLASS public.abs_ops USING btree SET SCHEMA ops;" },
    Case { name: "opc_owner", a: CLASS, change: "ALTER OPERATOR CLASS public.abs_ops USING btree OWNER TO pggit_rt_reader; ALTER OPERATOR FAMILY public.abs_ops USING btree OWNER TO pggit_rt_reader;" },
    Case { name: "opc_drop_keeps_family", a: CLASS, change: "DROP OPERATOR CLASS public.abs_ops USING btree;" },
    Case { name: "opc_drop_family_and_class", a: INDEXED, change: "DROP INDEX public.t_abs; DROP OPERATOR FAMILY public.abs_ops USING btree;" },
    Case { name: "opc_members_changed_under_index", a: INDEXED, change: "DROP INDEX public.t_abs; DROP OPERATOR FAMILY public.abs_ops USING btree; CREATE OPERATOR CLASS public.abs_ops FOR TYPE integer USING btree AS OPERATOR 1 public.<#, OPERATOR 2 public.<=#, OPERATOR 3 public.=#, OPERATOR 4 public.>=#, OPERATOR 5 public.>#, FUNCTION 1 public.abs_cmp2(integer, integer); CREATE INDEX t_abs ON public.t (a public.abs_ops);" },
    Case { name: "opf_create_empty", a: "CREATE TABLE public.keep (id int);", change: "CREATE OPERATOR FAMILY public.empty_family USING hash; COMMENT ON OPERATOR FAMILY public.empty_family USING hash IS 'nothing yet';" },
    Case { name: "opf_add_loose_members", a: ABS, change: "CREATE OPERATOR FAMILY public.loose USING btree; ALTER OPERATOR FAMILY public.loose USING btree ADD OPERATOR 1 public.<# (integer, integer), OPERATOR 3 public.=# (integer, integer), FUNCTION 1 (integer, integer) public.abs_cmp(integer, integer);" },
    Case { name: "opf_drop_and_swap_members", a: concat!(abs!(), "CREATE OPERATOR FAMILY public.loose USING btree; ALTER OPERATOR FAMILY public.loose USING btree ADD OPERATOR 1 public.<# (integer, integer), OPERATOR 3 public.=# (integer, integer), FUNCTION 1 (integer, integer) public.abs_cmp(integer, integer);"), change: "ALTER OPERATOR FAMILY public.loose USING btree DROP OPERATOR 3 (integer, integer), FUNCTION 1 (integer, integer); ALTER OPERATOR FAMILY public.loose USING btree ADD FUNCTION 1 (integer, integer) public.abs_cmp2(integer, integer), OPERATOR 5 public.># (integer, integer);" },
    Case { name: "opf_rename", a: concat!(abs!(), "CREATE OPERATOR FAMILY public.loose USING btree; ALTER OPERATOR FAMILY public.loose USING btree ADD OPERATOR 1 public.<# (integer, integer);"), change: "ALTER OPERATOR FAMILY public.loose USING btree RENAME TO tight;" },
    Case { name: "opc_operator_recreated", a: INDEXED, change: "DROP INDEX public.t_abs; DROP OPERATOR FAMILY public.abs_ops USING btree; DROP OPERATOR public.># (integer, integer); CREATE OPERATOR public.># (FUNCTION = public.abs_gt, LEFTARG = integer, RIGHTARG = integer, COMMUTATOR = <#); CREATE OPERATOR CLASS public.abs_ops FOR TYPE integer USING btree AS OPERATOR 1 public.<#, OPERATOR 2 public.<=#, OPERATOR 3 public.=#, OPERATOR 4 public.>=#, OPERATOR 5 public.>#, FUNCTION 1 public.abs_cmp(integer, integer); CREATE INDEX t_abs ON public.t (a public.abs_ops);" },
    Case { name: "opc_hostile_names", a: "CREATE SCHEMA \"o\"\"; drop table x; --\";", change: "CREATE OPERATOR CLASS \"o\"\"; drop table x; --\".\"c\"\"ls; --\" FOR TYPE integer USING btree AS OPERATOR 1 <, OPERATOR 3 =, FUNCTION 1 btint4cmp(integer, integer); COMMENT ON OPERATOR CLASS \"o\"\"; drop table x; --\".\"c\"\"ls; --\" USING btree IS 'it''s';" },
];
