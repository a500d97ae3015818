//! Dependency order of a tree's objects.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::model::{Id, Kind, Object};
use crate::tree::Tree;

/// Creation rank of a kind: the tie-break when dependencies allow any order.
fn rank(kind: Kind) -> u8 {
    match kind {
        Kind::Schema => 0,
        Kind::Extension => 1,
        Kind::Collation => 2,
        Kind::TextSearch => 3,
        Kind::Type => 4,
        Kind::Sequence => 5,
        Kind::Function => 6,
        Kind::Cast => 7,
        Kind::Table => 8,
        Kind::Constraint => 9,
        Kind::Index => 10,
        Kind::View => 11,
        Kind::Trigger => 12,
        Kind::Policy => 13,
        Kind::Statistics => 14,
        Kind::Publication => 15,
        Kind::EventTrigger => 16,
        Kind::ForeignData => 7,
        Kind::Operator => 7,
        Kind::Data => 17,
        Kind::Owner => 18,
        Kind::Privileges => 19,
    }
}

/// The objects an entry must be created after: recorded dependencies
/// (columns resolved to their table), its parent table and its partition
/// parent. A sequence's `OWNED BY` is not a creation dependency.
pub fn requirements(tree: &Tree, id: &str) -> BTreeSet<Id> {
    requirements_with(tree, &tree.column_index(), id)
}

pub(crate) fn requirements_with(
    tree: &Tree,
    columns: &HashMap<&str, (&str, &str)>,
    id: &str,
) -> BTreeSet<Id> {
    let mut out = BTreeSet::new();
    let Some(entry) = tree.entries.get(id) else {
        return out;
    };
    for d in &entry.deps {
        let target = columns.get(d.as_str()).map(|(t, _)| *t).unwrap_or(d);
        if target != id && tree.entries.contains_key(target) {
            out.insert(target.to_string());
        }
    }
    if let Some(t) = entry.object.parent_table() {
        out.insert(t.clone());
    }
    if let Object::Table(t) = &entry.object {
        if let Some((p, _)) = &t.partition_of {
            out.insert(p.clone());
        }
        out.extend(
            t.inherits
                .iter()
                .filter(|p| tree.entries.contains_key(*p))
                .cloned(),
        );
        out.extend(
            t.of_type
                .iter()
                .filter(|ty| tree.entries.contains_key(*ty))
                .cloned(),
        );
        if let Some(f) = &t.foreign {
            if tree.entries.contains_key(&f.server) {
                out.insert(f.server.clone());
            }
        }
    }
    out
}

/// The ids of `subset` in an order where every object follows what it
/// requires, directly or through objects outside the subset. Only the
/// requirement closure of the subset is visited, so the cost follows the
/// size of a change, not of the schema. Ties are broken by kind rank, then
/// name; a cycle (which the catalog should not produce) is cut where found.
pub fn ordered_subset(tree: &Tree, subset: &HashSet<&Id>) -> Vec<Id> {
    ordered_subset_with(tree, &tree.column_index(), subset)
}

/// [`ordered_subset`] with the tree's [`Tree::column_index`] built once by
/// the caller (the planner orders several subsets of one tree).
pub fn ordered_subset_with(
    tree: &Tree,
    columns: &HashMap<&str, (&str, &str)>,
    subset: &HashSet<&Id>,
) -> Vec<Id> {
    let key = |id: &str| {
        let o = tree.get(id).map(|o| rank(o.kind())).unwrap_or(u8::MAX);
        (o, tree.display_name(id), id.to_string())
    };
    let mut roots: Vec<(u8, String, String)> = subset.iter().map(|id| key(id)).collect();
    roots.sort();
    // 0 = unvisited, 1 = in progress, 2 = done.
    let mut state: HashMap<String, u8> = HashMap::new();
    let mut out = Vec::with_capacity(subset.len());
    for (_, _, root) in roots {
        if state.contains_key(&root) {
            continue;
        }
        // Iterative DFS: (id, requirements still to visit).
        let mut stack: Vec<(String, Vec<String>)> = Vec::new();
        let reqs_of = |id: &str| -> Vec<String> {
            let mut r: Vec<(u8, String, String)> = requirements_with(tree, columns, id)
                .iter()
                .map(|r| key(r))
                .collect();
            r.sort();
            r.reverse();
            r.into_iter().map(|(_, _, id)| id).collect()
        };
        state.insert(root.clone(), 1);
        stack.push((root.clone(), reqs_of(&root)));
        while let Some((id, pending)) = stack.last_mut() {
            match pending.pop() {
                Some(next) => {
                    if !state.contains_key(&next) {
                        state.insert(next.clone(), 1);
                        let r = reqs_of(&next);
                        stack.push((next, r));
                    }
                }
                None => {
                    let id = id.clone();
                    state.insert(id.clone(), 2);
                    stack.pop();
                    if subset.contains(&id) {
                        out.push(id);
                    }
                }
            }
        }
    }
    out
}
