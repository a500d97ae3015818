//! `pggit merge`: merge a branch into another, with conflicts kept in the
//! repository until they are resolved.
//!
//! Lifecycle: a merge that cannot complete at once is recorded as
//! `conflicted` with one conflict record per unit needing a decision;
//! `--continue` re-runs the (deterministic) merge with the recorded
//! decisions; completion checks the result on a scratch database, then
//! applies the migration to the target's workspace in one transaction and
//! moves the branch by compare-and-swap. Nothing touches the target before
//! completion, so `--abort` only closes the record.

mod complete;
mod conflicts;
mod graph;
mod pick;
mod validate;

use std::collections::BTreeMap;

use pggit_core::merge::{self as core_merge, Choice, Key, Options, Side};
use pggit_core::plan::plan;
use pggit_core::sql::Statement;
use pggit_core::Tree;
use pggit_pg::merges::{self, MergeRecord, NewConflict, NewMerge, Update};
use pggit_pg::store::{self, Commit};
use serde::Serialize;

pub use conflicts::{ConflictFilter, Resolution, ResolveOutcome, Stats};
pub use pick::PickOutcome;
use validate::Validity;

use crate::error::{Error, Result};
use crate::lock::Key as LockKey;
use crate::repo::{Repository, Signature};

/// How conflicts are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Clean changes merge; conflicts stop the merge for review.
    Auto,
    /// Conflicts are settled with the target's version.
    Ours,
    /// Conflicts are settled with the source's version.
    Theirs,
    /// Like auto, and non-overlapping changes inside lists merge too.
    Union,
    /// Every change needs a decision.
    Manual,
    /// Any conflict aborts the merge.
    AbortOnConflict,
}

impl Strategy {
    pub fn parse(s: &str) -> Result<Strategy> {
        Ok(match s {
            "auto" => Strategy::Auto,
            "ours" => Strategy::Ours,
            "theirs" => Strategy::Theirs,
            "union" => Strategy::Union,
            "manual" => Strategy::Manual,
            "abort-on-conflict" => Strategy::AbortOnConflict,
            other => {
                return Err(Error::Refused(format!(
                    "unknown strategy '{other}' (expected auto, ours, theirs, union, manual or abort-on-conflict)"
                )))
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Auto => "auto",
            Strategy::Ours => "ours",
            Strategy::Theirs => "theirs",
            Strategy::Union => "union",
            Strategy::Manual => "manual",
            Strategy::AbortOnConflict => "abort-on-conflict",
        }
    }

    fn options(self, resolutions: BTreeMap<Key, Choice>) -> Options {
        Options {
            union: self == Strategy::Union,
            manual: self == Strategy::Manual,
            default_side: match self {
                Strategy::Ours => Some(Side::Target),
                Strategy::Theirs => Some(Side::Source),
                _ => None,
            },
            resolutions,
        }
    }
}

/// Fast-forward policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FastForward {
    /// Fast-forward when possible.
    #[default]
    Allow,
    /// Always record a merge commit.
    Never,
    /// Refuse unless a fast-forward is possible.
    Only,
}

/// What `pggit merge SOURCE` is asked to do.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    pub source: String,
    pub into: Option<String>,
    pub strategy: Strategy,
    pub dry_run: bool,
    pub fast_forward: FastForward,
    pub squash: bool,
    pub message: Option<String>,
    pub signature: Signature,
    /// Apply even when the merge drops tables or columns that hold data in
    /// the target.
    pub force: bool,
}

/// Counts of changed units by classification.
pub type Counts = BTreeMap<String, usize>;

