//! Merge bases over a segment-compressed commit graph.
//!
//! A *segment* is a chain of commits each of which has exactly one parent,
//! the previous one in the chain, one generation lower; it starts at its
//! *head* (a root, a merge commit, or a commit whose parent's chain had
//! already been continued by another child). A commit is then a *position*:
//! its segment and its generation. Everything at or below a position in its
//! segment is reachable from it, so a walk can skip a whole chain in one
//! step, and a history that is mostly linear has few segments however many
//! commits it holds.
//!
//! The walk is git's paint-down over positions, highest generation first:
//! for each segment it keeps the highest generation reached from each side;
//! where both sides reach a segment, the lower of the two is the segment's
//! best common ancestor, and everything below it is stale. It reads every
//! segment above the base on both sides; [`super::reach`] avoids that with
//! an index and falls back to this walk.

use std::collections::{BinaryHeap, HashMap};

use super::reach::{Child, Link, SegmentIndex};
use crate::model::Id;

/// A segment-compressed commit graph.
pub trait SegmentGraph {
    type Error;
    /// `(segment, generation)` of a commit.
    fn position(&mut self, id: &str) -> Result<(Id, i64), Self::Error>;
    /// Positions of the parents of a segment's head.
    fn head_parents(&mut self, segment: &str) -> Result<Vec<(Id, i64)>, Self::Error>;
    /// The commit at a position.
    fn commit_at(&mut self, segment: &str, generation: i64) -> Result<Id, Self::Error>;
}

const P1: u8 = 1;
const P2: u8 = 2;
const STALE: u8 = 4;

#[derive(Default, Clone, Copy)]
struct Reach {
    one: Option<i64>,
    two: Option<i64>,
    /// Everything at or below this generation is stale.
    stale: Option<i64>,
    result: Option<i64>,
}

fn raise(slot: &mut Option<i64>, g: i64) -> bool {
    if slot.is_none_or(|x| x < g) {
        *slot = Some(g);
        true
    } else {
        false
    }
}

/// All best common ancestors of `a` and `b`, by descending generation.
pub fn merge_bases<G: SegmentGraph>(g: &mut G, a: &str, b: &str) -> Result<Vec<Id>, G::Error> {
    if a == b {
        return Ok(vec![a.to_string()]);
    }
    let mut walk = Walk::new(g, a, b)?;
    while !walk.step(g)? {}
    walk.finish(g)
}

/// The walk of [`merge_bases`] one segment at a time, so that it can run
/// alongside another search (see [`super::reach`]).
pub struct Walk {
    reach: HashMap<Id, Reach>,
    queue: BinaryHeap<(i64, Id, u8)>,
    nonstale: usize,
}

impl Walk {
    /// A walk from two different commits.
    pub fn new<G: SegmentGraph>(g: &mut G, a: &str, b: &str) -> Result<Walk, G::Error> {
        let (sa, ga) = g.position(a)?;
        let (sb, gb) = g.position(b)?;
        let mut queue = BinaryHeap::new();
        queue.push((ga, sa, P1));
        queue.push((gb, sb, P2));
        Ok(Walk {
            reach: HashMap::new(),
            queue,
            nonstale: 2,
        })
    }

    /// Visit the next segment; whether the walk is over.
    pub fn step<G: SegmentGraph>(&mut self, g: &mut G) -> Result<bool, G::Error> {
        if self.nonstale == 0 {
            return Ok(true);
        }
        let Some((gen, seg, flags)) = self.queue.pop() else {
            return Ok(true);
        };
        if flags & STALE == 0 {
            self.nonstale -= 1;
        }
        let r = self.reach.entry(seg.clone()).or_default();
        let mut changed = false;
        if flags & P1 != 0 {
            changed |= raise(&mut r.one, gen);
        }
        if flags & P2 != 0 {
            changed |= raise(&mut r.two, gen);
        }
        if flags & STALE != 0 {
            changed |= raise(&mut r.stale, gen);
        }
        if let (Some(x), Some(y)) = (r.one, r.two) {
            let m = x.min(y);
            if r.stale.is_none_or(|s| s < m) && r.result.is_none_or(|res| res < m) {
                r.result = Some(m);
                raise(&mut r.stale, m - 1);
                changed = true;
            }
        }
        if !changed {
            return Ok(self.nonstale == 0);
        }
        // The head is reached with what reaches the segment; stale when
        // anything in the segment is.
        let mut down = 0u8;
        if r.one.is_some() {
            down |= P1;
        }
        if r.two.is_some() {
            down |= P2;
        }
        if r.stale.is_some() || r.result.is_some() {
            down |= STALE;
        }
        for (ps, pg) in g.head_parents(&seg)? {
            let pr = self.reach.get(&ps).copied().unwrap_or_default();
            let new = (down & P1 != 0 && pr.one.is_none_or(|x| x < pg))
                || (down & P2 != 0 && pr.two.is_none_or(|x| x < pg))
                || (down & STALE != 0 && pr.stale.is_none_or(|x| x < pg));
            if new {
                if down & STALE == 0 {
                    self.nonstale += 1;
                }
                self.queue.push((pg, ps, down));
            }
        }
        Ok(self.nonstale == 0)
    }

