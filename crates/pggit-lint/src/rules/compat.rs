//! Rules about objects other than tables and columns that clients depend
//! on: dropping or renaming views, functions, types, schemas, sequences,
//! domains, extensions and constraints, moving objects between schemas,
//! and changing identity or generated columns. squawk has the same rules
//! under the same ids, on by default.

use std::collections::HashSet;

use pg_query::protobuf::{node::Node as N, AlterTableType, ObjectType};

use super::{Ctx, Rule, Severity};
use crate::facts::{list_name, range_name};

pub(super) static RULES: &[&Rule] = &[
    &Rule {
        id: "ban-drop-view",
        default: true,
        severity: Severity::High,
        summary: "clients that query the view fail at once",
        bad: "DROP VIEW order_totals;",
        good: "-- stop every client using order_totals in a release, then drop it in a later one",
        check: drop_view,
    },
    &Rule {
        id: "ban-drop-function",
        default: true,
        severity: Severity::High,
        summary: "clients, triggers and defaults that call the function fail at once",
        bad: "DROP FUNCTION order_total(bigint);",
        good: "-- stop every caller first, then drop the function in a later release",
        check: drop_function,
    },
    &Rule {
        id: "ban-drop-type",
        default: true,
        severity: Severity::High,
        summary: "clients and functions that use the type fail at once",
        bad: "DROP TYPE order_state;",
        good: "-- stop using the type everywhere first, then drop it in a later release",
        check: drop_type,
    },
    &Rule {
        id: "ban-drop-schema",
        default: true,
        severity: Severity::High,
        summary: "everything in the schema goes, and clients that use it fail",
        bad: "DROP SCHEMA reporting;",
        good: "-- move or drop what the schema holds in earlier releases; drop the empty schema last",
        check: drop_schema,
    },
    &Rule {
        id: "ban-drop-sequence",
        default: true,
        severity: Severity::High,
        summary: "defaults and clients that call nextval() on the sequence fail at once",
        bad: "DROP SEQUENCE order_number_seq;",
        good: "-- stop every default and client using the sequence first, then drop it in a later release",
        check: drop_sequence,
    },
    &Rule {
        id: "ban-drop-domain",
        default: true,
        severity: Severity::High,
        summary: "columns and functions that use the domain fail or go",
        bad: "DROP DOMAIN positive_int;",
        good: "-- change every column using the domain first, then drop it in a later release",
        check: drop_domain,
    },
    &Rule {
        id: "ban-drop-extension",
        default: true,
        severity: Severity::High,
        summary: "the extension's types, functions and operators go, with everything that uses them",
        bad: "DROP EXTENSION pg_trgm;",
        good: "-- drop what uses the extension in earlier releases, then the extension",
        check: drop_extension,
    },
    &Rule {
        id: "ban-drop-constraint",
        default: true,
        severity: Severity::Medium,
        summary: "the data stops being checked, and clients that rely on the constraint (ON CONFLICT, a foreign key to it) fail",
        bad: "ALTER TABLE orders DROP CONSTRAINT orders_amount_check;",
        good: "-- make sure no client relies on the constraint, then drop it in its own migration",
        check: drop_constraint,
    },
    &Rule {
        id: "ban-drop-generated-expression",
        default: true,
        severity: Severity::Medium,
        summary: "the column stops being computed: clients that relied on it get stale values",
        bad: "ALTER TABLE orders ALTER COLUMN total DROP EXPRESSION;",
        good: "-- have every writer set the column first, then drop the expression in a later release",
        check: drop_expression,
    },
    &Rule {
        id: "renaming-object",
        default: true,
        severity: Severity::Medium,
        summary: "clients that use the old name of the object (schema, type, enum value, view, function, index, constraint) fail at once",
        bad: "ALTER TYPE order_state RENAME VALUE 'done' TO 'delivered';",
        good: "-- add the new name alongside, move every client to it, then drop the old one",
        check: renaming_object,
    },
    &Rule {
        id: "ban-set-schema",
        default: true,
        severity: Severity::High,
        summary: "clients that name the object with its old schema (or find it on their search_path) fail at once",
        bad: "ALTER TABLE orders SET SCHEMA archive;",
        good: "-- keep the object where it is; new code can reach it through a view in the new schema",
        check: set_schema,
    },
    &Rule {
        id: "ban-alter-identity",
        default: true,
        severity: Severity::Medium,
        summary: "clients that insert their own values into the column can start to fail (GENERATED ALWAYS) or collide with the sequence",
        bad: "ALTER TABLE orders ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;",
        good: "-- agree with every writer how ids are assigned first; prefer GENERATED BY DEFAULT",
        check: alter_identity,
    },
    &Rule {
        id: "ban-duplicate-column-assignments",
        default: true,
        severity: Severity::High,
        summary: "the statement fails: a column may be assigned only once in one UPDATE",
        bad: "UPDATE orders SET status = 'paid', status = 'shipped' WHERE id = 1;",
        good: "UPDATE orders SET status = 'shipped' WHERE id = 1;",
        check: duplicate_assignments,
    },
];

/// The names of what a DROP of `kind` drops.
fn dropped(ctx: &Ctx<'_>, kinds: &[ObjectType], what: &str) -> Vec<String> {
    match &ctx.stmt.node {
        N::DropStmt(s) if kinds.contains(&s.remove_type()) => s
            .objects
            .iter()
            .map(|o| format!("drops {what} {}", object_name(o)))
            .collect(),
        _ => vec![],
    }
}

