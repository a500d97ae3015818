//! Trace mode (`pggit lint --trace`): run a migration on a scratch copy of
//! the target's schema, statement by statement inside one transaction that
//! is rolled back, and record what each statement really did: the relation
//! locks the backend took (`pg_locks`), the tables whose `relfilenode`
//! changed (rewritten), and how long it ran. Each is set beside the static
//! prediction (`pggit_lint::facts`) and every disagreement is named.
//!
//! The scratch database is the caller's: [`copy_schema`] fills it from the
//! target (and [`copy_sample`] with some of its rows). Nothing here writes
//! to the target.

use std::collections::HashMap;
use std::time::Instant;

use pggit_lint::facts::INDEX_TABLE;
use pggit_lint::{Intent, LockLevel, Options};
use serde::Serialize;

use crate::PgError;

/// What happened to one statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Traced {
        micros: u64,
    },
    /// Not run, and why (it cannot run in a transaction block, or it is
    /// transaction control).
    NotTraced {
        why: String,
    },
    /// The server refused it on the copy (its later statements still run).
    Failed {
        error: String,
    },
}

/// A relation and a lock level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelationLock {
    pub relation: String,
    pub level: LockLevel,
}

/// One statement: predicted and traced.
#[derive(Debug, Clone, Serialize)]
pub struct TracedStatement {
    pub number: usize,
    pub line: usize,
    pub text: String,
    pub outcome: Outcome,
    pub predicted_locks: Vec<RelationLock>,
    /// Locks this statement took (new, or stronger than held before it).
    pub locks: Vec<RelationLock>,
    /// Predicted locks the transaction held already (as strong or stronger)
    /// from earlier statements.
    pub already_held: Vec<RelationLock>,
    pub predicted_rewrites: Vec<String>,
    pub rewritten: Vec<String>,
    pub disagreements: Vec<String>,
}

/// The trace of a migration.
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    pub statements: Vec<TracedStatement>,
}

impl Trace {
    pub fn disagreements(&self) -> usize {
        self.statements.iter().map(|s| s.disagreements.len()).sum()
    }
    pub fn failed(&self) -> usize {
        self.statements
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Failed { .. }))
            .count()
    }
}

