//! Reading history: tracked tables, a table as of a moment, one row's
//! changes, the changes between two moments.

use pggit_core::progress::Phase;
use pggit_pg::history::{self, TextRows};
use serde::Serialize;

use super::{doc, input_error, Doc, Moment};
use crate::error::{Error, Result};
use crate::repo::Repository;

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

/// A resolved as-of query, run once by [`AsOfQuery::read`].
struct AsOfQuery {
    client: postgres::Client,
    policy: super::FilterPolicy,
    filtered: bool,
    sql: String,
    table: String,
    moment: Moment,
    cached: bool,
}

impl AsOfQuery {
    /// Run the query read-only (a filter can read, never write), with the
    /// filter's limits, through `f`.
    fn read<T>(
        &mut self,
        f: impl FnOnce(&mut postgres::Transaction<'_>, &str) -> Result<T>,
    ) -> Result<T> {
        let mut tx = self.client.build_transaction().read_only(true).start()?;
        // Rebuilding hashes the keys changed since `at`; keep that in memory.
        tx.batch_execute("SET LOCAL work_mem = '128MB'")?;
        if self.filtered {
            self.policy.limit(&mut tx)?;
        }
        let policy = &self.policy;
        let got = f(&mut tx, &self.sql).map_err(|e| match e {
            Error::Pg(pggit_pg::PgError::Db(db)) => policy.explain(input_error(db)),
            other => policy.explain(other),
        })?;
        tx.commit()?;
        Ok(got)
    }

    fn done(self, rows: TextRows) -> AsOf {
        AsOf {
            table: self.table,
            moment: self.moment,
            rows,
            cached: self.cached,
        }
    }
}

impl Repository {
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
        self.as_of_shaped(table, at, filter, false)
    }

    /// As [`Repository::as_of`]; with `then_shape`, in the columns and
    /// types the table had at that moment (dropped columns included,
    /// renamed ones under their current names).
    pub fn as_of_shaped(
        &mut self,
        table: &str,
        at: &str,
        filter: Option<&str>,
        then_shape: bool,
    ) -> Result<AsOf> {
        let mut q = self.as_of_query(table, at, filter, then_shape)?;
        let rows = q.read(|tx, sql| history::text_rows(tx, sql, &[]).map_err(Into::into))?;
        Ok(q.done(rows))
    }

    /// As [`Repository::as_of_shaped`], streamed to `out` as CSV exactly as
    /// `COPY ... TO STDOUT WITH (FORMAT csv, HEADER)` writes it (the rows
    /// are not held in memory). The outcome carries no rows.
    pub fn as_of_csv(
        &mut self,
        table: &str,
        at: &str,
        filter: Option<&str>,
        then_shape: bool,
        out: &mut dyn std::io::Write,
    ) -> Result<AsOf> {
        let mut q = self.as_of_query(table, at, filter, then_shape)?;
        let progress = self.progress.clone();
        let what = format!("writing {} as of {}", q.table, q.moment.at);
        let rel = q.table.clone();
        q.read(|tx, sql| {
            let phase = if progress.shown() {
                let total: Option<i64> = tx
                    .query_one(
                        "SELECT (SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass($1))",
                        &[&rel],
                    )?
                    .get(0);
                let total = total.and_then(|t| usize::try_from(t).ok()).unwrap_or(0);
                Some(Phase::begin(&*progress, &what, total))
            } else {
                None
            };
            let mut rows = |n: u64| {
                if let Some(p) = &phase {
                    p.advance(usize::try_from(n).unwrap_or(usize::MAX));
                }
            };
            match history::copy_csv(tx, sql, out, &mut rows) {
                Ok(_) => Ok(()),
                Err(history::CopyError::Pg(e)) => Err(e.into()),
                Err(history::CopyError::Write(e)) => Err(Error::Output(e)),
            }
        })?;
        Ok(q.done(TextRows::default()))
    }

    /// Resolve the moment and build the as-of query (from the cache when
    /// one covers it), ready to run.
    fn as_of_query(
        &mut self,
        table: &str,
        at: &str,
        filter: Option<&str>,
        then_shape: bool,
    ) -> Result<AsOfQuery> {
        let policy = self.filters.clone();
        let cond = filter.map(|f| policy.check(f)).transpose()?;
        let mut client = self.data_client(false)?;
        let table = super::user_table(&mut client, table)?;
        let moment = self.moment_in(&mut client, at)?;
        history::settle(&mut client)?;
        // A second request for the same moment materialises the cache here.
        let materialises = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pggit.asof_cache k
                                 WHERE k.period = pggit.period_at($1, $2::text::timestamptz)
                                   AND k.at = $2::text::timestamptz AND k.cache_table IS NULL)",
                &[&table, &moment.at],
            )
            .is_ok_and(|r| r.get(0));
        let counter = if materialises {
            self.row_counter(&mut client, &table)
        } else {
            None
        };
        let mut tx = client.transaction()?;
        let mut lookup = || {
            tx.query_one(
                "SELECT c.cache, CASE WHEN c.cache IS NULL THEN pggit.as_of_sql(p, $2::text::timestamptz, $3) END,
                        (SELECT key_columns FROM pggit.tracked WHERE period = p)
                   FROM pggit.period_at($1, $2::text::timestamptz) p,
                        LATERAL (SELECT pggit.asof_cache_lookup(p, $2::text::timestamptz, true, $3) AS cache) c",
                &[&table, &moment.at, &then_shape],
            )
        };
        let row = match &counter {
            Some(c) => c.watch(
                &*self.progress,
                &format!("caching {table} as of {}", moment.at),
                lookup,
            ),
            None => lookup(),
        }
        .map_err(input_error)?;
        let cache: Option<String> = row.get(0);
        let base = match &cache {
            Some(c) => format!("SELECT * FROM pggit.{}", pggit_core::sql::ident(c)),
            None => row.get(1),
        };
        let keys: Option<Vec<String>> = row.get(2);
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
        Ok(AsOfQuery {
            client,
            policy,
            filtered: cond.is_some(),
            sql,
            table,
            moment,
            cached: cache.is_some(),
        })
    }

    /// Every change of the row with primary key `key` (a JSON object).
    /// `key` is a JSON object of the key columns, or the bare value of a
    /// one-column key.
    pub fn row_history(&mut self, table: &str, key: &str) -> Result<Vec<RowChange>> {
        let mut client = self.data_client(false)?;
        let table = &super::user_table(&mut client, table)?;
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
        let table = &super::user_table(&mut client, table)?;
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
}
