//! The static facts against the real server: every statement of every
//! rule's examples is run inside a transaction on a database holding the
//! tables they name, the locks the backend then holds are read from
//! `pg_locks`, the tables whose `relfilenode` changed are the rewrites, and
//! all of it must agree with what `pggit_lint::facts` predicted. Then the
//! transaction is rolled back.

#![allow(clippy::unwrap_used)]

use pggit_lint::{lint, rules, LockLevel, Options};
use pggit_pg::scratch::{test_admin_config, ScratchDb};

const FIXTURE: &str = "
CREATE TABLE customers (id bigint PRIMARY KEY, tier text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, amount numeric(12,2),
                     number text, status text);
CREATE TABLE audit_log (at timestamptz, message text);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE TABLE old_orders (id int);
CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE DOMAIN positive_int AS int;
INSERT INTO customers VALUES (1, 'a');
INSERT INTO orders VALUES (1, 1, 10, '1', 's');
INSERT INTO audit_log VALUES (now(), 'x');
";

fn level(mode: &str) -> Option<LockLevel> {
    Some(match mode {
        "AccessShareLock" => LockLevel::AccessShare,
        "RowShareLock" => LockLevel::RowShare,
        "RowExclusiveLock" => LockLevel::RowExclusive,
        "ShareUpdateExclusiveLock" => LockLevel::ShareUpdateExclusive,
        "ShareLock" => LockLevel::Share,
        "ShareRowExclusiveLock" => LockLevel::ShareRowExclusive,
        "ExclusiveLock" => LockLevel::Exclusive,
        "AccessExclusiveLock" => LockLevel::AccessExclusive,
        _ => return None,
    })
}

/// The relation locks this backend holds, by the names the relations had
/// before the statement (a dropped table is still named).
fn held(
    tx: &mut postgres::Transaction<'_>,
    names: &std::collections::HashMap<u32, String>,
) -> Vec<(String, LockLevel)> {
    tx.query(
        "SELECT l.relation, l.mode FROM pg_locks l
          WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.relation IS NOT NULL",
        &[],
    )
    .unwrap()
    .iter()
    .filter_map(|r| {
        let oid: postgres::types::Oid = r.get(0);
        let mode: String = r.get(1);
        Some((names.get(&oid)?.clone(), level(&mode)?))
    })
    .collect()
}

#[test]
fn static_locks_and_rewrites_agree_with_the_server() {
    let db = ScratchDb::create(&test_admin_config(), "pggit_lint_trace").unwrap();
    let mut c = db.connect().unwrap();
    c.batch_execute(FIXTURE).unwrap();
    let mut checked = 0;
    let mut disagree = Vec::new();
    let mut examples: Vec<&str> = Vec::new();
    for r in rules::all() {
        examples.push(r.bad);
        examples.push(r.good);
    }
    for sql in examples {
        let Ok(report) = lint(sql, &Options::default()) else {
            continue;
        };
        for (k, st) in report.statements.iter().enumerate() {
            let f = &st.facts;
            // Only what runs in a transaction block can be traced there, and
            // only statements that lock a table.
            if !f.transactional || f.locks.is_empty() {
                continue;
            }
            let mut tx = c.transaction().unwrap();
            // The example's earlier statements first (a VALIDATE needs its ADD).
            let replayed = report.statements[..k]
                .iter()
                .filter(|p| {
                    p.facts.transactional && p.facts.intent != pggit_lint::Intent::Transaction
                })
                .all(|p| tx.batch_execute(&p.text).is_ok());
            if !replayed {
                continue;
            }
            let names: std::collections::HashMap<u32, String> = tx
                .query(
                    "SELECT c.oid, c.oid::regclass::text FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace",
                    &[],
                )
                .unwrap()
                .iter()
                .map(|r| (r.get::<_, postgres::types::Oid>(0), r.get(1)))
                .collect();
            let held_before = held(&mut tx, &names);
            let files = |tx: &mut postgres::Transaction<'_>| -> Vec<(String, u32)> {
                tx.query(
                    "SELECT c.oid::regclass::text, c.relfilenode FROM pg_class c
                      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')",
                    &[],
                )
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get::<_, postgres::types::Oid>(1)))
                .collect()
            };
            let before = files(&mut tx);
            // "The table of index X" is the table the catalog names.
            let relation_of = |tx: &mut postgres::Transaction<'_>, name: &str| -> String {
                match name.strip_prefix(pggit_lint::facts::INDEX_TABLE) {
                    Some(index) => tx
                        .query_one(
                            "SELECT indrelid::regclass::text FROM pg_index WHERE indexrelid = to_regclass($1)",
                            &[&index],
                        )
                        .map(|r| r.get(0))
                        .unwrap_or_default(),
                    None => name.to_string(),
                }
            };
            let predicted: Vec<(String, LockLevel)> = f
                .locks
                .iter()
                .map(|l| (relation_of(&mut tx, &l.relation), l.level))
                .collect();
            if let Err(e) = tx.batch_execute(&st.text) {
                // The fixture cannot hold every example's objects; such a
                // statement is not traced, and says why.
                eprintln!(
                    "not traced: {}: {}",
                    st.text,
                    e.as_db_error()
                        .map_or(e.to_string(), |d| d.message().to_string())
                );
                continue;
            }
            let held_after = held(&mut tx, &names);
            for (relation, level) in &predicted {
                let lock = pggit_lint::facts::Lock {
                    relation: relation.clone(),
                    level: *level,
                };
                let strongest = |h: &[(String, LockLevel)]| {
                    h.iter()
                        .filter(|(rel, _)| *rel == lock.relation)
                        .map(|(_, l)| *l)
                        .max()
                };
                // A lock the example's earlier statements already hold at
                // least as strong cannot be seen again.
                if strongest(&held_before).is_some_and(|l| l >= lock.level) {
                    continue;
                }
                let got = strongest(&held_after);
                if got != Some(lock.level) {
                    disagree.push(format!(
                        "{}: predicted {} on {}, the server holds {:?}",
                        st.text,
                        lock.level.name(),
                        lock.relation,
                        got.map(LockLevel::name)
                    ));
                }
            }
            // Strong locks on tables that the prediction does not name.
            for (rel, l) in &held_after {
                let table = before.iter().any(|(r, _)| r == rel);
                let new = !held_before.iter().any(|(r, b)| r == rel && b >= l);
                if table
                    && new
                    && *l >= LockLevel::ShareUpdateExclusive
                    && !predicted.iter().any(|(p, _)| p == rel)
                {
                    disagree.push(format!(
                        "{}: the server holds {} on {rel}, not predicted",
                        st.text,
                        l.name()
                    ));
                }
            }
            // TRUNCATE gives the table a new, empty file: not a rewrite.
            if !st.text.to_lowercase().starts_with("truncate") {
                let after = files(&mut tx);
                let rewritten: Vec<&String> = before
                    .iter()
                    .filter(|(rel, node)| after.iter().any(|(r2, n2)| r2 == rel && n2 != node))
                    .map(|(rel, _)| rel)
                    .collect();
                for rel in &rewritten {
                    if !f.rewrites.iter().any(|w| &&w.relation == rel) {
                        disagree.push(format!("{}: {rel} was rewritten, not predicted", st.text));
                    }
                }
                for w in &f.rewrites {
                    // A type change may be binary-coercible: only a possible rewrite.
                    let maybe = w.reason.contains("binary-coercible");
                    if !maybe && !rewritten.contains(&&w.relation) {
                        disagree.push(format!(
                            "{}: predicted a rewrite of {} ({}), none happened",
                            st.text, w.relation, w.reason
                        ));
                    }
                }
            }
            checked += 1;
            tx.rollback().unwrap();
        }
    }
    assert!(
        disagree.is_empty(),
        "{} disagreement(s):\n{}",
        disagree.len(),
        disagree.join("\n")
    );
    eprintln!("{checked} statements traced");
    assert!(checked >= 30, "only {checked} statements traced");
}

