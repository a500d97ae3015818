//! Safe rewrites (`pggit lint --fix`): the same migration, written so that
//! the table's rows are never read or rewritten under a lock that stops
//! writes. Only statements with a finding of a fixable rule are rewritten
//! (a disabled finding is not fixed), in the parser's spelling; the other
//! statements and the comments between statements are kept as written.
//!
//! | finding | rewrite |
//! |---|---|
//! | `require-concurrent-index-creation` | `CREATE INDEX CONCURRENTLY`, outside the transaction |
//! | `require-concurrent-index-deletion` | `DROP INDEX CONCURRENTLY`, outside the transaction |
//! | `require-concurrent-reindex` | `REINDEX ... CONCURRENTLY`, outside the transaction |
//! | `adding-foreign-key-constraint`, `constraint-missing-not-valid` | `NOT VALID`, then `VALIDATE` in a later transaction |
//! | `adding-not-nullable-field` (`SET NOT NULL`) | `CHECK (c IS NOT NULL) NOT VALID`, `VALIDATE`, `SET NOT NULL`, drop the check |
//! | `disallowed-unique-constraint` | unique index `CONCURRENTLY`, then `ADD CONSTRAINT ... USING INDEX` |
//! | `adding-field-with-default` (volatile) | add the column, `SET DEFAULT`, backfill in batches |
//! | `require-lock-timeout`, `require-statement-timeout` | `SET` preamble |
//! | `ban-concurrent-index-creation-in-transaction`, `cannot-run-in-transaction` | moved out of the transaction |
//! | `validate-in-same-transaction` | moved after the transaction commits |
//!
//! What must run outside a transaction block, or after the current one
//! commits, is moved after the block's `COMMIT` (or, when the migration
//! tool wraps the whole file in one transaction, to the end of the file
//! under a comment saying it belongs in a separate, non-transactional
//! migration). Constraint names PostgreSQL would have chosen are spelt out
//! (its `makeObjectName` rules), so the resulting schema is the same.

use std::collections::{BTreeSet, HashMap};

use pg_query::protobuf::{
    self, node::Node as N, AlterTableType, ConstrType, ObjectType, TransactionStmtKind,
};
use serde::Serialize;

use crate::{lint, source, LintError, Options};

/// The rules `--fix` answers.
pub const FIXABLE: &[&str] = &[
    "require-concurrent-index-creation",
    "require-concurrent-index-deletion",
    "require-concurrent-reindex",
    "adding-foreign-key-constraint",
    "constraint-missing-not-valid",
    "adding-not-nullable-field",
    "disallowed-unique-constraint",
    "adding-field-with-default",
    "require-lock-timeout",
    "require-statement-timeout",
    "ban-concurrent-index-creation-in-transaction",
    "cannot-run-in-transaction",
    "validate-in-same-transaction",
];

/// `lock_timeout` of the preamble.
pub const LOCK_TIMEOUT: &str = "2s";
/// `statement_timeout` of the preamble (lifted around the online steps,
/// which may run long without blocking anyone).
pub const STATEMENT_TIMEOUT: &str = "1min";
/// Rows per batch of a backfill (the pass over rows still NULL).
pub const BATCH_ROWS: u32 = 10_000;
/// Pages per batch of a backfill's walk over the table (PostgreSQL 14+):
/// at 8 kB pages, 1 MB of table per transaction.
pub const BACKFILL_PAGES: u32 = 128;

/// The rewritten migration.
#[derive(Debug, Clone, Serialize)]
pub struct Fixed {
    pub sql: String,
    /// What was rewritten.
    pub applied: Vec<Applied>,
    /// Findings the rewrite still has (no automatic rewrite for them).
    pub unfixed: Vec<Unfixed>,
}

/// One rewrite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// 1-based statement (none: the file, such as the preamble).
    pub statement: Option<usize>,
    pub rule: &'static str,
    pub what: String,
}

/// A finding the rewrite still has (its statement and line are the
/// rewrite's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unfixed {
    pub statement: Option<usize>,
    pub rule: &'static str,
    pub severity: crate::Severity,
    pub line: usize,
    pub message: String,
}

impl Unfixed {
    fn of(f: &crate::Finding) -> Unfixed {
        Unfixed {
            statement: f.statement,
            rule: f.rule,
            severity: f.severity,
            line: f.line,
            message: f.message.clone(),
        }
    }
}

