//! `pggit lint --fix` against the real server: each rewrite and the
//! original are run on two databases holding the same tables and rows, and
//! must leave the same schema (`pg_dump --schema-only`); and the rewrite
//! must read the table's rows only under locks that let writes through,
//! where the original read them (or held the table) under a stronger one.
//! Locks are read from `pg_locks` by a second connection while a third one
//! holds the table, so every statement's request is seen, including those
//! that cannot run in a transaction block; scans are counted by the
//! server (`pg_stat_get_xact_numscans`).

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use pggit_lint::{fix, lint, rules, source, LockLevel, Options};
use pggit_pg::scratch::{pg_dump_program, test_admin_config, ScratchDb};

const SETUP: &str = r#"
CREATE TABLE customers (id bigint PRIMARY KEY, tier text);
CREATE TABLE orders (id bigint, customer_id bigint, amount numeric(12,2), status text, number text);
INSERT INTO customers SELECT g, 'a' FROM generate_series(1, 1000) g;
INSERT INTO orders SELECT g, 1 + g % 1000, g, 'new', g::text FROM generate_series(1, 20000) g;
CREATE INDEX old_idx ON orders (amount);
CREATE TABLE "a""; drop table x; --" (id bigint, "ünï ""cödé""" text, ref bigint);
INSERT INTO "a""; drop table x; --" SELECT g, 'x', 1 FROM generate_series(1, 500) g;
CREATE TABLE measurements (id bigint, at int) PARTITION BY RANGE (at);
CREATE TABLE measurements_1 PARTITION OF measurements FOR VALUES FROM (0) TO (100);
CREATE TABLE measurements_2 PARTITION OF measurements FOR VALUES FROM (100) TO (200);
INSERT INTO measurements SELECT g, g % 200 FROM generate_series(1, 30000) g;
"#;

/// (name, table whose locks are compared, migration).
const CASES: &[(&str, &str, &str)] = &[
    ("create index", "orders", "CREATE INDEX orders_status ON orders (status);"),
    ("drop index", "orders", "DROP INDEX old_idx;"),
    ("reindex", "orders", "REINDEX INDEX old_idx;"),
    (
        "foreign key",
        "orders",
        "ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);",
    ),
    (
        "named check",
        "orders",
        "ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0);",
    ),
    ("unnamed check", "orders", "ALTER TABLE orders ADD CHECK (amount >= 0 AND id > 0);"),
    ("set not null", "orders", "ALTER TABLE orders ALTER COLUMN status SET NOT NULL;"),
    ("unique", "orders", "ALTER TABLE orders ADD UNIQUE (number);"),
    ("primary key", "orders", "ALTER TABLE public.orders ADD PRIMARY KEY (id);"),
    (
        "volatile default",
        "orders",
        "ALTER TABLE orders ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();",
    ),
    (
        "volatile default on a partitioned table",
        "measurements_1",
        "ALTER TABLE measurements ADD COLUMN u uuid DEFAULT gen_random_uuid();",
    ),
    (
        "several in one statement",
        "orders",
        "ALTER TABLE orders ADD COLUMN note text, ADD CONSTRAINT amount_positive CHECK (amount > 0), ALTER COLUMN status SET NOT NULL;",
    ),
    (
        "hostile names",
        "\"a\"\"; drop table x; --\"",
        r#"ALTER TABLE "a""; drop table x; --" ALTER COLUMN "ünï ""cödé""" SET NOT NULL;
ALTER TABLE "a""; drop table x; --" ADD PRIMARY KEY (id);
ALTER TABLE "a""; drop table x; --" ADD FOREIGN KEY (ref) REFERENCES customers (id);
ALTER TABLE "a""; drop table x; --" ADD COLUMN "ünï" double precision DEFAULT random();"#,
    ),
];

/// A migration as a team writes it: one transaction, several changes.
const IN_A_TRANSACTION: &str = "-- 0042_orders.sql
BEGIN;
CREATE INDEX orders_status ON orders (status);
ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0), ADD COLUMN note text;
ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
ALTER TABLE orders ADD UNIQUE (number);
ALTER TABLE orders ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();
DROP INDEX old_idx;
COMMIT;
";

fn run_file(c: &mut postgres::Client, sql: &str) {
    for s in source::parse(sql).unwrap().statements {
        c.batch_execute(&s.text)
            .unwrap_or_else(|e| panic!("{e:?}\nrunning: {}", s.text));
    }
}

