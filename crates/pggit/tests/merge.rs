//! Merge scenarios against the real server. Each test builds a repository
//! with a `feature` branch (its own workspace database), commits on both
//! sides, merges, and — whenever a merge completes — checks that the
//! target's `pg_dump --schema-only` equals that of a database built by
//! replaying the merge commit.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use pggit::core::Tree;
use pggit::pg::scratch::{test_admin_config, ScratchDb};
use pggit::{
    CommitOptions, ConflictFilter, Error, FastForward, InitOptions, MergeOptions, MergeOutcome,
    Repository, Resolution, Signature, Strategy,
};

struct TestRepo {
    db: ScratchDb,
}

impl Drop for TestRepo {
    fn drop(&mut self) {
        self.db.drop_workspaces();
    }
}

/// A repository on `sql` with a branch `feature` checked out once (so it
/// has a workspace), HEAD back on main.
fn setup(sql: &str) -> (TestRepo, Repository) {
    let db = ScratchDb::create(&test_admin_config(), "pggit_merge").expect("create db");
    db.connect().unwrap().batch_execute(sql).unwrap();
    let (mut repo, _) = Repository::init(&db.config, &InitOptions::default()).expect("init");
    repo.checkout("feature", Some(None)).unwrap();
    repo.checkout("main", None).unwrap();
    (TestRepo { db }, repo)
}

fn url_of(t: &TestRepo, branch: &str) -> String {
    let mut repo = Repository::open(&t.db.config, None).unwrap();
    repo.branches()
        .unwrap()
        .into_iter()
        .find(|b| b.name == branch)
        .and_then(|b| b.workspace)
        .expect("workspace")
}

fn ws(t: &TestRepo, branch: &str) -> postgres::Client {
    let (c, _) = pggit::pg::connect::resolve(Some(&url_of(t, branch)), &|_| None).unwrap();
    pggit::pg::connect::connect(&c).unwrap()
}

/// Run `sql` in `branch`'s workspace and commit it there.
fn on(t: &TestRepo, branch: &str, sql: &str) -> String {
    ws(t, branch).batch_execute(sql).unwrap();
    let mut r = Repository::open(&t.db.config, Some(branch.into())).unwrap();
    r.commit_workspace(&CommitOptions {
        message: Some(sql.chars().take(60).collect()),
        signature: Signature::default(),
    })
    .unwrap()
    .commit
    .id
}

fn opts(source: &str, strategy: Strategy) -> MergeOptions {
    MergeOptions {
        source: source.into(),
        into: None,
        strategy,
        dry_run: false,
        fast_forward: FastForward::Allow,
        squash: false,
        message: None,
        signature: Signature::default(),
        force: false,
    }
}

fn merge(repo: &mut Repository, source: &str) -> MergeOutcome {
    repo.merge(&opts(source, Strategy::Auto)).unwrap()
}

fn dump(url: &str) -> String {
    let out = Command::new(pggit::pg::scratch::pg_dump_program(
        &pggit::pg::scratch::test_admin_config(),
    ))
    .args([
        "--schema-only",
        "--no-owner",
        "--exclude-schema=pggit",
        "--dbname",
        url,
    ])
    .env(
        "PGPASSWORD",
        std::env::var("PGPASSWORD").unwrap_or_default(),
    )
    .output()
    .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Drop pggit's own event triggers and per-run lines.
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut kept = Vec::new();
    let mut skip = false;
    for line in text.lines() {
        if line.starts_with("-- Name: ") {
            skip = line.contains("Type: EVENT TRIGGER");
        }
        if line.contains("PostgreSQL database dump complete") {
            skip = false;
        }
        if !skip && !line.starts_with("\\restrict") && !line.starts_with("\\unrestrict") {
            kept.push(line);
        }
    }
    kept.join("\n")
}

/// The target's schema equals a replay of its branch's commit.
fn assert_replays(t: &TestRepo, branch: &str) {
    let mut repo = Repository::open(&t.db.config, None).unwrap();
    let tree = tree_of(&mut repo, branch);
    let replay = ScratchDb::create(&test_admin_config(), "pggit_replay").unwrap();
    let mut c = replay.connect().unwrap();
    pggit::pg::apply::replay(&mut c, &tree, &Default::default()).unwrap();
    let a = dump(&url_of(t, branch));
    let b = dump(&pggit::pg::connect::url(&replay.config));
    assert_eq!(a, b, "target and replay of its commit differ");
}

fn tree_of(repo: &mut Repository, rev: &str) -> Tree {
    repo.tree_of(rev).unwrap()
}

fn col_type(t: &TestRepo, branch: &str, table: &str, col: &str) -> Option<String> {
    ws(t, branch)
        .query_opt(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
              WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped",
            &[&table, &col],
        )
        .unwrap()
        .map(|r| r.get(0))
}

fn exists(t: &TestRepo, branch: &str, regclass: &str) -> bool {
    ws(t, branch)
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&regclass])
        .unwrap()
        .get(0)
}

fn open_conflicts(repo: &mut Repository) -> Vec<pggit::pg::merges::ConflictRecord> {
    repo.conflicts(&ConflictFilter {
        unresolved: true,
        ..ConflictFilter::default()
    })
    .unwrap()
    .1
}

const BASE: &str = "CREATE TABLE public.users (id int PRIMARY KEY, email text, name text);
                    CREATE TABLE public.orders (id int PRIMARY KEY, user_id int REFERENCES public.users, total numeric);";

#[test]
fn disjoint_columns_merge_cleanly() {
    let (t, mut repo) = setup(BASE);
    on(&t, "main", "ALTER TABLE public.users ADD COLUMN phone text");
    on(
        &t,
        "feature",
        "ALTER TABLE public.users ADD COLUMN avatar text",
    );
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "completed", "{o:?}");
    assert!(o.conflicts.is_empty());
    // One column each side, classified per column.
    assert_eq!(o.changes.get("TARGET_MODIFIED"), Some(&1));
    assert_eq!(o.changes.get("SOURCE_MODIFIED"), Some(&1));
    assert!(col_type(&t, "main", "public.users", "phone").is_some());
    assert_eq!(
        col_type(&t, "main", "public.users", "avatar").as_deref(),
        Some("text")
    );
    let c = repo.resolve("main").unwrap();
    assert_eq!(c.parents.len(), 2);
    assert_replays(&t, "main");
    // The record and the views.
    let mut pc = t.db.connect().unwrap();
    let r = pc
        .query_one(
            "SELECT status, mode, conflicts, result_commit FROM pggit.merges",
            &[],
        )
        .unwrap();
    assert_eq!(r.get::<_, String>(0), "completed");
    assert_eq!(r.get::<_, String>(1), "merge");
    assert_eq!(r.get::<_, i64>(2), 0);
    assert_eq!(r.get::<_, Option<String>>(3), Some(c.id));
}

