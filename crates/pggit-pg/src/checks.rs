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
