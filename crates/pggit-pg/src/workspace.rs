//! The registry of workspaces: one database per checked-out branch.

use postgres::GenericClient;
use serde::Serialize;

use crate::PgError;

/// A registered workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Workspace {
    pub branch: String,
    pub dbname: String,
    /// `building` until the schema is replayed and capture installed.
    pub state: String,
    pub pending: Option<serde_json::Value>,
    pub ddl_seen: i64,
}

fn from_row(r: &postgres::Row) -> Workspace {
    Workspace {
        branch: r.get(0),
        dbname: r.get(1),
        state: r.get(2),
        pending: r.get(3),
        ddl_seen: r.get(4),
    }
}

const COLUMNS: &str = "branch, dbname, state, pending, ddl_seen";

pub fn get(client: &mut impl GenericClient, branch: &str) -> Result<Option<Workspace>, PgError> {
    Ok(client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM pggit.workspaces WHERE branch = $1"),
            &[&branch],
        )?
        .map(|r| from_row(&r)))
}

pub fn list(client: &mut impl GenericClient) -> Result<Vec<Workspace>, PgError> {
    Ok(client
        .query(
            &format!("SELECT {COLUMNS} FROM pggit.workspaces ORDER BY branch"),
            &[],
        )?
        .iter()
        .map(from_row)
        .collect())
}

/// Workspace databases other than the connected (repository) database:
/// what must be dropped with the repository.
pub fn other_databases(client: &mut impl GenericClient) -> Result<Vec<String>, PgError> {
    Ok(client
        .query(
            "SELECT dbname FROM pggit.workspaces WHERE dbname <> current_database() ORDER BY dbname",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Register a workspace in state `building` (or `ready` for the repository
/// database itself).
pub fn register(
    tx: &mut impl GenericClient,
    branch: &str,
    dbname: &str,
    ready: bool,
) -> Result<(), PgError> {
    let state = if ready { "ready" } else { "building" };
    tx.execute(
        "INSERT INTO pggit.workspaces (branch, dbname, state) VALUES ($1, $2, $3)",
        &[&branch, &dbname, &state],
    )?;
    Ok(())
}

pub fn mark_ready(tx: &mut impl GenericClient, branch: &str, ddl_seen: i64) -> Result<(), PgError> {
    tx.execute(
        "UPDATE pggit.workspaces SET state = 'ready', ddl_seen = $2 WHERE branch = $1",
        &[&branch, &ddl_seen],
    )?;
    Ok(())
}

pub fn set_ddl_seen(
    tx: &mut impl GenericClient,
    branch: &str,
    ddl_seen: i64,
) -> Result<(), PgError> {
    tx.execute(
        "UPDATE pggit.workspaces SET ddl_seen = greatest(ddl_seen, $2) WHERE branch = $1",
        &[&branch, &ddl_seen],
    )?;
    Ok(())
}

pub fn set_pending(
    tx: &mut impl GenericClient,
    branch: &str,
    pending: Option<&serde_json::Value>,
) -> Result<(), PgError> {
    tx.execute(
        "UPDATE pggit.workspaces SET pending = $2 WHERE branch = $1",
        &[&branch, &pending],
    )?;
    Ok(())
}

pub fn unregister(tx: &mut impl GenericClient, branch: &str) -> Result<(), PgError> {
    tx.execute("DELETE FROM pggit.workspaces WHERE branch = $1", &[&branch])?;
    tx.execute(
        "DELETE FROM pggit.identities WHERE workspace = $1",
        &[&branch],
    )?;
    Ok(())
}

/// Database name for a branch's workspace: readable parts of the repository
/// and branch names plus a hash of both, within PostgreSQL's 63 bytes.
pub fn database_name(repository: &str, branch: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    let hash = &pggit_core::hash::sha256_parts(&["workspace", repository, branch])[..8];
    let (mut r, mut b) = (clean(repository), clean(branch));
    // 63 bytes = repo + "__" + branch + "_" + 8 hex.
    let budget = 63 - 2 - 1 - 8;
    if r.len() + b.len() > budget {
        let half = budget / 2;
        if r.len() > half && b.len() > budget - half {
            r.truncate(half);
            b.truncate(budget - half);
        } else if r.len() > half {
            r.truncate(budget - b.len());
        } else {
            b.truncate(budget - r.len());
        }
    }
    format!("{r}__{b}_{hash}")
}

/// Up to `limit` user tables of the connected database that hold at least
/// one row (schema-qualified, quoted names).
pub fn tables_with_rows(
    client: &mut impl GenericClient,
    limit: usize,
) -> Result<Vec<String>, PgError> {
    let tables: Vec<String> = client
        .query(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'm') AND n.nspname <> 'pggit' AND n.nspname <> 'information_schema'
                AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1",
            &[],
        )?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    let mut out = Vec::new();
    for t in tables {
        // `t` is regclass text: quoted and qualified by the server.
        let has: bool = client
            .query_one(&format!("SELECT EXISTS (SELECT FROM {t})"), &[])?
            .get(0);
        if has {
            out.push(t);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

/// Sessions connected to database `dbname`, other than this one.
pub fn other_sessions(client: &mut impl GenericClient, dbname: &str) -> Result<i64, PgError> {
    Ok(client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&dbname],
        )?
        .get(0))
}

#[cfg(test)]
mod tests {
    use super::database_name;

    #[test]
    fn names_fit_and_differ() {
        let long = "x".repeat(100);
        for (r, b) in [
            ("app", "feature/login"),
            (long.as_str(), "b"),
            ("a", long.as_str()),
            (long.as_str(), long.as_str()),
        ] {
            let n = database_name(r, b);
            assert!(n.len() <= 63, "{n}");
            assert!(n
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
        }
        assert_ne!(database_name("app", "a/b"), database_name("app", "a_b"));
        assert_eq!(
            database_name("app", "feature/login").len(),
            "app__feature_login_".len() + 8
        );
    }
}
