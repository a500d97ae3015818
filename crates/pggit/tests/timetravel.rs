//! Row history against the real server. The oracle: copies of a table taken
//! at known moments while several connections write to it; `as of` each
//! moment must equal the copy row for row, `changes` between moments must
//! equal the difference of the copies, and restores must reproduce them.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use pggit::pg::history::SETTLE_LOCK;
use pggit::pg::scratch::{test_admin_config, ScratchDb};
use pggit::{Error, InitOptions, Repository, RestoreTarget};
use postgres::Client;

struct TestRepo {
    db: ScratchDb,
}

impl TestRepo {
    fn new(sql: &str) -> (TestRepo, Repository) {
        let db = ScratchDb::create(&test_admin_config(), "pggit_tt").expect("create db");
        db.connect().unwrap().batch_execute(sql).unwrap();
        let (repo, _) = Repository::init(&db.config, &InitOptions::default()).expect("init");
        (TestRepo { db }, repo)
    }

    fn client(&self) -> Client {
        self.db.connect().unwrap()
    }
}

impl Drop for TestRepo {
    fn drop(&mut self) {
        self.db.drop_workspaces();
    }
}

/// A moment: no commit can be stamped while we hold the settle lock, and
/// every one stamped before has finished; copy `select` then.
fn moment(c: &mut Client, copy: &str, select: &str) -> String {
    c.execute("SELECT pg_advisory_lock($1)", &[&SETTLE_LOCK])
        .unwrap();
    let t: String = c
        .query_one(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
            &[],
        )
        .unwrap()
        .get(0);
    c.batch_execute(&format!("CREATE TABLE {copy} AS {select}"))
        .unwrap();
    c.execute("SELECT pg_advisory_unlock($1)", &[&SETTLE_LOCK])
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    t
}

/// Rows in one query result and not the other (multisets), both ways.
fn difference(c: &mut Client, a: &str, b: &str) -> i64 {
    c.query_one(
        &format!("SELECT count(*) FROM (({a} EXCEPT ALL {b}) UNION ALL ({b} EXCEPT ALL {a})) d"),
        &[],
    )
    .unwrap()
    .get(0)
}

/// Random single- and multi-statement transactions until told to stop.
fn writer(url_db: ScratchConfig, seed: u64, stop: Arc<AtomicBool>) -> usize {
    let mut c = postgres::Client::connect(&url_db.0, postgres::NoTls).unwrap();
    let mut x = seed;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let id = (next() % 300) as i32;
        let v = (next() % 1000) as i32;
        let sql = match next() % 6 {
            0 => format!("INSERT INTO t (id, v, s) VALUES ({id}, {v}, 'w{seed}') ON CONFLICT (id) DO NOTHING"),
            1 => format!("DELETE FROM t WHERE id = {id}"),
            2 => format!("UPDATE t SET v = {v}, s = s || '+' WHERE id BETWEEN {id} AND {id} + 20"),
            3 => format!(
                "BEGIN; UPDATE t SET v = v + 1 WHERE id = {id}; UPDATE t SET v = v + 1 WHERE id = {id}; \
                 DELETE FROM t WHERE id = {id} + 1; INSERT INTO t (id, v, s) VALUES ({id} + 1, {v}, 'again') \
                 ON CONFLICT (id) DO UPDATE SET v = excluded.v; COMMIT"
            ),
            4 => format!("UPDATE t SET id = id + 1000 WHERE id = {id} AND NOT EXISTS (SELECT 1 FROM t WHERE id = {id} + 1000)"),
            _ => format!("BEGIN; UPDATE t SET v = {v} WHERE id % 7 = {}; ROLLBACK", id % 7),
        };
        // Deadlocks and unique clashes between writers are expected; the
        // loser rolls back and its changes never happened.
        if c.batch_execute(&sql).is_err() {
            let _ = c.batch_execute("ROLLBACK");
        }
        n += 1;
    }
    n
}

#[derive(Clone)]
struct ScratchConfig(String);

fn url(db: &ScratchDb) -> ScratchConfig {
    ScratchConfig(pggit::pg::connect::url(&db.config))
}