#[test]
fn same_column_retyped_differently_conflicts_then_theirs() {
    let (t, mut repo) = setup(BASE);
    on(
        &t,
        "main",
        "ALTER TABLE public.orders ALTER COLUMN total TYPE numeric(12,2)",
    );
    on(
        &t,
        "feature",
        "ALTER TABLE public.orders ALTER COLUMN total TYPE bigint USING total::bigint",
    );
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "conflicted");
    let c = open_conflicts(&mut repo);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].kind, "BOTH_MODIFIED");
    assert_eq!(c[0].object, "public.orders");
    assert_eq!(c[0].object_type, "table");
    assert_eq!(c[0].severity, "high");
    assert_eq!(c[0].part_label, "column total: data_type");
    assert!(c[0].resolution.is_none());
    // Continue refuses while open; the target is untouched.
    assert!(matches!(
        repo.merge_continue(None, false, &Signature::default()),
        Err(Error::Refused(_))
    ));
    assert_eq!(
        col_type(&t, "main", "public.orders", "total").as_deref(),
        Some("numeric(12,2)")
    );
    let s = repo.merge_status(None).unwrap();
    assert_eq!(
        (s.status.as_str(), s.total, s.unresolved),
        ("conflicted", 1, 1)
    );
    repo.resolve_conflicts(&[c[0].id], &Resolution::Theirs, Some("bigint is right"))
        .unwrap();
    let o = repo
        .merge_continue(None, false, &Signature::default())
        .unwrap();
    assert_eq!(o.status, "completed");
    assert_eq!(
        col_type(&t, "main", "public.orders", "total").as_deref(),
        Some("bigint")
    );
    assert_replays(&t, "main");
    let (_, rows) = repo.conflicts(&ConflictFilter::default()).unwrap();
    assert_eq!(rows[0].resolution.as_deref(), Some("theirs"));
    assert_eq!(rows[0].note.as_deref(), Some("bigint is right"));
    assert!(rows[0].resolved_by.is_some() && rows[0].resolved_at.is_some());
}

#[test]
fn rename_on_one_side_default_on_the_other_is_clean() {
    let (t, mut repo) = setup(BASE);
    on(
        &t,
        "main",
        "ALTER TABLE public.users RENAME COLUMN name TO full_name",
    );
    on(
        &t,
        "feature",
        "ALTER TABLE public.users ALTER COLUMN name SET DEFAULT 'anon'",
    );
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "completed", "{:?}", o.conflicts);
    let d: Option<String> = ws(&t, "main")
        .query_one(
            "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef d JOIN pg_attribute a
               ON a.attrelid = d.adrelid AND a.attnum = d.adnum
              WHERE d.adrelid = 'public.users'::regclass AND a.attname = 'full_name'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(d.as_deref(), Some("'anon'::text"));
    assert!(col_type(&t, "main", "public.users", "name").is_none());
    assert_replays(&t, "main");
}

/// Git applies a change to a moved file: an index, a check, a trigger's
/// WHEN and a policy added on one side over a column the other side renamed
/// are merged with the new name.
#[test]
fn objects_added_over_a_column_renamed_on_the_other_side_follow_it() {
    let (t, mut repo) = setup(BASE);
    on(
        &t,
        "main",
        "ALTER TABLE public.users RENAME COLUMN name TO full_name",
    );
    on(
        &t,
        "feature",
        "CREATE INDEX users_name_idx ON public.users (lower(name)) WHERE name IS NOT NULL;
         ALTER TABLE public.users ADD CONSTRAINT users_name_len CHECK (length(name) < 90);
         CREATE POLICY users_named ON public.users USING (name <> '');
         CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
         CREATE TRIGGER users_touch BEFORE UPDATE ON public.users FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION public.touch();
         CREATE STATISTICS public.users_name_email (dependencies) ON name, email FROM public.users",
    );
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "completed", "{:?} {:?}", o.conflicts, o.invalid);
    let defs: Vec<String> = ws(&t, "main")
        .query(
            "SELECT pg_get_indexdef('public.users_name_idx'::regclass)
             UNION ALL SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'users_name_len'
             UNION ALL SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polname = 'users_named'
             UNION ALL SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'users_touch'
             UNION ALL SELECT pg_get_statisticsobjdef(oid) FROM pg_statistic_ext WHERE stxname = 'users_name_email'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(defs.len(), 5, "{defs:?}");
    for d in &defs {
        assert!(d.contains("full_name"), "{d}");
    }
    assert_replays(&t, "main");
}

#[test]
fn table_dropped_on_one_side_altered_on_the_other_conflicts() {
    let (t, mut repo) = setup(BASE);
    on(&t, "main", "DROP TABLE public.orders");
    on(
        &t,
        "feature",
        "ALTER TABLE public.orders ADD COLUMN note text",
    );
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "conflicted");
    let c = open_conflicts(&mut repo);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(
        (c[0].kind.as_str(), c[0].object.as_str()),
        ("DELETED_TARGET", "public.orders")
    );
    repo.resolve_conflicts(&[c[0].id], &Resolution::Ours, None)
        .unwrap();
    let o = repo
        .merge_continue(None, false, &Signature::default())
        .unwrap();
    assert_eq!(o.status, "completed");
    assert!(!exists(&t, "main", "public.orders"));
    assert_replays(&t, "main");
}

#[test]
fn table_deletion_kept_with_theirs_restores_the_table() {
    let (t, mut repo) = setup(BASE);
    on(&t, "feature", "DROP TABLE public.orders");
    on(
        &t,
        "main",
        "CREATE INDEX orders_total ON public.orders (total)",
    );
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "conflicted");
    let c = open_conflicts(&mut repo);
    assert_eq!(c[0].kind, "DELETED_SOURCE");
    repo.resolve_conflicts(&[c[0].id], &Resolution::Theirs, None)
        .unwrap();
    assert_eq!(
        repo.merge_continue(None, false, &Signature::default())
            .unwrap()
            .status,
        "completed"
    );
    assert!(!exists(&t, "main", "public.orders"));
    assert!(!exists(&t, "main", "public.orders_total"));
    assert_replays(&t, "main");
}

#[test]
fn same_index_added_on_both_sides_is_clean() {
    let (t, mut repo) = setup(BASE);
    // Separate histories on each side first, so the index gets two ids.
    on(&t, "main", "ALTER TABLE public.users ADD COLUMN a int");
    on(&t, "feature", "ALTER TABLE public.users ADD COLUMN b int");
    on(
        &t,
        "main",
        "CREATE INDEX users_email ON public.users (email)",
    );
    on(
        &t,
        "feature",
        "CREATE INDEX users_email ON public.users (email)",
    );
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "completed", "{:?}", o.conflicts);
    let n: i64 = ws(&t, "main")
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'users_email'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    assert_replays(&t, "main");
}

#[test]
fn same_column_added_differently_is_both_added() {
    let (t, mut repo) = setup(BASE);
    on(&t, "main", "ALTER TABLE public.users ADD COLUMN age int");
    on(
        &t,
        "feature",
        "ALTER TABLE public.users ADD COLUMN age text",
    );
    merge(&mut repo, "feature");
    let c = open_conflicts(&mut repo);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].kind, "BOTH_ADDED");
    assert_eq!(c[0].part_label, "column age");
}

#[test]
fn function_changed_on_one_side_only() {
    let (t, mut repo) = setup(
        "CREATE FUNCTION public.f(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 1';
         CREATE TABLE public.t (id int)",
    );
    on(&t, "main", "ALTER TABLE public.t ADD COLUMN v int");
    on(
        &t,
        "feature",
        "CREATE OR REPLACE FUNCTION public.f(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 2'",
    );
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "completed");
    let v: i32 = ws(&t, "main")
        .query_one("SELECT public.f(1)", &[])
        .unwrap()
        .get(0);
    assert_eq!(v, 3);
    assert_replays(&t, "main");
}

#[test]
fn function_changed_on_both_sides_conflicts_with_low_severity() {
    let (t, mut repo) =
        setup("CREATE FUNCTION public.f(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 1'");
    on(
        &t,
        "main",
        "CREATE OR REPLACE FUNCTION public.f(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 3'",
    );
    on(
        &t,
        "feature",
        "CREATE OR REPLACE FUNCTION public.f(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 2'",
    );
    merge(&mut repo, "feature");
    let c = open_conflicts(&mut repo);
    assert_eq!(
        (c[0].kind.as_str(), c[0].severity.as_str()),
        ("BOTH_MODIFIED", "low")
    );
    assert_eq!(c[0].object, "public.f(x integer)");
}

