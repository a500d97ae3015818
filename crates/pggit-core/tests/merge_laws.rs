//! Laws of the pure three-way merge over generated histories: a base tree
//! and two sides derived from it by random edits drawn from a small
//! alphabet, so that both sides often touch the same units.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use pggit_core::merge::{merge, unit_value, Classification, Key, Options};
use pggit_core::model::{Column, Object, Table};
use pggit_core::{Entry, Tree};
use proptest::prelude::*;

const CASES: u32 = 1000;

#[derive(Debug, Clone)]
enum Edit {
    AddColumn(usize, usize),
    DropColumn(usize, usize),
    SetDefault(usize, usize, usize),
    RenameColumn(usize, usize, usize),
    Retype(usize, usize, usize),
    AddTable(usize),
    DropTable(usize),
    AddIndex(usize, usize),
    DropIndex(usize),
    ChangeView(usize),
    Comment(usize, usize),
    EnumLabel(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..4usize, 0..3usize).prop_map(|(t, n)| Edit::AddColumn(t, n)),
        (0..4usize, 0..4usize).prop_map(|(t, c)| Edit::DropColumn(t, c)),
        (0..4usize, 0..4usize, 0..3usize).prop_map(|(t, c, v)| Edit::SetDefault(t, c, v)),
        (0..4usize, 0..4usize, 0..3usize).prop_map(|(t, c, n)| Edit::RenameColumn(t, c, n)),
        (0..4usize, 0..4usize, 0..3usize).prop_map(|(t, c, v)| Edit::Retype(t, c, v)),
        (0..3usize).prop_map(Edit::AddTable),
        (0..4usize).prop_map(Edit::DropTable),
        (0..4usize, 0..2usize).prop_map(|(t, n)| Edit::AddIndex(t, n)),
        (0..4usize).prop_map(Edit::DropIndex),
        (0..3usize).prop_map(Edit::ChangeView),
        (0..4usize, 0..3usize).prop_map(|(t, v)| Edit::Comment(t, v)),
        (0..3usize).prop_map(Edit::EnumLabel),
    ]
}

fn entry(object: Object, deps: Vec<String>) -> Arc<Entry> {
    Arc::new(Entry { object, deps })
}

fn column(id: String, name: String, ty: &str) -> Column {
    Column {
        id,
        name,
        data_type: ty.into(),
        inherited: false,
        options: vec![],
        settings: Default::default(),
        collation: None,
        not_null: false,
        default: None,
        identity: None,
        generated: None,
        not_null_name: None,
        comment: None,
    }
}

fn table(name: &str, cols: Vec<Column>) -> Object {
    Object::Table(Table {
        schema: "public".into(),
        name: name.into(),
        columns: cols,
        unlogged: false,
        partition_key: None,
        partition_of: None,
        inherits: vec![],
        of_type: None,
        foreign: None,
        options: vec![],
        row_security: false,
        force_row_security: false,
        replica_identity: None,
        comment: None,
    })
}

/// Base: 4 tables of 3 columns, an index on each, a view over table 0,
/// an enum.
fn base() -> Tree {
    let mut t = Tree::default();
    for i in 0..4 {
        let cols = (0..3)
            .map(|c| column(format!("c{i}_{c}"), format!("col{c}"), "integer"))
            .collect();
        t.entries.insert(
            format!("t{i}"),
            entry(table(&format!("t{i}"), cols), vec![]),
        );
        t.entries.insert(
            format!("i{i}"),
            entry(
                Object::Index {
                    table: format!("t{i}"),
                    name: format!("t{i}_col0"),
                    unique: false,
                    definition: "USING btree (col0)".into(),
                    comment: None,
                    clustered: false,
                    statistics: vec![],
                },
                vec![format!("c{i}_0")],
            ),
        );
    }
    t.entries.insert(
        "v0".into(),
        entry(
            Object::View {
                schema: "public".into(),
                name: "v0".into(),
                materialized: false,
                query: "SELECT col0 FROM t0".into(),
                columns: vec![],
                options: vec![],
                comment: None,
            },
            vec!["t0".into(), "c0_0".into()],
        ),
    );
    t.entries.insert(
        "e0".into(),
        entry(
            Object::Enum {
                schema: "public".into(),
                name: "mood".into(),
                labels: vec!["happy".into(), "sad".into()],
                comment: None,
            },
            vec![],
        ),
    );
    t
}

