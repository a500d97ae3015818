//! Merge bases by exhausting the smaller side, over an index of segments.
//!
//! The walk of [`super::segments`] goes down from both tips highest
//! generation first, so it reads everything above the merge base on both
//! sides: a branch forked from the bottom of a history with 10,000 merges
//! costs 10,000 segments even when the branch itself is one segment. This
//! module walks each side down on its own instead, in lockstep, and asks of
//! every segment it enters how high the *other* tip reaches into it. What a
//! side reaches that the other tip does not is its unique history; where it
//! first meets what the other tip reaches is its *boundary*. The first side
//! to run out of unique history stops the search: every best common
//! ancestor is on its boundary (the path from the tip to a best common
//! ancestor crosses no other common ancestor), so the bases are the
//! boundary's maximal elements. The cost follows the smaller side's unique
//! history, not the history above the base.
//!
//! How high a commit `Y` reaches into a segment `S` is answered upward,
//! from an index kept with every segment:
//!
//! - *Children*: the segments whose head has a parent in `S`, with that
//!   parent's generation. A path from `Y` into `S` enters it through one of
//!   them (or starts in it), so the highest position `Y` reaches in `S` is
//!   the highest such entry whose child head `Y` reaches — a question of the
//!   same kind, one segment up. Children with heads above `Y`'s generation
//!   are never asked about.
//! - *The first-parent tree*: each segment links to the segment of its
//!   head's first parent, so following links from `Y`'s segment visits `Y`'s
//!   first-parent chain a segment at a time. A skew-binary skip pointer per
//!   segment finds the link at any depth in O(log depth) steps, so whether
//!   (and how high) `Y`'s first-parent chain passes through `S` is one short
//!   walk. Mainline history is usually a first-parent chain, so this answers
//!   most questions at once; the children answer the rest exactly.
//!
//! The index costs one row per segment and one per parent of a segment head,
//! written with the head; nothing grows with the history per commit.
//!
//! Each step of a side costs a look-up or two, and a side can need many:
//! when both sides have long unique histories, or an old segment with many
//! descendants below `Y`'s generation is not on `Y`'s first-parent chain.
//! So once the sides have taken [`WALK_AFTER`] steps, the segment walk of
//! [`super::segments`] joins them by turns — [`WALK_PER_STEP`] of its
//! cheaper steps for each step of theirs — and whichever finishes first
//! answers; a side that exceeds [`BUDGET`] steps drops out. The worst case
//! is thus about twice the faster of the two walks, plus the head start.

use std::collections::{BinaryHeap, HashMap};

use super::segments::{self, SegmentGraph, Walk};
use crate::model::Id;

/// Steps a side may take (segments entered, indexed look-ups made) before
/// it gives up.
pub const BUDGET: usize = 4096;

/// Steps the sides take before the segment walk joins the race: most
/// questions are answered within them, and the walk's first steps are its
/// dearest (its prefetch windows start small).
pub const WALK_AFTER: usize = 64;

/// Segments the segment walk visits per step of the sides once it runs: in
/// a repository a side's step costs about a query, the walk's steps are
/// mostly served from prefetched rows (measured: about 4 times cheaper).
pub const WALK_PER_STEP: usize = 4;

/// Where a segment hangs in the first-parent tree of segments: following
/// `up` from a segment visits the segment of its head's first parent, that
/// segment's head's first parent, and so on — a commit's first-parent chain,
/// a segment at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Segments below this one on its first-parent path (0 for a root).
    pub depth: i64,
    /// Segment and generation of the head's first parent.
    pub up: Option<(Id, i64)>,
    /// A segment further down the first-parent path, with its depth: the
    /// skip pointer of a skew-binary list, so that any depth is found in
    /// O(log depth) steps.
    pub jump: Option<(Id, i64)>,
}

impl Link {
    /// The link of a segment whose head has no (known) first parent.
    pub fn root() -> Link {
        Link {
            depth: 0,
            up: None,
            jump: None,
        }
    }

