//! Errors of porcelain operations, with the exit code each maps to.

use pggit_core::plan::PlanError;
use pggit_pg::PgError;
use thiserror::Error;

/// What went wrong in a repository operation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Pg(#[from] PgError),
    #[error("database \"{0}\" is not a pggit repository (run `pggit init` first)")]
    NotARepository(String),
    #[error("database \"{0}\" is already a pggit repository")]
    AlreadyInitialized(String),
    #[error("repository schema version {found} is newer than this pggit supports ({supported}); upgrade pggit")]
    TooNew { found: i32, supported: i32 },
    #[error("PostgreSQL {0} is not supported: pggit needs PostgreSQL 13 or later")]
    ServerTooOld(String),
    #[error("unknown revision '{0}'")]
    UnknownRevision(String),
    #[error("ambiguous revision '{0}': several commits start with it")]
    AmbiguousRevision(String),
    #[error("invalid {what} name '{name}': {why}")]
    InvalidName {
        what: &'static str,
        name: String,
        why: &'static str,
    },
    #[error("a branch or tag named '{0}' already exists")]
    RefExists(String),
    #[error("no branch named '{0}'")]
    NoSuchBranch(String),
    #[error("no tag named '{0}'")]
    NoSuchTag(String),
    #[error("no object named '{0}' in {1}")]
    NoSuchObject(String, String),
    #[error("{0}")]
    Refused(String),
    #[error("nothing to commit, workspace matches {0}")]
    NothingToCommit(String),
    #[error("cannot plan the migration: {0}")]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Busy(String),
    #[error("branch '{0}' kept moving under concurrent commits; gave up after {1} attempts")]
    Contended(String, u32),
    #[error("the migration has destructive steps; re-run with --force to apply them:\n{0}")]
    NeedsForce(String),
    #[error("this would destroy data; re-run with --force to accept losing:\n{0}")]
    DataLoss(String),
    #[error("the migration would fail on rows the target holds; fix the rows (or the change) first:\n{0}")]
    WouldFail(String),
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
    #[error("workspace of branch '{0}' was left mid-operation and matches neither side: {1}")]
    Inconsistent(String, String),
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::Pg(PgError::Db(e))
    }
}

impl crate::repo::Signature {
    /// Refuse a time that is not RFC 3339 (`PGGIT_DATE=notadate`).
    pub fn check(&self) -> Result<()> {
        if let Some(at) = &self.at {
            if chrono::DateTime::parse_from_rfc3339(at).is_err() {
                return Err(Error::Refused(format!(
                    "invalid commit time '{at}': expected RFC 3339, like 2026-01-31T12:00:00Z"
                )));
            }
        }
        Ok(())
    }
}

impl Error {
    /// Documented exit codes: 1 nothing to do, 2 usage or input error,
    /// 3 database error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::NothingToCommit(_) => 1,
            Error::Pg(e) if e.is_input() => 2,
            Error::Pg(_) | Error::Contended(..) | Error::Busy(_) | Error::Inconsistent(..) => 3,
            Error::Output(_) => 4,
            _ => 2,
        }
    }

    /// A stable machine-readable code (`--json` errors, the API to come).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Pg(e) if e.is_input() => "invalid_input",
            Error::Pg(_) => "database_error",
            Error::NotARepository(_) => "not_a_repository",
            Error::AlreadyInitialized(_) => "already_initialized",
            Error::TooNew { .. } | Error::ServerTooOld(_) => "unsupported_version",
            Error::UnknownRevision(_)
            | Error::NoSuchBranch(_)
            | Error::NoSuchTag(_)
            | Error::NoSuchObject(..) => "not_found",
            Error::AmbiguousRevision(_) | Error::InvalidName { .. } => "invalid_input",
            Error::RefExists(_) => "already_exists",
            Error::Refused(_) => "refused",
            Error::NothingToCommit(_) => "nothing_to_do",
            Error::Plan(_) => "cannot_plan",
            Error::Contended(..) | Error::Busy(_) => "busy",
            Error::NeedsForce(_) | Error::DataLoss(_) => "needs_force",
            Error::Inconsistent(..) => "inconsistent",
            Error::Output(_) => "output_error",
            Error::WouldFail(_) => "would_fail",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
