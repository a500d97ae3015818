//! A risk score per statement and per migration, 0 to 100, explained by
//! the factors that produced it.
//!
//! It counts what the statement does to a table that already exists: the
//! lock it holds, whether it rewrites or scans the table under that lock,
//! whether running clients break, and whether it fails or waits unbounded.
//! With the target's figures (`lint --db`), a rewrite or scan counts by the
//! table's rows (nothing when empty, half under 10,000 rows, double from a
//! million), a busy table's lock, transactions already open on the target
//! and replication slots that keep a rewrite's WAL add points, and the
//! figures are shown. The points are a documented
//! heuristic, not a measured probability; what is learned from recorded
//! outcomes is a separate figure (`calibrate`, the predicted chance of
//! failing). A table created earlier in the same file scores
//! nothing for locks, rewrites or scans.

use serde::Serialize;

use crate::facts::{Facts, Intent, LockLevel, INDEX_TABLE};
use crate::rules::Severity;
use crate::target::{self, Target};
use crate::Finding;

/// One reason for a score, with its points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Factor {
    pub what: String,
    pub points: u32,
}

/// A score and what produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Risk {
    pub score: u32,
    pub level: Severity,
    pub factors: Vec<Factor>,
}

impl Risk {
    fn of(factors: Vec<Factor>) -> Risk {
        let score = factors.iter().map(|f| f.points).sum::<u32>().min(100);
        Risk {
            score,
            level: level(score),
            factors,
        }
    }
}

/// The level a score falls in: under 25 low, under 50 medium, under 75
/// high, else critical.
pub fn level(score: u32) -> Severity {
    match score {
        0..=24 => Severity::Low,
        25..=49 => Severity::Medium,
        50..=74 => Severity::High,
        _ => Severity::Critical,
    }
}

/// Points for holding (and first waiting for) a lock. Without
/// `lock_timeout` the wait is unbounded and every later query on the table
/// queues behind it; with one, a third.
fn lock_points(l: LockLevel, lock_timeout: bool) -> u32 {
    let points = match l {
        LockLevel::AccessExclusive => 30,
        LockLevel::Exclusive => 25,
        LockLevel::ShareRowExclusive | LockLevel::Share => 20,
        LockLevel::ShareUpdateExclusive => 5,
        LockLevel::RowExclusive | LockLevel::RowShare | LockLevel::AccessShare => 0,
    };
    if lock_timeout {
        points / 3
    } else {
        points
    }
}