#[test]
fn view_using_a_column_dropped_on_the_other_side_is_invalid() {
    let (t, mut repo) = setup(BASE);
    on(&t, "main", "ALTER TABLE public.users DROP COLUMN name");
    on(
        &t,
        "feature",
        "CREATE VIEW public.names AS SELECT id, name FROM public.users",
    );
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "conflicted", "{o:?}");
    let c = open_conflicts(&mut repo);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].kind, "INVALID_RESULT");
    assert_eq!(c[0].object, "public.names");
    let msg = c[0].message.clone().unwrap();
    // PostgreSQL 18 words it `column "name" does not exist`.
    assert!(
        msg.contains("column users.name does not exist")
            || msg.contains("column \"name\" does not exist"),
        "{msg}"
    );
    // The target was not touched.
    assert!(!exists(&t, "main", "public.names"));
    // Keep the target's side (no view): the merge completes.
    repo.resolve_conflicts(&[c[0].id], &Resolution::Ours, None)
        .unwrap();
    let o = repo
        .merge_continue(None, false, &Signature::default())
        .unwrap();
    assert_eq!(o.status, "completed");
    assert!(!exists(&t, "main", "public.names"));
    assert_replays(&t, "main");
}

#[test]
fn foreign_key_to_a_table_deleted_on_the_other_side_is_invalid() {
    let (t, mut repo) = setup(BASE);
    // The source adds a foreign key to users; the target drops users.
    on(
        &t,
        "feature",
        "ALTER TABLE public.orders ADD COLUMN buyer int",
    );
    on(&t, "feature", "ALTER TABLE public.orders ADD CONSTRAINT orders_buyer FOREIGN KEY (buyer) REFERENCES public.users (id)");
    on(
        &t,
        "main",
        "ALTER TABLE public.orders DROP CONSTRAINT orders_user_id_fkey; DROP TABLE public.users",
    );
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "conflicted");
    let c = open_conflicts(&mut repo);
    assert!(
        c.iter()
            .any(|c| c.kind == "INVALID_RESULT"
                && c.message.as_deref().unwrap_or("").contains("users")),
        "{c:?}"
    );
}

#[test]
fn criss_cross_history_uses_a_virtual_base() {
    let (t, mut repo) = setup(BASE);
    let m1 = on(&t, "main", "ALTER TABLE public.users ADD COLUMN m1 int");
    let f1 = on(&t, "feature", "ALTER TABLE public.users ADD COLUMN f1 int");
    // Cross-merge: main takes f1, feature takes m1 (each a merge commit).
    let mut on_feature = Repository::open(&t.db.config, Some("feature".into())).unwrap();
    let a = repo
        .merge(&MergeOptions {
            source: f1.clone(),
            ..opts("feature", Strategy::Auto)
        })
        .unwrap();
    assert_eq!(a.status, "completed");
    let b = on_feature
        .merge(&MergeOptions {
            source: m1.clone(),
            into: Some("feature".into()),
            ..opts("x", Strategy::Auto)
        })
        .unwrap();
    assert_eq!(b.status, "completed");
    on(&t, "main", "ALTER TABLE public.users ADD COLUMN m2 int");
    on(&t, "feature", "ALTER TABLE public.users ADD COLUMN f2 int");
    let bases = repo.merge_base("main", "feature").unwrap();
    assert_eq!(bases.len(), 2, "criss-cross has two best common ancestors");
    assert!(bases.contains(&m1) && bases.contains(&f1));
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "completed", "{:?}", o.conflicts);
    for c in ["m1", "f1", "m2", "f2"] {
        assert!(col_type(&t, "main", "public.users", c).is_some(), "{c}");
    }
    assert_replays(&t, "main");
}

#[test]
fn fast_forward_no_ff_and_ff_only() {
    let (t, mut repo) = setup(BASE);
    let f = on(&t, "feature", "ALTER TABLE public.users ADD COLUMN x int");
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "fast-forward");
    assert_eq!(repo.resolve("main").unwrap().id, f);
    assert!(col_type(&t, "main", "public.users", "x").is_some());
    assert_replays(&t, "main");
    // Up to date now.
    assert_eq!(merge(&mut repo, "feature").status, "up-to-date");
    // --no-ff records a merge commit.
    on(&t, "feature", "ALTER TABLE public.users ADD COLUMN y int");
    let mut o2 = opts("feature", Strategy::Auto);
    o2.fast_forward = FastForward::Never;
    let o = repo.merge(&o2).unwrap();
    assert_eq!(o.status, "completed");
    assert_eq!(repo.resolve("main").unwrap().parents.len(), 2);
    // --ff-only refuses diverged branches.
    on(&t, "feature", "ALTER TABLE public.users ADD COLUMN z int");
    on(&t, "main", "ALTER TABLE public.users ADD COLUMN w int");
    let mut o3 = opts("feature", Strategy::Auto);
    o3.fast_forward = FastForward::Only;
    assert!(matches!(repo.merge(&o3), Err(Error::Refused(_))));
    assert!(col_type(&t, "main", "public.users", "z").is_none());
}

#[test]
fn squash_records_one_parent() {
    let (t, mut repo) = setup(BASE);
    on(&t, "feature", "ALTER TABLE public.users ADD COLUMN s1 int");
    on(&t, "feature", "ALTER TABLE public.users ADD COLUMN s2 int");
    let before = repo.resolve("main").unwrap();
    let mut o = opts("feature", Strategy::Auto);
    o.squash = true;
    let out = repo.merge(&o).unwrap();
    assert_eq!(
        (out.status.as_str(), out.mode.as_str()),
        ("completed", "squash")
    );
    let c = repo.resolve("main").unwrap();
    assert_eq!(c.parents, vec![before.id]);
    assert!(c.message.contains("Squashed"));
    assert!(col_type(&t, "main", "public.users", "s2").is_some());
    assert_replays(&t, "main");
}

#[test]
fn abort_leaves_everything_as_before() {
    let (t, mut repo) = setup(BASE);
    on(
        &t,
        "main",
        "ALTER TABLE public.users ALTER COLUMN email TYPE varchar(100)",
    );
    on(
        &t,
        "feature",
        "ALTER TABLE public.users ALTER COLUMN email TYPE varchar(200)",
    );
    let before = repo.resolve("main").unwrap();
    let dump_before = dump(&url_of(&t, "main"));
    assert_eq!(merge(&mut repo, "feature").status, "conflicted");
    // A second merge into main is refused while this one is open.
    assert!(matches!(
        repo.merge(&opts("feature", Strategy::Auto)),
        Err(Error::Refused(_))
    ));
    let rec = repo.merge_abort(None).unwrap();
    assert_eq!(rec.status, "aborted");
    assert_eq!(repo.resolve("main").unwrap().id, before.id);
    assert_eq!(dump(&url_of(&t, "main")), dump_before);
    assert!(matches!(repo.merge_abort(None), Err(Error::Refused(_))));
    // Resolving a conflict of an aborted merge is refused.
    let (_, rows) = repo.conflicts(&ConflictFilter::default()).unwrap();
    assert!(matches!(
        repo.resolve_conflicts(&[rows[0].id], &Resolution::Ours, None),
        Err(Error::Refused(_))
    ));
}

