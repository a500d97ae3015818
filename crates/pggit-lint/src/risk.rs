//! A risk score per statement and per migration, 0 to 100, explained by
//! the factors that produced it.
//!
//! Without the target's figures the score is static. It counts what the
//! statement does to a table that already exists: the lock it holds,
//! whether it rewrites or scans the table under that lock, whether running
//! clients break, and whether it fails or waits unbounded. The points are a
//! documented heuristic, not a measured probability; grading by the
//! target's rows and traffic (`lint --db`) and recalibration from recorded
//! outcomes come later and will replace them. A table created earlier in
//! the same file scores nothing for locks, rewrites or scans.

use serde::Serialize;

use crate::facts::{Facts, Intent, LockLevel, INDEX_TABLE};
use crate::rules::Severity;
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
) -> Risk {
    let existing = |rel: &str| !is_new(rel.strip_prefix(INDEX_TABLE).unwrap_or(rel));
    let mut factors = Vec::new();
    if let Some(l) = facts
        .locks
        .iter()
        .filter(|l| existing(&l.relation))
        .max_by_key(|l| l.level)
    {
        let points = lock_points(l.level, lock_timeout);
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
    if let Some(w) = facts.rewrites.iter().find(|w| existing(&w.relation)) {
        factors.push(Factor {
            what: format!("rewrites {}: {}", w.relation, w.reason),
            points: 35,
        });
    }
    let blocking = facts.strongest().is_some_and(|l| l.level.blocks_writes());
    if let Some(w) = facts.scans.iter().find(|w| existing(&w.relation)) {
        factors.push(Factor {
            what: format!("reads all of {}: {}", w.relation, w.reason),
            points: if blocking { 20 } else { 5 },
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
