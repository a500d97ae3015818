//! Applying a planned migration: one transaction, a `lock_timeout`, function
//! bodies not checked (they may refer to objects created later in the same
//! script, as in pg_dump output).

use pggit_core::progress::{Progress, Silent};
use pggit_core::sql::Statement;
use postgres::GenericClient;

use crate::PgError;

/// Session settings every migration runs under.
pub const PREAMBLE: &str = "SET LOCAL lock_timeout = '5s'; SET LOCAL check_function_bodies = off; SET LOCAL search_path = ''; SET LOCAL client_min_messages = warning";

/// Run `statements` inside the caller's transaction.
pub fn apply_in(tx: &mut impl GenericClient, statements: &[Statement]) -> Result<(), PgError> {
    apply_in_with(tx, statements, &Silent)
}

/// [`apply_in`], advancing `progress` by one after each statement.
pub fn apply_in_with(
    tx: &mut impl GenericClient,
    statements: &[Statement],
    progress: &dyn Progress,
) -> Result<(), PgError> {
    tx.batch_execute(PREAMBLE)?;
    let history = crate::history::installed(tx)?;
    for s in statements {
        if history {
            keep_history_of(tx, &s.sql)?;
        }
        tx.batch_execute(&s.sql).map_err(|e| PgError::Statement {
            message: format!(
                "migration statement failed: {}\n  statement: {}",
                crate::format_db_error(&e),
                s.sql
            ),
            sqlstate: e.code().map(|c| c.code().to_string()),
        })?;
        progress.advance(1);
    }
    Ok(())
}

/// Before a statement that drops or rewrites a table with row history,
/// keep a complete image of it (the history would otherwise lose the
/// values of rows not changed since).
fn keep_history_of(tx: &mut impl GenericClient, sql: &str) -> Result<(), PgError> {
    for (schema, table) in pggit_core::rewrites::lossy_tables(sql) {
        tx.execute(
            "SELECT pggit.before_alter(t.relid::regclass) FROM pggit.tracked t
              JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE t.ended_txid IS NULL AND c.relname = $2 AND n.nspname = coalesce($1, 'public')",
            &[&schema, &table],
        )?;
    }
    Ok(())
}

/// Statements per transaction when a migration is applied in batches. Each
/// statement locks the relations it creates or alters until its
/// transaction ends; the server's lock table holds about
/// `max_locks_per_transaction` × `max_connections` locks (6,400 by
/// default), so one transaction cannot build a schema of thousands of
/// tables. 500 statements stay far below that.
pub const BATCH: usize = 500;

/// Run `statements` in transactions of at most [`BATCH`] statements each.
/// On failure, the number of statements already committed comes with the
/// error. Not atomic: callers make it so (a workspace being built is not
/// in use; a branch move is journalled and undone or finished).
pub fn apply_batched(
    client: &mut postgres::Client,
    statements: &[Statement],
) -> Result<(), (usize, PgError)> {
    apply_batched_with(client, statements, &mut |_| {}, &Silent)
}

/// [`apply_batched`], calling `after_batch` with the number of statements
/// committed so far after each batch but the last, and advancing
/// `progress` after each statement.
pub fn apply_batched_with(
    client: &mut postgres::Client,
    statements: &[Statement],
    after_batch: &mut dyn FnMut(usize),
    progress: &dyn Progress,
) -> Result<(), (usize, PgError)> {
    let mut done = 0;
    for chunk in statements.chunks(BATCH) {
        let run = |client: &mut postgres::Client| -> Result<(), PgError> {
            let mut tx = client.transaction()?;
            apply_in_with(&mut tx, chunk, progress)?;
            tx.commit()?;
            Ok(())
        };
        run(client).map_err(|e| (done, e))?;
        done += chunk.len();
        if done < statements.len() {
            after_batch(done);
        }
    }
    Ok(())
}

/// Run `statements` in a transaction of their own: all or nothing.
pub fn apply(client: &mut postgres::Client, statements: &[Statement]) -> Result<(), PgError> {
    apply_with(client, statements, &Silent)
}

/// [`apply`], advancing `progress` after each statement.
pub fn apply_with(
    client: &mut postgres::Client,
    statements: &[Statement],
    progress: &dyn Progress,
) -> Result<(), PgError> {
    let mut tx = client.transaction()?;
    apply_in_with(&mut tx, statements, progress)?;
    tx.commit()?;
    Ok(())
}

/// Build `tree` in a fresh database (in batches: a database being built is
/// not in use yet): the database's own starting objects (the `public`
/// schema) are matched by name, so only what is missing or different is
/// created.
pub fn replay(
    client: &mut postgres::Client,
    tree: &pggit_core::Tree,
    scope: &crate::introspect::Scope,
) -> Result<(), PgError> {
    let start = crate::introspect::snapshot(client, scope)?;
    let start = pggit_core::identity::assign(&start, &Default::default(), Some(tree), "empty").tree;
    let statements = pggit_core::plan::plan(&start, tree)
        .map_err(|e| PgError::Unexpected(format!("cannot plan the replay: {e}")))?;
    apply_batched(client, &statements).map_err(|(_, e)| e)
}
