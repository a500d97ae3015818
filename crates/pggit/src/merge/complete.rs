//! Completing a merge: re-run with the recorded decisions, check the
//! result on a scratch database, check for data loss, write the merge
//! commit, apply to the target and move its branch.

use std::collections::BTreeMap;

use pggit_core::merge::{self as core_merge, Choice, Classification, Key, Side};
use pggit_core::plan::plan;
use pggit_core::sql::{script, Statement};
use pggit_core::Tree;
use pggit_pg::merges::{self, ConflictRecord, MergeRecord, Update};
use pggit_pg::store::{self, Commit};
use pggit_pg::workspace;

use super::validate::Validity;
use super::{counts, MergeOutcome, Strategy};
use crate::error::{Error, Result};
use crate::repo::{timestamp, Repository, Signature};

/// What a merge combines, as recorded.
pub(super) struct Sides {
    pub rec: MergeRecord,
    pub head: Commit,
    pub source: Commit,
    pub head_tree: Tree,
    pub source_tree: Tree,
}

impl Repository {
    /// Re-run an open merge with its recorded decisions and, when nothing
    /// is left open, check and apply it.
    pub(super) fn complete(
        &mut self,
        id: i64,
        out: &mut MergeOutcome,
        force: bool,
        sig: &Signature,
    ) -> Result<()> {
        let rec = merges::get(&mut self.client, id)?
            .ok_or_else(|| Error::Refused(format!("no merge #{id}")))?;
        let strategy = Strategy::parse(&rec.strategy)?;
        let head = self.commit(&rec.target_commit)?;
        let source = self.commit(&rec.source_commit)?;
        let head_tree = self.tree(&head.tree)?;
        let source_tree = self.tree(&source.tree)?;
        let base = self.base_tree(&rec.base_commits)?;
        let rows = merges::conflicts(&mut self.client, id)?;
        let mut resolutions = BTreeMap::new();
        let mut customs = Vec::new();
        for r in &rows {
            let key = Key::new(&r.object_id, &r.part);
            match r.resolution.as_deref() {
                Some("ours") => resolutions.insert(key, Choice::Side(Side::Target)),
                Some("theirs") => resolutions.insert(key, Choice::Side(Side::Source)),
                Some("base") => resolutions.insert(key, Choice::Side(Side::Base)),
                Some("custom") => {
                    customs.push((
                        r.object_id.clone(),
                        r.custom_sql.clone().unwrap_or_default(),
                    ));
                    None
                }
                _ => None,
            };
        }
        let mut merged = core_merge::merge(
            &base,
            &head_tree,
            &source_tree,
            &strategy.options(resolutions.clone()),
        );
        if !customs.is_empty() {
            let entries = match self.materialize(&merged.tree, &customs) {
                Ok(e) => e,
                Err(e) => {
                    // Hand the decision back rather than leave the merge stuck.
                    let msg = e.to_string();
                    let mut tx = self.client.transaction()?;
                    merges::reopen_custom(&mut tx, id, &msg)?;
                    tx.commit()?;
                    self.set_status(id, "conflicted", Some(&msg))?;
                    return Err(e);
                }
            };
            for (id, e) in entries {
                resolutions.insert(Key::new(&id, ""), Choice::Custom(e));
            }
            merged = core_merge::merge(
                &base,
                &head_tree,
                &source_tree,
                &strategy.options(resolutions),
            );
        }
        self.record_conflicts(id, &merged.conflicts)?;
        let sides = Sides {
            rec,
            head,
            source,
            head_tree,
            source_tree,
        };
        self.finish_merge(id, &sides, merged, &rows, out, force, sig)
    }

