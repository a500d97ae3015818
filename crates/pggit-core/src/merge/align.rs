//! Matching objects that both sides added independently.
//!
//! Each branch gives a new object an id of its own, so the same index
//! added on two branches has two ids. Before merging, an object added on
//! both sides under the same kind and name (and a column added to the same
//! table under the same name) is given one id on both sides: the smaller
//! of the two, so the result does not depend on which side is which.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::model::{Id, Object};
use crate::tree::{Entry, Tree};

/// Trees re-keyed so that matching additions share ids, or `None` when
/// nothing needs re-keying.
pub(crate) fn align(base: &Tree, target: &Tree, source: &Tree) -> Option<(Tree, Tree)> {
    let mut map: HashMap<Id, Id> = HashMap::new();
    let added = |side: &Tree, other: &Tree| -> Vec<Id> {
        side.entries
            .keys()
            .filter(|id| !base.entries.contains_key(*id) && !other.entries.contains_key(*id))
            .cloned()
            .collect()
    };
    let t_added = added(target, source);
    let s_added = added(source, target);
    let by_name: HashMap<String, &Id> = t_added
        .iter()
        .filter_map(|id| target.name_key(id).map(|k| (k, id)))
        .collect();
    for s_id in &s_added {
        if let Some(t_id) = source.name_key(s_id).and_then(|k| by_name.get(&k)) {
            let canon = std::cmp::min(s_id, *t_id).clone();
            map.insert(s_id.clone(), canon.clone());
            map.insert((*t_id).clone(), canon);
        }
    }
    // Columns added to the same table on both sides.
    for (t_id, t_entry) in &target.entries {
        let Object::Table(tt) = &t_entry.object else {
            continue;
        };
        let canon = map.get(t_id).unwrap_or(t_id);
        let s_id = s_added
            .iter()
            .find(|s| map.get(*s) == Some(canon))
            .unwrap_or(t_id);
        let Some(Object::Table(st)) = source.get(s_id) else {
            continue;
        };
        if st == tt
            || base
                .get(canon)
                .is_some_and(|b| b == &t_entry.object || b == &source.entries[s_id].object)
        {
            continue; // one side left the table alone: nothing added twice
        }
        let base_cols: HashSet<&str> = match base.get(canon) {
            Some(Object::Table(bt)) => bt.columns.iter().map(|c| c.id.as_str()).collect(),
            _ => HashSet::new(),
        };
        let s_ids: HashSet<&str> = st.columns.iter().map(|c| c.id.as_str()).collect();
        let t_ids: HashSet<&str> = tt.columns.iter().map(|c| c.id.as_str()).collect();
        let t_new: HashMap<&str, &str> = tt
            .columns
            .iter()
            .filter(|c| !base_cols.contains(c.id.as_str()) && !s_ids.contains(c.id.as_str()))
            .map(|c| (c.name.as_str(), c.id.as_str()))
            .collect();
        for c in &st.columns {
            if base_cols.contains(c.id.as_str()) || t_ids.contains(c.id.as_str()) {
                continue;
            }
            if let Some(tc) = t_new.get(c.name.as_str()) {
                let canon = std::cmp::min(c.id.as_str(), *tc).to_string();
                map.insert(c.id.clone(), canon.clone());
                map.insert((*tc).to_string(), canon);
            }
        }
    }
    map.retain(|k, v| k != v);
    if map.is_empty() {
        return None;
    }
    Some((rekey(target, &map), rekey(source, &map)))
}

fn rekey(tree: &Tree, map: &HashMap<Id, Id>) -> Tree {
    let look = |k: &str| map.get(k).cloned().unwrap_or_else(|| k.to_string());
    let mut entries = BTreeMap::new();
    for (id, e) in &tree.entries {
        let touches = map.contains_key(id)
            || e.deps.iter().any(|d| map.contains_key(d))
            || references(&e.object).iter().any(|r| map.contains_key(*r));
        if !touches {
            entries.insert(id.clone(), e.clone());
            continue;
        }
        let mut object = e.object.clone();
        object.remap_ids(&mut |k| look(k));
        let mut deps: Vec<Id> = e.deps.iter().map(|d| look(d)).collect();
        deps.sort();
        deps.dedup();
        entries.insert(look(id), Arc::new(Entry { object, deps }));
    }
    Tree { entries }
}

/// Every id an object refers to (see [`Object::remap_ids`]).
pub(crate) fn references(o: &Object) -> Vec<&Id> {
    match o {
        Object::Constraint { table, .. }
        | Object::Index { table, .. }
        | Object::Trigger { table, .. }
        | Object::Policy { table, .. }
        | Object::Statistics { table, .. } => vec![table],
        Object::Publication(p) => p
            .tables
            .iter()
            .map(|t| &t.table)
            .chain(&p.schemas)
            .collect(),
        Object::Sequence {
            owned_by: Some((t, c)),
            ..
        } => vec![t, c],
        Object::Table(t) => {
            let mut v: Vec<&Id> = t.columns.iter().map(|c| &c.id).collect();
            if let Some((p, _)) = &t.partition_of {
                v.push(p);
            }
            v
        }
        _ => Vec::new(),
    }
}

/// The object an object cannot exist without: its table, its partitioned
/// parent, or the table owning it (a sequence).
pub(crate) fn anchor(o: &Object) -> Option<&Id> {
    match o {
        Object::Sequence {
            owned_by: Some((t, _)),
            ..
        } => Some(t),
        Object::Table(t) => t.partition_of.as_ref().map(|(p, _)| p),
        _ => o.parent_table(),
    }
}
