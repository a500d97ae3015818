//! Privileges through the porcelain: grants made on two branches merge as
//! sets, a workspace carries them, and a repository made with
//! `skip_privileges` ignores them. Roles are cluster-wide: the test makes
//! its own (idempotently) and never drops them.

#![allow(clippy::unwrap_used)]

use pggit::pg::scratch::{test_admin_config, ScratchDb};
use pggit::{
    CommitOptions, FastForward, InitOptions, MergeOptions, Repository, Signature, Strategy,
};

const ROLES: &str = r#"
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['pggit_t_reader', 'pggit_t_writer'] LOOP
    BEGIN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END LOOP;
END $$;"#;

struct TestRepo {
    db: ScratchDb,
}

impl Drop for TestRepo {
    fn drop(&mut self) {
        self.db.drop_workspaces();
    }
}

fn setup(sql: &str, skip_privileges: bool) -> (TestRepo, Repository) {
    let db = ScratchDb::create(&test_admin_config(), "pggit_acl").expect("create db");
    let mut c = db.connect().unwrap();
    c.batch_execute(ROLES).unwrap();
    c.batch_execute(sql).unwrap();
    let opts = InitOptions {
        skip_privileges,
        ..Default::default()
    };
    let (repo, _) = Repository::init(&db.config, &opts).expect("init");
    (TestRepo { db }, repo)
}

fn ws(t: &TestRepo, branch: &str) -> postgres::Client {
    let mut repo = Repository::open(&t.db.config, None).unwrap();
    let url = repo
        .branches()
        .unwrap()
        .into_iter()
        .find(|b| b.name == branch)
        .and_then(|b| b.workspace)
        .unwrap();
    let (c, _) = pggit::pg::connect::resolve(Some(&url), &|_| None).unwrap();
    pggit::pg::connect::connect(&c).unwrap()
}

fn commit_on(t: &TestRepo, branch: &str, sql: &str) {
    ws(t, branch).batch_execute(sql).unwrap();
    let mut r = Repository::open(&t.db.config, Some(branch.into())).unwrap();
    r.commit_workspace(&CommitOptions {
        message: Some(sql.chars().take(60).collect()),
        signature: Signature::default(),
    })
    .unwrap();
}

fn acl(c: &mut postgres::Client, table: &str) -> Vec<String> {
    c.query(
        "SELECT grantee || ':' || privilege_type FROM information_schema.role_table_grants
          WHERE table_schema = 'public' AND table_name = $1 AND grantee LIKE 'pggit_t_%' ORDER BY 1",
        &[&table],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[test]
fn grants_on_two_branches_merge_as_sets() {
    let (t, mut repo) = setup(
        "CREATE TABLE public.t (id int PRIMARY KEY); GRANT SELECT ON public.t TO pggit_t_reader;",
        false,
    );
    repo.checkout("feature", Some(None)).unwrap();
    assert_eq!(
        acl(&mut ws(&t, "feature"), "t"),
        vec!["pggit_t_reader:SELECT"]
    );
    commit_on(&t, "feature", "GRANT INSERT ON public.t TO pggit_t_writer");
    commit_on(
        &t,
        "main",
        "REVOKE SELECT ON public.t FROM pggit_t_reader; GRANT UPDATE ON public.t TO pggit_t_writer",
    );
    let mut repo = Repository::open(&t.db.config, Some("main".into())).unwrap();
    let out = repo
        .merge(&MergeOptions {
            source: "feature".into(),
            into: None,
            strategy: Strategy::Auto,
            dry_run: false,
            fast_forward: FastForward::Never,
            squash: false,
            message: None,
            signature: Signature::default(),
            force: false,
        })
        .unwrap();
    assert_eq!(out.status, "completed", "{out:?}");
    assert_eq!(
        acl(&mut ws(&t, "main"), "t"),
        vec!["pggit_t_writer:INSERT", "pggit_t_writer:UPDATE"]
    );
    assert!(repo.status().unwrap().changes.is_empty());
}

#[test]
fn a_repository_without_privileges_ignores_them() {
    let (t, mut repo) = setup("CREATE TABLE public.t (id int PRIMARY KEY);", true);
    ws(&t, "main")
        .batch_execute("GRANT SELECT ON public.t TO pggit_t_reader")
        .unwrap();
    assert!(repo.status().unwrap().changes.is_empty());
    // And one that tracks them sees the grant.
    let (t2, mut repo2) = setup("CREATE TABLE public.t (id int PRIMARY KEY);", false);
    ws(&t2, "main")
        .batch_execute("GRANT SELECT ON public.t TO pggit_t_reader")
        .unwrap();
    let changes = repo2.status().unwrap().changes;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].kind_name, "privileges");
    drop(t);
}