/// An object as a DROP or RENAME names it.
fn object_name(o: &pg_query::protobuf::Node) -> String {
    match &o.node {
        Some(N::List(l)) => list_name(&l.items),
        Some(N::String(s)) => s.sval.clone(),
        Some(N::TypeName(t)) => list_name(&t.names),
        Some(N::ObjectWithArgs(f)) => list_name(&f.objname),
        _ => String::new(),
    }
}

fn drop_view(ctx: &Ctx<'_>) -> Vec<String> {
    dropped(
        ctx,
        &[ObjectType::ObjectView, ObjectType::ObjectMatview],
        "view",
    )
}

fn drop_function(ctx: &Ctx<'_>) -> Vec<String> {
    dropped(
        ctx,
        &[
            ObjectType::ObjectFunction,
            ObjectType::ObjectProcedure,
            ObjectType::ObjectRoutine,
        ],
        "function",
    )
}

fn drop_type(ctx: &Ctx<'_>) -> Vec<String> {
    dropped(ctx, &[ObjectType::ObjectType], "type")
}

fn drop_schema(ctx: &Ctx<'_>) -> Vec<String> {
    dropped(ctx, &[ObjectType::ObjectSchema], "schema")
}

fn drop_sequence(ctx: &Ctx<'_>) -> Vec<String> {
    dropped(ctx, &[ObjectType::ObjectSequence], "sequence")
}

fn drop_domain(ctx: &Ctx<'_>) -> Vec<String> {
    dropped(ctx, &[ObjectType::ObjectDomain], "domain")
}

fn drop_extension(ctx: &Ctx<'_>) -> Vec<String> {
    dropped(ctx, &[ObjectType::ObjectExtension], "extension")
}

/// The commands of an ALTER TABLE of a table that existed before the file
/// of `subtype`, with the table's name.
fn table_cmds(ctx: &Ctx<'_>, subtype: &[AlterTableType]) -> Vec<(String, String)> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    cmds.iter()
        .filter(|c| subtype.contains(&c.subtype()))
        .map(|c| (rel.clone(), c.name.clone()))
        .collect()
}

fn drop_constraint(ctx: &Ctx<'_>) -> Vec<String> {
    table_cmds(ctx, &[AlterTableType::AtDropConstraint])
        .into_iter()
        .filter(|(rel, name)| {
            !ctx.state
                .added_constraints
                .contains(&(rel.clone(), name.clone()))
        })
        .map(|(rel, name)| format!("drops constraint {name} of {rel}"))
        .collect()
}

fn drop_expression(ctx: &Ctx<'_>) -> Vec<String> {
    table_cmds(ctx, &[AlterTableType::AtDropExpression])
        .into_iter()
        .map(|(rel, name)| format!("{rel}.{name} stops being generated"))
        .collect()
}

fn alter_identity(ctx: &Ctx<'_>) -> Vec<String> {
    table_cmds(
        ctx,
        &[
            AlterTableType::AtAddIdentity,
            AlterTableType::AtSetIdentity,
            AlterTableType::AtDropIdentity,
        ],
    )
    .into_iter()
    .map(|(rel, name)| format!("changes the identity of {rel}.{name}"))
    .collect()
}

fn renaming_object(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        // Tables and columns have their own rules.
        N::RenameStmt(r)
            if !matches!(
                r.rename_type(),
                ObjectType::ObjectTable | ObjectType::ObjectColumn
            ) =>
        {
            let old = match (&r.relation, &r.object) {
                (Some(rel), _) if !r.subname.is_empty() => {
                    format!("{} of {}", r.subname, range_name(rel))
                }
                (Some(rel), _) => range_name(rel),
                (None, Some(o)) => object_name(o),
                (None, None) => r.subname.clone(),
            };
            if let Some(rel) = &r.relation {
                if ctx.state.is_new(&range_name(rel)) {
                    return vec![];
                }
            }
            vec![format!("renames {old} to {}", r.newname)]
        }
        N::AlterEnumStmt(e) if !e.old_val.is_empty() => vec![format!(
            "renames value '{}' of {} to '{}'",
            e.old_val,
            list_name(&e.type_name),
            e.new_val
        )],
        _ => vec![],
    }
}

fn set_schema(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::AlterObjectSchemaStmt(s) => {
            let what = match (&s.relation, &s.object) {
                (Some(rel), _) => range_name(rel),
                (None, Some(o)) => object_name(o),
                _ => String::new(),
            };
            vec![format!("moves {what} to schema {}", s.newschema)]
        }
        _ => vec![],
    }
}

fn duplicate_assignments(ctx: &Ctx<'_>) -> Vec<String> {
    let targets = match &ctx.stmt.node {
        N::UpdateStmt(u) => &u.target_list,
        N::InsertStmt(i) => match i.on_conflict_clause.as_ref() {
            Some(c) => &c.target_list,
            None => return vec![],
        },
        _ => return vec![],
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for t in targets {
        // `SET a[1] = .., a[2] = ..` assigns parts of one column: allowed.
        if let Some(N::ResTarget(r)) = &t.node {
            if r.indirection.is_empty() && !seen.insert(r.name.clone()) {
                out.push(format!("column {} is assigned twice", r.name));
            }
        }
    }
    out
}
