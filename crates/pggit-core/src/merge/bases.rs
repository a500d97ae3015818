//! Merge bases: the best common ancestors of two commits, by the plain
//! commit-by-commit walk. The repository uses the indexed walk of
//! [`super::reach`] (the segment-compressed walk of [`super::segments`] when
//! the index does not pay); this one is their reference (property tests
//! check all three against brute force) and suits callers that hold a small
//! graph.
//!
//! The walk is git's "paint down to common": both tips are painted, the
//! commit with the highest generation number is taken next, and a commit
//! reached from both sides is a candidate whose ancestors are marked stale.
//! The walk stops as soon as only stale commits are queued, so history below
//! the merge base is never read. Generation numbers (the length of the
//! longest path to a root, plus one) make "highest first" a topological
//! order.

use std::collections::{BinaryHeap, HashMap, HashSet};

use crate::model::Id;

/// The commit graph as the algorithm sees it. Implementations may load
/// commits lazily.
pub trait Graph {
    type Error;
    /// Parents of a commit, in order.
    fn parents(&mut self, id: &str) -> Result<Vec<Id>, Self::Error>;
    /// Generation number of a commit (roots have the lowest).
    fn generation(&mut self, id: &str) -> Result<i64, Self::Error>;
}

const P1: u8 = 1;
const P2: u8 = 2;
const STALE: u8 = 4;
const RESULT: u8 = 8;

/// All best common ancestors of `a` and `b` (none when the histories are
/// unrelated), sorted by descending generation, then id.
pub fn merge_bases<G: Graph>(g: &mut G, a: &str, b: &str) -> Result<Vec<Id>, G::Error> {
    if a == b {
        return Ok(vec![a.to_string()]);
    }
    let candidates = paint_down(g, a, &[b.to_string()])?;
    let mut bases = remove_redundant(g, candidates)?;
    let mut keyed = Vec::with_capacity(bases.len());
    for id in bases.drain(..) {
        keyed.push((g.generation(&id)?, id));
    }
    keyed.sort_by(|x, y| y.0.cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
    Ok(keyed.into_iter().map(|(_, id)| id).collect())
}

/// Whether `ancestor` is reachable from `descendant` (a commit is its own
/// ancestor). The walk never goes below `ancestor`'s generation.
pub fn is_ancestor<G: Graph>(
    g: &mut G,
    ancestor: &str,
    descendant: &str,
) -> Result<bool, G::Error> {
    if ancestor == descendant {
        return Ok(true);
    }
    let floor = g.generation(ancestor)?;
    let mut seen: HashSet<Id> = HashSet::new();
    let mut stack = vec![descendant.to_string()];
    while let Some(id) = stack.pop() {
        if id == ancestor {
            return Ok(true);
        }
        if !seen.insert(id.clone()) || g.generation(&id)? <= floor {
            continue;
        }
        stack.extend(g.parents(&id)?);
    }
    Ok(false)
}

fn paint_down<G: Graph>(g: &mut G, one: &str, twos: &[Id]) -> Result<Vec<Id>, G::Error> {
    let mut flags: HashMap<Id, u8> = HashMap::new();
    // (generation, id, counted as non-stale when pushed)
    let mut queue: BinaryHeap<(i64, Id, bool)> = BinaryHeap::new();
    let mut nonstale = 0usize;
    flags.insert(one.to_string(), P1);
    queue.push((g.generation(one)?, one.to_string(), true));
    nonstale += 1;
    for t in twos {
        *flags.entry(t.clone()).or_default() |= P2;
        queue.push((g.generation(t)?, t.clone(), true));
        nonstale += 1;
    }
    let mut result = Vec::new();
    while nonstale > 0 {
        let Some((_, id, counted)) = queue.pop() else {
            break;
        };
        if counted {
            nonstale -= 1;
        }
        let f = flags.get(&id).copied().unwrap_or(0);
        let mut paint = f & (P1 | P2 | STALE);
        if paint == (P1 | P2) {
            if f & RESULT == 0 {
                flags.insert(id.clone(), f | RESULT);
                result.push(id.clone());
            }
            paint |= STALE;
        }
        for p in g.parents(&id)? {
            let pf = flags.entry(p.clone()).or_default();
            if *pf & paint == paint {
                continue;
            }
            *pf |= paint;
            let stale = *pf & STALE != 0;
            if !stale {
                nonstale += 1;
            }
            let gen = g.generation(&p)?;
            queue.push((gen, p, !stale));
        }
    }
    Ok(result
        .into_iter()
        .filter(|id| flags.get(id).is_some_and(|f| f & STALE == 0))
        .collect())
}

/// Drop candidates that are ancestors of other candidates.
fn remove_redundant<G: Graph>(g: &mut G, candidates: Vec<Id>) -> Result<Vec<Id>, G::Error> {
    if candidates.len() < 2 {
        return Ok(candidates);
    }
    let mut keep = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let mut redundant = false;
        for (j, d) in candidates.iter().enumerate() {
            if i != j && is_ancestor(g, c, d)? {
                redundant = true;
                break;
            }
        }
        if !redundant {
            keep.push(c.clone());
        }
    }
    Ok(keep)
}

