//! Real applications' migration histories, replayed the way a team works:
//! a Django 5.2 project with Django's contrib apps, wagtail, allauth and
//! django-oauth-toolkit (about 220 migrations) is migrated one app at a
//! time with `pggit commit` after each (`tests/apps/django/drive.py`).
//! Then every commit is checked out into a new branch, and one branch is
//! moved through every commit forward and back with `reset --hard`; each
//! time the workspace's `pg_dump --schema-only` must equal the dump taken
//! of the application's database at that commit (as `pg_dump | psql`
//! would reproduce it), its `django_migrations` rows must be the ones
//! applied at that step, and at the end Django itself must find nothing
//! to migrate in the branch (`migrate --check`). MLflow's Alembic history
//! (mlflow-skinny) is replayed the same way, a commit per revision.
//!
//! Needs a Python with those packages: `PGGIT_PYTHON` (set up by
//! `.ci/test`, see `.ci/python-apps`). Without it the test says so and
//! passes without checking anything.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use pggit::pg::scratch::{pg_dump_program, test_admin_config, ScratchDb};

struct App {
    db: ScratchDb,
    url: String,
    state: PathBuf,
    out: PathBuf,
}

impl Drop for App {
    fn drop(&mut self) {
        self.db.drop_workspaces();
        let _ = std::fs::remove_dir_all(&self.state);
        let _ = std::fs::remove_dir_all(&self.out);
    }
}

fn url_of(db: &ScratchDb) -> String {
    let mut url = pggit::pg::connect::url(&db.config);
    if let Some(p) = db.config.get_password() {
        url = url.replacen("@", &format!(":{}@", String::from_utf8_lossy(p)), 1);
    }
    url
}

impl App {
    /// A new database with a pggit repository in it.
    fn new() -> App {
        let db = ScratchDb::create(&test_admin_config(), "pggit_app").expect("create db");
        let app = App {
            url: url_of(&db),
            state: std::env::temp_dir().join(format!("pggit-state-{}", db.name)),
            out: std::env::temp_dir().join(format!("pggit-app-{}", db.name)),
            db,
        };
        std::fs::create_dir_all(&app.out).unwrap();
        app.pggit(&["init"]);
        app
    }

    fn pggit(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_pggit"))
            .args(args)
            .env("PGGIT_DATABASE_URL", &self.url)
            .env("PGGIT_STATE_DIR", &self.state)
            .env("NO_COLOR", "1")
            .env_remove("DATABASE_URL")
            .output()
            .expect("run pggit");
        assert!(
            out.status.success(),
            "pggit {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    fn workspace_url(&self, branch: &str) -> String {
        let list: serde_json::Value =
            serde_json::from_str(&self.pggit(&["branch", "--json"])).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == branch)
            .and_then(|b| b["workspace"].as_str())
            .expect("branch has a workspace")
            .to_string()
    }
}

fn dump(url: &str) -> String {
    let out = Command::new(pg_dump_program(&test_admin_config()))
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
    normalise(&String::from_utf8_lossy(&out.stdout))
}

/// Without what differs on every run, and without pggit's own DDL capture
/// (its event triggers are in every dump of a repository or workspace).
fn normalise(text: &str) -> String {
    let mut out = Vec::new();
    let mut skipping = false;
    for l in text.lines() {
        // Blank and bare comment lines separate sections (also the ones
        // removed here).
        if l.starts_with("\\restrict") || l.starts_with("\\unrestrict") || l.is_empty() || l == "--"
        {
            continue;
        }
        if l.starts_with("CREATE EVENT TRIGGER pggit_") || l.contains("; Type: EVENT TRIGGER;") {
            skipping = !l.starts_with("--");
            continue;
        }
        if skipping {
            skipping = !l.ends_with(';');
            continue;
        }
        out.push(l);
    }
    out.join("\n")
}

/// What `pg_dump | psql` of this dump gives back (PostgreSQL re-deparses
/// some expressions once, see `pggit_core::settle`).
fn settled(text: String) -> String {
    if pggit::core::settle::settle(&text) == text {
        return text;
    }
    let db = ScratchDb::create(&test_admin_config(), "pggit_app").expect("create db");
    let script: String = text
        .lines()
        .filter(|l| !l.starts_with("SET transaction_timeout"))
        .collect::<Vec<_>>()
        .join("\n");
    db.connect().unwrap().batch_execute(&script).unwrap();
    dump(&url_of(&db))
}

