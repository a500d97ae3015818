//! The binary end to end: every command's human and JSON output as insta
//! snapshots (ids, database names and times redacted) and exit codes.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use pggit::pg::scratch::{test_admin_config, ScratchDb};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

struct Env {
    db: ScratchDb,
    url: String,
}

impl Env {
    fn new(sql: &str) -> Env {
        let db = ScratchDb::create(&test_admin_config(), "pggit_cli").expect("create db");
        db.connect().unwrap().batch_execute(sql).unwrap();
        let mut url = pggit::pg::connect::url(&db.config);
        if let Some(p) = db.config.get_password() {
            url = url.replacen("@", &format!(":{}@", String::from_utf8_lossy(p)), 1);
        }
        Env { db, url }
    }

    fn pggit(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_pggit"))
            .args(args)
            .env("PGGIT_DATABASE_URL", &self.url)
            .env("PGGIT_DATE", "2026-11-20T10:00:00Z")
            .env("PGGIT_AUTHOR", "alice")
            .env("NO_COLOR", "1")
            .env("PGGIT_STATE_DIR", self.state_dir())
            .env_remove("DATABASE_URL")
            .output()
            .expect("run pggit");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).to_string(),
        }
    }

    /// This test user's local state (the branch they checked out).
    fn state_dir(&self) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("pggit-state-{}", self.db.name))
    }

    fn ok(&self, args: &[&str]) -> String {
        let r = self.pggit(args);
        assert_eq!(r.code, 0, "pggit {args:?} failed: {}{}", r.stdout, r.stderr);
        r.stdout
    }

    fn sql(&self, sql: &str) {
        self.db.connect().unwrap().batch_execute(sql).unwrap();
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        self.db.drop_workspaces();
        let _ = std::fs::remove_dir_all(self.state_dir());
    }
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            filters => vec![
                (r"\b[0-9a-f]{64}\b", "[ID]"),
                (r"\b[0-9a-f]{20}\b", "[OBJECT-ID]"),
                (r"\b[0-9a-f]{10}\b", "[SHORT]"),
                (r"pggit_cli_\d+_\d+_\d+(__[a-z0-9_]+_[0-9a-f]{8})?", "[DB]"),
                (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", "[TIME]"),
                (r"postgresql://[^\s\x22]+", "[URL]"),
                (r"\(PostgreSQL [^\n]*\)", "(PostgreSQL [VERSION])"),
                (r#""server_version": "[^"]*""#, r#""server_version": "[VERSION]""#),
                (r#""txid": \d+"#, r#""txid": [TXID]"#),
                (r#""id": \d+"#, r#""id": [N]"#),
                (r"\(tx \d+\)", "(tx [TXID])"),
            ]
        }, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

#[test]
fn every_command() {
    let e = Env::new(
        "CREATE TABLE public.users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);
         CREATE VIEW public.emails AS SELECT email FROM public.users;",
    );
    snap!("init", e.ok(&["init"]));
    snap!("status_clean", e.ok(&["status"]));
    let r = e.pggit(&["commit"]);
    assert_eq!(r.code, 1, "nothing to commit exits 1");
    snap!("commit_nothing", r.stdout);

    e.sql("ALTER TABLE public.users ADD COLUMN avatar text; ALTER TABLE public.users RENAME COLUMN email TO mail; CREATE INDEX users_avatar ON public.users (avatar) WHERE avatar IS NOT NULL;");
    snap!("status_changes", e.ok(&["status"]));
    snap!("status_json", e.ok(&["status", "--json"]));
    snap!("diff", e.ok(&["diff"]));
    snap!("diff_sql", e.ok(&["diff", "--sql"]));
    snap!("diff_stat", e.ok(&["diff", "--stat"]));
    snap!("diff_json", e.ok(&["diff", "--json"]));
    assert_eq!(e.pggit(&["diff", "--exit-code", "--stat"]).code, 1);
    snap!("commit", e.ok(&["commit", "-m", "avatars; rename email"]));
    assert_eq!(e.pggit(&["diff", "--exit-code", "--stat"]).code, 0);
    snap!("commit_json_nothing", e.pggit(&["commit", "--json"]).stdout);

    snap!("log", e.ok(&["log"]));
    snap!("log_oneline", e.ok(&["log", "--oneline", "-n", "5"]));
    snap!("log_json", e.ok(&["log", "--json", "-n", "1"]));
    snap!(
        "log_object",
        e.ok(&["log", "--oneline", "--object", "public.users"])
    );
    snap!("show", e.ok(&["show"]));
    snap!("show_object", e.ok(&["show", "HEAD", "public.emails"]));
    snap!("show_json", e.ok(&["show", "HEAD~1", "--json"]));
    snap!(
        "diff_revs_reverse",
        e.ok(&["diff", "HEAD~1", "HEAD", "--sql", "--reverse"])
    );
    snap!("blame", e.ok(&["blame", "public.users"]));
    snap!("blame_json", e.ok(&["blame", "public.users", "--json"]));

    snap!("tag", e.ok(&["tag", "v1"]));
    snap!("tag_json", e.ok(&["tag", "v0", "HEAD~1", "--json"]));
    snap!("tag_list_json", e.ok(&["tag", "--json"]));
    snap!("branch_create", e.ok(&["branch", "feature"]));
    snap!("checkout", e.ok(&["checkout", "feature"]));
    snap!("branch_list", e.ok(&["branch"]));
    snap!("branch_json", e.ok(&["branch", "--json"]));
    snap!("checkout_main_json", e.ok(&["checkout", "main", "--json"]));
    snap!(
        "branch_delete",
        e.ok(&["branch", "-d", "feature", "--drop-workspace"])
    );
    snap!("tag_delete", e.ok(&["tag", "-d", "v1"]));

    let r = e.pggit(&["reset", "--hard", "HEAD~1"]);
    assert_eq!(r.code, 2, "destructive reset needs --force");
    snap!("reset_needs_force", r.stderr);
    snap!("reset", e.ok(&["reset", "--hard", "HEAD~1", "--force"]));
    e.sql("CREATE TABLE public.extra (id int)");
    e.ok(&["commit", "-m", "extra"]);
    snap!("revert", e.ok(&["revert", "HEAD", "--force"]));
    snap!("reset_json", e.ok(&["reset", "--hard", "HEAD", "--json"]));
    snap!("log_after", e.ok(&["log", "--oneline"]));
}

#[test]
fn errors_and_exit_codes() {
    let e = Env::new("CREATE TABLE public.t (id int)");
    let r = e.pggit(&["status"]);
    assert_eq!(r.code, 2);
    snap!("not_a_repository", r.stderr);
    e.ok(&["init"]);
    let r = e.pggit(&["init"]);
    assert_eq!(r.code, 2);
    snap!("already_initialized", r.stderr);
    let r = e.pggit(&["show", "nope~3"]);
    assert_eq!(r.code, 2);
    snap!("unknown_revision", r.stderr);
    let r = e.pggit(&["branch", "bad name"]);
    assert_eq!(r.code, 2);
    snap!("invalid_branch", r.stderr);
    let r = e.pggit(&["branch", "-d", "main"]);
    assert_eq!(r.code, 2);
    snap!("delete_main", r.stderr);
    let r = e.pggit(&["frobnicate"]);
    assert_eq!(r.code, 2, "clap usage errors exit 2");
    let r = e.pggit(&["--db", "postgresql://postgres@127.0.0.1:1/none", "status"]);
    assert_eq!(r.code, 3, "connection failure is a database error");
    // Output that cannot be written (a full disk) is exit 4, never a
    // silent success with a truncated file, for small outputs too (they
    // reach the file only at the final flush).
    for args in [&["log"][..], &["show", "--json"], &["status", "--json"]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_pggit"))
            .args(args)
            .env("PGGIT_DATABASE_URL", &e.url)
            .env("PGGIT_STATE_DIR", e.state_dir())
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4), "{args:?} to /dev/full: {out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the output"));
    }
    // The database is untouched by all of the above.
    let mut c = e.db.connect().unwrap();
    let n: i64 = c
        .query_one("SELECT count(*) FROM pggit.refs", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[test]
fn input_errors_exit_2_and_json_errors_are_json() {
    let e = Env::new("CREATE TABLE public.t (id int PRIMARY KEY); CREATE TABLE public.p (id int) PARTITION BY RANGE (id)");
    e.ok(&["init"]);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--db", "postgresql://[::1", "status"],
            "malformed --db URL",
        ),
        (vec!["track", "public.p"], "track of a partitioned table"),
        (
            vec!["resolve", "1", "--sql", "/nonexistent/file.sql"],
            "resolve --sql of a missing file",
        ),
    ];
    for (args, what) in &cases {
        let r = e.pggit(args);
        assert_eq!(r.code, 2, "{what}: {}{}", r.stdout, r.stderr);
        let mut json_args = vec!["--json"];
        json_args.extend(args.iter());
        let j = e.pggit(&json_args);
        assert_eq!(j.code, 2, "{what} with --json");
        let doc: serde_json::Value = serde_json::from_str(&j.stdout)
            .unwrap_or_else(|err| panic!("{what}: --json error is not JSON ({err}): {}", j.stdout));
        assert!(doc["error"]["code"].is_string(), "{doc}");
        assert!(doc["error"]["message"].is_string(), "{doc}");
    }
    // A bad commit time is refused before anything is written.
    e.sql("CREATE TABLE public.u (id int)");
    let r = Command::new(env!("CARGO_BIN_EXE_pggit"))
        .args(["commit", "-m", "x"])
        .env("PGGIT_DATABASE_URL", &e.url)
        .env("PGGIT_DATE", "notadate")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    // The server's text appears once, not three times.
    e.sql("CREATE SCHEMA other");
    let r = e.pggit(&["track", "public.t"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = e.pggit(&[
        "restore",
        "public.t",
        "--at",
        "now",
        "--into",
        "pggit.stolen",
    ]);
    assert_eq!(r.code, 2, "restore into pggit's schema: {}", r.stderr);
    let r = e.pggit(&[
        "restore",
        "public.t",
        "--at",
        "now",
        "--into",
        "nosuchschema.x",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.matches("nosuchschema").count(), 1, "{}", r.stderr);
    // `init` over a schema named pggit that is not a repository.
    let stray = Env::new("CREATE SCHEMA pggit; CREATE TABLE pggit.mine (id int)");
    let r = stray.pggit(&["init"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not a pggit repository"), "{}", r.stderr);
    // Nothing was written by any of the above.
    let mut c = e.db.connect().unwrap();
    let n: i64 = c
        .query_one("SELECT count(*) FROM pggit.commits", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    let stolen: bool = c
        .query_one("SELECT to_regclass('pggit.stolen') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(!stolen);
}

#[test]
fn hostile_names_and_messages_are_escaped() {
    let e = Env::new("CREATE TABLE public.t (id int)");
    e.ok(&["init"]);
    e.sql("CREATE TABLE public.\"evil\x1b[2J\nforged line\" (id int)");
    let out = e.ok(&["status"]);
    assert!(!out.contains('\x1b'), "{out:?}");
    assert!(out.contains("evil\\x1b[2J\\nforged line"), "{out:?}");
    assert!(
        !out.lines().any(|l| l.starts_with("forged line")),
        "{out:?}"
    );
    e.ok(&[
        "commit",
        "-m",
        "subject \x1b]0;pwned\x07 line\n\nbody \x1b[2J",
    ]);
    for args in [&["log"][..], &["log", "--oneline"]] {
        let out = e.ok(args);
        assert!(
            !out.contains('\x1b') && !out.contains('\x07'),
            "{args:?}: {out:?}"
        );
    }
    // `show` prints the migration SQL byte-exact when redirected (the
    // table's name is a valid quoted identifier there); the message is not.
    let out = e.ok(&["show"]);
    assert!(!out.contains("\x1b]0;") && !out.contains('\x07'), "{out:?}");
}

#[test]
fn diff_between_live_databases() {
    let a = Env::new("CREATE TABLE public.t (id int PRIMARY KEY, v text)");
    let b = Env::new("CREATE TABLE public.t (id int PRIMARY KEY, v varchar(10), w int); CREATE INDEX t_w ON public.t (w)");
    let r = a.pggit(&[
        "diff",
        "--from-db",
        &a.url,
        "--to-db",
        &b.url,
        "--sql",
        "--exit-code",
    ]);
    assert_eq!(r.code, 1);
    snap!("diff_dbs_sql", r.stdout);
    // The same migration without the lint's comments.
    let plain = a.pggit(&[
        "diff",
        "--from-db",
        &a.url,
        "--to-db",
        &b.url,
        "--sql",
        "--no-lint",
    ]);
    assert!(!plain.stdout.contains("-- lint:"), "{}", plain.stdout);
    let without: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| !l.starts_with("-- lint:"))
        .collect();
    assert_eq!(without, plain.stdout.lines().collect::<Vec<_>>());
    let r = a.pggit(&[
        "diff",
        "--from-db",
        &a.url,
        "--to-db",
        &a.url,
        "--sql",
        "--exit-code",
    ]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "");
}

#[test]
fn demo_runs_on_a_throwaway_cluster() {
    let out = Command::new(env!("CARGO_BIN_EXE_pggit"))
        .arg("demo")
        .env_remove("PGGIT_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .env_remove("PGHOST")
        .env("NO_COLOR", "1")
        .output()
        .expect("run demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("No database configured: starting a throwaway PostgreSQL cluster"));
    for expected in [
        "$ pggit init",
        "[main (root-commit) ",
        "Changes not committed:",
        "Switched to branch 'feature'",
        "ALTER TABLE public.users RENAME COLUMN avatar_url TO picture_url;",
        "CONFLICT (BOTH_MODIFIED) table public.users column email: data_type",
        "Merge made: [main ",
        "reverted merge HEAD",
        "tracking public.users (keyed by (id))",
        "- {\"id\":2} {",
        "restored public.users as of ",
        "in place: 1 inserted, 1 updated, 0 deleted",
        "Done: the demo database and its workspaces were removed.",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn merge_commands() {
    let e = Env::new("CREATE TABLE public.users (id int PRIMARY KEY, email text, name text);");
    e.ok(&["init"]);
    let out = e.ok(&["checkout", "-b", "feature"]);
    let ws_url = out.lines().last().unwrap().trim().to_string();
    let (c, _) = pggit::pg::connect::resolve(Some(&ws_url), &|_| None).unwrap();
    pggit::pg::connect::connect(&c)
        .unwrap()
        .batch_execute(
            "ALTER TABLE public.users ALTER COLUMN email TYPE varchar(320); ALTER TABLE public.users ADD COLUMN avatar text",
        )
        .unwrap();
    e.ok(&["commit", "-m", "feature work"]);
    e.ok(&["checkout", "main"]);
    e.sql("ALTER TABLE public.users ALTER COLUMN email TYPE varchar(200); ALTER TABLE public.users RENAME COLUMN name TO full_name");
    e.ok(&["commit", "-m", "main work"]);
    let base = e.ok(&["merge-base", "main", "feature"]);
    assert_eq!(base.trim().len(), 64);
    snap!(
        "merge_dry_run",
        e.pggit(&["merge", "feature", "--dry-run"]).stdout
    );
    let r = e.pggit(&["merge", "feature"]);
    assert_eq!(r.code, 1, "a merge stopped on conflicts exits 1");
    snap!("merge_conflicted", r.stdout);
    snap!("conflicts", e.ok(&["conflicts"]));
    snap!("conflicts_json", e.ok(&["conflicts", "--json"]));
    snap!("merge_status_json", e.ok(&["merge", "--status", "--json"]));
    let r = e.pggit(&["merge", "--continue"]);
    assert_eq!(r.code, 2);
    snap!("merge_continue_open", r.stderr);
    let r = e.pggit(&["resolve", "99", "--ours"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no conflict #99"), "{}", r.stderr);
    let sql = e.db.name.clone() + ".sql";
    let path = std::env::temp_dir().join(sql);
    std::fs::write(&path, "CREATE VIEW public.users AS SELECT 1").unwrap();
    let r = e.pggit(&["resolve", "1", "--sql", path.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    snap!("resolve_wrong_sql", r.stderr);
    std::fs::remove_file(&path).unwrap();
    snap!(
        "resolve",
        e.ok(&["resolve", "--all", "--kind", "BOTH_MODIFIED", "--theirs"])
    );
    snap!("merge_continue", e.ok(&["merge", "--continue"]));
    let last = e.ok(&["log", "--json", "-n", "1"]);
    assert!(
        last.contains("\"author\": \"alice\""),
        "PGGIT_AUTHOR applies to the merge commit: {last}"
    );
    snap!("merge_status", e.ok(&["merge", "--status"]));
    snap!("merge_up_to_date", e.ok(&["merge", "feature"]));
    let r = e.pggit(&["merge", "main"]);
    assert_eq!(r.code, 2);
    snap!("merge_into_itself", r.stderr);
}

#[test]
fn reference_data_commands() {
    let e = Env::new(
        "CREATE TABLE public.django_migrations (id serial PRIMARY KEY, app varchar(255) NOT NULL,
             name varchar(255) NOT NULL, applied timestamptz NOT NULL);
         INSERT INTO public.django_migrations (app, name, applied) VALUES ('auth', '0001_initial', '2026-01-01 00:00:00+00');
         CREATE TABLE public.plans (code text PRIMARY KEY, price numeric(8,2), note text);
         INSERT INTO public.plans VALUES ('basic', 5, NULL), ('pro', 20, 'it''s \\ \"pro\"');",
    );
    e.ok(&["init"]);
    snap!("reference_list", e.ok(&["reference"]));
    snap!("reference_add", e.ok(&["reference", "add", "plans"]));
    snap!(
        "reference_list_json",
        e.ok(&["reference", "list", "--json"])
    );
    snap!("reference_status", e.ok(&["status"]));
    e.ok(&["commit", "-m", "plans"]);
    e.sql("UPDATE public.plans SET price = 6 WHERE code = 'basic'; INSERT INTO public.plans VALUES ('team', 50, '');
           INSERT INTO public.django_migrations (app, name, applied) VALUES ('blog', '0001_initial', '2026-01-02 00:00:00+00')");
    snap!("reference_diff", e.ok(&["diff"]));
    snap!("reference_diff_sql", e.ok(&["diff", "--sql"]));
    let r = e.pggit(&["reference", "add", "public.nope"]);
    assert_eq!(r.code, 2);
    snap!("reference_add_missing", r.stderr);
    snap!(
        "reference_remove",
        e.ok(&["reference", "remove", "django_migrations"])
    );
}

#[test]
fn row_history_commands() {
    let e = Env::new(
        "CREATE TABLE public.orders (id int PRIMARY KEY, customer_id int NOT NULL, amount numeric(10,2), note text);
         INSERT INTO public.orders VALUES (1, 7, 10.00, 'first'), (2, 8, 20.00, 'second, \"quoted\"'), (3, 7, 30.00, NULL);
         CREATE TABLE public.plain (v int);",
    );
    e.ok(&["init"]);
    let r = e.pggit(&["asof", "public.orders", "--at", "now"]);
    assert_eq!(r.code, 2);
    snap!("history_not_installed", r.stderr);
    snap!("track", e.ok(&["track", "public.orders", "public.plain"]));
    snap!("track_again", e.ok(&["track", "public.orders"]));
    snap!("snapshot_create", e.ok(&["snapshot", "create", "before"]));
    e.sql("UPDATE public.orders SET amount = amount * 2, note = 'doubled' WHERE customer_id = 7;
           DELETE FROM public.orders WHERE id = 2; INSERT INTO public.orders VALUES (4, 9, 40.00, 'new');");
    snap!(
        "asof_table",
        e.ok(&["asof", "public.orders", "--at", "before"])
    );
    snap!(
        "asof_csv",
        e.ok(&["asof", "public.orders", "--at", "before", "--format", "csv"])
    );
    snap!(
        "asof_where_json",
        e.ok(&[
            "asof",
            "public.orders",
            "--at",
            "before",
            "--where",
            "customer_id = 7",
            "--json"
        ])
    );
    snap!(
        "history_key",
        e.ok(&["history", "public.orders", "--key", "1"])
    );
    snap!(
        "history_key_json",
        e.ok(&["--json", "history", "public.orders", "--key", "1"])
    );
    snap!(
        "changes",
        e.ok(&["changes", "public.orders", "--from", "before"])
    );
    snap!(
        "restore_into",
        e.ok(&[
            "restore",
            "public.orders",
            "--at",
            "before",
            "--into",
            "public.orders_before"
        ])
    );
    snap!(
        "restore_in_place",
        e.ok(&[
            "restore",
            "public.orders",
            "--at",
            "before",
            "--in-place",
            "--where",
            "id <> 4"
        ])
    );
    snap!("track_list", e.ok(&["track", "--list"]));
    snap!("snapshot_list", e.ok(&["snapshot", "list"]));
    snap!(
        "prune_dry_run",
        e.ok(&["history", "prune", "--older-than", "1d", "--dry-run"])
    );
    // Row history's triggers and tables are not the user's schema: status
    // shows only the table the restore created.
    snap!("status_after_history", e.ok(&["status"]));
    for (name, args) in [
        (
            "asof_untracked",
            vec!["asof", "public.nosuch", "--at", "before"],
        ),
        (
            "asof_unknown_time",
            vec!["asof", "public.orders", "--at", "teatime"],
        ),
        (
            "asof_future",
            vec!["asof", "public.orders", "--at", "2999-01-01"],
        ),
        (
            "asof_bad_where",
            vec![
                "asof",
                "public.orders",
                "--at",
                "before",
                "--where",
                "1=1; DROP TABLE public.orders",
            ],
        ),
        (
            "asof_where_not_boolean",
            vec![
                "asof",
                "public.orders",
                "--at",
                "before",
                "--where",
                "amount",
            ],
        ),
        (
            "history_no_key",
            vec!["history", "public.plain", "--key", "1"],
        ),
        (
            "prune_bad_duration",
            vec!["history", "prune", "--older-than", "soon"],
        ),
        ("snapshot_duplicate", vec!["snapshot", "create", "before"]),
    ] {
        let r = e.pggit(&args);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        snap!(name, r.stderr);
    }
    let n: i64 =
        e.db.connect()
            .unwrap()
            .query_one("SELECT count(*) FROM public.orders", &[])
            .unwrap()
            .get(0);
    assert_eq!(n, 4, "bad input changed nothing");
}

/// Every command, fed hostile and malformed values in each argument, either
/// works or fails with a documented exit code and a message: never a panic,
/// never a signal, and the repository stays sound (`doctor`).
#[test]
fn no_command_panics_on_hostile_input() {
    let e = Env::new("CREATE TABLE public.t (id int PRIMARY KEY, v text)");
    e.ok(&["init"]);
    e.ok(&["track", "public.t"]);
    let long = "x".repeat(10_000);
    let name64 = "n".repeat(64);
    let hostile: Vec<&str> = vec![
        "",
        "a\"; drop table x; --",
        "'; SELECT pg_sleep(10); --",
        "\u{202e}evil\x1b[2J",
        "../../etc/passwd",
        &name64,
        &long,
        "HEAD~99999999999999999999999",
        "HEAD^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        "main..feature...x",
        "@{-1}",
        "-",
        "💥",
        "public.",
        ".t",
        "a.b.c.d",
        "{\"id\": }",
        "1e999",
        "-1",
        "2026-13-45T99:99:99Z",
        "9999999 years",
        "postgresql://[::1",
        "%zz",
    ];
    let templates: &[&[&str]] = &[
        &["status", "--json"],
        &["log", "X"],
        &["log", "-n", "X"],
        &["show", "X"],
        &["show", "HEAD", "X"],
        &["diff", "X"],
        &["diff", "X", "HEAD", "--sql"],
        &["diff", "--from-db", "X", "--to-db", "X"],
        &["branch", "X"],
        &["branch", "-d", "X"],
        &["checkout", "X"],
        &["checkout", "-b", "X"],
        &["tag", "X"],
        &["tag", "-d", "X"],
        &["reset", "--hard", "X"],
        &["revert", "X"],
        &["merge", "X", "--dry-run"],
        &["merge-base", "X", "HEAD"],
        &["conflicts", "--kind", "X"],
        &["resolve", "X", "--ours"],
        &["blame", "X"],
        &["track", "X"],
        &["untrack", "X"],
        &["asof", "X", "--at", "now"],
        &["asof", "public.t", "--at", "X"],
        &["asof", "public.t", "--at", "now", "--where", "X"],
        &["history", "public.t", "--key", "X"],
        &["changes", "public.t", "--from", "X", "--to", "now"],
        &[
            "restore",
            "public.t",
            "--at",
            "X",
            "--into",
            "public.restored",
        ],
        &["restore", "public.t", "--at", "now", "--into", "X"],
        &[
            "restore",
            "public.t",
            "--at",
            "now",
            "--where",
            "X",
            "--into",
            "public.r2",
        ],
        &["snapshot", "create", "X"],
        &["snapshot", "drop", "X"],
        &["reference", "add", "X"],
        &["reference", "add", "public.t", "--key", "X"],
        &["reference", "remove", "X"],
        &["commit", "-m", "X"],
        &["--db", "X", "status"],
        &["lint", "X"],
        &["lint", "--enable", "X", "-"],
        &["lint", "--pg-version", "X", "-"],
    ];
    let mut bad = Vec::new();
    let mut runs = 0;
    for t in templates {
        for h in &hostile {
            let args: Vec<&str> = t.iter().map(|a| if *a == "X" { *h } else { *a }).collect();
            let r = e.pggit(&args);
            runs += 1;
            let code_ok = (0..=4).contains(&r.code);
            if !code_ok || r.stderr.contains("panicked") || r.stderr.contains("RUST_BACKTRACE") {
                bad.push(format!("{args:?}: exit {}: {}", r.code, r.stderr));
            } else if r.code >= 2 && r.stderr.trim().is_empty() && r.stdout.trim().is_empty() {
                bad.push(format!("{args:?}: exit {} without a message", r.code));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {runs} runs misbehaved:\n{}",
        bad.len(),
        bad.join("\n")
    );
    let r = e.pggit(&["doctor"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn lint_of_a_commit_and_a_range() {
    let e = Env::new("CREATE TABLE public.orders (id int PRIMARY KEY, status text)");
    e.ok(&["init"]);
    e.sql("CREATE INDEX orders_status ON public.orders (status)");
    e.ok(&["commit", "-m", "index"]);
    e.sql("ALTER TABLE public.orders ADD COLUMN region text NOT NULL");
    e.ok(&["commit", "-m", "region"]);
    // The migration of HEAD~1 (its parent to it), as pggit applies it.
    let r = e.pggit(&["lint", "--fail-on", "none", "HEAD~1"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("require-concurrent-index-creation"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("require-lock-timeout"),
        "pggit sets lock_timeout: {}",
        r.stdout
    );
    let r = e.pggit(&["lint", "--json", "HEAD~2..HEAD"]);
    assert_eq!(r.code, 1, "a high finding fails: {}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let rules: Vec<&str> = doc[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"adding-required-field"), "{rules:?}");
    assert!(
        rules.contains(&"require-concurrent-index-creation"),
        "{rules:?}"
    );
    let r = e.pggit(&["lint", "no-such-rev"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no-such-rev"), "{}", r.stderr);
}

#[test]
fn lint_with_db_grades_by_the_target() {
    let e = Env::new(
        "CREATE TABLE public.big (id int PRIMARY KEY, v int);
         INSERT INTO public.big SELECT g, g FROM generate_series(1, 20000) g;
         ANALYZE public.big;
         CREATE TABLE public.empty (id int PRIMARY KEY, v int);",
    );
    let dir = std::env::temp_dir().join(format!("pggit-lint-db-{}", e.db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("m.sql");
    std::fs::write(
        &f,
        "ALTER TABLE public.big ALTER COLUMN v TYPE bigint;\nALTER TABLE public.empty ALTER COLUMN v TYPE bigint;\n",
    )
    .unwrap();
    let path = f.to_str().unwrap();
    let r = e.pggit(&["--db", &e.url, "lint", "--json", "--fail-on", "none", path]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let (a, b) = (
        &doc[0]["statements"][0]["risk"],
        &doc[0]["statements"][1]["risk"],
    );
    assert!(a["score"].as_u64() > b["score"].as_u64(), "{a}\n{b}");
    let shown = a["factors"].to_string();
    assert!(
        shown.contains("public.big on the target: 20,000 rows"),
        "{shown}"
    );
    // How long the lock is held, and how that was worked out.
    let est = &doc[0]["statements"][0]["lock_estimate"];
    assert_eq!(est["level"], "ACCESS_EXCLUSIVE", "{est}");
    assert!(est["seconds"].as_f64().unwrap() > 0.0, "{est}");
    assert!(
        est["how"].as_str().unwrap().starts_with("rewrite of"),
        "{est}"
    );
    assert!(
        shown.contains("holds ACCESS EXCLUSIVE on public.big for about"),
        "{shown}"
    );
    assert_eq!(doc[0]["statements"][1]["lock_estimate"]["seconds"], 0.0);
    // Without --db the two statements look alike.
    let r = e.pggit(&["lint", "--json", "--fail-on", "none", path]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        doc[0]["statements"][0]["risk"]["score"],
        doc[0]["statements"][1]["risk"]["score"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lint_trace_runs_the_migration_on_a_copy_and_leaves_nothing() {
    let e = Env::new(
        "CREATE TABLE public.customers (id bigint PRIMARY KEY);
         CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES public.customers, number text);
         INSERT INTO public.customers SELECT g FROM generate_series(1, 50) g;
         INSERT INTO public.orders SELECT g, g % 50 + 1, g::text FROM generate_series(1, 200) g;",
    );
    let dir = std::env::temp_dir().join(format!("pggit-lint-trace-{}", e.db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("m.sql");
    std::fs::write(
        &f,
        "BEGIN;\nALTER TABLE orders ALTER COLUMN number TYPE bigint USING number::bigint;\nCREATE INDEX orders_customer ON orders (customer_id);\nALTER TABLE orders ADD CONSTRAINT number_positive CHECK (number > 0);\nCOMMIT;\n",
    )
    .unwrap();
    let path = f.to_str().unwrap();
    let r = e.pggit(&[
        "--db",
        &e.url,
        "lint",
        "--trace",
        "--trace-rows",
        "20",
        path,
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("up to 20 rows of each table"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("rewrites: orders"), "{}", r.stdout);
    assert!(r.stdout.contains("0 disagreement(s)"), "{}", r.stdout);
    // Nothing happened to the target, and the copy is gone.
    let mut c = e.db.connect().unwrap();
    let t: String = c
        .query_one(
            "SELECT data_type::text FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'number'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(t, "text");
    let copy = r
        .stderr
        .split_whitespace()
        .find(|w| w.starts_with("pggit_trace_"))
        .unwrap()
        .to_string();
    let left: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&copy],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "{copy} was left behind");

    // JSON, and a statement that fails on the copy (exit 1).
    std::fs::write(&f, "ALTER TABLE orders ADD UNIQUE (customer_id);\n").unwrap();
    let r = e.pggit(&[
        "--db",
        &e.url,
        "lint",
        "--trace",
        "--trace-rows",
        "200",
        "--json",
        path,
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc[0]["failed"], 1);
    assert_eq!(doc[0]["statements"][0]["outcome"]["status"], "failed");
    // Without the rows the same statement goes through.
    let r = e.pggit(&["--db", &e.url, "lint", "--trace", "--json", path]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn merge_dry_run_shows_the_lint_of_its_migration() {
    let e = Env::new("CREATE TABLE public.users (id int PRIMARY KEY, email text);");
    e.ok(&["init"]);
    let out = e.ok(&["checkout", "-b", "feature"]);
    let ws_url = out.lines().last().unwrap().trim().to_string();
    let (c, _) = pggit::pg::connect::resolve(Some(&ws_url), &|_| None).unwrap();
    pggit::pg::connect::connect(&c)
        .unwrap()
        .batch_execute("CREATE INDEX users_email ON public.users (email)")
        .unwrap();
    e.ok(&["commit", "-m", "index"]);
    e.ok(&["checkout", "main"]);
    let r = e.pggit(&["merge", "feature", "--dry-run", "--no-ff"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("-- lint: high require-concurrent-index-creation"),
        "{}",
        r.stdout
    );
    // pggit applies it with a lock_timeout: not reported missing.
    assert!(!r.stdout.contains("require-lock-timeout"), "{}", r.stdout);
    let r = e.pggit(&["merge", "feature", "--dry-run", "--no-ff", "--no-lint"]);
    assert!(!r.stdout.contains("-- lint:"), "{}", r.stdout);
    assert!(
        r.stdout.contains("CREATE INDEX users_email"),
        "{}",
        r.stdout
    );
}

#[test]
fn applied_migrations_record_their_outcome_for_calibration() {
    let e = Env::new("CREATE TABLE public.t (id int PRIMARY KEY, v int); INSERT INTO public.t SELECT g, g FROM generate_series(1, 100) g;");
    e.ok(&["init"]);
    // Before anything was applied: nothing recorded, priors in use.
    let out = e.ok(&["lint", "--calibration"]);
    assert!(out.contains("recorded outcomes: 0 migration(s)"), "{out}");
    assert!(out.contains("too few to calibrate"), "{out}");
    let branch = |name: &str, sql: &str| {
        let out = e.ok(&["checkout", "-b", name]);
        let ws_url = out.lines().last().unwrap().trim().to_string();
        let (c, _) = pggit::pg::connect::resolve(Some(&ws_url), &|_| None).unwrap();
        pggit::pg::connect::connect(&c)
            .unwrap()
            .batch_execute(sql)
            .unwrap();
        e.ok(&["commit", "-m", name]);
        e.ok(&["checkout", "main"]);
    };
    branch("index", "CREATE INDEX t_v ON public.t (v)");
    branch("retype", "ALTER TABLE public.t ALTER COLUMN v TYPE bigint");
    e.ok(&["merge", "index", "--no-ff"]);
    // A session holding the table: the merge waits for its lock, hits
    // lock_timeout and fails; its outcome says so.
    let mut holder = e.db.connect().unwrap();
    let mut tx = holder.transaction().unwrap();
    tx.batch_execute("LOCK TABLE public.t IN ACCESS SHARE MODE")
        .unwrap();
    let r = e.pggit(&["merge", "retype", "--no-ff"]);
    assert_ne!(r.code, 0, "{}{}", r.stdout, r.stderr);
    tx.rollback().unwrap();
    let rows = e
        .db
        .connect()
        .unwrap()
        .query(
            "SELECT operation, succeeded, sqlstate, lock_timeout, statements > 0, duration_ms > 0,
                    findings::text, risk FROM pggit.migration_outcomes ORDER BY id",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get::<_, String>(0), "merge");
    assert!(rows[0].get::<_, bool>(1));
    assert!(rows[0]
        .get::<_, String>(6)
        .contains("require-concurrent-index-creation"));
    assert!(!rows[1].get::<_, bool>(1));
    assert_eq!(
        rows[1].get::<_, Option<String>>(2).as_deref(),
        Some("55P03")
    );
    assert!(rows[1].get::<_, bool>(3));
    assert!(rows[1].get::<_, String>(6).contains("changing-column-type"));
    assert!(rows[1].get::<_, i32>(7) > 0);
    // The calibration counts them, and the failed rule's rate rose above
    // its prior.
    let doc: serde_json::Value =
        serde_json::from_str(&e.ok(&["lint", "--calibration", "--json"])).unwrap();
    assert_eq!(doc["outcomes"], 2);
    assert_eq!(doc["failed"], 1);
    assert_eq!(doc["enough"], false);
    let rate = &doc["model"]["rules"]["changing-column-type"];
    assert!(
        rate["rate"].as_f64().unwrap() > rate["prior"].as_f64().unwrap(),
        "{rate}"
    );
    // lint --db on the repository reports the migration's predicted
    // chance of failing from those rates.
    let dir = std::env::temp_dir().join(format!("pggit-outcomes-{}", e.db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("m.sql");
    std::fs::write(&f, "ALTER TABLE public.t ALTER COLUMN v TYPE text;\n").unwrap();
    let r = e.pggit(&[
        "--db",
        &e.url,
        "lint",
        "--fail-on",
        "none",
        f.to_str().unwrap(),
    ]);
    assert!(
        r.stdout.contains("predicted chance that it fails:")
            && r.stdout.contains("2 recorded outcome(s)"),
        "{}",
        r.stdout
    );
    // A role with no rights on the pggit schema still lints (no prediction).
    let role = format!("pggit_lintonly_{}", std::process::id());
    let mut admin = e.db.connect().unwrap();
    admin
        .batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD 'pw'"))
        .unwrap();
    let mut cfg = e.db.config.clone();
    cfg.user(&role).password("pw");
    let r = e.pggit(&[
        "--db",
        &pggit::pg::connect::url(&cfg),
        "lint",
        "--fail-on",
        "none",
        f.to_str().unwrap(),
    ]);
    let _ = admin.batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("predicted chance"), "{}", r.stdout);
    let _ = std::fs::remove_dir_all(&dir);
    // Not a repository: a clear error.
    let other = Env::new("");
    let r = other.pggit(&["lint", "--calibration"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not one"), "{}", r.stderr);
}
