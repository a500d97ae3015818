//! What the target database tells about the tables a migration touches:
//! their rows, size and write traffic, and what could hold up its locks
//! (long-open transactions). Filled by the PostgreSQL layer
//! (`pggit_pg::lint_target`); the risk score grades by it.

use std::collections::HashMap;

use serde::Serialize;

/// One table's figures on the target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableFigures {
    /// The planner's row estimate (`pg_class.reltuples`), or the exact
    /// count of a table under 10,000 pages.
    pub rows: f64,
    /// Table, indexes and TOAST (`pg_total_relation_size`).
    pub bytes: i64,
    /// Rows inserted, updated and deleted per second since the statistics
    /// were reset (or the server started), if known.
    pub writes_per_second: Option<f64>,
}

/// A transaction open on the target for a while: a lock request queues
/// behind it, and everything else queues behind the request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenTransaction {
    pub pid: i32,
    pub seconds: f64,
    pub state: String,
}

/// The target's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Target {
    /// By the name the migration uses (`orders`, `shop.orders`, or "the
    /// table of index X").
    pub tables: HashMap<String, TableFigures>,
    pub long_transactions: Vec<OpenTransaction>,
    /// Server major version.
    pub version: u32,
}

/// `1,234,567`.
pub fn thousands(n: f64) -> String {
    let n = n.max(0.0).round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `12.3 MB`.
pub fn bytes(b: i64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB"];
    let mut v = b.max(0) as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} bytes")
    } else {
        format!("{v:.1} {}", units[u])
    }
}