    /// The link of a new segment whose head's first parent is at
    /// `(segment, generation)`, given that segment's link and the link its
    /// skip pointer names (if any). The skip pointer goes twice as far as
    /// the parent's when the parent's and its target's jumps are of equal
    /// length, else to the parent.
    pub fn under(up: (Id, i64), parent: &Link, parent_jump: Option<&Link>) -> Link {
        let depth = parent.depth + 1;
        let jump = match (&parent.jump, parent_jump.and_then(|l| l.jump.as_ref())) {
            (Some((_, jd)), Some((jj, jjd))) if parent.depth - jd == jd - jjd => (jj.clone(), *jjd),
            _ => (up.0.clone(), parent.depth),
        };
        Link {
            depth,
            up: Some(up),
            jump: Some(jump),
        }
    }
}

/// A segment whose head has a parent in the segment asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    /// The child segment (its head's id).
    pub segment: Id,
    /// Generation of the child's head.
    pub head_generation: i64,
    /// The highest generation of the head's parents in the segment asked
    /// about: where a path through the child enters it.
    pub at: i64,
}

/// A segment graph with the index this walk reads.
pub trait SegmentIndex: SegmentGraph {
    /// Children of `segment` entering it above generation `above`, whose
    /// heads are at most `max_head_generation`, highest `at` first.
    fn children(
        &mut self,
        segment: &str,
        above: i64,
        max_head_generation: i64,
    ) -> Result<Vec<Child>, Self::Error>;

    /// The link of a segment. `toward` is the depth a level-ancestor walk
    /// from it is heading for, if any: an implementation may fetch the links
    /// that walk visits together with this one.
    fn link(&mut self, segment: &str, toward: Option<i64>) -> Result<Link, Self::Error>;
}

/// Why a computation stopped early.
enum Stop<E> {
    Graph(E),
    Budget,
}

impl<E> From<E> for Stop<E> {
    fn from(e: E) -> Self {
        Stop::Graph(e)
    }
}

/// Counts steps against a budget.
struct Meter {
    left: usize,
}

impl Meter {
    fn spend<E>(&mut self) -> Result<(), Stop<E>> {
        match self.left.checked_sub(1) {
            Some(l) => {
                self.left = l;
                Ok(())
            }
            None => Err(Stop::Budget),
        }
    }
}

/// The segment `depth` levels from the root on `from`'s first-parent path.
fn level_ancestor<G: SegmentIndex>(
    g: &mut G,
    from: &str,
    depth: i64,
) -> Result<Option<Id>, G::Error> {
    let mut v = from.to_string();
    loop {
        let l = g.link(&v, Some(depth))?;
        if l.depth <= depth {
            return Ok((l.depth == depth).then_some(v));
        }
        v = match (l.jump, l.up) {
            (Some((j, jd)), _) if jd >= depth => j,
            (_, Some((u, _))) => u,
            _ => return Ok(None),
        };
    }
}

/// What one position reaches, asked segment by segment and remembered.
struct Reach {
    seg: Id,
    gen: i64,
    depth: Option<i64>,
    /// Whether the head of a segment is reachable.
    heads: HashMap<Id, bool>,
}

/// A segment on the upward search's stack and the children left to try.
struct Frame {
    seg: Id,
    children: Vec<Child>,
    next: usize,
}

impl Reach {
    fn new((seg, gen): (Id, i64)) -> Reach {
        Reach {
            seg,
            gen,
            depth: None,
            heads: HashMap::new(),
        }
    }

    /// The highest generation at which this position's first-parent chain
    /// passes through `seg`.
    fn first_parent_cap<G: SegmentIndex>(
        &mut self,
        g: &mut G,
        seg: &str,
        meter: &mut Meter,
    ) -> Result<Option<i64>, Stop<G::Error>> {
        if seg == self.seg {
            return Ok(Some(self.gen));
        }
        meter.spend()?;
        let depth = g.link(seg, None)?.depth;
        let mine = match self.depth {
            Some(d) => d,
            None => {
                // Fetched with the walk toward `seg`'s depth, which follows.
                let d = g.link(&self.seg, Some(depth + 1))?.depth;
                self.depth = Some(d);
                d
            }
        };
        if depth >= mine {
            return Ok(None);
        }
        let Some(above) = level_ancestor(g, &self.seg, depth + 1)? else {
            return Ok(None);
        };
        Ok(match g.link(&above, None)?.up {
            Some((u, at)) if u == seg => Some(at),
            _ => None,
        })
    }

