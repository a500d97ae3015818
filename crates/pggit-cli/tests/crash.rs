//! The crash matrix: every step of checkout, commit, merge (record,
//! validate, journal, apply, move, close), merge --continue, reset, revert,
//! restore and track, with the `pggit` process really killed (SIGKILL) at
//! that step (`PGGIT_FAILPOINT` stops it there). Afterwards the operation
//! either completed or left no trace: `pggit doctor --repair` then `pggit
//! doctor` find nothing, the workspace matches its branch head, and if the
//! head did not move the workspace's `pg_dump --schema-only` is what it was
//! before; and the next command works.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pggit::pg::scratch::{test_admin_config, ScratchDb};

struct Env {
    db: ScratchDb,
    url: String,
    state: std::path::PathBuf,
}

impl Env {
    fn new(sql: &str) -> Env {
        let db = ScratchDb::create(&test_admin_config(), "pggit_crash").expect("create db");
        db.connect().unwrap().batch_execute(sql).unwrap();
        let mut url = pggit::pg::connect::url(&db.config);
        if let Some(p) = db.config.get_password() {
            url = url.replacen("@", &format!(":{}@", String::from_utf8_lossy(p)), 1);
        }
        let state = std::env::temp_dir().join(format!("pggit-state-{}", db.name));
        Env { db, url, state }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pggit"));
        c.args(args)
            .env("PGGIT_DATABASE_URL", &self.url)
            .env("PGGIT_STATE_DIR", &self.state)
            .env("NO_COLOR", "1")
            .env_remove("DATABASE_URL")
            .env_remove("PGGIT_FAILPOINT");
        c
    }

    fn run(&self, args: &[&str]) -> (i32, String) {
        let out = self.cmd(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out) = self.run(args);
        assert!(code == 0, "pggit {args:?} failed ({code}): {out}");
        out
    }

    fn sql(&self, sql: &str) {
        self.db.connect().unwrap().batch_execute(sql).unwrap();
    }

