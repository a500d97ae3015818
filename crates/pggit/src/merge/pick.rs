//! `cherry-pick` (a commit's changes merged onto the current branch) and
//! `revert -m N` of a merge commit, which lists the data it would destroy.

use pggit_core::merge::{self as core_merge, Options};
use pggit_core::plan::plan;
use pggit_core::sql::{self, Statement};
use pggit_core::{Object, Tree};
use pggit_pg::merges;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::repo::{Repository, Signature};

/// What `cherry-pick` or `revert -m` did.
#[derive(Debug, Clone, Serialize)]
pub struct PickOutcome {
    pub branch: String,
    pub from: String,
    pub commit: String,
    pub statements: Vec<Statement>,
    /// For a revert: rows and values the revert destroyed (with --force).
    pub data_loss: Vec<String>,
    /// For a revert of a recorded merge: its id, now rolled back.
    pub merge_id: Option<i64>,
}

impl Repository {
    /// Apply the changes `rev` made (relative to its only parent) to the
    /// current branch as a new commit.
    pub fn cherry_pick(&mut self, rev: &str, sig: &Signature) -> Result<PickOutcome> {
        let branch = self.current_branch()?;
        self.with_branch_lock(&branch.clone(), |repo| {
            repo.cherry_pick_locked(&branch, rev, sig)
        })
    }

    fn cherry_pick_locked(
        &mut self,
        branch: &str,
        rev: &str,
        sig: &Signature,
    ) -> Result<PickOutcome> {
        let branch = branch.to_string();
        self.recover(&branch)?;
        let head = self.branch_ref(&branch)?;
        let pick = self.resolve(rev)?;
        let parent = match pick.parents.as_slice() {
            [p] => self.commit(p)?,
            [] => return Err(Error::Refused("cannot cherry-pick a root commit".into())),
            _ => {
                return Err(Error::Refused(
                    "cannot cherry-pick a merge commit; merge the branch instead".into(),
                ))
            }
        };
        let head_tree = self.tree(&head.tree)?;
        self.require_clean(&branch, &head, &head_tree)?;
        let parent_tree = self.tree(&parent.tree)?;
        let pick_tree = self.tree(&pick.tree)?;
        let merged = core_merge::merge(&parent_tree, &head_tree, &pick_tree, &Options::default());
        if !merged.is_clean() {
            let list: Vec<String> = merged
                .unresolved()
                .map(|c| format!("  {} {} {}", c.kind.as_str(), c.object, c.part))
                .collect();
            return Err(Error::Refused(format!(
                "cherry-pick of {} conflicts with '{branch}':\n{}",
                crate::commit::short(&pick.id),
                list.join("\n")
            )));
        }
        if merged.tree.hash() == head.tree {
            return Err(Error::NothingToCommit(crate::commit::short(&head.id)));
        }
        if let super::Validity::Fails { message, .. } =
            self.check_builds(&head_tree, &merged.tree)?
        {
            return Err(Error::Refused(format!(
                "cherry-pick of {} would not build on '{branch}': {message}",
                crate::commit::short(&pick.id)
            )));
        }
        let statements = plan(&head_tree, &merged.tree)?;
        let message = format!(
            "{}\n\n(cherry picked from commit {})",
            pick.message.trim_end(),
            pick.id
        );
        let commit = self.commit_and_apply(
            &branch,
            &head,
            &merged.tree,
            message,
            sig,
            &statements,
            "cherry-pick",
        )?;
        Ok(PickOutcome {
            branch,
            from: head.id,
            commit: commit.id,
            statements,
            data_loss: Vec::new(),
            merge_id: None,
        })
    }

    /// Undo a merge commit relative to its parent number `mainline` (1: the
    /// branch merged into). Refused without `force` when the revert would
    /// drop tables or columns that hold data; the error lists them.
    pub fn revert_merge(
        &mut self,
        rev: &str,
        mainline: usize,
        force: bool,
        sig: &Signature,
    ) -> Result<PickOutcome> {
        let branch = self.current_branch()?;
        self.with_branch_lock(&branch.clone(), |repo| {
            repo.revert_merge_locked(&branch, rev, mainline, force, sig)
        })
    }

