//! Merge benchmark (issue 3).
//!
//! 1. Merge base on a history of 100,000 commits, read from the repository
//!    (segments and their index), against `git merge-base` on a git
//!    repository of the same shape and against the naive SQL approach
//!    (intersect the two ancestor sets), in the same run; and what writing
//!    a commit costs on top of such a history.
//! 2. Three-way merge (classification and merged tree, no apply) of two
//!    1,000-table branches with 200 changes each, in memory and including
//!    reading the three trees from the repository.
//!
//! Run: `cargo bench -p pggit-cli --bench merge` (uses PGGIT_TEST_URL or
//! the local server). Prints a Markdown table.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pggit::core::merge::bases::{merge_bases, MemoryGraph};
use pggit::core::merge::reach::Options as Race;
use pggit::core::merge::{merge, Options};
use pggit::core::model::{Column, Object, Table};
use pggit::core::{Entry, Tree};
use pggit::pg::scratch::{test_admin_config, ScratchDb};
use pggit::{InitOptions, Repository};

const HISTORY: i64 = 100_000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn runs(n: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..n)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// 100,000 commits on main after the root; `near` forks 10 commits from
/// main's commit 99,990, `far` forks 10 commits from main's commit 10.
fn fill_history(repo_db: &ScratchDb) {
    let mut c = repo_db.connect().unwrap();
    let (root, tree, gen): (String, String, i32) = {
        let r = c
            .query_one("SELECT id, tree, generation FROM pggit.commits", &[])
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    c.execute(
        "INSERT INTO pggit.commits (id, tree, parents, generation, author, committer, message, authored_at, committed_at, segment)
         SELECT 'm' || g, $2, ARRAY[CASE WHEN g = 1 THEN $1 ELSE 'm' || (g - 1) END], $3 + g,
                'bench', 'bench', 'c' || g, now(), now(), $1
           FROM generate_series(1, $4::int) g",
        &[&root, &tree, &gen, &(HISTORY as i32)],
    )
    .unwrap();
    for (name, from) in [("near", HISTORY - 10), ("far", 10)] {
        c.execute(
            "INSERT INTO pggit.commits (id, tree, parents, generation, author, committer, message, authored_at, committed_at, segment)
             SELECT $1 || g, $2, ARRAY[CASE WHEN g = 1 THEN 'm' || $3::bigint ELSE $1 || (g - 1) END], $4 + $3::int + g,
                    'bench', 'bench', 'c' || g, now(), now(), $1 || '1'
               FROM generate_series(1, 10) g",
            &[&name, &tree, &from, &gen],
        )
        .unwrap();
    }
    index(&mut c);
}

/// Index the bulk-loaded segments as `write_commit` would have, parents
/// first (the same statements as the in-place upgrade).
fn index(c: &mut postgres::Client) {
    let t = Instant::now();
    let mut tx = c.transaction().unwrap();
    let n = pggit::pg::store::index_segments(&mut tx).unwrap();
    tx.commit().unwrap();
    eprintln!("{n} segments indexed in {:?}", t.elapsed());
    c.batch_execute("ANALYZE pggit.commits, pggit.segments, pggit.segment_children")
        .unwrap();
}

/// A merge-heavy history: 100,000 commits on main, every 10th a merge of a
/// one-commit topic branch forked from the commit before (10,000 merges,
/// about 10,000 segments); `near` forks 15 commits below the tip, `far` at
/// main's 5th commit. Segments are assigned as `write_commit` would.
fn fill_merge_heavy(repo_db: &ScratchDb) {
    let mut c = repo_db.connect().unwrap();
    let (root, tree, g0): (String, String, i32) = {
        let r = c
            .query_one("SELECT id, tree, generation FROM pggit.commits", &[])
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    let n = HISTORY as i32;
    c.execute(
        "INSERT INTO pggit.commits (id, tree, parents, generation, author, committer, message, authored_at, committed_at, segment)
         SELECT 's' || g, $2, ARRAY['m' || (g - 1)], $3 + g + g / 10 - 1, 'bench', 'bench', 's', now(), now(),
                CASE WHEN g - 1 < 10 THEN $1 ELSE 'm' || ((g - 1) / 10 * 10) END
           FROM generate_series(10, $4::int, 10) g",
        &[&root, &tree, &g0, &n],
    )
    .unwrap();
    c.execute(
        "INSERT INTO pggit.commits (id, tree, parents, generation, author, committer, message, authored_at, committed_at, segment)
         SELECT 'm' || g, $2,
                CASE WHEN g % 10 = 0 THEN ARRAY['m' || (g - 1), 's' || g]
                     WHEN g = 1 THEN ARRAY[$1] ELSE ARRAY['m' || (g - 1)] END,
                $3 + g + g / 10, 'bench', 'bench', 'm', now(), now(),
                CASE WHEN g < 10 THEN $1 ELSE 'm' || (g / 10 * 10) END
           FROM generate_series(1, $4::int) g",
        &[&root, &tree, &g0, &n],
    )
    .unwrap();
    for (name, from) in [("near", n - 15), ("far", 5)] {
        let fork_gen = g0 + from + from / 10;
        c.execute(
            "INSERT INTO pggit.commits (id, tree, parents, generation, author, committer, message, authored_at, committed_at, segment)
             SELECT $1 || k, $2, ARRAY[CASE WHEN k = 1 THEN 'm' || $3::int ELSE $1 || (k - 1) END], $4 + k,
                    'bench', 'bench', 'b', now(), now(), $1 || '1'
               FROM generate_series(1, 10) k",
            &[&name, &tree, &from, &fork_gen],
        )
        .unwrap();
    }
    index(&mut c);
}

/// A merge-heavy branch `side` forked at main's 5th commit, written commit
/// by commit with `write_commit` (one transaction each, as pggit commits):
/// 1,000 commits of which every 10th merges a one-commit topic branch.
/// Returns the tip and the time of each write, single-parent and merge.
fn write_side(repo_db: &ScratchDb) -> (String, Vec<Duration>, Vec<Duration>) {
    use pggit::pg::store::{write_commit, Commit};
    let mut c = repo_db.connect().unwrap();
    let (tree, g5): (String, i32) = {
        let r = c
            .query_one(
                "SELECT tree, generation FROM pggit.commits WHERE id = 'm5'",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    let (mut plain, mut merges) = (Vec::new(), Vec::new());
    let mut write = |id: String, parents: Vec<String>, generation: i32| -> Duration {
        let commit = Commit {
            id,
            tree: tree.clone(),
            parents,
            generation,
            author: "bench".into(),
            committer: "bench".into(),
            message: "x".into(),
            authored_at: "2026-01-01T00:00:00Z".into(),
            committed_at: "2026-01-01T00:00:00Z".into(),
        };
        let t = Instant::now();
        let mut tx = c.transaction().unwrap();
        write_commit(&mut tx, &commit).unwrap();
        tx.commit().unwrap();
        t.elapsed()
    };
    let (mut tip, mut gen) = ("m5".to_string(), g5);
    for k in 1..=1000 {
        if k % 10 == 0 {
            let topic = format!("y{k}");
            plain.push(write(topic.clone(), vec![tip.clone()], gen + 1));
            merges.push(write(format!("x{k}"), vec![tip, topic], gen + 2));
            gen += 2;
        } else {
            plain.push(write(format!("x{k}"), vec![tip], gen + 1));
            gen += 1;
        }
        tip = format!("x{k}");
    }
    (tip, plain, merges)
}

/// The same shape as a git repository (empty trees), via fast-import.
fn git_repo(dir: &std::path::Path) {
    let _ = std::fs::remove_dir_all(dir);
    let git = |args: &[&str]| {
        assert!(Command::new("git")
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap()
            .success());
    };
    std::fs::create_dir_all(dir).unwrap();
    git(&["init", "-q"]);
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let stdin = child.stdin.as_mut().unwrap();
        let mut s = String::new();
        let commit = |s: &mut String, branch: &str, mark: i64, from: Option<i64>| {
            s.push_str(&format!(
                "commit refs/heads/{branch}\nmark :{mark}\ncommitter b <b@b> 1700000000 +0000\ndata 1\nc\n"
            ));
            if let Some(f) = from {
                s.push_str(&format!("from :{f}\n"));
            }
            s.push('\n');
        };
        for g in 0..=HISTORY {
            commit(&mut s, "main", g + 1, (g > 0).then_some(g));
        }
        for (i, (name, fork)) in [("near", HISTORY - 10), ("far", 10)].iter().enumerate() {
            let base = HISTORY + 10 + (i as i64) * 100;
            for g in 1..=10 {
                let from = if g == 1 { fork + 1 } else { base + g - 1 };
                commit(&mut s, name, base + g, Some(from));
            }
        }
        stdin.write_all(s.as_bytes()).unwrap();
    }
    assert!(child.wait().unwrap().success());
}

fn git_merge_base(dir: &std::path::Path, a: &str, b: &str) -> Duration {
    runs(11, || {
        let out = Command::new("git")
            .args(["merge-base", a, b])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success());
    })
}

fn naive_sql(c: &mut postgres::Client, a: &str, b: &str) -> String {
    c.query_one(
        "WITH RECURSIVE x(id) AS (SELECT $1::text UNION SELECT p FROM x JOIN pggit.commits c ON c.id = x.id CROSS JOIN LATERAL unnest(c.parents) p),
                        y(id) AS (SELECT $2::text UNION SELECT p FROM y JOIN pggit.commits c ON c.id = y.id CROSS JOIN LATERAL unnest(c.parents) p)
         SELECT id FROM pggit.commits WHERE id IN (SELECT id FROM x INTERSECT SELECT id FROM y) ORDER BY generation DESC LIMIT 1",
        &[&a, &b],
    )
    .unwrap()
    .get(0)
}

fn memory_graph() -> MemoryGraph {
    let mut g = MemoryGraph::default();
    g.add("m0", &[]);
    for i in 1..=HISTORY {
        let p = format!("m{}", i - 1);
        g.add(&format!("m{i}"), &[p.as_str()]);
    }
    for (name, from) in [("near", HISTORY - 10), ("far", 10)] {
        for i in 1..=10 {
            let p = if i == 1 {
                format!("m{from}")
            } else {
                format!("{name}{}", i - 1)
            };
            g.add(&format!("{name}{i}"), &[p.as_str()]);
        }
    }
    g
}

fn column(id: String, name: &str, ty: &str, default: Option<&str>) -> Column {
    Column {
        id,
        name: name.into(),
        data_type: ty.into(),
        inherited: false,
        options: vec![],
        settings: Default::default(),
        collation: None,
        not_null: false,
        default: default.map(str::to_string),
        identity: None,
        generated: None,
        not_null_name: None,
        comment: None,
    }
}

fn table(n: usize, cols: Vec<Column>) -> Object {
    Object::Table(Table {
        schema: "public".into(),
        name: format!("t{n}"),
        columns: cols,
        unlogged: false,
        partition_key: None,
        partition_of: None,
        inherits: vec![],
        of_type: None,
        foreign: None,
        options: vec![],
        row_security: false,
        force_row_security: false,
        replica_identity: None,
        comment: None,
    })
}

fn base_tree() -> Tree {
    let mut t = Tree::default();
    for n in 0..1000 {
        let cols = (0..10)
            .map(|c| column(format!("c{n}_{c}"), &format!("col{c}"), "integer", None))
            .collect();
        t.entries.insert(
            format!("t{n}"),
            Arc::new(Entry {
                object: table(n, cols),
                deps: vec![],
            }),
        );
        t.entries.insert(
            format!("i{n}"),
            Arc::new(Entry {
                object: Object::Index {
                    table: format!("t{n}"),
                    name: format!("t{n}_col0"),
                    unique: false,
                    definition: "USING btree (col0)".into(),
                    comment: None,
                    clustered: false,
                    statistics: vec![],
                },
                deps: vec![format!("c{n}_0")],
            }),
        );
    }
    t
}

fn edit_table(t: &mut Tree, n: usize, f: impl FnOnce(&mut Table)) {
    let id = format!("t{n}");
    let e = t.entries[&id].clone();
    if let Object::Table(tb) = &e.object {
        let mut tb = tb.clone();
        f(&mut tb);
        t.entries.insert(
            id,
            Arc::new(Entry {
                object: Object::Table(tb),
                deps: e.deps.clone(),
            }),
        );
    }
}

/// 200 changes per side; 30 of the target's and source's touch the same
/// column default differently (conflicts), 50 tables get a column on both
/// sides (different columns: clean).
fn sides(base: &Tree) -> (Tree, Tree) {
    let mut x = base.clone();
    let mut y = base.clone();
    for n in 0..100 {
        edit_table(&mut x, n, |t| {
            t.columns
                .push(column(format!("x{n}"), "from_x", "text", None))
        });
    }
    for n in 50..150 {
        edit_table(&mut y, n, |t| {
            t.columns
                .push(column(format!("y{n}"), "from_y", "text", None))
        });
    }
    for n in 200..270 {
        edit_table(&mut x, n, |t| t.columns[3].default = Some("1".into()));
    }
    for n in 240..310 {
        edit_table(&mut y, n, |t| t.columns[3].default = Some("2".into()));
    }
    for n in 400..430 {
        x.entries.insert(
            format!("xi{n}"),
            Arc::new(Entry {
                object: Object::Index {
                    table: format!("t{n}"),
                    name: format!("t{n}_col1"),
                    unique: false,
                    definition: "USING btree (col1)".into(),
                    comment: None,
                    clustered: false,
                    statistics: vec![],
                },
                deps: vec![],
            }),
        );
        y.entries.insert(
            format!("yn{n}"),
            Arc::new(Entry {
                object: table(
                    5000 + n,
                    vec![column(format!("yn{n}c"), "id", "bigint", None)],
                ),
                deps: vec![],
            }),
        );
    }
    (x, y)
}

fn main() {
    let admin = test_admin_config();
    let mut rows: Vec<(String, String, String)> = Vec::new();

    // --- merge base -------------------------------------------------------
    let db = ScratchDb::create(&admin, "pggit_bench_merge").unwrap();
    let (mut repo, _) = Repository::init(&db.config, &InitOptions::default()).unwrap();
    let t0 = Instant::now();
    fill_history(&db);
    eprintln!("history of {HISTORY} commits written in {:?}", t0.elapsed());
    let tip = format!("m{HISTORY}");
    for (shape, other, expect) in [
        (
            "fork 10 commits below the tip",
            "near10",
            format!("m{}", HISTORY - 10),
        ),
        (
            "fork 99,990 commits below the tip",
            "far10",
            "m10".to_string(),
        ),
    ] {
        assert_eq!(repo.merge_bases(&tip, other).unwrap(), vec![expect.clone()]);
        let d = runs(21, || {
            repo.merge_bases(&tip, other).unwrap();
        });
        rows.push((
            format!("pggit merge base, {shape} (median of 21)"),
            ms(d),
            "< 10 ms".into(),
        ));
        let mut c = db.connect().unwrap();
        assert_eq!(naive_sql(&mut c, &tip, other), expect);
        let d = runs(5, || {
            naive_sql(&mut c, &tip, other);
        });
        rows.push((
            format!("naive SQL (ancestor sets intersected), {shape} (median of 5)"),
            ms(d),
            "reference".into(),
        ));
        let mut g = memory_graph();
        let d = runs(21, || {
            merge_bases(&mut g, &tip, other).unwrap();
        });
        rows.push((
            format!("in memory, commit by commit (the plain walk), {shape} (median of 21)"),
            ms(d),
            "—".into(),
        ));
    }
    // The merge-heavy shape, in a repository of its own.
    let heavy = ScratchDb::create(&admin, "pggit_bench_merge_heavy").unwrap();
    let (mut heavy_repo, _) = Repository::init(&heavy.config, &InitOptions::default()).unwrap();
    fill_merge_heavy(&heavy);
    let segs: i64 = heavy
        .connect()
        .unwrap()
        .query_one("SELECT count(DISTINCT segment) FROM pggit.commits", &[])
        .unwrap()
        .get(0);
    let (size_index, size_commits): (i64, i64) = {
        let r = heavy
            .connect()
            .unwrap()
            .query_one(
                "SELECT pg_total_relation_size('pggit.segments') + pg_total_relation_size('pggit.segment_children'),
                        pg_total_relation_size('pggit.commits')",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    for (shape, other, expect) in [
        (
            "fork 15 commits below the tip",
            "near10",
            format!("m{}", HISTORY - 15),
        ),
        ("fork at main's 5th commit", "far10", "m5".to_string()),
    ] {
        assert_eq!(heavy_repo.merge_bases(&tip, other).unwrap(), vec![expect]);
        let d = runs(11, || {
            heavy_repo.merge_bases(&tip, other).unwrap();
        });
        rows.push((
            format!("pggit merge base, merge-heavy history (10,000 merges, {segs} segments), {shape} (median of 11)"),
            ms(d),
            "< 10 ms".into(),
        ));
    }
    rows.push((
        format!(
            "merge-base index of the merge-heavy history: pggit.segments + pggit.segment_children ({segs} segments), tables and indexes (pggit.commits: {:.1} MB)",
            size_commits as f64 / 1e6
        ),
        format!("{:.1} MB", size_index as f64 / 1e6),
        "—".into(),
    ));
    // Commits written one by one on top of the merge-heavy history.
    let (side, plain, merges) = write_side(&heavy);
    rows.push((
        format!("`write_commit` on the 110,000-commit history, own transaction: single-parent commit (median of {})", plain.len()),
        ms(median(plain)),
        "—".into(),
    ));
    rows.push((
        format!("`write_commit` on the 110,000-commit history, own transaction: merge commit, new segment indexed (median of {})", merges.len()),
        ms(median(merges)),
        "—".into(),
    ));
    // Where the index pays less: both sides have many merges above a base
    // at the bottom. Each racer alone too (the segment walk alone is the
    // algorithm before the index).
    let alone = [
        ("", Race::default()),
        ("; the index walk alone", Race::index_alone()),
        (
            "; the segment walk alone (before the index)",
            Race::walk_alone(),
        ),
    ];
    for (shape, other) in [
        ("fork at main's 5th commit", "far10"),
        (
            "main against a branch forked at main's 5th commit with 100 merges of its own",
            side.as_str(),
        ),
    ] {
        for (how, opts) in alone {
            assert_eq!(
                heavy_repo.merge_bases_with(&tip, other, opts).unwrap(),
                vec!["m5".to_string()]
            );
            let d = runs(11, || {
                heavy_repo.merge_bases_with(&tip, other, opts).unwrap();
            });
            rows.push((
                format!("pggit merge base, merge-heavy history, {shape}{how} (median of 11)"),
                ms(d),
                "—".into(),
            ));
        }
    }
    drop(heavy_repo);
    let dir = std::env::temp_dir().join(format!("pggit_bench_git_{}", std::process::id()));
    git_repo(&dir);
    for (shape, b) in [
        ("fork 10 commits below the tip", "near"),
        ("fork 99,990 commits below the tip", "far"),
    ] {
        let d = git_merge_base(&dir, "main", b);
        rows.push((
            format!("`git merge-base` process, {shape} (median of 11)"),
            ms(d),
            "reference".into(),
        ));
    }
    // git again with its commit-graph file (generation numbers on disk).
    assert!(Command::new("git")
        .args(["commit-graph", "write", "--reachable"])
        .current_dir(&dir)
        .status()
        .unwrap()
        .success());
    for (shape, b) in [
        ("fork 10 commits below the tip", "near"),
        ("fork 99,990 commits below the tip", "far"),
    ] {
        let d = git_merge_base(&dir, "main", b);
        rows.push((
            format!("`git merge-base` with commit-graph, {shape} (median of 11)"),
            ms(d),
            "reference".into(),
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);

    // --- three-way merge ----------------------------------------------------
    let base = base_tree();
    let (x, y) = sides(&base);
    let m = merge(&base, &x, &y, &Options::default());
    let conflicts = m.conflicts.len();
    let changes = m.changes.len();
    let d = runs(21, || {
        merge(&base, &x, &y, &Options::default());
    });
    rows.push((
        format!("3-way merge in memory: {} objects per tree, {changes} changed units, {conflicts} conflicts (median of 21)", base.entries.len()),
        ms(d),
        "< 200 ms".into(),
    ));
    let d = runs(21, || {
        pggit::core::diff::diff(&base, &x);
        pggit::core::diff::diff(&base, &y);
    });
    rows.push((
        "reference: the two diffs base→each side alone (median of 21)".into(),
        ms(d),
        "reference".into(),
    ));
    let hashes: Vec<String> = {
        let mut c = db.connect().unwrap();
        let mut tx = c.transaction().unwrap();
        let h = [&base, &x, &y]
            .iter()
            .map(|t| pggit::pg::store::write_tree(&mut tx, t).unwrap())
            .collect();
        tx.commit().unwrap();
        h
    };
    let mut c = db.connect().unwrap();
    let d = runs(11, || {
        let refs: Vec<&str> = hashes.iter().map(String::as_str).collect();
        let trees = pggit::pg::store::read_trees(&mut c, &refs).unwrap();
        merge(&trees[0], &trees[1], &trees[2], &Options::default());
    });
    rows.push((
        "3-way merge including reading the three trees from the repository (median of 11)".into(),
        ms(d),
        "—".into(),
    ));

    println!("| measurement | result | goal |\n|---|---|---|");
    for (what, v, goal) in rows {
        println!("| {what} | {v} | {goal} |");
    }
    drop(repo);
    if std::env::var_os("PGGIT_BENCH_KEEP").is_some() {
        eprintln!("kept database {}", db.name);
        std::mem::forget(db);
    }
}
