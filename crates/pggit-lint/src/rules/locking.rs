//! Rules about locks held and tables rewritten or scanned while clients
//! wait. A table created earlier in the same file is empty and unused, so
//! these rules leave it alone.

use pg_query::protobuf::{node::Node as N, AlterTableType, ConstrType, ObjectType};

use super::{Ctx, Rule, Severity};
use crate::facts::{self, range_name};

pub(super) static RULES: &[&Rule] = &[
    &Rule {
        id: "require-concurrent-index-creation",
        default: true,
        severity: Severity::High,
        summary: "CREATE INDEX without CONCURRENTLY blocks every write to the table until the index is built",
        bad: "CREATE INDEX orders_customer ON orders (customer_id);",
        good: "CREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id);",
        check: concurrent_index_creation,
    },
    &Rule {
        id: "require-concurrent-index-deletion",
        default: true,
        severity: Severity::Medium,
        summary: "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table, blocking reads too",
        bad: "DROP INDEX orders_customer;",
        good: "DROP INDEX CONCURRENTLY orders_customer;",
        check: concurrent_index_deletion,
    },
    &Rule {
        id: "require-concurrent-reindex",
        default: true,
        severity: Severity::Medium,
        summary: "REINDEX without CONCURRENTLY blocks writes to the table and reads through the index",
        bad: "REINDEX INDEX orders_customer;",
        good: "REINDEX INDEX CONCURRENTLY orders_customer;",
        check: concurrent_reindex,
    },
    &Rule {
        id: "require-concurrent-partition-detach",
        default: true,
        severity: Severity::Medium,
        summary: "DETACH PARTITION without CONCURRENTLY (PostgreSQL 14+) takes ACCESS EXCLUSIVE on the parent",
        bad: "ALTER TABLE events DETACH PARTITION events_2020;",
        good: "ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;",
        check: concurrent_detach,
    },
    &Rule {
        id: "adding-field-with-default",
        default: true,
        severity: Severity::High,
        summary: "a new column with a volatile default is computed for every row: the table is rewritten under ACCESS EXCLUSIVE",
        bad: "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        good: "ALTER TABLE orders ADD COLUMN token uuid;\nALTER TABLE orders ALTER COLUMN token SET DEFAULT gen_random_uuid();\n-- then fill existing rows in batches",
        check: field_with_default,
    },
    &Rule {
        id: "adding-serial-primary-key-field",
        default: true,
        severity: Severity::High,
        summary: "adding a serial or identity column fills every row (a rewrite), and adding a primary key without USING INDEX builds its index, both under ACCESS EXCLUSIVE",
        bad: "ALTER TABLE audit_log ADD COLUMN id bigserial PRIMARY KEY;",
        good: "ALTER TABLE audit_log ADD COLUMN id bigint;\n-- fill it in batches, CREATE UNIQUE INDEX CONCURRENTLY, then\n-- ALTER TABLE audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY USING INDEX ...",
        check: serial_field,
    },
    &Rule {
        id: "changing-column-type",
        default: true,
        severity: Severity::High,
        summary: "changing a column's type rewrites the table (and its indexes) under ACCESS EXCLUSIVE unless the new type is binary-coercible",
        bad: "ALTER TABLE orders ALTER COLUMN amount TYPE numeric(14,2);",
        good: "ALTER TABLE orders ADD COLUMN amount_v2 numeric(14,2);\n-- dual-write, backfill in batches, switch readers, then drop the old column",
        check: changing_column_type,
    },
    &Rule {
        id: "table-rewrite",
        default: true,
        severity: Severity::High,
        summary: "the statement writes a new copy of the table under ACCESS EXCLUSIVE (SET LOGGED/UNLOGGED, SET ACCESS METHOD, SET TABLESPACE, a stored generated column)",
        bad: "ALTER TABLE orders SET UNLOGGED;",
        good: "-- create the new table beside the old one, copy in batches, swap by rename",
        check: table_rewrite,
    },
    &Rule {
        id: "constraint-missing-not-valid",
        default: true,
        severity: Severity::High,
        summary: "a CHECK or foreign key added without NOT VALID checks every row while holding its lock (ACCESS EXCLUSIVE for a CHECK)",
        bad: "ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0);",
        good: "ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID;\n-- later, in its own transaction:\nALTER TABLE orders VALIDATE CONSTRAINT amount_positive;",
        check: constraint_missing_not_valid,
    },
    &Rule {
        id: "adding-foreign-key-constraint",
        default: true,
        severity: Severity::High,
        summary: "a foreign key added without NOT VALID checks every row while writes to both tables wait",
        bad: "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);",
        good: "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\n-- later, in its own transaction:\nALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;",
        check: foreign_key,
    },
    &Rule {
        id: "adding-not-nullable-field",
        default: true,
        severity: Severity::High,
        summary: "SET NOT NULL reads every row under ACCESS EXCLUSIVE unless a valid CHECK (col IS NOT NULL) already proves it",
        bad: "ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;",
        good: "ALTER TABLE orders ADD CONSTRAINT customer_id_not_null CHECK (customer_id IS NOT NULL) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT customer_id_not_null;\nALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;\nALTER TABLE orders DROP CONSTRAINT customer_id_not_null;",
        check: set_not_null,
    },
    &Rule {
        id: "disallowed-unique-constraint",
        default: true,
        severity: Severity::High,
        summary: "ADD UNIQUE or PRIMARY KEY builds its index under ACCESS EXCLUSIVE; build it CONCURRENTLY first and attach it",
        bad: "ALTER TABLE orders ADD CONSTRAINT orders_number_key UNIQUE (number);",
        good: "CREATE UNIQUE INDEX CONCURRENTLY orders_number_key ON orders (number);\nALTER TABLE orders ADD CONSTRAINT orders_number_key UNIQUE USING INDEX orders_number_key;",
        check: unique_constraint,
    },
    &Rule {
        id: "prefer-repack",
        default: true,
        severity: Severity::High,
        summary: "VACUUM FULL and CLUSTER rewrite the table under ACCESS EXCLUSIVE; pg_repack does the same online",
        bad: "VACUUM FULL orders;",
        good: "-- pg_repack --table orders (online), or plain VACUUM",
        check: prefer_repack,
    },
    &Rule {
        id: "ban-create-domain-with-constraint",
        default: true,
        severity: Severity::Low,
        summary: "a domain's CHECK cannot be added later without scanning every column of that domain; prefer a table CHECK",
        bad: "CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);",
        good: "CREATE DOMAIN positive_int AS int;\n-- and CHECK (col > 0) NOT VALID on the tables that use it",
        check: domain_with_constraint,
    },
    &Rule {
        id: "ban-alter-domain-with-add-constraint",
        default: true,
        severity: Severity::Medium,
        summary: "ALTER DOMAIN ADD CONSTRAINT checks every column of every table using the domain while holding locks on them",
        bad: "ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0);",
        good: "ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0) NOT VALID;\nALTER DOMAIN positive_int VALIDATE CONSTRAINT positive;",
        check: alter_domain_add_constraint,
    },
    &Rule {
        id: "require-lock-timeout",
        default: true,
        severity: Severity::Medium,
        summary: "a statement that waits for a strong lock queues every later query on the table behind it; set lock_timeout first",
        bad: "ALTER TABLE orders ADD COLUMN note text;",
        good: "SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN note text;",
        check: lock_timeout,
    },
    &Rule {
        id: "require-statement-timeout",
        default: true,
        severity: Severity::Low,
        summary: "a long statement holding a strong lock should be bounded; set statement_timeout first",
        bad: "ALTER TABLE orders ADD COLUMN note text;",
        good: "SET statement_timeout = '5min';\nALTER TABLE orders ADD COLUMN note text;",
        check: statement_timeout,
    },
];

