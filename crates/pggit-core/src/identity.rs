//! Stable identity assignment.
//!
//! Introspection names objects by catalog keys (`rel:16384`,
//! `col:16384:3`), which are only meaningful inside one database. This
//! module turns them into stable ids that survive renames:
//!
//! 1. a key the workspace has seen before keeps the id it had (the catalog
//!    OID survives `ALTER ... RENAME`);
//! 2. otherwise an object with exactly the same kind and name in the
//!    reference tree (usually HEAD) keeps that object's id (a replayed
//!    workspace, or a drop and re-create under the same name);
//! 3. otherwise a new id is derived from `salt` and the object's name.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::hash::sha256_parts;
use crate::model::{Id, Object};
use crate::packed::Index;
use crate::slice::Link;
use crate::tree::{Entry, Tree};

/// Catalog key to stable id.
pub type IdentityMap = HashMap<String, Id>;

/// Result of [`assign`]: the tree with stable ids and the updated map.
#[derive(Debug)]
pub struct Assigned {
    pub tree: Tree,
    pub map: IdentityMap,
}

fn new_id(salt: &str, what: &str) -> Id {
    sha256_parts(&["pggit-id", salt, what])[..20].to_string()
}

/// Known catalog keys claimed in step 1 of [`assign`]: key to id, each id
/// given once (the first key in order keeps it).
fn claim_known<'a>(raw: &'a Tree, known: &'a IdentityMap) -> HashMap<&'a str, &'a Id> {
    let mut claimed: HashSet<&Id> = HashSet::new();
    raw.entries
        .keys()
        .filter_map(|key| {
            let id = known.get(key)?;
            claimed.insert(id).then_some((key.as_str(), id))
        })
        .collect()
}

/// The entries of a reference tree that [`assign`] reads for `raw` and
/// `known`, as positions in the reference's index: the entries no known key
/// claims (they may match by name), the tables whose columns are not all
/// known (their columns may match by name), and, transitively, what those
/// hang off (a name includes its table's, a grant's its target's). A
/// reference cut to these gives the same assignment as the whole one, so a
/// commit reads only these bodies of HEAD.
pub fn reference_needs(raw: &Tree, known: &IdentityMap, reference: &Index<'_>) -> Vec<usize> {
    let claimed = claim_known(raw, known);
    let claimed_ids: HashSet<&str> = claimed.values().map(|id| id.as_str()).collect();
    let position = |id: &str| reference.ids.binary_search(&id).ok();
    let mut keep = vec![false; reference.ids.len()];
    for (p, id) in reference.ids.iter().enumerate() {
        keep[p] = !claimed_ids.contains(id);
    }
    for (key, entry) in &raw.entries {
        let Object::Table(t) = &entry.object else {
            continue;
        };
        // A table without a claimed id is new or matched by name: its
        // reference entry, if any, is unclaimed and already kept.
        let Some(p) = claimed.get(key.as_str()).and_then(|id| position(id)) else {
            continue;
        };
        let mut used: HashSet<&Id> = HashSet::new();
        let all_known = t
            .columns
            .iter()
            .all(|c| known.get(&c.id).is_some_and(|id| used.insert(id)));
        if !all_known {
            keep[p] = true;
        }
    }
    let mut up: Vec<Vec<u32>> = vec![Vec::new(); reference.ids.len()];
    for (from, to, link) in &reference.refs {
        if *link == Link::Belongs {
            up[*from as usize].push(*to);
        }
    }
    let mut queue: Vec<usize> = (0..keep.len()).filter(|p| keep[*p]).collect();
    while let Some(p) = queue.pop() {
        for &to in &up[p] {
            if !std::mem::replace(&mut keep[to as usize], true) {
                queue.push(to as usize);
            }
        }
    }
    (0..keep.len()).filter(|p| keep[*p]).collect()
}

/// Assign stable ids to a freshly introspected tree (see module docs).
pub fn assign(raw: &Tree, known: &IdentityMap, reference: Option<&Tree>, salt: &str) -> Assigned {
    let mut map: IdentityMap = HashMap::new();
    let mut claimed: HashSet<Id> = HashSet::new();

    // 1. known catalog keys.
    for (key, id) in claim_known(raw, known) {
        claimed.insert(id.clone());
        map.insert(key.to_string(), id.clone());
    }
    // 2. exact name match in the reference tree, among the ids step 1 left
    // unclaimed (a claimed id cannot be given again; naming only the rest
    // keeps this step as small as the change).
    if let Some(reference) = reference {
        let by_name: HashMap<String, &Id> = reference
            .entries
            .keys()
            .filter(|id| !claimed.contains(*id))
            .filter_map(|id| reference.name_key(id).map(|k| (k, id)))
            .collect();
        for key in raw.entries.keys() {
            if map.contains_key(key) {
                continue;
            }
            if let Some(id) = raw.name_key(key).and_then(|n| by_name.get(&n)) {
                if claimed.insert((*id).clone()) {
                    map.insert(key.clone(), (*id).clone());
                }
            }
        }
    }
    // 3. new ids.
    for key in raw.entries.keys() {
        if !map.contains_key(key) {
            let id = new_id(salt, &raw.name_key(key).unwrap_or_else(|| key.clone()));
            claimed.insert(id.clone());
            map.insert(key.clone(), id);
        }
    }

    // Columns: known key, else same name in the reference table, else new.
    for (key, entry) in &raw.entries {
        let Object::Table(t) = &entry.object else {
            continue;
        };
        let table_id = map[key].clone();
        let ref_cols: HashMap<&str, &Id> = match reference.and_then(|r| r.get(&table_id)) {
            Some(Object::Table(rt)) => rt
                .columns
                .iter()
                .map(|c| (c.name.as_str(), &c.id))
                .collect(),
            _ => HashMap::new(),
        };
        let mut used: HashSet<Id> = HashSet::new();
        for c in &t.columns {
            if let Some(id) = known.get(&c.id) {
                if used.insert(id.clone()) {
                    map.insert(c.id.clone(), id.clone());
                }
            }
        }
        for c in &t.columns {
            if map.contains_key(&c.id) {
                continue;
            }
            let id = match ref_cols.get(c.name.as_str()) {
                Some(id) if !used.contains(*id) => (*id).clone(),
                _ => new_id(salt, &format!("column:{table_id}:{}", c.name)),
            };
            used.insert(id.clone());
            map.insert(c.id.clone(), id);
        }
    }

    let mut entries = BTreeMap::new();
    for (key, entry) in &raw.entries {
        let mut object = entry.object.clone();
        object.remap_ids(&mut |k| map.get(k).cloned().unwrap_or_else(|| k.to_string()));
        let mut deps: Vec<Id> = entry
            .deps
            .iter()
            .filter_map(|d| map.get(d).cloned())
            .collect();
        deps.sort();
        deps.dedup();
        entries.insert(map[key].clone(), Arc::new(Entry { object, deps }));
    }
    Assigned {
        tree: Tree { entries },
        map,
    }
}