    /// The merge bases once [`Walk::step`] said the walk is over.
    pub fn finish<G: SegmentGraph>(self, g: &mut G) -> Result<Vec<Id>, G::Error> {
        let mut found: Vec<(i64, Id)> = Vec::new();
        for (seg, r) in &self.reach {
            if let Some(m) = r.result {
                if r.stale.is_none_or(|s| s < m) {
                    found.push((m, seg.clone()));
                }
            }
        }
        found.sort_by(|x, y| y.0.cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
        // Drop candidates below other candidates.
        let mut keep: Vec<(i64, Id)> = Vec::new();
        for (i, (m, seg)) in found.iter().enumerate() {
            let mut redundant = false;
            for (j, (m2, seg2)) in found.iter().enumerate() {
                if i != j && reaches(g, (seg2, *m2), (seg, *m))? {
                    redundant = true;
                    break;
                }
            }
            if !redundant {
                keep.push((*m, seg.clone()));
            }
        }
        let mut out = Vec::with_capacity(keep.len());
        for (m, seg) in keep {
            out.push(g.commit_at(&seg, m)?);
        }
        Ok(out)
    }
}

/// Whether `ancestor` is reachable from `descendant` (a commit is its own
/// ancestor).
pub fn is_ancestor<G: SegmentGraph>(
    g: &mut G,
    ancestor: &str,
    descendant: &str,
) -> Result<bool, G::Error> {
    if ancestor == descendant {
        return Ok(true);
    }
    let (sa, ga) = g.position(ancestor)?;
    let (sd, gd) = g.position(descendant)?;
    reaches(g, (&sd, gd), (&sa, ga))
}

/// Whether position `to` is an ancestor of position `from`.
fn reaches<G: SegmentGraph>(g: &mut G, from: (&Id, i64), to: (&Id, i64)) -> Result<bool, G::Error> {
    let mut best: HashMap<Id, i64> = HashMap::new();
    let mut stack = vec![(from.0.clone(), from.1)];
    while let Some((seg, gen)) = stack.pop() {
        if gen < to.1 {
            continue;
        }
        if &seg == to.0 {
            return Ok(true);
        }
        if best.get(&seg).is_some_and(|b| *b >= gen) {
            continue;
        }
        best.insert(seg.clone(), gen);
        stack.extend(g.head_parents(&seg)?);
    }
    Ok(false)
}

/// An in-memory segment graph built commit by commit, with the index of
/// [`super::reach`] kept as the repository keeps it (tests, benchmarks).
#[derive(Debug, Default, Clone)]
pub struct MemorySegments {
    commits: HashMap<Id, (Id, i64, Vec<Id>)>,
    at: HashMap<(Id, i64), Id>,
    links: HashMap<Id, Link>,
    children: HashMap<Id, Vec<Child>>,
}

impl MemorySegments {
    /// Add a commit after its parents; its generation is one more than its
    /// highest parent's.
    pub fn add(&mut self, id: &str, parents: &[&str]) {
        let gens: Vec<i64> = parents
            .iter()
            .filter_map(|p| self.commits.get(*p).map(|c| c.1))
            .collect();
        let generation = gens.iter().copied().max().unwrap_or(0) + 1;
        let segment = match parents {
            [p] => match self.commits.get(*p) {
                Some((seg, pg, _))
                    if *pg + 1 == generation
                        && !self.at.contains_key(&(seg.clone(), generation)) =>
                {
                    seg.clone()
                }
                _ => id.to_string(),
            },
            _ => id.to_string(),
        };
        if segment == id {
            self.index_head(id, generation, parents);
        }
        self.at
            .insert((segment.clone(), generation), id.to_string());
        self.commits.insert(
            id.to_string(),
            (
                segment,
                generation,
                parents.iter().map(|p| p.to_string()).collect(),
            ),
        );
    }