/// What a merge did (or, for a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct MergeOutcome {
    pub merge_id: Option<i64>,
    /// `up-to-date`, `fast-forward`, `completed`, `conflicted`, `aborted`
    /// or `dry-run`.
    pub status: String,
    pub source: String,
    pub target: String,
    pub bases: Vec<String>,
    pub strategy: String,
    pub mode: String,
    pub commit: Option<String>,
    /// Changed units by classification.
    pub changes: Counts,
    /// Units needing a decision (open or settled by the strategy).
    pub conflicts: Vec<core_merge::Conflict>,
    pub statements: Vec<Statement>,
    /// Why the result does not build, when it does not.
    pub invalid: Option<String>,
    /// Data in the target that the merge drops (tables with rows, columns
    /// with values), exactly counted.
    pub data_loss: Vec<String>,
    /// Steps that would fail on the target's rows, with counts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub would_fail: Vec<String>,
}

fn counts(changes: &[core_merge::Change]) -> Counts {
    let mut c = Counts::new();
    for ch in changes {
        *c.entry(ch.kind.as_str().to_string()).or_default() += 1;
    }
    c
}

impl Repository {
    /// `pggit merge SOURCE`.
    pub fn merge(&mut self, opts: &MergeOptions) -> Result<MergeOutcome> {
        let target = match &opts.into {
            Some(t) => t.clone(),
            None => self.current_branch()?,
        };
        if opts.source == target {
            return Err(Error::Refused(format!(
                "cannot merge branch '{target}' into itself"
            )));
        }
        self.branch_ref(&target)?;
        let source = match store::read_ref(&mut self.client, &opts.source)? {
            Some(r) if r.kind == "branch" => self.commit(&r.commit)?,
            _ => self.resolve(&opts.source).map_err(|e| match e {
                Error::UnknownRevision(s) => Error::NoSuchBranch(s),
                other => other,
            })?,
        };
        if opts.squash && opts.fast_forward == FastForward::Only {
            return Err(Error::Refused(
                "--squash and --ff-only cannot be combined".into(),
            ));
        }
        self.with_target_lock(&target, |repo| repo.merge_locked(opts, &target, &source))
    }

    /// Run `f` holding the per-target merge lock (a session advisory lock
    /// on the repository), so that one merge at a time works on a target.
    fn with_target_lock<T>(
        &mut self,
        target: &str,
        f: impl FnOnce(&mut Repository) -> Result<T>,
    ) -> Result<T> {
        if !self.try_lock(LockKey::Merge(target))? {
            return Err(Error::Refused(format!(
                "another merge into '{target}' is running; try again when it has finished"
            )));
        }
        // The merge lock keeps merges into one target apart; the branch lock
        // keeps the merge and every other operation on the target apart.
        // A scratch database left by a killed merge is dropped here.
        let _ = self.sweep_scratch();
        let out = self.with_branch_lock(target, f);
        let _ = self.unlock(LockKey::Merge(target));
        out
    }