    /// Given the merge result: stop on open conflicts, check validity and
    /// data loss, then write the merge commit and apply it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn finish_merge(
        &mut self,
        id: i64,
        sides: &Sides,
        merged: core_merge::Merge,
        rows: &[ConflictRecord],
        out: &mut MergeOutcome,
        force: bool,
        sig: &Signature,
    ) -> Result<()> {
        let Sides {
            rec,
            head,
            source,
            head_tree,
            source_tree,
        } = sides;
        out.changes = counts(&merged.changes);
        let open: Vec<_> = merged
            .unresolved()
            .filter(|c| {
                !rows.iter().any(|r| {
                    r.object_id == c.key.id && r.part == c.key.part && r.resolution.is_some()
                })
            })
            .cloned()
            .collect();
        out.conflicts = merged.conflicts.clone();
        if !open.is_empty() {
            self.set_status(id, "conflicted", None)?;
            out.status = "conflicted".into();
            return Ok(());
        }
        if let Validity::Fails {
            id: object,
            message,
        } = self.check_builds(head_tree, &merged.tree)?
        {
            let oid = object.unwrap_or_else(|| "*".into());
            // The object as the merged tree has it, or as the target had it
            // (a failing drop).
            let holder = [&merged.tree, head_tree]
                .into_iter()
                .find(|t| t.entries.contains_key(&oid));
            let (name, kind) = match holder.and_then(|t| t.get(&oid).map(|o| (t, o))) {
                Some((t, o)) => (t.display_name(&oid), o.kind_name().to_string()),
                None => ("(merged schema)".to_string(), "schema".to_string()),
            };
            let c = core_merge::Conflict {
                key: Key::validity(&oid),
                kind: Classification::InvalidResult,
                object: name,
                object_type: kind,
                part: "validity".into(),
                severity: core_merge::Severity::High,
                base: None,
                target: pggit_core::merge::unit_value(head_tree, &Key::new(&oid, "")),
                source: pggit_core::merge::unit_value(source_tree, &Key::new(&oid, "")),
                message: Some(message.clone()),
                resolution: None,
            };
            self.reopen_validity(id, &c)?;
            out.conflicts.push(c);
            out.invalid = Some(message);
            self.set_status(id, "conflicted", None)?;
            out.status = "conflicted".into();
            return Ok(());
        }
        out.would_fail = self.would_fail(&rec.target, head_tree, &merged.tree)?;
        if !out.would_fail.is_empty() {
            // The merge stays open: fix the rows, then `--continue`.
            let list = out.would_fail.join("\n");
            self.set_status(
                id,
                "in-progress",
                Some(&format!("would fail on existing rows:\n{list}")),
            )?;
            return Err(Error::WouldFail(list));
        }
        out.data_loss = self.data_loss(&rec.target, head_tree, &merged.tree)?;
        if !out.data_loss.is_empty() && !force {
            // The merge stays open: `--continue --force` accepts the loss.
            let list = out.data_loss.join("\n");
            self.set_status(
                id,
                "in-progress",
                Some(&format!("would destroy data:\n{list}")),
            )?;
            return Err(Error::DataLoss(list));
        }
        let statements = plan(head_tree, &merged.tree)?;
        let tree_hash = merged.tree.hash();
        let squash = rec.mode == "squash";
        let message = rec.message.clone().unwrap_or_else(|| {
            if squash {
                format!("Squashed merge of '{}' into '{}'", rec.source, rec.target)
            } else {
                format!("Merge '{}' into '{}'", rec.source, rec.target)
            }
        });
        let parents: Vec<&Commit> = if squash {
            vec![&head]
        } else {
            vec![&head, &source]
        };
        let commit = self.merge_commit(tree_hash, &parents, message, sig)?;
        let mut tx = self.client.transaction()?;
        store::write_tree(&mut tx, &merged.tree)?;
        store::write_commit(&mut tx, &commit)?;
        tx.commit()?;
        self.apply_and_move(id, &rec.target, head, &commit, &merged.tree, &statements)?;
        out.statements = statements;
        out.commit = Some(commit.id);
        out.status = "completed".into();
        Ok(())
    }

    /// Record (or re-open) the validity conflict of an object.
    fn reopen_validity(&mut self, id: i64, c: &core_merge::Conflict) -> Result<()> {
        let mut tx = self.client.transaction()?;
        tx.execute(
            "UPDATE pggit.merge_conflicts SET resolution = NULL, resolved_by = NULL, resolved_at = NULL,
                    custom_sql = NULL, message = $4, created_at = clock_timestamp()
              WHERE merge_id = $1 AND object_id = $2 AND part = $3",
            &[&id, &c.key.id, &c.key.part, &c.message],
        )?;
        tx.commit()?;
        self.record_conflicts(id, std::slice::from_ref(c))?;
        Ok(())
    }

    /// Apply the migration to the target's workspace and move its branch;
    /// on failure the merge stays open with the error and nothing changed.
    pub(super) fn apply_and_move(
        &mut self,
        id: i64,
        target: &str,
        head: &Commit,
        to: &Commit,
        to_tree: &Tree,
        statements: &[Statement],
    ) -> Result<()> {
        if let Err(e) = self.move_branch(target, head, to, to_tree, statements, "merge") {
            let msg = e.to_string();
            // A journal entry still naming the commit is finished by the
            // next command; the commit must stay for it.
            let journalled =
                workspace::get(&mut self.client, target)?.is_some_and(|w| w.pending.is_some());
            if journalled {
                return Err(e);
            }
            let _ = self.client.execute(
                "DELETE FROM pggit.commits c WHERE c.id = $1 AND $1 <> $2
                   AND NOT EXISTS (SELECT FROM pggit.refs r WHERE r.commit = c.id)
                   AND NOT EXISTS (SELECT FROM pggit.commits k WHERE c.id = ANY (k.parents))",
                &[&to.id, &head.id],
            );
            self.set_status(id, "in-progress", Some(&msg))?;
            return Err(e);
        }
        crate::failpoint::hit("merge.moved");
        let mut tx = self.client.transaction()?;
        merges::update(
            &mut tx,
            id,
            &Update {
                status: "completed",
                error: None,
                migration: Some(&script(statements)),
                result_commit: Some(&to.id),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A commit with several parents (or one, for squash).
    fn merge_commit(
        &mut self,
        tree: String,
        parents: &[&Commit],
        message: String,
        sig: &Signature,
    ) -> Result<Commit> {
        sig.check()?;
        let committer = self.role()?;
        let author = sig.author.clone().unwrap_or_else(|| committer.clone());
        let at = timestamp(sig);
        let ids: Vec<String> = parents.iter().map(|p| p.id.clone()).collect();
        Ok(Commit {
            id: Commit::compute_id(&tree, &ids, &author, &committer, &message, &at, &at),
            tree,
            generation: parents.iter().map(|p| p.generation).max().unwrap_or(0) + 1,
            parents: ids,
            author,
            committer,
            message,
            authored_at: at.clone(),
            committed_at: at,
        })
    }
}
