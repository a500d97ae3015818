//! Row history (time travel on table data): the SQL that captures and
//! answers it lives in `history.sql` and runs inside the database; this
//! module installs it and reads results.

use postgres::types::ToSql;
use postgres::GenericClient;

use crate::PgError;

/// Everything `pggit track` installs into a database on first use: its
/// tables, the reading functions, capture, restore, cache and retention
/// (see docs/HISTORY.md).
pub const HISTORY_SQL: &str = concat!(
    include_str!("history/tables.sql"),
    include_str!("history/replaceable.sql"),
    include_str!("history/read.sql"),
    include_str!("history/capture.sql"),
    include_str!("history/restore.sql"),
    include_str!("history/retention.sql"),
);

/// Advisory lock key held (shared) by writers from their commit-time stamp
/// until they have committed.
pub const SETTLE_LOCK: i64 = 123_917_467_345_922;

/// Whether row history is installed in the connected database.
pub fn installed(client: &mut impl GenericClient) -> Result<bool, PgError> {
    Ok(client
        .query_one("SELECT to_regclass('pggit.history_meta') IS NOT NULL", &[])?
        .get(0))
}

/// Version of the row-history SQL this build installs (`history_meta`).
/// 2: capture, commit stamp and schema sync run as pggit's role (SECURITY
/// DEFINER) so that every role can write tracked tables, record the acting
/// role, and every function has a fixed `search_path`.
/// 3: restore and the as-of cache count the rows they rebuild
/// (`pggit.counted`), for a progress bar.
pub const HISTORY_VERSION: i32 = 3;

/// Version 1 → 2, in place.
const UPGRADE_2_SQL: &str = r#"
ALTER TABLE pggit.data_tx ALTER COLUMN role SET DEFAULT pggit.acting_role();
ALTER FUNCTION pggit.stamp_commit() SECURITY DEFINER;
ALTER FUNCTION pggit.sync_tracked() SECURITY DEFINER;
"#;

/// Version 2 → 3, in place (with the functions re-created).
const UPGRADE_3_SQL: &str = r#"
ALTER TABLE pggit.data_tx ALTER COLUMN application_name
  SET DEFAULT coalesce(nullif(current_setting('pggit.application_name', true), ''),
                       current_setting('application_name', true));
"#;

/// Install row history (once); the caller's transaction makes it atomic.
pub fn install(client: &mut impl GenericClient) -> Result<bool, PgError> {
    if installed(client)? {
        return Ok(false);
    }
    client.batch_execute(crate::schema::ACTING_ROLE_SQL)?;
    client.batch_execute(HISTORY_SQL)?;
    client.batch_execute(crate::schema::HARDEN_SQL)?;
    // tables.sql records the version it was written for; this build's is newer.
    client.execute(
        "UPDATE pggit.history_meta SET value = $1 WHERE key = 'version'",
        &[&HISTORY_VERSION.to_string()],
    )?;
    Ok(true)
}

/// Upgrade row history installed by an older pggit, in place (inside the
/// caller's transaction). Returns whether anything changed.
pub fn upgrade(client: &mut impl GenericClient) -> Result<bool, PgError> {
    let v: String = client
        .query_one(
            "SELECT value FROM pggit.history_meta WHERE key = 'version' FOR UPDATE",
            &[],
        )?
        .get(0);
    let version: i32 = v
        .parse()
        .map_err(|_| PgError::Unexpected(format!("bad row-history version '{v}'")))?;
    if version >= HISTORY_VERSION {
        return Ok(false);
    }
    client.batch_execute(crate::schema::ACTING_ROLE_SQL)?;
    if version < 2 {
        client.batch_execute(UPGRADE_2_SQL)?;
    }
    if version < 3 {
        client.batch_execute(UPGRADE_3_SQL)?;
    }
    // Every function of these files is CREATE OR REPLACE.
    client.batch_execute(include_str!("history/replaceable.sql"))?;
    client.batch_execute(include_str!("history/restore.sql"))?;
    client.batch_execute(include_str!("history/retention.sql"))?;
    // A table that may not be captured any more (see untrusted_code)
    // keeps its old capture function rather than failing the upgrade.
    client.batch_execute(
        "DO $$ DECLARE p integer; BEGIN
           FOR p IN SELECT period FROM pggit.tracked WHERE ended_txid IS NULL LOOP
             BEGIN PERFORM pggit.generate_capture(p);
             EXCEPTION WHEN insufficient_privilege THEN NULL; END;
           END LOOP;
         END $$",
    )?;
    client.batch_execute(crate::schema::HARDEN_SQL)?;
    client.execute(
        "UPDATE pggit.history_meta SET value = $1 WHERE key = 'version'",
        &[&HISTORY_VERSION.to_string()],
    )?;
    Ok(true)
}

