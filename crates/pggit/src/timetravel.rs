//! Time travel on table data: tracking tables, reading them as of a time,
//! one row's history, changes between two times, restore, snapshots and
//! retention. The work runs inside the database (`pggit_pg::history`);
//! this module resolves times, checks input and shapes results.

use pggit_core::filter::check_where;
use pggit_pg::history::{self, TextRows};
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

/// A table put under (or taken out of) row history.
#[derive(Debug, Clone, Serialize)]
pub struct Tracked {
    pub table: String,
    pub period: i32,
    pub key: Option<Vec<String>>,
    pub newly: bool,
}

/// One tracked table as listed.
#[derive(Debug, Clone, Serialize)]
pub struct TrackedInfo {
    pub table: String,
    pub period: i32,
    pub active: bool,
    pub key: Option<Vec<String>>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub retained_from: Option<String>,
    pub history_rows: i64,
}

/// Rows of the table as of a moment.
#[derive(Debug, Clone, Serialize)]
pub struct AsOf {
    pub table: String,
    pub moment: Moment,
    #[serde(skip)]
    pub rows: TextRows,
    /// Served from the materialised cache.
    pub cached: bool,
}

/// A row (or part of one) as JSON, each value exactly as PostgreSQL
/// printed it (numerics keep their precision).
pub type Doc = BTreeMap<String, Box<RawValue>>;

fn doc(text: Option<String>) -> Result<Option<Doc>> {
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| Error::Refused(format!("unexpected row document {t}: {e}")))
    })
    .transpose()
}

/// One change of one row.
#[derive(Debug, Clone, Serialize)]
pub struct RowChange {
    pub at: Option<String>,
    pub txid: i64,
    pub role: Option<String>,
    pub operation: String,
    pub old: Option<Doc>,
    pub new: Option<Doc>,
    pub changed: Vec<String>,
}

/// One row that differs between two moments.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    pub change: String,
    pub key: Option<Doc>,
    pub old: Option<Doc>,
    pub new: Option<Doc>,
    pub columns: Vec<String>,
}

/// Where a restore writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreTarget {
    /// A new table (qualified name as SQL would read it).
    Into(String),
    InPlace,
}

#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    pub table: String,
    pub moment: Moment,
    pub target: String,
    pub inserted: i64,
    pub updated: i64,
    pub deleted: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub name: String,
    pub at: String,
    pub schema_commit: Option<String>,
    pub created_by: String,
}

/// What a prune removed (or would remove).
#[derive(Debug, Clone, Serialize)]
pub struct Pruned {
    pub older_than: String,
    pub dry_run: bool,
    pub counts: Vec<(String, i64)>,
}