    /// Whether the head of `seg` (at `head_gen`) is reachable: `seg` is this
    /// position's segment, or on its first-parent chain, or a child of `seg`
    /// has a reachable head. Searched upward, depth first, remembered.
    fn head_reachable<G: SegmentIndex>(
        &mut self,
        g: &mut G,
        seg: &str,
        head_gen: i64,
        meter: &mut Meter,
    ) -> Result<bool, Stop<G::Error>> {
        let mut stack: Vec<Frame> = Vec::new();
        match self.open(g, seg, head_gen, meter)? {
            Ok(known) => return Ok(known),
            Err(frame) => stack.push(frame),
        }
        while let Some(top) = stack.last_mut() {
            let Some(c) = top.children.get(top.next).cloned() else {
                self.heads.insert(top.seg.clone(), false);
                stack.pop();
                continue;
            };
            top.next += 1;
            match self.open(g, &c.segment, c.head_generation, meter)? {
                Ok(false) => {}
                Ok(true) => {
                    // Everything on the stack reaches down to here.
                    for f in stack {
                        self.heads.insert(f.seg, true);
                    }
                    return Ok(true);
                }
                Err(frame) => stack.push(frame),
            }
        }
        Ok(false)
    }

    /// Decide `seg`'s head without searching if possible; else the frame to
    /// search it from.
    fn open<G: SegmentIndex>(
        &mut self,
        g: &mut G,
        seg: &str,
        head_gen: i64,
        meter: &mut Meter,
    ) -> Result<Result<bool, Frame>, Stop<G::Error>> {
        if let Some(&known) = self.heads.get(seg) {
            return Ok(Ok(known));
        }
        let known = if head_gen > self.gen {
            Some(false)
        } else if self.first_parent_cap(g, seg, meter)?.is_some() {
            Some(true)
        } else {
            None
        };
        if let Some(k) = known {
            self.heads.insert(seg.to_string(), k);
            return Ok(Ok(k));
        }
        meter.spend()?;
        let children = g.children(seg, head_gen - 1, self.gen)?;
        Ok(Err(Frame {
            seg: seg.to_string(),
            children,
            next: 0,
        }))
    }

    /// The highest generation in `seg` (head at `head_gen`), at most `top`,
    /// that is reachable.
    fn highest<G: SegmentIndex>(
        &mut self,
        g: &mut G,
        seg: &str,
        head_gen: i64,
        top: i64,
        meter: &mut Meter,
    ) -> Result<Option<i64>, Stop<G::Error>> {
        if head_gen > self.gen || top < head_gen {
            return Ok(None);
        }
        let mut best = self.first_parent_cap(g, seg, meter)?.map(|c| c.min(top));
        if best == Some(top) {
            return Ok(best);
        }
        meter.spend()?;
        let above = best.unwrap_or(head_gen - 1);
        for c in g.children(seg, above, self.gen)? {
            if self.head_reachable(g, &c.segment, c.head_generation, meter)? {
                // Highest entry first: the first reachable one is the best.
                best = Some(best.map_or(c.at, |b| b.max(c.at)).min(top));
                break;
            }
        }
        Ok(best)
    }

    /// Whether `to` is an ancestor of (or is) this position.
    fn reaches<G: SegmentIndex>(
        &mut self,
        g: &mut G,
        to: &(Id, i64),
        meter: &mut Meter,
    ) -> Result<bool, Stop<G::Error>> {
        if to.1 > self.gen {
            return Ok(false);
        }
        let head_gen = g.position(&to.0)?.1;
        Ok(self.highest(g, &to.0, head_gen, to.1, meter)? == Some(to.1))
    }
}

/// One tip's walk down its unique history, asking the other tip's reach.
struct Side {
    other: Reach,
    queue: BinaryHeap<(i64, Id)>,
    entered: HashMap<Id, i64>,
    boundary: Vec<(Id, i64)>,
    meter: Meter,
    gave_up: bool,
}

enum Progress {
    Walking,
    Finished,
    GaveUp,
}

