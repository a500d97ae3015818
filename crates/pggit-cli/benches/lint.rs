//! `pggit lint` against the real squawk, in one run: which findings each
//! produces on the corpus (`crates/pggit-lint/corpus`, migrations as teams
//! write them), and throughput on a 10,000-statement file.
//!
//! Needs squawk: `pip install squawk-cli`, then `PGGIT_SQUAWK=/path/to/squawk`
//! (default: `squawk` on the PATH). Run: `cargo bench -p pggit-cli --bench lint`.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pggit-lint/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files
}

/// (line of the statement, rule) of pggit's findings, and the first line
/// of each statement.
fn ours(file: &Path) -> (BTreeSet<(u64, String)>, Vec<u64>) {
    let out = Command::new(env!("CARGO_BIN_EXE_pggit"))
        .args(["lint", "--json", "--fail-on", "none"])
        .arg(file)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let starts = doc[0]["statements"]
        .as_array()
        .map(|a| a.iter().map(|s| s["line"].as_u64().unwrap_or(0)).collect())
        .unwrap_or_default();
    let found = doc[0]["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["line"].as_u64().unwrap_or(0),
                        f["rule"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (found, starts)
}

/// The first line of the statement that holds `line` (squawk points into
/// a statement, at the column definition say; pggit at its start).
fn statement_line(starts: &[u64], line: u64) -> u64 {
    starts
        .iter()
        .rev()
        .find(|s| **s <= line)
        .copied()
        .unwrap_or(line)
}

/// (line, rule) of squawk's findings (its lines are 0-based).
fn theirs(squawk: &str, file: &Path) -> BTreeSet<(u64, String)> {
    let out = Command::new(squawk)
        .args(["--reporter", "json"])
        .arg(file)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    doc.as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["line"].as_u64().unwrap_or(0) + 1,
                        f["rule_name"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(cmd: &mut dyn FnMut() -> Command) -> Duration {
    median(
        (0..3)
            .map(|_| {
                let mut c = cmd();
                let t = Instant::now();
                let out = c.output().unwrap();
                let d = t.elapsed();
                assert!(out.status.code().is_some(), "{c:?} was killed");
                d
            })
            .collect(),
    )
}

fn main() {
    let squawk = std::env::var("PGGIT_SQUAWK").unwrap_or_else(|_| "squawk".into());
    let version = Command::new(&squawk).arg("--version").output();
    let Ok(version) = version else {
        eprintln!("squawk not found (pip install squawk-cli, then PGGIT_SQUAWK=/path/to/squawk)");
        std::process::exit(1);
    };
    println!("{}", String::from_utf8_lossy(&version.stdout).trim());
    let mut per_rule: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut only_theirs = Vec::new();
    let mut statements = 0;
    println!("\n| file:line | pggit | squawk |\n|---|---|---|");
    for file in corpus() {
        let text = std::fs::read_to_string(&file).unwrap();
        statements += text.matches(';').count();
        let (a, starts) = ours(&file);
        let b: BTreeSet<(u64, String)> = theirs(&squawk, &file)
            .into_iter()
            .map(|(l, r)| (statement_line(&starts, l), r))
            .collect();
        let lines: BTreeSet<u64> = a.iter().chain(&b).map(|(l, _)| *l).collect();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        for line in lines {
            let pick = |s: &BTreeSet<(u64, String)>| -> Vec<String> {
                s.iter()
                    .filter(|(l, _)| *l == line)
                    .map(|(_, r)| r.clone())
                    .collect()
            };
            let (ra, rb) = (pick(&a), pick(&b));
            for r in &ra {
                per_rule.entry(r.clone()).or_default().0 += 1;
            }
            for r in &rb {
                per_rule.entry(r.clone()).or_default().1 += 1;
                if !ra.contains(r) {
                    only_theirs.push(format!("{name}:{line} {r}"));
                }
            }
            println!("| {name}:{line} | {} | {} |", ra.join(", "), rb.join(", "));
        }
    }
    println!("\ncorpus: {statements} statements");
    println!("\n| rule | pggit | squawk |\n|---|---|---|");
    for (rule, (a, b)) in &per_rule {
        println!("| `{rule}` | {a} | {b} |");
    }
    println!(
        "\nsquawk findings pggit does not make (same rule id, same statement): {}",
        only_theirs.len()
    );
    for o in &only_theirs {
        println!("- {o}");
    }

    // Throughput: the corpus's statements (no psql commands, no
    // transaction blocks) repeated to at least 10,000.
    let mut body = String::new();
    let mut n = 0;
    while n < 10_000 {
        for file in corpus() {
            for line in std::fs::read_to_string(&file).unwrap().lines() {
                let t = line.trim();
                if t.starts_with('\\') || t == "BEGIN;" || t == "COMMIT;" {
                    continue;
                }
                n += t.matches(';').count();
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    let big = std::env::temp_dir().join(format!("pggit-lint-bench-{}.sql", std::process::id()));
    std::fs::write(&big, &body).unwrap();
    let ours_t = time(&mut || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pggit"));
        c.args(["lint", "--fail-on", "none", "--format", "json"])
            .arg(&big);
        c
    });
    let theirs_t = time(&mut || {
        let mut c = Command::new(&squawk);
        c.args(["--reporter", "json"]).arg(&big);
        c
    });
    let _ = std::fs::remove_file(&big);

    // Data-aware: a 100-statement migration against a 1,000-table schema,
    // whole `pggit --db URL lint` processes.
    let admin = pggit::pg::scratch::test_admin_config();
    let db = pggit::pg::scratch::ScratchDb::create(&admin, "pggit_bench_lint").unwrap();
    let mut c = db.connect().unwrap();
    let schema: String = (0..1000)
        .map(|i| {
            format!(
                "CREATE TABLE public.t{i} (id int PRIMARY KEY, v text, n int);
                 INSERT INTO public.t{i} SELECT g, 'x', g FROM generate_series(1, {}) g;",
                (i * 37) % 500
            )
        })
        .collect();
    c.batch_execute(&schema).unwrap();
    c.batch_execute("ANALYZE").unwrap();
    let migration: String = (0..100)
        .map(|k| {
            let t = (k * 7919) % 1000;
            match k % 4 {
                0 => format!("ALTER TABLE public.t{t} ADD COLUMN c{k} int;\n"),
                1 => format!("CREATE INDEX t{t}_n{k} ON public.t{t} (n);\n"),
                2 => format!("ALTER TABLE public.t{t} ALTER COLUMN n TYPE bigint;\n"),
                _ => format!("ALTER TABLE public.t{t} ADD CONSTRAINT c{k} CHECK (n > 0);\n"),
            }
        })
        .collect();
    let file = std::env::temp_dir().join(format!("pggit-lint-bench-db-{}.sql", std::process::id()));
    std::fs::write(&file, &migration).unwrap();
    let url = pggit::pg::connect::url(&db.config);
    let with_db = time(&mut || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pggit"));
        c.args([
            "--db",
            &url,
            "lint",
            "--fail-on",
            "none",
            "--format",
            "json",
        ])
        .arg(&file);
        c
    });
    let without = time(&mut || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pggit"));
        c.args(["lint", "--fail-on", "none", "--format", "json"])
            .arg(&file);
        c
    });
    let _ = std::fs::remove_file(&file);
    drop(db);
    println!(
        "\ndata-aware lint, 100 statements against 1,000 tables (0-499 rows each), median of 3 whole processes: with --db {:.0} ms, without {:.0} ms (goal: under 1 s)",
        with_db.as_secs_f64() * 1000.0,
        without.as_secs_f64() * 1000.0
    );
    println!(
        "\nthroughput, {n} statements ({} bytes), median of 3 whole processes, JSON output: pggit {:.0} ms ({:.0} statements/s), squawk {:.0} ms ({:.0} statements/s)",
        body.len(),
        ours_t.as_secs_f64() * 1000.0,
        n as f64 / ours_t.as_secs_f64(),
        theirs_t.as_secs_f64() * 1000.0,
        n as f64 / theirs_t.as_secs_f64()
    );
}
