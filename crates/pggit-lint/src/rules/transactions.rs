//! Rules about what statements do together: transaction blocks, locks kept
//! until commit, work split across statements. Some are decided at the end
//! of the file (`crate::lint`); their check here finds nothing.

use pg_query::protobuf::{node::Node as N, AlterTableType, TransactionStmtKind};

use super::{Ctx, Rule, Severity};
use crate::facts::{range_name, Intent};

pub(super) static RULES: &[&Rule] = &[
    &Rule {
        id: "ban-concurrent-index-creation-in-transaction",
        default: true,
        severity: Severity::Critical,
        summary: "CREATE INDEX CONCURRENTLY cannot run inside a transaction block: the migration fails",
        bad: "BEGIN;\nCREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id);\nCOMMIT;",
        good: "CREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id);",
        check: concurrent_in_transaction,
    },
    &Rule {
        id: "cannot-run-in-transaction",
        default: true,
        severity: Severity::Critical,
        summary: "the statement (DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH ... CONCURRENTLY, VACUUM, CREATE DATABASE, ...) fails inside a transaction block",
        bad: "BEGIN;\nDROP INDEX CONCURRENTLY orders_customer;\nCOMMIT;",
        good: "DROP INDEX CONCURRENTLY orders_customer;",
        check: cannot_run_in_transaction,
    },
    &Rule {
        id: "transaction-nesting",
        default: true,
        severity: Severity::Medium,
        summary: "BEGIN inside a transaction only warns and COMMIT ends the tool's own transaction early",
        bad: "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nBEGIN;\nCOMMIT;",
        good: "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
        check: nesting,
    },
    &Rule {
        id: "ban-uncommitted-transaction",
        default: true,
        severity: Severity::High,
        summary: "a BEGIN without COMMIT leaves the transaction open when the file ends (its locks with it), and it is rolled back when the session ends",
        bad: "BEGIN;\nALTER TABLE orders ADD COLUMN note text;",
        good: "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
        check: nothing,
    },
    &Rule {
        id: "statements-after-access-exclusive",
        default: true,
        severity: Severity::Medium,
        summary: "an ACCESS EXCLUSIVE lock is held until commit: every later statement in the transaction makes the table unavailable for longer",
        bad: "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nUPDATE customers SET tier = 'b' WHERE tier IS NULL;\nCOMMIT;",
        good: "BEGIN;\nUPDATE customers SET tier = 'b' WHERE tier IS NULL;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
        check: after_access_exclusive,
    },
    &Rule {
        id: "several-alters-of-one-table",
        default: true,
        severity: Severity::Low,
        summary: "each ALTER TABLE takes the table's lock again (and may rewrite it again); one ALTER TABLE with several actions takes it once",
        bad: "ALTER TABLE orders ADD COLUMN note text;\nALTER TABLE orders ADD COLUMN region text;",
        good: "ALTER TABLE orders ADD COLUMN note text, ADD COLUMN region text;",
        check: several_alters,
    },
    &Rule {
        id: "validate-in-same-transaction",
        default: true,
        severity: Severity::High,
        summary: "VALIDATE in the transaction that added the constraint NOT VALID keeps the ADD's strong lock during the scan, which NOT VALID was meant to avoid",
        bad: "BEGIN;\nALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT amount_positive;\nCOMMIT;",
        good: "ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT amount_positive;",
        check: validate_same_transaction,
    },
    &Rule {
        id: "unbounded-data-change",
        default: true,
        severity: Severity::Medium,
        summary: "an UPDATE or DELETE of a whole table in a schema migration locks every row it touches until commit and bloats the table; do it in batches",
        bad: "UPDATE orders SET region = 'eu';",
        good: "UPDATE orders SET region = 'eu' WHERE id BETWEEN 1 AND 10000;  -- and so on, batch by batch",
        check: unbounded_data_change,
    },
    &Rule {
        id: "foreign-key-without-index",
        default: true,
        severity: Severity::Medium,
        summary: "without an index on the referencing columns, every DELETE or key UPDATE in the referenced table scans the referencing one",
        bad: "CREATE TABLE lines (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));",
        good: "CREATE TABLE lines (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));\nCREATE INDEX lines_order_id ON lines (order_id);",
        check: nothing,
    },
];

fn nothing(_: &Ctx<'_>) -> Vec<String> {
    vec![]
}

fn concurrent_in_transaction(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::IndexStmt(s) if s.concurrent && ctx.state.in_transaction => {
            vec!["CREATE INDEX CONCURRENTLY inside a transaction block fails".into()]
        }
        _ => vec![],
    }
}

fn cannot_run_in_transaction(ctx: &Ctx<'_>) -> Vec<String> {
    if ctx.facts.transactional || !ctx.state.in_transaction {
        return vec![];
    }
    if matches!(&ctx.stmt.node, N::IndexStmt(_)) {
        return vec![];
    }
    vec!["this statement cannot run inside a transaction block".into()]
}

