//! The central oracle: for every corpus case, migration(A→B) applied to a
//! replay of A gives exactly B — by our snapshot and by `pg_dump
//! --schema-only` — and the same for B→A. Replaying a tree into an empty
//! database reproduces it exactly.

#![allow(clippy::unwrap_used)]

mod corpus;
mod generator;

use std::process::Command;

use pggit_core::identity::{assign, IdentityMap};
use pggit_core::{plan, Tree};
use pggit_pg::introspect::{snapshot, snapshot_shared, Scope};
use pggit_pg::scratch::{test_admin_config, ScratchDb};
use postgres::Config;

/// Cases whose reverse direction cannot be done in place, with the reason.
const IRREVERSIBLE: &[(&str, &str)] = &[];

fn dump(db: &ScratchDb) -> String {
    normalise_dump(&raw_dump(db))
}

/// pg_dump's text as it printed it (the order of GRANT/REVOKE lines
/// matters when it is replayed: see [`settled_dump`]).
fn raw_dump(db: &ScratchDb) -> String {
    let url = pggit_pg::connect::url(&db.config);
    let password = db
        .config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).to_string())
        .unwrap_or_default();
    let out = Command::new(pggit_pg::scratch::pg_dump_program(&db.config))
        .args(["--schema-only", "--dbname", &url])
        .env("PGPASSWORD", password)
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Strip only what pg_dump prints differently on every run, and put each
/// object's GRANT/REVOKE lines in one order: pg_dump prints them in the
/// order of the ACL's items, which records the order the grants were made
/// in, not what they grant.
fn normalise_dump(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    for l in text
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
    {
        if l.starts_with("GRANT ") || l.starts_with("REVOKE ") {
            run.push(l);
            continue;
        }
        run.sort_unstable();
        out.append(&mut run);
        out.push(l);
    }
    run.sort_unstable();
    out.append(&mut run);
    out.join("\n")
}

fn take(
    db: &ScratchDb,
    known: &IdentityMap,
    reference: Option<&Tree>,
    salt: &str,
) -> (Tree, IdentityMap) {
    let mut c = db.connect().expect("connect");
    let raw = snapshot(&mut c, &Scope::default()).expect("snapshot");
    // The same snapshot read with a helper connection reading ahead.
    let config = db.config.clone();
    let (shared, served) =
        shared_snapshot(&mut c, move || pggit_pg::connect::connect(&config).ok());
    assert_eq!(served, 4, "the helper answered {served} of 4 queries");
    assert_trees_eq(&shared, &raw, "snapshot read with a helper connection");
    let a = assign(&raw, known, reference, salt);
    (a.tree, a.map)
}

