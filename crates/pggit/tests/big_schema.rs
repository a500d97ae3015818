//! Schemas too big for one transaction's share of the server's lock table
//! (`max_locks_per_transaction` 64 × 100 connections by default, about
//! 3,000 tables with a primary key each): a workspace build, a merge, a
//! reset and a revert all work, on a server with default settings. The
//! suite uses `PGGIT_BIG_TABLES` tables (default 4,000); the benchmark
//! (`cargo bench -p pggit-cli --bench big_schema`) uses 10,000.

#![allow(clippy::unwrap_used)]

use pggit::pg::connect::{connect, with_dbname};
use pggit::pg::scratch::{test_admin_config, ScratchDb};
use pggit::{
    CommitOptions, FastForward, InitOptions, MergeOptions, Repository, Signature, Strategy,
};

fn create_tables(client: &mut postgres::Client, prefix: &str, n: usize) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let sql: String = chunk
            .iter()
            .map(|i| format!("CREATE TABLE public.{prefix}{i} (id int PRIMARY KEY, v text);"))
            .collect();
        client.batch_execute(&sql).unwrap();
    }
}

#[test]
fn big_schemas_build_merge_reset_and_revert() {
    let n: usize = std::env::var("PGGIT_BIG_TABLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4000);
    let locks: i64 = connect(&test_admin_config())
        .unwrap()
        .query_one(
            "SELECT current_setting('max_locks_per_transaction')::int8 * current_setting('max_connections')::int8",
            &[],
        )
        .unwrap()
        .get(0);
    // Each table and its primary-key index take a lock when created.
    assert!(
        2 * n as i64 > locks,
        "{n} tables fit one transaction on this server ({locks} locks): the test would prove nothing"
    );
    let db = ScratchDb::create(&test_admin_config(), "pggit_big").unwrap();
    create_tables(&mut db.connect().unwrap(), "t", n);
    let (mut repo, init) = Repository::init(&db.config, &InitOptions::default()).unwrap();
    assert!(init.objects >= 2 * n, "{}", init.objects);
    let o = repo.checkout("feat", Some(None)).unwrap();
    let mut on_feat = Repository::open(&db.config, Some("feat".into())).unwrap();
    assert!(on_feat.status().unwrap().changes.is_empty());
    // 600 more tables on the branch: a 1,200-statement migration.
    let mut f = connect(&with_dbname(&db.config, &o.workspace)).unwrap();
    create_tables(&mut f, "more", 600);
    drop(f);
    let sig = Signature::default();
    on_feat
        .commit_workspace(&CommitOptions {
            message: Some("more".into()),
            signature: sig.clone(),
        })
        .unwrap();
    let mut on_main = Repository::open(&db.config, Some("main".into())).unwrap();
    let m = on_main
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
        .unwrap();
    assert_eq!(m.status, "completed", "{m:?}");
    assert!(on_main.status().unwrap().changes.is_empty());
    // Revert the merge (drops the 600 tables), then reset back to it.
    let merged = on_main.resolve("HEAD").unwrap().id;
    on_main.revert_merge("HEAD", 1, true, &sig).unwrap();
    assert!(on_main.status().unwrap().changes.is_empty());
    on_main.reset_hard(&merged, true).unwrap();
    assert!(on_main.status().unwrap().changes.is_empty());
    let report = on_main.doctor(false).unwrap();
    assert_eq!(report.problems, 0, "{:?}", report.findings);
    drop((repo, on_feat, on_main));
    db.drop_workspaces();
}
