//! Operations racing each other on one branch, as several pggit processes
//! would (each thread has its own connections, like a process): nothing
//! wedges, nothing is applied without being recorded, no commit gives up.
//! Each test makes its own database(s).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use pggit::pg::scratch::{test_admin_config, ScratchDb};
use pggit::{
    CommitOptions, Error, FastForward, InitOptions, MergeOptions, Repository, Signature, Strategy,
};

struct TestRepo {
    db: ScratchDb,
}

impl TestRepo {
    fn new(sql: &str) -> TestRepo {
        let db = ScratchDb::create(&test_admin_config(), "pggit_race").expect("create db");
        db.connect().unwrap().batch_execute(sql).unwrap();
        Repository::init(&db.config, &InitOptions::default()).expect("init");
        TestRepo { db }
    }

    fn open(&self, branch: Option<&str>) -> Repository {
        Repository::open(&self.db.config, branch.map(str::to_string)).expect("open")
    }

    fn sql(&self, sql: &str) {
        self.db.connect().unwrap().batch_execute(sql).unwrap();
    }

    fn pending(&self) -> Option<serde_json::Value> {
        self.db
            .connect()
            .unwrap()
            .query_one(
                "SELECT pending FROM pggit.workspaces WHERE branch = 'main'",
                &[],
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

fn commit(repo: &mut Repository, msg: &str) -> Result<pggit::CommitOutcome, Error> {
    repo.commit_workspace(&CommitOptions {
        message: Some(msg.to_string()),
        signature: Signature::default(),
    })
}

fn table_names(repo: &mut Repository, rev: &str) -> BTreeSet<String> {
    let tree = repo.tree_of(rev).unwrap();
    tree.entries
        .keys()
        .map(|id| tree.display_name(id))
        .filter(|n| n.starts_with("public.") && n.matches('.').count() == 1)
        .collect()
}

/// Another process runs `psql DDL; pggit commit` in a loop on main.
fn committer(config: postgres::Config, prefix: &'static str, rounds: usize) -> Vec<String> {
    let mut made = Vec::new();
    for i in 0..rounds {
        let mut c = pggit::pg::connect::connect(&config).unwrap();
        c.batch_execute(&format!("CREATE TABLE public.{prefix}{i} (id int)"))
            .unwrap();
        let mut repo = Repository::open(&config, Some("main".into())).unwrap();
        match commit(&mut repo, &format!("{prefix}{i}")) {
            Ok(o) => made.push(o.commit.id),
            // Another committer's commit took this table along.
            Err(Error::NothingToCommit(_)) => {}
            Err(e) => panic!("commit {prefix}{i} failed: {e}"),
        }
    }
    made
}

#[test]
fn merge_racing_commits_never_wedges_or_hides_changes() {
    let t = TestRepo::new("CREATE TABLE public.base (id int PRIMARY KEY)");
    let mut repo = t.open(None);
    repo.checkout("feat", Some(None)).unwrap();
    let mut on_feat = t.open(Some("feat"));
    let feat_db = on_feat.branches().unwrap();
    let url = feat_db
        .iter()
        .find(|b| b.name == "feat")
        .and_then(|b| b.workspace.clone())
        .unwrap();
    let (fc, _) = pggit::pg::connect::resolve(Some(&url), &|_| None).unwrap();
    pggit::pg::connect::connect(&fc)
        .unwrap()
        .batch_execute(
            "CREATE TABLE public.from_feat (id int); ALTER TABLE public.base ADD COLUMN f text",
        )
        .unwrap();
    commit(&mut on_feat, "feat work").unwrap();

    let config = t.db.config.clone();
    let racer = std::thread::spawn(move || committer(config, "race", 8));
    // The merge retries while the committer's DDL is uncommitted (a merge
    // needs a clean target); every other failure is a defect.
    let mut merged = None;
    for _ in 0..200 {
        let mut m = t.open(Some("main"));
        match m.merge(&MergeOptions {
            source: "feat".into(),
            into: None,
            strategy: Strategy::Auto,
            dry_run: false,
            fast_forward: FastForward::Never,
            squash: false,
            message: None,
            signature: Signature::default(),
            force: false,
        }) {
            Ok(o) => {
                assert_eq!(o.status, "completed", "{o:?}");
                merged = o.commit;
                break;
            }
            Err(Error::Refused(msg)) if msg.contains("uncommitted changes") => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("merge failed: {e}"),
        }
    }
    let made = racer.join().unwrap();
    let merged = merged.expect("the merge never found a clean moment");
    let mut repo = t.open(Some("main"));
    assert!(t.pending().is_none(), "journal left behind");
    // Whatever DDL the committer left after its last commit, commit it.
    match commit(&mut repo, "rest") {
        Ok(_) | Err(Error::NothingToCommit(_)) => {}
        Err(e) => panic!("main is wedged: {e}"),
    }
    assert!(repo.status().unwrap().changes.is_empty());
    let log: Vec<pggit::LogEntry> = repo.log("HEAD", None, None).unwrap();
    let ids: Vec<&str> = log.iter().map(|e| e.commit.id.as_str()).collect();
    for id in made.iter().chain([&merged]) {
        assert!(
            ids.contains(&id.as_str()),
            "commit {id} is not in main's history"
        );
    }
    let merge = log.iter().find(|e| e.commit.id == merged).unwrap();
    assert_eq!(
        merge.commit.parents.len(),
        2,
        "the merge commit has both parents"
    );
    // The merge's changes are in the merge commit itself, not swept into
    // a later unrelated commit.
    let at_merge = table_names(&mut repo, &merged);
    assert!(at_merge.contains("public.from_feat"), "{at_merge:?}");
    let head = table_names(&mut repo, "HEAD");
    for i in 0..8 {
        assert!(head.contains(&format!("public.race{i}")), "{head:?}");
    }
    // The merge record is closed and names its result.
    let rec =
        t.db.connect()
            .unwrap()
            .query_one(
                "SELECT status, result_commit FROM pggit.merge_records ORDER BY id DESC LIMIT 1",
                &[],
            )
            .unwrap();
    assert_eq!(rec.get::<_, String>(0), "completed");
    assert_eq!(
        rec.get::<_, Option<String>>(1).as_deref(),
        Some(merged.as_str())
    );
}

#[test]
fn reset_racing_commits_applies_only_what_it_records() {
    let t = TestRepo::new("CREATE TABLE public.base (id int PRIMARY KEY)");
    let mut repo = t.open(None);
    t.sql("CREATE TABLE public.doomed (id int); ALTER TABLE public.base ADD COLUMN c text");
    commit(&mut repo, "doomed").unwrap();
    let target = repo.resolve("HEAD~1").unwrap().id;
    let config = t.db.config.clone();
    let racer = std::thread::spawn(move || committer(config, "r", 6));
    // Let the racer get going, then reset in the middle of its loop.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let mut r = t.open(Some("main"));
    if let Err(e) = r.reset_hard(&target, true) {
        panic!("reset failed: {e}");
    }
    let made = racer.join().unwrap();
    assert!(t.pending().is_none(), "journal left behind");
    let mut repo = t.open(Some("main"));
    match commit(&mut repo, "rest") {
        Ok(_) | Err(Error::NothingToCommit(_)) => {}
        Err(e) => panic!("main is wedged: {e}"),
    }
    // The workspace and the branch agree, and the reflog shows the reset.
    assert!(repo.status().unwrap().changes.is_empty());
    let head = table_names(&mut repo, "HEAD");
    assert!(!head.contains("public.doomed"), "{head:?}");
    // Commits made after the reset stay in history; commits made before it
    // were reset away with everything else (that is what reset does), and
    // each surviving table is either committed or still in the workspace.
    let log: Vec<String> = repo
        .log("HEAD", None, None)
        .unwrap()
        .into_iter()
        .map(|e| e.commit.id)
        .collect();
    let reflog: i64 =
        t.db.connect()
            .unwrap()
            .query_one(
                "SELECT count(*) FROM pggit.reflog WHERE ref = 'main' AND message LIKE 'reset:%'",
                &[],
            )
            .unwrap()
            .get(0);
    assert_eq!(reflog, 1);
    // Commits that landed after the reset are all in history.
    let reset_at: i64 =
        t.db.connect()
            .unwrap()
            .query_one(
                "SELECT max(id) FROM pggit.reflog WHERE ref = 'main' AND message LIKE 'reset:%'",
                &[],
            )
            .unwrap()
            .get(0);
    let after: Vec<String> =
        t.db.connect()
            .unwrap()
            .query(
                "SELECT new_commit FROM pggit.reflog WHERE ref = 'main' AND id > $1",
                &[&reset_at],
            )
            .unwrap()
            .into_iter()
            .map(|r| r.get(0))
            .collect();
    for id in &after {
        assert!(
            made.contains(id) || id == &log[0],
            "unexpected ref move to {id}"
        );
        assert!(log.contains(id), "commit {id} after the reset is lost");
    }
}

#[test]
fn many_committers_never_give_up() {
    let t = TestRepo::new("CREATE TABLE public.base (id int)");
    let handles: Vec<_> = ["a", "b", "c", "d", "e", "f", "g", "h"]
        .into_iter()
        .map(|p| {
            let config = t.db.config.clone();
            std::thread::spawn(move || committer(config, p, 10))
        })
        .collect();
    let made: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let mut repo = t.open(None);
    let log: Vec<String> = repo
        .log("HEAD", None, None)
        .unwrap()
        .into_iter()
        .map(|e| e.commit.id)
        .collect();
    assert_eq!(
        log.len(),
        made.len() + 1,
        "linear history, one commit per success"
    );
    let head = table_names(&mut repo, "HEAD");
    for p in ["a", "b", "c", "d", "e", "f", "g", "h"] {
        for i in 0..10 {
            assert!(head.contains(&format!("public.{p}{i}")), "{p}{i} missing");
        }
    }
}

#[test]
fn recovery_leaves_a_live_operation_alone() {
    let t = TestRepo::new("CREATE TABLE public.t (id int)");
    let mut repo = t.open(None);
    t.sql("CREATE TABLE public.u (id int)");
    let c2 = commit(&mut repo, "u").unwrap().commit.id;
    let root = repo.resolve("HEAD~1").unwrap().id;
    // A live session owns an operation on main: it holds main's lock and
    // has journalled a reset whose migration it has already applied.
    let mut owner = t.db.connect().unwrap();
    owner
        .execute("SELECT pg_advisory_lock(1885825396, hashtext('main'))", &[])
        .unwrap();
    t.sql(&format!(
        "UPDATE pggit.workspaces SET pending = '{{\"op\":\"reset\",\"from\":\"{c2}\",\"to\":\"{root}\"}}'; DROP TABLE public.u"
    ));
    repo.recover("main").unwrap();
    assert!(
        t.pending().is_some(),
        "a live operation's journal was settled"
    );
    assert_eq!(repo.resolve("HEAD").unwrap().id, c2);
    // Another command waits for the owner rather than acting mid-operation.
    let mut other = t.open(None);
    other.set_lock_wait(std::time::Duration::from_millis(300));
    let err = commit(&mut other, "x").unwrap_err();
    assert!(matches!(err, Error::Busy(_)), "{err}");
    assert_eq!(err.exit_code(), 3);
    // The owner dies: the next command finishes its operation.
    drop(owner);
    std::thread::sleep(std::time::Duration::from_millis(200));
    repo.recover("main").unwrap();
    assert!(t.pending().is_none());
    assert_eq!(repo.resolve("HEAD").unwrap().id, root);
}

#[test]
fn a_journal_naming_a_vanished_commit_does_not_wedge() {
    let t = TestRepo::new("CREATE TABLE public.t (id int)");
    let mut repo = t.open(None);
    let head = repo.resolve("HEAD").unwrap().id;
    let gone = "ab".repeat(32);
    t.sql(&format!(
        "UPDATE pggit.workspaces SET pending = '{{\"op\":\"merge\",\"from\":\"{head}\",\"to\":\"{gone}\"}}'"
    ));
    t.sql("CREATE TABLE public.u (id int)");
    commit(&mut repo, "u").unwrap();
    assert!(t.pending().is_none());
    repo.reset_hard("HEAD~1", true).unwrap();
    assert_eq!(repo.resolve("HEAD").unwrap().id, head);
}
