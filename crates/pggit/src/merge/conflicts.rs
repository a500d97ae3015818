//! Listing and resolving conflicts, and merge statistics.

use std::collections::BTreeMap;

use pggit_core::merge::custom::check_definition;
use pggit_core::merge::Classification;
use pggit_core::Tree;
use pggit_pg::merges::{self, ConflictRecord, MergeRecord};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::repo::Repository;

/// Which conflicts to list or resolve.
#[derive(Debug, Clone, Default)]
pub struct ConflictFilter {
    pub merge_id: Option<i64>,
    pub kind: Option<String>,
    pub object_type: Option<String>,
    /// Only conflicts without a decision.
    pub unresolved: bool,
}

/// A decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Ours,
    Theirs,
    Base,
    /// A definition of the whole object, as SQL.
    Sql(String),
}

impl Resolution {
    fn as_str(&self) -> &'static str {
        match self {
            Resolution::Ours => "ours",
            Resolution::Theirs => "theirs",
            Resolution::Base => "base",
            Resolution::Sql(_) => "custom",
        }
    }
}

/// What `resolve` did.
#[derive(Debug, Clone, Serialize)]
pub struct ResolveOutcome {
    pub merge_id: i64,
    pub resolved: Vec<i64>,
    pub resolution: String,
    pub remaining: usize,
}

/// Counts and an estimate for an open merge.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub merge_id: i64,
    /// The merge's status (`in-progress`, `conflicted`, `completed`, ...).
    pub status: String,
    pub merge: MergeRecord,
    pub total: usize,
    pub resolved: usize,
    pub unresolved: usize,
    pub by_kind: BTreeMap<String, usize>,
    pub by_severity: BTreeMap<String, usize>,
    pub unresolved_by_kind: BTreeMap<String, usize>,
    /// Estimated seconds to resolve what is open, from the mean recorded
    /// resolution time of past conflicts of the same kinds; `None` when no
    /// open kind has any history.
    pub eta_seconds: Option<f64>,
    /// Open kinds with no recorded history (not in the estimate).
    pub eta_unknown_kinds: Vec<String>,
    pub eta_note: String,
}

fn kind_filter(kind: &Option<String>) -> Result<Option<Classification>> {
    match kind {
        None => Ok(None),
        Some(k) => Classification::parse(k).map(Some).ok_or_else(|| {
            let all: Vec<&str> = Classification::ALL.iter().map(|c| c.as_str()).collect();
            Error::Refused(format!(
                "unknown conflict kind '{k}' (expected one of {})",
                all.join(", ")
            ))
        }),
    }
}

impl Repository {
    /// The merge a command is about: by id, else the open merge into the
    /// current branch, else its latest merge.
    pub fn find_merge(&mut self, id: Option<i64>) -> Result<MergeRecord> {
        if let Some(id) = id {
            return merges::get(&mut self.client, id)?
                .ok_or_else(|| Error::Refused(format!("no merge #{id}")));
        }
        let target = self.current_branch()?;
        self.reconcile_merge(&target)?;
        if let Some(m) = merges::open_for(&mut self.client, &target)? {
            return Ok(m);
        }
        merges::latest_for(&mut self.client, &target)?
            .ok_or_else(|| Error::Refused(format!("no merge into '{target}' has been recorded")))
    }

    /// `pggit conflicts`.
    pub fn conflicts(&mut self, f: &ConflictFilter) -> Result<(MergeRecord, Vec<ConflictRecord>)> {
        let kind = kind_filter(&f.kind)?;
        let m = self.find_merge(f.merge_id)?;
        let rows = merges::conflicts(&mut self.client, m.id)?
            .into_iter()
            .filter(|c| kind.is_none_or(|k| c.kind == k.as_str()))
            .filter(|c| f.object_type.as_ref().is_none_or(|t| &c.object_type == t))
            .filter(|c| !f.unresolved || c.resolution.is_none())
            .collect();
        Ok((m, rows))
    }

    /// `pggit resolve ID... --ours|--theirs|--base|--sql FILE`: all the
    /// conflicts are resolved in one transaction, or none is.
    pub fn resolve_conflicts(
        &mut self,
        ids: &[i64],
        how: &Resolution,
        note: Option<&str>,
    ) -> Result<ResolveOutcome> {
        if ids.is_empty() {
            return Err(Error::Refused(
                "name at least one conflict to resolve".into(),
            ));
        }
        // A custom definition is checked against the object as the merge's
        // sides hold it (read before the transaction).
        let check_tree = match how {
            Resolution::Sql(_) => {
                let pre = merges::conflicts_for_update(&mut self.client, ids)?;
                match pre.first() {
                    Some(r) => Some(self.side_tree_with(r)?),
                    None => None,
                }
            }
            _ => None,
        };
        let mut tx = self.client.transaction()?;
        let rows = merges::conflicts_for_update(&mut tx, ids)?;
        for id in ids {
            if !rows.iter().any(|r| r.id == *id) {
                return Err(Error::Refused(format!("no conflict #{id}")));
            }
        }
        let merge_id = rows[0].merge_id;
        let m = merges::get(&mut tx, merge_id)?
            .ok_or_else(|| Error::Refused(format!("no merge #{merge_id}")))?;
        for r in &rows {
            if r.merge_id != merge_id {
                return Err(Error::Refused(
                    "the conflicts belong to different merges; resolve them separately".into(),
                ));
            }
            if !matches!(m.status.as_str(), "conflicted" | "in-progress") {
                return Err(Error::Refused(format!(
                    "conflict #{} belongs to merge #{merge_id}, which is {}",
                    r.id, m.status
                )));
            }
            if let Some(res) = &r.resolution {
                return Err(Error::Refused(format!(
                    "conflict #{} is already resolved ({res}{})",
                    r.id,
                    r.resolved_by
                        .as_deref()
                        .map(|b| format!(" by {b}"))
                        .unwrap_or_default()
                )));
            }
        }
        let custom = match how {
            Resolution::Sql(sql) => {
                let first = &rows[0].object_id;
                if rows.iter().any(|r| &r.object_id != first) {
                    return Err(Error::Refused(
                        "a custom definition settles the conflicts of one object; name conflicts of one object only".into(),
                    ));
                }
                let tree = check_tree.unwrap_or_default();
                check_definition(sql, &tree, first)
                    .map_err(|e| Error::Refused(format!("conflict #{}: {e}", rows[0].id)))?;
                Some(sql.as_str())
            }
            _ => None,
        };
        for r in &rows {
            merges::resolve(&mut tx, r.id, how.as_str(), custom, note)?;
        }
        let remaining: i64 = tx
            .query_one(
                "SELECT count(*) FROM pggit.merge_conflicts WHERE merge_id = $1 AND resolution IS NULL",
                &[&merge_id],
            )?
            .get(0);
        tx.commit()?;
        Ok(ResolveOutcome {
            merge_id,
            resolved: rows.iter().map(|r| r.id).collect(),
            resolution: how.as_str().to_string(),
            remaining: usize::try_from(remaining).unwrap_or(0),
        })
    }

