//! The slice of two trees that comparing them reads.
//!
//! A diff between two commits of a big schema changes a few objects out of
//! thousands. The diff, the migration plan and the row checks read the
//! entries that differ and their surroundings, never the rest: loading only
//! that slice makes a diff cost what the change costs, not what the schema
//! costs. A tree's index stores, beside each entry's hash, the references
//! between its entries ([`references`]), so the slice is chosen before any
//! body is read ([`reach`]).
//!
//! The slice holds:
//! 1. every entry whose hash differs between the trees (added, removed or
//!    changed);
//! 2. everything that depends on those, transitively (views over a changed
//!    table, constraints on its columns, tables of a changed type, ...);
//! 3. everything 1 and 2 refer to, transitively (the table of an index, a
//!    column's type, a partition's parent);
//! 4. everything that hangs off an object of 3 (its indexes, constraints,
//!    triggers, partitions, children, owner and grants: what the planner
//!    looks at around a table), and what those refer to.
//!
//! The round-trip tests check, for every corpus pair and generated pair, that
//! diff, plan and row checks over the slice equal those over whole trees.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::model::Object;
use crate::packed::{self, Index, Malformed};
use crate::tree::Tree;

/// How one entry refers to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Link {
    /// A dependency recorded by the catalog (`pg_depend`): on a schema, a
    /// type, a function, a relation or one of its columns.
    Depends,
    /// The entry hangs off the other (an index on its table, a partition of
    /// its parent, a grant on its target, a sequence owned by its column).
    Belongs,
    /// Not a reference: the entry (stored as referring to itself) is in
    /// every slice. Default privileges are: they decide what any object a
    /// migration creates is given.
    Always,
}

impl Link {
    pub fn code(self) -> i32 {
        match self {
            Link::Depends => 0,
            Link::Belongs => 1,
            Link::Always => 2,
        }
    }

    pub fn from_code(code: i32) -> Option<Link> {
        match code {
            0 => Some(Link::Depends),
            1 => Some(Link::Belongs),
            2 => Some(Link::Always),
            _ => None,
        }
    }
}

/// Two trees' entries as numbered nodes (an entry both trees hold is one
/// node), with their references and the nodes whose entries differ: what a
/// tree index tells without the entries' bodies.
#[derive(Debug, Default)]
pub struct Graph {
    pub nodes: usize,
    /// `(from, to, link)` of both trees.
    pub refs: Vec<(u32, u32, Link)>,
    /// Nodes added, removed or changed.
    pub changed: Vec<u32>,
}

/// Every reference between entries of `tree`, as `(from, to, link)`
/// between positions in id order, ordered by the referring entry; a column
/// stands for its table. No entry refers to itself, except with
/// [`Link::Always`].
pub fn references(tree: &Tree) -> Vec<(u32, u32, Link)> {
    // Entry and column ids to the position of their entry, in one map.
    let mut position: HashMap<&str, u32> = HashMap::with_capacity(tree.entries.len() * 2);
    let mut schemas: HashMap<&str, u32> = HashMap::new();
    for (p, e) in (0u32..).zip(tree.entries.values()) {
        match &e.object {
            Object::Table(t) => {
                for c in &t.columns {
                    position.entry(c.id.as_str()).or_insert(p);
                }
            }
            Object::Schema { name, .. } => {
                schemas.insert(name.as_str(), p);
            }
            _ => {}
        }
    }
    // An entry's own id wins over a column id that happens to equal it.
    for (p, id) in (0u32..).zip(tree.entries.keys()) {
        position.insert(id.as_str(), p);
    }
    let mut out = Vec::new();
    let mut seen: HashSet<(u32, Link)> = HashSet::new();
    for (p, e) in (0u32..).zip(tree.entries.values()) {
        if let Object::DefaultGrants(d) = &e.object {
            out.push((p, p, Link::Always));
            // Defaults in a schema name it, not its id.
            if let Some(to) = d.schema.as_deref().and_then(|s| schemas.get(s)) {
                out.push((p, *to, Link::Depends));
            }
        }
        seen.clear();
        let belongs = e
            .object
            .referenced_ids()
            .into_iter()
            .map(|r| (r, Link::Belongs));
        let depends = e.deps.iter().map(|r| (r, Link::Depends));
        for (r, link) in belongs.chain(depends) {
            if let Some(&to) = position.get(r.as_str()) {
                if to != p && seen.insert((to, link)) {
                    out.push((p, to, link));
                }
            }
        }
    }
    out
}