/// A snapshot read with a helper connection from `helper`, and how many
/// queries the helper answered.
fn shared_snapshot(
    c: &mut postgres::Client,
    helper: impl FnOnce() -> Option<postgres::Client> + Send + 'static,
) -> (Tree, usize) {
    let mut tx = c
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .expect("transaction");
    let out = snapshot_shared(
        &mut tx,
        helper,
        &Scope::default(),
        &pggit_core::progress::Silent,
    )
    .expect("shared snapshot");
    tx.commit().expect("commit");
    out
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
/// The restore runs pg_dump's raw text: its GRANT/REVOKE lines only mean
/// the same in the order printed (PostgreSQL 13/14's public schema dumps as
/// `REVOKE USAGE ...; GRANT ALL ...`, which sorted would revoke last).
fn settled_dump(admin: &Config, raw: String) -> String {
    let dump_text = normalise_dump(&raw);
    if pggit_core::settle::settle(&dump_text) == dump_text {
        return dump_text;
    }
    let db = ScratchDb::create(admin, "pggit_rt").expect("create db");
    // pg_dump 18 sets a parameter older servers do not have, and brackets
    // the script in psql meta-commands (\restrict).
    let script: String = raw
        .lines()
        .filter(|l| !l.starts_with("SET transaction_timeout") && !l.starts_with('\\'))
        .collect::<Vec<_>>()
        .join("\n");
    run(&db, &script);
    dump(&db)
}

/// Build `tree` in a fresh database by migrating the empty database to it.
fn replay(admin: &Config, tree: &Tree) -> (ScratchDb, IdentityMap) {
    let db = ScratchDb::create(admin, "pggit_rt").expect("create db");
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

/// The lines only one of two dumps has, marked `-` (want) and `+` (got).
fn dump_diff(want: &str, got: &str) -> String {
    let w: std::collections::HashSet<&str> = want.lines().collect();
    let g: std::collections::HashSet<&str> = got.lines().collect();
    let mut out: Vec<String> = want
        .lines()
        .filter(|l| !g.contains(l))
        .map(|l| format!("- {l}"))
        .collect();
    out.extend(
        got.lines()
            .filter(|l| !w.contains(l))
            .map(|l| format!("+ {l}")),
    );
    if out.is_empty() {
        out.push("(same lines, in another order)".into());
    }
    out.join("\n")
}

/// A diff between commits loads only the slice of the two trees that the
/// change reaches (`pggit_core::slice`): the diff, the plan and the row
/// checks over the slice must be those over the whole trees.
fn assert_slice_suffices(from: &Tree, to: &Tree, stmts: &[pggit_core::sql::Statement], what: &str) {
    let (a, b) = pggit_core::slice::slices(from, to).unwrap();
    let sliced =
        plan::plan(&a, &b).unwrap_or_else(|e| panic!("{what}: plan over the slice failed: {e}"));
    if sliced != stmts {
        panic!(
            "{what}: the plan over the slice ({} of {} / {} of {} entries) differs\n--- whole trees ---\n{}\n--- slice ---\n{}",
            a.entries.len(),
            from.entries.len(),
            b.entries.len(),
            to.entries.len(),
            pggit_core::sql::script(stmts),
            pggit_core::sql::script(&sliced)
        );
    }
    assert_eq!(
        pggit_core::diff::diff(&a, &b),
        pggit_core::diff::diff(from, to),
        "{what}: the diff over the slice differs"
    );
    assert_eq!(
        pggit_core::preflight::checks(&a, &b),
        pggit_core::preflight::checks(from, to),
        "{what}: the row checks over the slice differ"
    );
}

fn migrate(
    db: &ScratchDb,
    map: &IdentityMap,
    from: &Tree,
    to: &Tree,
    dump_want: &str,
    what: &str,
) -> IdentityMap {
    let stmts = plan::plan(from, to).unwrap_or_else(|e| panic!("{what}: plan failed: {e}"));
    assert_slice_suffices(from, to, &stmts, what);
    assert_single_statements(&stmts, what);
    let mut c = db.connect().expect("connect");
    pggit_pg::apply::apply(&mut c, &stmts).unwrap_or_else(|e| {
        panic!(
            "{what}: apply failed: {e}\n{}",
            pggit_core::sql::script(&stmts)
        )
    });
    let (got, map) = take(db, map, Some(to), "after");
    assert_trees_eq(&got, to, what);
    let d = dump(db);
    if d != dump_want {
        panic!(
            "{what}: pg_dump differs\n--- migration ---\n{}\n--- pg_dump lines (- want, + got) ---\n{}",
            pggit_core::sql::script(&stmts),
            dump_diff(dump_want, &d)
        );
    }
    map
}

fn check_case(admin: &Config, case: &corpus::Case) {
    let db1 = ScratchDb::create(admin, "pggit_rt").expect("create db");
    run(&db1, case.a);
    let (a, map_a) = take(&db1, &IdentityMap::new(), None, "a");
    let dump_a = settled_dump(admin, raw_dump(&db1));
    run(&db1, case.change);
    let (b, _) = take(&db1, &map_a, Some(&a), "b");
    let dump_b = settled_dump(admin, raw_dump(&db1));
    assert_ne!(a, b, "{}: the change changed nothing", case.name);

    // Replay A, then migrate it to B.
    let (db2, map2) = replay(admin, &a);
    assert_eq!(
        dump(&db2),
        dump_a,
        "{}: replay of A differs from A in pg_dump",
        case.name
    );
    migrate(&db2, &map2, &a, &b, &dump_b, &format!("{} A->B", case.name));

    // Replay B, then migrate it back to A.
    let (db3, map3) = replay(admin, &b);
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

/// Cases whose databases are compared by name, as `diff --from-db
/// --to-db` does (no shared history, so a rename is a drop and a create).
/// Column renames are left out: by name they are a drop and an add, which
/// moves the column to the end.
const BY_NAME: &[&str] = &[
    "rename_table",
    "serial_table_rename",
    "serial_table_set_schema",
    "move_table_schema",
    "rename_index",
    "rename_constraint",
    "enum_rename_type",
    "function_rename",
    "schema_add_rename",
];

/// Two unrelated databases, A and B, matched by name: the migration from
/// A to B applied to A gives B's pg_dump.
#[test]
fn by_name_diffs_apply() {
    let admin = test_admin_config();
    let mut failures = Vec::new();
    for name in BY_NAME {
        let case = corpus::CASES
            .iter()
            .find(|c| c.name == *name)
            .unwrap_or_else(|| panic!("no case {name}"));
        let a = ScratchDb::create(&admin, "pggit_rt").expect("create db");
        run(&a, case.a);
        let b = ScratchDb::create(&admin, "pggit_rt").expect("create db");
        run(&b, case.a);
        run(&b, case.change);
        let raw = |db: &ScratchDb| snapshot(&mut db.connect().unwrap(), &Scope::default()).unwrap();
        let old = assign(&raw(&a), &IdentityMap::new(), None, "from-db").tree;
        let new = assign(&raw(&b), &IdentityMap::new(), Some(&old), "to-db").tree;
        let stmts = plan::plan(&old, &new).expect("plan");
        let applied = pggit_pg::apply::apply(&mut a.connect().unwrap(), &stmts);
        let want = settled_dump(&admin, raw_dump(&b));
        match applied {
            Err(e) => failures.push(format!("{name}: {e}\n{}", pggit_core::sql::script(&stmts))),
            Ok(()) if dump(&a) != want => failures.push(format!(
                "{name}: pg_dump differs after\n{}",
                pggit_core::sql::script(&stmts)
            )),
            Ok(()) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The servers to test against: `PGGIT_TEST_SERVERS` (space-separated
/// libpq URLs, as `.ci/pg-servers` writes them), else the test server.
fn servers() -> Vec<Config> {
    match std::env::var("PGGIT_TEST_SERVERS") {
        Ok(list) if !list.trim().is_empty() => list
            .split_whitespace()
            .map(|u| {
                pggit_pg::connect::resolve(Some(u), &|k| std::env::var(k).ok())
                    .map(|(c, _)| c)
                    .expect("PGGIT_TEST_SERVERS holds libpq URLs")
            })
            .collect(),
        _ => vec![test_admin_config()],
    }
}

fn server_major(admin: &Config) -> i32 {
    let mut c = pggit_pg::connect::connect(admin).expect("connect to the test server");
    c.batch_execute(corpus::privileges::ROLES_SQL)
        .expect("create the roles the privilege cases use");
    let v: i32 = c
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .expect("server version")
        .get(0);
    v / 10000
}

/// Every case that runs on a server of this major version. With `sample`,
/// the feature corpus is thinned to every `sample`-th case (offset by the
/// version, so the servers together cover more of it).
fn cases_for(major: i32, sample: Option<usize>) -> Vec<&'static corpus::Case> {
    // Thinned: every 2nd core case (a subset of the whole list, so only
    // cases that run everywhere in full runs).
    let mut all: Vec<&corpus::Case> = corpus::CASES
        .iter()
        .enumerate()
        .filter(|(i, _)| sample.is_none() || i.is_multiple_of(2))
        .map(|(_, c)| c)
        .collect();
    let keep = |i: usize| sample.is_none_or(|n| (i + major as usize).is_multiple_of(n.max(1)));
    all.extend(
        corpus::features::FEATURES
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, c)| c),
    );
    all.extend(corpus::privileges::PRIVILEGES);
    all.extend(corpus::privileges::DEFAULT_PRIVILEGES);
    // The object-kind corpora: where the feature corpus is thinned, every
    // 8th case, offset by the version so that the other servers together
    // run half of them (13 and 18 share an eighth); the version-specific
    // lists below run in full.
    let slot = [13, 14, 16, 17]
        .iter()
        .position(|m| *m == major)
        .unwrap_or(0);
    let every_eighth = |i: usize| sample.is_none() || (i + slot).is_multiple_of(8);
    for list in [
        corpus::statistics::STATISTICS,
        corpus::collations::COLLATIONS,
        corpus::publications::PUBLICATIONS,
        corpus::owners::OWNERS,
        corpus::event_triggers::EVENT_TRIGGERS,
        corpus::casts::CASTS,
        corpus::aggregates::AGGREGATES,
        corpus::text_search::TEXT_SEARCH,
        corpus::inheritance::INHERITANCE,
        corpus::inheritance::TYPED_TABLES,
        corpus::foreign::FOREIGN,
        corpus::operators::OPERATORS,
        corpus::opclasses::OPCLASSES,
        corpus::settings::SETTINGS,
    ] {
        all.extend(
            list.iter()
                .enumerate()
                .filter(|(i, _)| every_eighth(*i))
                .map(|(_, c)| c),
        );
    }
    for (min, list) in [
        (14, corpus::features::FEATURES_PG14),
        (14, corpus::statistics::STATISTICS_PG14),
        (14, corpus::settings::SETTINGS_PG14),
        (15, corpus::settings::SETTINGS_PG15),
        (15, corpus::features::FEATURES_PG15),
        (16, corpus::features::FEATURES_PG16),
        (16, corpus::collations::COLLATIONS_PG16),
        (15, corpus::publications::PUBLICATIONS_PG15),
        (18, corpus::publications::PUBLICATIONS_PG18),
        (17, corpus::event_triggers::EVENT_TRIGGERS_PG17),
    ] {
        if major >= min {
            all.extend(list);
        }
    }
    all
}

/// Run `cases` against one server with `threads` workers; the failures.
fn run_cases(
    admin: &Config,
    cases: &[&'static corpus::Case],
    threads: usize,
) -> Vec<(String, String)> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    check_case(admin, case)
                }));
                if let Err(e) = r {
                    failures
                        .lock()
                        .unwrap()
                        .push((case.name.to_string(), panic_text(e)));
                }
            });
        }
    });
    failures.into_inner().unwrap()
}

