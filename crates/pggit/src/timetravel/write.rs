//! Changing history and tables: track, untrack, restore, snapshots, prune.

use pggit_pg::history;
use serde::Serialize;

use super::{forget_own_ddl, input_error, parse_duration, regclass_text, Moment, AT_TEXT};
use crate::error::{Error, Result};
use crate::repo::Repository;

/// A table put under (or taken out of) row history.
#[derive(Debug, Clone, Serialize)]
pub struct Tracked {
    pub table: String,
    pub period: i32,
    pub key: Option<Vec<String>>,
    pub newly: bool,
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

impl Repository {
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
            let name = &super::user_table(&mut tx, name)?;
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
        crate::failpoint::hit("track.before_commit");
        tx.commit()?;
        Ok(out)
    }

    /// Stop row history; the history is kept unless `drop_history`.
    pub fn untrack(&mut self, table: &str, drop_history: bool) -> Result<String> {
        let mut client = self.data_client(false)?;
        let table = &super::user_table(&mut client, table)?;
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

    /// Restore a table as of `at` into a new table or in place (one transaction).
    pub fn restore(
        &mut self,
        table: &str,
        at: &str,
        target: &RestoreTarget,
        filter: Option<&str>,
    ) -> Result<Restored> {
        let policy = self.filters.clone();
        let cond = filter.map(|f| policy.check(f)).transpose()?;
        let mut client = self.data_client(false)?;
        let table = &super::user_table(&mut client, table)?;
        let moment = self.moment_in(&mut client, at)?;
        history::settle(&mut client)?;
        let counter = self.row_counter(&mut client, table);
        let mut tx = client.transaction()?;
        let rel = regclass_text(&mut tx, table)?;
        if let Some(c) = &cond {
            // Planning may fold constants (run functions): limit it too.
            policy.limit(&mut tx)?;
            // Check the filter against the table before anything changes.
            tx.execute(&format!("EXPLAIN SELECT 1 FROM {rel} WHERE {c}"), &[])
                .map_err(|e| policy.explain(input_error(e)))?;
        }
        let (into, in_place) = match target {
            RestoreTarget::Into(t) => (Some(t.clone()), false),
            RestoreTarget::InPlace => (None, true),
        };
        let mut restore = || {
            tx.query_one(
                "SELECT inserted, updated, deleted FROM pggit.restore_table($1::text::regclass, $2::text::timestamptz, $3, $4, $5)",
                &[&table, &moment.at, &into, &in_place, &cond],
            )
        };
        let row = match &counter {
            Some(c) => c.watch(
                &*self.progress,
                &format!("rebuilding {rel} as of {}", moment.at),
                restore,
            ),
            None => restore(),
        }
        .map_err(|e| policy.explain(input_error(e)))?;
        let out = Restored {
            table: rel,
            moment,
            target: into.unwrap_or_else(|| "in place".into()),
            inserted: row.get(0),
            updated: row.get(1),
            deleted: row.get(2),
        };
        crate::failpoint::hit("restore.before_commit");
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