impl Side {
    fn new(from: (Id, i64), other: (Id, i64), budget: usize) -> Side {
        let mut queue = BinaryHeap::new();
        queue.push((from.1, from.0));
        Side {
            other: Reach::new(other),
            queue,
            entered: HashMap::new(),
            boundary: Vec::new(),
            meter: Meter { left: budget },
            gave_up: false,
        }
    }

    fn step<G: SegmentIndex>(&mut self, g: &mut G) -> Result<Progress, G::Error> {
        if self.gave_up {
            return Ok(Progress::GaveUp);
        }
        match self.try_step(g) {
            Ok(p) => Ok(p),
            Err(Stop::Graph(e)) => Err(e),
            Err(Stop::Budget) => {
                self.gave_up = true;
                Ok(Progress::GaveUp)
            }
        }
    }

    fn try_step<G: SegmentIndex>(&mut self, g: &mut G) -> Result<Progress, Stop<G::Error>> {
        // Highest generation first: a segment's highest entry comes first.
        let (gen, seg) = loop {
            let Some((gen, seg)) = self.queue.pop() else {
                return Ok(Progress::Finished);
            };
            if self.entered.get(&seg).is_none_or(|e| *e < gen) {
                break (gen, seg);
            }
        };
        self.meter.spend()?;
        self.entered.insert(seg.clone(), gen);
        let head_gen = g.position(&seg)?.1;
        match self
            .other
            .highest(g, &seg, head_gen, gen, &mut self.meter)?
        {
            Some(h) => self.boundary.push((seg, h)),
            None => {
                // Nothing of it is reachable, its head included: upward
                // searches through it need not look further.
                self.other.heads.insert(seg.clone(), false);
                for (ps, pg) in g.head_parents(&seg)? {
                    if self.entered.get(&ps).is_none_or(|e| *e < pg) {
                        self.queue.push((pg, ps));
                    }
                }
            }
        }
        Ok(if self.queue.is_empty() {
            Progress::Finished
        } else {
            Progress::Walking
        })
    }

    /// Steps spent so far.
    fn spent(&self, budget: usize) -> usize {
        budget - self.meter.left
    }
}

/// How the index walk shares the work with the segment walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Steps (segments entered, indexed look-ups) a side may take before it
    /// gives up.
    pub budget: usize,
    /// Steps the sides take (together) before the segment walk starts.
    pub walk_after: usize,
    /// Segments the segment walk visits for every step of the sides after
    /// that (its look-ups are prefetched, so a step costs it less); 0 runs
    /// it only once both sides gave up.
    pub walk_per_step: usize,
}

impl Options {
    /// The index walk alone (the segment walk only if both sides give up).
    pub fn index_alone() -> Options {
        Options {
            budget: usize::MAX,
            walk_after: 0,
            walk_per_step: 0,
        }
    }

    /// The segment walk alone.
    pub fn walk_alone() -> Options {
        Options {
            budget: 0,
            walk_after: 0,
            walk_per_step: 0,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            budget: BUDGET,
            walk_after: WALK_AFTER,
            walk_per_step: WALK_PER_STEP,
        }
    }
}

/// All best common ancestors of `a` and `b` (none when the histories are
/// unrelated), by descending generation, then segment: the order of
/// [`segments::merge_bases`].
pub fn merge_bases<G: SegmentIndex>(g: &mut G, a: &str, b: &str) -> Result<Vec<Id>, G::Error> {
    merge_bases_with(g, a, b, Options::default())
}