/// The nodes of the slice (see the module documentation), as a mask.
pub fn reach(g: &Graph) -> Vec<bool> {
    let n = g.nodes;
    let mut forward: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut backward: Vec<Vec<(u32, Link)>> = vec![Vec::new(); n];
    let mut keep = vec![false; n];
    let mut always = Vec::new();
    let ok = |x: u32| (x as usize) < n;
    for &(from, to, link) in g.refs.iter().filter(|(f, t, _)| ok(*f) && ok(*t)) {
        if link == Link::Always {
            always.push(from);
            continue;
        }
        forward[from as usize].push(to);
        backward[to as usize].push((from, link));
    }
    // 1 and 2: what differs and what depends on it.
    let mut queue: Vec<u32> = g.changed.iter().copied().filter(|c| ok(*c)).collect();
    while let Some(x) = queue.pop() {
        if !std::mem::replace(&mut keep[x as usize], true) {
            queue.extend(backward[x as usize].iter().map(|(d, _)| *d));
        }
    }
    // 3: what those refer to (and what every slice holds).
    for a in always {
        keep[a as usize] = true;
    }
    follow(&mut keep, &forward);
    // 4: what hangs off them, and what that refers to.
    let around: Vec<u32> = (0..n)
        .filter(|x| keep[*x])
        .flat_map(|x| backward[x].iter())
        .filter(|(_, link)| *link == Link::Belongs)
        .map(|(d, _)| *d)
        .collect();
    for a in around {
        keep[a as usize] = true;
    }
    follow(&mut keep, &forward);
    keep
}

/// The positions of the entries of `a` and of `b` that are in the slice
/// between them, chosen from their indexes alone.
pub fn choose(a: &Index<'_>, b: &Index<'_>) -> (Vec<usize>, Vec<usize>) {
    // Nodes: the old tree's positions, then the new tree's entries that the
    // old one lacks. Both id lists ascend: one merge pairs them up.
    let mut node_b: Vec<u32> = Vec::with_capacity(b.ids.len());
    let mut next = a.ids.len() as u32;
    let mut changed = Vec::new();
    let mut pa = 0;
    for (pb, id) in b.ids.iter().enumerate() {
        while pa < a.ids.len() && a.ids[pa] < *id {
            changed.push(pa as u32); // removed
            pa += 1;
        }
        if pa < a.ids.len() && a.ids[pa] == *id {
            if a.hashes[pa] != b.hashes[pb] {
                changed.push(pa as u32);
            }
            node_b.push(pa as u32);
            pa += 1;
        } else {
            changed.push(next); // added
            node_b.push(next);
            next += 1;
        }
    }
    changed.extend(pa as u32..a.ids.len() as u32);
    let refs = a
        .refs
        .iter()
        .copied()
        .chain(
            b.refs
                .iter()
                .map(|(f, t, l)| (node_b[*f as usize], node_b[*t as usize], *l)),
        )
        .collect();
    let keep = reach(&Graph {
        nodes: next as usize,
        refs,
        changed,
    });
    let kept_a = (0..a.ids.len()).filter(|p| keep[*p]).collect();
    let kept_b = (0..b.ids.len())
        .filter(|p| keep[node_b[*p] as usize])
        .collect();
    (kept_a, kept_b)
}

/// Mark everything the marked nodes refer to, transitively.
fn follow(keep: &mut [bool], forward: &[Vec<u32>]) {
    let mut queue: Vec<u32> = (0..keep.len() as u32)
        .filter(|x| keep[*x as usize])
        .collect();
    while let Some(x) = queue.pop() {
        for &to in &forward[x as usize] {
            if !std::mem::replace(&mut keep[to as usize], true) {
                queue.push(to);
            }
        }
    }
}

/// The entries of `tree` whose ids are in `keep`.
pub fn prune(tree: &Tree, keep: &BTreeSet<&str>) -> Tree {
    Tree {
        entries: tree
            .entries
            .iter()
            .filter(|(id, _)| keep.contains(id.as_str()))
            .map(|(id, e)| (id.clone(), e.clone()))
            .collect(),
    }
}