fn with_table(tree: &mut Tree, t: usize, f: impl FnOnce(&mut Table)) {
    let id = format!("t{t}");
    if let Some(e) = tree.entries.get(&id) {
        if let Object::Table(tb) = &e.object {
            let mut tb = tb.clone();
            f(&mut tb);
            let deps = e.deps.clone();
            tree.entries.insert(id, entry(Object::Table(tb), deps));
        }
    }
}

/// Apply edits, keeping the tree valid (unique names, no dangling
/// references), as a real database would.
fn apply(mut tree: Tree, edits: &[Edit]) -> Tree {
    for e in edits {
        match *e {
            Edit::AddColumn(t, n) => with_table(&mut tree, t, |tb| {
                let name = format!("new{n}");
                if !tb.columns.iter().any(|c| c.name == name) {
                    tb.columns.push(column(
                        format!("n{t}_{n}"),
                        name,
                        ["text", "integer", "text"][n],
                    ));
                }
            }),
            Edit::DropColumn(t, c) => {
                let mut dropped = None;
                with_table(&mut tree, t, |tb| {
                    if c < tb.columns.len() && tb.columns.len() > 1 {
                        dropped = Some(tb.columns.remove(c).id);
                    }
                });
                if let Some(col) = dropped {
                    tree.entries.retain(|_, e| !e.deps.contains(&col));
                }
            }
            Edit::SetDefault(t, c, v) => with_table(&mut tree, t, |tb| {
                if let Some(col) = tb.columns.get_mut(c) {
                    col.default = Some(["0", "1", "42"][v].into());
                }
            }),
            Edit::RenameColumn(t, c, n) => with_table(&mut tree, t, |tb| {
                let name = format!("ren{n}");
                if c < tb.columns.len() && !tb.columns.iter().any(|x| x.name == name) {
                    tb.columns[c].name = name;
                }
            }),
            Edit::Retype(t, c, v) => with_table(&mut tree, t, |tb| {
                if let Some(col) = tb.columns.get_mut(c) {
                    col.data_type = ["bigint", "text", "numeric"][v].into();
                }
            }),
            Edit::AddTable(n) => {
                let id = format!("new_t{n}");
                if !tree.entries.contains_key(&id) {
                    let cols = vec![column(format!("{id}_c"), "id".into(), "integer")];
                    tree.entries
                        .insert(id.clone(), entry(table(&format!("new{n}"), cols), vec![]));
                }
            }
            Edit::DropTable(t) => {
                let id = format!("t{t}");
                if tree.entries.remove(&id).is_some() {
                    tree.entries.retain(|_, e| {
                        e.object.parent_table() != Some(&id)
                            && !e
                                .deps
                                .iter()
                                .any(|d| d == &id || d.starts_with(&format!("c{t}_")))
                    });
                }
            }
            Edit::AddIndex(t, n) => {
                let tid = format!("t{t}");
                if tree.entries.contains_key(&tid) {
                    tree.entries.insert(
                        format!("new_i{t}_{n}"),
                        entry(
                            Object::Index {
                                table: tid,
                                name: format!("t{t}_extra{n}"),
                                unique: n == 1,
                                definition: "USING btree (col1)".into(),
                                comment: None,
                                clustered: false,
                                statistics: vec![],
                            },
                            vec![],
                        ),
                    );
                }
            }
            Edit::DropIndex(i) => {
                tree.entries.remove(&format!("i{i}"));
            }
            Edit::ChangeView(q) => {
                if let Some(e) = tree.entries.get("v0") {
                    if let Object::View { .. } = &e.object {
                        let mut o = e.object.clone();
                        if let Object::View { query, .. } = &mut o {
                            *query = format!("SELECT col0 + {q} FROM t0");
                        }
                        let deps = e.deps.clone();
                        tree.entries.insert("v0".into(), entry(o, deps));
                    }
                }
            }
            Edit::Comment(t, v) => with_table(&mut tree, t, |tb| {
                tb.comment = Some(format!("comment {v}"));
            }),
            Edit::EnumLabel(l) => {
                if let Some(e) = tree.entries.get("e0") {
                    let mut o = e.object.clone();
                    if let Object::Enum { labels, .. } = &mut o {
                        let label = format!("l{l}");
                        if !labels.contains(&label) {
                            labels.push(label);
                        }
                    }
                    tree.entries.insert("e0".into(), entry(o, vec![]));
                }
            }
        }
    }
    tree
}

