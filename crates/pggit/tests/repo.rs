//! Porcelain behaviour against the real server: capture, commit, rename
//! identity, branches and workspaces, ref races, interrupted operations,
//! hostile names and bad input. Each test makes its own database(s).

#![allow(clippy::unwrap_used)]

use pggit::core::diff::Status as ChangeStatus;
use pggit::pg::scratch::{test_admin_config, ScratchDb};
use pggit::{CommitOptions, Error, InitOptions, Repository, Side, Signature};

/// A repository database; drops its workspace databases too.
struct TestRepo {
    db: ScratchDb,
}

impl TestRepo {
    fn new(sql: &str) -> (TestRepo, Repository) {
        let db = ScratchDb::create(&test_admin_config(), "pggit_repo").expect("create db");
        db.connect().unwrap().batch_execute(sql).unwrap();
        let (repo, _) = Repository::init(&db.config, &InitOptions::default()).expect("init");
        (TestRepo { db }, repo)
    }

    fn open(&self) -> Repository {
        Repository::open(&self.db.config, None).expect("open")
    }

    fn sql(&self, sql: &str) {
        self.db.connect().unwrap().batch_execute(sql).unwrap();
    }
}

impl Drop for TestRepo {
    fn drop(&mut self) {
        self.db.drop_workspaces();
    }
}

fn commit(repo: &mut Repository, msg: Option<&str>) -> Result<pggit::CommitOutcome, Error> {
    repo.commit_workspace(&CommitOptions {
        message: msg.map(str::to_string),
        signature: Signature::default(),
    })
}

fn ws_sql(repo: &mut Repository, branch: &str, sql: &str) {
    let url = repo
        .branches()
        .unwrap()
        .into_iter()
        .find(|b| b.name == branch)
        .and_then(|b| b.workspace)
        .expect("workspace");
    let (c, _) = pggit::pg::connect::resolve(Some(&url), &|_| None).unwrap();
    pggit::pg::connect::connect(&c)
        .unwrap()
        .batch_execute(sql)
        .unwrap();
}