    /// Index a new segment: its link under its head's first parent's
    /// segment, and a child entry in each segment holding a parent.
    fn index_head(&mut self, id: &str, generation: i64, parents: &[&str]) {
        let link = match parents.first().and_then(|p| self.commits.get(*p)) {
            Some((seg, gen, _)) => {
                let parent = self.links.get(seg).cloned().unwrap_or_else(Link::root);
                let jump = parent.jump.as_ref().and_then(|(j, _)| self.links.get(j));
                Link::under((seg.clone(), *gen), &parent, jump)
            }
            None => Link::root(),
        };
        self.links.insert(id.to_string(), link);
        let mut entries: HashMap<Id, i64> = HashMap::new();
        for p in parents {
            if let Some((seg, gen, _)) = self.commits.get(*p) {
                let e = entries.entry(seg.clone()).or_insert(*gen);
                *e = (*e).max(*gen);
            }
        }
        for (seg, at) in entries {
            self.children.entry(seg).or_default().push(Child {
                segment: id.to_string(),
                head_generation: generation,
                at,
            });
        }
    }

    /// Number of segments.
    pub fn segments(&self) -> usize {
        self.commits
            .iter()
            .filter(|(id, (seg, _, _))| *id == seg)
            .count()
    }
}

impl SegmentGraph for MemorySegments {
    type Error = super::bases::UnknownCommit;

    fn position(&mut self, id: &str) -> Result<(Id, i64), Self::Error> {
        self.commits
            .get(id)
            .map(|c| (c.0.clone(), c.1))
            .ok_or_else(|| super::bases::UnknownCommit(id.to_string()))
    }

    fn head_parents(&mut self, segment: &str) -> Result<Vec<(Id, i64)>, Self::Error> {
        let parents = self
            .commits
            .get(segment)
            .map(|c| c.2.clone())
            .ok_or_else(|| super::bases::UnknownCommit(segment.to_string()))?;
        parents.iter().map(|p| self.position(p)).collect()
    }

    fn commit_at(&mut self, segment: &str, generation: i64) -> Result<Id, Self::Error> {
        self.at
            .get(&(segment.to_string(), generation))
            .cloned()
            .ok_or_else(|| super::bases::UnknownCommit(format!("{segment}@{generation}")))
    }
}

impl SegmentIndex for MemorySegments {
    fn children(
        &mut self,
        segment: &str,
        above: i64,
        max_head_generation: i64,
    ) -> Result<Vec<Child>, Self::Error> {
        let mut out: Vec<Child> = self
            .children
            .get(segment)
            .into_iter()
            .flatten()
            .filter(|c| c.at > above && c.head_generation <= max_head_generation)
            .cloned()
            .collect();
        out.sort_by(|x, y| y.at.cmp(&x.at).then_with(|| x.segment.cmp(&y.segment)));
        Ok(out)
    }

    fn link(&mut self, segment: &str, _toward: Option<i64>) -> Result<Link, Self::Error> {
        self.links
            .get(segment)
            .cloned()
            .ok_or_else(|| super::bases::UnknownCommit(segment.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_fork_in_few_steps() {
        let mut g = MemorySegments::default();
        g.add("m0", &[]);
        for i in 1..=1000 {
            let p = format!("m{}", i - 1);
            g.add(&format!("m{i}"), &[p.as_str()]);
        }
        g.add("f1", &["m10"]);
        g.add("f2", &["f1"]);
        assert_eq!(g.segments(), 2);
        assert_eq!(merge_bases(&mut g, "m1000", "f2").unwrap(), vec!["m10"]);
        assert_eq!(merge_bases(&mut g, "f2", "m5").unwrap(), vec!["m5"]);
        assert_eq!(merge_bases(&mut g, "m5", "m900").unwrap(), vec!["m5"]);
        assert!(is_ancestor(&mut g, "m10", "f2").unwrap());
        assert!(!is_ancestor(&mut g, "m11", "f2").unwrap());
        assert!(!is_ancestor(&mut g, "f1", "m1000").unwrap());
    }
}
