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
    /// The table's own data (`pg_table_size`: heap and TOAST).
    pub table_bytes: i64,
    /// Its indexes: how many, and their size.
    pub indexes: u32,
    pub index_bytes: i64,
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

/// A replication slot on the target: WAL is kept until its consumer has
/// it, so a rewrite's WAL piles up behind a slow or idle one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplicationSlot {
    pub name: String,
    /// `physical` or `logical`.
    pub kind: String,
    pub active: bool,
    /// WAL the slot holds back now (bytes behind the current position).
    pub retained_bytes: i64,
}

/// The target's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Target {
    /// By the name the migration uses (`orders`, `shop.orders`, or "the
    /// table of index X").
    pub tables: HashMap<String, TableFigures>,
    pub long_transactions: Vec<OpenTransaction>,
    pub replication_slots: Vec<ReplicationSlot>,
    /// Server major version.
    pub version: u32,
}

/// `1,234,567`.
pub fn thousands(n: f64) -> String {
    let digits: Vec<char> = (n.max(0.0).round() as u64).to_string().chars().collect();
    let groups: Vec<String> = digits
        .rchunks(3)
        .rev()
        .map(|g| g.iter().collect())
        .collect();
    groups.join(",")
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

#[cfg(test)]
mod tests {
    #[test]
    fn figures_read_well() {
        assert_eq!(super::thousands(0.0), "0");
        assert_eq!(super::thousands(999.0), "999");
        assert_eq!(super::thousands(1000.0), "1,000");
        assert_eq!(super::thousands(1234567.4), "1,234,567");
        assert_eq!(super::bytes(512), "512 bytes");
        assert_eq!(super::bytes(1536), "1.5 kB");
        assert_eq!(super::bytes(5 * 1024 * 1024 * 1024), "5.0 GB");
    }
}
