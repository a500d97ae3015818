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

/// Install row history (once); the caller's transaction makes it atomic.
pub fn install(client: &mut impl GenericClient) -> Result<bool, PgError> {
    if installed(client)? {
        return Ok(false);
    }
    client.batch_execute(HISTORY_SQL)?;
    Ok(true)
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
