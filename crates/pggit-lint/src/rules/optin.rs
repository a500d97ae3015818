//! squawk's opt-in rules (off by default here too; `--enable RULE` or
//! `--enable all`): bans for teams whose migrations must never change
//! certain things, because clients, replicas or security depend on them.

use pg_query::protobuf::{node::Node as N, AlterTableType, ObjectType};

use super::{Ctx, Rule, Severity};
use crate::facts::range_name;

macro_rules! optin {
    ($id:literal, $sev:ident, $summary:literal, $bad:literal, $good:literal, $check:ident) => {
        &Rule {
            id: $id,
            default: false,
            severity: Severity::$sev,
            summary: $summary,
            bad: $bad,
            good: $good,
            check: $check,
        }
    };
}

pub(super) static RULES: &[&Rule] = &[
    optin!("ban-drop-index", Medium, "queries that the index made fast become slow, and a unique index stops checking", "DROP INDEX CONCURRENTLY IF EXISTS orders_customer;", "-- make sure no query plan needs the index, then drop it in its own migration", drop_index),
    optin!("ban-drop-trigger", Medium, "what the trigger did (auditing, denormalised columns) stops happening", "DROP TRIGGER orders_audit ON orders;", "-- replace what the trigger does first, then drop it", drop_trigger),
    optin!("ban-drop-policy", High, "rows the policy hid become visible, or rows it allowed become hidden", "DROP POLICY orders_tenant ON orders;", "-- add the policy that replaces it first, then drop the old one", drop_policy),
    optin!("ban-create-policy", Medium, "a new row-level security policy changes which rows clients see and may write", "CREATE POLICY orders_tenant ON orders USING (tenant_id = current_setting('app.tenant')::bigint);", "-- roll out a policy change with the application that expects it", create_policy),
    optin!("ban-alter-policy-condition", High, "a changed policy condition changes which rows clients see and may write", "ALTER POLICY orders_tenant ON orders USING (true);", "-- create the new policy beside the old one, then drop the old one", alter_policy_condition),
    optin!("ban-alter-policy-roles", High, "a changed list of roles changes who the policy applies to", "ALTER POLICY orders_tenant ON orders TO app_reader;", "-- create the new policy beside the old one, then drop the old one", alter_policy_roles),
    optin!("ban-alter-row-level-security", High, "enabling or disabling row-level security changes which rows every client sees", "ALTER TABLE orders ENABLE ROW LEVEL SECURITY;", "-- create the policies first, and enable row-level security with the application change", row_security),
    optin!("ban-revoke", High, "clients that use the privilege fail at once", "REVOKE SELECT ON orders FROM reporting;", "-- move the clients to another role first, then revoke", revoke),
    optin!("ban-replace-view-function", Medium, "CREATE OR REPLACE changes a view or function in place, under clients that depend on its behaviour", "CREATE OR REPLACE VIEW order_totals AS SELECT customer_id, sum(amount) FROM orders GROUP BY 1;", "-- create it under a new name, move the clients, drop the old one", replace_view_function),
    optin!("ban-alter-function-options", Medium, "a function's volatility, security or settings change under its callers", "ALTER FUNCTION order_total(bigint) SECURITY DEFINER;", "-- create a new function with the options, move the callers", alter_function),
    optin!("ban-alter-view-options", Medium, "a view's options (security_barrier, check_option) change what it returns or accepts", "ALTER VIEW order_totals SET (security_barrier = true);", "-- create a new view with the options, move the clients", alter_view_options),
    optin!("ban-alter-role-options", High, "a role's login, privileges or settings change for every session using it", "ALTER ROLE app NOLOGIN;", "-- change roles outside schema migrations", alter_role),
    optin!("ban-alter-database-options", High, "database settings change for every new session", "ALTER DATABASE shop SET work_mem = '256MB';", "-- change database settings outside schema migrations", alter_database),
    optin!("ban-alter-system-options", High, "server settings change for every database on it", "ALTER SYSTEM SET max_connections = 500;", "-- change server settings outside schema migrations", alter_system),
    optin!("ban-alter-extension", Medium, "an extension's update changes its functions and types under their users", "ALTER EXTENSION postgis UPDATE;", "-- update extensions in a migration of their own, tested first", alter_extension),
    optin!("ban-alter-sequence-values", High, "restarting or changing a sequence's range or step can hand out values already used", "ALTER SEQUENCE orders_id_seq RESTART WITH 1;", "-- leave sequence values to the sequence", alter_sequence),
    optin!("ban-add-column", Low, "a new column changes the table's row for SELECT * and positional INSERT clients", "ALTER TABLE orders ADD COLUMN note text;", "-- name columns in every query before adding columns", add_column),
    optin!("ban-add-composite-attribute", Medium, "a composite type's new attribute changes its row for clients that read it whole", "ALTER TYPE address ADD ATTRIBUTE floor int;", "-- create a new type, move the columns and functions to it", add_attribute),
    optin!("ban-add-enum-value", Medium, "clients that handle every enum value do not know the new one (and it cannot be used in the same transaction)", "ALTER TYPE order_state ADD VALUE 'refunded';", "-- deploy clients that handle the value first, then add it", add_enum_value),
    optin!("ban-set-default", Medium, "inserts that relied on the old default now store the new one", "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';", "-- make every writer set the column, then change the default", set_default),
    optin!("ban-alter-generated-expression", Medium, "a generated column's new expression rewrites the table and changes its values", "ALTER TABLE orders ALTER COLUMN total SET EXPRESSION AS (amount + tax);", "-- add a new generated column, move the readers, drop the old one", set_expression),
    optin!("ban-disable-trigger", Medium, "while the trigger is disabled its work (auditing, denormalised columns) does not happen", "ALTER TABLE orders DISABLE TRIGGER orders_audit;", "-- keep triggers enabled; make them skip work on a session setting if a backfill must", disable_trigger),
    optin!("ban-replica-identity", Medium, "logical replication and CDC consumers see different old-row data", "ALTER TABLE orders REPLICA IDENTITY FULL;", "-- change it with the consumers, outside schema migrations", replica_identity),
    optin!("ban-detach-inheritance", Medium, "queries on the parent stop seeing the child's rows", "ALTER TABLE orders_2020 NO INHERIT orders;", "-- move the rows or the queries first", detach_inheritance),
    optin!("ban-new-write-restriction", Medium, "a new NOT NULL or CHECK refuses writes that clients make today", "ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID;", "-- make every writer comply first (and check its logs), then add the constraint", new_write_restriction),
];

