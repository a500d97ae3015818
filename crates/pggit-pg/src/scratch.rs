//! Throwaway databases on the server: created from `template0` with the
//! fast `FILE_COPY` strategy (PostgreSQL 15+) and dropped `WITH (FORCE)`.
//! Used by tests, benchmarks and the validity checks of later features.

use std::sync::atomic::{AtomicU64, Ordering};

use pggit_core::sql::Writer;
use postgres::Config;

use crate::connect::{connect, with_dbname};
use crate::PgError;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database that is dropped when this value is dropped.
pub struct ScratchDb {
    admin: Config,
    pub name: String,
    pub config: Config,
}

impl ScratchDb {
    /// Create a fresh, empty database named `{prefix}_{pid}_{n}_{nanos}`.
    pub fn create(admin: &Config, prefix: &str) -> Result<Self, PgError> {
        Self::create_named(admin, &Self::name_for(prefix))
    }

    /// A new, unique name `{prefix}_{pid}_{n}_{nanos}`.
    pub fn name_for(prefix: &str) -> String {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!("{prefix}_{}_{n}_{nanos}", std::process::id())
    }

    /// Create a fresh, empty database named `name`.
    pub fn create_named(admin: &Config, name: &str) -> Result<Self, PgError> {
        let name = name.to_string();
        create_database(admin, &name)?;
        Ok(ScratchDb {
            admin: admin.clone(),
            config: with_dbname(admin, &name),
            name,
        })
    }

    /// A connection as `psql` would open it: the database's own
    /// `search_path` (pggit's connections pin theirs to `pg_catalog`).
    /// Scratch databases are pggit's own, made from `template0`.
    pub fn connect(&self) -> Result<postgres::Client, PgError> {
        let mut c = connect(&self.config)?;
        c.batch_execute("RESET search_path")?;
        Ok(c)
    }

    /// When this database is a pggit repository: drop its workspace
    /// databases (best effort; used when throwing a repository away).
    pub fn drop_workspaces(&self) {
        let Ok(mut c) = self.connect() else { return };
        let names = crate::workspace::other_databases(&mut c).unwrap_or_default();
        drop(c);
        if let Ok(mut admin) = connect(&self.admin) {
            for n in names {
                let _ = drop_database(&mut admin, &n);
            }
        }
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if let Ok(mut c) = connect(&self.admin) {
            let _ = drop_database(&mut c, &self.name);
        }
    }
}

/// `CREATE DATABASE name TEMPLATE template0`, with `STRATEGY FILE_COPY` on
/// servers that have it.
pub fn create_database(admin: &Config, name: &str) -> Result<(), PgError> {
    create_database_with(&mut connect(admin)?, name)
}

/// [`create_database`] on an existing connection (one that holds a lock
/// the creation must stay under: a killed client's backend finishes its
/// `CREATE DATABASE` before it lets go of its locks).
pub fn create_database_with(c: &mut postgres::Client, name: &str) -> Result<(), PgError> {
    let version: i32 = c
        .query_one("SELECT current_setting('server_version_num')::int", &[])?
        .get(0);
    let w = Writer::new("CREATE DATABASE")
        .ident(name)
        .kw("TEMPLATE template0");
    let w = if version >= 150000 {
        w.kw("STRATEGY FILE_COPY")
    } else {
        w
    };
    c.batch_execute(&w.build().sql)?;
    Ok(())
}

/// Drop a database, disconnecting its sessions (PostgreSQL 13+).
pub fn drop_database(c: &mut postgres::Client, name: &str) -> Result<(), PgError> {
    let w = Writer::new("DROP DATABASE IF EXISTS")
        .ident(name)
        .kw("WITH (FORCE)");
    c.batch_execute(&w.build().sql)?;
    Ok(())
}

/// Connection settings for tests: `PGGIT_TEST_URL`, else the local server.
pub fn test_admin_config() -> Config {
    let url = std::env::var("PGGIT_TEST_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".to_string());
    crate::connect::resolve(Some(&url), &|k| std::env::var(k).ok())
        .map(|(c, _)| c)
        .expect("PGGIT_TEST_URL must be a valid connection URL")
}

/// The `pg_dump` for tests to dump a server with: the system's own when it
/// is of the server's major version (PostgreSQL's own view of its release),
/// else `PGGIT_PG_DUMP` (pg_dump 18 from `.ci/pg-servers`, which dumps
/// every older server), else `pg_dump`. Cached per host and port.
pub fn pg_dump_program(config: &Config) -> String {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static SYSTEM_MAJOR: OnceLock<Option<i32>> = OnceLock::new();
    static CHOSEN: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let key = format!("{:?}{:?}", config.get_hosts(), config.get_ports());
    let cache = CHOSEN.get_or_init(Default::default);
    if let Some(p) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return p;
    }
    let system = *SYSTEM_MAJOR.get_or_init(|| {
        let out = std::process::Command::new("pg_dump")
            .arg("--version")
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let version = text
            .split_whitespace()
            .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
        version.split('.').next()?.parse().ok()
    });
    let major = connect(config).ok().and_then(|mut c| {
        c.query_one("SELECT current_setting('server_version_num')::int", &[])
            .ok()
            .map(|r| r.get::<_, i32>(0) / 10000)
    });
    let chosen = match std::env::var("PGGIT_PG_DUMP") {
        Ok(p) if !p.is_empty() && system != major => p,
        _ => "pg_dump".to_string(),
    };
    if let Ok(mut c) = cache.lock() {
        c.insert(key, chosen.clone());
    }
    chosen
}