#[test]
fn revert_of_a_merge_without_and_with_data_loss() {
    let (t, mut repo) = setup(BASE);
    on(&t, "main", "ALTER TABLE public.users ADD COLUMN keep int");
    on(
        &t,
        "feature",
        "ALTER TABLE public.users ADD COLUMN extra text; CREATE TABLE public.audit (id int)",
    );
    let before = repo.tree_of("main").unwrap();
    let o = merge(&mut repo, "feature");
    let mc = o.commit.clone().unwrap();
    // No data in what the merge added: reverting needs no --force.
    let r = repo
        .revert_merge(&mc, 1, false, &Signature::default())
        .unwrap();
    assert!(r.data_loss.is_empty());
    assert_eq!(repo.tree_of("main").unwrap().hash(), before.hash());
    assert!(!exists(&t, "main", "public.audit"));
    assert_replays(&t, "main");
    let status: String =
        t.db.connect()
            .unwrap()
            .query_one(
                "SELECT status FROM pggit.merges WHERE id = $1",
                &[&o.merge_id.unwrap()],
            )
            .unwrap()
            .get(0);
    assert_eq!(status, "rolled-back");

    // Merge again (new changes), put data in, then revert: refused, listed.
    on(
        &t,
        "feature",
        "ALTER TABLE public.users ADD COLUMN extra2 text; CREATE TABLE public.audit2 (id int)",
    );
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "completed", "{:?}", o.conflicts);
    ws(&t, "main")
        .batch_execute(
            "INSERT INTO public.users (id, extra2) VALUES (1, 'x'), (2, 'y'), (3, NULL);
             INSERT INTO public.audit2 VALUES (1)",
        )
        .unwrap();
    let mc = o.commit.unwrap();
    match repo.revert_merge(&mc, 1, false, &Signature::default()) {
        Err(Error::DataLoss(list)) => {
            assert!(
                list.contains("column public.users.extra2: 2 non-null value(s)"),
                "{list}"
            );
            assert!(list.contains("table public.audit2: 1 row(s)"), "{list}");
        }
        other => panic!("expected DataLoss, got {other:?}"),
    }
    assert!(exists(&t, "main", "public.audit2"));
    let r = repo
        .revert_merge(&mc, 1, true, &Signature::default())
        .unwrap();
    assert_eq!(r.data_loss.len(), 2);
    assert!(!exists(&t, "main", "public.audit2"));
    // Plain revert of a merge points at -m.
    assert!(matches!(
        repo.revert(&mc, true, &Signature::default()),
        Err(Error::Refused(_))
    ));
}

