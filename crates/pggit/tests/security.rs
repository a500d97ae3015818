//! pggit as the roles real users have: an attacker who owns the database
//! and objects in `public` (and sets the database's `search_path`), an
//! application role with DML rights only, a developer role running its own
//! DDL, a database owner who is not superuser. Nothing of pggit may run the
//! attacker's code, and tracking a table must not break anyone else.
//! Roles are cluster-wide: each test makes uniquely named ones and drops
//! them after its databases.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU32, Ordering};

use pggit::pg::connect::{connect, with_dbname};
use pggit::pg::scratch::{test_admin_config, ScratchDb};
use pggit::{CommitOptions, Error, InitOptions, Repository, Signature};

static SEQ: AtomicU32 = AtomicU32::new(0);

/// Roles made for one test; dropped when it ends (after its databases).
struct Roles(Vec<String>);

impl Roles {
    fn new(kinds: &[&str]) -> Roles {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let names: Vec<String> = kinds
            .iter()
            .map(|k| format!("pggit_t_{k}_{}_{n}", std::process::id()))
            .collect();
        let mut c = connect(&test_admin_config()).unwrap();
        for r in &names {
            c.batch_execute(&format!("CREATE ROLE \"{r}\" LOGIN PASSWORD 'pggit-test'"))
                .unwrap();
        }
        Roles(names)
    }
}

impl Drop for Roles {
    fn drop(&mut self) {
        if let Ok(mut c) = connect(&test_admin_config()) {
            for r in &self.0 {
                let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS \"{r}\""));
            }
        }
    }
}

fn commit(repo: &mut Repository, msg: &str) -> Result<pggit::CommitOutcome, Error> {
    repo.commit_workspace(&CommitOptions {
        message: Some(msg.to_string()),
        signature: Signature::default(),
    })
}

/// Shadowing objects an owner of `public` can create; each call is counted
/// in `public.calls`.
const TRAP_SQL: &str = r#"
CREATE TABLE public.calls (what text);
GRANT INSERT ON public.calls TO PUBLIC;
CREATE FUNCTION public.spy_texteq(a text, b text) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.calls VALUES ('text ='); RETURN pg_catalog.texteq(a, b); END $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.spy_texteq);
CREATE FUNCTION public.spy_nameeq(a name, b name) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.calls VALUES ('name ='); RETURN pg_catalog.nameeq(a, b); END $$;
CREATE OPERATOR public.= (LEFTARG = name, RIGHTARG = name, FUNCTION = public.spy_nameeq);
CREATE FUNCTION public.spy_int4eq(a int, b int) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.calls VALUES ('int ='); RETURN pg_catalog.int4eq(a, b); END $$;
CREATE OPERATOR public.= (LEFTARG = int, RIGHTARG = int, FUNCTION = public.spy_int4eq);
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.calls VALUES ('now'); RETURN pg_catalog.now(); END $$;
CREATE FUNCTION public.lower(t text) RETURNS text LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.calls VALUES ('lower'); RETURN pg_catalog.lower(t); END $$;
CREATE FUNCTION public.unnest(a anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.calls VALUES ('unnest'); RETURN QUERY SELECT pg_catalog.unnest(a); END $$;
CREATE FUNCTION public.spy_oideq(a oid, b regclass) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.calls VALUES ('oid = regclass'); RETURN pg_catalog.oideq(a, b::oid); END $$;
CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = public.spy_oideq);
CREATE FUNCTION public.unnest(a text[]) RETURNS SETOF text LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.calls VALUES ('unnest(text[])'); RETURN QUERY SELECT pg_catalog.unnest(a); END $$;
CREATE FUNCTION public.to_regclass(t varchar) RETURNS regclass LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.calls VALUES ('to_regclass'); RETURN pg_catalog.to_regclass(t::text); END $$;
CREATE FUNCTION public.txid_current() RETURNS bigint LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.calls VALUES ('txid_current'); RETURN pg_catalog.txid_current(); END $$;
CREATE FUNCTION public.jsonb_array_elements(j jsonb) RETURNS SETOF jsonb LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.calls VALUES ('jsonb_array_elements'); RETURN QUERY SELECT pg_catalog.jsonb_array_elements(j); END $$;
"#;

