//! Progress on a terminal: `checkout -b` run under a pseudo-terminal
//! (util-linux `script`) draws a bar with counts and a rate on stderr while
//! it builds the workspace, and one for reading the catalog; with `--json`,
//! or with stderr not a terminal, nothing is drawn.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use pggit::pg::scratch::{test_admin_config, ScratchDb};

/// Quote for `sh -c`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

struct Env {
    db: ScratchDb,
    url: String,
    state: std::path::PathBuf,
}

impl Env {
    fn new() -> Env {
        let db = ScratchDb::create(&test_admin_config(), "pggit_bar").expect("create db");
        let tables: String = (0..300)
            .map(|i| format!("CREATE TABLE public.t{i} (id int PRIMARY KEY, v text);"))
            .collect();
        db.connect().unwrap().batch_execute(&tables).unwrap();
        let mut url = pggit::pg::connect::url(&db.config);
        if let Some(p) = db.config.get_password() {
            url = url.replacen("@", &format!(":{}@", String::from_utf8_lossy(p)), 1);
        }
        let state = std::env::temp_dir().join(format!("pggit-state-{}", db.name));
        let env = Env { db, url, state };
        let out = env.command().arg("init").output().unwrap();
        assert!(out.status.success(), "{out:?}");
        env
    }

    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pggit"));
        c.env("PGGIT_DATABASE_URL", &self.url)
            .env("PGGIT_STATE_DIR", &self.state)
            .env_remove("DATABASE_URL");
        c
    }

    /// What a terminal shows for `pggit ARGS` (stdout and stderr together).
    fn on_terminal(&self, args: &str) -> String {
        let line = format!("{} {args}", sh_quote(env!("CARGO_BIN_EXE_pggit")));
        let out = Command::new("script")
            .args(["-q", "-e", "-c", &line, "/dev/null"])
            .env("PGGIT_DATABASE_URL", &self.url)
            .env("PGGIT_STATE_DIR", &self.state)
            .env("TERM", "xterm")
            .env_remove("DATABASE_URL")
            .env_remove("NO_COLOR")
            .output()
            .expect("util-linux script runs");
        assert!(out.status.success(), "pggit {args}: {out:?}");
        String::from_utf8_lossy(&out.stdout).to_string()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        self.db.drop_workspaces();
    }
}

#[test]
fn checkout_draws_a_bar_on_a_terminal_only() {
    let env = Env::new();
    let shown = env.on_terminal("checkout -b feature");
    assert!(shown.contains("building workspace ["), "{shown}");
    // The count of statements done out of the total, and a rate.
    let total = shown
        .split("building workspace [")
        .filter_map(|s| s.split_once("] ")?.1.split_once('/'))
        .filter_map(|(_, rest)| rest.split_once(' ')?.0.replace(',', "").parse::<u64>().ok())
        .next()
        .expect("a count");
    assert!(
        total >= 600,
        "{total} statements for 300 tables and their keys"
    );
    assert!(shown.contains("/s, "), "{shown}");
    assert!(shown.contains("Switched to branch 'feature'"), "{shown}");

    // Reading the catalog (status, commit, init) is counted reader by reader.
    let shown = env.on_terminal("status");
    assert!(shown.contains("reading catalog ["), "{shown}");
    let json = env.on_terminal("--json status");
    assert!(!json.contains("reading catalog"), "{json}");

    let json = env.on_terminal("--json checkout -b other");
    assert!(!json.contains("building workspace"), "{json}");
    assert!(!json.contains("preparing the workspace"), "{json}");
    assert!(json.contains("\"branch\": \"other\""), "{json}");

    // Not a terminal: stderr stays clean.
    let out = env
        .command()
        .args(["checkout", "-b", "third"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn restore_draws_the_rows_it_rebuilds() {
    let env = Env::new();
    let mut c = env.db.connect().unwrap();
    c.batch_execute(
        "CREATE TABLE public.big (id int PRIMARY KEY, v int);
         INSERT INTO public.big SELECT g, g FROM generate_series(1, 50000) g;
         ANALYZE public.big",
    )
    .unwrap();
    let out = env
        .command()
        .args(["track", "public.big"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    std::thread::sleep(std::time::Duration::from_millis(50));
    let at: String = c.query_one("SELECT now()::text", &[]).unwrap().get(0);
    std::thread::sleep(std::time::Duration::from_millis(50));
    // A slow statement trigger keeps the restore open after its rebuild,
    // so the bar is drawn whatever the machine's speed.
    c.batch_execute(
        "UPDATE public.big SET v = -v WHERE id % 2 = 0;
         CREATE FUNCTION public.slow() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$;
         CREATE TRIGGER slow AFTER UPDATE ON public.big FOR EACH STATEMENT EXECUTE FUNCTION public.slow()",
    )
    .unwrap();
    let shown = env.on_terminal(&format!(
        "restore public.big --at {} --in-place",
        sh_quote(&at)
    ));
    assert!(shown.contains("rebuilding public.big as of "), "{shown}");
    // 50,000 rows in steps of 4,096, out of the table's estimate.
    assert!(shown.contains("49,152/50,000"), "{shown}");
    assert!(shown.contains("25000 updated"), "{shown}");
    let json = env.on_terminal(&format!(
        "--json restore public.big --at {} --in-place",
        sh_quote(&at)
    ));
    assert!(!json.contains("rebuilding"), "{json}");
}
