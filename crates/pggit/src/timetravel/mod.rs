//! Time travel on table data: tracking tables, reading them as of a time,
//! one row's history, changes between two times, restore, snapshots and
//! retention. The work runs inside the database (`pggit_pg::history`);
//! this module resolves times and connects; `read` and `write` hold the
//! operations.

mod counting;
mod read;
mod write;

pub use read::{AsOf, Changed, RowChange, TrackedInfo};
pub use write::{Pruned, RestoreTarget, Restored, Snapshot, Tracked};

use pggit_pg::history;
use postgres::{Client, GenericClient};
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::repo::Repository;

/// A time a user named, resolved.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Moment {
    /// RFC 3339, UTC, microseconds.
    pub at: String,
    /// What the user wrote resolved to: "time", "snapshot NAME", "commit ID".
    pub source: String,
}

/// A row (or part of one) as JSON, each value exactly as PostgreSQL
/// printed it (numerics keep their precision).
pub type Doc = BTreeMap<String, Box<RawValue>>;

pub(crate) fn doc(text: Option<String>) -> Result<Option<Doc>> {
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| Error::Refused(format!("unexpected row document {t}: {e}")))
    })
    .transpose()
}

/// Map a server error raised for bad input (pggit's own checks, unknown
/// tables or columns, wrong types) to a refusal; others stay database errors.
pub(crate) fn input_error(e: postgres::Error) -> Error {
    let Some(db) = e.as_db_error() else {
        return e.into();
    };
    let class = &db.code().code()[..2];
    if matches!(class, "22" | "42" | "55" | "P0") {
        let mut msg = db.message().to_string();
        if let Some(h) = db.hint() {
            msg.push_str(&format!(" (hint: {h})"));
        }
        return Error::Refused(msg);
    }
    e.into()
}

pub(crate) const AT_TEXT: &str =
    "to_char($1::text::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

/// Parse a duration like `90d`, `12h`, `30m`, `2w`, `45s`.
pub fn parse_duration(s: &str) -> Result<i64> {
    let bad = || {
        Error::Refused(format!(
            "'{s}' is not a duration (use e.g. 90d, 12h, 30m, 2w)"
        ))
    };
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(secs).ok_or_else(bad)
}

impl Repository {
    /// Connection to the current branch's workspace, with row history
    /// installed when `install` (else an error when it is missing).
    pub(crate) fn data_client(&mut self, install: bool) -> Result<Client> {
        let branch = self.current_branch()?;
        let w = self.workspace(&branch)?;
        let mut client = self.connect_workspace(&w)?;
        if !history::installed(&mut client)? {
            if !install {
                return Err(Error::Refused(
                    "no table is tracked yet (run `pggit track TABLE`)".into(),
                ));
            }
            let mut tx = client.transaction()?;
            tx.execute(
                "SELECT pg_advisory_xact_lock($1)",
                &[&(history::SETTLE_LOCK + 1)],
            )?;
            history::install(&mut tx).map_err(|e| match e {
                pggit_pg::PgError::Db(db) => Error::Refused(format!(
                    "cannot install row history ({}); it needs a role that may create event triggers (a superuser on PostgreSQL 13-15)",
                    pggit_pg::format_db_error(&db)
                )),
                other => other.into(),
            })?;
            forget_own_ddl(&mut tx)?;
            tx.commit()?;
        } else if history::outdated(&mut client)? {
            let mut tx = client.transaction()?;
            tx.execute(
                "SELECT pg_advisory_xact_lock($1)",
                &[&(history::SETTLE_LOCK + 1)],
            )?;
            history::upgrade(&mut tx)?;
            forget_own_ddl(&mut tx)?;
            tx.commit()?;
        }
        client.batch_execute("SET lock_timeout = '10s'")?;
        Ok(client)
    }

    /// Resolve a time, snapshot name, commit or tag to a moment.
    pub fn resolve_moment(&mut self, spec: &str) -> Result<Moment> {
        let mut client = self.data_client(false)?;
        self.moment_in(&mut client, spec)
    }

    pub(crate) fn moment_in(&mut self, client: &mut Client, spec: &str) -> Result<Moment> {
        if let Some(r) = client
            .query_opt(
                &format!(
                    "SELECT {} FROM pggit.data_snapshots WHERE name = $1",
                    AT_TEXT.replace("$1::text::timestamptz", "at")
                ),
                &[&spec],
            )
            .map_err(input_error)?
        {
            return Ok(Moment {
                at: r.get(0),
                source: format!("snapshot {spec}"),
            });
        }
        if let Ok(c) = self.resolve(spec) {
            let at: String = client
                .query_one(&format!("SELECT {AT_TEXT}"), &[&c.committed_at])?
                .get(0);
            return Ok(Moment {
                at,
                source: format!("commit {}", &c.id[..c.id.len().min(10)]),
            });
        }
        let row = client
            .query_one(&format!("SELECT {AT_TEXT}, $1::text::timestamptz > clock_timestamp()"), &[&spec])
            .map_err(|_| {
                Error::Refused(format!(
                    "'{spec}' is not a time, snapshot, commit or tag (times look like '2026-11-20 10:00' or '2026-11-20T10:00:00Z')"
                ))
            })?;
        if row.get::<_, bool>(1) {
            return Err(Error::Refused(format!("{spec} is in the future")));
        }
        Ok(Moment {
            at: row.get(0),
            source: "time".into(),
        })
    }
}