fn existing(ctx: &Ctx<'_>, rel: &str) -> bool {
    !ctx.state.is_new(rel)
}

fn concurrent_index_creation(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::IndexStmt(s) if !s.concurrent => {
            let rel = s.relation.as_ref().map(range_name).unwrap_or_default();
            if existing(ctx, &rel) {
                return vec![format!(
                    "CREATE INDEX on {rel} takes SHARE: writes to {rel} wait until the index is built"
                )];
            }
            vec![]
        }
        _ => vec![],
    }
}

fn concurrent_index_deletion(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::DropStmt(s) if s.remove_type() == ObjectType::ObjectIndex && !s.concurrent => {
            vec!["DROP INDEX takes ACCESS EXCLUSIVE on its table: reads and writes wait".into()]
        }
        _ => vec![],
    }
}

fn concurrent_reindex(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::ReindexStmt(r) if ctx.facts.transactional => {
            let what = r
                .relation
                .as_ref()
                .map(range_name)
                .unwrap_or_else(|| r.name.clone());
            vec![format!(
                "REINDEX of {what} without CONCURRENTLY blocks writes to the table"
            )]
        }
        _ => vec![],
    }
}

fn concurrent_detach(ctx: &Ctx<'_>) -> Vec<String> {
    if ctx.state.version < 14 {
        return vec![];
    }
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    cmds.iter()
        .filter(|c| c.subtype() == AlterTableType::AtDetachPartition)
        .filter(|c| {
            !matches!(c.def.as_ref().and_then(|d| d.node.as_ref()), Some(N::PartitionCmd(p)) if p.concurrent)
        })
        .map(|_| format!("DETACH PARTITION takes ACCESS EXCLUSIVE on {rel}"))
        .collect()
}