#[test]
fn capture_status_commit_log_show() {
    let (t, mut repo) = TestRepo::new("CREATE TABLE public.users (id int PRIMARY KEY, email text)");
    assert!(matches!(
        commit(&mut repo, None),
        Err(Error::NothingToCommit(_))
    ));
    t.sql("ALTER TABLE public.users ADD COLUMN avatar text");
    let s = repo.status().unwrap();
    assert!(s.capture);
    assert_eq!(s.captured.len(), 1);
    assert_eq!(s.captured[0].command_tag, "ALTER TABLE");
    assert_eq!(
        s.captured[0].object_identity.as_deref(),
        Some("public.users")
    );
    assert_eq!(
        s.captured[0].statement.as_deref(),
        Some("ALTER TABLE public.users ADD COLUMN avatar text")
    );
    assert_eq!(s.changes.len(), 1);
    assert_eq!(s.changes[0].parts, vec!["column avatar: added".to_string()]);
    let c = commit(&mut repo, None).unwrap();
    // The default message is the captured statement.
    assert_eq!(
        c.commit.message,
        "ALTER TABLE public.users ADD COLUMN avatar text"
    );
    assert!(repo.status().unwrap().captured.is_empty());
    assert!(repo.status().unwrap().changes.is_empty());
    let log = repo.log("HEAD", None, None).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].commit.id, c.commit.id);
    assert_eq!(log[0].refs, vec!["main".to_string()]);
    let shown = repo.show("HEAD").unwrap();
    assert_eq!(shown.statements.len(), 1);
    assert_eq!(
        shown.statements[0].sql,
        "ALTER TABLE public.users ADD COLUMN avatar text"
    );
    // Abbreviated ids and ancestry syntax.
    assert_eq!(repo.resolve(&c.commit.id[..8]).unwrap().id, c.commit.id);
    assert_eq!(repo.resolve("HEAD~1").unwrap().id, log[1].commit.id);
    assert_eq!(repo.resolve("main^").unwrap().id, log[1].commit.id);
    // The SQL views are readable.
    let mut pc = t.db.connect().unwrap();
    let n: i64 = pc
        .query_one("SELECT count(*) FROM pggit.log", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    let n: i64 = pc
        .query_one(
            "SELECT count(*) FROM pggit.object_history WHERE commit = $1",
            &[&c.commit.id],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    let n: i64 = pc
        .query_one("SELECT count(*) FROM pggit.branches", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[test]
fn renames_keep_identity() {
    let (t, mut repo) = TestRepo::new(
        "CREATE TABLE public.users (id int PRIMARY KEY, name text);
         CREATE INDEX users_name ON public.users (lower(name)) WHERE name IS NOT NULL;
         CREATE TABLE public.orders (id int, user_id int REFERENCES public.users (id));
         CREATE FUNCTION public.tg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
         CREATE TRIGGER users_name_changed BEFORE UPDATE ON public.users
             FOR EACH ROW WHEN (old.name IS DISTINCT FROM new.name) EXECUTE FUNCTION public.tg();",
    );
    t.sql(
        "ALTER TABLE public.users RENAME TO people;
         ALTER TABLE public.people RENAME COLUMN name TO full_name;
         ALTER TABLE public.people RENAME COLUMN id TO uid",
    );
    let c = commit(&mut repo, Some("rename")).unwrap();
    let tables: Vec<_> = c
        .changes
        .iter()
        .filter(|c| c.kind.as_str() == "table")
        .collect();
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0].status, ChangeStatus::Modified);
    assert_eq!(tables[0].renamed_from.as_deref(), Some("public.users"));
    // The index, foreign key and trigger text changed only by the renames:
    // they are not reported as changed definitions.
    for ch in &c.changes {
        assert!(!ch.parts.contains(&"definition".to_string()), "{ch:?}");
    }
    let d = repo
        .diff(
            &Side::Rev("HEAD~1".into()),
            &Side::Rev("HEAD".into()),
            false,
        )
        .unwrap();
    let sql: Vec<&str> = d.statements.iter().map(|s| s.sql.as_str()).collect();
    // Renames only: no index rebuilt, no foreign key re-validated, no
    // trigger re-created.
    assert_eq!(
        sql,
        vec![
            "ALTER TABLE public.users RENAME TO people",
            "ALTER TABLE public.people RENAME COLUMN id TO uid",
            "ALTER TABLE public.people RENAME COLUMN name TO full_name",
        ]
    );
    // log --object follows the object across its rename.
    let log = repo.log("HEAD", None, Some("public.people")).unwrap();
    assert_eq!(log.len(), 2);
    let blame = repo.blame("public.people").unwrap();
    let full_name = blame.iter().find(|b| b.part == "column full_name").unwrap();
    assert_eq!(full_name.commit, c.commit.id);
    let root = repo.resolve("HEAD~1").unwrap();
    let pkey = blame
        .iter()
        .find(|b| b.part == "constraint users_pkey")
        .unwrap();
    assert_eq!(pkey.commit, root.id);
}

#[test]
fn branches_checkout_and_workspaces() {
    let (t, mut repo) = TestRepo::new("CREATE TABLE public.t (id int PRIMARY KEY)");
    let o = repo.checkout("feature/x", Some(None)).unwrap();
    assert!(o.created_workspace);
    assert!(o.url.contains(&o.workspace));
    ws_sql(
        &mut repo,
        "feature/x",
        "ALTER TABLE public.t ADD COLUMN v text",
    );
    let c = commit(&mut repo, Some("on feature")).unwrap();
    assert_eq!(c.branch, "feature/x");
    // main is untouched.
    let main = repo.resolve("main").unwrap();
    assert_ne!(main.id, c.commit.id);
    let list = repo.branches().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|b| b.workspace.is_some()));
    assert!(list.iter().find(|b| b.name == "feature/x").unwrap().current);
    // Opening the workspace database leads to the repository, on its branch.
    let ws_url = list
        .iter()
        .find(|b| b.name == "feature/x")
        .unwrap()
        .workspace
        .clone()
        .unwrap();
    let (wc, _) = pggit::pg::connect::resolve(Some(&ws_url), &|_| None).unwrap();
    let mut via_ws = Repository::open(&wc, None).unwrap();
    assert_eq!(via_ws.current_branch().unwrap(), "feature/x");
    // Deleting: refused for main, the current branch, and unmerged branches.
    repo.checkout("main", None).unwrap();
    assert!(matches!(
        repo.delete_branch("main", true, false),
        Err(Error::Refused(_))
    ));
    assert!(matches!(
        repo.delete_branch("feature/x", false, false),
        Err(Error::Refused(_))
    ));
    let dropped = repo.delete_branch("feature/x", true, true).unwrap();
    assert_eq!(dropped.as_deref(), Some(o.workspace.as_str()));
    let mut admin = pggit::pg::connect::connect(&test_admin_config()).unwrap();
    let exists: bool = admin
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
            &[&o.workspace],
        )
        .unwrap()
        .get(0);
    assert!(!exists);
    drop(t);
}

