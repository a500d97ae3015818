//! Workspace databases under the things that happen to them: dropped or
//! re-created behind pggit's back, dropped with data in them, left behind by
//! a failed `checkout -b` or a killed merge; and which branch a session is
//! on. Each test makes its own database(s).

#![allow(clippy::unwrap_used)]

use pggit::pg::connect::{connect, with_dbname};
use pggit::pg::scratch::{test_admin_config, ScratchDb};
use pggit::{CommitOptions, Error, InitOptions, Repository, Signature};

struct TestRepo {
    db: ScratchDb,
}

impl TestRepo {
    fn new(sql: &str) -> (TestRepo, Repository) {
        let db = ScratchDb::create(&test_admin_config(), "pggit_ws").expect("create db");
        db.connect().unwrap().batch_execute(sql).unwrap();
        let (repo, _) = Repository::init(&db.config, &InitOptions::default()).expect("init");
        (TestRepo { db }, repo)
    }

    fn open(&self, branch: Option<&str>) -> Repository {
        Repository::open(&self.db.config, branch.map(str::to_string)).expect("open")
    }

    fn admin(&self) -> postgres::Client {
        connect(&test_admin_config()).unwrap()
    }

    fn exists(&self, dbname: &str) -> bool {
        self.admin()
            .query_one(
                "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)",
                &[&dbname],
            )
            .unwrap()
            .get(0)
    }
}

impl Drop for TestRepo {
    fn drop(&mut self) {
        self.db.drop_workspaces();
    }
}

fn commit(repo: &mut Repository) -> Result<pggit::CommitOutcome, Error> {
    repo.commit_workspace(&CommitOptions {
        message: Some("x".into()),
        signature: Signature::default(),
    })
}

#[test]
fn a_dropped_workspace_is_detected_and_rebuilt() {
    let (t, mut repo) = TestRepo::new("CREATE TABLE public.t (id int)");
    let o = repo.checkout("b", Some(None)).unwrap();
    t.admin()
        .batch_execute(&format!("DROP DATABASE \"{}\" WITH (FORCE)", o.workspace))
        .unwrap();
    let mut on_b = t.open(Some("b"));
    let err = on_b.status().unwrap_err();
    assert!(matches!(err, Error::Refused(_)), "{err}");
    assert!(err.to_string().contains("no longer exists"), "{err}");
    assert!(matches!(commit(&mut on_b), Err(Error::Refused(_))));
    // checkout notices and builds it again.
    let again = repo.checkout("b", None).unwrap();
    assert!(again.created_workspace);
    assert!(t.open(Some("b")).status().unwrap().changes.is_empty());
}

#[test]
fn a_recreated_empty_database_is_not_taken_for_the_workspace() {
    let (t, mut repo) =
        TestRepo::new("CREATE TABLE public.t (id int); CREATE TABLE public.u (id int)");
    let o = repo.checkout("b", Some(None)).unwrap();
    let before = repo.resolve("b").unwrap().id;
    let mut admin = t.admin();
    admin
        .batch_execute(&format!("DROP DATABASE \"{}\" WITH (FORCE)", o.workspace))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE \"{}\"", o.workspace))
        .unwrap();
    let mut on_b = t.open(Some("b"));
    let err = commit(&mut on_b).unwrap_err();
    assert!(err.to_string().contains("no longer the workspace"), "{err}");
    // Nothing was recorded: no commit saying every table was removed.
    assert_eq!(repo.resolve("b").unwrap().id, before);
    // checkout refuses to treat (or drop) somebody's database as its own.
    assert!(matches!(repo.checkout("b", None), Err(Error::Refused(_))));
    assert!(t.exists(&o.workspace));
}

#[test]
fn the_checked_out_branch_belongs_to_the_session() {
    let (t, mut alice) = TestRepo::new("CREATE TABLE public.t (id int)");
    alice.checkout("atroot", Some(None)).unwrap();
    assert_eq!(alice.current_branch().unwrap(), "atroot");
    // Another user, connecting with main's own database URL, is on main.
    let mut bob = t.open(None);
    assert_eq!(bob.current_branch().unwrap(), "main");
    // A workspace's URL selects its branch.
    let ws = alice
        .branches()
        .unwrap()
        .into_iter()
        .find(|b| b.name == "atroot")
        .unwrap()
        .workspace
        .unwrap();
    let (c, _) = pggit::pg::connect::resolve(Some(&ws), &|_| None).unwrap();
    let mut carol = Repository::open(&c, None).unwrap();
    assert_eq!(carol.current_branch().unwrap(), "atroot");
    // HEAD did not move for bob: his commit lands on main.
    t.db.connect()
        .unwrap()
        .batch_execute("CREATE TABLE public.bobs (id int)")
        .unwrap();
    let o = commit(&mut bob).unwrap();
    assert_eq!(o.branch, "main");
    assert_ne!(t.open(None).resolve("atroot").unwrap().id, o.commit.id);
}

