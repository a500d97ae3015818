//! Catalog facts `pggit doctor` checks: capture triggers and the row-history
//! triggers and functions of tracked tables.

use postgres::GenericClient;

use crate::PgError;

/// Whether both DDL-capture event triggers exist (enabled) here.
pub fn capture_triggers(client: &mut impl GenericClient) -> Result<bool, PgError> {
    crate::schema::capture_active(client)
}

/// Tracked tables (active periods) whose capture triggers or capture
/// function are missing, with what is missing.
pub fn broken_tracking(client: &mut impl GenericClient) -> Result<Vec<(String, String)>, PgError> {
    if !crate::history::installed(client)? {
        return Ok(Vec::new());
    }
    Ok(client
        .query(
            "SELECT format('%I.%I', t.schema_name, t.table_name),
                    concat_ws(', ',
                      CASE WHEN to_regprocedure(format('pggit.%I()', 'capture_' || t.period)) IS NULL
                           THEN 'capture function' END,
                      CASE WHEN (SELECT count(*) FROM pg_trigger g WHERE g.tgrelid = t.relid
                                  AND g.tgname IN ('pggit_history_insert', 'pggit_history_update',
                                                   'pggit_history_delete', 'pggit_history_truncate')
                                  AND g.tgenabled <> 'D') < 4
                           THEN 'capture triggers' END)
               FROM pggit.tracked t
              WHERE t.ended_txid IS NULL
                AND (to_regprocedure(format('pggit.%I()', 'capture_' || t.period)) IS NULL
                     OR (SELECT count(*) FROM pg_trigger g WHERE g.tgrelid = t.relid
                          AND g.tgname IN ('pggit_history_insert', 'pggit_history_update',
                                           'pggit_history_delete', 'pggit_history_truncate')
                          AND g.tgenabled <> 'D') < 4)
              ORDER BY 1",
            &[],
        )?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Run each preflight check (`pggit_core::preflight`) against the rows
/// here, read-only; the checks that count rows, with the count. A check
/// whose query cannot run on this database (it names a column the
/// migration itself adds or renames) is not counted.
pub fn count_failing(
    client: &mut postgres::Client,
    checks: &[pggit_core::preflight::Check],
) -> Result<Vec<(String, i64)>, PgError> {
    let mut out = Vec::new();
    let mut tx = client.build_transaction().read_only(true).start()?;
    for c in checks {
        let mut sp = tx.transaction()?;
        match sp.query_one(c.count_sql.as_str(), &[]) {
            Ok(row) => {
                let n: i64 = row.get(0);
                if n > 0 {
                    out.push((c.what.clone(), n));
                }
                sp.commit()?;
            }
            Err(e) if e.as_db_error().is_some() => sp.rollback()?,
            Err(e) => return Err(e.into()),
        }
    }
    tx.commit()?;
    Ok(out)
}