fn dump(db: &ScratchDb) -> String {
    let admin = test_admin_config();
    let mut cmd = std::process::Command::new(pg_dump_program(&admin));
    cmd.arg("--schema-only")
        .arg("--no-owner")
        .arg("-d")
        .arg(&db.name);
    if let Some(postgres::config::Host::Tcp(h)) = admin.get_hosts().first() {
        cmd.arg("-h").arg(h);
    }
    if let Some(p) = admin.get_ports().first() {
        cmd.arg("-p").arg(p.to_string());
    }
    if let Some(u) = admin.get_user() {
        cmd.arg("-U").arg(u);
    }
    if let Some(pw) = admin.get_password() {
        cmd.env("PGPASSWORD", String::from_utf8_lossy(pw).to_string());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| {
            !l.starts_with("--") && !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What one statement did to `table`: the lock it asked for (first), and
/// whether it scanned the table (`None`: it cannot run in a transaction
/// block, so it is counted as scanning).
#[derive(Debug)]
struct Seen {
    #[allow(dead_code)] // shown in failure messages
    sql: String,
    lock: Option<LockLevel>,
    scanned: bool,
}

/// Run `sql` statement by statement on `c`, recording what each did to
/// `table`.
fn observe(db: &ScratchDb, c: &mut postgres::Client, table: &str, sql: &str) -> Vec<Seen> {
    let mut watcher = db.connect().unwrap();
    let mut holder = db.connect().unwrap();
    let pid: i32 = c.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let mut seen = Vec::new();
    for s in source::parse(sql).unwrap().statements {
        // 1. In a transaction rolled back: did it scan the table? (The
        // counter also holds this session's earlier, unreported scans.)
        let scans = format!(
            "SELECT pg_stat_get_xact_numscans('{}'::regclass)",
            table.replace('\'', "''")
        );
        c.batch_execute("BEGIN").unwrap();
        let before: i64 = c.query_one(&scans, &[]).unwrap().get(0);
        let scanned = match c.batch_execute(&s.text) {
            Ok(()) => c.query_one(&scans, &[]).unwrap().get::<_, i64>(0) > before,
            // It cannot run in a transaction block: counted as scanning.
            Err(_) => true,
        };
        c.batch_execute("ROLLBACK").unwrap();
        // 2. For real, while another session holds the table: the lock it
        // waits for is the lock it takes.
        holder
            .batch_execute(&format!(
                "BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
            ))
            .unwrap();
        let lock = std::thread::scope(|scope| {
            let h = scope.spawn(|| c.batch_execute(&s.text));
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut lock = None;
            while !h.is_finished() && Instant::now() < deadline {
                let row = watcher
                    .query_opt(
                        &format!(
                            "SELECT mode FROM pg_locks WHERE pid = $1 AND NOT granted AND relation = '{}'::regclass",
                            table.replace('\'', "''")
                        ),
                        &[&pid],
                    )
                    .unwrap();
                if let Some(r) = row {
                    lock = pggit_pg::lint_trace::level(&r.get::<_, String>(0));
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            holder.batch_execute("ROLLBACK").unwrap();
            h.join()
                .unwrap()
                .unwrap_or_else(|e| panic!("{e:?}\nrunning: {}", s.text));
            lock
        });
        seen.push(Seen {
            sql: s.text.clone(),
            lock,
            scanned,
        });
    }
    seen
}

fn scan_lock(seen: &[Seen]) -> Option<LockLevel> {
    seen.iter()
        .filter(|s| s.scanned)
        .filter_map(|s| s.lock)
        .max()
}

fn strongest(seen: &[Seen]) -> Option<LockLevel> {
    seen.iter().filter_map(|s| s.lock).max()
}

#[test]
fn every_rewrite_leaves_the_same_schema_and_reads_rows_only_under_weaker_locks() {
    let admin = test_admin_config();
    let mut failures = Vec::new();
    for (name, table, sql) in CASES {
        let fixed = fix(sql, &Options::default()).unwrap();
        assert!(!fixed.applied.is_empty(), "{name}: nothing rewritten");
        let a = ScratchDb::create(&admin, "pggit_fix_a").unwrap();
        let b = ScratchDb::create(&admin, "pggit_fix_b").unwrap();
        let mut ca = a.connect().unwrap();
        let mut cb = b.connect().unwrap();
        ca.batch_execute(SETUP).unwrap();
        cb.batch_execute(SETUP).unwrap();
        let before = observe(&a, &mut ca, table, sql);
        let after = observe(&b, &mut cb, table, &fixed.sql);
        let (da, db) = (dump(&a), dump(&b));
        if da != db {
            failures.push(format!(
                "{name}: the schemas differ\n--- original\n{da}\n--- rewrite\n{db}\n--- rewrite SQL\n{}",
                fixed.sql
            ));
        }
        // The rewrite reads rows only under locks that let writes through.
        let fixed_scan = scan_lock(&after);
        if fixed_scan.is_some_and(|l| l > LockLevel::ShareUpdateExclusive) {
            failures.push(format!(
                "{name}: the rewrite reads rows under {fixed_scan:?}: {after:#?}"
            ));
        }
        // The original did not (or held the table more strongly).
        let original_scan = scan_lock(&before);
        let weaker = original_scan.is_some_and(|l| l >= LockLevel::Share)
            || strongest(&before) > strongest(&after);
        if !weaker {
            failures.push(format!(
                "{name}: the original is no worse\n{before:#?}\n{after:#?}"
            ));
        }
        // Backfilled rows are all filled, partitions' too.
        for (marker, check) in [
            (
                "ADD COLUMN token",
                "SELECT count(*) FROM orders WHERE token IS NULL",
            ),
            (
                "ADD COLUMN u ",
                "SELECT count(*) FROM measurements WHERE u IS NULL",
            ),
        ] {
            if sql.contains(marker) {
                let nulls: i64 = cb.query_one(check, &[]).unwrap().get(0);
                assert_eq!(nulls, 0, "{name}: rows left unfilled");
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_transaction_keeps_what_it_can_and_the_rest_runs_after_its_commit() {
    let admin = test_admin_config();
    for assume in [false, true] {
        let options = Options {
            assume_in_transaction: assume,
            ..Options::default()
        };
        let text = if assume {
            IN_A_TRANSACTION
                .replace("BEGIN;\n", "")
                .replace("COMMIT;\n", "")
        } else {
            IN_A_TRANSACTION.to_string()
        };
        let fixed = fix(&text, &options).unwrap();
        let a = ScratchDb::create(&admin, "pggit_fix_a").unwrap();
        let b = ScratchDb::create(&admin, "pggit_fix_b").unwrap();
        let mut ca = a.connect().unwrap();
        let mut cb = b.connect().unwrap();
        ca.batch_execute(SETUP).unwrap();
        cb.batch_execute(SETUP).unwrap();
        if assume {
            // The tool's transaction, then the separate migration after it.
            ca.batch_execute(&format!("BEGIN; {text} COMMIT;")).unwrap();
            let (inside, outside) = fixed
                .sql
                .split_once("-- pggit lint --fix: the statements below")
                .unwrap();
            let mut tx = cb.transaction().unwrap();
            for s in source::parse(inside).unwrap().statements {
                tx.batch_execute(&s.text).unwrap();
            }
            tx.commit().unwrap();
            // Timeouts end with the tool's transaction, and the separate
            // migration after it sets its own.
            assert!(inside.contains("SET LOCAL lock_timeout"), "{}", fixed.sql);
            assert!(outside.contains("\nSET lock_timeout"), "{}", fixed.sql);
            let outside = outside.split_once('\n').map_or("", |(_, rest)| rest);
            run_file(&mut cb, outside);
        } else {
            run_file(&mut ca, &text);
            run_file(&mut cb, &fixed.sql);
        }
        assert_eq!(dump(&a), dump(&b), "{}", fixed.sql);
        // Nothing the rewrite answers is found in it again.
        let again = lint(&fixed.sql, &options).unwrap();
        let answered: Vec<&str> = fixed.applied.iter().map(|a| a.rule).collect();
        let left: Vec<_> = again
            .findings
            .iter()
            .filter(|f| answered.contains(&f.rule))
            .map(|f| (f.rule, f.line, f.message.clone()))
            .collect();
        assert!(left.is_empty(), "{left:#?}\n{}", fixed.sql);
    }
}

#[test]
fn the_rewrite_of_a_transaction_reads_as_expected() {
    let fixed = fix(IN_A_TRANSACTION, &Options::default()).unwrap();
    let mut shown = fixed.sql.clone();
    shown.push_str("\n-- applied:\n");
    for a in &fixed.applied {
        shown.push_str(&format!("-- {:?} {}: {}\n", a.statement, a.rule, a.what));
    }
    for u in &fixed.unfixed {
        shown.push_str(&format!(
            "-- left {:?} {}: {}\n",
            u.statement, u.rule, u.message
        ));
    }
    insta::assert_snapshot!(shown);
}

/// For every rule's bad example: a second `--fix` finds nothing more to
/// rewrite, and the rewrite no longer has the findings it answered.
#[test]
fn rewrites_are_complete_and_stable() {
    let mut failures = Vec::new();
    for r in rules::all() {
        let options = Options::default();
        let Ok(fixed) = fix(r.bad, &options) else {
            continue;
        };
        if fixed.applied.is_empty() {
            continue;
        }
        let again = fix(&fixed.sql, &options).unwrap();
        if !again.applied.is_empty() {
            failures.push(format!(
                "{}: a second --fix rewrote {:?}\n{}",
                r.id, again.applied, fixed.sql
            ));
        }
        let answered: Vec<&str> = fixed.applied.iter().map(|a| a.rule).collect();
        for f in lint(&fixed.sql, &options).unwrap().findings {
            if answered.contains(&f.rule) {
                failures.push(format!(
                    "{}: {} still found in\n{}",
                    r.id, f.rule, fixed.sql
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Unnamed constraints get the names PostgreSQL itself picks, also for
/// names cut at 63 bytes in the middle of a multibyte character.
#[test]
fn constraint_names_are_the_servers() {
    let db = ScratchDb::create(&test_admin_config(), "pggit_fix_names").unwrap();
    let mut c = db.connect().unwrap();
    let long = "ë".repeat(30); // 60 bytes
    let tables = [
        ("t", "c"),
        (long.as_str(), "c"),
        ("t2", long.as_str()),
        (&*format!("x{long}"), &*format!("y{long}")),
    ];
    c.batch_execute("CREATE TABLE ref (id int PRIMARY KEY)")
        .unwrap();
    for (i, (t, col)) in tables.iter().enumerate() {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let (t, col) = (q(t), q(col));
        let migration = format!(
            "ALTER TABLE {t} ADD FOREIGN KEY ({col}) REFERENCES ref (id);
ALTER TABLE {t} ADD CHECK ({col} > 0);
ALTER TABLE {t} ADD CHECK ({col} > 0 AND other > 0);
ALTER TABLE {t} ADD UNIQUE ({col}, other);
ALTER TABLE {t} ADD PRIMARY KEY ({col});"
        );
        c.batch_execute(&format!("CREATE TABLE {t} ({col} int, other int)"))
            .unwrap();
        let fixed = fix(&migration, &Options::default()).unwrap();
        c.batch_execute(&migration).unwrap();
        let names: Vec<String> = c
            .query(
                &format!("SELECT conname::text FROM pg_constraint WHERE conrelid = '{}'::regclass ORDER BY 1", t.replace('\'', "''")),
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        for n in &names {
            let quoted = n.replace('"', "\"\"");
            assert!(
                fixed.sql.contains(n.as_str()) || fixed.sql.contains(&quoted),
                "case {i}: the server named a constraint {n}, the rewrite does not\n{}",
                fixed.sql
            );
        }
        assert_eq!(names.len(), 5, "{names:?}");
    }
}

/// Edge cases of where the rewrite goes: the output always parses, moved
/// work is not needed inside the block, and what a ROLLBACK discards is
/// not done after it.
#[test]
fn moved_work_respects_the_block() {
    let o = Options::default();
    // One line: the note must not comment out the COMMIT.
    let f = fix("BEGIN; CREATE INDEX i ON t (a); COMMIT;", &o).unwrap();
    let parsed = source::parse(&f.sql).unwrap();
    let texts: Vec<&str> = parsed.statements.iter().map(|s| s.text.as_str()).collect();
    let commit = texts.iter().position(|t| *t == "COMMIT").unwrap();
    let cic = texts
        .iter()
        .position(|t| t.starts_with("CREATE INDEX CONCURRENTLY"))
        .unwrap();
    assert!(commit < cic, "{}", f.sql);
    // A comment between a statement and its semicolon.
    let f = fix(
        "BEGIN;\nCREATE INDEX i ON t (a) /* why:\n   x */;\nCOMMIT;\n",
        &o,
    )
    .unwrap();
    assert!(source::parse(&f.sql).is_ok(), "{}", f.sql);
    // The block uses the index: the build stays where it is.
    let sql = "BEGIN;\nCREATE INDEX i ON t (a);\nALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX i;\nCOMMIT;\n";
    let f = fix(sql, &o).unwrap();
    assert!(!f.sql.contains("CONCURRENTLY"), "{}", f.sql);
    assert!(f
        .unfixed
        .iter()
        .any(|u| u.rule == "require-concurrent-index-creation"));
    // The block reads the new column: no backfill after it.
    let sql = "BEGIN;\nALTER TABLE t ADD COLUMN k uuid DEFAULT gen_random_uuid();\nUPDATE t SET ref = k WHERE id = 1;\nCOMMIT;\n";
    assert!(!fix(sql, &o).unwrap().sql.contains("pggit_backfill"));
    // Rolled back: nothing to do after it.
    let f = fix("BEGIN;\nCREATE INDEX i ON t (a);\nROLLBACK;\n", &o).unwrap();
    assert!(!f.sql.contains("CONCURRENTLY"), "{}", f.sql);
    // A volatile default on a column with its own key is not rewritten
    // (the key could not wait for the backfill).
    let f = fix(
        "ALTER TABLE t ADD COLUMN id uuid PRIMARY KEY DEFAULT gen_random_uuid();",
        &o,
    )
    .unwrap();
    assert!(!f.sql.contains("pggit_backfill"), "{}", f.sql);
}