/// An in-memory commit graph (tests, benchmarks, and callers that already
/// hold the history).
#[derive(Debug, Default, Clone)]
pub struct MemoryGraph {
    pub commits: HashMap<Id, (Vec<Id>, i64)>,
}

impl MemoryGraph {
    /// Add a commit; its generation is one more than its highest parent's.
    pub fn add(&mut self, id: &str, parents: &[&str]) {
        let generation = parents
            .iter()
            .filter_map(|p| self.commits.get(*p).map(|c| c.1))
            .max()
            .unwrap_or(0)
            + 1;
        self.commits.insert(
            id.to_string(),
            (parents.iter().map(|p| p.to_string()).collect(), generation),
        );
    }
}

/// A commit the graph does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown commit {0}")]
pub struct UnknownCommit(pub Id);

impl Graph for MemoryGraph {
    type Error = UnknownCommit;
    fn parents(&mut self, id: &str) -> Result<Vec<Id>, UnknownCommit> {
        self.commits
            .get(id)
            .map(|c| c.0.clone())
            .ok_or_else(|| UnknownCommit(id.to_string()))
    }
    fn generation(&mut self, id: &str) -> Result<i64, UnknownCommit> {
        self.commits
            .get(id)
            .map(|c| c.1)
            .ok_or_else(|| UnknownCommit(id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> MemoryGraph {
        let mut g = MemoryGraph::default();
        for (id, parents) in edges {
            g.add(id, parents);
        }
        g
    }

    #[test]
    fn linear_and_forked() {
        let mut g = graph(&[
            ("a", &[]),
            ("b", &["a"]),
            ("c", &["b"]),
            ("x", &["b"]),
            ("y", &["x"]),
        ]);
        assert_eq!(merge_bases(&mut g, "c", "y").unwrap(), vec!["b"]);
        assert_eq!(merge_bases(&mut g, "c", "a").unwrap(), vec!["a"]);
        assert_eq!(merge_bases(&mut g, "a", "c").unwrap(), vec!["a"]);
        assert_eq!(merge_bases(&mut g, "y", "y").unwrap(), vec!["y"]);
        assert!(is_ancestor(&mut g, "a", "y").unwrap());
        assert!(!is_ancestor(&mut g, "c", "y").unwrap());
    }

    #[test]
    fn criss_cross_has_two_bases() {
        // a - b1 - m1 (merges b2)
        //   \ b2 - m2 (merges b1)
        let mut g = graph(&[
            ("a", &[]),
            ("b1", &["a"]),
            ("b2", &["a"]),
            ("m1", &["b1", "b2"]),
            ("m2", &["b2", "b1"]),
            ("t1", &["m1"]),
            ("t2", &["m2"]),
        ]);
        assert_eq!(merge_bases(&mut g, "t1", "t2").unwrap(), vec!["b1", "b2"]);
    }

    #[test]
    fn unrelated_histories_have_none() {
        let mut g = graph(&[("a", &[]), ("b", &[])]);
        assert!(merge_bases(&mut g, "a", "b").unwrap().is_empty());
    }

    #[test]
    fn merge_commit_on_one_side() {
        // main: a - b - m(b, f2); feature: a - f1 - f2 - f3
        let mut g = graph(&[
            ("a", &[]),
            ("b", &["a"]),
            ("f1", &["a"]),
            ("f2", &["f1"]),
            ("m", &["b", "f2"]),
            ("f3", &["f2"]),
        ]);
        assert_eq!(merge_bases(&mut g, "m", "f3").unwrap(), vec!["f2"]);
    }
}