fn added_columns<'a>(
    cmds: &[&'a pg_query::protobuf::AlterTableCmd],
) -> Vec<&'a pg_query::protobuf::ColumnDef> {
    cmds.iter()
        .filter(|c| c.subtype() == AlterTableType::AtAddColumn)
        .filter_map(|c| match c.def.as_ref().and_then(|d| d.node.as_ref()) {
            Some(N::ColumnDef(col)) => Some(&**col),
            _ => None,
        })
        .collect()
}

fn field_with_default(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    added_columns(&cmds)
        .into_iter()
        .filter_map(|col| {
            // Identity and stored generated columns are computed for every
            // row as well (squawk reports them under this rule too).
            let computed = facts::constraints_of(&col.constraints).find(|c| {
                matches!(
                    c.contype(),
                    ConstrType::ConstrIdentity | ConstrType::ConstrGenerated
                )
            });
            if let Some(c) = computed {
                let what = if c.contype() == ConstrType::ConstrIdentity {
                    "an identity column"
                } else {
                    "a stored generated column"
                };
                return Some(format!(
                    "column {} of {rel} is {what}: every row is rewritten",
                    col.colname
                ));
            }
            let d = facts::constraints_of(&col.constraints)
                .find(|c| c.contype() == ConstrType::ConstrDefault)?
                .raw_expr
                .as_deref()?;
            match facts::volatility(d) {
                facts::Volatility::Volatile(why) => Some(format!(
                    "column {} of {rel} gets a volatile default ({why}): every row is rewritten",
                    col.colname
                )),
                facts::Volatility::Constant => None,
            }
        })
        .collect()
}

fn serial_field(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    added_columns(&cmds)
        .into_iter()
        .filter(|col| {
            let t = col
                .type_name
                .as_ref()
                .map(facts::type_name)
                .unwrap_or_default();
            matches!(
                t.as_str(),
                "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
            ) || facts::constraints_of(&col.constraints)
                .any(|c| c.contype() == ConstrType::ConstrIdentity)
        })
        .map(|col| {
            format!(
                "column {} of {rel} takes a value for every row: the table is rewritten",
                col.colname
            )
        })
        .chain(
            // A primary key added without USING INDEX builds its index
            // under ACCESS EXCLUSIVE (squawk's rule covers this too).
            added_constraints(&cmds)
                .into_iter()
                .filter(|k| k.contype() == ConstrType::ConstrPrimary && k.indexname.is_empty())
                .map(|_| {
                    format!("the primary key of {rel} builds its index under ACCESS EXCLUSIVE")
                }),
        )
        .collect()
}

fn changing_column_type(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    cmds.iter()
        .filter(|c| c.subtype() == AlterTableType::AtAlterColumnType)
        .map(|c| format!("the type of {rel}.{} changes: a rewrite of the table and its indexes unless binary-coercible", c.name))
        .collect()
}

fn table_rewrite(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    let mut out: Vec<String> = cmds
        .iter()
        .filter_map(|c| match c.subtype() {
            AlterTableType::AtSetLogged => Some("SET LOGGED"),
            AlterTableType::AtSetUnLogged => Some("SET UNLOGGED"),
            AlterTableType::AtSetAccessMethod => Some("SET ACCESS METHOD"),
            AlterTableType::AtSetTableSpace => Some("SET TABLESPACE"),
            _ => None,
        })
        .map(|what| format!("{what} writes a new copy of {rel} under ACCESS EXCLUSIVE"))
        .collect();
    out.extend(
        added_columns(&cmds)
            .into_iter()
            .filter(|col| {
                facts::constraints_of(&col.constraints)
                    .any(|c| c.contype() == ConstrType::ConstrGenerated && c.generated_kind != "v")
            })
            .map(|col| {
                format!(
                    "stored generated column {} is computed for every row of {rel}",
                    col.colname
                )
            }),
    );
    out
}

fn added_constraints<'a>(
    cmds: &[&'a pg_query::protobuf::AlterTableCmd],
) -> Vec<&'a pg_query::protobuf::Constraint> {
    let mut out: Vec<&pg_query::protobuf::Constraint> = cmds
        .iter()
        .filter(|c| c.subtype() == AlterTableType::AtAddConstraint)
        .filter_map(|c| match c.def.as_ref().and_then(|d| d.node.as_ref()) {
            Some(N::Constraint(k)) => Some(&**k),
            _ => None,
        })
        .collect();
    for col in added_columns(cmds) {
        out.extend(facts::constraints_of(&col.constraints));
    }
    out
}