    /// Close a merge left `in-progress` by a process that stopped after the
    /// target moved to the merge's result (the move itself is journalled and
    /// finished by `recover`).
    pub(crate) fn reconcile_merge(&mut self, target: &str) -> Result<()> {
        self.recover(target)?;
        let Some(rec) = merges::open_for(&mut self.client, target)? else {
            return Ok(());
        };
        if rec.status != "in-progress" {
            return Ok(());
        }
        let head = self.branch_ref(target)?;
        let is_result = match rec.mode.as_str() {
            "fast-forward" => head.id == rec.source_commit,
            "squash" => head.parents == [rec.target_commit.clone()],
            _ => head.parents == [rec.target_commit.clone(), rec.source_commit.clone()],
        };
        if is_result {
            let mut tx = self.client.transaction()?;
            merges::update(
                &mut tx,
                rec.id,
                &Update {
                    status: "completed",
                    error: None,
                    migration: None,
                    result_commit: Some(&head.id),
                },
            )?;
            tx.commit()?;
            return Ok(());
        }
        // In progress without an error of its own (a stopped apply or a
        // data-loss refusal leaves one), not applied, and no live process
        // holds the target's merge lock: the process running it was killed.
        // Undo the attempt: back to `conflicted` for a `--continue` of
        // resolved conflicts, else aborted.
        // (Not while another session works on the target: it may be
        // finishing this very merge's journalled move.)
        if rec.error.is_none()
            && self.merge_lock_free(target)?
            && self.lock_free(LockKey::Branch(target))?
        {
            let has_conflicts = !merges::conflicts(&mut self.client, rec.id)?.is_empty();
            let (status, error) = if has_conflicts {
                ("conflicted", None)
            } else {
                (
                    "aborted",
                    Some("interrupted: the process running the merge stopped before applying it"),
                )
            };
            let mut tx = self.client.transaction()?;
            merges::update(
                &mut tx,
                rec.id,
                &Update {
                    status,
                    error,
                    migration: None,
                    result_commit: None,
                },
            )?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Whether no other session runs a merge into `target`.
    pub(crate) fn merge_lock_free(&mut self, target: &str) -> Result<bool> {
        self.lock_free(LockKey::Merge(target))
    }

    fn merge_locked(
        &mut self,
        opts: &MergeOptions,
        target: &str,
        source: &Commit,
    ) -> Result<MergeOutcome> {
        self.reconcile_merge(target)?;
        let head = &self.branch_ref(target)?;
        if let Some(open) = merges::open_for(&mut self.client, target)? {
            return Err(Error::Refused(format!(
                "merge #{} into '{target}' is still open; resolve its conflicts and run `pggit merge --continue`, or `pggit merge --abort`",
                open.id
            )));
        }
        let mut out = MergeOutcome {
            merge_id: None,
            status: String::new(),
            source: opts.source.clone(),
            target: target.to_string(),
            bases: Vec::new(),
            strategy: opts.strategy.as_str().to_string(),
            mode: if opts.squash { "squash" } else { "merge" }.to_string(),
            commit: None,
            changes: Counts::new(),
            conflicts: Vec::new(),
            statements: Vec::new(),
            invalid: None,
            data_loss: Vec::new(),
            would_fail: Vec::new(),
        };
        // One walk answers both: the source is already merged when it is
        // the merge base itself.
        out.bases = self.merge_bases(&head.id, &source.id)?;
        if out.bases == [source.id.clone()] {
            out.bases.clear();
            out.status = "up-to-date".into();
            return Ok(out);
        }
        let head_tree = self.tree(&head.tree)?;
        let can_ff = out.bases == [head.id.clone()];
        if opts.fast_forward == FastForward::Only && !can_ff {
            return Err(Error::Refused(format!(
                "cannot fast-forward '{target}' to {}: the branches have diverged",
                opts.source
            )));
        }
        if can_ff && opts.fast_forward != FastForward::Never && !opts.squash {
            let source_tree = self.tree(&source.tree)?;
            out.mode = "fast-forward".into();
            out.statements = plan(&head_tree, &source_tree)?;
            out.commit = Some(source.id.clone());
            out.data_loss = self.data_loss(target, &head_tree, &source_tree)?;
            out.would_fail = self.would_fail(target, &head_tree, &source_tree)?;
            if opts.dry_run {
                out.status = "dry-run".into();
                return Ok(out);
            }
            self.require_clean(target, head, &head_tree)?;
            if !out.would_fail.is_empty() {
                return Err(Error::WouldFail(out.would_fail.join("\n")));
            }
            if !out.data_loss.is_empty() && !opts.force {
                return Err(Error::DataLoss(out.data_loss.join("\n")));
            }
            let id = self.record(
                opts,
                target,
                head,
                source,
                &out.bases,
                "fast-forward",
                "in-progress",
            )?;
            out.merge_id = Some(id);
            self.apply_and_move(id, target, head, source, &source_tree, &out.statements)?;
            out.status = "fast-forward".into();
            return Ok(out);
        }
        let base = self.base_tree(&out.bases)?;
        let source_tree = self.tree(&source.tree)?;
        let merged = core_merge::merge(
            &base,
            &head_tree,
            &source_tree,
            &opts.strategy.options(BTreeMap::new()),
        );
        out.changes = counts(&merged.changes);
        out.conflicts = merged.conflicts.clone();
        if opts.dry_run {
            out.status = "dry-run".into();
            if merged.is_clean() {
                out.statements = plan(&head_tree, &merged.tree)?;
                out.data_loss = self.data_loss(target, &head_tree, &merged.tree)?;
                out.would_fail = self.would_fail(target, &head_tree, &merged.tree)?;
                if let Validity::Fails { message, .. } =
                    self.check_builds(&head_tree, &merged.tree)?
                {
                    out.invalid = Some(message);
                }
            }
            return Ok(out);
        }
        self.require_clean(target, head, &head_tree)?;
        let mode = if opts.squash { "squash" } else { "merge" };
        if !merged.is_clean() && opts.strategy == Strategy::AbortOnConflict {
            let id = self.record(opts, target, head, source, &out.bases, mode, "aborted")?;
            self.record_conflicts(id, &merged.conflicts)?;
            out.merge_id = Some(id);
            out.status = "aborted".into();
            return Ok(out);
        }
        let id = self.record(opts, target, head, source, &out.bases, mode, "in-progress")?;
        out.merge_id = Some(id);
        self.record_conflicts(id, &merged.conflicts)?;
        if !merged.is_clean() {
            self.set_status(id, "conflicted", None)?;
            out.status = "conflicted".into();
            return Ok(out);
        }
        // Clean: finish with what was just computed (no need to re-read it).
        let rec = merges::get(&mut self.client, id)?
            .ok_or_else(|| Error::Refused(format!("no merge #{id}")))?;
        let sides = complete::Sides {
            rec,
            head: head.clone(),
            source: source.clone(),
            head_tree,
            source_tree,
        };
        self.finish_merge(
            id,
            &sides,
            merged,
            &[],
            &mut out,
            opts.force,
            &opts.signature,
        )?;
        Ok(out)
    }

    /// The target's workspace must hold exactly its branch's commit.
    pub(crate) fn require_clean(
        &mut self,
        target: &str,
        head: &Commit,
        head_tree: &Tree,
    ) -> Result<()> {
        self.recover(target)?;
        let w = self.workspace(target)?;
        let mut wc = self.connect_workspace(&w)?;
        let live = self.live_tree(&mut wc, target, head_tree, &head.id)?;
        if live.tree.hash() != head.tree {
            return Err(Error::Refused(format!(
                "the workspace of '{target}' has uncommitted changes; commit them or `pggit reset --hard HEAD` first"
            )));
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        opts: &MergeOptions,
        target: &str,
        head: &Commit,
        source: &Commit,
        bases: &[String],
        mode: &str,
        status: &str,
    ) -> Result<i64> {
        let mut tx = self.client.transaction()?;
        let id = merges::insert(
            &mut tx,
            &NewMerge {
                source: &opts.source,
                target,
                source_commit: &source.id,
                target_commit: &head.id,
                base_commits: bases,
                strategy: opts.strategy.as_str(),
                mode,
                message: opts.message.as_deref(),
                status,
            },
        )
        .map_err(|e| match &e {
            pggit_pg::PgError::Db(db)
                if db.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) =>
            {
                Error::Refused(format!("another merge into '{target}' is open"))
            }
            _ => Error::Pg(e),
        })?;
        tx.commit()?;
        crate::failpoint::hit("merge.recorded");
        Ok(id)
    }

    fn record_conflicts(&mut self, id: i64, conflicts: &[core_merge::Conflict]) -> Result<usize> {
        let rows: Vec<(core_merge::Conflict, &str)> = conflicts
            .iter()
            .map(|c| (c.clone(), c.kind.as_str()))
            .collect();
        let new: Vec<NewConflict<'_>> = rows
            .iter()
            .map(|(c, kind)| NewConflict {
                object_id: &c.key.id,
                part: &c.key.part,
                object: &c.object,
                object_type: &c.object_type,
                part_label: &c.part,
                kind,
                severity: c.severity.as_str(),
                message: c.message.as_deref(),
                base: c.base.as_ref(),
                ours: c.target.as_ref(),
                theirs: c.source.as_ref(),
                resolution: c.resolution.as_deref().filter(|r| *r != "custom"),
            })
            .collect();
        let mut tx = self.client.transaction()?;
        let n = merges::insert_conflicts(&mut tx, id, &new)?;
        tx.commit()?;
        Ok(n)
    }

    fn set_status(&mut self, id: i64, status: &str, error: Option<&str>) -> Result<()> {
        let mut tx = self.client.transaction()?;
        merges::update(
            &mut tx,
            id,
            &Update {
                status,
                error,
                ..Update::default()
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    fn open_merge(&mut self, into: Option<&str>) -> Result<MergeRecord> {
        let target = match into {
            Some(t) => t.to_string(),
            None => self.current_branch()?,
        };
        self.reconcile_merge(&target)?;
        merges::open_for(&mut self.client, &target)?
            .ok_or_else(|| Error::Refused(format!("no merge into '{target}' is in progress")))
    }

    /// A merge read before taking the locks, re-read under them: another
    /// process may have finished or aborted it meanwhile.
    fn still_open(&mut self, id: i64) -> Result<MergeRecord> {
        self.reconcile_merge_record(id)?;
        match merges::get(&mut self.client, id)? {
            Some(r) if r.status == "in-progress" || r.status == "conflicted" => Ok(r),
            Some(r) => Err(Error::Refused(format!(
                "merge #{id} is no longer open (it is {})",
                r.status
            ))),
            None => Err(Error::Refused(format!("no merge #{id}"))),
        }
    }

    fn reconcile_merge_record(&mut self, id: i64) -> Result<()> {
        if let Some(r) = merges::get(&mut self.client, id)? {
            self.reconcile_merge(&r.target)?;
        }
        Ok(())
    }

    /// `pggit merge --continue`.
    pub fn merge_continue(
        &mut self,
        into: Option<&str>,
        force: bool,
        sig: &Signature,
    ) -> Result<MergeOutcome> {
        let rec = self.open_merge(into)?;
        let target = rec.target.clone();
        self.with_target_lock(&target, |repo| {
            let rec = repo.still_open(rec.id)?;
            let head = repo.branch_ref(&target)?;
            if head.id != rec.target_commit {
                return Err(Error::Refused(format!(
                    "'{target}' moved since merge #{} started; abort it and merge again",
                    rec.id
                )));
            }
            let open = merges::conflicts(&mut repo.client, rec.id)?
                .into_iter()
                .filter(|c| c.resolution.is_none())
                .count();
            if open > 0 {
                return Err(Error::Refused(format!(
                    "merge #{} still has {open} unresolved conflict(s); see `pggit conflicts`",
                    rec.id
                )));
            }
            let head_tree = repo.tree(&head.tree)?;
            repo.require_clean(&target, &head, &head_tree)?;
            repo.set_status(rec.id, "in-progress", None)?;
            let mut out = MergeOutcome {
                merge_id: Some(rec.id),
                status: String::new(),
                source: rec.source.clone(),
                target: target.clone(),
                bases: rec.base_commits.clone(),
                strategy: rec.strategy.clone(),
                mode: rec.mode.clone(),
                commit: None,
                changes: Counts::new(),
                conflicts: Vec::new(),
                statements: Vec::new(),
                invalid: None,
                data_loss: Vec::new(),
                would_fail: Vec::new(),
            };
            repo.complete(rec.id, &mut out, force, sig)?;
            Ok(out)
        })
    }

    /// `pggit merge --abort`: close the open merge; the target was never
    /// touched.
    pub fn merge_abort(&mut self, into: Option<&str>) -> Result<MergeRecord> {
        let rec = self.open_merge(into)?;
        let target = rec.target.clone();
        // Not while a `--continue` of this merge is applying it.
        self.with_target_lock(&target, |repo| {
            let rec = repo.still_open(rec.id)?;
            repo.set_status(rec.id, "aborted", None)?;
            Ok(merges::get(&mut repo.client, rec.id)?.unwrap_or(rec))
        })
    }
}