    fn revert_merge_locked(
        &mut self,
        branch: &str,
        rev: &str,
        mainline: usize,
        force: bool,
        sig: &Signature,
    ) -> Result<PickOutcome> {
        let branch = branch.to_string();
        self.recover(&branch)?;
        let head = self.branch_ref(&branch)?;
        let undo = self.resolve(rev)?;
        if undo.parents.len() < 2 {
            return Err(Error::Refused(format!(
                "{} is not a merge commit; revert it without -m",
                crate::commit::short(&undo.id)
            )));
        }
        let parent_id = undo
            .parents
            .get(mainline.wrapping_sub(1))
            .cloned()
            .ok_or_else(|| {
                Error::Refused(format!(
                    "-m {mainline}: the merge has {} parents",
                    undo.parents.len()
                ))
            })?;
        let parent = self.commit(&parent_id)?;
        let head_tree = self.tree(&head.tree)?;
        self.require_clean(&branch, &head, &head_tree)?;
        let new_tree = self.reverted_tree(&head, &head_tree, &undo, &parent)?;
        let data_loss = self.data_loss(&branch, &head_tree, &new_tree)?;
        let fails = self.would_fail(&branch, &head_tree, &new_tree)?;
        if !fails.is_empty() {
            return Err(Error::WouldFail(fails.join("\n")));
        }
        if !data_loss.is_empty() && !force {
            return Err(Error::DataLoss(data_loss.join("\n")));
        }
        let statements = plan(&head_tree, &new_tree)?;
        let subject = undo.message.lines().next().unwrap_or_default();
        let message = format!(
            "Revert \"{subject}\"\n\nThis reverts merge commit {} relative to parent {mainline}.",
            undo.id
        );
        let commit = self.commit_and_apply(
            &branch,
            &head,
            &new_tree,
            message,
            sig,
            &statements,
            "revert",
        )?;
        let merge_id = match merges::by_result(&mut self.client, &undo.id)? {
            Some(m) => {
                let mut tx = self.client.transaction()?;
                merges::mark_rolled_back(&mut tx, m.id, &commit.id)?;
                tx.commit()?;
                Some(m.id)
            }
            None => None,
        };
        Ok(PickOutcome {
            branch,
            from: head.id,
            commit: commit.id,
            statements,
            data_loss,
            merge_id,
        })
    }

    /// Steps of `from` → `to` that would fail on the rows the branch's
    /// workspace holds (a NOT NULL column added without a default to a
    /// table with rows, a new unique key over duplicates, a new check the
    /// rows violate), with exact counts. Nothing can force these through.
    pub(crate) fn would_fail(
        &mut self,
        branch: &str,
        from: &Tree,
        to: &Tree,
    ) -> Result<Vec<String>> {
        let checks = pggit_core::preflight::checks(from, to);
        if checks.is_empty() {
            return Ok(Vec::new());
        }
        let w = self.workspace(branch)?;
        let mut wc = self.connect_workspace(&w)?;
        Ok(pggit_pg::checks::count_failing(&mut wc, &checks)?
            .into_iter()
            .map(|(what, n)| format!("{what}: {n} existing row(s) fail it"))
            .collect())
    }

    /// Tables and columns present in `from` but not in `to` that hold data
    /// in the branch's workspace, with exact row / value counts.
    pub(crate) fn data_loss(
        &mut self,
        branch: &str,
        from: &Tree,
        to: &Tree,
    ) -> Result<Vec<String>> {
        let w = self.workspace(branch)?;
        let mut wc = self.connect_workspace(&w)?;
        let mut out = Vec::new();
        for (id, e) in &from.entries {
            let Object::Table(t) = &e.object else {
                continue;
            };
            let q = sql::qname(&t.schema, &t.name);
            match to.get(id) {
                None => {
                    let n: i64 = wc
                        .query_one(&format!("SELECT count(*) FROM {q}"), &[])?
                        .get(0);
                    if n > 0 {
                        out.push(format!("table {}.{}: {n} row(s)", t.schema, t.name));
                    }
                }
                Some(Object::Table(nt)) => {
                    for c in t
                        .columns
                        .iter()
                        .filter(|c| !nt.columns.iter().any(|x| x.id == c.id))
                    {
                        let n: i64 = wc
                            .query_one(
                                &format!(
                                    "SELECT count(*) FROM {q} WHERE {} IS NOT NULL",
                                    sql::ident(&c.name)
                                ),
                                &[],
                            )?
                            .get(0);
                        if n > 0 {
                            out.push(format!(
                                "column {}.{}.{}: {n} non-null value(s)",
                                t.schema, t.name, c.name
                            ));
                        }
                    }
                }
                Some(_) => {}
            }
        }
        Ok(out)
    }
}
