//! Migration risk analysis: what each statement of a migration does to a
//! running PostgreSQL (locks, rewrites, scans, breaking changes), and lint
//! rules over that, with PostgreSQL's own parser (`pg_query`). Pure: no
//! files, no connections; the CLI reads files and a database layer may add
//! the target's real sizes later.
//!
//! Directives, in a comment before a statement:
//! `-- pggit-lint: disable=rule-a,rule-b` (that statement) or anywhere
//! `-- pggit-lint: disable-file=rule-a` (the whole file). A directive that
//! suppresses nothing is itself reported (`unused-disable`).

#![forbid(unsafe_code)]

pub mod calibrate;
pub mod estimate;
pub mod facts;
pub mod fix;
mod render;
pub mod risk;
pub mod rules;
pub mod source;
pub mod target;

use std::collections::{BTreeSet, HashMap, HashSet};

use pg_query::protobuf::{node::Node as N, ConstrType, TransactionStmtKind};
use serde::Serialize;

pub use facts::{Facts, Intent, LockLevel};
pub use fix::{fix, Fixed};
pub use render::{github, human, json, json_doc, sarif, JsonReport};
pub use rules::{Rule, Severity};
pub use source::{Source, SyntaxError};

/// What to check, for which server.
#[derive(Debug, Clone)]
pub struct Options {
    /// Major version of the target server (13–18).
    pub pg_version: u32,
    /// The migration tool runs the whole file in one transaction (Django,
    /// Rails, Flyway, Alembic and others do by default).
    pub assume_in_transaction: bool,
    /// Opt-in rules to turn on (`all` turns on every rule).
    pub enable: Vec<String>,
    /// Rules to turn off.
    pub disable: Vec<String>,
    /// The target's figures (`lint --db`), which grade the risk.
    pub target: Option<target::Target>,
    /// The tool that runs the file sets `lock_timeout` first (pggit's own
    /// apply does).
    pub lock_timeout_set: bool,
    /// Failure rates fitted to the outcomes a repository recorded
    /// (`lint --db` on a repository): the migration's predicted chance of
    /// failing is reported with its risk.
    pub outcomes: Option<calibrate::Model>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            pg_version: 18,
            assume_in_transaction: false,
            enable: Vec::new(),
            disable: Vec::new(),
            target: None,
            lock_timeout_set: false,
            outcomes: None,
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The rule's one-line explanation.
    pub why: &'static str,
    /// The safe alternative.
    pub instead: &'static str,
    /// 1-based statement number (none for a meta-command).
    pub statement: Option<usize>,
    pub line: usize,
    pub column: usize,
    /// Byte span in the file.
    pub start: usize,
    pub end: usize,
}

/// One statement, its facts and its risk.
#[derive(Debug, Clone, Serialize)]
pub struct StatementReport {
    pub number: usize,
    pub line: usize,
    pub column: usize,
    pub text: String,
    pub facts: Facts,
    pub risk: risk::Risk,
    /// With the target's figures: how long its strongest lock is held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_estimate: Option<estimate::LockEstimate>,
}

/// The lint of one file.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub statements: Vec<StatementReport>,
    pub findings: Vec<Finding>,
    /// The whole migration's risk.
    pub risk: risk::Risk,
    /// With recorded outcomes: the predicted chance that it fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_chance: Option<f64>,
    #[serde(skip)]
    pub source: Source,
}

impl Report {
    /// The most severe finding's level.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Unknown rule ids in `--enable`/`--disable`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no lint rule is called '{0}' (see docs/LINT.md)")]
pub struct UnknownRule(pub String);

/// The rules `options` turns on.
pub fn active_rules(options: &Options) -> Result<Vec<&'static Rule>, UnknownRule> {
    for id in options.enable.iter().chain(&options.disable) {
        if id != "all" && rules::by_id(id).is_none() {
            return Err(UnknownRule(id.clone()));
        }
    }
    let all_on = options.enable.iter().any(|e| e == "all");
    Ok(rules::all()
        .into_iter()
        .filter(|r| r.default || all_on || options.enable.iter().any(|e| e == r.id))
        .filter(|r| !options.disable.iter().any(|d| d == r.id))
        .collect())
}