#[test]
fn target_figures_come_from_the_server() {
    let db = ScratchDb::create(&test_admin_config(), "pggit_lint_target").unwrap();
    let mut c = db.connect().unwrap();
    c.batch_execute(
        "CREATE SCHEMA \"Shop\";
         CREATE TABLE \"Shop\".\"Orders\" (id int PRIMARY KEY, v int);
         INSERT INTO \"Shop\".\"Orders\" SELECT g, g FROM generate_series(1, 5000) g;
         CREATE TABLE empty (id int);
         CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
         CREATE TABLE events_a PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
         CREATE TABLE events_b PARTITION OF events FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
         INSERT INTO events SELECT g, DATE '2020-01-01' + (g % 700) FROM generate_series(1, 3000) g;
         ANALYZE events;",
    )
    .unwrap();
    // Another session's transaction, open for a while.
    let mut other = db.connect().unwrap();
    let mut held = other.transaction().unwrap();
    let pid: i32 = held
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    std::thread::sleep(std::time::Duration::from_millis(700));
    let names: Vec<String> = vec![
        "Shop.Orders".into(),
        format!("{}Shop.Orders_pkey", pggit_lint::facts::INDEX_TABLE),
        "empty".into(),
        "created_by_the_migration".into(),
        "events".into(),
    ];
    let t = pggit_pg::lint_target::read(&mut c, &names, 0.5).unwrap();
    held.rollback().unwrap();
    // Never analysed: counted exactly.
    assert_eq!(t.tables["Shop.Orders"].rows, 5000.0);
    assert!(t.tables["Shop.Orders"].bytes > 0);
    assert_eq!(t.tables[&names[1]].rows, 5000.0, "the index's table");
    assert_eq!(t.tables["empty"].rows, 0.0);
    // A partitioned table's figures are its partitions'.
    assert_eq!(t.tables["events"].rows, 3000.0);
    assert!(t.tables["events"].bytes > 0);
    assert!(!t.tables.contains_key("created_by_the_migration"));
    let mine = t.long_transactions.iter().find(|x| x.pid == pid);
    assert!(
        mine.is_some_and(|x| x.seconds >= 0.5),
        "{:?}",
        t.long_transactions
    );
    assert!((13..=18).contains(&t.version));
    // Graded by it: the same rewrite risks more on the table with rows.
    let sql = "ALTER TABLE \"Shop\".\"Orders\" ALTER COLUMN v TYPE bigint;\nALTER TABLE empty ALTER COLUMN id TYPE bigint;";
    let r = lint(
        sql,
        &Options {
            target: Some(t),
            ..Options::default()
        },
    )
    .unwrap();
    let (a, b) = (&r.statements[0].risk, &r.statements[1].risk);
    assert!(a.score > b.score, "{a:?}\n{b:?}");
    assert!(
        a.factors
            .iter()
            .any(|f| f.what.starts_with("Shop.Orders on the target: 5,000 rows")),
        "{a:?}"
    );
    assert!(
        b.factors
            .iter()
            .any(|f| f.what.contains("(empty on the target)")),
        "{b:?}"
    );
}