/// The risk of one statement from its facts and its findings. `is_new`
/// tells a table created earlier in the same file.
pub fn statement(
    facts: &Facts,
    findings: &[&Finding],
    lock_timeout: bool,
    is_new: &dyn Fn(&str) -> bool,
    on: Option<&Target>,
) -> Risk {
    let existing = |rel: &str| !is_new(rel.strip_prefix(INDEX_TABLE).unwrap_or(rel));
    let mut factors = Vec::new();
    if let Some(l) = facts
        .locks
        .iter()
        .filter(|l| existing(&l.relation))
        .max_by_key(|l| l.level)
    {
        let mut points = lock_points(l.level, lock_timeout);
        let figures = on.and_then(|t| t.tables.get(&l.relation));
        if let Some(f) = figures {
            factors.push(Factor {
                what: format!(
                    "{} on the target: {} rows, {}{}",
                    l.relation,
                    target::thousands(f.rows),
                    target::bytes(f.bytes),
                    f.writes_per_second
                        .map(|w| format!(", {w:.1} writes/s since statistics were reset"))
                        .unwrap_or_default()
                ),
                points: 0,
            });
            let idle = !matches!(f.writes_per_second, Some(w) if w >= 0.01);
            if f.rows < 1.0 && idle {
                // Nobody writes an empty table: its lock holds up little.
                points /= 3;
            }
            if f.writes_per_second.is_some_and(|w| w >= 10.0) && l.level.blocks_writes() {
                factors.push(Factor {
                    what: format!("{} is busy: its writers wait for this lock", l.relation),
                    points: 10,
                });
            }
        }
        if let (Some(t), true) = (on, l.level.blocks_writes()) {
            if let Some(oldest) = t
                .long_transactions
                .iter()
                .map(|x| x.seconds)
                .reduce(f64::max)
            {
                factors.push(Factor {
                    what: format!(
                        "{} transaction(s) open on the target, the oldest for {oldest:.0} s: the lock request waits behind them and every query on {} behind it",
                        t.long_transactions.len(),
                        l.relation
                    ),
                    points: 15,
                });
            }
        }
        if points > 0 {
            factors.push(Factor {
                what: format!(
                    "{} on {}{}",
                    l.level.name(),
                    l.relation,
                    if lock_timeout {
                        ""
                    } else {
                        " with no lock_timeout"
                    }
                ),
                points,
            });
        }
    }
    // Rewriting or reading a table costs by its size, when the target says.
    let by_size = |rel: &str, points: u32| -> (u32, String) {
        match on.and_then(|t| t.tables.get(rel)) {
            None => (points, String::new()),
            Some(f) if f.rows < 1.0 => (0, " (empty on the target)".into()),
            Some(f) if f.rows < 10_000.0 => (points / 2, " (small on the target)".into()),
            Some(f) if f.rows < 1_000_000.0 => (points, String::new()),
            Some(f) => (
                points * 2,
                format!(" ({} rows on the target)", target::thousands(f.rows)),
            ),
        }
    };
    if let Some(w) = facts.rewrites.iter().find(|w| existing(&w.relation)) {
        let (points, note) = by_size(&w.relation, 35);
        factors.push(Factor {
            what: format!("rewrites {}: {}{note}", w.relation, w.reason),
            points,
        });
        // A rewrite writes about the table's size in WAL, which every
        // replication slot keeps until its consumer has it.
        if let Some(t) = on.filter(|t| !t.replication_slots.is_empty()) {
            let size = t.tables.get(&w.relation).map_or(0, |f| f.bytes);
            if size > 0 {
                let idle = t.replication_slots.iter().filter(|s| !s.active).count();
                let held = t
                    .replication_slots
                    .iter()
                    .map(|s| s.retained_bytes)
                    .max()
                    .unwrap_or(0);
                factors.push(Factor {
                    what: format!(
                        "{} replication slot(s) on the target ({idle} inactive, the furthest behind by {}): the rewrite's WAL (about {} more) is kept until each consumer has it{}",
                        t.replication_slots.len(),
                        target::bytes(held),
                        target::bytes(size),
                        if t.replication_slots.iter().any(|s| s.kind == "logical") {
                            ", and logical consumers decode it"
                        } else {
                            ""
                        }
                    ),
                    points: if idle > 0 { 15 } else { 5 },
                });
            }
        }
    }
    let blocking = facts.strongest().is_some_and(|l| l.level.blocks_writes());
    if let Some(w) = facts.scans.iter().find(|w| existing(&w.relation)) {
        let (points, note) = by_size(&w.relation, if blocking { 20 } else { 5 });
        factors.push(Factor {
            what: format!("reads all of {}: {}{note}", w.relation, w.reason),
            points,
        });
    }
    // Clients of a table this file creates cannot exist yet.
    let touches_existing =
        facts.locks.is_empty() || facts.locks.iter().any(|l| existing(&l.relation));
    if let Some(b) = facts.breaks.first().filter(|_| touches_existing) {
        factors.push(Factor {
            what: format!("running clients can break: {b}"),
            points: 25,
        });
    }
    if facts.intent == Intent::DataChange
        && findings.iter().any(|f| f.rule == "unbounded-data-change")
    {
        factors.push(Factor {
            what: "changes every row of a table in one statement".into(),
            points: 15,
        });
    }
    if findings.iter().any(|f| {
        f.rule == "ban-concurrent-index-creation-in-transaction"
            || f.rule == "cannot-run-in-transaction"
    }) {
        factors.push(Factor {
            what: "fails: it cannot run inside a transaction block".into(),
            points: 60,
        });
    }
    Risk::of(factors)
}

/// A migration's risk: its riskiest statement's, plus 5 for each other
/// statement at medium or above (each holds or waits for locks too).
pub fn migration(statements: &[Risk]) -> Risk {
    let Some((top, worst)) = statements.iter().enumerate().max_by_key(|(_, r)| r.score) else {
        return Risk::of(Vec::new());
    };
    let mut factors = vec![Factor {
        what: format!("statement {}, the riskiest", top + 1),
        points: worst.score,
    }];
    let others = statements
        .iter()
        .enumerate()
        .filter(|(i, r)| *i != top && r.level >= Severity::Medium)
        .count();
    if others > 0 {
        factors.push(Factor {
            what: format!("{others} more statement(s) at medium risk or above"),
            points: 5 * u32::try_from(others).unwrap_or(u32::MAX / 5).min(20),
        });
    }
    Risk::of(factors)
}
