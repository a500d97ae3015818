//! Big-schema benchmark (issue 9): a schema of `PGGIT_BENCH_TABLES` tables
//! (default 10,000, each with a primary key) on a server with default
//! settings, where one transaction cannot hold the locks of the whole
//! schema. Measures, in one run: `pggit init`, building a branch's
//! workspace (`checkout -b`), a merge adding 600 tables, its revert and a
//! reset back — against the reference for copying a schema, `pg_dump
//! --schema-only | psql` into an empty database.
//!
//! Run: `cargo bench -p pggit-cli --bench big_schema` (uses PGGIT_TEST_URL
//! or the local server). Prints a Markdown table.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pggit::pg::connect::{connect, url, with_dbname};
use pggit::pg::scratch::{test_admin_config, ScratchDb};
use pggit::{
    CommitOptions, FastForward, InitOptions, MergeOptions, Repository, Signature, Strategy,
};

fn create_tables(client: &mut postgres::Client, prefix: &str, n: usize) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let sql: String = chunk
            .iter()
            .map(|i| {
                format!("CREATE TABLE public.{prefix}{i} (id int PRIMARY KEY, v text, n numeric(10,2));")
            })
            .collect();
        client.batch_execute(&sql).expect("create tables");
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn ms(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn main() {
    let n: usize = std::env::var("PGGIT_BENCH_TABLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let admin = test_admin_config();
    let settings: (String, String) = {
        let mut c = connect(&admin).expect("connect");
        let r = c
            .query_one(
                "SELECT current_setting('max_locks_per_transaction'), current_setting('max_connections')",
                &[],
            )
            .expect("settings");
        (r.get(0), r.get(1))
    };
    let db = ScratchDb::create(&admin, "pggit_bench_big").expect("db");
    let (_, build) = timed(|| create_tables(&mut db.connect().expect("connect"), "t", n));

    // Reference: copy the schema with pg_dump | psql.
    let copy = ScratchDb::create(&admin, "pggit_bench_big_copy").expect("db");
    let ((), reference) = timed(|| {
        let mut dump = Command::new("pg_dump")
            .args(["--schema-only", "--no-owner", "--dbname", &url(&db.config)])
            .stdout(Stdio::piped())
            .spawn()
            .expect("pg_dump");
        let status = Command::new("psql")
            .args([
                "-q",
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "--dbname",
                &url(&copy.config),
            ])
            .stdin(dump.stdout.take().expect("pipe"))
            .stdout(Stdio::null())
            .status()
            .expect("psql");
        assert!(dump.wait().expect("pg_dump").success(), "pg_dump failed");
        assert!(status.success(), "pg_dump | psql failed");
    });
    drop(copy);

    let ((mut repo, _), init) =
        timed(|| Repository::init(&db.config, &InitOptions::default()).expect("init"));
    let (o, checkout) = timed(|| repo.checkout("feat", Some(None)).expect("checkout -b"));
    let mut f = connect(&with_dbname(&db.config, &o.workspace)).expect("connect");
    create_tables(&mut f, "more", 600);
    drop(f);
    let sig = Signature::default();
    let mut on_feat = Repository::open(&db.config, Some("feat".into())).expect("open");
    let (_, commit) = timed(|| {
        on_feat
            .commit_workspace(&CommitOptions {
                message: Some("more".into()),
                signature: sig.clone(),
            })
            .expect("commit")
    });
    let mut on_main = Repository::open(&db.config, Some("main".into())).expect("open");
    let (m, merge) = timed(|| {
        on_main
            .merge(&MergeOptions {
                source: "feat".into(),
                into: None,
                strategy: Strategy::Auto,
                dry_run: false,
                fast_forward: FastForward::Never,
                squash: false,
                message: None,
                signature: sig.clone(),
                force: false,
            })
            .expect("merge")
    });
    assert_eq!(m.status, "completed");
    let merged = on_main.resolve("HEAD").expect("head").id;
    let (_, revert) = timed(|| on_main.revert_merge("HEAD", 1, true, &sig).expect("revert"));
    let (_, reset) = timed(|| on_main.reset_hard(&merged, true).expect("reset"));
    let (report, doctor) = timed(|| on_main.doctor(false).expect("doctor"));
    assert_eq!(report.problems, 0);

    println!(
        "{n} tables with a primary key; server max_locks_per_transaction = {}, max_connections = {}\n",
        settings.0, settings.1
    );
    println!("| measurement | time |\n|---|---|");
    println!(
        "| create the schema (psql-like, 500 statements per transaction) | {} |",
        ms(build)
    );
    println!(
        "| reference: `pg_dump --schema-only \\| psql` into an empty database | {} |",
        ms(reference)
    );
    println!("| `pggit init` | {} |", ms(init));
    println!(
        "| `pggit checkout -b` (build and verify the workspace) | {} |",
        ms(checkout)
    );
    println!(
        "| `pggit commit` of 600 new tables on the branch | {} |",
        ms(commit)
    );
    println!(
        "| `pggit merge --no-ff` (validity check on a scratch database, apply 1,200 statements in batches) | {} |",
        ms(merge)
    );
    println!(
        "| `pggit revert -m 1` of the merge (drops 600 tables) | {} |",
        ms(revert)
    );
    println!("| `pggit reset --hard` back to the merge | {} |", ms(reset));
    println!("| `pggit doctor` | {} |", ms(doctor));
    drop((repo, on_feat, on_main));
    db.drop_workspaces();
}