#[test]
fn interrupted_checkout_is_rebuilt() {
    let (t, mut repo) = TestRepo::new("CREATE TABLE public.t (id int PRIMARY KEY)");
    repo.create_branch("b", None).unwrap();
    // Simulate a crash after registration and a half-built database.
    let dbname = pggit::pg::workspace::database_name(repo.database(), "b");
    pggit::pg::scratch::create_database(&test_admin_config(), &dbname).unwrap();
    t.sql(&format!(
        "INSERT INTO pggit.workspaces (branch, dbname, state) VALUES ('b', '{dbname}', 'building')"
    ));
    let half = pggit::pg::connect::with_dbname(&test_admin_config(), &dbname);
    pggit::pg::connect::connect(&half)
        .unwrap()
        .batch_execute("CREATE TABLE public.junk (x int)")
        .unwrap();
    // pggit does not treat it as a workspace...
    assert!(repo
        .branches()
        .unwrap()
        .iter()
        .find(|b| b.name == "b")
        .unwrap()
        .workspace
        .is_none());
    let mut on_b = Repository::open(&t.db.config, Some("b".into())).unwrap();
    assert!(matches!(commit(&mut on_b, None), Err(Error::Refused(_))));
    // ...and checkout rebuilds it from the commit.
    let o = repo.checkout("b", None).unwrap();
    assert!(o.created_workspace);
    let mut c = pggit::pg::connect::connect(&half).unwrap();
    let junk: bool = c
        .query_one("SELECT to_regclass('public.junk') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(!junk);
    assert!(repo.status().unwrap().changes.is_empty());
}

#[test]
fn concurrent_commits_lose_nothing() {
    let (t, _) = TestRepo::new("CREATE TABLE public.base (id int)");
    let config = t.db.config.clone();
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let config = config.clone();
            std::thread::spawn(move || {
                let mut c = pggit::pg::connect::connect(&config).unwrap();
                c.batch_execute(&format!("CREATE TABLE public.t{i} (id int)"))
                    .unwrap();
                let mut repo = Repository::open(&config, None).unwrap();
                match commit(&mut repo, Some(&format!("t{i}"))) {
                    Ok(o) => Some(o.commit.id),
                    Err(Error::NothingToCommit(_)) => None,
                    Err(e) => panic!("commit failed: {e}"),
                }
            })
        })
        .collect();
    let made: Vec<String> = handles
        .into_iter()
        .filter_map(|h| h.join().unwrap())
        .collect();
    assert!(!made.is_empty());
    let mut repo = t.open();
    let log: Vec<String> = repo
        .log("HEAD", None, None)
        .unwrap()
        .into_iter()
        .map(|e| e.commit.id)
        .collect();
    for id in &made {
        assert!(log.contains(id), "commit {id} was lost");
    }
    assert_eq!(
        log.len(),
        made.len() + 1,
        "history is linear: one commit per success"
    );
    // Every table ended up committed.
    assert!(repo.status().unwrap().changes.is_empty());
}

