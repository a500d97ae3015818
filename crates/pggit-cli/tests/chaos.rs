//! The chaos test: many concurrent `pggit` processes on one repository —
//! commits on main and on branches, branch create/checkout/delete, merges
//! with and without conflicts (aborted), resets, reverts, tracked-table
//! writes and as-of reads — while a killer SIGKILLs random running pggit
//! processes. Afterwards: `pggit doctor --repair` then `pggit doctor` find
//! nothing; every commit that reported success exists and its branch's
//! reflog moved to it; every completed merge is recorded with its commit;
//! every row written is in `asof --at now`; no process crashed on its own
//! (exit codes 0-3 or killed); and every branch's workspace matches its head
//! once leftover DDL of killed committers is committed.
//!
//! The suite runs a short version (`PGGIT_CHAOS_WORKERS` = 12 workers for
//! `PGGIT_CHAOS_SECS` = 15 s); the full one is
//! `PGGIT_CHAOS_WORKERS=50 PGGIT_CHAOS_SECS=60 cargo test --release -p pggit-cli --test chaos -- --nocapture`.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pggit::pg::connect::{connect, resolve};
use pggit::pg::scratch::{test_admin_config, ScratchDb};

const BRANCHES: [&str; 3] = ["b0", "b1", "b2"];

#[derive(Default)]
struct Log {
    /// (branch, commit id) of every commit that reported success.
    commits: Vec<(String, String)>,
    /// Merge commits reported.
    merges: Vec<String>,
    /// Ids written to the tracked table.
    rows: BTreeSet<i64>,
    /// Processes that exited with a code outside 0-3 (not killed).
    crashes: Vec<String>,
    ops: u64,
    failures: u64,
}

struct World {
    url: String,
    state: std::path::PathBuf,
    branch_urls: Vec<(String, String)>,
    running: Mutex<Vec<u32>>,
    log: Mutex<Log>,
    stop: AtomicBool,
    kills: AtomicU64,
    seq: AtomicU64,
}

impl World {
    /// Run pggit; None when it was killed.
    fn pggit(&self, args: &[&str]) -> Option<(i32, String)> {
        let child = Command::new(env!("CARGO_BIN_EXE_pggit"))
            .args(args)
            .env("PGGIT_DATABASE_URL", &self.url)
            .env("PGGIT_STATE_DIR", &self.state)
            .env("PGGIT_LOCK_WAIT", "60")
            .env("NO_COLOR", "1")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        self.running.lock().unwrap().push(pid);
        let out = child.wait_with_output().unwrap();
        self.running.lock().unwrap().retain(|p| *p != pid);
        let mut log = self.log.lock().unwrap();
        log.ops += 1;
        let code = out.status.code()?; // None: killed by a signal
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !(0..=3).contains(&code) {
            log.crashes
                .push(format!("pggit {args:?} exited {code}: {text}"));
        }
        if code != 0 {
            log.failures += 1;
        }
        Some((code, text))
    }

    fn sql(&self, url: &str, sql: &str) -> bool {
        let (c, _) = resolve(Some(url), &|_| None).unwrap();
        match connect(&c) {
            Ok(mut c) => c.batch_execute(sql).is_ok(),
            Err(_) => false,
        }
    }

