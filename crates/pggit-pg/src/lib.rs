//! PostgreSQL layer of pggit: connections, catalog introspection, the
//! repository schema and its storage, DDL capture, applying migrations and
//! creating workspace databases. It holds no algorithm: planning and diffing
//! live in `pggit-core`.
#![forbid(unsafe_code)]

pub mod apply;
pub mod checks;
pub mod connect;
pub mod history;
pub mod introspect;
pub mod lint_target;
pub mod lint_trace;
pub mod merges;
pub mod outcomes;
pub mod reference;
pub mod schema;
pub mod scratch;
pub mod store;
pub mod trace;
pub mod workspace;

use thiserror::Error;

/// Errors of the PostgreSQL layer.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PgError {
    /// The server's error (its text once: the driver's error is not kept
    /// as a separate cause, which would repeat it).
    #[error("database error: {}", format_db_error(.0))]
    Db(postgres::Error),
    #[error("{0}")]
    Unexpected(String),
    /// A statement of a migration the server refused: the message names
    /// the statement; the SQLSTATE is kept (55P03: a lock wait timed out).
    #[error("{message}")]
    Statement {
        message: String,
        sqlstate: Option<String>,
    },
    #[error("invalid connection settings: {0}")]
    Config(String),
}

impl From<postgres::Error> for PgError {
    fn from(e: postgres::Error) -> Self {
        PgError::Db(e)
    }
}

impl PgError {
    /// Whether the server refused the input (bad value, unknown or
    /// duplicate object, missing privilege, unsupported feature, a check of
    /// pggit's own SQL) rather than failing: such errors exit with 2.
    pub fn is_input(&self) -> bool {
        match self {
            PgError::Config(_) => true,
            PgError::Unexpected(_) | PgError::Statement { .. } => false,
            // 55P03 (lock not available) is being busy, not bad input.
            PgError::Db(e) => e.as_db_error().is_some_and(|db| {
                db.code().code() != "55P03"
                    && matches!(
                        &db.code().code()[..2],
                        "22" | "23" | "0A" | "3F" | "42" | "44" | "55" | "P0"
                    )
            }),
        }
    }
}

/// The server's message (with detail and hint) rather than the driver's
/// generic "db error".
pub fn format_db_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {}", db.severity(), db.message());
            if let Some(d) = db.detail() {
                s.push_str(&format!(" (detail: {d})"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!(" (hint: {h})"));
            }
            s
        }
        None => e.to_string(),
    }
}
