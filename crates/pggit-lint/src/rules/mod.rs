//! The lint rules. Each rule is a function over one statement, its facts
//! and what the statements before it did ([`State`]), with its id, default,
//! severity, a one-line explanation, a bad example and the safe
//! alternative. `docs/LINT.md` is generated from this table (a test keeps
//! them equal), and every rule is tested on its own examples: the bad one
//! must fire it, the safe one must not.

mod breaking;
mod compat;
mod hygiene;
mod locking;
mod optin;
mod transactions;

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::facts::Facts;
use crate::source::Statement;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// What the statements before the current one did.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Inside a transaction block (an explicit `BEGIN`, or the whole file
    /// is run in one by the migration tool).
    pub in_transaction: bool,
    /// An explicit `BEGIN` is open.
    pub explicit_begin: bool,
    pub lock_timeout: bool,
    pub statement_timeout: bool,
    /// The timeouts were set with SET LOCAL (they end with the transaction).
    pub lock_timeout_local: bool,
    pub statement_timeout_local: bool,
    /// Tables created earlier in this file (empty: no lock or rewrite risk).
    pub created: HashSet<String>,
    /// A relation locked ACCESS EXCLUSIVE earlier in the current
    /// transaction, and by which statement (1-based).
    pub exclusive: Option<(String, usize)>,
    /// Constraints added NOT VALID in the current transaction, by table.
    pub not_valid: HashSet<(String, String)>,
    /// ALTER TABLE statements of each table in the current transaction:
    /// the first one's number and how many.
    pub altered: HashMap<String, (usize, usize)>,
    /// `statements-after-access-exclusive` was reported in this transaction.
    pub exclusive_reported: bool,
    /// Rules reported once per file that have been.
    pub reported: HashSet<&'static str>,
    /// CHECK (col IS NOT NULL) constraints added NOT VALID: (table, name) → column.
    pub not_null_checks: HashMap<(String, String), String>,
    /// Named constraints added earlier in this file: (table, name). No
    /// client can rely on one yet, so dropping it breaks nothing.
    pub added_constraints: HashSet<(String, String)>,
    /// Columns a valid CHECK (col IS NOT NULL) proves, so SET NOT NULL
    /// does not scan: (table, column).
    pub proven_not_null: HashSet<(String, String)>,
    /// Server major version the file is meant for.
    pub version: u32,
}

impl State {
    /// Whether `rel` was created earlier in this file (so it is empty and
    /// nobody uses it yet).
    pub fn is_new(&self, rel: &str) -> bool {
        self.created.contains(rel)
    }
}

/// One statement as a rule sees it.
pub struct Ctx<'a> {
    pub stmt: &'a Statement,
    pub facts: &'a Facts,
    pub state: &'a State,
    /// 1-based number of the statement in the file.
    pub number: usize,
}

/// A rule.
pub struct Rule {
    pub id: &'static str,
    /// On unless asked for (squawk's opt-in rules are off here too).
    pub default: bool,
    pub severity: Severity,
    pub summary: &'static str,
    pub bad: &'static str,
    pub good: &'static str,
    /// Messages of the findings on this statement.
    pub check: fn(&Ctx<'_>) -> Vec<String>,
}

/// The commands of an ALTER TABLE of a table that existed before this
/// file, and the table's name.
pub(crate) fn alter_cmds<'a>(
    ctx: &'a Ctx<'_>,
) -> Option<(String, Vec<&'a pg_query::protobuf::AlterTableCmd>)> {
    let pg_query::protobuf::node::Node::AlterTableStmt(s) = &ctx.stmt.node else {
        return None;
    };
    let rel = s.relation.as_ref().map(crate::facts::range_name)?;
    if ctx.state.is_new(&rel) {
        return None;
    }
    let cmds = s
        .cmds
        .iter()
        .filter_map(|c| match &c.node {
            Some(pg_query::protobuf::node::Node::AlterTableCmd(c)) => Some(&**c),
            _ => None,
        })
        .collect();
    Some((rel, cmds))
}

/// Every rule, in the order of `docs/LINT.md`.
pub fn all() -> Vec<&'static Rule> {
    let mut v: Vec<&'static Rule> = Vec::new();
    v.extend(locking::RULES);
    v.extend(breaking::RULES);
    v.extend(compat::RULES);
    v.extend(transactions::RULES);
    v.extend(hygiene::RULES);
    v.extend(optin::RULES);
    v
}