fn sides() -> impl Strategy<Value = (Tree, Tree, Tree)> {
    (
        prop::collection::vec(edit(), 0..6),
        prop::collection::vec(edit(), 0..6),
    )
        .prop_map(|(a, b)| {
            let base = base();
            let x = apply(base.clone(), &a);
            let y = apply(base.clone(), &b);
            (base, x, y)
        })
}

fn conflict_set(m: &pggit_core::merge::Merge, swap: bool) -> BTreeSet<(Key, Classification)> {
    m.conflicts
        .iter()
        .map(|c| (c.key.clone(), if swap { c.kind.swapped() } else { c.kind }))
        .collect()
}

fn opts(union: bool) -> Options {
    Options {
        union,
        ..Options::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn taking_only_the_target((b, x, _y) in sides(), union in any::<bool>()) {
        let m = merge(&b, &x, &b, &opts(union));
        prop_assert!(m.is_clean());
        prop_assert_eq!(m.tree, x);
    }

    #[test]
    fn taking_only_the_source((b, _x, y) in sides(), union in any::<bool>()) {
        let m = merge(&b, &b, &y, &opts(union));
        prop_assert!(m.is_clean());
        prop_assert_eq!(m.tree, y);
    }

    #[test]
    fn same_change_on_both_sides((b, x, _y) in sides(), union in any::<bool>()) {
        let m = merge(&b, &x, &x, &opts(union));
        prop_assert!(m.is_clean());
        prop_assert_eq!(m.tree, x);
    }

    #[test]
    fn swapping_sides_swaps_kinds((b, x, y) in sides(), union in any::<bool>()) {
        let m1 = merge(&b, &x, &y, &opts(union));
        let m2 = merge(&b, &y, &x, &opts(union));
        prop_assert_eq!(conflict_set(&m1, false), conflict_set(&m2, true));
        let c1: BTreeSet<(Key, Classification)> =
            m1.changes.iter().map(|c| (c.key.clone(), c.kind)).collect();
        let c2: BTreeSet<(Key, Classification)> =
            m2.changes.iter().map(|c| (c.key.clone(), c.kind.swapped())).collect();
        prop_assert_eq!(c1, c2);
        // Clean results may differ only in where each side's new columns
        // go (the target's first), so their object sets are equal.
        if m1.is_clean() {
            prop_assert_eq!(
                m1.tree.entries.keys().collect::<Vec<_>>(),
                m2.tree.entries.keys().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn clean_changes_are_in_the_result((b, x, y) in sides(), union in any::<bool>()) {
        let m = merge(&b, &x, &y, &opts(union));
        // Changes are compared in the form that follows the other side's renames.
        let (b, x, y) = pggit_core::merge::followed(&b, &x, &y);
        let conflicted: BTreeSet<&String> = m.conflicts.iter().map(|c| &c.key.id).collect();
        for ch in &m.changes {
            if conflicted.contains(&ch.key.id) {
                continue;
            }
            // A removed table takes its dependents along.
            let anchor_conflicted = [&x, &y, &b].iter().any(|t| {
                t.get(&ch.key.id)
                    .and_then(|o| o.parent_table())
                    .is_some_and(|p| conflicted.contains(p))
            });
            if anchor_conflicted {
                continue;
            }
            let expected = match ch.kind {
                Classification::SourceModified | Classification::DeletedSource => unit_value(&y, &ch.key),
                Classification::TargetModified | Classification::DeletedTarget
                | Classification::NoConflict => unit_value(&x, &ch.key),
                _ => continue,
            };
            if union && !ch.key.part.is_empty() && unit_value(&x, &ch.key) != unit_value(&y, &ch.key) {
                continue; // a list merged from both sides
            }
            prop_assert_eq!(unit_value(&m.tree, &ch.key), expected, "{:?}", ch);
        }
    }

    #[test]
    fn clean_result_is_made_of_side_changes((b, x, y) in sides()) {
        let m = merge(&b, &x, &y, &Options::default());
        prop_assume!(m.is_clean());
        let (b, x, y) = pggit_core::merge::followed(&b, &x, &y);
        let ids: BTreeSet<&String> = b.entries.keys().chain(x.entries.keys()).chain(y.entries.keys()).collect();
        for id in ids {
            let r = m.tree.entries.get(id);
            if r == b.entries.get(id) || r == x.entries.get(id) || r == y.entries.get(id) {
                continue;
            }
            // Field-merged: every field and column field from one side.
            let (Some(_), Some(_)) = (x.get(id), y.get(id)) else {
                prop_assert!(false, "{id} is in neither side's form");
                continue;
            };
            let mut keys: Vec<Key> = Vec::new();
            if let Some(serde_json::Value::Object(o)) = unit_value(&m.tree, &Key::new(id, "")) {
                for k in o.keys().filter(|k| *k != "kind" && *k != "columns") {
                    keys.push(Key::new(id, k));
                }
            }
            if let Some(Object::Table(t)) = m.tree.get(id) {
                for c in &t.columns {
                    for f in ["name", "data_type", "default", "comment", "not_null"] {
                        keys.push(Key::new(id, &format!("column {}.{f}", c.id)));
                    }
                }
            }
            for k in keys {
                let v = unit_value(&m.tree, &k);
                prop_assert!(v == unit_value(&x, &k) || v == unit_value(&y, &k), "{:?}", k);
            }
        }
    }
}

#[test]
fn rename_on_one_side_default_on_the_other_is_clean() {
    let b = base();
    let x = apply(b.clone(), &[Edit::RenameColumn(1, 1, 0)]);
    let y = apply(b.clone(), &[Edit::SetDefault(1, 1, 2)]);
    let m = merge(&b, &x, &y, &Options::default());
    assert!(m.is_clean(), "{:?}", m.conflicts);
    let Some(Object::Table(t)) = m.tree.get("t1") else {
        panic!()
    };
    assert_eq!(t.columns[1].name, "ren0");
    assert_eq!(t.columns[1].default.as_deref(), Some("42"));
}

#[test]
fn retype_both_sides_conflicts_and_resolution_picks() {
    let b = base();
    let x = apply(b.clone(), &[Edit::Retype(0, 2, 0)]);
    let y = apply(b.clone(), &[Edit::Retype(0, 2, 1)]);
    let m = merge(&b, &x, &y, &Options::default());
    let c: Vec<_> = m.unresolved().collect();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].kind, Classification::BothModified);
    assert_eq!(c[0].part, "column col2: data_type");
    let mut o = Options::default();
    o.resolutions.insert(
        c[0].key.clone(),
        pggit_core::merge::Choice::Side(pggit_core::merge::Side::Source),
    );
    let m2 = merge(&b, &x, &y, &o);
    assert!(m2.is_clean());
    let Some(Object::Table(t)) = m2.tree.get("t0") else {
        panic!()
    };
    assert_eq!(t.columns[2].data_type, "text");
}

#[test]
fn table_dropped_on_one_side_altered_on_other_conflicts() {
    let b = base();
    let x = apply(b.clone(), &[Edit::DropTable(2)]);
    let y = apply(b.clone(), &[Edit::AddColumn(2, 0)]);
    let m = merge(&b, &x, &y, &Options::default());
    let kinds: Vec<_> = m.unresolved().map(|c| (c.object.clone(), c.kind)).collect();
    assert_eq!(
        kinds,
        vec![("public.t2".to_string(), Classification::DeletedTarget)]
    );
    // An index added to a table the other side dropped is a conflict too.
    let y2 = apply(b.clone(), &[Edit::AddIndex(2, 0)]);
    let m2 = merge(&b, &x, &y2, &Options::default());
    assert_eq!(m2.unresolved().count(), 1);
}

#[test]
fn both_added_differently_conflicts_and_identically_merges() {
    let b = base();
    let x = apply(b.clone(), &[Edit::AddIndex(0, 0)]);
    let same = merge(&b, &x, &x.clone(), &Options::default());
    assert!(same.is_clean());
    let mut y = x.clone();
    let e = y.entries.get("new_i0_0").unwrap().clone();
    let mut o = e.object.clone();
    if let Object::Index { definition, .. } = &mut o {
        *definition = "USING hash (col1)".into();
    }
    y.entries.insert("new_i0_0".into(), entry(o, vec![]));
    let m = merge(&b, &x, &y, &Options::default());
    assert_eq!(
        m.unresolved().next().unwrap().kind,
        Classification::BothAdded
    );
    let _ = BTreeMap::<u8, u8>::new();
}

#[test]
fn same_object_added_under_two_ids_is_one_object() {
    let b = base();
    let x = apply(b.clone(), &[Edit::AddIndex(3, 0), Edit::AddColumn(1, 1)]);
    let mut y = x.clone();
    let idx = y.entries.remove("new_i3_0").unwrap();
    y.entries.insert("other_id".into(), idx);
    with_table(&mut y, 1, |tb| {
        let c = tb.columns.last_mut().unwrap();
        c.id = "other_col".into();
    });
    let m = merge(&b, &x, &y, &Options::default());
    assert!(m.is_clean(), "{:?}", m.conflicts);
    assert_eq!(m.tree.entries.len(), x.entries.len());
    let Some(Object::Table(t)) = m.tree.get("t1") else {
        panic!()
    };
    assert_eq!(t.columns.len(), 4);
}

mod bases_oracle {
    use super::*;
    use pggit_core::merge::bases::{merge_bases, MemoryGraph};
    use pggit_core::merge::reach;
    use pggit_core::merge::segments::{self, MemorySegments};
    use std::collections::HashSet;

    fn ancestors(parents: &[Vec<usize>], n: usize) -> HashSet<usize> {
        let mut seen = HashSet::new();
        let mut stack = vec![n];
        while let Some(x) = stack.pop() {
            if seen.insert(x) {
                stack.extend(parents[x].iter().copied());
            }
        }
        seen
    }

    /// A history written commit by commit, as the repository writes it, in
    /// every graph representation under test.
    #[derive(Default)]
    struct History {
        parents: Vec<Vec<usize>>,
        plain: MemoryGraph,
        segs: MemorySegments,
    }

    impl History {
        fn add(&mut self, ps: Vec<usize>) -> usize {
            let i = self.parents.len();
            let names: Vec<String> = ps.iter().map(|p| format!("c{p}")).collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            self.plain.add(&format!("c{i}"), &refs);
            self.segs.add(&format!("c{i}"), &refs);
            self.parents.push(ps);
            i
        }

        fn best(&self, a: usize, b: usize) -> BTreeSet<String> {
            let (aa, ab) = (ancestors(&self.parents, a), ancestors(&self.parents, b));
            let common: HashSet<usize> = aa.intersection(&ab).copied().collect();
            common
                .iter()
                .filter(|c| {
                    !common
                        .iter()
                        .any(|d| d != *c && ancestors(&self.parents, *d).contains(c))
                })
                .map(|c| format!("c{c}"))
                .collect()
        }

        /// Every algorithm against brute force for one pair. The index walk
        /// runs alone, and in a race with the segment walk under `budget`
        /// with `walk_per_step` after `walk_after` (small budgets make sides
        /// drop out part way).
        fn check(
            &mut self,
            a: usize,
            b: usize,
            (budget, walk_after, walk_per_step): (usize, usize, usize),
        ) -> Result<(), TestCaseError> {
            let best = self.best(a, b);
            let (a, b) = (format!("c{a}"), format!("c{b}"));
            let set = |v: Vec<String>| v.into_iter().collect::<BTreeSet<String>>();
            prop_assert_eq!(&set(merge_bases(&mut self.plain, &a, &b).unwrap()), &best);
            let walked = segments::merge_bases(&mut self.segs, &a, &b).unwrap();
            prop_assert_eq!(&set(walked.clone()), &best, "segment walk");
            let alone = reach::Options::index_alone();
            let indexed = reach::merge_bases_with(&mut self.segs, &a, &b, alone).unwrap();
            prop_assert_eq!(&indexed, &walked, "index walk (in the walk's order)");
            let raced = reach::merge_bases(&mut self.segs, &a, &b).unwrap();
            prop_assert_eq!(&raced, &walked, "index walk racing the segment walk");
            let opts = reach::Options {
                budget,
                walk_after,
                walk_per_step,
            };
            let bounded = reach::merge_bases_with(&mut self.segs, &a, &b, opts).unwrap();
            prop_assert_eq!(&bounded, &walked, "{:?}", opts);
            // `a` is an ancestor of `b` exactly when it is their only base.
            let truth = best.len() == 1 && best.contains(&a);
            prop_assert_eq!(reach::is_ancestor(&mut self.segs, &a, &b).unwrap(), truth);
            prop_assert_eq!(
                segments::is_ancestor(&mut self.segs, &a, &b).unwrap(),
                truth
            );
            Ok(())
        }
    }

    /// One step of a history of branches.
    #[derive(Debug, Clone)]
    enum Step {
        /// A commit on a branch.
        Commit(usize),
        /// A new branch from a branch's tip.
        Fork(usize),
        /// A new branch from any commit (often far back).
        ForkAt(usize),
        /// Merge one branch into another.
        Merge(usize, usize),
        /// Merge two branches into each other (criss-cross).
        Cross(usize, usize),
        /// An unrelated root.
        Root,
    }

    fn steps(merge_weight: u32) -> impl Strategy<Value = Vec<Step>> {
        prop::collection::vec(
            prop_oneof![
                4 => any::<usize>().prop_map(Step::Commit),
                1 => any::<usize>().prop_map(Step::Fork),
                1 => any::<usize>().prop_map(Step::ForkAt),
                merge_weight => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Step::Merge(a, b)),
                1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Step::Cross(a, b)),
                1 => Just(Step::Root),
            ],
            1..80,
        )
    }

    /// Play the steps; the branch tips at the end.
    fn play(h: &mut History, steps: &[Step]) -> Vec<usize> {
        let mut tips = vec![h.add(vec![])];
        for s in steps {
            let n = tips.len();
            match *s {
                Step::Commit(i) => tips[i % n] = h.add(vec![tips[i % n]]),
                Step::Fork(i) => tips.push(h.add(vec![tips[i % n]])),
                Step::ForkAt(c) => {
                    let at = c % h.parents.len();
                    tips.push(h.add(vec![at]));
                }
                Step::Merge(i, j) if i % n != j % n => {
                    tips[i % n] = h.add(vec![tips[i % n], tips[j % n]]);
                }
                Step::Cross(i, j) if i % n != j % n => {
                    let (x, y) = (tips[i % n], tips[j % n]);
                    tips[i % n] = h.add(vec![x, y]);
                    tips[j % n] = h.add(vec![y, x]);
                }
                Step::Merge(..) | Step::Cross(..) => {}
                Step::Root => tips.push(h.add(vec![])),
            }
        }
        tips
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(CASES))]

        /// Merge bases equal the best common ancestors found by brute force
        /// on random DAGs (criss-cross merges included), for the plain walk,
        /// the segment walk and the index walk.
        #[test]
        fn merge_bases_match_brute_force(
            raw in prop::collection::vec((0usize..1000, 0usize..1000, prop::bool::weighted(0.2)), 1..60),
            a in 0usize..1000, b in 0usize..1000, opts in (0usize..40, 0usize..8, 0usize..4),
        ) {
            let mut h = History::default();
            for (i, (p1, p2, two)) in raw.iter().enumerate() {
                let mut ps = Vec::new();
                if i > 0 {
                    // Half the commits continue the previous one, so long
                    // chains (segments) and forks off them are common.
                    let first = if p1 % 2 == 0 { i - 1 } else { p1 % i };
                    ps.push(first);
                    if *two && p2 % i != first {
                        ps.push(p2 % i);
                    }
                }
                h.add(ps);
            }
            let n = h.parents.len();
            h.check(a % n, b % n, opts)?;
        }

        /// The same on histories of branches: commits, forks from tips and
        /// from far back, merges (often: merge-heavy), criss-cross merges
        /// and unrelated roots; pairs drawn mostly from the branch tips.
        #[test]
        fn merge_bases_of_branches_match_brute_force(
            steps in (1u32..8).prop_flat_map(steps),
            pairs in prop::collection::vec((any::<usize>(), any::<usize>(), any::<bool>(), (0usize..40, 0usize..8, 0usize..4)), 1..6),
        ) {
            let mut h = History::default();
            let tips = play(&mut h, &steps);
            let n = h.parents.len();
            for (x, y, from_tips, opts) in pairs {
                let (a, b) = if from_tips {
                    (tips[x % tips.len()], tips[y % tips.len()])
                } else {
                    (x % n, tips[y % tips.len()])
                };
                h.check(a, b, opts)?;
            }
        }

        /// Merge-heavy histories with a branch forked far below the merges:
        /// main merges short topic branches again and again.
        #[test]
        fn merge_bases_below_many_merges_match_brute_force(
            topics in prop::collection::vec((1usize..4, 0usize..3, any::<bool>()), 1..25),
            fork in any::<usize>(), far_len in 1usize..4, opts in (0usize..300, 0usize..8, 0usize..4),
            probe in any::<usize>(),
        ) {
            let mut h = History::default();
            let mut main = h.add(vec![]);
            let mut mains = vec![main];
            let mut open: Vec<usize> = Vec::new();
            for (len, lag, keep_open) in topics {
                // A topic forked `lag` main commits back, `len` commits long,
                // merged now (or left open, merged by the next topic).
                let from = mains[mains.len().saturating_sub(1 + lag)];
                let mut t = from;
                for _ in 0..len {
                    t = h.add(vec![t]);
                }
                main = h.add(vec![main]);
                mains.push(main);
                if keep_open {
                    open.push(t);
                } else {
                    main = h.add(vec![main, t]);
                    mains.push(main);
                }
                if let Some(o) = open.pop().filter(|_| !keep_open) {
                    main = h.add(vec![main, o]);
                    mains.push(main);
                }
            }
            let mut far = mains[fork % mains.len().min(3)];
            for _ in 0..far_len {
                far = h.add(vec![far]);
            }
            h.check(main, far, opts)?;
            h.check(far, main, opts)?;
            let other = probe % h.parents.len();
            h.check(main, other, opts)?;
            h.check(other, far, opts)?;
        }
    }
}
