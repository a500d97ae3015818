//! Text search dictionaries and configurations (`CREATE TEXT SEARCH
//! DICTIONARY / CONFIGURATION`, `ALTER ... ADD / ALTER / DROP MAPPING`,
//! `ALTER ... REPLACE`, options, rename, move, owner, comment) and the
//! indexes and columns that use them. Run on every server.

use super::Case;

const CFG: &str = "CREATE TEXT SEARCH CONFIGURATION public.my_en (COPY = pg_catalog.english);";
const DICT: &str = "CREATE TEXT SEARCH DICTIONARY public.my_stem (TEMPLATE = snowball, language = 'english', stopwords = 'english');";

#[rustfmt::skip]
pub const TEXT_SEARCH: &[Case] = &[
    Case { name: "ts_config_copy", a: "CREATE TABLE public.keep (id int);", change: CFG },
    Case { name: "ts_config_parser_only", a: "CREATE TABLE public.keep (id int);", change: "CREATE TEXT SEARCH CONFIGURATION public.bare (PARSER = pg_catalog.\"default\");" },
    Case { name: "ts_dictionary_snowball", a: "CREATE TABLE public.keep (id int);", change: DICT },
    Case { name: "ts_dictionary_simple_options", a: "CREATE TABLE public.keep (id int);", change: "CREATE TEXT SEARCH DICTIONARY public.plain (TEMPLATE = pg_catalog.simple, stopwords = 'english', accept = false);" },
    Case { name: "ts_dictionary_without_options", a: "CREATE TABLE public.keep (id int);", change: "CREATE TEXT SEARCH DICTIONARY public.plain (TEMPLATE = pg_catalog.simple);" },
    Case { name: "ts_config_uses_own_dictionary", a: DICT, change: "CREATE TEXT SEARCH CONFIGURATION public.my_en (COPY = pg_catalog.english); ALTER TEXT SEARCH CONFIGURATION public.my_en ALTER MAPPING FOR asciiword, word WITH public.my_stem, english_stem;" },
    Case { name: "ts_mapping_added", a: "CREATE TEXT SEARCH CONFIGURATION public.bare (PARSER = pg_catalog.\"default\");", change: "ALTER TEXT SEARCH CONFIGURATION public.bare ADD MAPPING FOR asciiword, asciihword, hword_asciipart WITH simple;" },
    Case { name: "ts_mapping_dropped", a: CFG, change: "ALTER TEXT SEARCH CONFIGURATION public.my_en DROP MAPPING FOR email, url, url_path;" },
    Case { name: "ts_mapping_replace_dictionary", a: CFG, change: "ALTER TEXT SEARCH CONFIGURATION public.my_en ALTER MAPPING REPLACE english_stem WITH simple;" },
    Case { name: "ts_dictionary_option_changed", a: DICT, change: "ALTER TEXT SEARCH DICTIONARY public.my_stem (stopwords = 'french');" },
    Case { name: "ts_rename_both", a: "CREATE TEXT SEARCH DICTIONARY public.my_stem (TEMPLATE = snowball, language = 'english'); CREATE TEXT SEARCH CONFIGURATION public.my_en (COPY = pg_catalog.english); ALTER TEXT SEARCH CONFIGURATION public.my_en ALTER MAPPING FOR word WITH public.my_stem;", change: "ALTER TEXT SEARCH DICTIONARY public.my_stem RENAME TO stem2; ALTER TEXT SEARCH CONFIGURATION public.my_en RENAME TO en2;" },
    Case { name: "ts_set_schema", a: "CREATE SCHEMA search; CREATE TEXT SEARCH CONFIGURATION public.my_en (COPY = pg_catalog.english);", change: "ALTER TEXT SEARCH CONFIGURATION public.my_en SET SCHEMA search;" },
    Case { name: "ts_comment_and_owner", a: "CREATE TEXT SEARCH CONFIGURATION public.my_en (COPY = pg_catalog.english); CREATE TEXT SEARCH DICTIONARY public.my_stem (TEMPLATE = snowball, language = 'english');", change: "COMMENT ON TEXT SEARCH CONFIGURATION public.my_en IS 'english, ours'; COMMENT ON TEXT SEARCH DICTIONARY public.my_stem IS 'stems'; ALTER TEXT SEARCH CONFIGURATION public.my_en OWNER TO pggit_rt_reader; ALTER TEXT SEARCH DICTIONARY public.my_stem OWNER TO pggit_rt_writer;" },
    Case { name: "ts_used_by_index_and_generated_column", a: CFG, change: "CREATE TABLE public.docs (id int PRIMARY KEY, body text, tsv tsvector GENERATED ALWAYS AS (to_tsvector('public.my_en'::regconfig, body)) STORED); CREATE INDEX docs_fts ON public.docs USING gin (to_tsvector('public.my_en'::regconfig, body));" },
    Case { name: "ts_dropped", a: "CREATE TEXT SEARCH DICTIONARY public.my_stem (TEMPLATE = snowball, language = 'english'); CREATE TEXT SEARCH CONFIGURATION public.my_en (COPY = pg_catalog.english); ALTER TEXT SEARCH CONFIGURATION public.my_en ALTER MAPPING FOR word WITH public.my_stem;", change: "DROP TEXT SEARCH CONFIGURATION public.my_en; DROP TEXT SEARCH DICTIONARY public.my_stem;" },
    Case { name: "ts_hostile_names", a: "CREATE SCHEMA \"Odd Schema\";", change: "CREATE TEXT SEARCH DICTIONARY \"Odd Schema\".\"d\"\"; --\" (TEMPLATE = simple); CREATE TEXT SEARCH CONFIGURATION \"Odd Schema\".\"c\"\"x\" (PARSER = \"default\"); ALTER TEXT SEARCH CONFIGURATION \"Odd Schema\".\"c\"\"x\" ADD MAPPING FOR word WITH \"Odd Schema\".\"d\"\"; --\";" },
];
