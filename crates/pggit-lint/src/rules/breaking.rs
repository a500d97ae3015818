//! Rules about changes that break clients running now: what they read or
//! write disappears, is renamed, or stops accepting what they send.

use pg_query::protobuf::{node::Node as N, AlterTableType, ConstrType, DropBehavior, ObjectType};

use super::{Ctx, Rule, Severity};
use crate::facts::{self, range_name};

pub(super) static RULES: &[&Rule] = &[
    &Rule {
        id: "ban-drop-column",
        default: true,
        severity: Severity::High,
        summary: "clients (and ORMs that select every column) still using the column fail; stop using it in a release before dropping it",
        bad: "ALTER TABLE orders DROP COLUMN note;",
        good: "-- release 1: the application stops reading and writing note;\n-- a later migration drops it, once no client selects it",
        check: drop_column,
    },
    &Rule {
        id: "ban-drop-table",
        default: true,
        severity: Severity::High,
        summary: "dropping a table breaks every client that still uses it, and loses its rows",
        bad: "DROP TABLE orders;",
        good: "-- rename it aside first (orders_to_drop), drop in a later release",
        check: drop_table,
    },
    &Rule {
        id: "ban-drop-database",
        default: true,
        severity: Severity::Critical,
        summary: "DROP DATABASE in a migration destroys everything in it",
        bad: "DROP DATABASE shop;",
        good: "-- not in a migration",
        check: drop_database,
    },
    &Rule {
        id: "renaming-column",
        default: true,
        severity: Severity::High,
        summary: "clients that use the old column name fail at once; add the new column, dual-write, then drop the old one",
        bad: "ALTER TABLE orders RENAME COLUMN note TO remark;",
        good: "ALTER TABLE orders ADD COLUMN remark text;\n-- dual-write and backfill, move readers, then drop note",
        check: rename_column,
    },
    &Rule {
        id: "renaming-table",
        default: true,
        severity: Severity::High,
        summary: "clients that use the old table name fail at once; leave a view under the old name while they move",
        bad: "ALTER TABLE orders RENAME TO purchases;",
        good: "-- keep the table's name; new code reads it through a view under the new one:\nCREATE VIEW purchases AS SELECT * FROM orders;",
        check: rename_table,
    },
    &Rule {
        id: "adding-required-field",
        default: true,
        severity: Severity::High,
        summary: "a NOT NULL column without a default fails on a table with rows, and inserts that do not name it fail",
        bad: "ALTER TABLE orders ADD COLUMN region text NOT NULL;",
        good: "ALTER TABLE orders ADD COLUMN region text NOT NULL DEFAULT 'eu';",
        check: required_field,
    },
    &Rule {
        id: "ban-drop-not-null",
        default: true,
        severity: Severity::Medium,
        summary: "clients that assume the column is never NULL can now read NULLs",
        bad: "ALTER TABLE orders ALTER COLUMN customer_id DROP NOT NULL;",
        good: "-- make sure every reader handles NULL first",
        check: drop_not_null,
    },
    &Rule {
        id: "ban-drop-default",
        default: true,
        severity: Severity::Medium,
        summary: "inserts that relied on the column's default now store NULL, or fail if the column is NOT NULL",
        bad: "ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;",
        good: "-- make every writer set status first, then drop the default in a later release",
        check: drop_default,
    },
    &Rule {
        id: "ban-truncate-cascade",
        default: true,
        severity: Severity::Critical,
        summary: "TRUNCATE ... CASCADE empties every table that references this one, recursively",
        bad: "TRUNCATE orders CASCADE;",
        good: "TRUNCATE orders;  -- fails if something references it; decide table by table",
        check: truncate_cascade,
    },
];

fn drop_column(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    cmds.iter()
        .filter(|c| c.subtype() == AlterTableType::AtDropColumn)
        .map(|c| format!("drops {rel}.{}: clients that use it fail", c.name))
        .collect()
}

fn drop_table(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::DropStmt(s) if s.remove_type() == ObjectType::ObjectTable => ctx
            .facts
            .locks
            .iter()
            .filter(|l| !ctx.state.is_new(&l.relation))
            .map(|l| format!("drops {} and its rows", l.relation))
            .collect(),
        _ => vec![],
    }
}

fn drop_database(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::DropdbStmt(d) => vec![format!("drops database {}", d.dbname)],
        _ => vec![],
    }
}

fn rename_column(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::RenameStmt(r) if r.rename_type() == ObjectType::ObjectColumn => {
            let rel = r.relation.as_ref().map(range_name).unwrap_or_default();
            if ctx.state.is_new(&rel) {
                return vec![];
            }
            vec![format!("renames {rel}.{} to {}", r.subname, r.newname)]
        }
        _ => vec![],
    }
}

fn rename_table(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::RenameStmt(r) if r.rename_type() == ObjectType::ObjectTable => {
            let rel = r.relation.as_ref().map(range_name).unwrap_or_default();
            if ctx.state.is_new(&rel) {
                return vec![];
            }
            vec![format!("renames {rel} to {}", r.newname)]
        }
        _ => vec![],
    }
}

fn required_field(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    cmds.iter()
        .filter(|c| c.subtype() == AlterTableType::AtAddColumn)
        .filter_map(|c| match c.def.as_ref().and_then(|d| d.node.as_ref()) {
            Some(N::ColumnDef(col)) => Some(col),
            _ => None,
        })
        .filter(|col| {
            let cons: Vec<_> = facts::constraints_of(&col.constraints).collect();
            let not_null = col.is_not_null
                || cons
                    .iter()
                    .any(|c| c.contype() == ConstrType::ConstrNotnull)
                || cons
                    .iter()
                    .any(|c| c.contype() == ConstrType::ConstrPrimary);
            let filled = cons.iter().any(|c| {
                matches!(
                    c.contype(),
                    ConstrType::ConstrDefault
                        | ConstrType::ConstrIdentity
                        | ConstrType::ConstrGenerated
                )
            }) || col
                .type_name
                .as_ref()
                .map(facts::type_name)
                .is_some_and(|t| t.ends_with("serial") || t.starts_with("serial"));
            not_null && !filled
        })
        .map(|col| format!("{rel}.{} is NOT NULL without a default", col.colname))
        .collect()
}

fn drop_not_null(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    cmds.iter()
        .filter(|c| c.subtype() == AlterTableType::AtDropNotNull)
        .map(|c| format!("{rel}.{} may now be NULL", c.name))
        .collect()
}

fn truncate_cascade(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::TruncateStmt(t) if t.behavior() == DropBehavior::DropCascade => {
            vec!["TRUNCATE ... CASCADE also empties every table that references these".into()]
        }
        _ => vec![],
    }
}

fn drop_default(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    // SET DEFAULT and DROP DEFAULT are one command; DROP has no expression.
    cmds.iter()
        .filter(|c| c.subtype() == AlterTableType::AtColumnDefault && c.def.is_none())
        .map(|c| format!("{rel}.{} loses its default", c.name))
        .collect()
}
