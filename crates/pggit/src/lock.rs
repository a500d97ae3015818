//! The per-branch operation lock.
//!
//! Every operation that moves a branch or changes its workspace (commit,
//! reset, revert, cherry-pick, merge and its `--continue`/`--abort`,
//! building a workspace, deleting a branch) holds the branch's lock for its
//! whole duration: a session-level advisory lock on the repository
//! database, so it is released by the server when the process dies. That is
//! what tells a live operation from an interrupted one: recovery settles a
//! journal entry only when it can take the lock, i.e. when no live session
//! owns the operation. Advisory session locks are re-entrant, so an
//! operation that already holds the lock may recover, or nest another
//! locked step, freely.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::repo::Repository;

/// First key of pggit's two-part advisory locks ("pgit"); the second is a
/// hash of the branch name. Two-part keys never collide with the one-part
/// keys pggit uses elsewhere.
const BRANCH_CLASS: i32 = 0x7067_6974;

/// First key of scratch-database locks ("pgis"); the second is a hash of
/// the database name.
const SCRATCH_CLASS: i32 = 0x7067_6973;

/// The advisory locks pggit takes in the repository database.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key<'a> {
    /// Held by every operation on a branch for its whole duration.
    Branch(&'a str),
    /// Held by a merge's scratch database's owner.
    Scratch(&'a str),
    /// One merge process per target branch.
    Merge(&'a str),
}

impl<'a> Key<'a> {
    /// `SELECT f(key)` with the name as `$1`. The constants are pggit's.
    fn sql(self, f: &str) -> String {
        match self {
            Key::Branch(_) => format!("SELECT {f}({BRANCH_CLASS}, hashtext($1))"),
            Key::Scratch(_) => format!("SELECT {f}({SCRATCH_CLASS}, hashtext($1))"),
            Key::Merge(_) => format!("SELECT {f}(hashtextextended('pggit merge ' || $1, 0))"),
        }
    }

    fn name(self) -> &'a str {
        match self {
            Key::Branch(n) | Key::Scratch(n) | Key::Merge(n) => n,
        }
    }
}

/// How long an operation waits for another one on the same branch before
/// giving up: `PGGIT_LOCK_WAIT` (seconds), default 120.
pub(crate) fn default_lock_wait() -> Duration {
    std::env::var("PGGIT_LOCK_WAIT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(120))
}

impl Repository {
    /// How long operations wait for another operation on their branch
    /// (default: `PGGIT_LOCK_WAIT` seconds, else 120 s).
    pub fn set_lock_wait(&mut self, wait: Duration) {
        self.lock_wait = wait;
    }

    /// Run `f` holding `branch`'s operation lock, waiting (bounded) for an
    /// operation of another session to finish first.
    pub(crate) fn with_branch_lock<T>(
        &mut self,
        branch: &str,
        f: impl FnOnce(&mut Repository) -> Result<T>,
    ) -> Result<T> {
        self.acquire_branch(branch)?;
        let out = f(self);
        // On a broken connection the server has released the lock already.
        let _ = self.release_branch(branch);
        out
    }

    fn acquire_branch(&mut self, branch: &str) -> Result<()> {
        let wait = self.lock_wait;
        let mut tx = self.client.transaction()?;
        tx.execute(
            "SELECT set_config('lock_timeout', $1, true)",
            &[&format!("{}ms", wait.as_millis().max(1))],
        )?;
        match tx.execute(&Key::Branch(branch).sql("pg_advisory_lock"), &[&branch]) {
            Ok(_) => {
                tx.commit()?;
                Ok(())
            }
            Err(e) if e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE) => {
                drop(tx);
                let holder = self.branch_lock_holder(branch)?;
                Err(Error::Busy(format!(
                    "branch '{branch}' is busy: another pggit operation{} has held it for over {}s (set PGGIT_LOCK_WAIT to wait longer)",
                    holder.map(|p| format!(" (server pid {p})")).unwrap_or_default(),
                    wait.as_secs()
                )))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Take a lock only if no other session holds it. Re-entrant: true
    /// when this session already holds it. A `true` must be paired with
    /// [`Repository::unlock`].
    pub(crate) fn try_lock(&mut self, key: Key<'_>) -> Result<bool> {
        Ok(self
            .client
            .query_one(&key.sql("pg_try_advisory_lock"), &[&key.name()])?
            .get(0))
    }

    /// Wait for a lock (under the session's `lock_timeout`).
    pub(crate) fn lock_key(&mut self, key: Key<'_>) -> Result<()> {
        self.client
            .execute(&key.sql("pg_advisory_lock"), &[&key.name()])?;
        Ok(())
    }

    pub(crate) fn unlock(&mut self, key: Key<'_>) -> Result<()> {
        self.client
            .execute(&key.sql("pg_advisory_unlock"), &[&key.name()])?;
        Ok(())
    }

    /// Whether no other session holds a lock (holding it oneself counts as
    /// free: the locks are re-entrant).
    pub(crate) fn lock_free(&mut self, key: Key<'_>) -> Result<bool> {
        let got = self.try_lock(key)?;
        if got {
            self.unlock(key)?;
        }
        Ok(got)
    }

    pub(crate) fn try_branch_lock(&mut self, branch: &str) -> Result<bool> {
        self.try_lock(Key::Branch(branch))
    }

    pub(crate) fn release_branch(&mut self, branch: &str) -> Result<()> {
        self.unlock(Key::Branch(branch))
    }

    /// The server pid of a session holding `branch`'s lock, if any.
    fn branch_lock_holder(&mut self, branch: &str) -> Result<Option<i32>> {
        Ok(self
            .client
            .query_opt(
                "SELECT l.pid FROM pg_locks l
                  WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND l.classid::int8 = ($1::int4::int8 & 4294967295)
                    AND l.objid::int8 = (hashtext($2)::int8 & 4294967295)
                  LIMIT 1",
                &[&BRANCH_CLASS, &branch],
            )?
            .map(|r| r.get(0)))
    }
}