/// Whether installed row history is older than this build.
pub fn outdated(client: &mut impl GenericClient) -> Result<bool, PgError> {
    Ok(client
        .query_one(
            "SELECT value::int < $1 FROM pggit.history_meta WHERE key = 'version'",
            &[&HISTORY_VERSION],
        )?
        .get(0))
}

/// Ask this session's rebuilds of past rows (restore, the as-of cache) to
/// count the rows they produce where a second connection can read them
/// ([`rows_counted`]). Best effort: `false` (and nothing counted) where
/// the session cannot have a temporary sequence (a hot standby, no TEMP
/// right). Call it outside a transaction.
pub fn count_rows(client: &mut postgres::Client) -> bool {
    client
        .batch_execute(
            r#"CREATE TEMP SEQUENCE IF NOT EXISTS "pggit$progress" CACHE 4096;
               SELECT setval('pg_temp."pggit$progress"', 1, false);
               SET pggit.count_rows = 'on'"#,
        )
        .is_ok()
}

/// How many rows the session `pid` has rebuilt so far in its current
/// transaction (in steps of 4,096), read from `pg_stat_activity`; `None`
/// when it is not counting now.
pub fn rows_counted(client: &mut impl GenericClient, pid: i32) -> Result<Option<u64>, PgError> {
    let name: Option<String> = client
        .query_opt(
            "SELECT application_name FROM pg_stat_activity WHERE pid = $1",
            &[&pid],
        )?
        .and_then(|r| r.get(0));
    Ok(name
        .as_deref()
        .and_then(|n| n.strip_prefix("pggit rows "))
        .and_then(|n| n.parse().ok()))
}

/// Wait until every transaction that has stamped its commit time has
/// finished committing, so a snapshot taken next sees all of them.
pub fn settle(client: &mut impl GenericClient) -> Result<(), PgError> {
    client.execute("SELECT pg_advisory_lock($1)", &[&SETTLE_LOCK])?;
    client.execute("SELECT pg_advisory_unlock($1)", &[&SETTLE_LOCK])?;
    Ok(())
}

/// Rows of a query, every value as PostgreSQL's text form, plus each row
/// as JSON text (typed values, column order kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextRows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    pub json: Vec<String>,
}

/// Why streaming a query's rows to a writer stopped.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Pg(#[from] PgError),
    /// The writer refused the bytes (a closed pipe, a full disk).
    #[error("cannot write the output: {0}")]
    Write(std::io::Error),
}

/// Stream the rows of `sql` (a SELECT without bind parameters) to `out`
/// exactly as `COPY (sql) TO STDOUT WITH (FORMAT csv, HEADER)` writes them:
/// the server does the quoting, so NULL (an empty field) and '' (`""`)
/// stay apart. Returns the bytes written.
pub fn copy_csv(
    client: &mut impl GenericClient,
    sql: &str,
    out: &mut dyn std::io::Write,
    rows: &mut dyn FnMut(u64),
) -> Result<u64, CopyError> {
    use std::io::BufRead;
    let copy = format!("COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)");
    let mut reader = client.copy_out(copy.as_str()).map_err(PgError::from)?;
    let mut written = 0u64;
    // Each message of the stream is one row; the first is the header.
    let mut unreported = 0u64;
    let mut header = true;
    loop {
        let chunk = reader
            .fill_buf()
            .map_err(|e| CopyError::Pg(server_error(e)))?;
        if chunk.is_empty() {
            break;
        }
        out.write_all(chunk).map_err(CopyError::Write)?;
        let n = chunk.len();
        written += n as u64;
        reader.consume(n);
        if std::mem::take(&mut header) {
            continue;
        }
        unreported += 1;
        if unreported == 4096 {
            rows(unreported);
            unreported = 0;
        }
    }
    rows(unreported);
    Ok(written)
}

/// The server's error inside an I/O error from a COPY stream.
fn server_error(e: std::io::Error) -> PgError {
    match e
        .into_inner()
        .map(|inner| inner.downcast::<postgres::Error>())
    {
        Some(Ok(db)) => PgError::Db(*db),
        Some(Err(other)) => PgError::Unexpected(other.to_string()),
        None => PgError::Unexpected("the COPY stream ended unexpectedly".into()),
    }
}

/// Run `sql` (a SELECT) and return its rows as text.
pub fn text_rows(
    client: &mut impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<TextRows, PgError> {
    let stmt = client.prepare(sql)?;
    let columns: Vec<String> = stmt
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let values = columns
        .iter()
        .map(|c| format!("q.{}::text", pggit_core::sql::ident(c)))
        .collect::<Vec<_>>()
        .join(", ");
    let wrapped = format!("SELECT ARRAY[{values}]::text[], row_to_json(q)::text FROM ({sql}) q");
    let mut out = TextRows {
        columns,
        ..Default::default()
    };
    for row in client.query(&wrapped, params)? {
        out.rows.push(row.get(0));
        out.json.push(row.get(1));
    }
    Ok(out)
}