#[test]
fn concurrent_merges_into_one_target() {
    let (t, mut repo) = setup(BASE);
    repo.create_branch("other", Some("main")).unwrap();
    repo.checkout("other", None).unwrap();
    repo.checkout("main", None).unwrap();
    on(&t, "feature", "ALTER TABLE public.users ADD COLUMN c1 int");
    on(&t, "other", "ALTER TABLE public.orders ADD COLUMN c2 int");
    on(&t, "main", "ALTER TABLE public.users ADD COLUMN c0 int");
    let config = t.db.config.clone();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let handles: Vec<_> = ["feature", "other"]
        .into_iter()
        .map(|src| {
            let config = config.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut r = Repository::open(&config, None).unwrap();
                barrier.wait();
                r.merge(&opts(src, Strategy::Auto))
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let done = results
        .iter()
        .filter(|r| matches!(r, Ok(o) if o.status == "completed"))
        .count();
    for r in &results {
        match r {
            Ok(o) => assert_eq!(o.status, "completed"),
            Err(Error::Refused(m)) => assert!(m.contains("merge into 'main'"), "{m}"),
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert!(done >= 1);
    // Whatever happened, main is consistent: its workspace replays.
    assert_replays(&t, "main");
    let completed: i64 =
        t.db.connect()
            .unwrap()
            .query_one(
                "SELECT count(*) FROM pggit.merges WHERE status = 'completed'",
                &[],
            )
            .unwrap()
            .get(0);
    assert_eq!(completed as usize, done);
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let (t, mut repo) = setup(BASE);
    assert!(matches!(
        repo.merge(&opts("main", Strategy::Auto)),
        Err(Error::Refused(_))
    ));
    assert!(matches!(
        repo.merge(&opts("nope", Strategy::Auto)),
        Err(Error::NoSuchBranch(_))
    ));
    assert!(matches!(
        repo.merge_continue(None, false, &Signature::default()),
        Err(Error::Refused(_))
    ));
    assert!(matches!(
        repo.resolve_conflicts(&[999], &Resolution::Ours, None),
        Err(Error::Refused(_))
    ));
    // A dirty target is refused before anything is recorded.
    on(&t, "feature", "ALTER TABLE public.users ADD COLUMN f int");
    on(&t, "main", "ALTER TABLE public.users ADD COLUMN m int");
    ws(&t, "main")
        .batch_execute("CREATE TABLE public.uncommitted (id int)")
        .unwrap();
    assert!(matches!(
        repo.merge(&opts("feature", Strategy::Auto)),
        Err(Error::Refused(_))
    ));
    let n: i64 =
        t.db.connect()
            .unwrap()
            .query_one("SELECT count(*) FROM pggit.merges", &[])
            .unwrap()
            .get(0);
    assert_eq!(n, 0);
}

#[test]
fn resolution_batches_are_atomic() {
    let (t, mut repo) = setup(BASE);
    on(&t, "main", "ALTER TABLE public.users ALTER COLUMN email TYPE varchar(10); ALTER TABLE public.users ALTER COLUMN name TYPE varchar(10)");
    on(&t, "feature", "ALTER TABLE public.users ALTER COLUMN email TYPE varchar(20); ALTER TABLE public.users ALTER COLUMN name TYPE varchar(20)");
    merge(&mut repo, "feature");
    let c = open_conflicts(&mut repo);
    assert_eq!(c.len(), 2);
    repo.resolve_conflicts(&[c[0].id], &Resolution::Ours, None)
        .unwrap();
    // Already resolved + open in one batch: nothing changes.
    assert!(matches!(
        repo.resolve_conflicts(&[c[1].id, c[0].id], &Resolution::Theirs, None),
        Err(Error::Refused(_))
    ));
    assert_eq!(open_conflicts(&mut repo).len(), 1);
    // Unknown id in a batch: nothing changes either.
    assert!(matches!(
        repo.resolve_conflicts(&[c[1].id, 424242], &Resolution::Theirs, None),
        Err(Error::Refused(_))
    ));
    assert_eq!(open_conflicts(&mut repo).len(), 1);
    let out = repo
        .resolve_all(
            &ConflictFilter {
                kind: Some("both_modified".into()),
                ..ConflictFilter::default()
            },
            &Resolution::Theirs,
            None,
        )
        .unwrap();
    assert_eq!((out.resolved.len(), out.remaining), (1, 0));
    assert!(matches!(
        repo.resolve_all(
            &ConflictFilter {
                kind: Some("NOPE".into()),
                ..ConflictFilter::default()
            },
            &Resolution::Ours,
            None
        ),
        Err(Error::Refused(_))
    ));
    assert_eq!(
        repo.merge_continue(None, false, &Signature::default())
            .unwrap()
            .status,
        "completed"
    );
    assert_eq!(
        col_type(&t, "main", "public.users", "email").as_deref(),
        Some("character varying(10)")
    );
    assert_eq!(
        col_type(&t, "main", "public.users", "name").as_deref(),
        Some("character varying(20)")
    );
    assert_replays(&t, "main");
}

#[test]
fn custom_sql_resolution_is_checked_and_applied() {
    let (t, mut repo) = setup("CREATE TABLE public.t (id int, a int, b int); CREATE VIEW public.v AS SELECT id FROM public.t");
    on(
        &t,
        "main",
        "CREATE OR REPLACE VIEW public.v AS SELECT id, a FROM public.t",
    );
    on(
        &t,
        "feature",
        "CREATE OR REPLACE VIEW public.v AS SELECT id, b FROM public.t",
    );
    merge(&mut repo, "feature");
    let c = open_conflicts(&mut repo);
    assert_eq!(c.len(), 1, "{c:?}");
    let id = c[0].id;
    for bad in [
        "CREATE VIEW public.w AS SELECT 1",
        "CREATE TABLE public.v (x int)",
        "CREATE VIEW public.v AS SELECT 1; CREATE VIEW public.v2 AS SELECT 2",
        "CREATE VIEW public.v AS SELEC 1",
    ] {
        assert!(
            matches!(
                repo.resolve_conflicts(&[id], &Resolution::Sql(bad.into()), None),
                Err(Error::Refused(_))
            ),
            "{bad}"
        );
    }
    assert_eq!(open_conflicts(&mut repo).len(), 1);
    // A definition that parses but fails on the server hands the conflict back.
    repo.resolve_conflicts(
        &[id],
        &Resolution::Sql("CREATE VIEW public.v AS SELECT nope FROM public.t".into()),
        None,
    )
    .unwrap();
    match repo.merge_continue(None, false, &Signature::default()) {
        Err(Error::Refused(m)) => assert!(m.contains("column \"nope\" does not exist"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(open_conflicts(&mut repo).len(), 1);
    repo.resolve_conflicts(
        &[id],
        &Resolution::Sql("CREATE VIEW public.v AS SELECT id, a, b FROM public.t".into()),
        Some("both columns"),
    )
    .unwrap();
    let o = repo
        .merge_continue(None, false, &Signature::default())
        .unwrap();
    assert_eq!(o.status, "completed", "{o:?}");
    let cols: i64 = ws(&t, "main")
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'v'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(cols, 3);
    assert_replays(&t, "main");
}

#[test]
fn strategies_ours_and_theirs_settle_conflicts() {
    for (strategy, expected) in [
        (Strategy::Ours, "character varying(10)"),
        (Strategy::Theirs, "character varying(20)"),
    ] {
        let (t, mut repo) = setup(BASE);
        on(
            &t,
            "main",
            "ALTER TABLE public.users ALTER COLUMN email TYPE varchar(10)",
        );
        on(&t, "feature", "ALTER TABLE public.users ALTER COLUMN email TYPE varchar(20); ALTER TABLE public.users ADD COLUMN x int");
        let o = repo.merge(&opts("feature", strategy)).unwrap();
        assert_eq!(o.status, "completed");
        assert_eq!(
            col_type(&t, "main", "public.users", "email").as_deref(),
            Some(expected)
        );
        assert!(col_type(&t, "main", "public.users", "x").is_some());
        let (_, rows) = repo.conflicts(&ConflictFilter::default()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].resolution.as_deref(),
            Some(if strategy == Strategy::Ours {
                "ours"
            } else {
                "theirs"
            })
        );
        assert_replays(&t, "main");
    }
}

#[test]
fn union_combines_enum_labels_auto_does_not() {
    let (t, mut repo) = setup("CREATE TYPE public.mood AS ENUM ('happy', 'sad')");
    on(&t, "main", "ALTER TYPE public.mood ADD VALUE 'calm'");
    on(&t, "feature", "ALTER TYPE public.mood ADD VALUE 'angry'");
    let o = repo
        .merge(&MergeOptions {
            dry_run: true,
            ..opts("feature", Strategy::Auto)
        })
        .unwrap();
    assert!(o.conflicts.iter().any(|c| c.resolution.is_none()));
    let o = repo.merge(&opts("feature", Strategy::Union)).unwrap();
    assert_eq!(o.status, "completed", "{:?}", o.conflicts);
    let labels: Vec<String> = ws(&t, "main")
        .query("SELECT enumlabel::text FROM pg_enum WHERE enumtypid = 'public.mood'::regtype ORDER BY enumsortorder", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(labels, ["happy", "sad", "calm", "angry"]);
    assert_replays(&t, "main");
}

fn labels(t: &TestRepo, branch: &str) -> Vec<String> {
    ws(t, branch)
        .query("SELECT enumlabel::text FROM pg_enum WHERE enumtypid = 'public.state'::regtype ORDER BY enumsortorder", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn auto_merges_enum_labels_added_at_different_places() {
    let (t, mut repo) = setup("CREATE TYPE public.state AS ENUM ('new', 'paid', 'shipped'); CREATE TABLE public.o (id int, s public.state DEFAULT 'new')");
    on(
        &t,
        "main",
        "ALTER TYPE public.state ADD VALUE 'disputed' AFTER 'paid'",
    );
    on(&t, "feature", "ALTER TYPE public.state ADD VALUE 'refunded'; ALTER TYPE public.state ADD VALUE 'draft' BEFORE 'new'");
    let o = repo.merge(&opts("feature", Strategy::Auto)).unwrap();
    assert_eq!(o.status, "completed", "{:?}", o.conflicts);
    assert_eq!(
        labels(&t, "main"),
        ["draft", "new", "paid", "disputed", "shipped", "refunded"]
    );
    assert_replays(&t, "main");
}

#[test]
fn auto_keeps_enum_label_overlaps_as_conflicts() {
    let setup_sql = "CREATE TYPE public.state AS ENUM ('new', 'paid', 'shipped')";
    // The same label at different places.
    let (t, mut repo) = setup(setup_sql);
    on(
        &t,
        "main",
        "ALTER TYPE public.state ADD VALUE 'lost' AFTER 'new'",
    );
    on(&t, "feature", "ALTER TYPE public.state ADD VALUE 'lost'");
    let o = repo.merge(&opts("feature", Strategy::Auto)).unwrap();
    assert_eq!(o.status, "conflicted", "{:?}", o.conflicts);
    assert_eq!(labels(&t, "main"), ["new", "lost", "paid", "shipped"]);
    drop(repo);
    drop(t);
    // A label removed on one side while the other adds one next to it.
    let (t, mut repo) = setup(setup_sql);
    on(&t, "main", "ALTER TYPE public.state RENAME TO old_state; CREATE TYPE public.state AS ENUM ('new', 'shipped'); DROP TYPE public.old_state");
    on(
        &t,
        "feature",
        "ALTER TYPE public.state ADD VALUE 'refunded' AFTER 'paid'",
    );
    let o = repo.merge(&opts("feature", Strategy::Auto)).unwrap();
    assert_eq!(o.status, "conflicted", "{:?}", o.conflicts);
}

/// Steps that fail on the target's rows are found before anything is
/// applied, with exact counts; the merge is left open until the rows allow it.
#[test]
fn merge_refuses_steps_the_target_rows_fail() {
    let (t, mut repo) = setup("CREATE TABLE public.t (id int, email text, n int)");
    ws(&t, "main")
        .batch_execute(
            "INSERT INTO public.t VALUES (1, 'a', -1), (2, 'a', 1), (3, 'a', 2), (4, NULL, -5)",
        )
        .unwrap();
    on(&t, "feature", "ALTER TABLE public.t ADD COLUMN c int NOT NULL; ALTER TABLE public.t ADD CONSTRAINT t_email UNIQUE (email); ALTER TABLE public.t ADD CONSTRAINT t_n CHECK (n > 0); ALTER TABLE public.t ALTER COLUMN id SET NOT NULL");
    on(&t, "main", "CREATE TABLE public.other (id int)");
    let dry = repo
        .merge(&MergeOptions {
            dry_run: true,
            ..opts("feature", Strategy::Auto)
        })
        .unwrap();
    let mut fails = dry.would_fail.clone();
    fails.sort();
    assert_eq!(
        fails,
        [
            "column public.t.c: added NOT NULL without a default: 4 existing row(s) fail it",
            "constraint t_email on public.t: new unique key (email) over duplicate or NULL keys: 2 existing row(s) fail it",
            "constraint t_n on public.t: new check: 2 existing row(s) fail it",
        ],
        "{fails:?}"
    );
    let e = repo.merge(&opts("feature", Strategy::Auto)).unwrap_err();
    assert!(matches!(e, Error::WouldFail(_)), "{e}");
    // Nothing was applied; the merge waits for the rows.
    let cols: i64 = ws(&t, "main")
        .query_one("SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'c'", &[])
        .unwrap()
        .get(0);
    assert_eq!(cols, 0);
    ws(&t, "main")
        .batch_execute("DELETE FROM public.t")
        .unwrap();
    let o = repo
        .merge_continue(None, false, &Signature::default())
        .unwrap();
    assert_eq!(o.status, "completed", "{:?}", o.would_fail);
}

#[test]
fn manual_needs_every_change_approved() {
    let (t, mut repo) = setup(BASE);
    on(&t, "main", "ALTER TABLE public.users ADD COLUMN m int");
    on(
        &t,
        "feature",
        "ALTER TABLE public.orders ADD COLUMN f int; CREATE TABLE public.x (id int)",
    );
    let o = repo.merge(&opts("feature", Strategy::Manual)).unwrap();
    assert_eq!(o.status, "conflicted");
    let c = open_conflicts(&mut repo);
    assert!(c.len() >= 2, "{c:?}");
    assert!(c
        .iter()
        .all(|c| c.kind == "SOURCE_MODIFIED" || c.kind == "TARGET_MODIFIED"));
    repo.resolve_all(&ConflictFilter::default(), &Resolution::Theirs, None)
        .unwrap();
    let o = repo
        .merge_continue(None, false, &Signature::default())
        .unwrap();
    assert_eq!(o.status, "completed");
    assert!(exists(&t, "main", "public.x"));
    assert!(col_type(&t, "main", "public.orders", "f").is_some());
    assert_replays(&t, "main");
}

#[test]
fn abort_on_conflict_changes_nothing() {
    let (t, mut repo) = setup(BASE);
    on(
        &t,
        "main",
        "ALTER TABLE public.users ALTER COLUMN email TYPE varchar(10)",
    );
    on(
        &t,
        "feature",
        "ALTER TABLE public.users ALTER COLUMN email TYPE varchar(20)",
    );
    let before = repo.resolve("main").unwrap();
    let o = repo
        .merge(&opts("feature", Strategy::AbortOnConflict))
        .unwrap();
    assert_eq!(o.status, "aborted");
    assert_eq!(repo.resolve("main").unwrap().id, before.id);
    // Nothing is left open: a new merge may start.
    assert_eq!(
        repo.merge(&opts("feature", Strategy::Theirs))
            .unwrap()
            .status,
        "completed"
    );
    assert_replays(&t, "main");
    // Conflicts settled by a strategy took no one's time: still no estimate.
    on(
        &t,
        "main",
        "ALTER TABLE public.users ALTER COLUMN name TYPE varchar(10)",
    );
    on(
        &t,
        "feature",
        "ALTER TABLE public.users ALTER COLUMN name TYPE varchar(20)",
    );
    assert_eq!(merge(&mut repo, "feature").status, "conflicted");
    assert_eq!(repo.merge_status(None).unwrap().eta_seconds, None);
}

#[test]
fn dry_run_records_and_changes_nothing() {
    let (t, mut repo) = setup(BASE);
    on(&t, "main", "ALTER TABLE public.users ADD COLUMN m int");
    on(&t, "feature", "ALTER TABLE public.users ADD COLUMN f int");
    let o = repo
        .merge(&MergeOptions {
            dry_run: true,
            ..opts("feature", Strategy::Auto)
        })
        .unwrap();
    assert_eq!(o.status, "dry-run");
    assert_eq!(o.statements.len(), 1);
    assert_eq!(
        o.statements[0].sql,
        "ALTER TABLE public.users ADD COLUMN f integer"
    );
    assert!(col_type(&t, "main", "public.users", "f").is_none());
    let n: i64 =
        t.db.connect()
            .unwrap()
            .query_one("SELECT count(*) FROM pggit.merges", &[])
            .unwrap()
            .get(0);
    assert_eq!(n, 0);
}

#[test]
fn status_estimates_only_from_history() {
    let (t, mut repo) = setup(BASE);
    on(
        &t,
        "main",
        "ALTER TABLE public.users ALTER COLUMN email TYPE varchar(10)",
    );
    on(
        &t,
        "feature",
        "ALTER TABLE public.users ALTER COLUMN email TYPE varchar(20)",
    );
    merge(&mut repo, "feature");
    let s = repo.merge_status(None).unwrap();
    assert_eq!(s.eta_seconds, None);
    assert!(s.eta_note.contains("no estimate"), "{}", s.eta_note);
    let c = open_conflicts(&mut repo);
    std::thread::sleep(std::time::Duration::from_millis(50));
    repo.resolve_conflicts(&[c[0].id], &Resolution::Theirs, None)
        .unwrap();
    repo.merge_continue(None, false, &Signature::default())
        .unwrap();
    // A second conflicted merge: now there is history for BOTH_MODIFIED.
    on(
        &t,
        "main",
        "ALTER TABLE public.users ALTER COLUMN name TYPE varchar(10)",
    );
    on(
        &t,
        "feature",
        "ALTER TABLE public.users ALTER COLUMN name TYPE varchar(20)",
    );
    merge(&mut repo, "feature");
    let s = repo.merge_status(None).unwrap();
    let eta = s.eta_seconds.expect("an estimate from history");
    assert!((0.05..60.0).contains(&eta), "{eta}");
    assert_eq!(s.unresolved_by_kind.get("BOTH_MODIFIED"), Some(&1));
}

#[test]
fn cherry_pick_applies_one_commit() {
    let (t, mut repo) = setup(BASE);
    on(
        &t,
        "feature",
        "ALTER TABLE public.users ADD COLUMN first int",
    );
    let second = on(
        &t,
        "feature",
        "ALTER TABLE public.users ADD COLUMN second int",
    );
    on(&t, "main", "ALTER TABLE public.orders ADD COLUMN m int");
    let o = repo.cherry_pick(&second, &Signature::default()).unwrap();
    assert!(col_type(&t, "main", "public.users", "second").is_some());
    assert!(col_type(&t, "main", "public.users", "first").is_none());
    let c = repo.resolve("main").unwrap();
    assert_eq!(c.id, o.commit);
    assert_eq!(c.parents.len(), 1);
    assert!(c.message.contains(&second));
    assert_replays(&t, "main");
}

#[test]
fn merge_into_another_branch_and_schema_upgrade() {
    let (t, mut repo) = setup(BASE);
    on(&t, "main", "ALTER TABLE public.users ADD COLUMN m int");
    on(&t, "feature", "ALTER TABLE public.users ADD COLUMN f int");
    let o = repo
        .merge(&MergeOptions {
            into: Some("feature".into()),
            ..opts("main", Strategy::Auto)
        })
        .unwrap();
    assert_eq!(o.status, "completed");
    assert!(col_type(&t, "feature", "public.users", "m").is_some());
    assert!(col_type(&t, "main", "public.users", "f").is_none());
    assert_replays(&t, "feature");
    // A version-1 repository is upgraded in place on open.
    t.db.connect()
        .unwrap()
        .batch_execute(
            "DROP TABLE pggit.segment_children, pggit.segments;
             DROP VIEW pggit.merges, pggit.conflicts; DROP TABLE pggit.merge_conflicts, pggit.merge_records;
             DROP INDEX pggit.commits_generation; ALTER TABLE pggit.commits DROP COLUMN segment;
             ALTER TABLE pggit.trees DROP COLUMN packed;
             DROP TABLE pggit.migration_outcomes;
             UPDATE pggit.meta SET value = '1' WHERE key = 'schema_version'",
        )
        .unwrap();
    let mut again = Repository::open(&t.db.config, None).unwrap();
    let v: String =
        t.db.connect()
            .unwrap()
            .query_one(
                "SELECT value FROM pggit.meta WHERE key = 'schema_version'",
                &[],
            )
            .unwrap()
            .get(0);
    assert_eq!(v, "5");
    // Segments were backfilled: main's history continues one segment, and
    // merge bases still work.
    let segs: i64 =
        t.db.connect()
            .unwrap()
            .query_one(
                "SELECT count(DISTINCT segment) FROM pggit.commits WHERE segment IS NOT NULL",
                &[],
            )
            .unwrap()
            .get(0);
    let commits: i64 =
        t.db.connect()
            .unwrap()
            .query_one("SELECT count(*) FROM pggit.commits", &[])
            .unwrap()
            .get(0);
    assert!(
        segs >= 2 && segs < commits,
        "{segs} segments for {commits} commits"
    );
    // ... and indexed (version 3), one row per segment.
    let indexed: i64 =
        t.db.connect()
            .unwrap()
            .query_one("SELECT count(*) FROM pggit.segments", &[])
            .unwrap()
            .get(0);
    assert_eq!(indexed, segs);
    // Trees stored before version 4 have no reference index: a diff
    // between them reads them whole.
    let d = again
        .diff(
            &pggit::Side::Rev("main".into()),
            &pggit::Side::Rev("feature".into()),
            false,
        )
        .unwrap();
    assert!(!d.statements.is_empty(), "{:?}", d.changes);
    assert_eq!(again.merge_base("main", "feature").unwrap().len(), 1);
    assert!(again.conflicts(&ConflictFilter::default()).is_err()); // no merge recorded yet, clear error
}

#[test]
fn hostile_names_merge() {
    let evil = "a\"; drop table x; --";
    let (t, mut repo) = setup(&format!(
        "CREATE TABLE public.{} (id int)",
        pggit::core::sql::ident(evil)
    ));
    let q = pggit::core::sql::qname("public", evil);
    on(
        &t,
        "main",
        &format!("ALTER TABLE {q} ADD COLUMN \"ünï\" text"),
    );
    on(
        &t,
        "feature",
        &format!(
            "ALTER TABLE {q} ADD COLUMN {} int",
            pggit::core::sql::ident(&"c".repeat(63))
        ),
    );
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "completed", "{:?}", o.conflicts);
    assert_replays(&t, "main");
}

#[test]
fn a_merge_interrupted_after_the_branch_moved_is_closed() {
    let (t, mut repo) = setup(BASE);
    on(&t, "main", "ALTER TABLE public.users ADD COLUMN m int");
    on(&t, "feature", "ALTER TABLE public.users ADD COLUMN f int");
    let o = merge(&mut repo, "feature");
    // As if the process died after moving the branch, before closing the record.
    t.db.connect()
        .unwrap()
        .execute(
            "UPDATE pggit.merge_records SET status = 'in-progress', result_commit = NULL, finished_at = NULL WHERE id = $1",
            &[&o.merge_id.unwrap()],
        )
        .unwrap();
    let s = repo.merge_status(None).unwrap();
    assert_eq!(s.status, "completed");
    assert_eq!(s.merge.result_commit, o.commit);
    on(&t, "feature", "ALTER TABLE public.users ADD COLUMN g int");
    assert_eq!(merge(&mut repo, "feature").status, "completed");
}

#[test]
fn merges_that_drop_data_need_force() {
    let (t, mut repo) = setup(BASE);
    ws(&t, "main")
        .batch_execute("INSERT INTO public.users (id, name) VALUES (1, 'ann'), (2, 'bob')")
        .unwrap();
    on(&t, "feature", "ALTER TABLE public.users DROP COLUMN name");
    // Fast-forward: refused before anything is recorded.
    match repo.merge(&opts("feature", Strategy::Auto)) {
        Err(Error::DataLoss(l)) => assert_eq!(l, "column public.users.name: 2 non-null value(s)"),
        other => panic!("{other:?}"),
    }
    assert!(col_type(&t, "main", "public.users", "name").is_some());
    let n: i64 =
        t.db.connect()
            .unwrap()
            .query_one("SELECT count(*) FROM pggit.merges", &[])
            .unwrap()
            .get(0);
    assert_eq!(n, 0);
    // A real merge: stays open until --continue --force.
    on(&t, "main", "ALTER TABLE public.orders ADD COLUMN m int");
    assert!(matches!(
        repo.merge(&opts("feature", Strategy::Auto)),
        Err(Error::DataLoss(_))
    ));
    let s = repo.merge_status(None).unwrap();
    assert_eq!(s.status, "in-progress");
    assert!(s.merge.error.unwrap().contains("users.name"));
    assert!(col_type(&t, "main", "public.users", "name").is_some());
    assert!(matches!(
        repo.merge_continue(None, false, &Signature::default()),
        Err(Error::DataLoss(_))
    ));
    let o = repo
        .merge_continue(None, true, &Signature::default())
        .unwrap();
    assert_eq!(o.status, "completed");
    assert_eq!(o.data_loss.len(), 1);
    assert!(col_type(&t, "main", "public.users", "name").is_none());
    assert_replays(&t, "main");
}

/// xorshift64: random histories without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Rows of the merge-base index, as text, in a stable order.
fn index_rows(c: &mut postgres::Client) -> Vec<String> {
    c.query(
        "SELECT format('%s %s %s %s %s %s %s', id, generation, depth, up, up_generation, jump, jump_depth)
           FROM pggit.segments
         UNION ALL
         SELECT format('%s <- %s at %s (%s)', segment, child, generation, child_generation)
           FROM pggit.segment_children
          ORDER BY 1",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// Merge bases read from the repository — commits written by
/// `write_commit`, segment index and all — equal brute force and the
/// in-memory index walk on random histories of branches (commits, forks from
/// tips and from far back, merges, criss-cross merges, unrelated roots);
/// the index rows equal the in-memory index's; rebuilding the index as the
/// upgrade does gives the same rows; deleting a commit drops its rows.
#[test]
fn merge_bases_from_the_index_match_brute_force() {
    use pggit::core::merge::reach::{self, SegmentIndex};
    use pggit::core::merge::segments::MemorySegments;
    use pggit::pg::store::{self, Commit};
    use std::collections::{BTreeSet, HashSet};

    let db = ScratchDb::create(&test_admin_config(), "pggit_merge_index").unwrap();
    let (mut repo, _) = Repository::init(&db.config, &InitOptions::default()).unwrap();
    let mut c = db.connect().unwrap();
    let (root, tree): (String, String) = {
        let r = c
            .query_one("SELECT id, tree FROM pggit.commits", &[])
            .unwrap();
        (r.get(0), r.get(1))
    };
    let mut ids = vec![root.clone()];
    let mut parents: Vec<Vec<usize>> = vec![vec![]];
    let mut gens = vec![1i32];
    let mut mem = MemorySegments::default();
    mem.add(&root, &[]);
    let mut write = |ps: Vec<usize>, ids: &mut Vec<String>, gens: &mut Vec<i32>| {
        let id = format!("x{}", ids.len());
        let commit = Commit {
            id: id.clone(),
            tree: tree.clone(),
            parents: ps.iter().map(|p| ids[*p].clone()).collect(),
            generation: ps.iter().map(|p| gens[*p]).max().unwrap_or(0) + 1,
            author: "t".into(),
            committer: "t".into(),
            message: "m".into(),
            authored_at: "2026-01-01T00:00:00Z".into(),
            committed_at: "2026-01-01T00:00:00Z".into(),
        };
        let mut tx = c.transaction().unwrap();
        store::write_commit(&mut tx, &commit).unwrap();
        tx.commit().unwrap();
        let refs: Vec<&str> = commit.parents.iter().map(String::as_str).collect();
        mem.add(&id, &refs);
        ids.push(id);
        gens.push(commit.generation);
        parents.push(ps);
        ids.len() - 1
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut tips = vec![0usize];
    while ids.len() < 400 {
        let n = tips.len();
        let (i, j) = (rng.below(n), rng.below(n));
        match rng.below(100) {
            0..=34 => tips[i] = write(vec![tips[i]], &mut ids, &mut gens),
            35..=44 => {
                let t = write(vec![tips[i]], &mut ids, &mut gens);
                tips.push(t);
            }
            45..=49 => {
                let at = rng.below(ids.len());
                let t = write(vec![at], &mut ids, &mut gens);
                tips.push(t);
            }
            50..=84 if i != j => tips[i] = write(vec![tips[i], tips[j]], &mut ids, &mut gens),
            85..=97 if i != j => {
                let (x, y) = (tips[i], tips[j]);
                tips[i] = write(vec![x, y], &mut ids, &mut gens);
                tips[j] = write(vec![y, x], &mut ids, &mut gens);
            }
            98..=99 => {
                let t = write(vec![], &mut ids, &mut gens);
                tips.push(t);
            }
            _ => {}
        }
    }
    let ancestors = |n: usize| {
        let mut seen = HashSet::new();
        let mut stack = vec![n];
        while let Some(x) = stack.pop() {
            if seen.insert(x) {
                stack.extend(parents[x].iter().copied());
            }
        }
        seen
    };
    for k in 0..150 {
        let a = tips[rng.below(tips.len())];
        let b = if k % 3 == 0 {
            rng.below(ids.len())
        } else {
            tips[rng.below(tips.len())]
        };
        let common: HashSet<usize> = ancestors(a).intersection(&ancestors(b)).copied().collect();
        let best: BTreeSet<String> = common
            .iter()
            .filter(|x| !common.iter().any(|y| y != *x && ancestors(*y).contains(x)))
            .map(|x| ids[*x].clone())
            .collect();
        let got = repo.merge_bases(&ids[a], &ids[b]).unwrap();
        // The index alone, and the segment walk alone, read from the
        // repository.
        for opts in [reach::Options::index_alone(), reach::Options::walk_alone()] {
            assert_eq!(
                repo.merge_bases_with(&ids[a], &ids[b], opts).unwrap(),
                got,
                "{opts:?}"
            );
        }
        assert_eq!(
            got.iter().cloned().collect::<BTreeSet<_>>(),
            best,
            "{} {}",
            ids[a],
            ids[b]
        );
        assert_eq!(got, reach::merge_bases(&mut mem, &ids[a], &ids[b]).unwrap());
    }
    // The repository's index is the in-memory one.
    for r in c
        .query(
            "SELECT id, depth, up, up_generation, jump, jump_depth FROM pggit.segments",
            &[],
        )
        .unwrap()
    {
        let id: String = r.get(0);
        let l = mem.link(&id, None).unwrap();
        let up: Option<(String, i64)> = r
            .get::<_, Option<String>>(2)
            .zip(r.get::<_, Option<i32>>(3).map(i64::from));
        let jump: Option<(String, i64)> = r
            .get::<_, Option<String>>(4)
            .zip(r.get::<_, Option<i32>>(5).map(i64::from));
        assert_eq!(
            (i64::from(r.get::<_, i32>(1)), up, jump),
            (l.depth, l.up, l.jump),
            "{id}"
        );
        let rows: BTreeSet<(String, i64, i64)> = c
            .query(
                "SELECT child, child_generation, generation FROM pggit.segment_children WHERE segment = $1",
                &[&id],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), i64::from(r.get::<_, i32>(1)), i64::from(r.get::<_, i32>(2))))
            .collect();
        let want: BTreeSet<(String, i64, i64)> = mem
            .children(&id, -1, i64::MAX)
            .unwrap()
            .into_iter()
            .map(|ch| (ch.segment, ch.head_generation, ch.at))
            .collect();
        assert_eq!(rows, want, "children of {id}");
    }
    let heads: i64 = c
        .query_one("SELECT count(*) FROM pggit.commits WHERE id = segment", &[])
        .unwrap()
        .get(0);
    let written = index_rows(&mut c);
    assert!(heads > 100, "{heads} segments");
    // Rebuilt as the upgrade builds it: the same rows.
    let mut tx = c.transaction().unwrap();
    tx.execute("DELETE FROM pggit.segments", &[]).unwrap();
    assert_eq!(store::index_segments(&mut tx).unwrap() as i64, heads);
    tx.commit().unwrap();
    assert_eq!(index_rows(&mut c), written);
    // A commit deleted (as a failed merge deletes its commit) takes its rows.
    let last: String = c
        .query_one(
            "SELECT s.id FROM pggit.segments s
              WHERE NOT EXISTS (SELECT FROM pggit.commits k WHERE s.id = ANY (k.parents))
                AND (SELECT count(*) FROM pggit.segment_children k WHERE k.child = s.id) = 2
              ORDER BY s.id LIMIT 1",
            &[],
        )
        .unwrap()
        .get(0);
    c.execute("DELETE FROM pggit.commits WHERE id = $1", &[&last])
        .unwrap();
    let left: i64 = c
        .query_one(
            "SELECT count(*) FROM pggit.segments s FULL JOIN pggit.segment_children k ON k.child = s.id
              WHERE s.id = $1 OR k.child = $1",
            &[&last],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

/// Extended statistics: two sides add different statistics objects to one
/// table and both arrive; one side's new statistics target and the other's
/// comment on the same object merge field by field.
#[test]
fn statistics_from_both_sides_merge() {
    let (t, mut repo) = setup(
        "CREATE TABLE public.geo (id int PRIMARY KEY, country text, region text, city text);
         CREATE STATISTICS public.geo_cr ON country, region FROM public.geo;",
    );
    on(
        &t,
        "main",
        "CREATE STATISTICS public.geo_rc (mcv) ON region, city FROM public.geo;
         ALTER STATISTICS public.geo_cr SET STATISTICS 400",
    );
    on(
        &t,
        "feature",
        "CREATE STATISTICS public.geo_cc (ndistinct) ON country, city FROM public.geo;
         COMMENT ON STATISTICS public.geo_cr IS 'country decides region'",
    );
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "completed", "{:?} {:?}", o.conflicts, o.invalid);
    let rows: Vec<String> = ws(&t, "main")
        .query(
            "SELECT stxname || ' ' || coalesce(nullif(stxstattarget, -1)::text, '-') || ' '
                    || coalesce(obj_description(oid, 'pg_statistic_ext'), '-')
               FROM pg_statistic_ext ORDER BY stxname",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        rows,
        [
            "geo_cc - -",
            "geo_cr 400 country decides region",
            "geo_rc - -"
        ]
    );
    assert_replays(&t, "main");
}

/// Publications: each side adds a different table to one publication and
/// both arrive (members merge as a set, in the order a snapshot keeps).
#[test]
fn publication_members_from_both_sides_merge() {
    let (t, mut repo) = setup(
        "CREATE TABLE public.orders (id int PRIMARY KEY, status text);
         CREATE TABLE public.users (id int PRIMARY KEY);
         CREATE TABLE public.items (id int PRIMARY KEY);
         CREATE PUBLICATION feed FOR TABLE public.orders;",
    );
    on(&t, "main", "ALTER PUBLICATION feed ADD TABLE public.users");
    on(
        &t,
        "feature",
        "ALTER PUBLICATION feed ADD TABLE public.items",
    );
    let o = merge(&mut repo, "feature");
    assert_eq!(o.status, "completed", "{:?} {:?}", o.conflicts, o.invalid);
    let members: Vec<String> = ws(&t, "main")
        .query(
            "SELECT tablename::text FROM pg_publication_tables WHERE pubname = 'feed' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(members, ["items", "orders", "users"]);
    assert_replays(&t, "main");
    // Nothing left to commit: the merged publication is what a snapshot
    // of the workspace gives.
    let mut again = Repository::open(&t.db.config, Some("main".into())).unwrap();
    assert!(again.status().unwrap().changes.is_empty());
}
