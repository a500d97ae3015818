//! `reset --hard` and `revert`: operations that change a workspace's
//! schema and move its branch. The workspace and the repository may be
//! different databases, so the operation is journalled: the intent is
//! recorded first (`pending`), the migration is applied in one transaction,
//! then the ref moves and the journal is cleared. An interrupted run is
//! finished or discarded by looking at which side the workspace matches.

use pggit_core::plan::plan;
use pggit_core::progress::Phase;
use pggit_core::sql::{script, Statement};
use pggit_core::{Id, Tree};
use pggit_pg::store::{self, Commit};
use pggit_pg::workspace;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::repo::{Repository, Signature};

/// Journal entry of an operation in flight.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    op: String,
    from: String,
    to: String,
    /// Applied in several transactions (a migration too big for one): a
    /// workspace found between the two sides is rolled forward.
    #[serde(default)]
    batched: bool,
}

/// A branch move being finished or undone: `branch` (workspace `w`) from
/// `from` to `to` (whose tree is `to_tree`), by operation `op`.
#[derive(Clone, Copy)]
struct Move<'a> {
    branch: &'a str,
    w: &'a pggit_pg::workspace::Workspace,
    from: &'a Commit,
    to: &'a Commit,
    to_tree: &'a Tree,
    op: &'a str,
}

/// What `reset`/`revert` did.
#[derive(Debug, Clone, Serialize)]
pub struct MoveOutcome {
    pub branch: String,
    pub from: String,
    pub to: String,
    pub statements: Vec<Statement>,
    /// Set by `revert`: the new commit.
    pub commit: Option<Commit>,
}

impl Repository {
    /// Bring the current branch and its workspace to `rev`. Uncommitted
    /// changes in the workspace are discarded; destructive steps need
    /// `force`.
    pub fn reset_hard(&mut self, rev: &str, force: bool) -> Result<MoveOutcome> {
        let branch = self.current_branch()?;
        self.with_branch_lock(&branch.clone(), |repo| {
            repo.reset_hard_locked(&branch, rev, force)
        })
    }

    fn reset_hard_locked(&mut self, branch: &str, rev: &str, force: bool) -> Result<MoveOutcome> {
        let branch = branch.to_string();
        self.recover(&branch)?;
        let head = self.branch_ref(&branch)?;
        let target = self.resolve(rev)?;
        let target_tree = self.tree(&target.tree)?;
        let w = self.workspace(&branch)?;
        let mut wc = self.connect_workspace(&w)?;
        let head_tree = self.tree(&head.tree)?;
        let live = self.live_tree(&mut wc, &branch, &head_tree, &head.id)?;
        let statements = plan(&live.tree, &target_tree)?;
        check_destructive(&statements, force)?;
        self.move_branch(&branch, &head, &target, &target_tree, &statements, "reset")?;
        Ok(MoveOutcome {
            branch,
            from: head.id,
            to: target.id,
            statements,
            commit: None,
        })
    }

    /// Record a new commit undoing `rev` on the current branch and apply it
    /// to the workspace.
    pub fn revert(&mut self, rev: &str, force: bool, sig: &Signature) -> Result<MoveOutcome> {
        let branch = self.current_branch()?;
        self.with_branch_lock(&branch.clone(), |repo| {
            repo.revert_locked(&branch, rev, force, sig)
        })
    }

    fn revert_locked(
        &mut self,
        branch: &str,
        rev: &str,
        force: bool,
        sig: &Signature,
    ) -> Result<MoveOutcome> {
        let branch = branch.to_string();
        self.recover(&branch)?;
        let head = self.branch_ref(&branch)?;
        let undo = self.resolve(rev)?;
        let parent = match undo.parents.as_slice() {
            [] => {
                return Err(Error::Refused(format!(
                    "cannot revert the root commit {}",
                    crate::commit::short(&undo.id)
                )))
            }
            [p] => self.commit(p)?,
            _ => {
                return Err(Error::Refused(format!(
                    "{} is a merge commit; pass -m 1 to revert it relative to its first parent",
                    crate::commit::short(&undo.id)
                )))
            }
        };
        let head_tree = self.tree(&head.tree)?;
        self.require_clean(&branch, &head, &head_tree)?;
        let new_tree = self.reverted_tree(&head, &head_tree, &undo, &parent)?;
        let statements = plan(&head_tree, &new_tree)?;
        check_destructive(&statements, force)?;
        let subject = undo.message.lines().next().unwrap_or_default();
        let message = format!("Revert \"{subject}\"\n\nThis reverts commit {}.", undo.id);
        let commit = self.commit_and_apply(
            &branch,
            &head,
            &new_tree,
            message,
            sig,
            &statements,
            "revert",
        )?;
        Ok(MoveOutcome {
            branch,
            from: head.id,
            to: commit.id.clone(),
            statements,
            commit: Some(commit),
        })
    }