    /// Run `args` and kill it with SIGKILL when it reaches `point`.
    fn kill_at(&self, args: &[&str], point: &str) {
        let mut child = self
            .cmd(args)
            .env("PGGIT_FAILPOINT", point)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut seen = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                seen.push_str(&line);
                seen.push('\n');
                if line.starts_with("pggit-failpoint: ") {
                    let _ = tx.send(Ok(()));
                    return;
                }
            }
            let _ = tx.send(Err(seen));
        });
        let started = Instant::now();
        match rx.recv_timeout(Duration::from_secs(90)) {
            Ok(Ok(())) => {}
            Ok(Err(seen)) => panic!("pggit {args:?} never reached {point}: {seen}"),
            Err(_) => panic!(
                "pggit {args:?} did not reach {point} in {:?}",
                started.elapsed()
            ),
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }

    fn head(&self, branch: &str) -> Option<String> {
        self.db
            .connect()
            .unwrap()
            .query_opt("SELECT commit FROM pggit.refs WHERE name = $1", &[&branch])
            .unwrap()
            .map(|r| r.get(0))
    }

    /// `pg_dump --schema-only` of main's workspace (the repository
    /// database) without pggit's own schema.
    fn dump(&self) -> String {
        let out = Command::new(pggit::pg::scratch::pg_dump_program(
            &pggit::pg::scratch::test_admin_config(),
        ))
        .args([
            "--schema-only",
            "--no-owner",
            "-N",
            "pggit",
            "--dbname",
            &self.url,
        ])
        .output()
        .expect("pg_dump runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        self.db.drop_workspaces();
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

/// A repository with a committed change on main and a branch `feat` that
/// adds a table (for reset, revert and merge).
fn repo_with_history() -> Env {
    let e = Env::new(
        "CREATE TABLE public.t (id int PRIMARY KEY, v text); INSERT INTO public.t VALUES (1, 'a')",
    );
    e.ok(&["init"]);
    e.sql("CREATE TABLE public.extra (id int)");
    e.ok(&["commit", "-m", "extra"]);
    e.ok(&["branch", "feat"]);
    e.ok(&["checkout", "feat"]);
    let ws: serde_json::Value = serde_json::from_str(&e.ok(&["--json", "branch"])).unwrap();
    let url = ws
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "feat")
        .unwrap()["workspace"]
        .as_str()
        .unwrap()
        .to_string();
    let (c, _) = pggit::pg::connect::resolve(Some(&url), &|_| None).unwrap();
    pggit::pg::connect::connect(&c)
        .unwrap()
        .batch_execute(
            "CREATE TABLE public.from_feat (id int); ALTER TABLE public.t ADD COLUMN f text",
        )
        .unwrap();
    e.ok(&["commit", "-m", "feat work"]);
    e.ok(&["checkout", "main"]);
    e
}

/// After the kill: nothing for doctor to find once repaired, the
/// workspace matches its head, and an unmoved head means an unchanged
/// schema.
fn check_after(e: &Env, branch: &str, head_before: &Option<String>, dump_before: &str, what: &str) {
    e.ok(&["doctor", "--repair"]);
    let (code, out) = e.run(&["doctor"]);
    assert_eq!(code, 0, "{what}: doctor still finds problems: {out}");
    if e.head(branch).is_some() {
        let st: serde_json::Value =
            serde_json::from_str(&e.ok(&["--json", "--branch", branch, "status"])).unwrap();
        assert_eq!(
            st["changes"],
            serde_json::json!([]),
            "{what}: workspace differs from its head"
        );
    }
    if &e.head(branch) == head_before && branch == "main" {
        assert_eq!(
            e.dump(),
            dump_before,
            "{what}: the head did not move but the schema changed"
        );
    }
}

#[test]
fn killed_checkout_leaves_no_branch_or_half_built_workspace() {
    for point in [
        "checkout.registered",
        "checkout.created",
        "checkout.replayed",
    ] {
        let e = Env::new("CREATE TABLE public.t (id int)");
        e.ok(&["init"]);
        let dump = e.dump();
        e.kill_at(&["checkout", "-b", "b"], point);
        check_after(&e, "main", &e.head("main"), &dump, point);
        // `checkout -b` again works: the killed one left nothing in the way.
        e.ok(&["checkout", "-b", "b"]);
        e.ok(&["doctor"]);
    }
}

#[test]
fn killed_commit_track_and_restore_leave_no_trace() {
    let e = Env::new(
        "CREATE TABLE public.t (id int PRIMARY KEY, v text); INSERT INTO public.t VALUES (1, 'a')",
    );
    e.ok(&["init"]);
    e.sql("ALTER TABLE public.t ADD COLUMN w int");
    let head = e.head("main");
    e.kill_at(&["commit", "-m", "w"], "commit.before_commit");
    assert_eq!(e.head("main"), head);
    e.ok(&["doctor"]);
    e.ok(&["commit", "-m", "w"]);

    e.kill_at(&["track", "public.t"], "track.before_commit");
    let (_, out) = e.run(&["track", "--list"]);
    assert!(!out.contains("public.t"), "{out}");
    e.ok(&["track", "public.t"]);
    e.ok(&["snapshot", "create", "s1"]);
    e.sql("UPDATE public.t SET v = 'b'");
    e.kill_at(
        &["restore", "public.t", "--at", "s1", "--in-place"],
        "restore.before_commit",
    );
    let v: String =
        e.db.connect()
            .unwrap()
            .query_one("SELECT v FROM public.t WHERE id = 1", &[])
            .unwrap()
            .get(0);
    assert_eq!(v, "b", "a killed restore changed rows");
    e.ok(&["restore", "public.t", "--at", "s1", "--in-place"]);
    e.ok(&["doctor"]);
}

#[test]
fn killed_reset_and_revert_complete_or_leave_no_trace() {
    for (args, op) in [
        (&["reset", "--hard", "HEAD~1", "--force"][..], "reset"),
        (&["revert", "HEAD", "--force"][..], "revert"),
    ] {
        for step in ["journalled", "applied", "moving"] {
            let point = format!("{op}.{step}");
            let e = repo_with_history();
            let head = e.head("main");
            let dump = e.dump();
            e.kill_at(args, &point);
            // The next command settles the interrupted operation first.
            e.ok(&["status"]);
            check_after(&e, "main", &head, &dump, &point);
            let moved = e.head("main") != head;
            assert_eq!(
                moved,
                step != "journalled",
                "{point}: completed iff it was applied"
            );
            e.sql("CREATE TABLE public.next (id int)");
            e.ok(&["commit", "-m", "next"]);
        }
    }
}

#[test]
fn killed_merge_completes_or_leaves_no_trace() {
    for point in [
        "merge.recorded",
        "merge.validating",
        "merge.journalled",
        "merge.applied",
        "merge.moving",
        "merge.moved",
    ] {
        let e = repo_with_history();
        let head = e.head("main");
        let dump = e.dump();
        e.kill_at(&["merge", "feat", "--no-ff"], point);
        check_after(&e, "main", &head, &dump, point);
        // No merge is left open, and merging (again) works.
        let (code, out) = e.run(&["merge", "feat", "--no-ff"]);
        assert_eq!(code, 0, "{point}: {out}");
        let open: i64 = e
            .db
            .connect()
            .unwrap()
            .query_one(
                "SELECT count(*) FROM pggit.merge_records WHERE status IN ('in-progress', 'conflicted')",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(open, 0, "{point}");
        // Only this repository's scratch databases (`pggit_{kind}_{tag}_…`):
        // the other tests of this file merge on the same server meanwhile.
        let tag = &pggit::core::hash::sha256_hex(e.db.name.as_bytes())[..8];
        let scratch: i64 =
            e.db.connect()
                .unwrap()
                .query_one(
                    "SELECT count(*) FROM pg_database WHERE datname LIKE 'pggit\\_merge\\_%' \
                     AND datname LIKE '%\\_' || $1 || '\\_%'",
                    &[&tag],
                )
                .unwrap()
                .get(0);
        assert_eq!(scratch, 0, "{point}: a scratch database leaked");
        e.ok(&["doctor"]);
    }
}

#[test]
fn killed_merge_continue_keeps_the_resolutions() {
    for point in [
        "merge.validating",
        "merge.journalled",
        "merge.applied",
        "merge.moved",
    ] {
        let e = repo_with_history();
        // A conflict: main changes t.v's type one way, feat another.
        e.sql("ALTER TABLE public.t ALTER COLUMN v TYPE varchar(10)");
        e.ok(&["commit", "-m", "v10"]);
        e.ok(&["checkout", "feat"]);
        let st: serde_json::Value = serde_json::from_str(&e.ok(&["--json", "status"])).unwrap();
        let ws = st["workspace"].as_str().unwrap().to_string();
        let c = pggit::pg::connect::with_dbname(&e.db.config, &ws);
        pggit::pg::connect::connect(&c)
            .unwrap()
            .batch_execute("ALTER TABLE public.t ALTER COLUMN v TYPE varchar(20)")
            .unwrap();
        e.ok(&["commit", "-m", "v20"]);
        e.ok(&["checkout", "main"]);
        let (code, out) = e.run(&["merge", "feat"]);
        assert_eq!(code, 1, "{out}");
        e.ok(&["resolve", "--all", "--theirs"]);
        let head = e.head("main");
        let dump = e.dump();
        e.kill_at(&["merge", "--continue"], point);
        check_after(&e, "main", &head, &dump, point);
        if e.head("main") == head {
            // Not applied: the merge is open again with its resolutions.
            let (code, out) = e.run(&["merge", "--continue"]);
            assert_eq!(code, 0, "{point}: {out}");
        }
        let rec: String =
            e.db.connect()
                .unwrap()
                .query_one(
                    "SELECT status FROM pggit.merge_records ORDER BY id DESC LIMIT 1",
                    &[],
                )
                .unwrap()
                .get(0);
        assert_eq!(rec, "completed", "{point}");
        e.ok(&["doctor"]);
    }
}

#[test]
fn killed_between_batches_is_rolled_forward() {
    // A merge of more than 500 statements is applied in batches.
    let e = repo_with_history();
    e.ok(&["checkout", "feat"]);
    let st: serde_json::Value = serde_json::from_str(&e.ok(&["--json", "status"])).unwrap();
    let ws = st["workspace"].as_str().unwrap().to_string();
    let c = pggit::pg::connect::with_dbname(&e.db.config, &ws);
    let sql: String = (0..260)
        .map(|i| format!("CREATE TABLE public.many{i} (id int PRIMARY KEY);"))
        .collect();
    pggit::pg::connect::connect(&c)
        .unwrap()
        .batch_execute(&sql)
        .unwrap();
    e.ok(&["commit", "-m", "many"]);
    e.ok(&["checkout", "main"]);
    let head = e.head("main");
    e.kill_at(&["merge", "feat", "--no-ff"], "merge.batch");
    // The next command finishes what the killed one began.
    e.ok(&["status"]);
    check_after(&e, "main", &head, "", "merge.batch");
    assert_ne!(
        e.head("main"),
        head,
        "the batched merge was not rolled forward"
    );
    let n: i64 =
        e.db.connect()
            .unwrap()
            .query_one(
                "SELECT count(*) FROM pg_class WHERE relname LIKE 'many%' AND relkind = 'r'",
                &[],
            )
            .unwrap()
            .get(0);
    assert_eq!(n, 260);
    let rec: String =
        e.db.connect()
            .unwrap()
            .query_one(
                "SELECT status FROM pggit.merge_records ORDER BY id DESC LIMIT 1",
                &[],
            )
            .unwrap()
            .get(0);
    assert_eq!(rec, "completed");
}
