//! Reference-data settings: which tables' rows are versioned with the
//! schema (kept as JSON in `pggit.config` under `reference_data`), and the
//! catalog facts needed to mark a table.

use postgres::GenericClient;

use crate::introspect::Reference;
use crate::PgError;

const KEY: &str = "reference_data";

/// The repository's reference-data settings. A repository that never
/// stored any reads migration tools' bookkeeping tables.
pub fn read(client: &mut impl GenericClient) -> Result<Reference, PgError> {
    let row = client.query_opt("SELECT value FROM pggit.config WHERE key = $1", &[&KEY])?;
    Ok(match row {
        Some(r) => serde_json::from_value(r.get::<_, serde_json::Value>(0))
            .map_err(|e| PgError::Unexpected(format!("pggit.config {KEY} is not valid: {e}")))?,
        None => Reference {
            bookkeeping: true,
            ..Reference::default()
        },
    })
}

/// Store the settings.
pub fn write(client: &mut impl GenericClient, settings: &Reference) -> Result<(), PgError> {
    let value = serde_json::to_value(settings)
        .map_err(|e| PgError::Unexpected(format!("cannot encode {KEY}: {e}")))?;
    client.execute(
        "INSERT INTO pggit.config (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&KEY, &value],
    )?;
    Ok(())
}

/// A table as the user named it.
#[derive(Debug, Clone)]
pub struct TableInfo {
    pub schema: String,
    pub name: String,
    /// Columns in order, with NOT NULL.
    pub columns: Vec<(String, bool)>,
    /// Primary key columns (empty when there is none).
    pub primary_key: Vec<String>,
    pub rows: i64,
}

/// Look a table up by the name a user gives (`t`, `s.t`, `"Odd Name"`),
/// under the search path a session would have; `None` when there is no
/// such table.
pub fn table_info(
    client: &mut impl GenericClient,
    name: &str,
) -> Result<Option<TableInfo>, PgError> {
    let mut tx = client.transaction()?;
    // Only the name lookup runs under the user's path.
    tx.execute(
        "SELECT pg_catalog.set_config('search_path', '\"$user\", public', true)",
        &[],
    )?;
    let oid: Option<u32> = match tx.query_one(
        "SELECT pg_catalog.to_regclass($1::pg_catalog.text)::pg_catalog.oid",
        &[&name],
    ) {
        Ok(r) => r.get(0),
        // Not a name at all (`invalid name syntax`): no such table.
        Err(e) if e.code() == Some(&postgres::error::SqlState::INVALID_NAME) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    tx.execute("SELECT pg_catalog.set_config('search_path', '', true)", &[])?;
    let Some(oid) = oid else {
        return Ok(None);
    };
    let Some(head) = tx.query_opt(
        "SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c
           JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE c.oid = $1 AND c.relkind IN ('r', 'p')",
        &[&oid],
    )?
    else {
        return Ok(None);
    };
    let cols = tx.query(
        "SELECT a.attname::text, a.attnotnull,
                EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = a.attrelid
                          AND i.indisprimary AND a.attnum = ANY(i.indkey))
           FROM pg_catalog.pg_attribute a
          WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY a.attnum",
        &[&oid],
    )?;
    let (schema, table): (String, String) = (head.get(0), head.get(1));
    let count = format!(
        "SELECT count(*) FROM {}",
        pggit_core::sql::qname(&schema, &table)
    );
    let rows: i64 = tx.query_one(count.as_str(), &[])?.get(0);
    tx.commit()?;
    Ok(Some(TableInfo {
        schema,
        name: table,
        columns: cols.iter().map(|c| (c.get(0), c.get(1))).collect(),
        primary_key: cols
            .iter()
            .filter(|c| c.get::<_, bool>(2))
            .map(|c| c.get(0))
            .collect(),
        rows,
    }))
}
