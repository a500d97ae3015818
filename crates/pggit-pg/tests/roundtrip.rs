//! The central oracle: for every corpus case, migration(A→B) applied to a
//! replay of A gives exactly B — by our snapshot and by `pg_dump
//! --schema-only` — and the same for B→A. Replaying a tree into an empty
//! database reproduces it exactly.

#![allow(clippy::unwrap_used)]

mod corpus;

use std::process::Command;

use pggit_core::identity::{assign, IdentityMap};
use pggit_core::{plan, Tree};
use pggit_pg::introspect::{snapshot, Scope};
use pggit_pg::scratch::{test_admin_config, ScratchDb};

/// Cases whose reverse direction cannot be done in place, with the reason.
const IRREVERSIBLE: &[(&str, &str)] = &[];

fn dump(db: &ScratchDb) -> String {
    let url = pggit_pg::connect::url(&db.config);
    let password = db
        .config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).to_string())
        .unwrap_or_default();
    let out = Command::new("pg_dump")
        .args(["--schema-only", "--no-owner", "--dbname", &url])
        .env("PGPASSWORD", password)
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    normalise_dump(&String::from_utf8_lossy(&out.stdout))
}

/// Strip only what pg_dump prints differently on every run.
fn normalise_dump(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn take(
    db: &ScratchDb,
    known: &IdentityMap,
    reference: Option<&Tree>,
    salt: &str,
) -> (Tree, IdentityMap) {
    let mut c = db.connect().expect("connect");
    let raw = snapshot(&mut c, &Scope::default()).expect("snapshot");
    let a = assign(&raw, known, reference, salt);
    (a.tree, a.map)
}

fn run(db: &ScratchDb, sql: &str) {
    let mut c = db.connect().expect("connect");
    c.batch_execute(sql)
        .unwrap_or_else(|e| panic!("script failed: {e:?}\n{sql}"));
}

/// PostgreSQL's own fixpoint of a dump: some expressions deparse
/// differently once replayed (see `pggit_core::settle`), so a database's
/// dump and the dump of any faithful copy of it can differ in their text.
/// When the dump holds such an expression, the reference is the dump of a
/// database restored from it — what `pg_dump | psql` itself produces.
fn settled_dump(dump_text: String) -> String {
    if pggit_core::settle::settle(&dump_text) == dump_text {
        return dump_text;
    }
    let db = ScratchDb::create(&test_admin_config(), "pggit_rt").expect("create db");
    run(&db, &dump_text);
    dump(&db)
}

/// Build `tree` in a fresh database by migrating the empty database to it.
fn replay(tree: &Tree) -> (ScratchDb, IdentityMap) {
    let db = ScratchDb::create(&test_admin_config(), "pggit_rt").expect("create db");
    let (empty, _) = take(&db, &IdentityMap::new(), Some(tree), "empty");
    let stmts = plan::plan(&empty, tree).expect("plan replay");
    assert_single_statements(&stmts, "replay");
    let mut c = db.connect().expect("connect");
    pggit_pg::apply::apply(&mut c, &stmts)
        .unwrap_or_else(|e| panic!("replay failed: {e}\n{}", pggit_core::sql::script(&stmts)));
    let (got, map) = take(&db, &IdentityMap::new(), Some(tree), "replayed");
    assert_trees_eq(&got, tree, "replay");
    (db, map)
}

fn assert_trees_eq(got: &Tree, want: &Tree, what: &str) {
    if got == want {
        return;
    }
    let mut msg = format!("{what}: trees differ\n");
    for (id, e) in &want.entries {
        match got.entries.get(id) {
            None => msg.push_str(&format!("  missing {id}: {}\n", e.canonical_json())),
            Some(g) if g != e => msg.push_str(&format!(
                "  differs {id}:\n    want {}\n    got  {}\n",
                e.canonical_json(),
                g.canonical_json()
            )),
            _ => {}
        }
    }
    for (id, e) in &got.entries {
        if !want.entries.contains_key(id) {
            msg.push_str(&format!("  extra {id}: {}\n", e.canonical_json()));
        }
    }
    panic!("{msg}");
}

/// Every generated statement is exactly one statement to PostgreSQL's own
/// parser: no name or literal can smuggle in another.
fn assert_single_statements(stmts: &[pggit_core::sql::Statement], what: &str) {
    for s in stmts {
        let parsed = pg_query::parse(&s.sql, 0)
            .unwrap_or_else(|e| panic!("{what}: does not parse: {e}\n{}", s.sql));
        assert_eq!(
            parsed.protobuf.stmts.len(),
            1,
            "{what}: not one statement: {}",
            s.sql
        );
    }
}

fn migrate(db: &ScratchDb, map: &IdentityMap, from: &Tree, to: &Tree, dump_want: &str, what: &str) {
    let stmts = plan::plan(from, to).unwrap_or_else(|e| panic!("{what}: plan failed: {e}"));
    assert_single_statements(&stmts, what);
    let mut c = db.connect().expect("connect");
    pggit_pg::apply::apply(&mut c, &stmts).unwrap_or_else(|e| {
        panic!(
            "{what}: apply failed: {e}\n{}",
            pggit_core::sql::script(&stmts)
        )
    });
    let (got, _) = take(db, map, Some(to), "after");
    assert_trees_eq(&got, to, what);
    let d = dump(db);
    if d != dump_want {
        panic!(
            "{what}: pg_dump differs\n--- migration ---\n{}\n--- want ---\n{dump_want}\n--- got ---\n{d}",
            pggit_core::sql::script(&stmts)
        );
    }
}

fn check_case(case: &corpus::Case) {
    let admin = test_admin_config();
    let db1 = ScratchDb::create(&admin, "pggit_rt").expect("create db");
    run(&db1, case.a);
    let (a, map_a) = take(&db1, &IdentityMap::new(), None, "a");
    let dump_a = settled_dump(dump(&db1));
    run(&db1, case.change);
    let (b, _) = take(&db1, &map_a, Some(&a), "b");
    let dump_b = settled_dump(dump(&db1));
    assert_ne!(a, b, "{}: the change changed nothing", case.name);

    // Replay A, then migrate it to B.
    let (db2, map2) = replay(&a);
    assert_eq!(
        dump(&db2),
        dump_a,
        "{}: replay of A differs from A in pg_dump",
        case.name
    );
    migrate(&db2, &map2, &a, &b, &dump_b, &format!("{} A->B", case.name));

    // Replay B, then migrate it back to A.
    let (db3, map3) = replay(&b);
    assert_eq!(
        dump(&db3),
        dump_b,
        "{}: replay of B differs from B in pg_dump",
        case.name
    );
    if let Some((_, why)) = IRREVERSIBLE.iter().find(|(n, _)| *n == case.name) {
        let err = plan::plan(&b, &a).expect_err(why);
        assert!(matches!(err, plan::PlanError::Unsupported(_)));
        return;
    }
    migrate(&db3, &map3, &b, &a, &dump_a, &format!("{} B->A", case.name));
}

#[test]
fn corpus_has_enough_cases() {
    assert!(
        corpus::CASES.len() >= 40,
        "the corpus needs at least 40 cases"
    );
    let mut names: Vec<_> = corpus::CASES.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), corpus::CASES.len(), "case names are unique");
}

#[test]
fn round_trip_corpus() {
    let only = std::env::var("PGGIT_CASE").ok();
    let mut failures = Vec::new();
    for case in corpus::CASES {
        if only
            .as_deref()
            .is_some_and(|o| !o.split(',').any(|n| n == case.name))
        {
            continue;
        }
        let r = std::panic::catch_unwind(|| check_case(case));
        if let Err(e) = r {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("== {} ==\n{msg}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