fn constraint_missing_not_valid(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    added_constraints(&cmds)
        .into_iter()
        .filter(|k| {
            matches!(
                k.contype(),
                ConstrType::ConstrCheck | ConstrType::ConstrForeign
            ) && !k.skip_validation
        })
        .map(|k| {
            format!(
                "constraint {} on {rel} is validated against every row while its lock is held",
                k.conname
            )
        })
        .collect()
}

fn foreign_key(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    added_constraints(&cmds)
        .into_iter()
        .filter(|k| k.contype() == ConstrType::ConstrForeign && !k.skip_validation)
        .map(|k| {
            let to = k.pktable.as_ref().map(range_name).unwrap_or_default();
            format!("foreign key from {rel} to {to} is validated against every row while writes to both wait")
        })
        .collect()
}

fn set_not_null(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    cmds.iter()
        .filter(|c| c.subtype() == AlterTableType::AtSetNotNull)
        .filter(|c| {
            !ctx.state
                .proven_not_null
                .contains(&(rel.clone(), c.name.clone()))
        })
        .map(|c| {
            format!(
                "SET NOT NULL on {rel}.{} reads every row under ACCESS EXCLUSIVE",
                c.name
            )
        })
        .collect()
}

fn unique_constraint(ctx: &Ctx<'_>) -> Vec<String> {
    let Some((rel, cmds)) = super::alter_cmds(ctx) else {
        return vec![];
    };
    added_constraints(&cmds)
        .into_iter()
        .filter(|k| {
            matches!(
                k.contype(),
                ConstrType::ConstrUnique | ConstrType::ConstrPrimary
            ) && k.indexname.is_empty()
        })
        .map(|_| format!("the constraint's index on {rel} is built under ACCESS EXCLUSIVE"))
        .collect()
}

fn prefer_repack(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::VacuumStmt(_) | N::ClusterStmt(_) => ctx
            .facts
            .rewrites
            .iter()
            .filter(|w| existing(ctx, &w.relation))
            .map(|w| {
                format!(
                    "{}: {} is locked for the whole rewrite",
                    w.reason, w.relation
                )
            })
            .collect(),
        _ => vec![],
    }
}

fn domain_with_constraint(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::CreateDomainStmt(d)
            if facts::constraints_of(&d.constraints)
                .any(|c| c.contype() == ConstrType::ConstrCheck) =>
        {
            vec!["the domain has a CHECK constraint".into()]
        }
        _ => vec![],
    }
}

fn alter_domain_add_constraint(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.stmt.node {
        N::AlterDomainStmt(d) if d.subtype == "C" => {
            let not_valid = matches!(d.def.as_ref().and_then(|n| n.node.as_ref()), Some(N::Constraint(k)) if k.skip_validation);
            if not_valid {
                vec![]
            } else {
                vec![
                    "ALTER DOMAIN ADD CONSTRAINT checks every column of this domain in every table"
                        .into(),
                ]
            }
        }
        _ => vec![],
    }
}

/// A lock that makes later queries queue behind it while it waits: one
/// that conflicts with writes (SHARE and up), on a table that existed
/// before this file.
fn queues(ctx: &Ctx<'_>) -> Option<String> {
    ctx.facts
        .locks
        .iter()
        .filter(|l| l.level.blocks_writes())
        .find(|l| existing(ctx, &l.relation))
        .map(|l| format!("{} on {}", l.level.name(), l.relation))
}

fn lock_timeout(ctx: &Ctx<'_>) -> Vec<String> {
    // Once per file: the first statement that needs it says so.
    if ctx.state.lock_timeout
        || ctx.state.reported.contains("require-lock-timeout")
        || matches!(ctx.facts.intent, crate::facts::Intent::DataChange)
    {
        return vec![];
    }
    queues(ctx)
        .map(|l| vec![format!("waits for {l} with no lock_timeout set: every later query on the table queues behind it")])
        .unwrap_or_default()
}

fn statement_timeout(ctx: &Ctx<'_>) -> Vec<String> {
    if ctx.state.statement_timeout
        || ctx.state.reported.contains("require-statement-timeout")
        || matches!(ctx.facts.intent, crate::facts::Intent::DataChange)
    {
        return vec![];
    }
    queues(ctx)
        .map(|l| vec![format!("holds {l} with no statement_timeout set")])
        .unwrap_or_default()
}
