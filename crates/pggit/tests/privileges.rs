//! Privileges and owners through the porcelain: grants made on two branches
//! merge as sets, owners merge object by object, a workspace carries both,
//! and a repository made with `skip_privileges` ignores both. Roles are cluster-wide: the test makes
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
    let out = merge(&mut repo, "feature");
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
    // Owners likewise.
    ws(&t, "main")
        .batch_execute("ALTER TABLE public.t OWNER TO pggit_t_writer")
        .unwrap();
    assert!(repo.status().unwrap().changes.is_empty());
    repo2.commit_workspace(&CommitOptions::default()).unwrap();
    ws(&t2, "main")
        .batch_execute("ALTER TABLE public.t OWNER TO pggit_t_writer")
        .unwrap();
    let changes = repo2.status().unwrap().changes;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].kind_name, "owner");
    drop(t);
}

fn owner(c: &mut postgres::Client, relation: &str) -> String {
    c.query_one(
        "SELECT pg_get_userbyid(relowner)::text FROM pg_class WHERE oid = $1::text::regclass",
        &[&relation],
    )
    .unwrap()
    .get(0)
}

fn merge(repo: &mut Repository, source: &str) -> pggit::MergeOutcome {
    repo.merge(&MergeOptions {
        source: source.into(),
        into: None,
        strategy: Strategy::Auto,
        dry_run: false,
        fast_forward: FastForward::Never,
        squash: false,
        message: None,
        signature: Signature::default(),
        force: false,
    })
    .unwrap()
}

#[test]
fn owners_are_carried_into_workspaces_and_merged() {
    let (t, mut repo) = setup(
        "CREATE TABLE public.t (id serial PRIMARY KEY); ALTER TABLE public.t OWNER TO pggit_t_reader;
         CREATE TABLE public.u (id int); CREATE VIEW public.v AS SELECT id FROM public.u;",
        false,
    );
    repo.checkout("feature", Some(None)).unwrap();
    let mut f = ws(&t, "feature");
    assert_eq!(owner(&mut f, "public.t"), "pggit_t_reader");
    // The serial's sequence and the key's index follow their table.
    assert_eq!(owner(&mut f, "public.t_id_seq"), "pggit_t_reader");
    assert_eq!(owner(&mut f, "public.t_pkey"), "pggit_t_reader");
    commit_on(
        &t,
        "feature",
        "ALTER TABLE public.t OWNER TO pggit_t_writer; CREATE TABLE public.n (id int); ALTER TABLE public.n OWNER TO pggit_t_reader",
    );
    commit_on(&t, "main", "ALTER TABLE public.t ADD COLUMN note text");
    let mut repo = Repository::open(&t.db.config, Some("main".into())).unwrap();
    let out = merge(&mut repo, "feature");
    assert_eq!(out.status, "completed", "{out:?}");
    let mut m = ws(&t, "main");
    assert_eq!(owner(&mut m, "public.t"), "pggit_t_writer");
    assert_eq!(owner(&mut m, "public.n"), "pggit_t_reader");
    assert!(repo.status().unwrap().changes.is_empty());

    // Different owners for one object on the two sides: a conflict.
    repo.checkout("other", Some(None)).unwrap();
    commit_on(&t, "other", "ALTER VIEW public.v OWNER TO pggit_t_reader");
    commit_on(&t, "main", "ALTER VIEW public.v OWNER TO pggit_t_writer");
    let mut repo = Repository::open(&t.db.config, Some("main".into())).unwrap();
    let out = merge(&mut repo, "other");
    assert_eq!(out.status, "conflicted", "{out:?}");
    assert!(
        out.conflicts
            .iter()
            .any(|c| format!("{c:?}").contains("owner")),
        "{:?}",
        out.conflicts
    );
}