#[test]
fn an_attacker_owning_the_database_never_runs_code_as_pggit() {
    let roles = Roles::new(&["attacker"]);
    let attacker = &roles.0[0];
    let db = ScratchDb::create(&test_admin_config(), "pggit_sec").unwrap();
    let mut admin = db.connect().unwrap();
    admin
        .batch_execute(&format!(
            "CREATE TABLE public.users (id int PRIMARY KEY, email text);
             INSERT INTO public.users VALUES (1, 'a@x'), (2, 'b@x');
             ALTER DATABASE \"{0}\" OWNER TO \"{attacker}\";
             ALTER SCHEMA public OWNER TO \"{attacker}\";
             SET ROLE \"{attacker}\";
             {TRAP_SQL}
             RESET ROLE;
             ALTER DATABASE \"{0}\" SET search_path = public, pg_catalog;",
            db.name
        ))
        .unwrap();
    // The superuser runs pggit in the attacker's database.
    let (mut repo, _) = Repository::init(&db.config, &InitOptions::default()).unwrap();
    admin
        .batch_execute("ALTER TABLE public.users ADD COLUMN nick text")
        .unwrap();
    repo.status().unwrap();
    commit(&mut repo, "nick").unwrap();
    repo.log("HEAD", None, None).unwrap();
    repo.branches().unwrap();
    repo.blame("public.users").unwrap();
    repo.track(&["public.users".into()], None).unwrap();
    admin
        .batch_execute("UPDATE public.users SET email = 'c@x' WHERE id = 1")
        .unwrap();
    repo.row_history("users", "1").unwrap();
    repo.as_of("users", "now", None).unwrap();
    repo.create_branch("feat", None).unwrap();
    repo.reset_hard("HEAD", false).unwrap();
    let calls: Vec<String> = admin
        .query("SELECT what FROM public.calls", &[])
        .unwrap()
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        calls.is_empty(),
        "pggit ran the attacker's code {} time(s): {:?}",
        calls.len(),
        &calls[..calls.len().min(10)]
    );
    drop(repo);
    drop(admin);
    drop(db);
    drop(roles);
}

#[test]
fn tracked_tables_stay_usable_by_every_role() {
    let roles = Roles::new(&["app", "dev"]);
    let (app, dev) = (&roles.0[0], &roles.0[1]);
    let db = ScratchDb::create(&test_admin_config(), "pggit_sec").unwrap();
    let mut admin = db.connect().unwrap();
    admin
        .batch_execute(&format!(
            "CREATE TABLE public.orders (id int PRIMARY KEY, total numeric);
             INSERT INTO public.orders VALUES (1, 10);
             GRANT USAGE ON SCHEMA public TO \"{app}\";
             GRANT SELECT, INSERT, UPDATE, DELETE ON public.orders TO \"{app}\";
             CREATE SCHEMA dev AUTHORIZATION \"{dev}\";"
        ))
        .unwrap();
    let (mut repo, _) = Repository::init(&db.config, &InitOptions::default()).unwrap();
    repo.track(&["public.orders".into()], None).unwrap();
    let before = repo.resolve_moment("now").unwrap();
    // The application writes as itself (its own login).
    let mut as_app = db.config.clone();
    as_app.user(app).password("pggit-test");
    let mut a = connect(&as_app).unwrap();
    a.batch_execute(
        "INSERT INTO public.orders VALUES (2, 20);
         UPDATE public.orders SET total = 11 WHERE id = 1;
         DELETE FROM public.orders WHERE id = 2;",
    )
    .unwrap();
    // ...and through SET ROLE from another login.
    admin
        .batch_execute(&format!(
            "SET ROLE \"{app}\"; UPDATE public.orders SET total = 12 WHERE id = 1; RESET ROLE"
        ))
        .unwrap();
    // A developer's DDL in their own schema works and is logged as theirs.
    let mut as_dev = db.config.clone();
    as_dev.user(dev).password("pggit-test");
    connect(&as_dev)
        .unwrap()
        .batch_execute("CREATE TABLE dev.scratch (x int); ALTER TABLE dev.scratch ADD COLUMN y int")
        .unwrap();
    admin
        .batch_execute(&format!(
            "SET ROLE \"{dev}\"; DROP TABLE dev.scratch; RESET ROLE"
        ))
        .unwrap();
    let logged: Vec<(String, String)> = admin
        .query(
            "SELECT role, command_tag FROM pggit.ddl_log WHERE object_identity LIKE 'dev.scratch%' ORDER BY id",
            &[],
        )
        .unwrap()
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(!logged.is_empty());
    for (role, tag) in &logged {
        assert_eq!(role, dev, "{tag} logged as {role}");
    }
    // Row history has every change, each by the application role.
    let h = repo.row_history("public.orders", "1").unwrap();
    let updates: Vec<_> = h.iter().filter(|c| c.operation == "update").collect();
    assert_eq!(updates.len(), 2, "{h:?}");
    for c in &updates {
        assert_eq!(c.role.as_deref(), Some(app.as_str()), "{c:?}");
    }
    let old = repo.as_of("public.orders", &before.at, None).unwrap();
    assert_eq!(old.rows.rows.len(), 1);
    drop(a);
    drop(repo);
    drop(admin);
    drop(db);
    drop(roles);
}