    /// The target's tree at the merge, or the source's when the object
    /// exists only there.
    fn side_tree_with(&mut self, r: &ConflictRecord) -> Result<Tree> {
        let m = merges::get(&mut self.client, r.merge_id)?
            .ok_or_else(|| Error::Refused(format!("no merge #{}", r.merge_id)))?;
        for c in [&m.target_commit, &m.source_commit] {
            let commit = self.commit(c)?;
            let tree = self.tree(&commit.tree)?;
            if tree.entries.contains_key(&r.object_id) {
                return Ok(tree);
            }
        }
        Ok(Tree::default())
    }

    /// `pggit resolve --all [--kind K] [--object-type T] --ours|--theirs`:
    /// every matching open conflict of the open merge, atomically.
    pub fn resolve_all(
        &mut self,
        f: &ConflictFilter,
        how: &Resolution,
        note: Option<&str>,
    ) -> Result<ResolveOutcome> {
        if matches!(how, Resolution::Sql(_)) {
            return Err(Error::Refused(
                "--all takes --ours, --theirs or --base, not --sql".into(),
            ));
        }
        let target = self.current_branch()?;
        let open = match f.merge_id {
            Some(id) => self.find_merge(Some(id))?,
            None => merges::open_for(&mut self.client, &target)?.ok_or_else(|| {
                Error::Refused(format!("no merge into '{target}' is in progress"))
            })?,
        };
        let filter = ConflictFilter {
            merge_id: Some(open.id),
            unresolved: true,
            ..f.clone()
        };
        let (_, rows) = self.conflicts(&filter)?;
        if rows.is_empty() {
            return Err(Error::Refused(format!(
                "no open conflict of merge #{} matches",
                open.id
            )));
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        self.resolve_conflicts(&ids, how, note)
    }

    /// `pggit merge --status`: counts and a resolution-time estimate.
    pub fn merge_status(&mut self, id: Option<i64>) -> Result<Stats> {
        // A scratch database left by a killed merge is dropped here too.
        let _ = self.sweep_scratch();
        let merge = self.find_merge(id)?;
        let rows = merges::conflicts(&mut self.client, merge.id)?;
        let mut s = Stats {
            merge_id: merge.id,
            status: merge.status.clone(),
            total: rows.len(),
            resolved: rows.iter().filter(|r| r.resolution.is_some()).count(),
            unresolved: rows.iter().filter(|r| r.resolution.is_none()).count(),
            by_kind: BTreeMap::new(),
            by_severity: BTreeMap::new(),
            unresolved_by_kind: BTreeMap::new(),
            eta_seconds: None,
            eta_unknown_kinds: Vec::new(),
            eta_note: String::new(),
            merge,
        };
        for r in &rows {
            *s.by_kind.entry(r.kind.clone()).or_default() += 1;
            *s.by_severity.entry(r.severity.clone()).or_default() += 1;
            if r.resolution.is_none() {
                *s.unresolved_by_kind.entry(r.kind.clone()).or_default() += 1;
            }
        }
        let history = merges::resolution_times(&mut self.client)?;
        let mut per_kind: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
        for (k, secs) in &history {
            let e = per_kind.entry(k.as_str()).or_default();
            e.0 += secs;
            e.1 += 1;
        }
        let mut total = 0.0;
        let mut known = false;
        for (kind, n) in &s.unresolved_by_kind {
            match per_kind.get(kind.as_str()) {
                Some((sum, count)) => {
                    known = true;
                    total += sum / (*count as f64) * (*n as f64);
                }
                None => s.eta_unknown_kinds.push(kind.clone()),
            }
        }
        s.eta_note = if s.unresolved == 0 {
            "nothing left to resolve".into()
        } else if !known {
            "no estimate: no conflicts of these kinds have been resolved before".into()
        } else if s.eta_unknown_kinds.is_empty() {
            format!(
                "mean time to resolve past conflicts of the same kinds ({} recorded)",
                history.len()
            )
        } else {
            format!(
                "partial: no history for {}, which the estimate leaves out",
                s.eta_unknown_kinds.join(", ")
            )
        };
        if known {
            s.eta_seconds = Some(total);
        }
        Ok(s)
    }
}
