//! Errors of porcelain operations, with the exit code each maps to.

use pggit_core::plan::PlanError;
use pggit_pg::PgError;
use thiserror::Error;

/// What went wrong in a repository operation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{0}")]
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
    #[error("workspace of branch '{0}' was left mid-operation and matches neither side: {1}")]
    Inconsistent(String, String),
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::Pg(PgError::Db(e))
    }
}

impl Error {
    /// Documented exit codes: 1 nothing to do, 2 usage or input error,
    /// 3 database error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::NothingToCommit(_) => 1,
            Error::Pg(_) | Error::Contended(..) | Error::Busy(_) | Error::Inconsistent(..) => 3,
            _ => 2,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