/// The rule with this id.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    all().into_iter().find(|r| r.id == id)
}

/// `docs/LINT.md`: every rule with its id, default, severity, explanation,
/// bad example and safe alternative.
pub fn markdown() -> String {
    let mut out = String::from(
        "# pggit lint rules\n\n\
         Generated from `crates/pggit-lint/src/rules/` (a test keeps this file equal to it). Each rule\n\
         fires on its bad example and not on its safe alternative (tested). Rules marked *opt-in* run\n\
         with `--enable RULE` or `--enable all`. Disable one for a statement with a comment before it,\n\
         `-- pggit-lint: disable=RULE[,RULE]`, or for the file with `-- pggit-lint: disable-file=RULE`.\n\
         A table created earlier in the same file (not `IF NOT EXISTS`) is empty and unused, so lock and\n\
         rewrite rules leave it alone.\n",
    );
    out.push_str(
        "\n## Risk score\n\n\
         Each statement gets a score from 0 to 100 (`risk` in `--json`, and the migration's on the summary line),\n\
         the sum of these factors, for a table that existed before the file: the lock it takes (ACCESS\n\
         EXCLUSIVE 30, EXCLUSIVE 25, SHARE or SHARE ROW EXCLUSIVE 20, SHARE UPDATE EXCLUSIVE 5; a third of that\n\
         when `lock_timeout` is set before it), a rewrite 35, reading the whole table 20 (5 when writes go on),\n\
         breaking running clients 25, changing every row 15, failing inside a transaction block 60. Under 25 is\n\
         low, under 50 medium, under 75 high, else critical. A migration scores its riskiest statement plus 5\n\
         for each other statement at medium or above. With `--db`, the target's figures grade it and are\n\
         shown: a rewrite or scan counts nothing on an empty table, half under 10,000 rows, double from a\n\
         million; the lock of an empty, idle table a third; a table with 10 writes/s or more adds 10 (its\n\
         writers wait); a rewrite on a target with replication slots adds 5, or 15 when a slot is inactive (the\n\
         rewrite's WAL, about the table's size, is kept until every consumer has it, and logical consumers\n\
         decode it); a transaction open on the target for over 60 s adds 15 (the lock request queues behind\n\
         it, and every query on the table behind the request). These points are a stated heuristic, not a\n\
         measured probability.\n\n\
         ## Learning from outcomes\n\n\
         Every migration pggit applies (merge, revert, reset) records its outcome in\n\
         `pggit.migration_outcomes`: duration, success, the server's error and SQLSTATE (55P03: a lock wait\n\
         hit `lock_timeout`), and the findings and risk this lint gave it. Each rule then has a failure rate: a\n\
         prior by its severity (low 2%, medium 5%, high 10%, critical 25%; 1% for a migration without findings;\n\
         stated guesses, each worth 10 migrations) updated by the recorded migrations that had the rule. A\n\
         migration's predicted chance of failing is the highest rate among its findings' rules; `lint --db` on\n\
         a repository prints it. `pggit lint --calibration` shows the rates and, from 50 recorded outcomes,\n\
         the Brier score of predictions made for each outcome from all the others, beside always predicting\n\
         the overall failure rate, and a reliability table. Under 50 it says so, and the priors are what is\n\
         used. No accuracy figure is claimed beyond what that command measures on your own outcomes.\n\n\
         With `--db`, each statement also gets an estimate of how long it holds its strongest lock\n\
         (`lock_estimate` in `--json`, and a line of the risk): the work it does under that lock from the\n\
         table's figures, at rates measured on the benchmark machine (a rewrite writes 100 MB/s of table and\n\
         enters 2,000,000 rows/s into each index; a CHECK or NOT NULL check reads 1,500 MB/s; a foreign key\n\
         checks 8,000,000 rows/s). Waiting for the lock comes on top. `cargo bench -p pggit-cli --bench\n\
         lock_estimates` sets the estimates beside measured times (docs/BENCHMARKS.md): within a factor of\n\
         2 for 25 of 28 statements on tables of 10,000 to 3,000,000 rows, index builds on text keys taking\n\
         about twice the estimate. A server with colder caches or slower disks takes longer.\n",
    );
    out.push_str(FIX_SECTION);
    out.push_str("\n# Rules\n");
    for r in all() {
        out.push_str(&format!(
            "\n## `{}`\n\n{}, {}{}. {}.\n\nBad:\n\n```sql\n{}\n```\n\nInstead:\n\n```sql\n{}\n```\n",
            r.id,
            r.severity.name(),
            if r.default {
                "on by default"
            } else {
                "*opt-in*"
            },
            if crate::fix::FIXABLE.contains(&r.id) {
                ", rewritten by `--fix`"
            } else {
                ""
            },
            upper_first(r.summary),
            r.bad,
            r.good
        ));
    }
    out
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

const FIX_SECTION: &str = "
## Safe rewrites (`--fix`)

`pggit lint --fix FILE` prints the file rewritten so that no table's rows are read or rewritten under
a lock that stops writes (`--write` replaces the file). Only statements with a finding are rewritten
(in the parser's spelling); the other statements, and the comments between statements, stay as written.
What is left in the rewrite is listed. A rewrite that would not parse is refused and nothing is written.
Work moved after a transaction block is left in place when a later statement of the block names it (the
index or column it makes), and nothing is moved past a `ROLLBACK`. With `--assume-in-transaction` the
timeouts are `SET LOCAL`, and the part to run separately sets its own.

| finding | rewrite |
|---|---|
| `require-concurrent-index-creation` | `CREATE INDEX CONCURRENTLY`, outside the transaction |
| `require-concurrent-index-deletion` | `DROP INDEX CONCURRENTLY` (one index, no `CASCADE`), outside the transaction |
| `require-concurrent-reindex` | `REINDEX (CONCURRENTLY)`, outside the transaction |
| `adding-foreign-key-constraint`, `constraint-missing-not-valid` | `NOT VALID`, then `VALIDATE CONSTRAINT` in a later transaction |
| `adding-not-nullable-field` (`SET NOT NULL`) | `CHECK (c IS NOT NULL) NOT VALID`, `VALIDATE`, `SET NOT NULL` (which the valid check lets skip its scan), drop the check |
| `disallowed-unique-constraint` | `CREATE UNIQUE INDEX CONCURRENTLY`, then `ADD CONSTRAINT ... USING INDEX` (a primary key's columns proven NOT NULL first, as above) |
| `adding-field-with-default` (volatile) | the column without its default, `SET DEFAULT` for new rows, the existing rows backfilled in batches, each its own transaction: on PostgreSQL 14+ a walk over the table's pages (and its partitions'), 128 at a time, by TID range scans; then batches of 10,000 rows still NULL, which catch rows moved meanwhile (and do all the work before 14); resumable: run it again, it fills the rows still NULL; then `SET NOT NULL` as above when the column had it |
| `require-lock-timeout`, `require-statement-timeout` | `SET lock_timeout = '2s'` and `SET statement_timeout = '1min'` first; the statement timeout is lifted (`0`) around the long online steps (concurrent index builds, `VALIDATE`, backfills), which block neither reads nor writes |
| `ban-concurrent-index-creation-in-transaction`, `cannot-run-in-transaction` | moved out of the transaction |
| `validate-in-same-transaction` | moved after the transaction commits |

What must run outside a transaction block, or after the current one commits, is moved after the
block's `COMMIT`. With `--assume-in-transaction` (the migration tool wraps the file in one
transaction) it goes to the end of the file, under a comment saying it belongs in a separate
migration that does not run in a transaction (Django `atomic = False`, Rails
`disable_ddl_transaction!`, Flyway `executeInTransaction=false`). Unnamed constraints get the names
PostgreSQL would have chosen, so the schema is the same (tested: both forms are run on the server
and compared with `pg_dump --schema-only`, and the server's scan counters and `pg_locks` show the
rewrite reads rows only under locks that let writes through).

Not rewritten: constraints and `UNIQUE`/`REFERENCES` written on a new column (`ADD COLUMN ...
REFERENCES`), exclusion constraints and partial unique constraints, `DROP INDEX` of several indexes
or with `CASCADE`, type changes, required columns without a default, `DETACH PARTITION` (add
`CONCURRENTLY` by hand on 14+). Before PostgreSQL 18 a `NOT VALID` foreign key cannot be added to a
partitioned table, so the rewrite fails there as the server says. A concurrent index build that fails
leaves an `INVALID` index behind: drop it (`DROP INDEX CONCURRENTLY`) before running the rest again.
";