/// Lint the text of a migration file.
pub fn lint(text: &str, options: &Options) -> Result<Report, LintError> {
    let active = active_rules(options)?;
    let parsed = source::parse(text)?;
    let on = |id: &str| active.iter().any(|r| r.id == id);
    let mut state = rules::State {
        in_transaction: options.assume_in_transaction,
        version: options.pg_version,
        lock_timeout: options.lock_timeout_set,
        ..rules::State::default()
    };
    let file_disabled = directives(
        parsed
            .statements
            .iter()
            .flat_map(|s| &s.comments)
            .chain(&parsed.trailing_comments),
        "disable-file",
    );
    let mut used: HashSet<(Option<usize>, String)> = HashSet::new();
    let mut findings = Vec::new();
    let mut statements = Vec::new();
    // Foreign keys of tables created here, and the leading columns of their
    // indexes, for `foreign-key-without-index`.
    let mut fks: Vec<(String, Vec<String>, usize)> = Vec::new();
    let mut indexed: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    for (i, stmt) in parsed.statements.iter().enumerate() {
        let number = i + 1;
        let mut facts = facts::facts(&stmt.node, options.pg_version);
        prove_not_null(&mut facts, &stmt.node, &state);
        let (line, column) = parsed.source.line_col(stmt.start);
        let disabled = directives(stmt.comments.iter(), "disable");
        let timeout_before = state.lock_timeout;
        let first_finding = findings.len();
        let mut fired: Vec<&'static str> = Vec::new();
        {
            let ctx = rules::Ctx {
                stmt,
                facts: &facts,
                state: &state,
                number,
            };
            for rule in &active {
                for message in (rule.check)(&ctx) {
                    if disabled.contains(rule.id) {
                        used.insert((Some(number), rule.id.to_string()));
                        continue;
                    }
                    if file_disabled.contains(rule.id) {
                        used.insert((None, rule.id.to_string()));
                        continue;
                    }
                    fired.push(rule.id);
                    findings.push(finding(
                        rule,
                        message,
                        Some(number),
                        stmt.start,
                        stmt.end,
                        &parsed.source,
                    ));
                }
            }
            // Directives for rules decided at the end of the file are
            // checked there.
            for id in disabled
                .iter()
                .filter(|id| id.as_str() != "foreign-key-without-index")
            {
                if used.contains(&(Some(number), id.clone())) || !on("unused-disable") {
                    continue;
                }
                if let Some(rule) = rules::by_id("unused-disable") {
                    let message = if rules::by_id(id).is_some() {
                        format!("disable={id} suppressed nothing here")
                    } else {
                        format!("disable={id}: there is no such rule")
                    };
                    findings.push(finding(
                        rule,
                        message,
                        Some(number),
                        stmt.start,
                        stmt.end,
                        &parsed.source,
                    ));
                }
            }
            track_indexes(&stmt.node, &state, number, &mut fks, &mut indexed);
            state.reported.extend(fired.iter().copied());
            if fired.contains(&"statements-after-access-exclusive") {
                state.exclusive_reported = true;
            }
        }
        // The state is still the one before this statement: what it
        // creates is not "created earlier".
        let created_before = &state.created;
        let mine: Vec<&Finding> = findings[first_finding..].iter().collect();
        let mut risk = risk::statement(
            &facts,
            &mine,
            timeout_before,
            &|rel| created_before.contains(rel),
            options.target.as_ref(),
        );
        let lock_estimate = options.target.as_ref().and_then(|t| {
            let figures = |rel: &str| {
                let table = rel.strip_prefix(facts::INDEX_TABLE).unwrap_or(rel);
                if created_before.contains(table) {
                    None
                } else {
                    t.tables.get(rel)
                }
            };
            estimate::lock_held(&facts, &figures, &estimate::RATES)
        });
        if let Some(e) = &lock_estimate {
            risk.factors.push(risk::Factor {
                what: format!(
                    "holds {} on {} for about {} ({}; waiting for the lock comes on top)",
                    e.level.name(),
                    e.relation,
                    estimate::duration(e.seconds),
                    e.how
                ),
                points: 0,
            });
        }
        advance(&mut state, &stmt.node, &facts, number);
        statements.push(StatementReport {
            number,
            line,
            column,
            text: stmt.text.clone(),
            facts,
            risk,
            lock_estimate,
        });
    }
    // End of file.
    let end = text.trim_end().len();
    if state.explicit_begin
        && on("ban-uncommitted-transaction")
        && !file_disabled.contains("ban-uncommitted-transaction")
    {
        if let Some(r) = rules::by_id("ban-uncommitted-transaction") {
            findings.push(finding(
                r,
                "the file ends inside a transaction block".into(),
                None,
                end,
                end,
                &parsed.source,
            ));
        }
    }
    if on("foreign-key-without-index") {
        if let Some(r) = rules::by_id("foreign-key-without-index") {
            for (rel, cols, number) in &fks {
                let covered = indexed.get(rel).is_some_and(|ix| {
                    ix.iter()
                        .any(|lead| lead.len() >= cols.len() && lead[..cols.len()] == cols[..])
                });
                let suppressed = file_disabled.contains(r.id)
                    || directives(parsed.statements[number - 1].comments.iter(), "disable")
                        .contains(r.id);
                if !covered && !suppressed {
                    let s = &parsed.statements[number - 1];
                    findings.push(finding(
                        r,
                        format!("no index on {rel} ({}) in this file", cols.join(", ")),
                        Some(*number),
                        s.start,
                        s.end,
                        &parsed.source,
                    ));
                } else if suppressed {
                    used.insert((None, r.id.to_string()));
                    used.insert((Some(*number), r.id.to_string()));
                }
            }
        }
    }
    if on("psql-meta-command") {
        if let Some(r) = rules::by_id("psql-meta-command") {
            for m in &parsed.meta {
                findings.push(finding(
                    r,
                    format!("{} is a psql meta-command; it was not analysed", m.text),
                    None,
                    m.start,
                    m.start + m.text.len(),
                    &parsed.source,
                ));
            }
        }
    }
    if on("unused-disable") {
        if let Some(r) = rules::by_id("unused-disable") {
            for id in &file_disabled {
                if !used.contains(&(None, id.clone())) {
                    let message = if rules::by_id(id).is_some() {
                        format!("disable-file={id} suppressed nothing")
                    } else {
                        format!("disable-file={id}: there is no such rule")
                    };
                    findings.push(finding(r, message, None, 0, 0, &parsed.source));
                }
            }
        }
    }
    findings.sort_by_key(|f| (f.start, std::cmp::Reverse(f.severity)));
    let risks: Vec<risk::Risk> = statements.iter().map(|s| s.risk.clone()).collect();
    let mut migration_risk = risk::migration(&risks);
    let mut failure_chance = None;
    if let Some(model) = &options.outcomes {
        let mut rules: Vec<String> = findings.iter().map(|f| f.rule.to_string()).collect();
        rules.sort();
        rules.dedup();
        let p = model.predict(&rules);
        let recorded = model.outcomes;
        migration_risk.factors.push(risk::Factor {
            what: format!(
                "predicted chance that it fails: {:.1}% (failure rates of its findings' rules, from priors and the target's {} recorded outcome(s); see lint --calibration)",
                p * 100.0,
                recorded
            ),
            points: 0,
        });
        failure_chance = Some(p);
    }
    Ok(Report {
        failure_chance,
        risk: migration_risk,
        statements,
        findings,
        source: parsed.source,
    })
}