#[test]
fn as_of_changes_and_restore_match_copies_under_concurrent_writers() {
    let (t, mut repo) = TestRepo::new(
        "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL, s text);
         INSERT INTO t SELECT g, g, 'start' FROM generate_series(0, 299, 2) g;",
    );
    repo.track(&["public.t".into()], None).unwrap();
    let mut c = t.client();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|i| {
            let (u, s) = (url(&t.db), stop.clone());
            std::thread::spawn(move || writer(u, 0x9E37_79B9 + i * 7919, s))
        })
        .collect();
    let select = "SELECT id, v, s FROM t";
    let mut moments = Vec::new();
    for i in 0..6 {
        std::thread::sleep(std::time::Duration::from_millis(150));
        if i == 3 {
            // A schema change between moments: earlier moments read the new column as NULL.
            c.batch_execute("ALTER TABLE t ADD COLUMN extra int DEFAULT 7")
                .unwrap();
        }
        moments.push(moment(&mut c, &format!("copy_{i}"), select));
    }
    stop.store(true, Ordering::Relaxed);
    let ops: usize = writers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(ops > 50, "writers did too little ({ops})");
    let changed: i64 = c
        .query_one("SELECT count(*) FROM pggit.history_1", &[])
        .unwrap()
        .get(0);
    assert!(changed > 50, "history too small to be a test ({changed})");

    for (i, at) in moments.iter().enumerate() {
        let asof = format!("SELECT id, v, s FROM pggit.as_of(NULL::t, '{at}')");
        assert_eq!(
            difference(&mut c, &asof, &format!("SELECT * FROM copy_{i}")),
            0,
            "as of moment {i}"
        );
        let extra_nulls: bool = c
            .query_one(
                &format!("SELECT bool_and(extra IS NULL) FROM pggit.as_of(NULL::t, '{at}')"),
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(
            extra_nulls,
            i < 3,
            "column added between moments 2 and 3 (moment {i})"
        );
        // The porcelain (and its cache, from the second request) agrees.
        for _ in 0..3 {
            let r = repo.as_of("public.t", at, None).unwrap();
            let n: i64 = c
                .query_one(&format!("SELECT count(*) FROM copy_{i}"), &[])
                .unwrap()
                .get(0);
            assert_eq!(r.rows.rows.len() as i64, n);
        }
    }
    // changes(a, b) equals the difference of the copies.
    // Across the ADD COLUMN (between moments 2 and 3) every row present at
    // both times gained a value in the new column: it counts as updated.
    for (a, b) in [(0, 1), (0, 2), (3, 5), (2, 2), (1, 4)] {
        let straddles = a < 3 && b >= 3;
        let (_, _, ch) = repo.changes("public.t", &moments[a], &moments[b]).unwrap();
        let expect: Vec<(String, i64)> = c
            .query(
                &format!(
                    "SELECT CASE WHEN x.id IS NULL THEN 'inserted' WHEN y.id IS NULL THEN 'deleted' ELSE 'updated' END,
                            coalesce(x.id, y.id)::bigint
                       FROM copy_{a} x FULL JOIN copy_{b} y ON x.id = y.id
                      WHERE x IS DISTINCT FROM y OR ({straddles} AND x.id IS NOT NULL AND y.id IS NOT NULL)
                      ORDER BY 2"
                ),
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let mut got: Vec<(String, i64)> = ch
            .iter()
            .map(|c| {
                (
                    c.change.clone(),
                    c.key.as_ref().unwrap()["id"].get().parse::<i64>().unwrap(),
                )
            })
            .collect();
        got.sort_by_key(|g| g.1);
        assert_eq!(got, expect, "changes {a} -> {b}");
    }
    // Restore into a new table, then in place; the in-place restore is history too.
    repo.restore(
        "public.t",
        &moments[2],
        &RestoreTarget::Into("public.t_at_2".into()),
        None,
    )
    .unwrap();
    assert_eq!(
        difference(
            &mut c,
            "SELECT id, v, s FROM t_at_2",
            "SELECT * FROM copy_2"
        ),
        0
    );
    let before = moment(&mut c, "copy_before_restore", select);
    let r = repo
        .restore("public.t", &moments[1], &RestoreTarget::InPlace, None)
        .unwrap();
    assert!(r.inserted + r.updated + r.deleted > 0);
    assert_eq!(
        difference(&mut c, "SELECT id, v, s FROM t", "SELECT * FROM copy_1"),
        0
    );
    // `extra` did not exist at moment 1: restored rows take its default, updated ones keep it.
    let nulls: i64 = c
        .query_one("SELECT count(*) FROM t WHERE extra IS DISTINCT FROM 7", &[])
        .unwrap()
        .get(0);
    assert_eq!(nulls, 0);
    // Only rows that differ were touched: restoring again changes nothing.
    let again = repo
        .restore("public.t", &moments[1], &RestoreTarget::InPlace, None)
        .unwrap();
    assert_eq!((again.inserted, again.updated, again.deleted), (0, 0, 0));
    // Undo the restore from its own history.
    repo.restore("public.t", &before, &RestoreTarget::InPlace, None)
        .unwrap();
    assert_eq!(
        difference(
            &mut c,
            "SELECT id, v, s FROM t",
            "SELECT * FROM copy_before_restore"
        ),
        0
    );
    // A filtered restore touches only matching rows.
    let r = repo
        .restore(
            "public.t",
            &moments[0],
            &RestoreTarget::InPlace,
            Some("id < 50"),
        )
        .unwrap();
    assert!(r.inserted + r.updated + r.deleted > 0);
    assert_eq!(
        difference(
            &mut c,
            "SELECT id, v, s FROM t WHERE id < 50",
            "SELECT * FROM copy_0 WHERE id < 50"
        ),
        0
    );
    assert_eq!(
        difference(
            &mut c,
            "SELECT id, v, s FROM t WHERE id >= 50",
            "SELECT * FROM copy_before_restore WHERE id >= 50"
        ),
        0
    );
    // One row's history: every version chains to the next.
    let h = repo.row_history("public.t", "10").unwrap();
    for w in h.windows(2) {
        let text = |d: &Option<pggit::Doc>| serde_json::to_string(d).unwrap();
        assert_eq!(text(&w[0].new), text(&w[1].old));
    }
}

#[test]
fn no_primary_key_truncate_and_hostile_names() {
    let (t, mut repo) = TestRepo::new(
        r#"CREATE SCHEMA "sch ü";
           CREATE TABLE "sch ü"."a""; drop table x; --" (n int, "wé%ird" text);
           INSERT INTO "sch ü"."a""; drop table x; --" VALUES (1, 'a'), (1, 'a'), (2, NULL);"#,
    );
    let table = r#""sch ü"."a""; drop table x; --""#;
    let tr = repo.track(&[], Some("sch ü")).unwrap();
    assert_eq!(tr.len(), 1);
    assert_eq!(tr[0].key, None);
    let mut c = t.client();
    let select = format!("SELECT * FROM {table}");
    let m0 = moment(&mut c, "c0", &select);
    c.batch_execute(&format!(
        "UPDATE {table} SET n = 5 WHERE ctid = (SELECT min(ctid) FROM {table} WHERE n = 1);
         INSERT INTO {table} VALUES (2, NULL), (3, 'x');"
    ))
    .unwrap();
    let m1 = moment(&mut c, "c1", &select);
    c.batch_execute(&format!(
        "TRUNCATE {table}; INSERT INTO {table} VALUES (9, 'after')"
    ))
    .unwrap();
    let m2 = moment(&mut c, "c2", &select);
    c.batch_execute(&format!("DELETE FROM {table}")).unwrap();
    for (i, m) in [&m0, &m1, &m2].iter().enumerate() {
        let asof = format!(r#"SELECT * FROM pggit.as_of(NULL::{table}, '{m}')"#);
        assert_eq!(
            difference(&mut c, &asof, &format!("SELECT * FROM c{i}")),
            0,
            "moment {i}"
        );
    }
    let (_, _, ch) = repo.changes(table, &m0, &m1).unwrap();
    assert_eq!(ch.len(), 4, "{ch:?}"); // one (1,a) gone, (5,a), (2,NULL), (3,x) new
    assert!(matches!(
        repo.row_history(table, "1"),
        Err(Error::Refused(_))
    ));
    repo.restore(
        table,
        &m1,
        &RestoreTarget::InPlace,
        Some(r#""wé%ird" IS NOT NULL OR n = 2"#),
    )
    .unwrap();
    assert_eq!(difference(&mut c, &select, "SELECT * FROM c1"), 0);
    // The filter is parsed, never spliced: hostile text is refused and nothing changes.
    let before: i64 = c
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0);
    for bad in [
        "true; DELETE FROM pggit.tracked",
        "n = 1) OR (true",
        "nosuchcolumn = 1",
        "n + 1",
    ] {
        let e = repo.restore(table, &m0, &RestoreTarget::InPlace, Some(bad));
        assert!(matches!(e, Err(Error::Refused(_))), "{bad}: {e:?}");
    }
    let after: i64 = c
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0);
    assert_eq!(before, after);
}

#[test]
fn schema_changes_keep_history_usable() {
    let (t, mut repo) = TestRepo::new(
        "CREATE TABLE p (id int PRIMARY KEY, price numeric(10,2), label text, gone text);
         INSERT INTO p SELECT g, g * 1.5, 'l' || g, 'g' || g FROM generate_series(1, 20) g;",
    );
    repo.track(&["p".into()], None).unwrap();
    let mut c = t.client();
    let m0 = moment(&mut c, "p0", "SELECT id, price, label, gone FROM p");
    c.batch_execute(
        "UPDATE p SET price = price + 1 WHERE id <= 5; ALTER TABLE p RENAME COLUMN label TO title",
    )
    .unwrap();
    // Losing a column's values is refused unless its image is kept first.
    let e = c
        .batch_execute("ALTER TABLE p DROP COLUMN gone")
        .unwrap_err();
    assert!(
        e.as_db_error().unwrap().message().contains("would be lost"),
        "{e}"
    );
    let e = c
        .batch_execute("ALTER TABLE p ALTER COLUMN price TYPE int")
        .unwrap_err();
    assert!(
        e.as_db_error().unwrap().message().contains("retypes"),
        "{e}"
    );
    let e = c.batch_execute("DROP TABLE p").unwrap_err();
    assert!(
        e.as_db_error().unwrap().message().contains("row history"),
        "{e}"
    );
    let e = c
        .batch_execute("ALTER TABLE p DROP CONSTRAINT p_pkey")
        .unwrap_err();
    assert!(
        e.as_db_error().unwrap().message().contains("primary key"),
        "{e}"
    );
    c.batch_execute(
        "BEGIN; SELECT pggit.before_alter('p'); ALTER TABLE p DROP COLUMN gone;
         ALTER TABLE p ALTER COLUMN price TYPE numeric(12,3); COMMIT;
         UPDATE p SET price = 0 WHERE id = 1;",
    )
    .unwrap();
    let m1 = moment(&mut c, "p1", "SELECT id, price, title FROM p");
    // Current shape: renamed column under its new name, retyped values cast, dropped column absent.
    assert_eq!(
        difference(
            &mut c,
            &format!("SELECT id, price, title FROM pggit.as_of(NULL::p, '{m0}')"),
            "SELECT id, price, label FROM p0"
        ),
        0
    );
    assert_eq!(
        difference(
            &mut c,
            &format!("SELECT * FROM pggit.as_of(NULL::p, '{m1}')"),
            "SELECT * FROM p1"
        ),
        0
    );
    // The dropped column's old values are still in the history table.
    let kept: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'pggit.history_1'::regclass AND attname LIKE 'gone$%'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(kept >= 1);
    // Shape then: the columns and types of moment 0 (dropped `gone` back,
    // `price` in its old type, `label` under its current name `title`).
    let then = repo.as_of_shaped("p", &m0, None, true).unwrap();
    assert_eq!(then.rows.columns, ["id", "price", "title", "gone"]);
    let q: String = c
        .query_one(
            "SELECT pggit.as_of_query('p', $1::text::timestamptz, true)",
            &[&m0],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        difference(
            &mut c,
            &format!("SELECT * FROM ({q}) x"),
            "SELECT * FROM p0"
        ),
        0
    );
    let types: String = c
        .query_one(
            &format!("SELECT pg_typeof(price)::text FROM ({q}) x LIMIT 1"),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(types, "numeric");
    // A renamed table keeps its history, TRUNCATE included.
    c.batch_execute(
        "ALTER TABLE p RENAME TO p_new; TRUNCATE p_new; INSERT INTO p_new SELECT * FROM p1;
         ALTER TABLE p_new RENAME TO p",
    )
    .unwrap();
    assert_eq!(
        difference(
            &mut c,
            &format!("SELECT * FROM pggit.as_of(NULL::p, '{m1}')"),
            "SELECT * FROM p1"
        ),
        0
    );
    // Untrack keeps history; the table can then go, and its past stays readable.
    repo.untrack("p", false).unwrap();
    c.batch_execute("DROP TABLE p").unwrap();
    let r = repo.as_of("public.p", &m1, None).unwrap();
    assert_eq!(r.rows.rows.len(), 20);
    let r = repo.as_of("public.p", &m0, Some("id <= 5")).unwrap();
    assert_eq!(r.rows.rows.len(), 5);
}

#[test]
fn snapshots_pruning_and_bad_input() {
    let (t, mut repo) = TestRepo::new(
        "CREATE TABLE q (id int PRIMARY KEY, v int); INSERT INTO q VALUES (1, 1), (2, 2);
         CREATE TABLE other (id int PRIMARY KEY);",
    );
    repo.track(&["q".into()], None).unwrap();
    let mut c = t.client();
    c.batch_execute("UPDATE q SET v = 10 WHERE id = 1").unwrap();
    let s = repo.snapshot_create("before-delete", None).unwrap();
    c.batch_execute("DELETE FROM q WHERE id = 2").unwrap();
    let r = repo.as_of("q", "before-delete", None).unwrap();
    assert_eq!(r.moment.source, "snapshot before-delete");
    assert_eq!(
        r.rows.rows,
        vec![
            vec![Some("1".into()), Some("10".into())],
            vec![Some("2".into()), Some("2".into())]
        ]
    );
    // Immutable: no update, no duplicate name.
    assert!(c
        .batch_execute("UPDATE pggit.data_snapshots SET at = now()")
        .is_err());
    assert!(matches!(
        repo.snapshot_create("before-delete", None),
        Err(Error::Refused(_))
    ));
    assert_eq!(repo.snapshots().unwrap()[0].at, s.at);
    // Bad input: clear refusals.
    for (table, at, filter) in [
        ("other", "now", None),
        ("nosuch", "now", None),
        ("q", "no-such-snapshot", None),
        ("q", "2999-01-01", None),
        ("q", "2001-01-01", None),
        ("q", "now", Some("v = ")),
        ("q", "now", Some("v")),
        ("q", "now", Some("w = 1")),
    ] {
        let e = repo.as_of(table, at, filter);
        assert!(
            matches!(e, Err(Error::Refused(_))),
            "{table} {at} {filter:?}: {e:?}"
        );
    }
    assert!(matches!(
        repo.prune("soon", false, false),
        Err(Error::Refused(_))
    ));
    // Pruning past a snapshot is blocked unless forced.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert!(matches!(
        repo.prune("1s", false, false),
        Err(Error::Refused(_))
    ));
    let dry = repo.prune("1s", false, true).unwrap();
    assert!(
        dry.counts
            .iter()
            .any(|(k, n)| k == "history rows" && *n > 0),
        "{dry:?}"
    );
    assert_eq!(
        repo.snapshots().unwrap().len(),
        1,
        "dry run changed nothing"
    );
    let done = repo.prune("1s", true, false).unwrap();
    assert!(
        done.counts.iter().any(|(k, n)| k == "snapshots" && *n == 1),
        "{done:?}"
    );
    let e = repo.as_of("q", &s.at, None);
    assert!(
        matches!(e, Err(Error::Refused(ref m)) if m.contains("pruned")),
        "{e:?}"
    );
    let r = repo.as_of("q", "now", None).unwrap();
    assert_eq!(r.rows.rows.len(), 1);
}