    fn next(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    fn commit_on(&self, branch: &str, url: &str, w: usize) {
        let n = self.next();
        if !self.sql(url, &format!("CREATE TABLE public.c_{w}_{n} (id int)")) {
            return;
        }
        if let Some((0, out)) = self.pggit(&[
            "--json",
            "--branch",
            branch,
            "commit",
            "-m",
            &format!("c{n}"),
        ]) {
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            let id = v["commit"]["id"].as_str().unwrap().to_string();
            self.log.lock().unwrap().commits.push((branch.into(), id));
        }
    }

    fn work(&self, w: usize) {
        let mut rng = w as u64 * 7919 + 1;
        let mut roll = |m: u64| {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (rng >> 33) % m
        };
        while !self.stop.load(Ordering::Relaxed) {
            let (b, burl) = &self.branch_urls[roll(BRANCHES.len() as u64) as usize];
            match w % 8 {
                0 => self.commit_on("main", &self.url, w),
                1 => self.commit_on(b, burl, w),
                2 => {
                    // Merge a branch into `m` (only merges change it, so it is
                    // usually clean) or main; on conflict, abort.
                    let into = if roll(4) == 0 { "main" } else { "m" };
                    if let Some((code, out)) =
                        self.pggit(&["--json", "merge", b, "--into", into, "--no-ff"])
                    {
                        if code == 0 {
                            let v: serde_json::Value =
                                serde_json::from_str(&out).unwrap_or_default();
                            if let Some(c) = v["commit"].as_str() {
                                if v["status"] == "completed" {
                                    self.log.lock().unwrap().merges.push(c.to_string());
                                }
                            }
                        } else if code == 1 {
                            self.pggit(&["merge", "--abort", "--into", into]);
                        }
                    }
                }
                3 => {
                    // Conflicting change: retype the shared column on a branch.
                    let ty = ["varchar(10)", "varchar(20)", "text"][roll(3) as usize];
                    if self.sql(
                        burl,
                        &format!("ALTER TABLE public.shared ALTER COLUMN v TYPE {ty}"),
                    ) {
                        self.pggit(&["--branch", b, "commit", "-m", "retype"]);
                    }
                }
                4 => {
                    let name = format!("tmp{w}_{}", self.next());
                    if let Some((0, _)) = self.pggit(&["branch", &name]) {
                        if roll(2) == 0 {
                            self.pggit(&["checkout", &name]);
                        }
                        self.pggit(&[
                            "--branch",
                            "main",
                            "branch",
                            "-d",
                            &name,
                            "--force",
                            "--drop-workspace",
                        ]);
                    }
                }
                5 => {
                    let r = ["reset", "--hard", "HEAD~1", "--force"];
                    let v = ["revert", "HEAD", "--force"];
                    let args: Vec<&str> = ["--branch", b]
                        .into_iter()
                        .chain(if roll(2) == 0 { r.to_vec() } else { v.to_vec() })
                        .collect();
                    self.pggit(&args);
                }
                6 => {
                    let id = self.next() as i64 + 1_000_000;
                    if self.sql(
                        &self.url,
                        &format!("INSERT INTO public.data VALUES ({id}, 'x')"),
                    ) {
                        self.log.lock().unwrap().rows.insert(id);
                    }
                }
                _ => {
                    self.pggit(&[
                        "--branch",
                        "main",
                        "asof",
                        "public.data",
                        "--at",
                        "now",
                        "--format",
                        "json",
                    ]);
                }
            }
        }
    }
}

fn killer(world: &World) {
    let mut n: u64 = 12345;
    while !world.stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(250));
        let victim = {
            let running = world.running.lock().unwrap();
            if running.is_empty() {
                continue;
            }
            n = n.wrapping_mul(6364136223846793005).wrapping_add(1);
            running[(n >> 33) as usize % running.len()]
        };
        if Command::new("kill")
            .args(["-9", &victim.to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            world.kills.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[test]
fn chaos() {
    let workers = env_num("PGGIT_CHAOS_WORKERS", 12) as usize;
    let secs = env_num("PGGIT_CHAOS_SECS", 15);
    let db = ScratchDb::create(&test_admin_config(), "pggit_chaos").unwrap();
    db.connect()
        .unwrap()
        .batch_execute(
            "CREATE TABLE public.shared (id int PRIMARY KEY, v text);
             CREATE TABLE public.data (id bigint PRIMARY KEY, v text);",
        )
        .unwrap();
    let mut url = pggit::pg::connect::url(&db.config);
    if let Some(p) = db.config.get_password() {
        url = url.replacen("@", &format!(":{}@", String::from_utf8_lossy(p)), 1);
    }
    let state = std::env::temp_dir().join(format!("pggit-state-{}", db.name));
    let setup = World {
        url: url.clone(),
        state: state.clone(),
        branch_urls: Vec::new(),
        running: Mutex::new(Vec::new()),
        log: Mutex::new(Log::default()),
        stop: AtomicBool::new(false),
        kills: AtomicU64::new(0),
        seq: AtomicU64::new(0),
    };
    let ok = |args: &[&str]| {
        let (code, out) = setup.pggit(args).unwrap();
        assert_eq!(code, 0, "{args:?}: {out}");
        out
    };
    ok(&["init"]);
    ok(&["track", "public.data"]);
    ok(&["branch", "m"]);
    ok(&["checkout", "m"]);
    let mut branch_urls = Vec::new();
    for b in BRANCHES {
        ok(&["branch", b]);
        let out = ok(&["--json", "checkout", b]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        branch_urls.push((b.to_string(), v["url"].as_str().unwrap().to_string()));
    }
    let world = Arc::new(World {
        branch_urls,
        ..setup
    });
    let started = Instant::now();
    let mut handles = Vec::new();
    for w in 0..workers {
        let world = world.clone();
        handles.push(std::thread::spawn(move || world.work(w)));
    }
    let k = {
        let world = world.clone();
        std::thread::spawn(move || killer(&world))
    };
    std::thread::sleep(Duration::from_secs(secs));
    world.stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    k.join().unwrap();
    let elapsed = started.elapsed();

    // Settle, then nothing is left for doctor to find.
    let (code, out) = world.pggit(&["doctor", "--repair"]).unwrap();
    assert!(code == 0 || code == 1, "{out}");
    let (code, out) = world.pggit(&["doctor"]).unwrap();
    // Taken out of the log: `pggit` below records into it.
    let log = std::mem::take(&mut *world.log.lock().unwrap());
    assert!(
        log.crashes.is_empty(),
        "processes crashed: {:#?}",
        log.crashes
    );
    assert_eq!(code, 0, "doctor after the chaos: {out}");
    let mut c = connect(&db.config).unwrap();
    for (branch, id) in &log.commits {
        let moved: bool = c
            .query_one(
                "SELECT EXISTS (SELECT FROM pggit.commits WHERE id = $2)
                    AND EXISTS (SELECT FROM pggit.reflog WHERE ref = $1 AND new_commit = $2)",
                &[branch, id],
            )
            .unwrap()
            .get(0);
        assert!(
            moved,
            "commit {id} on {branch} reported success but is not in history"
        );
    }
    for id in &log.merges {
        let done: bool = c
            .query_one(
                "SELECT EXISTS (SELECT FROM pggit.merge_records WHERE result_commit = $1 AND status IN ('completed', 'rolled-back'))",
                &[id],
            )
            .unwrap()
            .get(0);
        assert!(done, "merge {id} reported success but is not recorded");
    }
    let open: i64 = c
        .query_one(
            "SELECT count(*) FROM pggit.merge_records WHERE status = 'in-progress' AND error IS NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(open, 0, "an interrupted merge is still open");
    // Every row written is there as of now.
    let (code, out) = world
        .pggit(&[
            "--branch",
            "main",
            "asof",
            "public.data",
            "--at",
            "now",
            "--format",
            "json",
        ])
        .unwrap();
    assert_eq!(code, 0, "{out}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let ids: BTreeSet<i64> = rows.iter().filter_map(|r| r["id"].as_i64()).collect();
    let missing: Vec<_> = log.rows.difference(&ids).collect();
    assert!(missing.is_empty(), "rows missing from as-of: {missing:?}");
    // Workspaces match their heads once leftovers of killed committers are committed.
    for b in ["main", "m", "b0", "b1", "b2"] {
        let _ = world.pggit(&["--branch", b, "commit", "-m", "leftovers"]);
        let (code, out) = world.pggit(&["--json", "--branch", b, "status"]).unwrap();
        assert_eq!(code, 0, "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v["changes"],
            serde_json::json!([]),
            "{b}: workspace differs from its head"
        );
    }
    // No workspace database was left behind unregistered (a killed
    // `branch -d --drop-workspace` must not leak one).
    let leaked: Vec<String> = c
        .query(
            "SELECT datname::text FROM pg_database
              WHERE starts_with(datname, $1 || '__')
                AND datname NOT IN (SELECT dbname FROM pggit.workspaces)",
            &[&db.name],
        )
        .unwrap()
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    assert!(leaked.is_empty(), "leaked workspace databases: {leaked:?}");
    let kills = world.kills.load(Ordering::Relaxed);
    println!(
        "chaos: {workers} workers, {:.0} s, {} pggit processes, {} killed, {} failed (refused, busy, conflicts), {} commits, {} merges, {} rows; invariant violations: 0",
        elapsed.as_secs_f64(),
        log.ops,
        kills,
        log.failures,
        log.commits.len(),
        log.merges.len(),
        log.rows.len()
    );
    assert!(kills > 0, "the killer never killed anything");
    drop(c);
    db.drop_workspaces();
    let _ = std::fs::remove_dir_all(&state);
}
