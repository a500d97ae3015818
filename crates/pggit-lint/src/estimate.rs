//! How long a statement holds its strongest lock, estimated from the
//! target's figures (`lint --db`): the work it does on the table under that
//! lock (a rewrite, an index build, a check of every row) at rates measured
//! on a reference machine. The estimate is of the work alone: waiting for
//! the lock (behind open transactions) comes on top and is shown apart.
//!
//! The rates were fitted on PostgreSQL 15 on the 2-core benchmark machine
//! (`cargo bench -p pggit-cli --bench lock_estimates`, which reports the
//! estimate beside the measured time for tables of several sizes; see
//! `docs/BENCHMARKS.md`). A faster or slower server scales them all.

use serde::Serialize;

use crate::facts::{Facts, LockLevel, WorkKind};
use crate::target::{self, TableFigures};

/// Work rates of the reference machine.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rates {
    /// Table bytes written per second by a rewrite.
    pub rewrite_bytes_per_s: f64,
    /// Rows per second entered into one index (a build, or a rebuild after
    /// a rewrite).
    pub index_rows_per_s: f64,
    /// Table bytes read and checked per second (CHECK, NOT NULL).
    pub check_bytes_per_s: f64,
    /// Rows per second checked against a referenced table (a foreign key).
    pub foreign_key_rows_per_s: f64,
}

/// The reference machine's rates.
pub const RATES: Rates = Rates {
    rewrite_bytes_per_s: 100.0 * MB,
    index_rows_per_s: 2_000_000.0,
    check_bytes_per_s: 1500.0 * MB,
    foreign_key_rows_per_s: 8_000_000.0,
};

const MB: f64 = 1024.0 * 1024.0;

/// How long a lock is held, and how that was worked out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockEstimate {
    pub relation: String,
    pub level: LockLevel,
    pub seconds: f64,
    pub how: String,
}

/// The estimate for the statement's strongest lock on a table the target
/// has figures for (`None` without figures, or for a table the migration
/// creates).
pub fn lock_held<'t>(
    facts: &Facts,
    figures: &dyn Fn(&str) -> Option<&'t TableFigures>,
    rates: &Rates,
) -> Option<LockEstimate> {
    let lock = facts
        .locks
        .iter()
        .filter(|l| figures(&l.relation).is_some())
        .max_by_key(|l| l.level)?;
    let f = figures(&lock.relation)?;
    let mut seconds = 0.0;
    let mut how: Vec<String> = Vec::new();
    let works = facts
        .rewrites
        .iter()
        .chain(&facts.scans)
        .filter(|w| w.relation == lock.relation || figures(&w.relation).is_some());
    for w in works {
        let wf = figures(&w.relation).unwrap_or(f);
        let wrows = wf.rows.max(0.0);
        match w.kind {
            WorkKind::Rewrite => {
                let write = wf.table_bytes.max(0) as f64 / rates.rewrite_bytes_per_s;
                let rebuild = wrows * f64::from(wf.indexes) / rates.index_rows_per_s;
                seconds += write + rebuild;
                how.push(format!(
                    "rewrite of {} at ~{:.0} MB/s, then {} index(es) of {} rows at ~{} rows/s",
                    target::bytes(wf.table_bytes),
                    rates.rewrite_bytes_per_s / MB,
                    wf.indexes,
                    target::thousands(wrows),
                    target::thousands(rates.index_rows_per_s)
                ));
            }
            WorkKind::IndexBuild => {
                seconds += wrows / rates.index_rows_per_s;
                how.push(format!(
                    "index build over {} rows at ~{} rows/s",
                    target::thousands(wrows),
                    target::thousands(rates.index_rows_per_s)
                ));
            }
            WorkKind::ForeignKeyCheck => {
                seconds += wrows / rates.foreign_key_rows_per_s;
                how.push(format!(
                    "foreign key check of {} rows at ~{} rows/s",
                    target::thousands(wrows),
                    target::thousands(rates.foreign_key_rows_per_s)
                ));
            }
            WorkKind::RowCheck => {
                seconds += wf.table_bytes.max(0) as f64 / rates.check_bytes_per_s;
                how.push(format!(
                    "check of every row, {} read at ~{:.0} MB/s",
                    target::bytes(wf.table_bytes),
                    rates.check_bytes_per_s / MB
                ));
            }
        }
    }
    if how.is_empty() {
        how.push("catalog change only: milliseconds once the lock is granted".into());
    }
    Some(LockEstimate {
        relation: lock.relation.clone(),
        level: lock.level,
        seconds,
        how: how.join(" + "),
    })
}

/// `0.4 s`, `12 s`, `3 min 20 s`, `1 h 5 min`.
pub fn duration(seconds: f64) -> String {
    if seconds < 0.05 {
        "under 0.1 s".into()
    } else if seconds < 10.0 {
        format!("{seconds:.1} s")
    } else if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7200.0 {
        let s = seconds.round() as u64;
        format!("{} min {} s", s / 60, s % 60)
    } else {
        let m = (seconds / 60.0).round() as u64;
        format!("{} h {} min", m / 60, m % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;
    use crate::{lint, Options};

    fn target(rows: f64, table_bytes: i64, indexes: u32) -> Target {
        let mut t = Target::default();
        t.tables.insert(
            "orders".into(),
            TableFigures {
                rows,
                bytes: table_bytes * 2,
                table_bytes,
                indexes,
                index_bytes: table_bytes,
                writes_per_second: None,
            },
        );
        t
    }

    fn estimate(sql: &str, t: Target) -> Option<LockEstimate> {
        let options = Options {
            target: Some(t),
            ..Options::default()
        };
        lint(sql, &options)
            .ok()?
            .statements
            .last()?
            .lock_estimate
            .clone()
    }

    #[test]
    fn grows_with_the_table_and_the_work() {
        let big = target(10_000_000.0, 1 << 30, 2);
        let rewrite =
            estimate("ALTER TABLE orders ALTER COLUMN v TYPE bigint", big.clone()).unwrap();
        // 1 GiB at 100 MB/s, then 2 indexes of 10M rows at 2M rows/s.
        assert!(
            (rewrite.seconds - (10.24 + 10.0)).abs() < 0.01,
            "{rewrite:?}"
        );
        assert_eq!(rewrite.level, LockLevel::AccessExclusive);
        assert!(
            rewrite.how.starts_with("rewrite of 1.0 GB"),
            "{}",
            rewrite.how
        );
        let check = estimate("ALTER TABLE orders ADD CHECK (v > 0)", big.clone()).unwrap();
        assert!(check.seconds < rewrite.seconds / 10.0, "{check:?}");
        let catalog = estimate("ALTER TABLE orders ADD COLUMN note text", big).unwrap();
        assert_eq!(catalog.seconds, 0.0);
        assert!(catalog.how.starts_with("catalog change only"));
        let empty = estimate(
            "ALTER TABLE orders ALTER COLUMN v TYPE bigint",
            target(0.0, 0, 2),
        )
        .unwrap();
        assert_eq!(empty.seconds, 0.0);
        // A table the migration creates has no figures.
        assert!(estimate(
            "CREATE TABLE orders2 (v int); ALTER TABLE orders2 ALTER COLUMN v TYPE bigint",
            target(1e6, 1 << 20, 1)
        )
        .is_none());
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(0.01), "under 0.1 s");
        assert_eq!(duration(2.345), "2.3 s");
        assert_eq!(duration(45.0), "45 s");
        assert_eq!(duration(200.0), "3 min 20 s");
        assert_eq!(duration(4000.0), "66 min 40 s");
        assert_eq!(duration(9000.0), "2 h 30 min");
    }
}
