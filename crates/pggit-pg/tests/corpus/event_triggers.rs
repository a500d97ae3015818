//! Event triggers (`CREATE EVENT TRIGGER`, `ALTER EVENT TRIGGER ...
//! ENABLE / DISABLE / RENAME TO / OWNER TO`, `COMMENT ON EVENT TRIGGER`)
//! for every event, with and without tags, and the functions they run.
//! Run on every server.

use super::Case;

const FN: &str = "CREATE FUNCTION public.log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'ddl: %', tg_tag; END $$;";
const ET: &str = "CREATE FUNCTION public.log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'ddl: %', tg_tag; END $$; CREATE EVENT TRIGGER log_ddl ON ddl_command_end EXECUTE FUNCTION public.log_ddl();";

#[rustfmt::skip]
pub const EVENT_TRIGGERS: &[Case] = &[
    Case { name: "evt_create_ddl_command_end", a: FN, change: "CREATE EVENT TRIGGER log_ddl ON ddl_command_end EXECUTE FUNCTION public.log_ddl();" },
    Case { name: "evt_create_with_function", a: "CREATE TABLE public.keep (id int);", change: ET },
    Case { name: "evt_ddl_command_start_tags", a: FN, change: "CREATE EVENT TRIGGER no_drops ON ddl_command_start WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'ALTER TABLE') EXECUTE FUNCTION public.log_ddl();" },
    Case { name: "evt_sql_drop", a: FN, change: "CREATE EVENT TRIGGER on_drop ON sql_drop EXECUTE PROCEDURE public.log_ddl();" },
    Case { name: "evt_table_rewrite", a: FN, change: "CREATE EVENT TRIGGER on_rewrite ON table_rewrite WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION public.log_ddl();" },
    Case { name: "evt_disable", a: ET, change: "ALTER EVENT TRIGGER log_ddl DISABLE;" },
    Case { name: "evt_enable_replica", a: ET, change: "ALTER EVENT TRIGGER log_ddl ENABLE REPLICA;" },
    Case { name: "evt_enable_always", a: ET, change: "ALTER EVENT TRIGGER log_ddl ENABLE ALWAYS;" },
    Case { name: "evt_created_disabled", a: FN, change: "CREATE EVENT TRIGGER quiet ON ddl_command_end EXECUTE FUNCTION public.log_ddl(); ALTER EVENT TRIGGER quiet DISABLE;" },
    Case { name: "evt_rename", a: ET, change: "ALTER EVENT TRIGGER log_ddl RENAME TO audit_ddl;" },
    Case { name: "evt_comment", a: ET, change: "COMMENT ON EVENT TRIGGER log_ddl IS 'logs every command';" },
    // An event trigger's owner must be a superuser.
    Case { name: "evt_owner", a: ET, change: "DO $$ BEGIN CREATE ROLE pggit_rt_super SUPERUSER NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$; ALTER EVENT TRIGGER log_ddl OWNER TO pggit_rt_super;" },
    Case { name: "evt_tags_changed", a: ET, change: "DROP EVENT TRIGGER log_ddl; CREATE EVENT TRIGGER log_ddl ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION public.log_ddl();" },
    Case { name: "evt_function_replaced", a: ET, change: "CREATE FUNCTION public.other() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$; DROP EVENT TRIGGER log_ddl; CREATE EVENT TRIGGER log_ddl ON ddl_command_end EXECUTE FUNCTION public.other(); DROP FUNCTION public.log_ddl();" },
    Case { name: "evt_function_renamed", a: ET, change: "ALTER FUNCTION public.log_ddl() RENAME TO note_ddl;" },
    Case { name: "evt_function_in_other_schema", a: "CREATE SCHEMA ops;", change: "CREATE FUNCTION ops.\"Guard\"() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$; CREATE EVENT TRIGGER \"Odd \"\"evt\"\"; --\" ON ddl_command_start EXECUTE FUNCTION ops.\"Guard\"();" },
    Case { name: "evt_dropped", a: ET, change: "DROP EVENT TRIGGER log_ddl;" },
    Case { name: "evt_dropped_with_function", a: ET, change: "DROP EVENT TRIGGER log_ddl; DROP FUNCTION public.log_ddl();" },
];

/// The `login` event (PostgreSQL 17).
#[rustfmt::skip]
pub const EVENT_TRIGGERS_PG17: &[Case] = &[
    Case { name: "pg17_evt_login", a: "CREATE FUNCTION public.on_login() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;", change: "CREATE EVENT TRIGGER on_login ON login EXECUTE FUNCTION public.on_login();" },
];