#[test]
fn a_failed_checkout_b_leaves_nothing_behind() {
    let (t, mut repo) = TestRepo::new("CREATE TABLE public.t (id int)");
    // The workspace's name is taken by a database that is not pggit's.
    let dbname = pggit::pg::workspace::database_name(repo.database(), "x");
    t.admin()
        .batch_execute(&format!("CREATE DATABASE \"{dbname}\""))
        .unwrap();
    assert!(matches!(
        repo.checkout("x", Some(None)),
        Err(Error::Refused(_))
    ));
    assert!(matches!(repo.resolve("x"), Err(Error::UnknownRevision(_))));
    assert!(!repo.branches().unwrap().iter().any(|b| b.name == "x"));
    // The foreign database is left alone.
    assert!(t.exists(&dbname));
    t.admin()
        .batch_execute(&format!("DROP DATABASE \"{dbname}\""))
        .unwrap();
    // Now it works.
    repo.checkout("x", Some(None)).unwrap();
}

#[test]
fn dropping_a_workspace_that_holds_work_needs_force() {
    let (t, mut repo) = TestRepo::new("CREATE TABLE public.t (id int)");
    let o = repo.checkout("b", Some(None)).unwrap();
    repo.checkout("main", None).unwrap();
    let mut w = connect(&with_dbname(&t.db.config, &o.workspace)).unwrap();
    w.batch_execute("INSERT INTO public.t VALUES (1)").unwrap();
    // Rows, and a session connected to it.
    let err = repo.delete_branch("b", false, true).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("rows in public.t"), "{msg}");
    assert!(msg.contains("other connected session"), "{msg}");
    assert!(t.exists(&o.workspace));
    assert!(repo.resolve("b").is_ok(), "the branch is still there");
    w.batch_execute("DELETE FROM public.t; CREATE TABLE public.uncommitted (id int)")
        .unwrap();
    drop(w);
    let err = repo.delete_branch("b", false, true).unwrap_err();
    assert!(
        err.to_string().contains("uncommitted schema change"),
        "{err}"
    );
    // --force drops it.
    repo.delete_branch("b", true, true).unwrap();
    assert!(!t.exists(&o.workspace));
}

#[test]
fn a_killed_merges_scratch_database_is_swept() {
    let (t, mut repo) = TestRepo::new("CREATE TABLE public.t (id int)");
    let tag = &pggit::core::hash::sha256_hex(repo.database().as_bytes())[..8];
    let dead = format!("pggit_merge_check_{tag}_999999_0_1");
    let live = format!("pggit_merge_check_{tag}_999999_0_2");
    let other_repo = "pggit_merge_check_00000000_999999_0_3".to_string();
    let mut admin = t.admin();
    for d in [&dead, &live, &other_repo] {
        admin
            .batch_execute(&format!("CREATE DATABASE \"{d}\""))
            .unwrap();
    }
    // A live merge holds its scratch database's lock.
    let mut owner = t.db.connect().unwrap();
    owner
        .execute(
            "SELECT pg_advisory_lock(1885825395, hashtext($1))",
            &[&live],
        )
        .unwrap();
    let swept = repo.sweep_scratch().unwrap();
    assert_eq!(swept, vec![dead.clone()]);
    assert!(!t.exists(&dead));
    assert!(
        t.exists(&live),
        "a live merge's scratch database was dropped"
    );
    assert!(
        t.exists(&other_repo),
        "another repository's scratch database was dropped"
    );
    drop(owner);
    std::thread::sleep(std::time::Duration::from_millis(200));
    // `merge --status` (any merge command) sweeps too.
    let _ = repo.merge_status(None);
    assert!(!t.exists(&live));
    admin
        .batch_execute(&format!("DROP DATABASE \"{other_repo}\""))
        .unwrap();
}