#[test]
fn reset_and_revert() {
    let (t, mut repo) = TestRepo::new("CREATE TABLE public.t (id int PRIMARY KEY)");
    t.sql("CREATE TABLE public.extra (id int); INSERT INTO public.extra VALUES (1)");
    let c1 = commit(&mut repo, Some("extra")).unwrap();
    t.sql("ALTER TABLE public.t ADD COLUMN note text");
    let c2 = commit(&mut repo, Some("note")).unwrap();
    // Reverting c1 drops a table: destructive, so --force is required.
    assert!(matches!(
        repo.revert(&c1.commit.id, false, &Signature::default()),
        Err(Error::NeedsForce(_))
    ));
    let r = repo
        .revert(&c1.commit.id, true, &Signature::default())
        .unwrap();
    let rc = r.commit.unwrap();
    assert_eq!(rc.parents, vec![c2.commit.id.clone()]);
    assert!(rc.message.starts_with("Revert \"extra\""));
    let mut c = t.db.connect().unwrap();
    let extra: bool = c
        .query_one("SELECT to_regclass('public.extra') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(!extra);
    assert!(repo.status().unwrap().changes.is_empty());
    // Reset back to c2: re-creates the table (nothing destructive).
    let o = repo.reset_hard(&c2.commit.id, false).unwrap();
    assert_eq!(o.to, c2.commit.id);
    let extra: bool = c
        .query_one("SELECT to_regclass('public.extra') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(extra);
    assert_eq!(repo.resolve("HEAD").unwrap().id, c2.commit.id);
    assert!(repo.status().unwrap().changes.is_empty());
    // Reset to the root drops a column and a table: needs --force.
    assert!(matches!(
        repo.reset_hard("HEAD~2", false),
        Err(Error::NeedsForce(_))
    ));
    repo.reset_hard("HEAD~2", true).unwrap();
    assert!(repo.status().unwrap().changes.is_empty());
}

#[test]
fn interrupted_reset_is_finished() {
    let (t, mut repo) = TestRepo::new("CREATE TABLE public.t (id int)");
    t.sql("CREATE TABLE public.u (id int)");
    let c2 = commit(&mut repo, Some("u")).unwrap();
    let root = repo.resolve("HEAD~1").unwrap();
    // Crash after applying the migration but before moving the ref.
    t.sql(&format!(
        "UPDATE pggit.workspaces SET pending = '{{\"op\":\"reset\",\"from\":\"{}\",\"to\":\"{}\"}}'; DROP TABLE public.u",
        c2.commit.id, root.id
    ));
    repo.recover("main").unwrap();
    assert_eq!(repo.resolve("HEAD").unwrap().id, root.id);
    assert!(repo.status().unwrap().changes.is_empty());
    // Crash before applying: the journal is discarded, the ref stays.
    t.sql("CREATE TABLE public.u (id int)");
    let c3 = commit(&mut repo, Some("u again")).unwrap();
    t.sql(&format!(
        "UPDATE pggit.workspaces SET pending = '{{\"op\":\"reset\",\"from\":\"{}\",\"to\":\"{}\"}}'",
        c3.commit.id, root.id
    ));
    repo.recover("main").unwrap();
    assert_eq!(repo.resolve("HEAD").unwrap().id, c3.commit.id);
    let pending: Option<serde_json::Value> =
        t.db.connect()
            .unwrap()
            .query_one(
                "SELECT pending FROM pggit.workspaces WHERE branch = 'main'",
                &[],
            )
            .unwrap()
            .get(0);
    assert!(pending.is_none());
}

#[test]
fn hostile_names_survive_checkout() {
    let (_t, mut repo) = TestRepo::new(
        "CREATE SCHEMA \"we;ird\"; CREATE TABLE \"we;ird\".\"a\"\"; drop table x; --\" (\"select\" int PRIMARY KEY, \"día\" text);
         CREATE TABLE public.abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123 (id int);
         COMMENT ON TABLE \"we;ird\".\"a\"\"; drop table x; --\" IS 'it''s ''); drop table y; --'",
    );
    let name = "fé/\u{1F600}-".repeat(10) + "x";
    let o = repo.checkout(&name, Some(None)).unwrap();
    assert!(o.workspace.len() <= 63);
    // The checkout verified the replay against the commit; status agrees.
    assert!(repo.status().unwrap().changes.is_empty());
    for bad in ["a b", "x..y", "a\"; drop table x; --", "HEAD", "-x", ""] {
        assert!(
            matches!(
                repo.create_branch(bad, None),
                Err(Error::InvalidName { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn bad_input_changes_nothing() {
    let (t, mut repo) = TestRepo::new("CREATE TABLE public.t (id int)");
    assert!(matches!(
        repo.resolve("nope"),
        Err(Error::UnknownRevision(_))
    ));
    assert!(matches!(
        repo.resolve("HEAD~5"),
        Err(Error::UnknownRevision(_))
    ));
    assert!(matches!(
        repo.resolve("deadbeef"),
        Err(Error::UnknownRevision(_))
    ));
    repo.create_branch("dup", None).unwrap();
    assert!(matches!(
        repo.create_branch("dup", None),
        Err(Error::RefExists(_))
    ));
    assert!(matches!(
        repo.create_tag("dup", None),
        Err(Error::RefExists(_))
    ));
    assert!(matches!(
        repo.checkout("missing", None),
        Err(Error::NoSuchBranch(_))
    ));
    assert!(matches!(
        repo.delete_tag("missing"),
        Err(Error::NoSuchTag(_))
    ));
    assert!(matches!(
        repo.blame("public.nothing"),
        Err(Error::NoSuchObject(..))
    ));
    let before: i64 =
        t.db.connect()
            .unwrap()
            .query_one("SELECT count(*) FROM pggit.reflog", &[])
            .unwrap()
            .get(0);
    assert_eq!(before, 2, "only init and the one branch were recorded");
    // A database without pggit.
    let plain = ScratchDb::create(&test_admin_config(), "pggit_plain").unwrap();
    assert!(matches!(
        Repository::open(&plain.config, None),
        Err(Error::NotARepository(_))
    ));
    // Already initialised.
    assert!(matches!(
        Repository::init(&t.db.config, &InitOptions::default()),
        Err(Error::AlreadyInitialized(_))
    ));
    // A repository from a newer pggit.
    t.sql("UPDATE pggit.meta SET value = '99' WHERE key = 'schema_version'");
    assert!(matches!(
        Repository::open(&t.db.config, None),
        Err(Error::TooNew { found: 99, .. })
    ));
}

#[test]
fn without_event_trigger_privilege_works_from_snapshots() {
    let admin = test_admin_config();
    let role = format!("pggit_nosuper_{}", std::process::id());
    let db = ScratchDb::create(&admin, "pggit_nosuper").unwrap();
    let mut a = pggit::pg::connect::connect(&admin).unwrap();
    a.batch_execute(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'pw'; ALTER DATABASE {} OWNER TO {role}",
        db.name
    ))
    .unwrap();
    let mut cfg = db.config.clone();
    cfg.user(&role).password("pw");
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pggit::pg::connect::connect(&cfg)
            .unwrap()
            .batch_execute("CREATE TABLE public.t (id int)")
            .unwrap();
        let (mut repo, o) = Repository::init(&cfg, &InitOptions::default()).unwrap();
        assert!(!o.capture);
        assert!(o
            .capture_note
            .as_deref()
            .unwrap_or("")
            .contains("event trigger"));
        pggit::pg::connect::connect(&cfg)
            .unwrap()
            .batch_execute("ALTER TABLE public.t ADD COLUMN v text")
            .unwrap();
        let s = repo.status().unwrap();
        assert!(!s.capture);
        assert!(s.captured.is_empty());
        assert_eq!(s.changes.len(), 1);
        let c = commit(&mut repo, None).unwrap();
        assert!(c
            .commit
            .message
            .starts_with("Update schema: modified table public.t"));
    }));
    drop(db);
    let _ = a.batch_execute(&format!("DROP ROLE IF EXISTS {role}"));
    if let Err(e) = outcome {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn tracked_schemas_are_configurable() {
    let db = ScratchDb::create(&test_admin_config(), "pggit_scope").unwrap();
    db.connect()
        .unwrap()
        .batch_execute(
            "CREATE SCHEMA app; CREATE TABLE app.t (id int); CREATE TABLE public.ignored (id int)",
        )
        .unwrap();
    let opts = InitOptions {
        schemas: vec!["app".into()],
        ..Default::default()
    };
    let (mut repo, _) = Repository::init(&db.config, &opts).unwrap();
    let shown = repo.show_object("HEAD", "app.t").unwrap();
    assert_eq!(shown.name, "app.t");
    assert!(matches!(
        repo.show_object("HEAD", "public.ignored"),
        Err(Error::NoSuchObject(..))
    ));
    // Changes outside the tracked schemas are not changes.
    db.connect()
        .unwrap()
        .batch_execute("CREATE TABLE public.also_ignored (id int)")
        .unwrap();
    assert!(repo.status().unwrap().changes.is_empty());
    db.connect()
        .unwrap()
        .batch_execute("ALTER TABLE app.t ADD COLUMN v text")
        .unwrap();
    assert_eq!(repo.status().unwrap().changes.len(), 1);
}

/// A diff between commits reads only the slice of the two trees that the
/// change reaches, from the stored reference index: it must hold exactly
/// the entries the in-memory slice of the whole trees holds, and a tree
/// stored without references (before schema version 4) is read whole.
#[test]
fn diff_between_commits_loads_the_slice_of_whole_trees() {
    let (t, mut repo) = TestRepo::new(
        "CREATE SCHEMA app;
         CREATE TYPE app.mood AS ENUM ('ok', 'sad');
         CREATE TABLE app.a (id int PRIMARY KEY, m app.mood, note text);
         CREATE TABLE app.b (id int PRIMARY KEY, a_id int REFERENCES app.a (id));
         CREATE INDEX b_a ON app.b (a_id);
         CREATE VIEW app.v AS SELECT a.id, b.id AS b_id FROM app.a a JOIN app.b b ON b.a_id = a.id;
         CREATE TABLE app.far (id int PRIMARY KEY, x text);
         CREATE INDEX far_x ON app.far (x);
         ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO PUBLIC;",
    );
    t.sql(
        "ALTER TABLE app.a ADD COLUMN extra int;
         CREATE INDEX a_note ON app.a (note);
         ALTER TYPE app.mood ADD VALUE 'glad';
         CREATE TABLE app.c (id int);",
    );
    commit(&mut repo, Some("change")).unwrap();
    let mut c = t.db.connect().unwrap();
    let trees: Vec<String> = ["HEAD~1", "HEAD"]
        .iter()
        .map(|r| repo.resolve(r).unwrap().tree)
        .collect();
    let whole = pggit::pg::store::read_trees(&mut c, &[&trees[0], &trees[1]]).unwrap();
    let (want_a, want_b) = pggit::core::slice::slices(&whole[0], &whole[1]).unwrap();
    let (got_a, got_b) = pggit::pg::store::read_slices(&mut c, &trees[0], &trees[1])
        .unwrap()
        .expect("indexes are packed");
    assert_eq!(got_a, want_a);
    assert_eq!(got_b, want_b);
    // The far table is not in the slice; the default privileges always are.
    let names: Vec<String> = got_b
        .entries
        .keys()
        .map(|id| got_b.display_name(id))
        .collect();
    assert!(!names.iter().any(|n| n.starts_with("app.far")), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("for role")), "{names:?}");
    assert!(got_b.entries.len() < whole[1].entries.len());
    let sliced = repo
        .diff(
            &Side::Rev("HEAD~1".into()),
            &Side::Rev("HEAD".into()),
            false,
        )
        .unwrap();
    assert_eq!(
        sliced.statements,
        pggit::core::plan::plan(&whole[0], &whole[1]).unwrap()
    );
    // Reversed: the same slice.
    let (ra, rb) = pggit::pg::store::read_slices(&mut c, &trees[1], &trees[0])
        .unwrap()
        .unwrap();
    assert_eq!((ra, rb), (want_b.clone(), want_a.clone()));
    // Without stored references: no slice, and the diff reads whole trees.
    c.batch_execute("UPDATE pggit.trees SET packed = NULL")
        .unwrap();
    assert!(pggit::pg::store::read_slices(&mut c, &trees[0], &trees[1])
        .unwrap()
        .is_none());
    let whole_diff = repo
        .diff(
            &Side::Rev("HEAD~1".into()),
            &Side::Rev("HEAD".into()),
            false,
        )
        .unwrap();
    assert_eq!(whole_diff.statements, sliced.statements);
    // A malformed index is an error, not a wrong slice.
    c.batch_execute("UPDATE pggit.trees SET packed = '\\x01ff'")
        .unwrap();
    assert!(pggit::pg::store::read_slices(&mut c, &trees[0], &trees[1]).is_err());
    // doctor finds the bad indexes and --repair rebuilds them.
    let report = repo.doctor(false).unwrap();
    let bad = report
        .findings
        .iter()
        .filter(|f| f.problem.contains("packed index"))
        .count();
    assert!(bad >= 2, "{:?}", report.findings);
    let repaired = repo.doctor(true).unwrap();
    assert!(
        repaired.findings.iter().all(|f| f.repaired),
        "{:?}",
        repaired.findings
    );
    assert_eq!(repo.doctor(false).unwrap().problems, 0);
    let (ra, rb) = pggit::pg::store::read_slices(&mut c, &trees[0], &trees[1])
        .unwrap()
        .unwrap();
    assert_eq!((ra, rb), (want_a, want_b));
}
