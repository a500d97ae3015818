//! The commit graph read from the repository as segments (chains of
//! single-parent commits, see `pggit_core::merge::segments`) with their
//! index (`pggit_core::merge::reach`): merge-base search walks each side's
//! unique history segment by segment and asks the index how far the other
//! side reaches, so it reads neither long linear stretches, nor the history
//! above the base on the side with more of it, nor history below the base.

use std::collections::HashMap;

use pggit_core::merge::reach::{self, Child, Link, SegmentIndex};
use pggit_core::merge::segments::SegmentGraph;
use pggit_core::merge::virtual_base;
use pggit_core::{Id, Tree};
use pggit_pg::{merges, PgError};

use crate::error::{Error, Result};
use crate::repo::Repository;

pub(crate) struct DbSegments<'a> {
    client: &'a mut postgres::Client,
    positions: HashMap<Id, (Id, i64)>,
    heads: HashMap<Id, Vec<(Id, i64)>>,
    links: HashMap<Id, Link>,
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
            links: HashMap::new(),
            window: 64,
        }
    }
}

impl DbSegments<'_> {
    /// Read the positions of several commits in one query.
    fn load_positions(&mut self, ids: &[&str]) -> Result<(), PgError> {
        for (cid, seg, generation, link) in merges::positions(self.client, ids)? {
            self.positions.insert(cid, (seg, i64::from(generation)));
            self.remember(link);
        }
        Ok(())
    }

    /// Keep a segment's link, and its head's position.
    fn remember(&mut self, link: Option<merges::SegmentLink>) {
        let Some(l) = link else {
            return;
        };
        self.positions
            .insert(l.id.clone(), (l.id.clone(), i64::from(l.generation)));
        self.links.insert(
            l.id,
            Link {
                depth: i64::from(l.depth),
                up: l.up.map(|(s, g)| (s, i64::from(g))),
                jump: l.jump.map(|(s, d)| (s, i64::from(d))),
            },
        );
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
        for (head, seg, generation, link) in rows {
            self.remember(link);
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

/// A generation or depth as the repository stores it (`integer`).
fn int(x: i64) -> i32 {
    i32::try_from(x).unwrap_or(if x < 0 { i32::MIN } else { i32::MAX })
}

impl SegmentIndex for DbSegments<'_> {
    fn children(
        &mut self,
        segment: &str,
        above: i64,
        max_head_generation: i64,
    ) -> Result<Vec<Child>, PgError> {
        let rows =
            merges::segment_children(self.client, segment, int(above), int(max_head_generation))?;
        let mut out = Vec::with_capacity(rows.len());
        for (at, link) in rows {
            out.push(Child {
                segment: link.id.clone(),
                head_generation: i64::from(link.generation),
                at: i64::from(at),
            });
            self.remember(Some(link));
        }
        Ok(out)
    }

    fn link(&mut self, segment: &str, toward: Option<i64>) -> Result<Link, PgError> {
        if let Some(l) = self.links.get(segment) {
            return Ok(l.clone());
        }
        for l in merges::segment_links(self.client, segment, toward.map(int))? {
            self.remember(Some(l));
        }
        self.links.get(segment).cloned().ok_or_else(|| {
            PgError::Unexpected(format!(
                "segment {segment} is missing from the merge-base index"
            ))
        })
    }
}

impl Repository {
    /// Best common ancestors of two commits.
    pub fn merge_bases(&mut self, a: &str, b: &str) -> Result<Vec<Id>> {
        self.merge_bases_with(a, b, reach::Options::default())
    }

    /// [`Repository::merge_bases`] with the index walk's options (tests and
    /// benchmarks: the index alone, or the segment walk alone).
    pub fn merge_bases_with(&mut self, a: &str, b: &str, opts: reach::Options) -> Result<Vec<Id>> {
        let mut g = DbSegments::new(&mut self.client);
        g.load_positions(&[a, b])?;
        Ok(reach::merge_bases_with(&mut g, a, b, opts)?)
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