/// Without a helper connection (it could not connect), or with one whose
/// snapshot cannot be imported, a shared snapshot reads everything itself.
#[test]
fn shared_snapshot_reads_alone_when_the_helper_fails() {
    let admin = test_admin_config();
    let db = ScratchDb::create(&admin, "pggit_rt_helper").expect("create db");
    run(
        &db,
        "CREATE TABLE t (id int PRIMARY KEY, v text DEFAULT 'x' CHECK (v <> ''));
         CREATE INDEX t_v ON t (v); CREATE VIEW w AS SELECT id FROM t;",
    );
    let mut c = db.connect().expect("connect");
    let plain = snapshot(&mut c, &Scope::default()).expect("snapshot");
    let config = db.config.clone();
    let helpers: [Box<dyn FnOnce() -> Option<postgres::Client> + Send>; 3] = [
        Box::new(|| None),
        // One that hangs while connecting is given up on, and not waited for.
        Box::new(|| {
            std::thread::sleep(std::time::Duration::from_secs(9));
            None
        }),
        // A connection to another database cannot import the snapshot.
        Box::new(move || {
            let mut other = config.clone();
            other.dbname("postgres");
            pggit_pg::connect::connect(&other).ok()
        }),
    ];
    for helper in helpers {
        let started = std::time::Instant::now();
        let (tree, served) = shared_snapshot(&mut c, helper);
        assert!(started.elapsed().as_secs() < 8, "{:?}", started.elapsed());
        assert_eq!(served, 0);
        assert_trees_eq(&tree, &plain, "snapshot read alone");
    }
}