/// [`merge_bases`] with other [`Options`]. Both sides and the segment walk
/// run by turns; whichever finishes first answers.
pub fn merge_bases_with<G: SegmentIndex>(
    g: &mut G,
    a: &str,
    b: &str,
    opts: Options,
) -> Result<Vec<Id>, G::Error> {
    if a == b {
        return Ok(vec![a.to_string()]);
    }
    let pa = g.position(a)?;
    let pb = g.position(b)?;
    let mut walk = Walk::new(g, a, b)?;
    let mut sides = [
        Side::new(pa.clone(), pb.clone(), opts.budget),
        Side::new(pb, pa, opts.budget),
    ];
    let mut spent = 0;
    let boundary = 'race: loop {
        let mut walking = false;
        for side in sides.iter_mut() {
            match side.step(g)? {
                Progress::Finished => break 'race std::mem::take(&mut side.boundary),
                Progress::Walking => walking = true,
                Progress::GaveUp => {}
            }
        }
        let now = sides
            .iter()
            .map(|s| s.spent(opts.budget))
            .sum::<usize>()
            .saturating_sub(opts.walk_after);
        let turns = if walking {
            (now - spent).saturating_mul(opts.walk_per_step)
        } else {
            usize::MAX
        };
        spent = now;
        for _ in 0..turns {
            if walk.step(g)? {
                return walk.finish(g);
            }
        }
    };
    match maxima(g, boundary, opts.budget) {
        Ok(mut bases) => {
            bases.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
            let mut out = Vec::with_capacity(bases.len());
            for (seg, gen) in bases {
                out.push(g.commit_at(&seg, gen)?);
            }
            Ok(out)
        }
        Err(Stop::Graph(e)) => Err(e),
        Err(Stop::Budget) => {
            while !walk.step(g)? {}
            walk.finish(g)
        }
    }
}

/// The positions of `boundary` no other one reaches.
fn maxima<G: SegmentIndex>(
    g: &mut G,
    mut boundary: Vec<(Id, i64)>,
    budget: usize,
) -> Result<Vec<(Id, i64)>, Stop<G::Error>> {
    // One position per segment, the highest (it reaches the others).
    boundary.sort_by(|x, y| x.0.cmp(&y.0).then_with(|| y.1.cmp(&x.1)));
    boundary.dedup_by(|later, first| later.0 == first.0);
    if boundary.len() < 2 {
        return Ok(boundary);
    }
    // A position can only be reached from a higher one, and one reached
    // from a dropped position is reached from whatever dropped that one.
    boundary.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
    let mut meter = Meter { left: budget };
    let mut kept: Vec<Reach> = Vec::new();
    for p in boundary {
        let mut reached = false;
        for k in kept.iter_mut() {
            if k.reaches(g, &p, &mut meter)? {
                reached = true;
                break;
            }
        }
        if !reached {
            kept.push(Reach::new(p));
        }
    }
    Ok(kept.into_iter().map(|k| (k.seg, k.gen)).collect())
}