/// `text` with each statement's findings as `-- lint:` comment lines
/// before the line it starts on, and the migration's risk first: how
/// `diff --sql` and `merge --dry-run` show the migration pggit would apply.
/// Unchanged when nothing is found.
pub fn annotate(text: &str, options: &Options) -> Result<String, LintError> {
    let report = lint(text, options)?;
    if report.findings.is_empty() {
        return Ok(text.to_string());
    }
    let one_line = |s: &str| s.replace(['\n', '\r'], " ");
    let mut notes: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
    for f in &report.findings {
        let at = text[..f.start.min(text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        notes.entry(at).or_default().push(format!(
            "-- lint: {} {}: {}\n",
            f.severity.name(),
            f.rule,
            one_line(&f.message)
        ));
    }
    let mut out = format!(
        "-- lint: risk {}/100 ({}); `pggit lint` explains, --no-lint leaves these comments out\n",
        report.risk.score,
        report.risk.level.name()
    );
    let mut cursor = 0;
    for (at, lines) in notes {
        out.push_str(&text[cursor..at]);
        for l in lines {
            out.push_str(&l);
        }
        cursor = at;
    }
    out.push_str(&text[cursor..]);
    Ok(out)
}

/// The relations the statements of `text` lock, as they name them (what
/// to ask the target about).
pub fn relations(text: &str) -> Result<Vec<String>, SyntaxError> {
    let parsed = source::parse(text)?;
    let mut out: Vec<String> = Vec::new();
    for s in &parsed.statements {
        for l in facts::facts(&s.node, 18).locks {
            if !out.contains(&l.relation) {
                out.push(l.relation);
            }
        }
    }
    Ok(out)
}

/// Lint failed before any rule ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LintError {
    #[error(transparent)]
    Syntax(#[from] SyntaxError),
    #[error(transparent)]
    UnknownRule(#[from] UnknownRule),
    /// `--fix` produced SQL that does not parse (a bug; nothing is written).
    #[error("{0}")]
    Rewrite(String),
}

fn finding(
    rule: &'static Rule,
    message: String,
    statement: Option<usize>,
    start: usize,
    end: usize,
    source: &Source,
) -> Finding {
    let (line, column) = source.line_col(start);
    Finding {
        rule: rule.id,
        severity: rule.severity,
        message,
        why: rule.summary,
        instead: rule.good,
        statement,
        line,
        column,
        start,
        end,
    }
}

/// Rule ids named by `-- pggit-lint: <key>=a,b` directives in `comments`.
fn directives<'a>(comments: impl Iterator<Item = &'a String>, key: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for c in comments {
        let body = c
            .trim_start_matches("--")
            .trim_start_matches("/*")
            .trim_end_matches("*/")
            .trim();
        let Some(rest) = body.strip_prefix("pggit-lint:") else {
            continue;
        };
        for part in rest.split_whitespace() {
            if let Some(ids) = part.strip_prefix(key).and_then(|p| p.strip_prefix('=')) {
                for id in ids.split(',').filter(|i| !i.is_empty()) {
                    out.insert(id.to_string());
                }
            }
        }
    }
    out
}

/// What this statement changes in the state the next one sees.
fn advance(state: &mut rules::State, node: &N, done: &Facts, number: usize) {
    track_not_null_proofs(state, node);
    match node {
        N::TransactionStmt(t) => match t.kind() {
            TransactionStmtKind::TransStmtBegin | TransactionStmtKind::TransStmtStart => {
                // Inside the tool's transaction, BEGIN only warns: the
                // tool's COMMIT still ends it.
                if !state.in_transaction {
                    state.explicit_begin = true;
                }
                state.in_transaction = true;
            }
            TransactionStmtKind::TransStmtCommit | TransactionStmtKind::TransStmtRollback
                if t.chain =>
            {
                // AND CHAIN: a new transaction begins at once.
                end_transaction(state);
            }
            TransactionStmtKind::TransStmtCommit
            | TransactionStmtKind::TransStmtRollback
            | TransactionStmtKind::TransStmtCommitPrepared
            | TransactionStmtKind::TransStmtPrepare => {
                state.in_transaction = false;
                state.explicit_begin = false;
                end_transaction(state);
            }
            _ => {}
        },
        N::VariableSetStmt(s) => {
            let on = timeout_set(s);
            let local = s.is_local;
            // SET LOCAL outside a transaction block does nothing.
            if !local || state.in_transaction {
                match s.name.as_str() {
                    "lock_timeout" => {
                        state.lock_timeout = on;
                        state.lock_timeout_local = on && local;
                    }
                    "statement_timeout" => {
                        state.statement_timeout = on;
                        state.statement_timeout_local = on && local;
                    }
                    _ => {}
                }
            }
        }
        N::CreateStmt(s) => {
            // IF NOT EXISTS: the table may be there already, with rows.
            if let (Some(r), false) = (&s.relation, s.if_not_exists) {
                state.created.insert(facts::range_name(r));
            }
        }
        N::CreateTableAsStmt(s) => {
            if let Some(r) = s.into.as_ref().and_then(|i| i.rel.as_ref()) {
                state.created.insert(facts::range_name(r));
            }
        }
        _ => {}
    }
    if !state.in_transaction {
        // Autocommit: each statement is its own transaction. Two ALTERs of
        // a table could be one only when nothing runs between them (a
        // concurrent index build or a VALIDATE often must).
        end_transaction(state);
        let mut last = None;
        if let N::AlterTableStmt(s) = node {
            if let (Some(r), true) = (&s.relation, combinable(s)) {
                let rel = facts::range_name(r);
                let seen = state.altered.get(&rel).copied();
                last = Some((rel, seen));
            }
        }
        state.altered.clear();
        if let Some((rel, seen)) = last {
            let (first, n) = seen.unwrap_or((number, 0));
            state.altered.insert(rel, (first, n + 1));
        }
        return;
    }
    if let Some(l) = done
        .locks
        .iter()
        .find(|l| l.level == LockLevel::AccessExclusive && !state.is_new(&l.relation))
    {
        state.exclusive.get_or_insert((l.relation.clone(), number));
    }
    if let N::AlterTableStmt(s) = node {
        if let Some(r) = &s.relation {
            let rel = facts::range_name(r);
            if combinable(s) {
                state.altered.entry(rel.clone()).or_insert((number, 0)).1 += 1;
            }
            for k in s.cmds.iter().filter_map(|c| match &c.node {
                Some(N::AlterTableCmd(c)) => match c.def.as_ref().and_then(|d| d.node.as_ref()) {
                    Some(N::Constraint(k)) if k.skip_validation => Some(k.conname.clone()),
                    _ => None,
                },
                _ => None,
            }) {
                state.not_valid.insert((rel.clone(), k));
            }
        }
    }
}

/// The column of a `CHECK (col IS NOT NULL)`.
fn not_null_check(k: &pg_query::protobuf::Constraint) -> Option<String> {
    if k.contype() != ConstrType::ConstrCheck {
        return None;
    }
    match k.raw_expr.as_ref().and_then(|e| e.node.as_ref()) {
        Some(N::NullTest(t)) if t.nulltesttype() == pg_query::protobuf::NullTestType::IsNotNull => {
            match t.arg.as_ref().and_then(|a| a.node.as_ref()) {
                Some(N::ColumnRef(c)) if c.fields.len() == 1 => match &c.fields[0].node {
                    Some(N::String(s)) => Some(s.sval.clone()),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// Valid `CHECK (col IS NOT NULL)` constraints, which let SET NOT NULL skip
/// its scan: added valid, or added NOT VALID and validated later.
fn track_not_null_proofs(state: &mut rules::State, node: &N) {
    let N::AlterTableStmt(s) = node else { return };
    let Some(rel) = s.relation.as_ref().map(facts::range_name) else {
        return;
    };
    for c in &s.cmds {
        let Some(N::AlterTableCmd(c)) = &c.node else {
            continue;
        };
        match c.def.as_ref().and_then(|d| d.node.as_ref()) {
            Some(N::Constraint(k)) => {
                if !k.conname.is_empty() {
                    state
                        .added_constraints
                        .insert((rel.clone(), k.conname.clone()));
                }
                if let Some(col) = not_null_check(k) {
                    if k.skip_validation {
                        state
                            .not_null_checks
                            .insert((rel.clone(), k.conname.clone()), col);
                    } else {
                        state.proven_not_null.insert((rel.clone(), col));
                    }
                }
            }
            _ if c.subtype() == pg_query::protobuf::AlterTableType::AtValidateConstraint => {
                if let Some(col) = state.not_null_checks.get(&(rel.clone(), c.name.clone())) {
                    state.proven_not_null.insert((rel.clone(), col.clone()));
                }
            }
            _ => {}
        }
    }
}

/// SET NOT NULL of columns that earlier statements proved NOT NULL with a
/// valid CHECK neither scans nor breaks anything new.
fn prove_not_null(f: &mut Facts, node: &N, state: &rules::State) {
    let N::AlterTableStmt(s) = node else { return };
    let Some(rel) = s.relation.as_ref().map(facts::range_name) else {
        return;
    };
    for c in &s.cmds {
        if let Some(N::AlterTableCmd(c)) = &c.node {
            if c.subtype() == pg_query::protobuf::AlterTableType::AtSetNotNull
                && state
                    .proven_not_null
                    .contains(&(rel.clone(), c.name.clone()))
            {
                facts::set_not_null_proven(f, &rel, &c.name);
            }
        }
    }
}

/// Whether an ALTER TABLE could be merged into another of the same table:
/// not one that only validates (that belongs in a transaction of its own),
/// and not ATTACH or DETACH PARTITION (which take no other actions).
pub(crate) fn combinable(s: &pg_query::protobuf::AlterTableStmt) -> bool {
    !only_validates(s)
        && !s.cmds.iter().any(|c| {
            matches!(&c.node, Some(N::AlterTableCmd(c)) if matches!(
                c.subtype(),
                pg_query::protobuf::AlterTableType::AtAttachPartition
                    | pg_query::protobuf::AlterTableType::AtDetachPartition
                    | pg_query::protobuf::AlterTableType::AtDetachPartitionFinalize
            ))
        })
}

/// Whether an ALTER TABLE only validates constraints.
pub(crate) fn only_validates(s: &pg_query::protobuf::AlterTableStmt) -> bool {
    !s.cmds.is_empty()
        && s.cmds.iter().all(|c| {
            matches!(&c.node, Some(N::AlterTableCmd(c))
                if c.subtype() == pg_query::protobuf::AlterTableType::AtValidateConstraint)
        })
}

/// Whether a `SET`/`RESET` of a timeout leaves one in force: not `RESET`,
/// `DEFAULT` or zero.
fn timeout_set(s: &pg_query::protobuf::VariableSetStmt) -> bool {
    use pg_query::protobuf::VariableSetKind as K;
    if s.kind() != K::VarSetValue {
        return false;
    }
    !s.args.iter().any(|a| match &a.node {
        Some(N::AConst(c)) => match &c.val {
            Some(pg_query::protobuf::a_const::Val::Ival(i)) => i.ival == 0,
            // '0', '0s', '0 ms': the number before the unit.
            Some(pg_query::protobuf::a_const::Val::Sval(v)) => v
                .sval
                .trim()
                .trim_end_matches(|c: char| c.is_alphabetic())
                .trim()
                .parse::<f64>()
                .is_ok_and(|n| n == 0.0),
            _ => false,
        },
        _ => false,
    })
}

fn end_transaction(state: &mut rules::State) {
    state.exclusive = None;
    state.exclusive_reported = false;
    // SET LOCAL ends with its transaction.
    if state.lock_timeout_local {
        state.lock_timeout = false;
        state.lock_timeout_local = false;
    }
    if state.statement_timeout_local {
        state.statement_timeout = false;
        state.statement_timeout_local = false;
    }
    state.not_valid.clear();
}

/// Record foreign keys of tables created in this file and the leading
/// columns of indexes on them.
fn track_indexes(
    node: &N,
    state: &rules::State,
    number: usize,
    fks: &mut Vec<(String, Vec<String>, usize)>,
    indexed: &mut HashMap<String, Vec<Vec<String>>>,
) {
    let names = |items: &[pg_query::protobuf::Node]| -> Vec<String> {
        items
            .iter()
            .filter_map(|n| match &n.node {
                Some(N::String(s)) => Some(s.sval.clone()),
                Some(N::IndexElem(e)) if !e.name.is_empty() => Some(e.name.clone()),
                _ => None,
            })
            .collect()
    };
    // A table constraint: a foreign key to check, or a key that indexes.
    let record =
        |rel: &String,
         k: &pg_query::protobuf::Constraint,
         fks: &mut Vec<(String, Vec<String>, usize)>,
         indexed: &mut HashMap<String, Vec<Vec<String>>>| match k.contype() {
            ConstrType::ConstrForeign => fks.push((rel.clone(), names(&k.fk_attrs), number)),
            ConstrType::ConstrPrimary | ConstrType::ConstrUnique => {
                indexed.entry(rel.clone()).or_default().push(names(&k.keys));
            }
            _ => {}
        };
    match node {
        N::CreateStmt(s) => {
            let Some(rel) = s.relation.as_ref().map(facts::range_name) else {
                return;
            };
            for col in facts::column_defs(&s.table_elts) {
                for k in facts::constraints_of(&col.constraints) {
                    match k.contype() {
                        ConstrType::ConstrForeign => {
                            fks.push((rel.clone(), vec![col.colname.clone()], number))
                        }
                        ConstrType::ConstrPrimary | ConstrType::ConstrUnique => {
                            indexed
                                .entry(rel.clone())
                                .or_default()
                                .push(vec![col.colname.clone()]);
                        }
                        _ => {}
                    }
                }
            }
            for k in facts::constraints_of(&s.table_elts) {
                record(&rel, k, &mut *fks, &mut *indexed);
            }
        }
        N::IndexStmt(s) => {
            if let Some(rel) = s.relation.as_ref().map(facts::range_name) {
                indexed.entry(rel).or_default().push(names(&s.index_params));
            }
        }
        N::AlterTableStmt(s) => {
            let Some(rel) = s.relation.as_ref().map(facts::range_name) else {
                return;
            };
            if !state.is_new(&rel) {
                return;
            }
            for c in &s.cmds {
                if let Some(N::AlterTableCmd(c)) = &c.node {
                    if let Some(N::Constraint(k)) = c.def.as_ref().and_then(|d| d.node.as_ref()) {
                        record(&rel, k, &mut *fks, &mut *indexed);
                    }
                }
            }
        }
        _ => {}
    }
}