/// The dump with each `CREATE TABLE`'s column lines in name order: a
/// migration that re-adds a dropped column puts it last (PostgreSQL cannot
/// insert a column in place; README "Not built yet").
fn columns_unordered(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut cols: Vec<String> = Vec::new();
    let mut in_table = false;
    for l in text.lines() {
        if l.starts_with("CREATE TABLE ") {
            in_table = true;
            out.push(l.to_string());
            continue;
        }
        if in_table && l.starts_with(')') {
            cols.sort();
            out.append(&mut cols);
            in_table = false;
        }
        if in_table {
            cols.push(l.trim_end_matches(',').to_string());
        } else {
            out.push(l.to_string());
        }
    }
    out.join("\n")
}

/// The application's bookkeeping rows (`query` over its migration table),
/// none before that table exists.
fn rows(url: &str, table: &str, query: &str) -> Vec<String> {
    let (c, _) = pggit::pg::connect::resolve(Some(url), &|_| None).unwrap();
    let mut c = pggit::pg::connect::connect(&c).unwrap();
    let present: bool = c
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .unwrap()
        .get(0);
    if !present {
        return Vec::new();
    }
    c.query(query, &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn django_migrations(url: &str) -> Vec<String> {
    rows(
        url,
        "public.django_migrations",
        "SELECT app || ' ' || name FROM public.django_migrations ORDER BY 1",
    )
}

fn alembic_version(url: &str) -> Vec<String> {
    rows(
        url,
        "public.alembic_version",
        "SELECT version_num::text FROM public.alembic_version ORDER BY 1",
    )
}

fn django(python: &str, dir: &Path, db: &str, args: &[&str]) -> std::process::Output {
    Command::new(python)
        .arg("-m")
        .arg("django")
        .args(args)
        .current_dir(dir)
        .env("DJANGO_SETTINGS_MODULE", "settings")
        .env("PYTHONPATH", dir)
        .env("PGGIT_APP_DB", db)
        .output()
        .expect("run python")
}

/// Run an application's driver (which commits after every step and saves
/// each step's dump and bookkeeping rows), then check out every
/// `checkout_every`-th commit (and the last) into a branch of its own and move
/// one branch through every commit forward and back with `reset --hard`:
/// each time the workspace must dump as the application's database did at
/// that commit and hold the same bookkeeping rows. At most `max_reordered`
/// steps going back may differ only in column order (a re-added column goes
/// last). Returns the steps: (number, label, commit).
fn replay(
    app: &App,
    mut driver: Command,
    bookkeeping: fn(&str) -> Vec<String>,
    min_steps: usize,
    checkout_every: usize,
    max_reordered: usize,
) -> Vec<(usize, String, String)> {
    let run = driver
        .env("PGGIT_BIN", env!("CARGO_BIN_EXE_pggit"))
        .env("PGGIT_PG_DUMP", pg_dump_program(&test_admin_config()))
        .env("PGGIT_OUT", &app.out)
        .env("PGGIT_DATABASE_URL", &app.url)
        .env("PGGIT_STATE_DIR", &app.state)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run the application's driver");
    assert!(
        run.status.success(),
        "the driver failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let steps: Vec<(usize, String, String)> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| {
            let mut f = l.split('\t');
            (
                f.next().unwrap().parse().unwrap(),
                f.next().unwrap().to_string(),
                f.next().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        steps.len() >= min_steps,
        "expected a commit per step, got {steps:?}"
    );
    let want: Vec<(String, Vec<String>)> = steps
        .iter()
        .map(|(n, _, _)| {
            let text = std::fs::read_to_string(app.out.join(format!("{n}.sql"))).unwrap();
            let rows = std::fs::read_to_string(app.out.join(format!("{n}.rows")))
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect();
            (settled(normalise(&text)), rows)
        })
        .collect();

    let mut failures = Vec::new();
    let mut reordered = Vec::new();
    let mut check =
        |what: String, url: &str, (schema, rows): &(String, Vec<String>), back: bool| {
            let got = dump(url);
            if got != *schema && back && columns_unordered(&got) == columns_unordered(schema) {
                reordered.push(what.clone());
            } else if got != *schema {
                let want_lines: std::collections::HashSet<&str> = schema.lines().collect();
                let got_lines: std::collections::HashSet<&str> = got.lines().collect();
                let mut d: Vec<String> = want_lines
                    .difference(&got_lines)
                    .map(|l| format!("- {l}"))
                    .chain(got_lines.difference(&want_lines).map(|l| format!("+ {l}")))
                    .take(6)
                    .collect();
                d.sort();
                if let Ok(dir) = std::env::var("PGGIT_APP_KEEP") {
                    let n = failures.len();
                    let _ = std::fs::write(format!("{dir}/want{n}.sql"), schema);
                    let _ = std::fs::write(format!("{dir}/got{n}.sql"), &got);
                }
                failures.push(format!("{what}: pg_dump differs\n{}", d.join("\n")));
            }
            if bookkeeping(url) != *rows {
                failures.push(format!("{what}: bookkeeping rows differ"));
            }
        };
    // Every commit checked out into a branch of its own.
    for ((n, label, commit), w) in steps.iter().zip(&want) {
        if *n % checkout_every != 0 && *n != steps.len() {
            continue;
        }
        let branch = format!("at{n}");
        app.pggit(&["checkout", "-b", &branch, commit]);
        check(
            format!("checkout of step {n} ({label})"),
            &app.workspace_url(&branch),
            w,
            false,
        );
    }
    // One branch moved through the history forward, then back.
    app.pggit(&["checkout", "-b", "walk", &steps[0].2]);
    let walk = app.workspace_url("walk");
    let forward = steps.len() - 1;
    let order: Vec<usize> = (1..steps.len()).chain((0..steps.len() - 1).rev()).collect();
    for (k, i) in order.into_iter().enumerate() {
        // Going back narrows columns and drops tables: destructive by design.
        app.pggit(&["reset", "--hard", "--force", &steps[i].2]);
        check(
            format!("reset --hard to step {}", steps[i].0),
            &walk,
            &want[i],
            k >= forward,
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        reordered.len() <= max_reordered,
        "columns out of order after going back: {reordered:?}"
    );
    if !reordered.is_empty() {
        eprintln!("column order differs (re-added columns go last): {reordered:?}");
    }
    steps
}

#[test]
fn django_wagtail_allauth_oauth_toolkit() {
    let Some(python) = std::env::var("PGGIT_PYTHON").ok().filter(|p| !p.is_empty()) else {
        eprintln!("skipped: set PGGIT_PYTHON to a Python with Django, wagtail, allauth and django-oauth-toolkit (.ci/python-apps)");
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apps/django");
    let app = App::new();

    // The team's history: one commit per app migrated.
    let mut driver = Command::new(&python);
    driver
        .arg(dir.join("drive.py"))
        .current_dir(&dir)
        .env("DJANGO_SETTINGS_MODULE", "settings")
        .env("PYTHONPATH", &dir)
        .env("PGGIT_APP_DB", &app.db.name);
    // Known: contenttypes.0002 drops `name`; going back re-adds it last.
    let steps = replay(&app, driver, django_migrations, 15, 1, 1);

    // Django agrees that the branch is fully migrated.
    let last = format!("at{}", steps.len());
    let dbname = app
        .workspace_url(&last)
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let out = django(&python, &dir, &dbname, &["migrate", "--check"]);
    assert!(
        out.status.success(),
        "Django finds unapplied migrations in the branch: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// MLflow's tracking store, from `mlflow-skinny`: the initial tables it
/// creates first, then its Alembic revisions one at a time
/// (`tests/apps/mlflow/drive.py`), a commit after each; `alembic_version` is
/// the bookkeeping table. The suite replays the first 24 revisions and checks
/// out every 4th commit; `PGGIT_APPS_FULL=1` replays all of them (about 70) and
/// checks out every commit.
#[test]
fn mlflow_alembic_revisions() {
    let Some(python) = std::env::var("PGGIT_PYTHON").ok().filter(|p| !p.is_empty()) else {
        eprintln!("skipped: set PGGIT_PYTHON to a Python with mlflow-skinny, alembic and SQLAlchemy (.ci/python-apps)");
        return;
    };
    let full = std::env::var_os("PGGIT_APPS_FULL").is_some();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apps/mlflow");
    let app = App::new();
    let app_url = app
        .url
        .replacen("postgresql://", "postgresql+psycopg://", 1)
        .replacen("postgres://", "postgresql+psycopg://", 1);
    let mut driver = Command::new(&python);
    driver
        .arg(dir.join("drive.py"))
        .current_dir(&dir)
        .env("PGGIT_APP_URL", app_url)
        .env("PGGIT_APP_STEPS", if full { "0" } else { "24" });
    let steps = replay(
        &app,
        driver,
        alembic_version,
        if full { 60 } else { 25 },
        if full { 1 } else { 4 },
        usize::MAX,
    );
    // The last step is MLflow's newest revision (or the 24th).
    let last = &steps[steps.len() - 1];
    assert_eq!(alembic_version(&app.url), vec![last.1.clone()], "{steps:?}");
}