/// Where a step of a rewrite runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    /// Where the statement was.
    Now,
    /// Outside any transaction block.
    Outside,
    /// In a transaction after the current one commits.
    Later,
}

#[derive(Debug, Clone)]
struct Step {
    sql: String,
    when: When,
    /// May run long, under a lock that stops neither reads nor writes
    /// (`statement_timeout` is lifted around it).
    long: bool,
}

impl Step {
    fn now(sql: String) -> Step {
        Step {
            sql,
            when: When::Now,
            long: false,
        }
    }
    /// Online work that cannot run in a transaction block.
    fn outside(sql: String) -> Step {
        Step {
            sql,
            when: When::Outside,
            long: true,
        }
    }
    /// A brief statement that must follow the current transaction.
    fn later(sql: String) -> Step {
        Step {
            sql,
            when: When::Later,
            long: false,
        }
    }
    /// A `VALIDATE`: online, long, in a later transaction.
    fn validate(sql: String) -> Step {
        Step {
            sql,
            when: When::Later,
            long: true,
        }
    }
}

/// A statement's rewrite: its steps and the rules they answer.
#[derive(Default)]
struct Rewrite {
    steps: Vec<Step>,
    applied: Vec<(&'static str, String)>,
    /// Names of what the moved steps create or fill (an index, a column):
    /// later statements of the block must not use them.
    names: Vec<String>,
}

/// For each statement, the index one past the last statement of the
/// transaction block it is in (itself + 1 outside a block).
fn block_ends(statements: &[source::Statement], whole_file: bool) -> Vec<usize> {
    let mut ends: Vec<usize> = (1..=statements.len()).collect();
    if whole_file {
        return vec![statements.len(); statements.len()];
    }
    let mut open: Option<usize> = None;
    for (i, st) in statements.iter().enumerate() {
        let N::TransactionStmt(t) = &st.node else {
            continue;
        };
        match t.kind() {
            TransactionStmtKind::TransStmtBegin | TransactionStmtKind::TransStmtStart => {
                open.get_or_insert(i);
            }
            TransactionStmtKind::TransStmtCommit | TransactionStmtKind::TransStmtRollback
                if !t.chain =>
            {
                if let Some(start) = open.take() {
                    for e in &mut ends[start..=i] {
                        *e = i;
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(start) = open {
        for e in &mut ends[start..] {
            *e = statements.len();
        }
    }
    ends
}

/// Whether `sql` names `name` (as a word, any case; a false match only
/// keeps a statement as it was).
fn mentions(sql: &str, name: &str) -> bool {
    let (sql, name) = (sql.to_lowercase(), name.to_lowercase());
    if name.is_empty() {
        return false;
    }
    sql.match_indices(&name).any(|(i, m)| {
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        !word(sql[..i].chars().next_back()) && !word(sql[i + m.len()..].chars().next())
    })
}

/// Rewrite `text` (see the module documentation).
pub fn fix(text: &str, options: &Options) -> Result<Fixed, LintError> {
    let report = lint(text, options)?;
    let parsed = source::parse(text)?;
    let mut fired: HashMap<Option<usize>, BTreeSet<&'static str>> = HashMap::new();
    for f in &report.findings {
        fired.entry(f.statement).or_default().insert(f.rule);
    }
    let all: BTreeSet<&str> = report.findings.iter().map(|f| f.rule).collect();
    let mut applied: Vec<Applied> = Vec::new();
    let mut out = String::with_capacity(text.len() + 256);
    let lock_preamble = all.contains("require-lock-timeout");
    let statement_preamble = all.contains("require-statement-timeout");
    // In a file the tool runs in one transaction, SET LOCAL: the settings
    // end with it instead of staying on the tool's connection for the
    // migrations after this one.
    let set = if options.assume_in_transaction {
        "SET LOCAL"
    } else {
        "SET"
    };
    let preamble = |out: &mut String| {
        if lock_preamble {
            out.push_str(&format!("{set} lock_timeout = '{LOCK_TIMEOUT}';\n"));
        }
        if statement_preamble {
            out.push_str(&format!(
                "{set} statement_timeout = '{STATEMENT_TIMEOUT}';\n"
            ));
        }
    };
    if lock_preamble || statement_preamble {
        out.push_str("-- added by pggit lint --fix\n");
        preamble(&mut out);
        if lock_preamble {
            applied.push(Applied {
                statement: None,
                rule: "require-lock-timeout",
                what: format!("SET lock_timeout = '{LOCK_TIMEOUT}' before the first statement"),
            });
        }
        if statement_preamble {
            applied.push(Applied {
                statement: None,
                rule: "require-statement-timeout",
                what: format!(
                    "SET statement_timeout = '{STATEMENT_TIMEOUT}' before the first statement (0 around the online steps)"
                ),
            });
        }
        out.push('\n');
    }
    let mut writer = Writer {
        out,
        statement_timeout: statement_preamble,
    };
    let mut cursor = 0;
    let mut in_block = options.assume_in_transaction;
    let mut explicit = false;
    let mut pending: Vec<Step> = Vec::new();
    let empty = BTreeSet::new();
    let block_ends = block_ends(&parsed.statements, options.assume_in_transaction);
    for (i, stmt) in parsed.statements.iter().enumerate() {
        let number = i + 1;
        let end = after_semicolon(text, stmt.end);
        let rules = fired.get(&Some(number)).unwrap_or(&empty);
        let mut rewrite = rewrite(stmt, rules);
        // Work moved after the block must not be needed by the block's later
        // statements (an index they name, a column they read): such a
        // statement is left as it is.
        if in_block {
            if let Some(rw) = &rewrite {
                let moves = rw.steps.iter().any(|s| s.when != When::Now);
                let later = &parsed.statements[i + 1..block_ends[i].max(i + 1)];
                if moves
                    && rw
                        .names
                        .iter()
                        .any(|n| later.iter().any(|l| mentions(&l.text, n)))
                {
                    rewrite = None;
                }
            }
        }
        match rewrite {
            Some(rw) if !rw.steps.is_empty() => {
                writer.out.push_str(&text[cursor..stmt.start]);
                let mut now: Vec<Step> = Vec::new();
                for step in rw.steps {
                    if in_block && step.when != When::Now {
                        pending.push(step);
                    } else {
                        now.push(step);
                    }
                }
                if now.is_empty() {
                    writer.out.push_str(
                        "/* moved after the transaction by pggit lint --fix; see below */",
                    );
                } else {
                    writer.steps(&now);
                }
                for (rule, what) in rw.applied {
                    applied.push(Applied {
                        statement: Some(number),
                        rule,
                        what,
                    });
                }
                cursor = end;
            }
            _ => {}
        }
        if let N::TransactionStmt(t) = &stmt.node {
            match t.kind() {
                TransactionStmtKind::TransStmtBegin | TransactionStmtKind::TransStmtStart => {
                    in_block = true;
                    explicit = true;
                }
                // What a ROLLBACK discards is not done after it either.
                TransactionStmtKind::TransStmtRollback if explicit && !t.chain => {
                    explicit = false;
                    in_block = options.assume_in_transaction;
                    if !in_block {
                        pending.clear();
                    }
                }
                TransactionStmtKind::TransStmtCommit if explicit && !t.chain => {
                    explicit = false;
                    in_block = options.assume_in_transaction;
                    if !in_block && !pending.is_empty() {
                        writer.out.push_str(&text[cursor..end]);
                        cursor = end;
                        writer.out.push_str(
                            "\n\n-- pggit lint --fix: moved out of the transaction above (cannot run inside it, or must run after it commits)\n",
                        );
                        writer.steps(&std::mem::take(&mut pending));
                        writer.out.push('\n');
                    }
                }
                _ => {}
            }
        }
    }
    writer.out.push_str(&text[cursor..]);
    if !pending.is_empty() {
        if !writer.out.ends_with('\n') {
            writer.out.push('\n');
        }
        writer.out.push_str(if options.assume_in_transaction {
            "\n-- pggit lint --fix: the statements below cannot run in the transaction the migration tool\n-- wraps this file in. Run them after it commits, as a separate migration outside a transaction\n-- (Django: atomic = False; Rails: disable_ddl_transaction!; Flyway: executeInTransaction=false).\n"
        } else {
            "\n-- pggit lint --fix: run after the transaction above commits (it is never closed in this file)\n"
        });
        // That separate migration sets its own timeouts.
        if options.assume_in_transaction {
            if lock_preamble {
                writer
                    .out
                    .push_str(&format!("SET lock_timeout = '{LOCK_TIMEOUT}';\n"));
            }
            if statement_preamble {
                writer
                    .out
                    .push_str(&format!("SET statement_timeout = '{STATEMENT_TIMEOUT}';\n"));
            }
        }
        writer.steps(&pending);
        writer.out.push('\n');
    }
    // What is left is what the rewrite itself is found to have. A rewrite
    // that does not parse is a bug here: refused, never written.
    let again = lint(&writer.out, options).map_err(|e| match e {
        LintError::Syntax(e) => LintError::Rewrite(format!(
            "the rewrite does not parse at line {}, column {} ({}); the file is left as it is",
            e.line, e.column, e.message
        )),
        other => other,
    })?;
    let unfixed = again.findings.iter().map(Unfixed::of).collect();
    Ok(Fixed {
        sql: writer.out,
        applied,
        unfixed,
    })
}

struct Writer {
    out: String,
    /// The preamble set `statement_timeout`: lift it around online steps.
    statement_timeout: bool,
}

impl Writer {
    /// Write steps, each ending with `;`.
    fn steps(&mut self, steps: &[Step]) {
        let mut lifted = false;
        for (k, s) in steps.iter().enumerate() {
            let online = s.long;
            if self.statement_timeout && online && !lifted {
                self.out.push_str("SET statement_timeout = 0;\n");
                lifted = true;
            }
            if self.statement_timeout && !online && lifted {
                self.out
                    .push_str(&format!("SET statement_timeout = '{STATEMENT_TIMEOUT}';\n"));
                lifted = false;
            }
            self.out.push_str(&s.sql);
            self.out.push(';');
            if k + 1 < steps.len() {
                self.out.push('\n');
            }
        }
        if lifted {
            self.out
                .push_str(&format!("\nSET statement_timeout = '{STATEMENT_TIMEOUT}';"));
        }
    }
}

/// The offset after the statement's `;` (when only blanks come between),
/// else its end.
fn after_semicolon(text: &str, end: usize) -> usize {
    let rest = text.get(end..).unwrap_or("");
    let blank = rest.len() - rest.trim_start().len();
    if rest[blank..].starts_with(';') {
        end + blank + 1
    } else {
        end
    }
}

/// The rewrite of one statement given the rules that fired on it.
fn rewrite(stmt: &source::Statement, rules: &BTreeSet<&'static str>) -> Option<Rewrite> {
    let mut rw = Rewrite::default();
    let move_out = rules.contains("ban-concurrent-index-creation-in-transaction")
        || rules.contains("cannot-run-in-transaction");
    match &stmt.node {
        N::IndexStmt(s) if !s.concurrent && rules.contains("require-concurrent-index-creation") => {
            rw.names.push(s.idxname.clone());
            let mut s = (**s).clone();
            s.concurrent = true;
            rw.steps
                .push(Step::outside(deparse(N::IndexStmt(Box::new(s)))?));
            rw.applied.push((
                "require-concurrent-index-creation",
                "CREATE INDEX CONCURRENTLY, outside a transaction".into(),
            ));
        }
        N::DropStmt(s)
            if !s.concurrent
                && s.remove_type() == ObjectType::ObjectIndex
                && rules.contains("require-concurrent-index-deletion") =>
        {
            // CONCURRENTLY drops one index and cannot CASCADE.
            if s.objects.len() != 1 || s.behavior() == protobuf::DropBehavior::DropCascade {
                return None;
            }
            let mut s = s.clone();
            s.concurrent = true;
            rw.steps.push(Step::outside(deparse(N::DropStmt(s))?));
            rw.applied.push((
                "require-concurrent-index-deletion",
                "DROP INDEX CONCURRENTLY, outside a transaction".into(),
            ));
        }
        N::ReindexStmt(s) if rules.contains("require-concurrent-reindex") => {
            let mut s = s.clone();
            s.params.push(node(N::DefElem(Box::new(protobuf::DefElem {
                defname: "concurrently".into(),
                defaction: protobuf::DefElemAction::DefelemUnspec as i32,
                ..Default::default()
            }))));
            rw.steps.push(Step::outside(deparse(N::ReindexStmt(s))?));
            rw.applied.push((
                "require-concurrent-reindex",
                "REINDEX CONCURRENTLY, outside a transaction".into(),
            ));
        }
        N::AlterTableStmt(s) => alter_table(s, rules, &mut rw)?,
        _ => {}
    }
    if let N::IndexStmt(s) = &stmt.node {
        if !rw.names.contains(&s.idxname) {
            rw.names.push(s.idxname.clone());
        }
    }
    if rw.steps.is_empty() && (move_out || rules.contains("validate-in-same-transaction")) {
        let when = if move_out { When::Outside } else { When::Later };
        // Concurrent index work and VALIDATE may run long without blocking
        // anyone; anything else moved keeps the statement_timeout.
        let long = !move_out
            || matches!(
                &stmt.node,
                N::IndexStmt(_) | N::DropStmt(_) | N::ReindexStmt(_)
            );
        rw.steps.push(Step {
            sql: stmt.text.clone(),
            when,
            long,
        });
    } else if move_out {
        for s in &mut rw.steps {
            if s.when == When::Now {
                s.when = When::Outside;
            }
        }
    }
    for id in [
        "ban-concurrent-index-creation-in-transaction",
        "cannot-run-in-transaction",
    ] {
        if rules.contains(id) {
            rw.applied
                .push((id, "moved out of the transaction block".into()));
        }
    }
    if rules.contains("validate-in-same-transaction") {
        rw.applied.push((
            "validate-in-same-transaction",
            "VALIDATE moved after the transaction commits".into(),
        ));
    }
    Some(rw)
}

/// ALTER TABLE: each command that needs it is rewritten; the others stay.
fn alter_table(
    s: &protobuf::AlterTableStmt,
    rules: &BTreeSet<&'static str>,
    rw: &mut Rewrite,
) -> Option<()> {
    let rel = s.relation.as_ref()?;
    let target = rel_sql(rel);
    let mut kept: Vec<protobuf::Node> = Vec::new();
    let mut extra: Vec<Step> = Vec::new();
    let mut changed = false;
    for c in &s.cmds {
        let Some(N::AlterTableCmd(cmd)) = &c.node else {
            kept.push(c.clone());
            continue;
        };
        let def = cmd.def.as_ref().and_then(|d| d.node.as_ref());
        match (cmd.subtype(), def) {
            (AlterTableType::AtAddConstraint, Some(N::Constraint(k)))
                if matches!(
                    k.contype(),
                    ConstrType::ConstrForeign | ConstrType::ConstrCheck
                ) && !k.skip_validation
                    && (rules.contains("adding-foreign-key-constraint")
                        || rules.contains("constraint-missing-not-valid")) =>
            {
                let mut k = (**k).clone();
                if k.conname.is_empty() {
                    k.conname = constraint_name(&rel.relname, &k);
                }
                k.skip_validation = true;
                k.initially_valid = false;
                let name = k.conname.clone();
                let mut cmd = (**cmd).clone();
                cmd.def = Some(Box::new(node(N::Constraint(Box::new(k.clone())))));
                kept.push(node(N::AlterTableCmd(Box::new(cmd))));
                extra.push(Step::validate(normalize(&format!(
                    "ALTER TABLE {target} VALIDATE CONSTRAINT {}",
                    qi(&name)
                ))?));
                let rule = if k.contype() == ConstrType::ConstrForeign
                    && rules.contains("adding-foreign-key-constraint")
                {
                    "adding-foreign-key-constraint"
                } else {
                    "constraint-missing-not-valid"
                };
                rw.applied.push((
                    rule,
                    format!("constraint {name} added NOT VALID, validated in a later transaction"),
                ));
                if rules.contains("constraint-missing-not-valid")
                    && rule != "constraint-missing-not-valid"
                {
                    rw.applied.push((
                        "constraint-missing-not-valid",
                        format!("constraint {name} added NOT VALID"),
                    ));
                }
                changed = true;
            }
            (AlterTableType::AtAddConstraint, Some(N::Constraint(k)))
                if matches!(
                    k.contype(),
                    ConstrType::ConstrUnique | ConstrType::ConstrPrimary
                ) && k.indexname.is_empty()
                    && k.exclusions.is_empty()
                    && k.where_clause.is_none()
                    && !k.without_overlaps
                    && rules.contains("disallowed-unique-constraint") =>
            {
                let primary = k.contype() == ConstrType::ConstrPrimary;
                let cols: Vec<String> = k.keys.iter().filter_map(string_of).collect();
                let name = if k.conname.is_empty() {
                    if primary {
                        object_name(&rel.relname, None, "pkey")
                    } else {
                        object_name(&rel.relname, Some(&name_addition(&cols)), "key")
                    }
                } else {
                    k.conname.clone()
                };
                let index = protobuf::IndexStmt {
                    idxname: name.clone(),
                    relation: Some(rel.clone()),
                    access_method: "btree".into(),
                    table_space: k.indexspace.clone(),
                    index_params: cols.iter().map(|c| index_elem(c)).collect(),
                    index_including_params: k
                        .including
                        .iter()
                        .filter_map(string_of)
                        .map(|c| index_elem(&c))
                        .collect(),
                    options: k.options.clone(),
                    unique: true,
                    nulls_not_distinct: k.nulls_not_distinct,
                    concurrent: true,
                    ..Default::default()
                };
                extra.push(Step::outside(deparse(N::IndexStmt(Box::new(index)))?));
                let mut checks = Vec::new();
                if primary {
                    // The key's columns must be NOT NULL; proven first by
                    // validated checks, so adding the key does not scan.
                    for c in &cols {
                        let (add, validate, drop) = not_null_proof(&target, &rel.relname, c)?;
                        rw.steps.push(Step::now(add));
                        extra.push(Step::validate(validate));
                        checks.push(drop);
                    }
                }
                let mut using = format!(
                    "ALTER TABLE {target} ADD CONSTRAINT {} {} USING INDEX {}",
                    qi(&name),
                    if primary { "PRIMARY KEY" } else { "UNIQUE" },
                    qi(&name)
                );
                if k.deferrable {
                    using.push_str(" DEFERRABLE");
                }
                if k.initdeferred {
                    using.push_str(" INITIALLY DEFERRED");
                }
                extra.push(Step::later(normalize(&using)?));
                extra.extend(checks.into_iter().map(Step::later));
                rw.applied.push((
                    "disallowed-unique-constraint",
                    format!("unique index {name} built CONCURRENTLY, then the constraint added USING INDEX"),
                ));
                changed = true;
            }
            (AlterTableType::AtSetNotNull, _) if rules.contains("adding-not-nullable-field") => {
                let (add, validate, drop) = not_null_proof(&target, &rel.relname, &cmd.name)?;
                rw.steps.push(Step::now(add));
                extra.push(Step::validate(validate));
                extra.push(Step::later(normalize(&format!(
                    "ALTER TABLE {target} ALTER COLUMN {} SET NOT NULL",
                    qi(&cmd.name)
                ))?));
                extra.push(Step::later(drop));
                rw.applied.push((
                    "adding-not-nullable-field",
                    format!(
                        "SET NOT NULL on {} proven by a CHECK validated first (no scan under ACCESS EXCLUSIVE)",
                        cmd.name
                    ),
                ));
                changed = true;
            }
            (AlterTableType::AtAddColumn, Some(N::ColumnDef(col)))
                if rules.contains("adding-field-with-default")
                    && volatile_default(col).is_some()
                    // Other constraints on the new column (a key, a
                    // reference, a check) would be built or checked under
                    // the lock anyway, and a key cannot wait for the
                    // backfill: not rewritten.
                    && crate::facts::constraints_of(&col.constraints).all(|k| {
                        matches!(k.contype(), ConstrType::ConstrDefault | ConstrType::ConstrNotnull)
                    }) =>
            {
                rw.names.push(col.colname.clone());
                let default = volatile_default(col)?;
                let not_null = crate::facts::constraints_of(&col.constraints)
                    .any(|k| k.contype() == ConstrType::ConstrNotnull);
                let mut bare = (**col).clone();
                bare.constraints.retain(|k| {
                    !matches!(&k.node, Some(N::Constraint(k))
                        if matches!(k.contype(), ConstrType::ConstrDefault | ConstrType::ConstrNotnull))
                });
                let mut cmd = (**cmd).clone();
                cmd.def = Some(Box::new(node(N::ColumnDef(Box::new(bare)))));
                kept.push(node(N::AlterTableCmd(Box::new(cmd))));
                let expr = expr_sql(default)?;
                let column = qi(&col.colname);
                extra.push(Step::now(normalize(&format!(
                    "ALTER TABLE {target} ALTER COLUMN {column} SET DEFAULT {expr}"
                ))?));
                extra.push(Step::outside(backfill(
                    &target,
                    &rel_literal(rel),
                    &column,
                    &expr,
                )));
                if not_null {
                    let (add, validate, drop) =
                        not_null_proof(&target, &rel.relname, &col.colname)?;
                    extra.push(Step::later(add));
                    extra.push(Step::validate(validate));
                    extra.push(Step::later(normalize(&format!(
                        "ALTER TABLE {target} ALTER COLUMN {column} SET NOT NULL"
                    ))?));
                    extra.push(Step::later(drop));
                }
                rw.applied.push((
                    "adding-field-with-default",
                    format!(
                        "column {} added without its volatile default, the default set for new rows, existing rows backfilled in batches of {BATCH_ROWS}{}",
                        col.colname,
                        if not_null { ", then SET NOT NULL proven by a validated CHECK" } else { "" }
                    ),
                ));
                changed = true;
            }
            _ => kept.push(c.clone()),
        }
    }
    if !changed {
        return Some(());
    }
    let mut steps = Vec::new();
    if !kept.is_empty() {
        let mut s = s.clone();
        s.cmds = kept;
        steps.push(Step::now(deparse(N::AlterTableStmt(s))?));
    }
    // The not-null proofs' checks (pushed to `rw.steps` above) run with it.
    steps.append(&mut rw.steps);
    steps.extend(extra);
    rw.steps = steps;
    Some(())
}

/// `CHECK (c IS NOT NULL) NOT VALID`, its `VALIDATE`, and its `DROP`.
fn not_null_proof(target: &str, relname: &str, column: &str) -> Option<(String, String, String)> {
    let check = object_name(relname, Some(column), "not_null_check");
    Some((
        normalize(&format!(
            "ALTER TABLE {target} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID",
            qi(&check),
            qi(column)
        ))?,
        normalize(&format!(
            "ALTER TABLE {target} VALIDATE CONSTRAINT {}",
            qi(&check)
        ))?,
        normalize(&format!(
            "ALTER TABLE {target} DROP CONSTRAINT {}",
            qi(&check)
        ))?,
    ))
}

/// Fill a new column's existing rows in batches, each its own transaction,
/// so no row stays locked for long.
///
/// On PostgreSQL 14 and later (a TID range scan reads a range of pages by
/// `ctid`), the table's pages (and its partitions' or children's) are
/// walked once, [`BACKFILL_PAGES`] at a time: each batch reads only its
/// pages. Then, and on older servers for all rows, batches of
/// [`BATCH_ROWS`] rows still NULL are filled, named by (tableoid, ctid),
/// unique across partitions and children: that catches rows other sessions
/// moved meanwhile. A batch in which the default gave only NULLs ends that
/// loop (rows the default leaves NULL stay NULL, as they would have).
/// Resumable: run it again and it fills the rows still NULL.
fn backfill(target: &str, regclass: &str, column: &str, expr: &str) -> String {
    format!(
        "DO $pggit_backfill$
DECLARE
  filled bigint;
  last_page bigint;
  page bigint := 0;
BEGIN
  IF current_setting('server_version_num')::int >= 140000 THEN
    WITH RECURSIVE tree(oid) AS (
      SELECT {regclass}::regclass::oid
      UNION ALL SELECT i.inhrelid FROM pg_inherits i JOIN tree t ON i.inhparent = t.oid
    )
    SELECT coalesce(max(pg_relation_size(oid) / current_setting('block_size')::int), 0)
      INTO last_page FROM tree;
    WHILE page <= last_page LOOP
      UPDATE {target} SET {column} = {expr}
       WHERE ctid >= format('(%s,0)', page)::tid AND ctid < format('(%s,0)', page + {BACKFILL_PAGES})::tid
         AND {column} IS NULL;
      page := page + {BACKFILL_PAGES};
      COMMIT;
    END LOOP;
  END IF;
  LOOP
    WITH batch AS (
      UPDATE {target} SET {column} = {expr}
       WHERE (tableoid, ctid) IN (SELECT tableoid, ctid FROM {target} WHERE {column} IS NULL LIMIT {BATCH_ROWS})
      RETURNING {column}
    )
    SELECT count({column}) INTO filled FROM batch;
    EXIT WHEN filled = 0;
    COMMIT;
  END LOOP;
END
$pggit_backfill$"
    )
}

/// The column's DEFAULT when it is volatile.
fn volatile_default(col: &protobuf::ColumnDef) -> Option<&protobuf::Node> {
    let d = crate::facts::constraints_of(&col.constraints)
        .find(|c| c.contype() == ConstrType::ConstrDefault)?
        .raw_expr
        .as_deref()?;
    match crate::facts::volatility(d) {
        crate::facts::Volatility::Volatile(_) => Some(d),
        crate::facts::Volatility::Constant => None,
    }
}

/// The name PostgreSQL gives an unnamed FOREIGN KEY or CHECK constraint
/// (`ChooseConstraintName`, without its collision counter).
fn constraint_name(relname: &str, k: &protobuf::Constraint) -> String {
    if k.contype() == ConstrType::ConstrForeign {
        let cols: Vec<String> = k.fk_attrs.iter().filter_map(string_of).collect();
        return object_name(relname, Some(&name_addition(&cols)), "fkey");
    }
    // A check names its column when it mentions exactly one.
    let mut cols: BTreeSet<String> = BTreeSet::new();
    if let Some(e) = k.raw_expr.as_deref() {
        crate::facts::walk(e, &mut |n| {
            if let N::ColumnRef(c) = n {
                if let Some(last) = c.fields.last().and_then(string_of) {
                    cols.insert(last);
                }
            }
        });
    }
    match cols.len() {
        1 => object_name(relname, cols.iter().next().map(String::as_str), "check"),
        _ => object_name(relname, None, "check"),
    }
}

/// Column names joined by `_`, as `ChooseForeignKeyConstraintNameAddition`
/// and `ChooseIndexNameAddition` do (stopping once past 63 bytes).
fn name_addition(cols: &[String]) -> String {
    let mut buf = String::new();
    for c in cols {
        if !buf.is_empty() {
            buf.push('_');
        }
        buf.push_str(clip(c, 63));
        if buf.len() >= 64 {
            break;
        }
    }
    buf
}

/// PostgreSQL's `makeObjectName`: `name1_name2_label`, the longer of the
/// two names cut first so the whole fits in 63 bytes (on a character
/// boundary).
pub fn object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let mut overhead = 0;
    if !label.is_empty() {
        overhead += label.len() + 1;
    }
    if name2.is_some() {
        overhead += 1;
    }
    let avail = 63usize.saturating_sub(overhead);
    let mut n1 = name1.len();
    let mut n2 = name2.map_or(0, str::len);
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let mut out = clip(name1, n1).to_string();
    if let Some(n) = name2 {
        out.push('_');
        out.push_str(clip(n, n2));
    }
    if !label.is_empty() {
        out.push('_');
        out.push_str(label);
    }
    out
}

fn clip(s: &str, n: usize) -> &str {
    let mut n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

fn node(n: N) -> protobuf::Node {
    protobuf::Node { node: Some(n) }
}

fn string_of(n: &protobuf::Node) -> Option<String> {
    match &n.node {
        Some(N::String(s)) => Some(s.sval.clone()),
        _ => None,
    }
}

fn index_elem(name: &str) -> protobuf::Node {
    node(N::IndexElem(Box::new(protobuf::IndexElem {
        name: name.to_string(),
        ordering: protobuf::SortByDir::SortbyDefault as i32,
        nulls_ordering: protobuf::SortByNulls::SortbyNullsDefault as i32,
        ..Default::default()
    })))
}

/// A double-quoted identifier (the deparser drops quotes it does not need).
fn qi(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A relation as written, quoted (`ONLY` kept).
/// A relation's name as a string literal for `::regclass` (quoted parts,
/// quotes doubled again for the literal).
fn rel_literal(r: &protobuf::RangeVar) -> String {
    let name = if r.schemaname.is_empty() {
        qi(&r.relname)
    } else {
        format!("{}.{}", qi(&r.schemaname), qi(&r.relname))
    };
    format!("'{}'", name.replace('\'', "''"))
}

fn rel_sql(r: &protobuf::RangeVar) -> String {
    let only = if r.inh { "" } else { "ONLY " };
    if r.schemaname.is_empty() {
        format!("{only}{}", qi(&r.relname))
    } else {
        format!("{only}{}.{}", qi(&r.schemaname), qi(&r.relname))
    }
}

fn deparse(n: N) -> Option<String> {
    n.deparse(pg_query::DeparseOptions::default()).ok()
}

/// SQL we composed, in the deparser's spelling (quotes only where needed).
fn normalize(sql: &str) -> Option<String> {
    pg_query::parse(sql, 0)
        .ok()?
        .deparse(pg_query::DeparseOptions::default())
        .ok()
}

/// An expression's text, through the deparser.
fn expr_sql(e: &protobuf::Node) -> Option<String> {
    let select = protobuf::SelectStmt {
        target_list: vec![node(N::ResTarget(Box::new(protobuf::ResTarget {
            val: Some(Box::new(e.clone())),
            ..Default::default()
        })))],
        op: protobuf::SetOperation::SetopNone as i32,
        limit_option: protobuf::LimitOption::Default as i32,
        ..Default::default()
    };
    deparse(N::SelectStmt(Box::new(select)))?
        .strip_prefix("SELECT ")
        .map(str::to_string)
}