    /// `head_tree` with the changes `undo` made relative to `parent` taken
    /// back; refused when later commits changed the same objects, and
    /// "nothing to commit" when it changes nothing.
    pub(crate) fn reverted_tree(
        &mut self,
        head: &Commit,
        head_tree: &Tree,
        undo: &Commit,
        parent: &Commit,
    ) -> Result<Tree> {
        let undo_tree = self.tree(&undo.tree)?;
        let parent_tree = self.tree(&parent.tree)?;
        let new_tree = revert_tree(head_tree, &undo_tree, &parent_tree).map_err(|ids| {
            let names: Vec<String> = ids.iter().map(|id| head_tree.display_name(id)).collect();
            Error::Refused(format!(
                "cannot revert {}: later commits changed {}",
                crate::commit::short(&undo.id),
                names.join(", ")
            ))
        })?;
        if new_tree.hash() == head.tree {
            return Err(Error::NothingToCommit(crate::commit::short(&head.id)));
        }
        Ok(new_tree)
    }

    /// Record `tree` as a new commit on `branch` after `head`, then apply
    /// `statements` to the branch's workspace and move the branch.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn commit_and_apply(
        &mut self,
        branch: &str,
        head: &Commit,
        tree: &Tree,
        message: String,
        sig: &Signature,
        statements: &[Statement],
        op: &str,
    ) -> Result<Commit> {
        let commit = self.new_commit(tree.hash(), head, message, sig)?;
        let mut tx = self.client.transaction()?;
        store::write_tree(&mut tx, tree)?;
        store::write_commit(&mut tx, &commit)?;
        tx.commit()?;
        self.move_branch(branch, head, &commit, tree, statements, op)?;
        Ok(commit)
    }

    /// Journal, apply, move the ref, clear the journal.
    pub(crate) fn move_branch(
        &mut self,
        branch: &str,
        from: &Commit,
        to: &Commit,
        to_tree: &Tree,
        statements: &[Statement],
        op: &str,
    ) -> Result<()> {
        let batched = statements.len() > pggit_pg::apply::BATCH;
        let pending = serde_json::to_value(Pending {
            op: op.to_string(),
            from: from.id.clone(),
            to: to.id.clone(),
            batched,
        })
        .map_err(|e| Error::Refused(e.to_string()))?;
        let mut tx = self.client.transaction()?;
        Repository::lock(&mut tx)?;
        workspace::set_pending(&mut tx, branch, Some(&pending))?;
        tx.commit()?;
        crate::failpoint::hit(&format!("{op}.journalled"));

        let w = self.workspace(branch)?;
        let mut wc = self.connect_workspace(&w)?;
        let phase = Phase::begin(&*self.progress, "applying migration", statements.len());
        let started = std::time::Instant::now();
        let applied = if batched {
            pggit_pg::apply::apply_batched_with(
                &mut wc,
                statements,
                &mut |_| crate::failpoint::hit(&format!("{op}.batch")),
                &*self.progress,
            )
        } else {
            pggit_pg::apply::apply_with(&mut wc, statements, &*self.progress).map_err(|e| (0, e))
        };
        drop(phase);
        self.record_outcome(
            op,
            branch,
            (from, to),
            statements,
            started.elapsed(),
            applied.as_ref().err().map(|(_, e)| e),
        );
        if let Err((done, e)) = applied {
            if done > 0 {
                // Some batches went in: take them back before giving up.
                let from_tree = self.tree(&from.tree)?;
                let live = self.live_tree(&mut wc, branch, to_tree, &to.id)?;
                let back = plan(&live.tree, &from_tree)?;
                if let Err((_, undo)) = pggit_pg::apply::apply_batched(&mut wc, &back) {
                    return Err(Error::Inconsistent(
                        branch.into(),
                        format!("{op} failed ({e}) and undoing its first batches failed too ({undo}); the next command retries"),
                    ));
                }
            }
            self.clear_pending(branch)?;
            return Err(e.into());
        }
        crate::failpoint::hit(&format!("{op}.applied"));
        self.finish(&Move {
            branch,
            w: &w,
            from,
            to,
            to_tree,
            op,
        })
    }

    /// Record what happened to an applied migration, for
    /// `lint --calibration`. Best effort: a repository that cannot take the
    /// record (a role without INSERT on it) loses the record, not the
    /// operation.
    fn record_outcome(
        &mut self,
        op: &str,
        branch: &str,
        (from, to): (&Commit, &Commit),
        statements: &[Statement],
        took: std::time::Duration,
        error: Option<&pggit_pg::PgError>,
    ) {
        if statements.is_empty() {
            return;
        }
        let outcome = pggit_pg::outcomes::Outcome {
            operation: op.to_string(),
            branch: branch.to_string(),
            from_commit: from.id.clone(),
            to_commit: to.id.clone(),
            statements: statements.len(),
            duration_ms: took.as_secs_f64() * 1000.0,
            succeeded: error.is_none(),
            error: error.map(|e| e.to_string()),
            sqlstate: error.and_then(pggit_pg::outcomes::sqlstate),
        };
        let script = pggit_core::sql::script(statements);
        let _ = pggit_pg::outcomes::record(&mut self.client, &outcome, &script);
    }

    fn finish(&mut self, m: &Move<'_>) -> Result<()> {
        let Move {
            branch,
            w,
            from,
            to,
            to_tree,
            op,
        } = *m;
        let mut wc = self.connect_workspace(w)?;
        let live = self.live_tree(&mut wc, branch, to_tree, &to.id)?;
        let mut tx = self.client.transaction()?;
        Repository::lock(&mut tx)?;
        if from.id != to.id
            && !store::cas_ref(
                &mut tx,
                branch,
                &from.id,
                &to.id,
                &format!("{op}: moving to {}", to.id),
            )?
        {
            // Only something outside pggit's branch lock moves a ref under
            // a running operation; take the applied migration back.
            tx.rollback()?;
            return self.undo_apply(m);
        }
        store::write_identities(&mut tx, branch, Some(&live.known), &live.map)?;
        workspace::set_ddl_seen(&mut tx, branch, live.ddl_high)?;
        workspace::set_pending(&mut tx, branch, None)?;
        crate::failpoint::hit(&format!("{op}.moving"));
        tx.commit()?;
        Ok(())
    }

    /// The branch moved under an applied migration: migrate the workspace
    /// back to `from` and clear the journal. If that fails too the journal
    /// stays, and the next command retries the recovery.
    fn undo_apply(&mut self, m: &Move<'_>) -> Result<()> {
        let Move {
            branch,
            w,
            from,
            to,
            to_tree,
            op,
        } = *m;
        let from_tree = self.tree(&from.tree)?;
        let mut wc = self.connect_workspace(w)?;
        let live = self.live_tree(&mut wc, branch, to_tree, &to.id)?;
        let back = plan(&live.tree, &from_tree)?;
        if let Err((_, e)) = pggit_pg::apply::apply_batched(&mut wc, &back) {
            return Err(Error::Inconsistent(
                branch.into(),
                format!(
                    "the branch moved during {op} and undoing the applied migration failed: {e}"
                ),
            ));
        }
        self.clear_pending(branch)?;
        Err(Error::Busy(format!(
            "branch '{branch}' was moved by something outside pggit during {op}; the {op} was undone"
        )))
    }

    /// Finish or discard an operation interrupted on `branch`. Only an
    /// operation whose owner is gone is settled: if another live session
    /// holds the branch lock, its operation is still running and is left
    /// alone (this session holding the lock itself is fine: the lock is
    /// re-entrant, and an operation recovers before it starts).
    pub fn recover(&mut self, branch: &str) -> Result<()> {
        let Some(w) = workspace::get(&mut self.client, branch)? else {
            return Ok(());
        };
        // A workspace being built journals no branch move.
        if w.pending.is_none() || w.state != "ready" {
            return Ok(());
        }
        if !self.try_branch_lock(branch)? {
            return Ok(());
        }
        let out = self.recover_locked(branch);
        self.release_branch(branch)?;
        out
    }

    fn recover_locked(&mut self, branch: &str) -> Result<()> {
        // Re-read under the lock: the owner may have finished meanwhile.
        let Some(w) = workspace::get(&mut self.client, branch)? else {
            return Ok(());
        };
        let Some(p) = w.pending.clone() else {
            return Ok(());
        };
        let p: Pending = serde_json::from_value(p)
            .map_err(|e| Error::Inconsistent(branch.into(), e.to_string()))?;
        let from = store::read_commit(&mut self.client, &p.from)?;
        let to = store::read_commit(&mut self.client, &p.to)?;
        let mut wc = self.connect_workspace(&w)?;
        if let (Some(from), Some(to)) = (&from, &to) {
            let to_tree = self.tree(&to.tree)?;
            let live = self.live_tree(&mut wc, branch, &to_tree, &to.id)?;
            if live.tree.hash() == to.tree {
                return self.finish(&Move {
                    branch,
                    w: &w,
                    from,
                    to,
                    to_tree: &to_tree,
                    op: &p.op,
                });
            }
        }
        // Stopped between batches: finish the move it had begun.
        if let (true, Some(from), Some(to)) = (p.batched, &from, &to) {
            let to_tree = self.tree(&to.tree)?;
            let live = self.live_tree(&mut wc, branch, &to_tree, &to.id)?;
            let rest = plan(&live.tree, &to_tree)?;
            match pggit_pg::apply::apply_batched(&mut wc, &rest) {
                Ok(()) => {
                    return self.finish(&Move {
                        branch,
                        w: &w,
                        from,
                        to,
                        to_tree: &to_tree,
                        op: &p.op,
                    })
                }
                // It cannot be finished (a statement fails every time):
                // take it back instead, so the branch is usable again.
                Err((_, forward)) => {
                    let from_tree = self.tree(&from.tree)?;
                    let live = self.live_tree(&mut wc, branch, &to_tree, &to.id)?;
                    let back = plan(&live.tree, &from_tree)?;
                    if let Err((_, undo)) = pggit_pg::apply::apply_batched(&mut wc, &back) {
                        return Err(Error::Inconsistent(
                            branch.into(),
                            format!("an interrupted {} can be neither finished ({forward}) nor undone ({undo})", p.op),
                        ));
                    }
                }
            }
        }
        // The migration did not get applied (it runs in one transaction):
        // the workspace is as it was, with or without the uncommitted
        // changes a reset was to discard. Either way the operation did not
        // happen; a journal naming a commit that no longer exists (an
        // interrupted merge cleaned it up) did not happen either.
        self.clear_pending(branch)
    }

    fn clear_pending(&mut self, branch: &str) -> Result<()> {
        let mut tx = self.client.transaction()?;
        workspace::set_pending(&mut tx, branch, None)?;
        tx.commit()?;
        Ok(())
    }
}