#[test]
fn a_database_owner_who_is_not_superuser_can_use_pggit() {
    let roles = Roles::new(&["owner"]);
    let owner = &roles.0[0];
    let mut admin = connect(&test_admin_config()).unwrap();
    admin
        .batch_execute(&format!("ALTER ROLE \"{owner}\" CREATEDB"))
        .unwrap();
    let db = ScratchDb::create(&test_admin_config(), "pggit_sec").unwrap();
    db.connect()
        .unwrap()
        .batch_execute(&format!(
            "ALTER DATABASE \"{0}\" OWNER TO \"{owner}\"; ALTER SCHEMA public OWNER TO \"{owner}\"",
            db.name
        ))
        .unwrap();
    let mut config = db.config.clone();
    config.user(owner).password("pggit-test");
    let mut c = connect(&config).unwrap();
    c.batch_execute("CREATE TABLE public.t (id int PRIMARY KEY)")
        .unwrap();
    let (mut repo, _) = Repository::init(&config, &InitOptions::default()).unwrap();
    c.batch_execute("ALTER TABLE public.t ADD COLUMN v text")
        .unwrap();
    commit(&mut repo, "v").unwrap();
    let o = repo.checkout("feat", Some(None)).unwrap();
    let mut f = connect(&with_dbname(&config, &o.workspace)).unwrap();
    f.batch_execute("CREATE TABLE public.u (id int)").unwrap();
    let mut on_feat = Repository::open(&config, Some("feat".into())).unwrap();
    commit(&mut on_feat, "u").unwrap();
    let mut on_main = Repository::open(&config, Some("main".into())).unwrap();
    let m = on_main
        .merge(&pggit::MergeOptions {
            source: "feat".into(),
            into: None,
            strategy: pggit::Strategy::Auto,
            dry_run: false,
            fast_forward: pggit::FastForward::Allow,
            squash: false,
            message: None,
            signature: Signature::default(),
            force: false,
        })
        .unwrap();
    assert_eq!(m.status, "fast-forward");
    assert!(on_main.status().unwrap().changes.is_empty());
    drop((f, c, repo, on_feat, on_main));
    db.drop_workspaces();
    drop(db);
    drop(roles);
}