fn drop_of(ctx: &Ctx<'_>, kind: ObjectType, what: &str) -> Vec<String> {
    match &ctx.stmt.node {
        N::DropStmt(s) if s.remove_type() == kind => vec![format!("drops {what}")],
        _ => vec![],
    }
}

fn drop_index(ctx: &Ctx<'_>) -> Vec<String> {
    drop_of(ctx, ObjectType::ObjectIndex, "an index")
}

fn drop_trigger(ctx: &Ctx<'_>) -> Vec<String> {
    drop_of(ctx, ObjectType::ObjectTrigger, "a trigger")
}

fn drop_policy(ctx: &Ctx<'_>) -> Vec<String> {
    drop_of(ctx, ObjectType::ObjectPolicy, "a row-level security policy")
}

fn create_policy(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::CreatePolicyStmt(p) => vec![format!("creates policy {}", p.policy_name)],
        _ => vec![],
    }
}

fn alter_policy_condition(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::AlterPolicyStmt(p) if p.qual.is_some() || p.with_check.is_some() => {
            vec![format!("changes the condition of policy {}", p.policy_name)]
        }
        _ => vec![],
    }
}

fn alter_policy_roles(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::AlterPolicyStmt(p) if !p.roles.is_empty() => {
            vec![format!("changes the roles of policy {}", p.policy_name)]
        }
        _ => vec![],
    }
}

fn revoke(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::GrantStmt(g) if !g.is_grant => vec!["revokes a privilege".into()],
        _ => vec![],
    }
}

fn replace_view_function(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::ViewStmt(v) if v.replace => vec![format!(
            "replaces view {}",
            v.view.as_ref().map(range_name).unwrap_or_default()
        )],
        N::CreateFunctionStmt(f) if f.replace => vec![format!(
            "replaces function {}",
            crate::facts::list_name(&f.funcname)
        )],
        _ => vec![],
    }
}

fn alter_function(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::AlterFunctionStmt(_) => vec!["changes a function's options".into()],
        _ => vec![],
    }
}

fn alter_role(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::AlterRoleStmt(_) | N::AlterRoleSetStmt(_) => vec!["changes a role".into()],
        _ => vec![],
    }
}

fn alter_database(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::AlterDatabaseStmt(_) | N::AlterDatabaseSetStmt(_) => {
            vec!["changes a database's options".into()]
        }
        _ => vec![],
    }
}

fn alter_system(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::AlterSystemStmt(_) => vec!["changes a server setting".into()],
        _ => vec![],
    }
}

fn alter_extension(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::AlterExtensionStmt(e) => vec![format!("changes extension {}", e.extname)],
        N::AlterExtensionContentsStmt(e) => vec![format!("changes extension {}", e.extname)],
        _ => vec![],
    }
}