fn check_destructive(statements: &[Statement], force: bool) -> Result<()> {
    let destructive: Vec<Statement> = statements
        .iter()
        .filter(|s| s.destructive)
        .cloned()
        .collect();
    if !destructive.is_empty() && !force {
        return Err(Error::NeedsForce(script(&destructive)));
    }
    Ok(())
}

/// Apply the inverse of `undo` (relative to `parent`) on top of `head`.
/// Objects changed since `undo` are conflicts.
fn revert_tree(head: &Tree, undo: &Tree, parent: &Tree) -> std::result::Result<Tree, Vec<Id>> {
    let mut out = head.clone();
    let mut conflicts = Vec::new();
    let ids: std::collections::BTreeSet<&Id> =
        undo.entries.keys().chain(parent.entries.keys()).collect();
    for id in ids {
        let (u, p, h) = (
            undo.entries.get(id),
            parent.entries.get(id),
            head.entries.get(id),
        );
        if u == p || h == p {
            continue;
        }
        if h != u {
            conflicts.push(id.clone());
            continue;
        }
        match p {
            Some(e) => {
                out.entries.insert(id.clone(), e.clone());
            }
            None => {
                out.entries.remove(id);
            }
        }
    }
    if conflicts.is_empty() {
        Ok(out)
    } else {
        Err(conflicts)
    }
}

#[cfg(test)]
mod tests {
    use super::revert_tree;
    use pggit_core::model::Object;
    use pggit_core::{Entry, Tree};

    fn tree(items: &[(&str, &str)]) -> Tree {
        let mut t = Tree::default();
        for (id, name) in items {
            t.entries.insert(
                id.to_string(),
                std::sync::Arc::new(Entry {
                    object: Object::Schema {
                        name: name.to_string(),
                        comment: None,
                    },
                    deps: vec![],
                }),
            );
        }
        t
    }

    #[test]
    fn reverts_and_detects_conflicts() {
        let parent = tree(&[("a", "a")]);
        let undo = tree(&[("a", "a"), ("b", "b")]);
        let head = tree(&[("a", "a2"), ("b", "b")]);
        assert_eq!(
            revert_tree(&head, &undo, &parent).unwrap(),
            tree(&[("a", "a2")])
        );
        let head2 = tree(&[("a", "a"), ("b", "b2")]);
        assert_eq!(
            revert_tree(&head2, &undo, &parent).unwrap_err(),
            vec!["b".to_string()]
        );
    }
}