/// Whether `ancestor` is reachable from `descendant` (a commit is its own
/// ancestor); the segment walk answers if the index needs more than
/// [`BUDGET`] steps.
pub fn is_ancestor<G: SegmentIndex>(
    g: &mut G,
    ancestor: &str,
    descendant: &str,
) -> Result<bool, G::Error> {
    if ancestor == descendant {
        return Ok(true);
    }
    let to = g.position(ancestor)?;
    let from = g.position(descendant)?;
    let mut meter = Meter { left: BUDGET };
    match Reach::new(from).reaches(g, &to, &mut meter) {
        Ok(r) => Ok(r),
        Err(Stop::Graph(e)) => Err(e),
        Err(Stop::Budget) => segments::is_ancestor(g, ancestor, descendant),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::segments::MemorySegments;

    /// Counts the look-ups a walk makes (links apart: a repository fetches
    /// a level-ancestor walk's links at once).
    struct Counting {
        g: MemorySegments,
        calls: usize,
        links: usize,
    }

    impl SegmentGraph for Counting {
        type Error = crate::merge::bases::UnknownCommit;
        fn position(&mut self, id: &str) -> Result<(Id, i64), Self::Error> {
            self.g.position(id)
        }
        fn head_parents(&mut self, segment: &str) -> Result<Vec<(Id, i64)>, Self::Error> {
            self.calls += 1;
            self.g.head_parents(segment)
        }
        fn commit_at(&mut self, segment: &str, generation: i64) -> Result<Id, Self::Error> {
            self.g.commit_at(segment, generation)
        }
    }

    impl SegmentIndex for Counting {
        fn children(&mut self, s: &str, above: i64, max: i64) -> Result<Vec<Child>, Self::Error> {
            self.calls += 1;
            self.g.children(s, above, max)
        }
        fn link(&mut self, s: &str, toward: Option<i64>) -> Result<Link, Self::Error> {
            self.links += 1;
            self.g.link(s, toward)
        }
    }

    /// The benchmark's shape: every 10th commit on main merges a one-commit
    /// topic branch; `far` forks at main's 5th commit, `near` 15 below the tip.
    fn merge_heavy(n: usize) -> MemorySegments {
        let mut g = MemorySegments::default();
        g.add("m0", &[]);
        for i in 1..=n {
            let prev = format!("m{}", i - 1);
            if i % 10 == 0 {
                let s = format!("s{i}");
                g.add(&s, &[prev.as_str()]);
                g.add(&format!("m{i}"), &[prev.as_str(), s.as_str()]);
            } else {
                g.add(&format!("m{i}"), &[prev.as_str()]);
            }
        }
        for (name, from) in [("near", n - 15), ("far", 5)] {
            for k in 1..=10 {
                let p = if k == 1 {
                    format!("m{from}")
                } else {
                    format!("{name}{}", k - 1)
                };
                g.add(&format!("{name}{k}"), &[p.as_str()]);
            }
        }
        g
    }

    #[test]
    fn far_fork_below_many_merges_in_few_steps() {
        let mut c = Counting {
            g: merge_heavy(10_000),
            calls: 0,
            links: 0,
        };
        let alone = Options::index_alone();
        assert_eq!(
            merge_bases_with(&mut c, "m10000", "far10", alone).unwrap(),
            vec!["m5"]
        );
        assert!(c.calls < 10, "{} look-ups", c.calls);
        assert!(c.links < 60, "{} links", c.links);
        c.calls = 0;
        assert_eq!(merge_bases(&mut c, "m10000", "far10").unwrap(), vec!["m5"]);
        assert!(c.calls < 150, "{} look-ups", c.calls);
        c.calls = 0;
        assert_eq!(
            segments::merge_bases(&mut c, "m10000", "far10").unwrap(),
            vec!["m5"]
        );
        assert!(c.calls > 1000, "the plain walk passes every merge");
        c.calls = 0;
        assert_eq!(
            merge_bases_with(&mut c, "near10", "m10000", alone).unwrap(),
            vec!["m9985"]
        );
        assert!(c.calls < 20, "{} look-ups", c.calls);
        assert!(is_ancestor(&mut c, "m5", "m10000").unwrap());
        assert!(is_ancestor(&mut c, "s9990", "m10000").unwrap());
        assert!(!is_ancestor(&mut c, "far1", "m10000").unwrap());
        assert!(!is_ancestor(&mut c, "m6", "far10").unwrap());
    }

    #[test]
    fn any_racer_may_answer() {
        let mut g = merge_heavy(200);
        for budget in [0, 1, 2, 3, 5, 8, BUDGET] {
            for walk_per_step in [0, 1, 16, usize::MAX / 2] {
                let opts = Options {
                    budget,
                    walk_after: budget / 2,
                    walk_per_step,
                };
                assert_eq!(
                    merge_bases_with(&mut g, "m200", "far10", opts).unwrap(),
                    vec!["m5"]
                );
            }
        }
    }

    #[test]
    fn skip_pointers_find_every_depth() {
        // A first-parent chain of 301 segments (every commit a merge).
        let mut g = MemorySegments::default();
        g.add("r", &[]);
        g.add("x", &["r"]);
        let mut prev = "r".to_string();
        for i in 0..300 {
            let id = format!("c{i}");
            g.add(&id, &[prev.as_str(), "x"]);
            prev = id;
        }
        let tip_depth = g.link(&prev, None).unwrap().depth;
        assert_eq!(tip_depth, 300);
        let mut chain = vec![prev.clone()];
        let mut v = prev.clone();
        while let Some((u, _)) = g.link(&v, None).unwrap().up {
            chain.push(u.clone());
            v = u;
        }
        for (i, seg) in chain.iter().enumerate() {
            let depth = tip_depth - i as i64;
            assert_eq!(
                level_ancestor(&mut g, &prev, depth).unwrap().as_deref(),
                Some(seg.as_str())
            );
        }
        assert_eq!(level_ancestor(&mut g, &prev, tip_depth + 1).unwrap(), None);
    }
}