fn alter_sequence(ctx: &Ctx<'_>) -> Vec<String> {
    const VALUES: &[&str] = &[
        "restart",
        "start",
        "increment",
        "minvalue",
        "maxvalue",
        "cycle",
    ];
    match &ctx.stmt.node {
        N::AlterSeqStmt(s) => s
            .options
            .iter()
            .filter_map(|o| match &o.node {
                Some(N::DefElem(d)) if VALUES.contains(&d.defname.as_str()) => Some(format!(
                    "changes {} of sequence {}",
                    d.defname,
                    s.sequence.as_ref().map(range_name).unwrap_or_default()
                )),
                _ => None,
            })
            .take(1)
            .collect(),
        _ => vec![],
    }
}

/// ALTER TABLE (or VIEW / TYPE) commands of `subtypes` on an object that
/// existed before the file, for objects of `objtypes`.
fn alter(
    ctx: &Ctx<'_>,
    objtypes: &[ObjectType],
    subtypes: &[AlterTableType],
    what: &str,
) -> Vec<String> {
    let N::AlterTableStmt(s) = &ctx.stmt.node else {
        return vec![];
    };
    if !objtypes.contains(&s.objtype()) {
        return vec![];
    }
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    cmds.iter()
        .filter(|c| subtypes.contains(&c.subtype()))
        .map(|c| {
            if c.name.is_empty() {
                format!("{what} on {rel}")
            } else {
                format!("{what} on {rel}: {}", c.name)
            }
        })
        .collect()
}

const TABLES: &[ObjectType] = &[ObjectType::ObjectTable, ObjectType::ObjectForeignTable];

fn alter_view_options(ctx: &Ctx<'_>) -> Vec<String> {
    alter(
        ctx,
        &[ObjectType::ObjectView, ObjectType::ObjectMatview],
        &[
            AlterTableType::AtSetRelOptions,
            AlterTableType::AtResetRelOptions,
        ],
        "changes view options",
    )
}

fn row_security(ctx: &Ctx<'_>) -> Vec<String> {
    alter(
        ctx,
        TABLES,
        &[
            AlterTableType::AtEnableRowSecurity,
            AlterTableType::AtDisableRowSecurity,
            AlterTableType::AtForceRowSecurity,
            AlterTableType::AtNoForceRowSecurity,
        ],
        "changes row-level security",
    )
}

fn add_column(ctx: &Ctx<'_>) -> Vec<String> {
    alter(ctx, TABLES, &[AlterTableType::AtAddColumn], "adds a column")
}

fn add_attribute(ctx: &Ctx<'_>) -> Vec<String> {
    alter(
        ctx,
        &[ObjectType::ObjectType],
        &[AlterTableType::AtAddColumn],
        "adds an attribute",
    )
}

fn add_enum_value(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::AlterEnumStmt(e) if e.old_val.is_empty() => vec![format!(
            "adds value '{}' to {}",
            e.new_val,
            crate::facts::list_name(&e.type_name)
        )],
        _ => vec![],
    }
}

fn set_default(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    // DROP DEFAULT has its own rule (ban-drop-default).
    cmds.iter()
        .filter(|c| c.subtype() == AlterTableType::AtColumnDefault && c.def.is_some())
        .map(|c| format!("changes the default of {rel}.{}", c.name))
        .collect()
}

fn set_expression(ctx: &Ctx<'_>) -> Vec<String> {
    alter(
        ctx,
        TABLES,
        &[AlterTableType::AtSetExpression],
        "changes a generated expression",
    )
}

fn disable_trigger(ctx: &Ctx<'_>) -> Vec<String> {
    alter(
        ctx,
        TABLES,
        &[
            AlterTableType::AtDisableTrig,
            AlterTableType::AtDisableTrigAll,
            AlterTableType::AtDisableTrigUser,
        ],
        "disables triggers",
    )
}

fn replica_identity(ctx: &Ctx<'_>) -> Vec<String> {
    alter(
        ctx,
        TABLES,
        &[AlterTableType::AtReplicaIdentity],
        "changes the replica identity",
    )
}

fn detach_inheritance(ctx: &Ctx<'_>) -> Vec<String> {
    alter(
        ctx,
        TABLES,
        &[AlterTableType::AtDropInherit],
        "detaches from its parent",
    )
}

fn new_write_restriction(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    let mut out = Vec::new();
    for c in cmds {
        match (c.subtype(), c.def.as_ref().and_then(|d| d.node.as_ref())) {
            (AlterTableType::AtSetNotNull, _) => {
                out.push(format!("{rel}.{} refuses NULL from now on", c.name))
            }
            (AlterTableType::AtAddConstraint, Some(N::Constraint(k)))
                if matches!(
                    k.contype(),
                    pg_query::protobuf::ConstrType::ConstrCheck
                        | pg_query::protobuf::ConstrType::ConstrNotnull
                ) =>
            {
                out.push(format!(
                    "a new constraint on {rel} refuses writes it did not"
                ))
            }
            _ => {}
        }
    }
    out
}