/// Both trees cut down to their slice, chosen as a diff between stored
/// trees chooses it (each packed into its index, [`choose`] on those): for
/// tests and callers that hold whole trees.
pub fn slices(old: &Tree, new: &Tree) -> Result<(Tree, Tree), Malformed> {
    let (ho, hn) = (old.hashed(), new.hashed());
    let (po, pn) = (packed::pack(old, &ho)?, packed::pack(new, &hn)?);
    let (io, i_n) = (packed::decode(&po)?, packed::decode(&pn)?);
    let (ko, kn) = choose(&io, &i_n);
    let keep: BTreeSet<&str> = ko
        .iter()
        .map(|p| io.ids[*p])
        .chain(kn.iter().map(|p| i_n.ids[*p]))
        .collect();
    Ok((prune(old, &keep), prune(new, &keep)))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::{Column, Object, Table};
    use crate::tree::Entry;

    fn entry(object: Object, deps: &[&str]) -> Arc<Entry> {
        Arc::new(Entry {
            object,
            deps: deps.iter().map(|d| d.to_string()).collect(),
        })
    }

    fn table(name: &str, cols: &[&str], deps: &[&str]) -> Arc<Entry> {
        let columns = cols
            .iter()
            .map(|c| Column::new(&format!("{name}.{c}"), c, "integer"))
            .collect();
        entry(Object::Table(Table::new("public", name, columns)), deps)
    }

    fn index(table: &str, name: &str, deps: &[&str]) -> Arc<Entry> {
        let object = Object::Index {
            table: table.into(),
            name: name.into(),
            unique: false,
            definition: "USING btree (a)".into(),
            comment: None,
            clustered: false,
            statistics: Vec::new(),
        };
        entry(object, deps)
    }

    /// Three tables: `t` (with index `t_a`, its column used by index `u_ta`
    /// of `u`), `u`, and `w`, which nothing relates to `t`.
    fn base() -> Tree {
        let mut t = Tree::default();
        t.entries.insert("s".into(), entry(schema("public"), &[]));
        t.entries.insert("t".into(), table("t", &["a"], &["s"]));
        t.entries.insert("t_a".into(), index("t", "t_a", &["t.a"]));
        t.entries.insert("u".into(), table("u", &["a"], &["s"]));
        t.entries
            .insert("u_ta".into(), index("u", "u_ta", &["u.a", "t.a"]));
        t.entries.insert("w".into(), table("w", &["a"], &["s"]));
        t.entries.insert("w_a".into(), index("w", "w_a", &["w.a"]));
        t
    }

    fn schema(name: &str) -> Object {
        Object::Schema {
            name: name.into(),
            comment: None,
        }
    }

    #[test]
    fn referenced_ids_are_those_remap_ids_rewrites() {
        let tree = base();
        for e in tree.entries.values() {
            let mut seen = Vec::new();
            let mut copy = e.object.clone();
            copy.remap_ids(&mut |id| {
                seen.push(id.to_string());
                id.to_string()
            });
            let read: Vec<String> = e.object.referenced_ids().into_iter().cloned().collect();
            seen.sort();
            let mut read_sorted = read.clone();
            read_sorted.sort();
            assert_eq!(read_sorted, seen);
        }
    }

    #[test]
    fn a_changed_table_brings_its_dependents_and_what_they_refer_to() {
        let old = base();
        let mut new = base();
        new.entries
            .insert("t".into(), table("t", &["a", "b"], &["s"]));
        let (a, b) = slices(&old, &new).unwrap();
        let ids: Vec<&str> = b.entries.keys().map(String::as_str).collect();
        // t changed; t_a and u_ta depend on its column; u_ta belongs to u;
        // the schema is referred to. w and its index are not reached.
        assert_eq!(ids, ["s", "t", "t_a", "u", "u_ta"]);
        assert_eq!(a.entries.len(), b.entries.len());
    }

    #[test]
    fn a_new_index_brings_the_other_indexes_of_its_table() {
        let old = base();
        let mut new = base();
        new.entries
            .insert("w_b".into(), index("w", "w_b", &["w.a"]));
        let (a, b) = slices(&old, &new).unwrap();
        let ids: Vec<&str> = b.entries.keys().map(String::as_str).collect();
        assert_eq!(ids, ["s", "w", "w_a", "w_b"]);
        assert!(!a.entries.contains_key("w_b"));
    }

    #[test]
    fn equal_trees_have_an_empty_slice() {
        let (a, b) = slices(&base(), &base()).unwrap();
        assert!(a.entries.is_empty() && b.entries.is_empty());
    }

    #[test]
    fn references_name_tables_for_columns_and_skip_unknown_ids() {
        let mut tree = base();
        tree.entries
            .insert("x".into(), index("nowhere", "x", &["gone", "t.a"]));
        let ids: Vec<&str> = tree.entries.keys().map(String::as_str).collect();
        let refs: Vec<_> = references(&tree)
            .into_iter()
            .map(|(f, t, l)| (ids[f as usize], ids[t as usize], l))
            .filter(|(from, _, _)| *from == "x")
            .collect();
        assert_eq!(refs, [("x", "t", Link::Depends)]);
    }
}
