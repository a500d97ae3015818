//! `pggit demo`: a guided tour with real output. It uses the configured
//! server when there is one, otherwise a throwaway cluster started from the
//! installed PostgreSQL binaries; either way it works in a database of its
//! own and removes everything it made.

use std::path::PathBuf;
use std::process::Command as Proc;

use anyhow::{bail, Context};
use pggit::pg::connect::{connect, url, with_dbname};
use pggit::pg::scratch::{create_database, drop_database};

use crate::run::{Code, Ctx};

/// A throwaway PostgreSQL cluster listening on a socket in its own directory.
struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    port: u16,
    keep: bool,
}

fn is_root() -> bool {
    Proc::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn find_bindir() -> anyhow::Result<PathBuf> {
    if let Ok(o) = Proc::new("pg_config").arg("--bindir").output() {
        let p = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        if p.join("initdb").exists() {
            return Ok(p);
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, p)| p)
        .context("no PostgreSQL server binaries found (install postgresql, or pass --db URL)")
}

impl Cluster {
    fn cmd(&self, tool: &str) -> Proc {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Proc::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Proc::new(exe)
        }
    }

    fn start(keep: bool) -> anyhow::Result<Cluster> {
        let bin = find_bindir()?;
        let as_postgres = is_root();
        let dir = std::env::temp_dir().join(format!("pggit-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        if as_postgres {
            // initdb refuses to run as root: hand the directory to postgres.
            let ok = Proc::new("chown")
                .args(["-R", "postgres"])
                .arg(&dir)
                .status()?
                .success();
            if !ok {
                bail!("could not hand {} to the postgres user", dir.display());
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let cluster = Cluster {
            dir,
            bin,
            as_postgres,
            port,
            keep,
        };
        let data = cluster.dir.join("data");
        let out = cluster
            .cmd("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
            .output()?;
        if !out.status.success() {
            bail!("initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let opts = format!(
            "-c fsync=off -c listen_addresses='' -k {} -p {}",
            cluster.dir.display(),
            cluster.port
        );
        let out = cluster
            .cmd("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(cluster.dir.join("server.log"))
            .args(["-o", &opts, "-w", "start"])
            .output()?;
        if !out.status.success() {
            bail!(
                "pg_ctl start failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(cluster)
    }

    fn url(&self) -> String {
        format!(
            "postgresql://postgres@/postgres?host={}&port={}",
            self.dir.display(),
            self.port
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .cmd("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

struct Tour<'a, 'b> {
    ctx: &'a mut Ctx<'b>,
    exe: PathBuf,
    url: String,
}

impl Tour<'_, '_> {
    fn say(&mut self, text: &str) -> anyhow::Result<()> {
        writeln!(self.ctx.out, "\n# {text}")?;
        Ok(())
    }

    fn pggit(&mut self, args: &[&str]) -> anyhow::Result<String> {
        self.run_pggit(args, true)
    }

    /// Run without showing the command or its output.
    fn quietly(&mut self, args: &[&str]) -> anyhow::Result<String> {
        self.run_pggit(args, false)
    }

    fn run_pggit(&mut self, args: &[&str], show: bool) -> anyhow::Result<String> {
        let shown: Vec<String> = args
            .iter()
            .map(|a| {
                if a.contains(' ') || a.contains(';') {
                    format!("\"{a}\"")
                } else {
                    a.to_string()
                }
            })
            .collect();
        if show {
            writeln!(self.ctx.out, "$ pggit {}", shown.join(" "))?;
        }
        let out = Proc::new(&self.exe)
            .args(args)
            .arg("--db")
            .arg(&self.url)
            .env_remove("PGGIT_DATE")
            .env("NO_COLOR", "1")
            // The demo's checkouts are its own, not the user's.
            .env(
                "PGGIT_STATE_DIR",
                std::env::temp_dir().join(format!("pggit-demo-state-{}", std::process::id())),
            )
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        if show {
            write!(self.ctx.out, "{stdout}")?;
            write!(self.ctx.out, "{}", String::from_utf8_lossy(&out.stderr))?;
        }
        if !matches!(out.status.code(), Some(0) | Some(1)) {
            bail!("pggit {} failed", args.join(" "));
        }
        Ok(stdout)
    }

    fn psql(&mut self, db_url: &str, sql: &str) -> anyhow::Result<()> {
        writeln!(self.ctx.out, "$ psql -c \"{sql}\"")?;
        let (config, _) = pggit::pg::connect::resolve(Some(db_url), &|_| None)?;
        // As psql would run it: with the database's own search_path.
        let mut c = connect(&config)?;
        c.batch_execute("RESET search_path")?;
        c.batch_execute(sql)?;
        Ok(())
    }
}

/// Run the tour.
pub fn run(ctx: &mut Ctx<'_>, keep: bool) -> anyhow::Result<Code> {
    let configured = ctx.cli.db.is_some()
        || ["PGGIT_DATABASE_URL", "DATABASE_URL", "PGHOST"]
            .iter()
            .any(|k| std::env::var_os(k).is_some());
    let cluster = if configured {
        None
    } else {
        writeln!(
            ctx.out,
            "No database configured: starting a throwaway PostgreSQL cluster..."
        )?;
        Some(Cluster::start(keep)?)
    };
    let admin = match &cluster {
        Some(c) => pggit::pg::connect::resolve(Some(&c.url()), &|_| None)?.0,
        None => crate::run::config(ctx.cli)?,
    };
    let dbname = format!("pggit_demo_{}", std::process::id());
    create_database(&admin, &dbname)?;
    let demo_config = with_dbname(&admin, &dbname);
    let result = tour(ctx, &url(&demo_config));
    // Clean up: workspaces first, then the demo database.
    if let Ok(mut c) = connect(&demo_config) {
        let workspaces = pggit::pg::workspace::other_databases(&mut c).unwrap_or_default();
        drop(c);
        if let Ok(mut a) = connect(&admin) {
            for w in workspaces.iter().chain(std::iter::once(&dbname)) {
                let _ = drop_database(&mut a, w);
            }
        }
    }
    drop(cluster);
    result?;
    writeln!(
        ctx.out,
        "\nDone: the demo database and its workspaces were removed."
    )?;
    Ok(0)
}

fn tour(ctx: &mut Ctx<'_>, url: &str) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let mut t = Tour {
        ctx,
        exe,
        url: url.to_string(),
    };
    t.say("A database with a table.")?;
    t.psql(url, "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE)")?;
    t.say("Put it under version control: the schema becomes the root commit on main.")?;
    t.pggit(&["init"])?;
    t.say("Change the schema with plain SQL; event triggers capture every statement.")?;
    t.psql(url, "ALTER TABLE users ADD COLUMN avatar_url text; CREATE INDEX users_email_lower ON users (lower(email))")?;
    t.pggit(&["status"])?;
    t.pggit(&["commit", "-m", "add avatars"])?;
    t.say("Branch: the branch gets its own workspace database, built from its commit.")?;
    let out = t.pggit(&["checkout", "-b", "feature"])?;
    let ws_url = out.lines().last().unwrap_or_default().to_string();
    t.psql(&ws_url, "CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id), total numeric(12,2) NOT NULL DEFAULT 0); ALTER TABLE users RENAME COLUMN avatar_url TO picture_url; ALTER TABLE users ALTER COLUMN email TYPE varchar(320)")?;
    t.pggit(&["commit", "-m", "orders; rename avatar_url"])?;
    t.say("The migration from main to feature: a rename stays a rename.")?;
    t.pggit(&["diff", "main", "feature", "--sql"])?;
    t.pggit(&["log", "--oneline"])?;
    t.pggit(&["blame", "public.users"])?;
    t.pggit(&["checkout", "main"])?;
    t.pggit(&["branch"])?;
    t.say(
        "Meanwhile on main: a default on the column feature renamed, and a different email type.",
    )?;
    t.psql(url, "ALTER TABLE users ALTER COLUMN avatar_url SET DEFAULT ''; ALTER TABLE users ALTER COLUMN email TYPE varchar(200)")?;
    t.pggit(&["commit", "-m", "avatar default; email varchar(200)"])?;
    t.say(
        "Merge feature into main: the rename and the default merge; the two email types conflict.",
    )?;
    t.pggit(&["merge", "feature"])?;
    t.pggit(&["conflicts"])?;
    let listed = t.quietly(&["conflicts", "--json"])?;
    let rows: Vec<serde_json::Value> = serde_json::from_str(&listed)?;
    let id = rows
        .first()
        .and_then(|r| r.get("id"))
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(1)
        .to_string();
    t.say("Take feature's type, then finish: the result is checked on a scratch database before main is touched.")?;
    t.pggit(&["resolve", &id, "--theirs", "--note", "320 is the RFC limit"])?;
    t.pggit(&["merge", "--continue"])?;
    t.pggit(&["log", "--oneline", "-n", "3"])?;
    t.say("Roll the merge back if needed (pggit lists any data it would destroy first).")?;
    t.pggit(&["revert", "-m", "1", "HEAD"])?;
    t.say("Time travel on data: track a table, change rows, look back, undo.")?;
    t.psql(
        url,
        "INSERT INTO users (email) VALUES ('ada@example.com'), ('bob@example.com')",
    )?;
    t.pggit(&["track", "public.users"])?;
    t.pggit(&["snapshot", "create", "before-cleanup"])?;
    t.psql(
        url,
        "UPDATE users SET email = upper(email) WHERE id = 1; DELETE FROM users WHERE id = 2",
    )?;
    t.pggit(&["changes", "public.users", "--from", "before-cleanup"])?;
    t.pggit(&["history", "public.users", "--key", "1"])?;
    t.pggit(&["asof", "public.users", "--at", "before-cleanup"])?;
    t.say("Undo the cleanup in place: only the rows that differ are touched, and the restore is history too.")?;
    t.pggit(&[
        "restore",
        "public.users",
        "--at",
        "before-cleanup",
        "--in-place",
    ])?;
    t.pggit(&["asof", "public.users", "--at", "now"])?;
    Ok(())
}