#[test]
fn corpus_has_enough_cases() {
    let all = cases_for(18, None);
    assert!(all.len() >= 150, "the corpus needs at least 150 cases");
    let mut names: Vec<_> = all.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), all.len(), "case names are unique");
    for (gap, _, _) in corpus::KNOWN_GAPS {
        assert!(names.contains(gap), "known gap {gap} is not a case");
    }
}

/// Every case on the first server (`PGGIT_TEST_SERVERS`, else the test
/// server); on the others every 2nd core case and every `PGGIT_RT_SAMPLE`-th
/// feature case (default 16; `PGGIT_RT_FULL=1` runs everything everywhere).
/// Servers run in parallel (`PGGIT_RT_THREADS` workers each, default 2).
/// `PGGIT_CASE` (comma-separated) runs only those cases. A case listed in
/// `corpus::KNOWN_GAPS` for a version must still fail there: when it
/// passes, take it off.
#[test]
fn round_trip_corpus() {
    let only = std::env::var("PGGIT_CASE").ok();
    let threads: usize = std::env::var("PGGIT_RT_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    let full = std::env::var("PGGIT_RT_FULL").is_ok_and(|v| v == "1");
    let sample: usize = std::env::var("PGGIT_RT_SAMPLE")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(16);
    let servers = servers();
    let many = servers.len() > 1;
    let report: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = servers
            .iter()
            .enumerate()
            .map(|(n, admin)| {
                let only = only.clone();
                scope.spawn(move || {
                    let major = server_major(admin);
                    let thin = (n > 0 && !full && only.is_none()).then_some(sample);
                    // The first server runs every case: give it more workers.
                    let threads = if n == 0 && many { threads + 1 } else { threads };
                    let cases: Vec<_> = cases_for(major, thin)
                        .into_iter()
                        .filter(|c| {
                            only.as_deref()
                                .is_none_or(|o| o.split(',').any(|n| n == c.name))
                        })
                        .collect();
                    let started = std::time::Instant::now();
                    let failed = run_cases(admin, &cases, threads);
                    eprintln!(
                        "PostgreSQL {major}: {} cases in {:.1} s",
                        cases.len(),
                        started.elapsed().as_secs_f64()
                    );
                    let mut out = Vec::new();
                    for (name, msg) in &failed {
                        if !corpus::known_gap(name, major) {
                            out.push(format!("== PostgreSQL {major}: {name} ==\n{msg}"));
                        }
                    }
                    for c in &cases {
                        let gap = corpus::known_gap(c.name, major);
                        if gap && !failed.iter().any(|(n, _)| n == c.name) {
                            out.push(format!(
                                "== PostgreSQL {major}: {} == passes now: take it off KNOWN_GAPS",
                                c.name
                            ));
                        }
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("server thread"))
            .collect()
    });
    assert!(
        report.is_empty(),
        "{} case(s) failed:\n{}",
        report.len(),
        report.join("\n")
    );
}

/// One generated chain on one server: `steps` changes applied in a
/// database, each schema snapshotted and dumped; then a replay of the first
/// schema is migrated forward through every step and back again, each
/// migration checked against the snapshot and `pg_dump` of its target. The
/// pairs checked (two per step), or what failed with the chain's script.
fn generated_chain(admin: &Config, seed: u64, steps: usize) -> Result<usize, String> {
    let mut rng = generator::Rng::new(seed);
    let db = ScratchDb::create(admin, "pggit_gen").expect("create db");
    let mut gen = generator::Gen::default();
    let (t0, mut map) = take(&db, &IdentityMap::new(), None, "g0");
    let mut trees = vec![t0];
    let mut dumps = vec![settled_dump(admin, raw_dump(&db))];
    let mut scripts: Vec<String> = Vec::new();
    let mut rejected = Vec::new();
    let mut tries = 0;
    while scripts.len() < steps && tries < steps * 10 {
        tries += 1;
        let Some((sql, next)) = gen.step(&mut rng) else {
            continue;
        };
        let mut c = db.connect().expect("connect");
        if let Err(e) = c.batch_execute(&format!("BEGIN; {sql}; COMMIT")) {
            let _ = c.batch_execute("ROLLBACK");
            let why = e
                .as_db_error()
                .map_or_else(|| e.to_string(), |d| d.message().to_string());
            rejected.push(format!("{sql}: {why}"));
            continue;
        }
        gen = next;
        let salt = format!("g{}", scripts.len() + 1);
        let (tree, m) = take(&db, &map, trees.last(), &salt);
        map = m;
        if Some(&tree) == trees.last() {
            // A change the snapshot cannot see (e.g. a comment set twice).
            continue;
        }
        trees.push(tree);
        dumps.push(settled_dump(admin, raw_dump(&db)));
        scripts.push(sql);
    }
    // The generator must produce valid changes, or it tests nothing.
    if rejected.len() * 10 > tries {
        return Err(format!(
            "the generator's changes were rejected:\n{}",
            rejected.join("\n")
        ));
    }
    let script = |upto: usize| {
        scripts[..upto]
            .iter()
            .enumerate()
            .map(|(i, s)| format!("-- step {}\n{s};", i + 1))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (db2, mut m2) = replay(admin, &trees[0]);
    // Every step forward, then every step back: (step, from, to).
    let n = scripts.len();
    let walk = (0..n)
        .map(|i| (i, i, i + 1, "forward"))
        .chain((0..n).rev().map(|i| (i, i + 1, i, "back")));
    for (i, from, to, way) in walk {
        let what = format!("seed {seed} step {} {way}", i + 1);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            migrate(&db2, &m2, &trees[from], &trees[to], &dumps[to], &what)
        }));
        match r {
            Ok(m) => m2 = m,
            Err(e) => {
                return Err(format!(
                    "{}\n--- chain ---\n{}",
                    panic_text(e),
                    script(i + 1)
                ))
            }
        }
    }
    Ok(2 * scripts.len())
}

fn panic_text(e: Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Generated schema pairs: `PGGIT_FUZZ_CASES` pairs (default 500) on the
/// first server and `PGGIT_FUZZ_CASES_OTHERS` (default 30) on each other
/// one, in chains of `PGGIT_FUZZ_CHAIN` steps (default 25, so schemas stay
/// small), seeds from `PGGIT_FUZZ_SEED` (default 1) on.
#[test]
fn generated_pairs() {
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let cases = env("PGGIT_FUZZ_CASES", 500);
    let others = env("PGGIT_FUZZ_CASES_OTHERS", 30);
    let chain = env("PGGIT_FUZZ_CHAIN", 25).max(1);
    let first_seed = env("PGGIT_FUZZ_SEED", 1) as u64;
    let servers = servers();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = servers
            .iter()
            .enumerate()
            .map(|(n, admin)| {
                let cases = if n == 0 { cases } else { others };
                scope.spawn(move || {
                    let major = server_major(admin);
                    let started = std::time::Instant::now();
                    let (mut pairs, mut seed, mut failed) = (0, first_seed, Vec::new());
                    while pairs < cases {
                        match generated_chain(admin, seed, chain) {
                            Ok(n) => pairs += n.max(1),
                            Err(e) => {
                                failed.push(format!("== PostgreSQL {major}, seed {seed} ==\n{e}"));
                                pairs += 2 * chain;
                            }
                        }
                        seed += 1;
                    }
                    eprintln!(
                        "PostgreSQL {major}: {pairs} generated pairs (seeds {first_seed}..{seed}) in {:.1} s",
                        started.elapsed().as_secs_f64()
                    );
                    failed
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("server thread"))
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A role made for one test, dropped after it (and after what it owns).
struct TestRole(String);

impl Drop for TestRole {
    fn drop(&mut self) {
        if let Ok(mut c) = pggit_pg::connect::connect(&test_admin_config()) {
            let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS \"{}\"", self.0));
        }
    }
}

#[test]
fn shared_snapshot_as_a_database_owner_who_is_not_superuser() {
    let admin = test_admin_config();
    let role = TestRole(format!("pggit_rt_owner_{}", std::process::id()));
    let mut a = pggit_pg::connect::connect(&admin).expect("connect");
    a.batch_execute(&format!(
        "DROP ROLE IF EXISTS \"{0}\"; CREATE ROLE \"{0}\" LOGIN NOSUPERUSER PASSWORD 'pggit-test'",
        role.0
    ))
    .expect("create role");
    let db = ScratchDb::create(&admin, "pggit_rt_owner").expect("create db");
    run(
        &db,
        &format!(
            "ALTER DATABASE \"{db}\" OWNER TO \"{r}\"; ALTER SCHEMA public OWNER TO \"{r}\";
             SET ROLE \"{r}\";
             CREATE TABLE t (id int PRIMARY KEY, v text DEFAULT 'x' CHECK (v <> ''), p int REFERENCES t);
             CREATE INDEX t_v ON t (v); CREATE VIEW w AS SELECT id FROM t;
             CREATE FUNCTION f(int) RETURNS int LANGUAGE sql AS 'SELECT $1';",
            db = db.name,
            r = role.0
        ),
    );
    let mut owner = db.config.clone();
    owner.user(&role.0).password("pggit-test");
    let mut c = pggit_pg::connect::connect(&owner).expect("connect as the owner");
    let plain = snapshot(&mut c, &Scope::default()).expect("snapshot");
    let helper_config = owner.clone();
    let (tree, served) = shared_snapshot(&mut c, move || {
        pggit_pg::connect::connect(&helper_config).ok()
    });
    assert_eq!(
        served, 4,
        "the owner's helper connection imports the snapshot"
    );
    assert_trees_eq(&tree, &plain, "the owner's shared snapshot");
    drop(c);
    drop(db);
}
