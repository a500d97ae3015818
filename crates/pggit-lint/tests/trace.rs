//! The static facts against the real server, through trace mode
//! (`pggit_pg::lint_trace`): every statement of every rule's examples is
//! run inside a transaction on a database holding the tables they name, the
//! locks the backend then holds are read from `pg_locks`, the tables whose
//! `relfilenode` changed are the rewrites, and all of it must agree with
//! what `pggit_lint::facts` predicted. Then the transaction is rolled back.

#![allow(clippy::unwrap_used)]

use pggit_lint::{lint, rules, LockLevel, Options};
use pggit_pg::lint_trace::{trace, Outcome};
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
CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER orders_audit AFTER UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION audit();
CREATE POLICY orders_tenant ON orders USING (true);
CREATE VIEW order_totals AS SELECT customer_id, count(*) FROM orders GROUP BY 1;
CREATE TYPE order_state AS ENUM ('new', 'paid');
CREATE SEQUENCE orders_id_seq;
INSERT INTO customers VALUES (1, 'a');
INSERT INTO orders VALUES (1, 1, 10, '1', 's');
INSERT INTO audit_log VALUES (now(), 'x');
";

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
        if lint(sql, &Options::default()).is_err() {
            continue;
        }
        // Trace mode, as `pggit lint --trace` runs it: each example in one
        // transaction, rolled back.
        let t = trace(&mut c, sql, &Options::default()).unwrap();
        for st in &t.statements {
            match &st.outcome {
                Outcome::Traced { .. } => {
                    if !st.predicted_locks.is_empty() {
                        checked += 1;
                    }
                }
                // The fixture cannot hold every example's objects; such a
                // statement is not traced, and says why.
                Outcome::Failed { error } => eprintln!("not traced: {}: {error}", st.text),
                Outcome::NotTraced { .. } => {}
            }
            for d in &st.disagreements {
                disagree.push(format!("{}: {d}", st.text));
            }
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

/// Trace mode names what it sees: a lock the prediction misses, a rewrite
/// it does not expect (here, on a table the static analysis cannot know is
/// partitioned), and a statement that fails on the copy.
#[test]
fn trace_mode_reports_locks_rewrites_and_failures() {
    let db = ScratchDb::create(&test_admin_config(), "pggit_lint_trace").unwrap();
    let mut c = db.connect().unwrap();
    c.batch_execute(FIXTURE).unwrap();
    let sql = "BEGIN;
ALTER TABLE orders ALTER COLUMN amount TYPE numeric(14,2);
ALTER TABLE orders ALTER COLUMN number TYPE int USING number::int;
CREATE INDEX CONCURRENTLY orders_status ON orders (status);
ALTER TABLE no_such_table ADD COLUMN x int;
ALTER TABLE customers ADD COLUMN region text;
COMMIT;";
    let t = trace(&mut c, sql, &Options::default()).unwrap();
    let by = |n: usize| t.statements.iter().find(|s| s.number == n).unwrap();
    assert!(matches!(by(1).outcome, Outcome::NotTraced { .. }));
    // numeric(12,2) → numeric(14,2) is binary-coercible: no rewrite, as
    // the prediction allows.
    assert!(by(2).rewritten.is_empty(), "{:?}", by(2));
    assert!(by(2).disagreements.is_empty(), "{:?}", by(2));
    // ... under ACCESS EXCLUSIVE, which the next statement holds already.
    assert!(by(2)
        .locks
        .iter()
        .any(|l| l.relation == "orders" && l.level == LockLevel::AccessExclusive));
    assert!(by(3).locks.iter().all(|l| l.relation != "orders"));
    // text → int rewrites.
    assert_eq!(by(3).rewritten, vec!["orders".to_string()]);
    assert!(by(3).disagreements.is_empty(), "{:?}", by(3));
    assert!(
        matches!(&by(4).outcome, Outcome::NotTraced { why } if why.contains("transaction block"))
    );
    assert!(matches!(&by(5).outcome, Outcome::Failed { error } if error.contains("no_such_table")));
    // After a failure the rest still runs.
    assert!(matches!(by(6).outcome, Outcome::Traced { .. }));
    assert_eq!(t.failed(), 1);
    assert_eq!(t.disagreements(), 0);

    // Hostile names resolve: a quote, and a dot inside one name.
    c.batch_execute(
        r#"CREATE TABLE "we""ird.t" (id int); CREATE SCHEMA "S"; CREATE TABLE "S"."T" (id int); CREATE TABLE "x.y.z" (id int)"#,
    )
    .unwrap();
    let t = trace(
        &mut c,
        r#"ALTER TABLE "we""ird.t" ALTER COLUMN id TYPE text; ALTER TABLE "S"."T" ADD COLUMN x int DEFAULT random(); ALTER TABLE "x.y.z" ALTER COLUMN id TYPE bigint;"#,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(t.statements.len(), 3);
    // The target's figures of such names, too (`to_regclass` would raise on
    // the dots).
    let figures =
        pggit_pg::lint_target::read(&mut c, &["x.y.z".into(), "S.T".into()], 3600.0).unwrap();
    assert_eq!(figures.tables.len(), 2, "{figures:?}");
    for st in &t.statements {
        assert!(matches!(st.outcome, Outcome::Traced { .. }), "{st:?}");
        assert!(st.disagreements.is_empty(), "{st:?}");
        assert_eq!(st.rewritten.len(), 1, "{st:?}");
        assert_eq!(st.predicted_locks[0].relation, st.rewritten[0], "{st:?}");
    }

    // Dropping a trigger or a policy locks its table ACCESS EXCLUSIVE, and
    // DETACH ... CONCURRENTLY is predicted not to run in a transaction.
    c.batch_execute(
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
         CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
         CREATE POLICY orders_mine ON orders USING (true);",
    )
    .unwrap();
    let t = trace(
        &mut c,
        "DROP TRIGGER orders_touch ON orders; DROP POLICY orders_mine ON orders;",
        &Options::default(),
    )
    .unwrap();
    for st in &t.statements {
        assert!(matches!(st.outcome, Outcome::Traced { .. }), "{st:?}");
        assert!(st.disagreements.is_empty(), "{st:?}");
        assert_eq!(
            st.predicted_locks[0].level,
            LockLevel::AccessExclusive,
            "{st:?}"
        );
    }

    // What only the catalog knows: dropping a table CASCADE also drops the
    // foreign key of the table that references it, locking that one too.
    c.batch_execute("ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id)")
        .unwrap();
    let t = trace(&mut c, "DROP TABLE customers CASCADE;", &Options::default()).unwrap();
    let d = &t.statements[0].disagreements;
    assert!(
        d.iter()
            .any(|d| d.contains("ACCESS EXCLUSIVE on orders, not predicted")),
        "{:?}",
        t.statements[0]
    );
    // Rolled back: the copy is as it was.
    let cols: i64 = c
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'region'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(cols, 0);
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

/// Drops a replication slot when the test ends, passed or not.
struct Slot<'a>(&'a mut postgres::Client, String);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let _ = self
            .0
            .execute("SELECT pg_drop_replication_slot($1)", &[&self.1]);
    }
}