/// A table name as the user wrote it, schema-qualified and quoted: an
/// unqualified name is looked up as PostgreSQL's default `search_path`
/// would (`"$user", public`; only the name lookup runs under it, no
/// operator or function of the user's), else taken to be in `public` (the
/// past of a dropped table is still readable by name).
pub(crate) fn user_table(client: &mut impl GenericClient, table: &str) -> Result<String> {
    let mut tx = client.transaction()?;
    // Only the name lookup runs under the user's path, fully qualified, so
    // no function or operator of `public` can be chosen for it.
    tx.execute(
        "SELECT pg_catalog.set_config('search_path', '\"$user\", public', true)",
        &[],
    )?;
    let oid: Option<postgres::types::Oid> = tx
        .query_one(
            "SELECT pg_catalog.to_regclass($1::pg_catalog.text)::pg_catalog.oid",
            &[&table],
        )
        .map_err(input_error)?
        .get(0);
    tx.execute("SELECT pg_catalog.set_config('search_path', '', true)", &[])?;
    let row = tx
        .query_one(
            "SELECT (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
                       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $2),
                    (SELECT string_agg(quote_ident(x), '.') FROM unnest(parse_ident($1)) x),
                    cardinality(parse_ident($1))",
            &[&table, &oid],
        )
        .map_err(input_error)?;
    tx.commit()?;
    let (found, quoted, parts): (Option<String>, String, i32) =
        (row.get(0), row.get(1), row.get(2));
    Ok(match (found, parts) {
        (Some(f), _) => f,
        (None, 1) => format!("public.{quoted}"),
        (None, _) => quoted,
    })
}

pub(crate) fn regclass_text(client: &mut impl GenericClient, table: &str) -> Result<String> {
    let table = user_table(client, table)?;
    Ok(client
        .query_one(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::text::regclass",
            &[&table],
        )
        .map_err(input_error)?
        .get(0))
}

/// Row history's own DDL (history tables, capture triggers) is pggit's
/// business, not a schema change of the user's to commit.
pub(crate) fn forget_own_ddl(tx: &mut impl GenericClient) -> Result<()> {
    tx.execute("DELETE FROM pggit.ddl_log WHERE txid = txid_current()", &[])?;
    Ok(())
}

/// Limits on the `--where` filters of `asof` and `restore`, for callers
/// that take filters from someone else (the HTTP server to come). By
/// default (a local user's own filter) there are none, unless
/// `PGGIT_FILTER_TIMEOUT` (seconds) or `PGGIT_FILTER_PLAIN=1` say so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterPolicy {
    /// Only comparisons of columns with constants (no function call, no
    /// subquery): see [`pggit_core::filter::check_plain_where`].
    pub plain_only: bool,
    /// `statement_timeout` for the statement the filter runs in.
    pub statement_timeout: Option<std::time::Duration>,
}

impl FilterPolicy {
    pub(crate) fn from_env() -> FilterPolicy {
        FilterPolicy {
            plain_only: std::env::var("PGGIT_FILTER_PLAIN").is_ok_and(|v| v == "1"),
            statement_timeout: std::env::var("PGGIT_FILTER_TIMEOUT")
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s > 0.0)
                .map(std::time::Duration::from_secs_f64),
        }
    }

    /// Check a filter under this policy; returns it parenthesised.
    pub(crate) fn check(&self, expr: &str) -> Result<String> {
        let checked = if self.plain_only {
            pggit_core::filter::check_plain_where(expr)
        } else {
            pggit_core::filter::check_where(expr)
        };
        checked.map_err(|e| Error::Refused(e.to_string()))
    }

    /// Bound the rest of `tx` by the timeout, if any.
    pub(crate) fn limit(&self, tx: &mut impl GenericClient) -> Result<()> {
        if let Some(t) = self.statement_timeout {
            tx.execute(
                "SELECT set_config('statement_timeout', $1, true)",
                &[&format!("{}ms", t.as_millis().max(1))],
            )?;
        }
        Ok(())
    }

    /// A filter's statement cancelled by the timeout, as an input error.
    pub(crate) fn explain(&self, e: Error) -> Error {
        match (&e, self.statement_timeout) {
            (Error::Pg(pggit_pg::PgError::Db(db)), Some(t))
                if db.code() == Some(&postgres::error::SqlState::QUERY_CANCELED) =>
            {
                Error::Refused(format!(
                    "the filter ran longer than its limit of {:?} and was cancelled",
                    t
                ))
            }
            _ => e,
        }
    }
}

impl Repository {
    /// Limits for `--where` filters from now on.
    pub fn set_filter_policy(&mut self, policy: FilterPolicy) {
        self.filters = policy;
    }
}