/// A trace that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error(transparent)]
    Lint(#[from] pggit_lint::LintError),
    #[error(transparent)]
    Pg(#[from] PgError),
}

impl From<postgres::Error> for TraceError {
    fn from(e: postgres::Error) -> Self {
        TraceError::Pg(PgError::Db(e))
    }
}

/// Resolve a name as a migration writes it (`orders`, `shop.orders`, the
/// parser's exact parts) to a relation oid.
const RESOLVE: &str = crate::lint_target::RELATION_OID;

/// Trace `text` on `client` (a scratch database holding the target's
/// schema). Everything runs in one transaction, rolled back at the end.
pub fn trace(
    client: &mut postgres::Client,
    text: &str,
    options: &Options,
) -> Result<Trace, TraceError> {
    let report = pggit_lint::lint(text, options)?;
    let mut tx = client.transaction()?;
    // A scratch copy has no other sessions; a wait would be a bug here.
    tx.batch_execute("SET LOCAL lock_timeout = '10s'")?;
    let mut out = Vec::new();
    for st in &report.statements {
        let f = &st.facts;
        let mut traced = TracedStatement {
            number: st.number,
            line: st.line,
            text: st.text.clone(),
            outcome: Outcome::NotTraced { why: String::new() },
            predicted_locks: Vec::new(),
            locks: Vec::new(),
            already_held: Vec::new(),
            predicted_rewrites: f.rewrites.iter().map(|w| w.relation.clone()).collect(),
            rewritten: Vec::new(),
            disagreements: Vec::new(),
        };
        if f.intent == Intent::Transaction {
            traced.outcome = Outcome::NotTraced {
                why:
                    "transaction control (the trace runs the file in one transaction, rolled back)"
                        .into(),
            };
            out.push(traced);
            continue;
        }
        if !f.transactional {
            traced.outcome = Outcome::NotTraced {
                why: "cannot run in a transaction block".into(),
            };
            out.push(traced);
            continue;
        }
        let names = relation_names(&mut tx)?;
        for l in &f.locks {
            traced.predicted_locks.push(RelationLock {
                relation: resolve(&mut tx, &l.relation, &names)?,
                level: l.level,
            });
        }
        traced.predicted_rewrites = f
            .rewrites
            .iter()
            .map(|w| resolve(&mut tx, &w.relation, &names))
            .collect::<Result<_, _>>()?;
        let held_before = held(&mut tx, &names)?;
        let files_before = files(&mut tx)?;
        tx.batch_execute("SAVEPOINT pggit_trace")?;
        let started = Instant::now();
        let ran = tx.batch_execute(&st.text);
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        if let Err(e) = ran {
            tx.batch_execute("ROLLBACK TO SAVEPOINT pggit_trace")?;
            traced.outcome = Outcome::Failed {
                error: e
                    .as_db_error()
                    .map_or_else(|| e.to_string(), |d| d.message().to_string()),
            };
            out.push(traced);
            continue;
        }
        tx.batch_execute("RELEASE SAVEPOINT pggit_trace")?;
        traced.outcome = Outcome::Traced { micros };
        // Names again for relations the statement created; those that
        // existed keep their earlier names (a renamed or dropped one too).
        let mut names_after = relation_names(&mut tx)?;
        names_after.extend(names.iter().map(|(o, n)| (*o, n.clone())));
        let held_after = held(&mut tx, &names_after)?;
        for (rel, level) in &held_after {
            let before = held_before
                .iter()
                .filter(|(r, _)| r == rel)
                .map(|(_, l)| *l)
                .max();
            if before.is_none_or(|b| b < *level) {
                match traced.locks.iter_mut().find(|l| &l.relation == rel) {
                    Some(l) => l.level = l.level.max(*level),
                    None => traced.locks.push(RelationLock {
                        relation: rel.clone(),
                        level: *level,
                    }),
                }
            }
        }
        let files_after = files(&mut tx)?;
        traced.rewritten = files_before
            .iter()
            .filter(|(oid, node)| files_after.get(oid).is_some_and(|n| n != *node))
            .filter_map(|(oid, _)| names_after.get(oid).cloned())
            .collect();
        traced.rewritten.sort();
        traced.already_held = traced
            .predicted_locks
            .iter()
            .filter_map(|p| {
                held_before
                    .iter()
                    .filter(|(r, l)| *r == p.relation && *l >= p.level)
                    .map(|(r, l)| RelationLock {
                        relation: r.clone(),
                        level: *l,
                    })
                    .max_by_key(|l| l.level)
            })
            .collect();
        traced.disagreements = disagreements(&traced, &held_before, &files_before, &names, st, f);
        out.push(traced);
    }
    tx.rollback()?;
    Ok(Trace { statements: out })
}

/// Where the prediction and the server differ.
fn disagreements(
    t: &TracedStatement,
    held_before: &[(String, LockLevel)],
    files_before: &HashMap<u32, u32>,
    names: &HashMap<u32, String>,
    st: &pggit_lint::StatementReport,
    f: &pggit_lint::Facts,
) -> Vec<String> {
    let mut out = Vec::new();
    let strongest = |h: &[RelationLock], rel: &str| {
        h.iter()
            .filter(|l| l.relation == rel)
            .map(|l| l.level)
            .max()
    };
    for p in &t.predicted_locks {
        // A lock held at least as strong before cannot be seen again.
        if held_before
            .iter()
            .any(|(r, l)| *r == p.relation && *l >= p.level)
        {
            continue;
        }
        let got = strongest(&t.locks, &p.relation);
        if got != Some(p.level) {
            out.push(format!(
                "predicted {} on {}, the server took {}",
                p.level.name(),
                p.relation,
                got.map_or("none", LockLevel::name)
            ));
        }
    }
    // Strong locks on tables that existed, which the prediction misses.
    let tables: Vec<&String> = files_before.keys().filter_map(|o| names.get(o)).collect();
    for l in &t.locks {
        if tables.contains(&&l.relation)
            && l.level >= LockLevel::ShareUpdateExclusive
            && !t.predicted_locks.iter().any(|p| p.relation == l.relation)
        {
            out.push(format!(
                "the server took {} on {}, not predicted",
                l.level.name(),
                l.relation
            ));
        }
    }
    // TRUNCATE gives the table a new, empty file: not a rewrite.
    let truncate = st.text.trim_start().to_lowercase().starts_with("truncate");
    if !truncate {
        for rel in &t.rewritten {
            if !t.predicted_rewrites.contains(rel) {
                out.push(format!("{rel} was rewritten, not predicted"));
            }
        }
        for (w, rel) in f.rewrites.iter().zip(&t.predicted_rewrites) {
            // A type change may be binary-coercible: only a possible rewrite.
            let maybe = w.reason.contains("binary-coercible");
            if !maybe && !t.rewritten.contains(rel) {
                out.push(format!(
                    "predicted a rewrite of {rel} ({}), none happened",
                    w.reason
                ));
            }
        }
    }
    out
}

/// oid → name (as `regclass` prints it) of every relation outside the
/// system schemas.
fn relation_names(tx: &mut postgres::Transaction<'_>) -> Result<HashMap<u32, String>, PgError> {
    Ok(tx
        .query(
            "SELECT c.oid, c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'",
            &[],
        )?
        .iter()
        .map(|r| (r.get::<_, u32>(0), r.get(1)))
        .collect())
}

/// A predicted relation's name as the server prints it ("the table of
/// index X" is that table); unknown names (created by the statement) stay.
fn resolve(
    tx: &mut postgres::Transaction<'_>,
    name: &str,
    names: &HashMap<u32, String>,
) -> Result<String, PgError> {
    let oid: Option<u32> = match name.strip_prefix(INDEX_TABLE) {
        Some(index) => tx
            .query_opt(
                &format!("SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = {RESOLVE}"),
                &[&index],
            )?
            .map(|r| r.get(0)),
        None => tx.query_one(&format!("SELECT {RESOLVE}"), &[&name])?.get(0),
    };
    Ok(oid
        .and_then(|o| names.get(&o).cloned())
        .unwrap_or_else(|| name.to_string()))
}

/// The relation locks this backend holds.
fn held(
    tx: &mut postgres::Transaction<'_>,
    names: &HashMap<u32, String>,
) -> Result<Vec<(String, LockLevel)>, PgError> {
    Ok(tx
        .query(
            "SELECT l.relation, l.mode FROM pg_locks l
              WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.relation IS NOT NULL",
            &[],
        )?
        .iter()
        .filter_map(|r| {
            let oid: u32 = r.get(0);
            let mode: String = r.get(1);
            Some((names.get(&oid)?.clone(), level(&mode)?))
        })
        .collect())
}

/// PostgreSQL's lock mode names (`pg_locks.mode`).
pub fn level(mode: &str) -> Option<LockLevel> {
    Some(match mode {
        "AccessShareLock" => LockLevel::AccessShare,
        "RowShareLock" => LockLevel::RowShare,
        "RowExclusiveLock" => LockLevel::RowExclusive,
        "ShareUpdateExclusiveLock" => LockLevel::ShareUpdateExclusive,
        "ShareLock" => LockLevel::Share,
        "ShareRowExclusiveLock" => LockLevel::ShareRowExclusive,
        "ExclusiveLock" => LockLevel::Exclusive,
        "AccessExclusiveLock" => LockLevel::AccessExclusive,
        _ => return None,
    })
}

/// oid → relfilenode of every table (partitioned ones: 0) and materialized view.
fn files(tx: &mut postgres::Transaction<'_>) -> Result<HashMap<u32, u32>, PgError> {
    Ok(tx
        .query(
            "SELECT c.oid, c.relfilenode FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'",
            &[],
        )?
        .iter()
        .map(|r| (r.get::<_, u32>(0), r.get::<_, u32>(1)))
        .collect())
}

/// Build the target's schema (every schema but the system's and pggit's,
/// without owners and privileges) in the empty database `scratch`.
pub fn copy_schema(
    target: &mut postgres::Client,
    scratch: &mut postgres::Client,
) -> Result<(), PgError> {
    let scope = crate::introspect::Scope {
        skip_privileges: true,
        ..Default::default()
    };
    let raw = crate::introspect::snapshot(target, &scope)?;
    let tree = pggit_core::identity::assign(&raw, &Default::default(), None, "trace").tree;
    crate::apply::replay(scratch, &tree, &scope)
}

/// Copy up to `rows` rows of each table of the target into `scratch`
/// (after [`copy_schema`]). A table whose rows break a constraint there
/// (a foreign key to a row not copied) is tried again after the others,
/// and left empty if it still does. Returns the tables left empty.
pub fn copy_sample(
    target: &mut postgres::Client,
    scratch: &mut postgres::Client,
    rows: u64,
) -> Result<Vec<String>, PgError> {
    let tables: Vec<String> = target
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind = 'r' AND NOT c.relispartition AND n.nspname NOT LIKE 'pg\\_%'
                AND n.nspname NOT IN ('information_schema', 'pggit')
              ORDER BY 1",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let limit = i64::try_from(rows).unwrap_or(i64::MAX);
    let mut left = tables;
    for _pass in 0..4 {
        let mut failed = Vec::new();
        for t in left {
            if !copy_table(target, scratch, &t, limit)? {
                failed.push(t);
            }
        }
        left = failed;
        if left.is_empty() {
            break;
        }
    }
    Ok(left)
}

/// One table's first `limit` rows; `false` when the copy was refused.
fn copy_table(
    target: &mut postgres::Client,
    scratch: &mut postgres::Client,
    table: &str,
    limit: i64,
) -> Result<bool, PgError> {
    use std::io::{Read, Write};
    // `table` is the server's own format('%I.%I'); the columns copied are
    // the ones that can be written (not generated ones).
    let columns: String = target
        .query_one(
            "SELECT coalesce(string_agg(quote_ident(attname), ', ' ORDER BY attnum), '')
               FROM pg_attribute WHERE attrelid = $1::text::regclass AND attnum > 0
                AND NOT attisdropped AND attgenerated = ''",
            &[&table],
        )?
        .get(0);
    if columns.is_empty() {
        return Ok(true);
    }
    let mut data = Vec::new();
    target
        .copy_out(&format!(
            "COPY (SELECT {columns} FROM {table} LIMIT {limit}) TO STDOUT (FORMAT binary)"
        ))?
        .read_to_end(&mut data)
        .map_err(|e| PgError::Unexpected(format!("cannot read the rows of {table}: {e}")))?;
    let mut tx = scratch.transaction()?;
    let mut w = tx.copy_in(&format!(
        "COPY {table} ({columns}) FROM STDIN (FORMAT binary)"
    ))?;
    if w.write_all(&data).is_err() {
        return Ok(false);
    }
    match w.finish() {
        Ok(_) => {
            tx.commit()?;
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}