#[test]
fn replication_slots_grade_a_rewrite() {
    let db = ScratchDb::create(&test_admin_config(), "pggit_lint_slots").unwrap();
    let mut c = db.connect().unwrap();
    c.batch_execute(
        "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g;",
    )
    .unwrap();
    let without = pggit_pg::lint_target::read(&mut c, &["t".into()], 3600.0).unwrap();
    let name = format!("pggit_test_{}", std::process::id());
    let mut admin = db.connect().unwrap();
    admin
        .execute(
            "SELECT pg_create_physical_replication_slot($1, true)",
            &[&name],
        )
        .unwrap();
    let slot = Slot(&mut admin, name.clone());
    let with = pggit_pg::lint_target::read(&mut c, &["t".into()], 3600.0).unwrap();
    let mine = with
        .replication_slots
        .iter()
        .find(|s| s.name == name)
        .unwrap();
    assert_eq!(mine.kind, "physical");
    assert!(!mine.active);
    let sql = "ALTER TABLE t ALTER COLUMN v TYPE bigint;";
    let score = |t| {
        lint(
            sql,
            &Options {
                target: Some(t),
                ..Options::default()
            },
        )
        .unwrap()
        .statements[0]
            .risk
            .clone()
    };
    let (a, b) = (score(without.clone()), score(with));
    let factor = b
        .factors
        .iter()
        .find(|f| f.what.contains("replication slot(s) on the target"));
    assert!(
        factor.is_some_and(|f| f.points == 15 && f.what.contains("inactive")),
        "{b:?}"
    );
    if without.replication_slots.is_empty() {
        assert!(b.score > a.score, "{a:?}\n{b:?}");
    }
    drop(slot);
}