/// Map a server error raised for bad input (pggit's own checks, unknown
/// tables or columns, wrong types) to a refusal; others stay database errors.
fn input_error(e: postgres::Error) -> Error {
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

const AT_TEXT: &str =
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
    fn data_client(&mut self, install: bool) -> Result<Client> {
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
        }
        client.batch_execute("SET lock_timeout = '10s'")?;
        Ok(client)
    }

    /// Resolve a time, snapshot name, commit or tag to a moment.
    pub fn resolve_moment(&mut self, spec: &str) -> Result<Moment> {
        let mut client = self.data_client(false)?;
        self.moment_in(&mut client, spec)
    }

    fn moment_in(&mut self, client: &mut Client, spec: &str) -> Result<Moment> {
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

    /// Start row history for tables (and every table of `schema`).
    pub fn track(&mut self, tables: &[String], schema: Option<&str>) -> Result<Vec<Tracked>> {
        let mut client = self.data_client(true)?;
        let mut tx = client.transaction()?;
        let mut names: Vec<String> = tables.to_vec();
        if let Some(s) = schema {
            let rows = tx.query(
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = $1 AND c.relkind = 'r' AND NOT c.relispartition ORDER BY c.relname",
                &[&s],
            )?;
            if rows.is_empty() {
                return Err(Error::Refused(format!("schema '{s}' has no tables")));
            }
            names.extend(rows.iter().map(|r| r.get::<_, String>(0)));
        }
        if names.is_empty() {
            return Err(Error::Refused(
                "name at least one table, or --schema".into(),
            ));
        }
        let mut out = Vec::new();
        for name in &names {
            let row = tx
                .query_one(
                    "SELECT (SELECT count(*) FROM pggit.tracked WHERE relid = $1::text::regclass AND ended_txid IS NULL) = 0,
                            pggit.track($1::text::regclass),
                            (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
                               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::text::regclass)",
                    &[name],
                )
                .map_err(input_error)?;
            let period: i32 = row.get(1);
            let key: Option<Vec<String>> = tx
                .query_one(
                    "SELECT key_columns FROM pggit.tracked WHERE period = $1",
                    &[&period],
                )?
                .get(0);
            out.push(Tracked {
                table: row.get(2),
                period,
                key,
                newly: row.get(0),
            });
        }
        forget_own_ddl(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Stop row history; the history is kept unless `drop_history`.
    pub fn untrack(&mut self, table: &str, drop_history: bool) -> Result<String> {
        let mut client = self.data_client(false)?;
        let mut tx = client.transaction()?;
        let name: String = tx
            .query_one(
                "SELECT pggit.untrack($1::text::regclass, $2)::text,
                        (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
                           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::text::regclass)",
                &[&table, &drop_history],
            )
            .map_err(input_error)?
            .get(1);
        forget_own_ddl(&mut tx)?;
        tx.commit()?;
        Ok(name)
    }

    /// Tables with row history, current and past.
    pub fn tracked(&mut self) -> Result<Vec<TrackedInfo>> {
        let mut client = self.data_client(false)?;
        let rows = client.query(
            "SELECT t.period, quote_ident(t.schema_name) || '.' || quote_ident(t.table_name), t.active, t.key_columns,
                    to_char(t.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
                    to_char(t.ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
                    to_char(t.retained_from AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
                    coalesce((SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(t.history_table)), 0)
               FROM pggit.tracked_tables t ORDER BY t.period",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| TrackedInfo {
                period: r.get(0),
                table: r.get(1),
                active: r.get(2),
                key: r.get(3),
                started_at: r.get(4),
                ended_at: r.get(5),
                retained_from: r.get(6),
                history_rows: r.get::<_, i64>(7).max(0),
            })
            .collect())
    }

    /// The table (or the rows matching `filter`) as of `at`, in its current shape.
    pub fn as_of(&mut self, table: &str, at: &str, filter: Option<&str>) -> Result<AsOf> {
        let cond = filter
            .map(check_where)
            .transpose()
            .map_err(|e| Error::Refused(e.to_string()))?;
        let mut client = self.data_client(false)?;
        let moment = self.moment_in(&mut client, at)?;
        history::settle(&mut client)?;
        let mut tx = client.transaction()?;
        let row = tx
            .query_one(
                "SELECT p, pggit.asof_cache_lookup(p, $2::text::timestamptz, true), pggit.as_of_sql(p, $2::text::timestamptz)
                   FROM pggit.period_at($1, $2::text::timestamptz) p",
                &[&table, &moment.at],
            )
            .map_err(input_error)?;
        let cache: Option<String> = row.get(1);
        let base = match &cache {
            Some(c) => format!("SELECT * FROM pggit.{}", pggit_core::sql::ident(c)),
            None => row.get(2),
        };
        let keys: Option<Vec<String>> = tx
            .query_one(
                "SELECT key_columns FROM pggit.tracked WHERE period = $1",
                &[&row.get::<_, i32>(0)],
            )?
            .get(0);
        let order = match keys {
            Some(k) => format!(
                " ORDER BY {}",
                k.iter()
                    .map(|c| format!("pggit_asof.{}", pggit_core::sql::ident(c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => String::new(),
        };
        let sql = format!(
            "SELECT * FROM ({base}) pggit_asof WHERE {}{order}",
            cond.as_deref().unwrap_or("true")
        );
        tx.commit()?;
        // The filter runs read-only: it can read, never write.
        let mut tx = client.build_transaction().read_only(true).start()?;
        // Rebuilding hashes the keys changed since `at`; keep that in memory.
        tx.batch_execute("SET LOCAL work_mem = '128MB'")?;
        let rows = history::text_rows(&mut tx, &sql, &[]).map_err(|e| match e {
            pggit_pg::PgError::Db(db) => input_error(db),
            other => other.into(),
        })?;
        tx.commit()?;
        Ok(AsOf {
            table: table.to_string(),
            moment,
            rows,
            cached: cache.is_some(),
        })
    }

    /// Every change of the row with primary key `key` (a JSON object).
    /// `key` is a JSON object of the key columns, or the bare value of a
    /// one-column key.
    pub fn row_history(&mut self, table: &str, key: &str) -> Result<Vec<RowChange>> {
        let mut client = self.data_client(false)?;
        let key: serde_json::Value = if key.trim_start().starts_with('{') {
            serde_json::from_str(key)
                .map_err(|e| Error::Refused(format!("--key is not a JSON object: {e}")))?
        } else {
            let cols: Option<Vec<String>> = client
                .query_opt(
                    "SELECT key_columns FROM pggit.tracked
                      WHERE relid = to_regclass($1) OR quote_ident(schema_name) || '.' || quote_ident(table_name) = $1
                      ORDER BY period DESC LIMIT 1",
                    &[&table],
                )
                .map_err(input_error)?
                .and_then(|r| r.get(0));
            match cols.as_deref() {
                Some([one]) => serde_json::json!({ one.as_str(): key }),
                Some(many) => {
                    return Err(Error::Refused(format!(
                        "the key of {table} has several columns ({}); give --key as a JSON object",
                        many.join(", ")
                    )))
                }
                None => serde_json::Value::String(key.to_string()),
            }
        };
        let key = &key;
        let rows = client
            .query(
                "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), txid, role, operation,
                        old_row::text, new_row::text, changed FROM pggit.row_history($1, $2)",
                &[&table, key],
            )
            .map_err(input_error)?;
        rows.iter()
            .map(|r| {
                Ok(RowChange {
                    at: r.get(0),
                    txid: r.get(1),
                    role: r.get(2),
                    operation: r.get(3),
                    old: doc(r.get(4))?,
                    new: doc(r.get(5))?,
                    changed: r.get(6),
                })
            })
            .collect()
    }

    /// Rows inserted, deleted or updated between two moments.
    pub fn changes(
        &mut self,
        table: &str,
        from: &str,
        to: &str,
    ) -> Result<(Moment, Moment, Vec<Changed>)> {
        let mut client = self.data_client(false)?;
        let a = self.moment_in(&mut client, from)?;
        let b = self.moment_in(&mut client, to)?;
        history::settle(&mut client)?;
        let rows = client
            .query(
                "SELECT change, key::text, old_values::text, new_values::text, columns
                   FROM pggit.changes($1, $2::text::timestamptz, $3::text::timestamptz)",
                &[&table, &a.at, &b.at],
            )
            .map_err(input_error)?;
        let out = rows
            .iter()
            .map(|r| {
                Ok(Changed {
                    change: r.get(0),
                    key: doc(r.get(1))?,
                    old: doc(r.get(2))?,
                    new: doc(r.get(3))?,
                    columns: r.get(4),
                })
            })
            .collect::<Result<_>>()?;
        Ok((a, b, out))
    }

    /// Restore a table as of `at` into a new table or in place (one transaction).
    pub fn restore(
        &mut self,
        table: &str,
        at: &str,
        target: &RestoreTarget,
        filter: Option<&str>,
    ) -> Result<Restored> {
        let cond = filter
            .map(check_where)
            .transpose()
            .map_err(|e| Error::Refused(e.to_string()))?;
        let mut client = self.data_client(false)?;
        let moment = self.moment_in(&mut client, at)?;
        history::settle(&mut client)?;
        let mut tx = client.transaction()?;
        if let Some(c) = &cond {
            // Check the filter against the table before anything changes.
            let rel = regclass_text(&mut tx, table)?;
            tx.execute(&format!("EXPLAIN SELECT 1 FROM {rel} WHERE {c}"), &[])
                .map_err(input_error)?;
        }
        let (into, in_place) = match target {
            RestoreTarget::Into(t) => (Some(t.clone()), false),
            RestoreTarget::InPlace => (None, true),
        };
        let row = tx
            .query_one(
                "SELECT inserted, updated, deleted FROM pggit.restore_table($1::text::regclass, $2::text::timestamptz, $3, $4, $5)",
                &[&table, &moment.at, &into, &in_place, &cond],
            )
            .map_err(input_error)?;
        let out = Restored {
            table: regclass_text(&mut tx, table)?,
            moment,
            target: into.unwrap_or_else(|| "in place".into()),
            inserted: row.get(0),
            updated: row.get(1),
            deleted: row.get(2),
        };
        tx.commit()?;
        Ok(out)
    }

    /// Name a moment (default now) for later `--at NAME`; it records the
    /// schema commit the branch pointed at then.
    pub fn snapshot_create(&mut self, name: &str, at: Option<&str>) -> Result<Snapshot> {
        crate::names::validate("snapshot", name)?;
        let mut client = self.data_client(true)?;
        history::settle(&mut client)?;
        let moment = match at {
            Some(a) => self.moment_in(&mut client, a)?,
            None => Moment {
                at: client
                    .query_one(&format!("SELECT {AT_TEXT}"), &[&"now"])?
                    .get(0),
                source: "time".into(),
            },
        };
        let commit = self.commit_at(&moment.at)?;
        let row = client
            .query_opt(
                "INSERT INTO pggit.data_snapshots (name, at, schema_commit) VALUES ($1, $2::text::timestamptz, $3)
                 ON CONFLICT (name) DO NOTHING RETURNING created_by",
                &[&name, &moment.at, &commit],
            )
            .map_err(input_error)?;
        let Some(row) = row else {
            return Err(Error::Refused(format!(
                "a snapshot named '{name}' already exists"
            )));
        };
        Ok(Snapshot {
            name: name.to_string(),
            at: moment.at,
            schema_commit: commit,
            created_by: row.get(0),
        })
    }

    /// The newest commit of the current branch (first parents) made by `at`.
    fn commit_at(&mut self, at: &str) -> Result<Option<String>> {
        let branch = self.current_branch()?;
        let mut c = Some(self.branch_ref(&branch)?);
        while let Some(commit) = c {
            let older: bool = self
                .client
                .query_one(
                    "SELECT $1::text::timestamptz <= $2::text::timestamptz",
                    &[&commit.committed_at, &at],
                )?
                .get(0);
            if older {
                return Ok(Some(commit.id));
            }
            c = match commit.parents.first() {
                Some(p) => Some(self.commit(p)?),
                None => None,
            };
        }
        Ok(None)
    }

    pub fn snapshots(&mut self) -> Result<Vec<Snapshot>> {
        let mut client = self.data_client(false)?;
        let rows = client.query(
            &format!(
                "SELECT name, {}, schema_commit, created_by FROM pggit.data_snapshots ORDER BY at, name",
                AT_TEXT.replace("$1::text::timestamptz", "at")
            ),
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| Snapshot {
                name: r.get(0),
                at: r.get(1),
                schema_commit: r.get(2),
                created_by: r.get(3),
            })
            .collect())
    }

    pub fn snapshot_drop(&mut self, name: &str) -> Result<()> {
        let mut client = self.data_client(false)?;
        let n = client.execute("DELETE FROM pggit.data_snapshots WHERE name = $1", &[&name])?;
        if n == 0 {
            return Err(Error::Refused(format!("no snapshot named '{name}'")));
        }
        Ok(())
    }

    /// Forget history older than `older_than` (a duration back from now).
    pub fn prune(&mut self, older_than: &str, force: bool, dry_run: bool) -> Result<Pruned> {
        let secs = parse_duration(older_than)?;
        let mut client = self.data_client(false)?;
        let mut tx = client.transaction()?;
        let bound: String = tx
            .query_one(
                "SELECT to_char((clock_timestamp() - make_interval(secs => $1::float8)) AT TIME ZONE 'UTC',
                                'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
                &[&(secs as f64)],
            )?
            .get(0);
        let rows = tx
            .query(
                "SELECT item, count FROM pggit.prune_history($1::text::timestamptz, $2, $3)",
                &[&bound, &force, &dry_run],
            )
            .map_err(input_error)?;
        let counts = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        if dry_run {
            tx.rollback()?;
        } else {
            tx.commit()?;
        }
        Ok(Pruned {
            older_than: bound,
            dry_run,
            counts,
        })
    }
}

fn regclass_text(client: &mut impl GenericClient, table: &str) -> Result<String> {
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
fn forget_own_ddl(tx: &mut impl GenericClient) -> Result<()> {
    tx.execute("DELETE FROM pggit.ddl_log WHERE txid = txid_current()", &[])?;
    Ok(())
}