#[test]
fn a_domain_check_calling_user_code_cannot_reach_row_capture() {
    let roles = Roles::new(&["tableowner"]);
    let atk = &roles.0[0];
    let db = ScratchDb::create(&test_admin_config(), "pggit_sec").unwrap();
    let mut admin = db.connect().unwrap();
    admin
        .batch_execute(&format!(
            "GRANT CREATE ON SCHEMA public TO \"{atk}\";
             SET ROLE \"{atk}\";
             CREATE TABLE public.calls (who text);
             GRANT INSERT ON public.calls TO PUBLIC;
             CREATE FUNCTION public.evil(v int) RETURNS boolean LANGUAGE plpgsql AS
               $$ BEGIN INSERT INTO public.calls VALUES (current_user); RETURN true; END $$;
             CREATE DOMAIN public.evil_dom AS int CHECK (public.evil(VALUE));
             CREATE TABLE public.o (id int PRIMARY KEY);
             CREATE TABLE public.p (id int PRIMARY KEY, c public.evil_dom);
             RESET ROLE;"
        ))
        .unwrap();
    let (mut repo, _) = Repository::init(&db.config, &InitOptions::default()).unwrap();
    repo.track(&["public.o".into()], None).unwrap();
    // Tracking a table with such a column is refused...
    let err = repo.track(&["public.p".into()], None).unwrap_err();
    assert!(err.to_string().contains("evil"), "{err}");
    // ...and so is adding one to a tracked table.
    let err = admin
        .batch_execute(&format!(
            "SET ROLE \"{atk}\"; ALTER TABLE public.o ADD COLUMN c public.evil_dom"
        ))
        .unwrap_err();
    assert!(
        format!("{err:?}").contains("cannot have row history"),
        "{err:?}"
    );
    admin.batch_execute("RESET ROLE").unwrap();
    let calls: i64 = admin
        .query_one("SELECT count(*) FROM public.calls WHERE who <> $1", &[atk])
        .unwrap()
        .get(0);
    assert_eq!(calls, 0, "the attacker's function ran as another role");
    drop((repo, admin, db, roles));
}

#[test]
fn checkout_by_a_role_without_createdb_is_refused_and_leaves_no_branch() {
    let roles = Roles::new(&["nocreatedb"]);
    let owner = &roles.0[0];
    let db = ScratchDb::create(&test_admin_config(), "pggit_sec").unwrap();
    db.connect()
        .unwrap()
        .batch_execute(&format!(
            "CREATE TABLE public.t (id int); ALTER DATABASE \"{0}\" OWNER TO \"{owner}\";
             ALTER SCHEMA public OWNER TO \"{owner}\"; ALTER TABLE public.t OWNER TO \"{owner}\"",
            db.name
        ))
        .unwrap();
    let mut config = db.config.clone();
    config.user(owner).password("pggit-test");
    let (mut repo, _) = Repository::init(&config, &InitOptions::default()).unwrap();
    let err = repo.checkout("feat", Some(None)).unwrap_err();
    assert!(matches!(err, Error::Refused(_)), "{err}");
    assert!(err.to_string().contains("CREATEDB"), "{err}");
    assert_eq!(err.exit_code(), 2);
    assert!(matches!(
        repo.resolve("feat"),
        Err(Error::UnknownRevision(_))
    ));
    drop(repo);
    drop(db);
    drop(roles);
}

#[test]
fn every_pggit_function_has_a_fixed_search_path_and_no_public_execute() {
    let db = ScratchDb::create(&test_admin_config(), "pggit_sec").unwrap();
    db.connect()
        .unwrap()
        .batch_execute("CREATE TABLE public.t (id int PRIMARY KEY, v text)")
        .unwrap();
    let (mut repo, _) = Repository::init(&db.config, &InitOptions::default()).unwrap();
    repo.track(&["public.t".into()], None).unwrap();
    let loose: Vec<String> = db
        .connect()
        .unwrap()
        .query(
            "SELECT p.oid::regprocedure::text FROM pg_proc p
              WHERE p.pronamespace = 'pggit'::regnamespace
                AND (NOT EXISTS (SELECT FROM unnest(coalesce(p.proconfig, '{}')) c WHERE c LIKE 'search\\_path=%')
                     OR p.proacl IS NULL
                     OR EXISTS (SELECT FROM aclexplode(p.proacl) a WHERE a.grantee = 0))
              ORDER BY 1",
            &[],
        )
        .unwrap()
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    assert!(loose.is_empty(), "{loose:?}");
}
