//! Collations (`CREATE COLLATION`, `ALTER COLLATION ... RENAME TO / SET
//! SCHEMA`, `COMMENT ON COLLATION`), every provider and option, and the
//! objects that use them. Run on every server.

use super::Case;

const CI: &str = "CREATE COLLATION public.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);";

#[rustfmt::skip]
pub const COLLATIONS: &[Case] = &[
    Case { name: "coll_icu_nondeterministic", a: "CREATE TABLE public.keep (id int);", change: CI },
    Case { name: "coll_icu_deterministic", a: "CREATE TABLE public.keep (id int);", change: "CREATE COLLATION public.de_phone (provider = icu, locale = 'de-u-co-phonebk');" },
    Case { name: "coll_libc_locale", a: "CREATE TABLE public.keep (id int);", change: "CREATE COLLATION public.c_copy (provider = libc, locale = 'C');" },
    Case { name: "coll_libc_collate_ctype", a: "CREATE TABLE public.keep (id int);", change: "CREATE COLLATION public.mixed (lc_collate = 'C', lc_ctype = 'POSIX');" },
    Case { name: "coll_from_existing", a: "CREATE TABLE public.keep (id int);", change: "CREATE COLLATION public.posix_copy FROM \"POSIX\";" },
    Case { name: "coll_in_schema_hostile_name", a: "CREATE SCHEMA \"Odd Schema\";", change: "CREATE COLLATION \"Odd Schema\".\"ci\"\"; drop table x; --\" (provider = icu, locale = 'und-u-ks-level2', deterministic = false);" },
    Case { name: "coll_used_by_new_table", a: CI, change: "CREATE TABLE public.users (id int PRIMARY KEY, email text COLLATE public.ci NOT NULL UNIQUE);" },
    Case { name: "coll_used_by_new_column", a: "CREATE TABLE public.users (id int PRIMARY KEY);", change: "CREATE COLLATION public.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false); ALTER TABLE public.users ADD COLUMN login text COLLATE public.ci;" },
    Case { name: "coll_column_changed_to", a: "CREATE COLLATION public.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false); CREATE TABLE public.users (id int, login text);", change: "ALTER TABLE public.users ALTER COLUMN login TYPE text COLLATE public.ci;" },
    Case { name: "coll_used_by_domain_and_index", a: CI, change: "CREATE DOMAIN public.ci_text AS text COLLATE public.ci; CREATE TABLE public.t (v text); CREATE INDEX t_v_ci ON public.t (v COLLATE public.ci);" },
    Case { name: "coll_dropped", a: "CREATE TABLE public.keep (id int); CREATE COLLATION public.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);", change: "DROP COLLATION public.ci;" },
    Case { name: "coll_dropped_with_its_table", a: "CREATE COLLATION public.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false); CREATE TABLE public.users (login text COLLATE public.ci); CREATE TABLE public.keep (id int);", change: "DROP TABLE public.users; DROP COLLATION public.ci;" },
    Case { name: "coll_rename", a: CI, change: "ALTER COLLATION public.ci RENAME TO case_insensitive;" },
    Case { name: "coll_rename_used", a: "CREATE COLLATION public.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false); CREATE TABLE public.users (id int, login text COLLATE public.ci); CREATE INDEX users_login ON public.users (login); CREATE VIEW public.logins AS SELECT login FROM public.users;", change: "ALTER COLLATION public.ci RENAME TO case_insensitive;" },
    Case { name: "coll_set_schema", a: "CREATE SCHEMA app; CREATE COLLATION public.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);", change: "ALTER COLLATION public.ci SET SCHEMA app;" },
    Case { name: "coll_comment", a: CI, change: "COMMENT ON COLLATION public.ci IS 'case-insensitive';" },
];

/// ICU tailoring rules (PostgreSQL 16).
#[rustfmt::skip]
pub const COLLATIONS_PG16: &[Case] = &[
    Case { name: "pg16_coll_icu_rules", a: "CREATE TABLE public.keep (id int);", change: "CREATE COLLATION public.ruled (provider = icu, locale = 'und', rules = '&V << w <<< W');" },
];
