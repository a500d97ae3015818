//! `pggit lint --db` estimates how long a statement holds its lock; this
//! checks the estimates against the server. Tables of several sizes are
//! built, each risky statement is run alone in a transaction (rolled back)
//! and timed — its lock is held from its start to the end of its
//! transaction — and the estimate made from the figures `lint --db` reads
//! is printed beside it.
//!
//! Run: `cargo bench -p pggit-cli --bench lock_estimates` (uses
//! PGGIT_TEST_URL or the local server; `PGGIT_BENCH_ROWS=10000,100000`
//! picks the sizes, default 10,000, 100,000 and 1,000,000). Prints a
//! Markdown table.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use pggit::pg::scratch::{test_admin_config, ScratchDb};

const STATEMENTS: &[(&str, &str)] = &[
    (
        "type change (rewrite)",
        "ALTER TABLE t ALTER COLUMN v TYPE bigint",
    ),
    (
        "volatile default (rewrite)",
        "ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid()",
    ),
    (
        "CHECK",
        "ALTER TABLE t ADD CONSTRAINT v_positive CHECK (v >= 0)",
    ),
    ("SET NOT NULL", "ALTER TABLE t ALTER COLUMN s SET NOT NULL"),
    ("CREATE INDEX", "CREATE INDEX t_s ON t (s)"),
    (
        "foreign key",
        "ALTER TABLE t ADD FOREIGN KEY (ref) REFERENCES r (id)",
    ),
    ("UNIQUE", "ALTER TABLE t ADD UNIQUE (id, v)"),
];

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let sizes: Vec<u64> = std::env::var("PGGIT_BENCH_ROWS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000]);
    println!("| rows | table size | statement | estimated | measured | estimate / measured |");
    println!("|---:|---:|---|---:|---:|---:|");
    let mut ratios = Vec::new();
    for rows in sizes {
        let db = ScratchDb::create(&test_admin_config(), "pggit_bench_estimates").unwrap();
        let mut c = db.connect().unwrap();
        c.batch_execute(&format!(
            "CREATE TABLE r (id bigint PRIMARY KEY);
             INSERT INTO r SELECT g FROM generate_series(1, 1000) g;
             CREATE TABLE t (id bigint PRIMARY KEY, v int, s text, ref bigint, at timestamptz DEFAULT now());
             INSERT INTO t (id, v, s, ref) SELECT g, g % 100000, md5(g::text), 1 + g % 1000 FROM generate_series(1, {rows}) g;
             CREATE INDEX t_v ON t (v);"
        ))
        .unwrap();
        c.batch_execute("VACUUM ANALYZE t").unwrap();
        c.batch_execute("VACUUM ANALYZE r").unwrap();
        let names: Vec<String> = vec!["t".into(), "r".into()];
        let target = pggit::pg::lint_target::read(&mut c, &names, 3600.0).unwrap();
        let size = pggit_lint::target::bytes(target.tables["t"].bytes);
        for (what, sql) in STATEMENTS {
            let report = pggit_lint::lint(
                sql,
                &pggit_lint::Options {
                    target: Some(target.clone()),
                    lock_timeout_set: true,
                    ..Default::default()
                },
            )
            .unwrap();
            let estimate = report.statements[0]
                .lock_estimate
                .as_ref()
                .map(|e| e.seconds)
                .unwrap_or(f64::NAN);
            let measured = median(
                (0..3)
                    .map(|_| {
                        let mut tx = c.transaction().unwrap();
                        let t = Instant::now();
                        tx.batch_execute(sql).unwrap();
                        let d = t.elapsed();
                        tx.rollback().unwrap();
                        d
                    })
                    .collect(),
            )
            .as_secs_f64();
            let ratio = estimate / measured;
            ratios.push(ratio);
            println!(
                "| {} | {size} | {what} | {:.3} s | {:.3} s | {ratio:.2} |",
                pggit_lint::target::thousands(rows as f64),
                estimate,
                measured
            );
        }
    }
    let logs: Vec<f64> = ratios
        .iter()
        .filter(|r| r.is_finite() && **r > 0.0)
        .map(|r| r.ln())
        .collect();
    let geo = (logs.iter().sum::<f64>() / logs.len().max(1) as f64).exp();
    let within = ratios.iter().filter(|r| (0.5..=2.0).contains(*r)).count();
    println!(
        "\ngeometric mean of estimate/measured: {geo:.2}; within a factor of 2: {within} of {}",
        ratios.len()
    );
}