fn nesting(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::TransactionStmt(t) => match t.kind() {
            TransactionStmtKind::TransStmtBegin | TransactionStmtKind::TransStmtStart
                if ctx.state.in_transaction =>
            {
                vec!["BEGIN inside a transaction block".into()]
            }
            TransactionStmtKind::TransStmtCommit | TransactionStmtKind::TransStmtRollback
                if ctx.state.in_transaction && !ctx.state.explicit_begin =>
            {
                vec!["ends the transaction the migration tool opened".into()]
            }
            _ => vec![],
        },
        _ => vec![],
    }
}

fn after_access_exclusive(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, at)) = &ctx.state.exclusive else {
        return vec![];
    };
    // Once per transaction: the first statement that prolongs the lock.
    if ctx.state.exclusive_reported {
        return vec![];
    }
    if matches!(ctx.facts.intent, Intent::Transaction | Intent::Setting) {
        return vec![];
    }
    // More work on the same table in the same statement kind is the next
    // rule's business; anything else prolongs the lock.
    vec![format!(
        "{rel} has been locked ACCESS EXCLUSIVE since statement {at}: this statement runs while it stays unavailable"
    )]
}

fn several_alters(ctx: &Ctx<'_>) -> Vec<String> {
    let N::AlterTableStmt(s) = &ctx.stmt.node else {
        return vec![];
    };
    let rel = s.relation.as_ref().map(range_name).unwrap_or_default();
    // VALIDATE belongs in a statement (and transaction) of its own, and a
    // partition command takes no other actions.
    if !crate::combinable(s) {
        return vec![];
    }
    // Dropping the CHECK that proved a SET NOT NULL must stay apart: in
    // one ALTER the drop comes first, and SET NOT NULL would scan.
    let drops_proof = s.cmds.iter().any(|c| {
        matches!(&c.node, Some(N::AlterTableCmd(c))
            if c.subtype() == AlterTableType::AtDropConstraint
                && ctx.state.not_null_checks.contains_key(&(rel.clone(), c.name.clone())))
    });
    if drops_proof {
        return vec![];
    }
    // At the second ALTER of a table only.
    match ctx.state.altered.get(&rel) {
        Some((first, 1)) if !ctx.state.is_new(&rel) => vec![format!(
            "{rel} was altered by statement {first} too: one ALTER TABLE can do both (and any later ones)"
        )],
        _ => vec![],
    }
}

fn validate_same_transaction(ctx: &Ctx<'_>) -> Vec<String> {
    let N::AlterTableStmt(s) = &ctx.stmt.node else {
        return vec![];
    };
    let rel = s.relation.as_ref().map(range_name).unwrap_or_default();
    s.cmds
        .iter()
        .filter_map(|c| match &c.node {
            Some(N::AlterTableCmd(c)) if c.subtype() == AlterTableType::AtValidateConstraint => {
                Some(c.name.clone())
            }
            _ => None,
        })
        .filter(|name| ctx.state.not_valid.contains(&(rel.clone(), name.clone())))
        .map(|name| format!("{name} was added NOT VALID in this same transaction"))
        .collect()
}

fn unbounded_data_change(ctx: &Ctx<'_>) -> Vec<String> {
    let (rel, bounded) = match &ctx.stmt.node {
        N::UpdateStmt(u) => (
            u.relation.as_ref().map(range_name),
            u.where_clause.as_deref().is_some_and(|w| !always_true(w)),
        ),
        N::DeleteStmt(d) => (
            d.relation.as_ref().map(range_name),
            d.where_clause.as_deref().is_some_and(|w| !always_true(w)),
        ),
        _ => return vec![],
    };
    match rel {
        Some(rel) if !bounded && !ctx.state.is_new(&rel) => {
            vec![format!("changes every row of {rel} in one statement")]
        }
        _ => vec![],
    }
}

/// A WHERE that bounds nothing: `TRUE`, `'t'::boolean`, or a comparison of
/// two equal constants (`1 = 1`).
fn always_true(w: &pg_query::protobuf::Node) -> bool {
    use pg_query::protobuf::a_const::Val;
    match &w.node {
        Some(N::AConst(c)) => matches!(&c.val, Some(Val::Boolval(b)) if b.boolval),
        Some(N::TypeCast(t)) => t.arg.as_deref().is_some_and(|a| match &a.node {
            Some(N::AConst(c)) => match &c.val {
                Some(Val::Sval(s)) => {
                    matches!(
                        s.sval.to_lowercase().as_str(),
                        "t" | "true" | "y" | "yes" | "on" | "1"
                    )
                }
                Some(Val::Boolval(b)) => b.boolval,
                _ => false,
            },
            _ => false,
        }),
        Some(N::AExpr(e)) => {
            let op = crate::facts::list_name(&e.name);
            let constant = |n: &Option<Box<pg_query::protobuf::Node>>| match n
                .as_deref()
                .and_then(|n| n.node.as_ref())
            {
                // NULL = NULL is never true.
                Some(N::AConst(c)) if c.val.is_some() => Some(format!("{:?}", c.val)),
                _ => None,
            };
            op == "=" && constant(&e.lexpr).is_some() && constant(&e.lexpr) == constant(&e.rexpr)
        }
        _ => false,
    }
}
