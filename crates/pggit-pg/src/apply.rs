//! Applying a planned migration: one transaction, a `lock_timeout`, function
//! bodies not checked (they may refer to objects created later in the same
//! script, as in pg_dump output).

use pggit_core::sql::Statement;
use postgres::GenericClient;

use crate::PgError;

/// Session settings every migration runs under.
pub const PREAMBLE: &str = "SET LOCAL lock_timeout = '5s'; SET LOCAL check_function_bodies = off; SET LOCAL search_path = ''; SET LOCAL client_min_messages = warning";

/// Run `statements` inside the caller's transaction.
pub fn apply_in(tx: &mut impl GenericClient, statements: &[Statement]) -> Result<(), PgError> {
    tx.batch_execute(PREAMBLE)?;
    for s in statements {
        tx.batch_execute(&s.sql).map_err(|e| {
            PgError::Unexpected(format!(
                "migration statement failed: {}\n  statement: {}",
                crate::format_db_error(&e),
                s.sql
            ))
        })?;
    }
    Ok(())
}

/// Run `statements` in a transaction of their own: all or nothing.
pub fn apply(client: &mut postgres::Client, statements: &[Statement]) -> Result<(), PgError> {
    let mut tx = client.transaction()?;
    apply_in(&mut tx, statements)?;
    tx.commit()?;
    Ok(())
}