#[test]
fn migrations_applied_by_pggit_keep_history_of_tracked_tables() {
    let (t, mut repo) = TestRepo::new(
        "CREATE TABLE m (id int PRIMARY KEY, a int);
         INSERT INTO m SELECT g, g FROM generate_series(1, 10) g;",
    );
    let mut c = t.client();
    c.batch_execute("ALTER TABLE m ADD COLUMN b text; UPDATE m SET b = 'b' || id")
        .unwrap();
    repo.commit_workspace(&pggit::CommitOptions {
        message: Some("add b".into()),
        signature: Default::default(),
    })
    .unwrap();
    repo.track(&["m".into()], None).unwrap();
    c.batch_execute("UPDATE m SET a = a * 10 WHERE id <= 3")
        .unwrap();
    // A temporary copy: outside the schema the reset rewrites.
    let m0 = moment(&mut c, "pg_temp.m0", "SELECT id, a, b FROM m");
    // Going back to the commit without column b drops it: pggit keeps the
    // table's image first, so the reset succeeds and the past keeps b.
    repo.reset_hard("HEAD~1", true).unwrap();
    let cols: i64 = c
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'm'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(cols, 2);
    // The dropped column's values stay in the history table (retired name b$...).
    let kept: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'pggit.history_1'::regclass AND attname LIKE 'b$%'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(kept, 1);
    let images: i64 = c
        .query_one(
            "SELECT count(*) FROM pggit.history_1 WHERE \"pggit$op\" = 'A'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(images, 10);
    assert_eq!(
        difference(
            &mut c,
            &format!("SELECT id, a FROM pggit.as_of(NULL::m, '{m0}')"),
            "SELECT id, a FROM m0"
        ),
        0
    );
}

#[test]
fn boundaries_and_commits_as_times() {
    let (t, mut repo) =
        TestRepo::new("CREATE TABLE b (id int PRIMARY KEY, v int); INSERT INTO b VALUES (1, 0);");
    repo.track(&["b".into()], None).unwrap();
    let mut c = t.client();
    c.batch_execute("UPDATE b SET v = 1").unwrap();
    // The commit time of that transaction, and a microsecond before it.
    let (at, before): (String, String) = {
        let r = c
            .query_one(
                "SELECT to_char(committed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
                        to_char((committed_at - interval '1 microsecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
                   FROM pggit.data_tx ORDER BY committed_at DESC LIMIT 1",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    let v = |repo: &mut Repository, at: &str| {
        repo.as_of("b", at, None).unwrap().rows.rows[0][1].clone()
    };
    assert_eq!(
        v(&mut repo, &at),
        Some("1".into()),
        "a transaction committed at T is in"
    );
    assert_eq!(
        v(&mut repo, &before),
        Some("0".into()),
        "one committed after T is out"
    );
    // Commits and tags are times: their commit time.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    c.batch_execute("CREATE TABLE side (x int)").unwrap();
    repo.commit_workspace(&pggit::CommitOptions {
        message: Some("side".into()),
        signature: Default::default(),
    })
    .unwrap();
    repo.create_tag("v1", None).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    c.batch_execute("UPDATE b SET v = 2").unwrap();
    let r = repo.as_of("b", "v1", None).unwrap();
    assert!(r.moment.source.starts_with("commit "), "{:?}", r.moment);
    assert_eq!(r.rows.rows[0][1], Some("1".into()));
    assert_eq!(v(&mut repo, "now"), Some("2".into()));
}

#[test]
fn as_of_query_runs_as_plain_sql() {
    let (t, mut repo) = TestRepo::new(
        "CREATE TABLE s (id int PRIMARY KEY, v text); INSERT INTO s VALUES (1, 'a');",
    );
    repo.track(&["s".into()], None).unwrap();
    let mut c = t.client();
    let m = moment(&mut c, "s0", "SELECT * FROM s");
    c.batch_execute("UPDATE s SET v = 'b'; INSERT INTO s VALUES (2, 'c')")
        .unwrap();
    let q: String = c
        .query_one(
            "SELECT pggit.as_of_query('public.s', $1::text::timestamptz)",
            &[&m],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        difference(
            &mut c,
            &format!("SELECT * FROM ({q}) x"),
            "SELECT * FROM s0"
        ),
        0
    );
}

#[test]
fn filters_from_others_are_bounded_and_plain() {
    let (t, mut repo) = TestRepo::new(
        "CREATE TABLE public.s (id int PRIMARY KEY, v text); INSERT INTO public.s VALUES (1, 'a'), (2, 'b');",
    );
    repo.track(&["public.s".into()], None).unwrap();
    repo.set_filter_policy(pggit::FilterPolicy {
        plain_only: false,
        statement_timeout: Some(std::time::Duration::from_millis(300)),
    });
    let started = std::time::Instant::now();
    let err = repo
        .as_of("public.s", "now", Some("pg_sleep(10) IS NOT NULL"))
        .unwrap_err();
    assert!(err.to_string().contains("longer than its limit"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let err = repo
        .restore(
            "public.s",
            "now",
            &RestoreTarget::Into("public.s_copy".into()),
            Some("pg_sleep(10) IS NOT NULL"),
        )
        .unwrap_err();
    assert!(err.to_string().contains("longer than its limit"), "{err}");
    repo.set_filter_policy(pggit::FilterPolicy {
        plain_only: true,
        statement_timeout: None,
    });
    for bad in [
        "pg_sleep(1) IS NULL",
        "lo_import('/etc/hostname') > 0",
        "id IN (SELECT 1)",
    ] {
        let err = repo.as_of("public.s", "now", Some(bad)).unwrap_err();
        assert!(matches!(err, Error::Refused(_)), "{bad}: {err}");
    }
    let lo: i64 = t
        .client()
        .query_one("SELECT count(*) FROM pg_largeobject_metadata", &[])
        .unwrap()
        .get(0);
    assert_eq!(lo, 0);
    let ok = repo
        .as_of("public.s", "now", Some("id = 2 AND v LIKE 'b%'"))
        .unwrap();
    assert_eq!(ok.rows.rows.len(), 1);
}

fn copy_csv(c: &mut Client, select: &str) -> String {
    use std::io::Read;
    let mut out = String::new();
    c.copy_out(format!("COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER)").as_str())
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out
}

/// CSV as of a moment is byte for byte what `COPY ... (FORMAT csv,
/// HEADER)` writes for the copy of the table taken at that moment: NULL and
/// '' stay apart, as do quotes, commas, newlines, backslashes.
#[test]
fn as_of_csv_is_what_copy_writes() {
    let (t, mut repo) = TestRepo::new(
        "CREATE TABLE public.t (id int PRIMARY KEY, s text, n numeric, a int[], j jsonb, \"odd, \"\"col\"\"\" text);
         INSERT INTO public.t VALUES
           (1, NULL, NULL, NULL, NULL, NULL),
           (2, '', 0, '{}', '{}', ''),
           (3, 'a,b \"q\" \\ back', 1.50, '{1,NULL}', '{\"k\": null}', E'two\\nlines'),
           (4, 'ünïcode ✓', -2, '{3}', '[1]', '\\N');",
    );
    repo.track(&["public.t".to_string()], None).unwrap();
    let mut c = t.client();
    c.batch_execute(
        "UPDATE public.t SET s = NULL WHERE id = 2; UPDATE public.t SET s = '' WHERE id = 1",
    )
    .unwrap();
    let at = moment(&mut c, "public.copy_1", "SELECT * FROM public.t");
    c.batch_execute("UPDATE public.t SET s = 'later'; DELETE FROM public.t WHERE id = 4")
        .unwrap();
    let mut got = Vec::new();
    repo.as_of_csv("public.t", &at, None, false, &mut got)
        .unwrap();
    let want = copy_csv(&mut c, "SELECT * FROM public.copy_1 ORDER BY id");
    assert_eq!(String::from_utf8(got).unwrap(), want);
    assert!(want.contains("\n1,\"\",,,,\n"), "{want}");
    // A filter that fails at run time is the user's error (exit 2).
    let mut got = Vec::new();
    let e = repo
        .as_of_csv("public.t", &at, Some("n / 0 > 1"), false, &mut got)
        .unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
}

/// What a progress bar would have shown: each phase, its length, and how
/// far it got.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<(String, u64, u64)>>);

impl pggit::core::progress::Progress for Recorder {
    fn begin(&self, what: &str, total: u64) {
        self.0.lock().unwrap().push((what.to_string(), total, 0));
    }
    fn advance(&self, n: u64) {
        if let Some(last) = self.0.lock().unwrap().last_mut() {
            last.2 += n;
        }
    }
    fn end(&self) {}
}

#[test]
fn restore_and_the_as_of_cache_report_the_rows_they_rebuild() {
    let (t, mut repo) = TestRepo::new(
        "CREATE TABLE public.t (id int PRIMARY KEY, v int);
         INSERT INTO public.t SELECT g, g FROM generate_series(1, 20000) g;
         ANALYZE public.t",
    );
    repo.track(&["public.t".into()], None).unwrap();
    let rec = Arc::new(Recorder::default());
    repo.set_progress(rec.clone());
    let mut c = t.client();
    let at = moment(&mut c, "copy_0", "SELECT * FROM public.t");
    c.batch_execute("UPDATE public.t SET v = -v WHERE id % 2 = 0")
        .unwrap();
    // The restore's UPDATE holds its transaction open a while after the
    // rebuild, so the count is read before it ends, whatever the speed.
    c.batch_execute(
        "CREATE FUNCTION public.slow() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN PERFORM pg_sleep(1.5); RETURN NULL; END $$;
         CREATE TRIGGER slow AFTER UPDATE ON public.t FOR EACH STATEMENT EXECUTE FUNCTION public.slow()",
    )
    .unwrap();
    let r = repo
        .restore("public.t", &at, &RestoreTarget::InPlace, None)
        .unwrap();
    assert_eq!(r.updated, 10000);
    assert_eq!(
        difference(&mut c, "SELECT * FROM public.t", "SELECT * FROM copy_0"),
        0,
        "counting changes no row"
    );
    // 20,000 rows rebuilt, counted in steps of 4,096; the table's estimate
    // is the length of the bar.
    let phases = rec.0.lock().unwrap().clone();
    assert_eq!(phases.len(), 1, "{phases:?}");
    assert!(
        phases[0].0.starts_with("rebuilding public.t as of "),
        "{phases:?}"
    );
    assert_eq!((phases[0].1, phases[0].2), (20000, 16384), "{phases:?}");
    // The restore's writes are recorded under the session's own name, not
    // the count it showed.
    let names: Vec<Option<String>> = c
        .query(
            "SELECT application_name FROM pggit.data_tx ORDER BY txid DESC LIMIT 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        !names.iter().flatten().any(|n| n.starts_with("pggit rows")),
        "{names:?}"
    );

    // The second request for a moment materialises the cache; the last
    // step of that (marking the cache entry) waits for this lock.
    repo.as_of("public.t", &at, None).unwrap();
    let mut holder = t.client();
    let release = std::thread::spawn(move || {
        let mut tx = holder.transaction().unwrap();
        tx.batch_execute("SELECT * FROM pggit.asof_cache FOR UPDATE")
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        tx.commit().unwrap();
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    let second = repo.as_of("public.t", &at, None).unwrap();
    release.join().unwrap();
    assert_eq!(second.rows.rows.len(), 20000);
    let third = repo.as_of("public.t", &at, None).unwrap();
    assert!(third.cached);
    let phases = rec.0.lock().unwrap().clone();
    let caching: Vec<_> = phases
        .iter()
        .filter(|p| p.0.starts_with("caching public.t"))
        .collect();
    assert_eq!(caching.len(), 1, "{phases:?}");
    assert_eq!((caching[0].1, caching[0].2), (20000, 16384), "{phases:?}");

    // Writing CSV counts the rows it streams, exactly.
    let mut csv = Vec::new();
    repo.as_of_csv("public.t", &at, None, false, &mut csv)
        .unwrap();
    let phases = rec.0.lock().unwrap().clone();
    let last = phases.last().unwrap();
    assert!(last.0.starts_with("writing public.t as of "), "{phases:?}");
    assert_eq!((last.1, last.2), (20000, 20000), "{phases:?}");
    assert_eq!(csv.iter().filter(|b| **b == b'\n').count(), 20001);

    // Nothing is measured when nothing is shown.
    repo.set_progress(Arc::new(pggit::core::progress::Silent));
    repo.restore(
        "public.t",
        &at,
        &RestoreTarget::Into("public.t2".into()),
        None,
    )
    .unwrap();
    assert_eq!(
        difference(&mut c, "SELECT * FROM public.t2", "SELECT * FROM copy_0"),
        0
    );
}

#[test]
fn row_history_upgrades_in_place_to_counting() {
    let (t, mut repo) = TestRepo::new("CREATE TABLE public.t (id int PRIMARY KEY)");
    repo.track(&["public.t".into()], None).unwrap();
    let mut c = t.client();
    // As version 2 left it: no pggit.counted, a cache lookup without it.
    c.batch_execute(
        "UPDATE pggit.history_meta SET value = '2' WHERE key = 'version';
         DROP FUNCTION pggit.counted(text)",
    )
    .unwrap();
    let e = c.batch_execute("SELECT pggit.counted('SELECT 1')");
    assert!(e.is_err());
    repo.tracked().unwrap();
    let v: String = c
        .query_one(
            "SELECT value FROM pggit.history_meta WHERE key = 'version'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(v, pggit::pg::history::HISTORY_VERSION.to_string());
    let q: String = c
        .query_one("SELECT pggit.counted('SELECT 1')", &[])
        .unwrap()
        .get(0);
    assert_eq!(q, "SELECT 1", "counts only when the session asks");
}
