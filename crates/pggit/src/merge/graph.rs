//! The commit graph read from the repository as segments (chains of
//! single-parent commits, see `pggit_core::merge::segments`): a walk visits
//! segments, not commits, and stops at the merge base, so neither long
//! linear stretches above the base nor history below it are read.

use std::collections::HashMap;

use pggit_core::merge::segments::{self, SegmentGraph};
use pggit_core::merge::virtual_base;
use pggit_core::{Id, Tree};
use pggit_pg::{merges, PgError};

use crate::error::{Error, Result};
use crate::repo::Repository;

pub(crate) struct DbSegments<'a> {
    client: &'a mut postgres::Client,
    positions: HashMap<Id, (Id, i64)>,
    heads: HashMap<Id, Vec<(Id, i64)>>,
    /// Generations of segment heads prefetched below a requested head;
    /// doubles with each query.
    window: i32,
}

impl<'a> DbSegments<'a> {
    pub(crate) fn new(client: &'a mut postgres::Client) -> Self {
        DbSegments {
            client,
            positions: HashMap::new(),
            heads: HashMap::new(),
            window: 64,
        }
    }
}

impl DbSegments<'_> {
    /// Read the positions of several commits in one query.
    fn load_positions(&mut self, ids: &[&str]) -> Result<(), PgError> {
        for (cid, seg, generation) in merges::positions(self.client, ids)? {
            self.positions.insert(cid, (seg, i64::from(generation)));
        }
        Ok(())
    }
}

impl SegmentGraph for DbSegments<'_> {
    type Error = PgError;

    fn position(&mut self, id: &str) -> Result<(Id, i64), PgError> {
        if let Some(p) = self.positions.get(id) {
            return Ok(p.clone());
        }
        self.load_positions(&[id])?;
        self.positions.get(id).cloned().ok_or_else(|| {
            PgError::Unexpected(format!("commit {id} is missing from the repository"))
        })
    }

    fn head_parents(&mut self, segment: &str) -> Result<Vec<(Id, i64)>, PgError> {
        if let Some(h) = self.heads.get(segment) {
            return Ok(h.clone());
        }
        let rows = merges::head_parents(self.client, segment, self.window)?;
        self.window = self.window.saturating_mul(2).min(1 << 16);
        let mut fetched: HashMap<Id, Vec<(Id, i64)>> = HashMap::new();
        for (head, seg, generation) in rows {
            fetched
                .entry(head)
                .or_default()
                .push((seg, i64::from(generation)));
        }
        // A root has no parent rows: record it as such.
        let parents = fetched.get(segment).cloned().unwrap_or_default();
        self.heads.extend(fetched);
        self.heads.insert(segment.to_string(), parents.clone());
        Ok(parents)
    }

    fn commit_at(&mut self, segment: &str, generation: i64) -> Result<Id, PgError> {
        let g = i32::try_from(generation)
            .map_err(|_| PgError::Unexpected(format!("generation {generation} out of range")))?;
        merges::commit_at(self.client, segment, g)?
            .ok_or_else(|| PgError::Unexpected(format!("no commit at {segment}@{generation}")))
    }
}

impl Repository {
    /// Best common ancestors of two commits.
    pub fn merge_bases(&mut self, a: &str, b: &str) -> Result<Vec<Id>> {
        let mut g = DbSegments::new(&mut self.client);
        g.load_positions(&[a, b])?;
        Ok(segments::merge_bases(&mut g, a, b)?)
    }

    /// `pggit merge-base A B [--all]`: revisions in, commit ids out.
    pub fn merge_base(&mut self, a: &str, b: &str) -> Result<Vec<Id>> {
        let a = self.resolve(a)?;
        let b = self.resolve(b)?;
        self.merge_bases(&a.id, &b.id)
    }

    /// The tree to merge against: the merge base's, or for several bases
    /// (criss-cross histories) a virtual base merged from them recursively.
    pub(crate) fn base_tree(&mut self, bases: &[Id]) -> Result<Tree> {
        match bases {
            [] => Err(Error::Refused(
                "the branches share no history; there is nothing to merge against".into(),
            )),
            [one] => {
                let c = self.commit(one)?;
                self.tree(&c.tree)
            }
            [first, rest @ ..] => {
                let mut acc_commit = first.clone();
                let mut acc = {
                    let c = self.commit(first)?;
                    self.tree(&c.tree)?
                };
                for next in rest {
                    let inner_bases = self.merge_bases(&acc_commit, next)?;
                    let inner = self.base_tree(&inner_bases)?;
                    let c = self.commit(next)?;
                    let other = self.tree(&c.tree)?;
                    acc = virtual_base(&inner, &acc, &other);
                    acc_commit = next.clone();
                }
                Ok(acc)
            }
        }
    }
}
