//! Migration planning: the statements that turn a database holding tree
//! `old` into one holding tree `new`.
//!
//! Phases, each in dependency order:
//! 1. early drops: objects that are removed or must be re-created and hold
//!    no data (views, triggers, policies, constraints, indexes, re-created
//!    routines), dependents first;
//! 2. renames and schema moves (schemas first), then column renames;
//! 3. creates and in-place alters, in the new tree's dependency order;
//! 4. late drops of removed tables, sequences, routines, types, schemas and
//!    extensions, dependents first;
//! 5. sequence ownership (`OWNED BY`), which would otherwise form cycles;
//! 6. reference data (rows of tracked tables, see [`data`]): deletes, then
//!    updates and inserts, in the tables' dependency order.

mod alter;
pub mod data;
mod enums;
mod grants;
mod order;
mod owners;
mod publication;
pub mod render;
mod settings;
mod table;

use std::collections::{BTreeSet, HashMap, HashSet};

use thiserror::Error;

pub use alter::{approach, Approach};
pub use order::{ordered_subset, ordered_subset_with, requirements};

use crate::model::{Id, Kind, Object};
use crate::sql::Statement;
use crate::tree::Tree;

/// Why a migration cannot be planned.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlanError {
    #[error("cannot plan this change in place: {0}")]
    Unsupported(String),
}

/// Kinds that hold no data and are dropped early.
fn drops_early(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::View
            | Kind::Trigger
            | Kind::Policy
            | Kind::Constraint
            | Kind::Index
            | Kind::Statistics
            | Kind::Publication
    )
}

/// Removed routines with the name of an added one in the same schema
/// (parameters renamed, say: `CREATE OR REPLACE` refuses that, and the new
/// routine cannot be created while the old one holds its signature). They
/// are dropped early, with their dependents.
fn replaced_routines<'a>(old: &'a Tree, new: &Tree, removed: &BTreeSet<&'a Id>) -> HashSet<&'a Id> {
    let added: HashSet<(&str, &str)> = new
        .entries
        .iter()
        .filter(|(id, _)| !old.entries.contains_key(*id))
        .filter_map(|(_, e)| match &e.object {
            Object::Function { schema, name, .. } => Some((schema.as_str(), name.as_str())),
            _ => None,
        })
        .collect();
    removed
        .iter()
        .copied()
        .filter(|id| {
            matches!(&old.entries[*id].object,
                Object::Function { schema, name, .. } if added.contains(&(schema.as_str(), name.as_str())))
        })
        .collect()
}

/// Plan the migration from `old` to `new`.
pub fn plan(old: &Tree, new: &Tree) -> Result<Vec<Statement>, PlanError> {
    plan_attributed(old, new).map(|(statements, _)| statements)
}

/// Fill `owners` up to `len` with `id`: the statements just generated are
/// about that object.
fn own(owners: &mut Vec<Id>, len: usize, id: &Id) {
    owners.resize(len, id.clone());
}

/// [`plan`], with the id of the object each statement is about (so that a
/// statement the database rejects can be blamed on its object).
pub fn plan_attributed(old: &Tree, new: &Tree) -> Result<(Vec<Statement>, Vec<Id>), PlanError> {
    if !data::any(old) && !data::any(new) {
        return plan_schema(old, new);
    }
    let (mut out, mut owners) = plan_schema(&data::schema_only(old), &data::schema_only(new))?;
    // Objects dropped and created again come back with default privileges.
    let recreated: HashSet<Id> = out
        .iter()
        .zip(&owners)
        .filter(|(s, id)| s.sql.starts_with("DROP ") && new.entries.contains_key(*id))
        .map(|(_, id)| id.clone())
        .collect();
    for (statement, id) in owners::sync(old, new, &recreated)
        .into_iter()
        .chain(grants::sync(old, new, &recreated)?)
        .chain(grants::sync_defaults(old, new)?)
    {
        out.push(statement);
        owners.push(id);
    }
    let tables: HashSet<&Id> = new
        .entries
        .values()
        .filter_map(|e| match &e.object {
            Object::Rows(r) => Some(&r.table),
            _ => None,
        })
        .collect();
    for (statement, id) in data::sync(old, new, &data::fill_order(new, &tables)) {
        out.push(statement);
        owners.push(id);
    }
    Ok((out, owners))
}

/// `old` with each generated column's expression replaced by its new text
/// where the two differ only by renames of the same migration (`a * 2`
/// becoming `b * 2` after `RENAME COLUMN a TO b`): PostgreSQL rewrites the
/// expression itself, so the column must not be dropped and added again.
fn follow_renames_in_generated(old: &Tree, new: &Tree) -> Option<Tree> {
    let renames = crate::equiv::Renames::between(old, new);
    if renames.is_empty() {
        return None;
    }
    let mut out: Option<Tree> = None;
    for (id, e) in &old.entries {
        let (Object::Table(a), Some(Object::Table(b))) = (&e.object, new.get(id)) else {
            continue;
        };
        let mut t = a.clone();
        let mut changed = false;
        for c in &mut t.columns {
            let Some(n) = b.columns.iter().find(|n| n.id == c.id) else {
                continue;
            };
            if let (Some(x), Some(y)) = (&c.generated, &n.generated) {
                if x != y && renames.same(id, x, y) {
                    c.generated = Some(y.clone());
                    changed = true;
                }
            }
        }
        if changed {
            let tree = out.get_or_insert_with(|| old.clone());
            tree.entries.insert(
                id.clone(),
                std::sync::Arc::new(crate::tree::Entry {
                    object: Object::Table(t),
                    deps: e.deps.clone(),
                }),
            );
        }
    }
    out
}

/// `old` with every column's and domain's collation spelled with the new
/// name of a collation that this migration renames or moves: PostgreSQL
/// follows the rename itself, so the columns must not be retyped.
fn follow_collation_renames(old: &Tree, new: &Tree) -> Option<Tree> {
    let renamed: HashMap<String, String> = old
        .entries
        .iter()
        .filter_map(|(id, e)| match (&e.object, new.get(id)) {
            (
                Object::Collation { schema, name, .. },
                Some(Object::Collation {
                    schema: s2,
                    name: n2,
                    ..
                }),
            ) if (schema, name) != (s2, n2) => {
                Some((crate::sql::qname(schema, name), crate::sql::qname(s2, n2)))
            }
            _ => None,
        })
        .collect();
    if renamed.is_empty() {
        return None;
    }
    let follow = |c: &mut Option<String>| -> bool {
        match c.as_ref().and_then(|x| renamed.get(x)) {
            Some(to) => {
                *c = Some(to.clone());
                true
            }
            None => false,
        }
    };
    let mut out = old.clone();
    for e in out.entries.values_mut() {
        let mut object = e.object.clone();
        let changed = match &mut object {
            Object::Table(t) => {
                // Every column, not only the first that follows.
                let mut any = false;
                for c in &mut t.columns {
                    any |= follow(&mut c.collation);
                }
                any
            }
            Object::Domain { collation, .. } => follow(collation),
            _ => false,
        };
        if changed {
            *e = std::sync::Arc::new(crate::tree::Entry {
                object,
                deps: e.deps.clone(),
            });
        }
    }
    Some(out)
}

/// Phases 1-5: everything but reference data.
fn plan_schema(old: &Tree, new: &Tree) -> Result<(Vec<Statement>, Vec<Id>), PlanError> {
    let collations = follow_collation_renames(old, new);
    let old = collations.as_ref().unwrap_or(old);
    if let Some(adjusted) = follow_renames_in_generated(old, new) {
        return plan_schema_of(&adjusted, new);
    }
    plan_schema_of(old, new)
}

fn plan_schema_of(old: &Tree, new: &Tree) -> Result<(Vec<Statement>, Vec<Id>), PlanError> {
    let removed: BTreeSet<&Id> = old
        .entries
        .keys()
        .filter(|id| !new.entries.contains_key(*id))
        .collect();
    let mut modified: Vec<&Id> = new
        .entries
        .iter()
        .filter(|(id, e)| old.entries.get(*id).is_some_and(|o| o.object != e.object))
        .map(|(id, _)| id)
        .collect();
    table::with_inheriting(old, new, &mut modified);

    let renames = crate::equiv::Renames::between(old, new);
    // Objects to re-create: incompatible changes, plus everything that
    // depends on a re-created object or on a column that is retyped or
    // dropped (PostgreSQL refuses those while views, policies or triggers
    // use the column; it rebuilds indexes and constraints itself).
    let mut recreate: HashSet<Id> = modified
        .iter()
        .filter(|id| {
            alter::approach(
                &old.entries[**id].object,
                &new.entries[**id].object,
                &renames,
            ) == Approach::Recreate
        })
        .map(|id| (*id).clone())
        .collect();
    let mut touched_columns: HashSet<Id> = HashSet::new();
    for id in &modified {
        if let (Object::Table(a), Object::Table(b)) =
            (&old.entries[*id].object, &new.entries[*id].object)
        {
            for c in &a.columns {
                match b.columns.iter().find(|n| n.id == c.id) {
                    None => {
                        touched_columns.insert(c.id.clone());
                    }
                    Some(n)
                        if n.data_type != c.data_type
                            || n.collation != c.collation
                            || n.generated != c.generated =>
                    {
                        touched_columns.insert(c.id.clone());
                    }
                    _ => {}
                }
            }
        }
    }
    // Enums that lose or reorder labels are rebuilt: their columns count as
    // retyped, objects that use the type directly are re-created.
    let mut rebuilds: HashMap<&Id, enums::Rebuild> = HashMap::new();
    for id in &modified {
        if enums::needed(&old.entries[*id].object, &new.entries[*id].object) {
            let r = enums::analyse(old, new, id)?;
            touched_columns.extend(r.columns.iter().map(|(_, c)| c.clone()));
            recreate.extend(r.recreate.iter().cloned());
            rebuilds.insert(id, r);
        }
    }

    // Reverse edges of the old tree: requirement (or column) -> dependents.
    let columns = old.column_index();
    let new_columns = new.column_index();
    let mut dependents: HashMap<&str, Vec<&Id>> = HashMap::new();
    for (id, e) in &old.entries {
        for d in &e.deps {
            // A column dependency counts for the column and for its table.
            if let Some((table, _)) = columns.get(d.as_str()) {
                dependents.entry(d.as_str()).or_default().push(id);
                if *table != id.as_str() {
                    dependents.entry(table).or_default().push(id);
                }
            } else if d != id {
                dependents.entry(d.as_str()).or_default().push(id);
            }
        }
        if let Some(t) = e.object.parent_table() {
            dependents.entry(t.as_str()).or_default().push(id);
        }
        if let Object::Table(t) = &e.object {
            if let Some((p, _)) = &t.partition_of {
                dependents.entry(p.as_str()).or_default().push(id);
            }
            for p in &t.inherits {
                dependents.entry(p.as_str()).or_default().push(id);
            }
            if let Some(f) = &t.foreign {
                dependents.entry(f.server.as_str()).or_default().push(id);
            }
        }
    }
    let mut queue: Vec<Id> = Vec::new();
    for c in &touched_columns {
        for d in dependents.get(c.as_str()).into_iter().flatten() {
            let kind = old.entries[*d].object.kind();
            if !matches!(
                kind,
                Kind::Constraint | Kind::Index | Kind::Table | Kind::Schema
            ) && new.entries.contains_key(*d)
                && recreate.insert((*d).clone())
            {
                queue.push((*d).clone());
            }
        }
    }
    queue.extend(recreate.iter().cloned());
    queue.extend(removed.iter().map(|id| (*id).clone()));
    while let Some(x) = queue.pop() {
        // What survives a removed schema was moved out of it (SET SCHEMA,
        // phase 2): it is not re-created.
        if removed.contains(&x) && matches!(old.get(&x), Some(Object::Schema { .. })) {
            continue;
        }
        for d in dependents.get(x.as_str()).into_iter().flatten() {
            if recreate.contains(*d) || !new.entries.contains_key(*d) {
                continue;
            }
            let follows = match &old.entries[*d].object {
                Object::Schema { .. } => false,
                // A dropped table leaves its publications by itself.
                Object::Publication(_) => !removed.contains(&x),
                // A table is re-created only with its partitioned parent or
                // a parent it keeps inheriting from.
                Object::Table(t) => {
                    t.partition_of.as_ref().is_some_and(|(p, _)| *p == x)
                        || t.foreign.as_ref().is_some_and(|f| f.server == x)
                        || (t.inherits.contains(&x)
                            && matches!(new.get(d), Some(Object::Table(n)) if n.inherits.contains(&x)))
                }
                _ => true,
            };
            if follows && recreate.insert((*d).clone()) {
                queue.push((*d).clone());
            }
        }
    }

    let mut out: Vec<Statement> = Vec::new();
    let mut owners: Vec<Id> = Vec::new();

    // Phase 1: early drops, dependents first.
    let merged = table::kept_by_attach(old, new);
    let replaced = replaced_routines(old, new, &removed);
    let early: HashSet<&Id> = old
        .entries
        .iter()
        .filter(|(id, e)| {
            ((removed.contains(id) && drops_early(e.object.kind()))
                || recreate.contains(*id)
                || replaced.contains(*id))
                && !merged.contains(*id)
        })
        .map(|(id, _)| id)
        .collect();
    // Inheritance that goes ends first: the parent's columns and CHECK
    // constraints become the table's own, so they can be dropped.
    for (id, e) in &old.entries {
        if let (Object::Table(a), Some(Object::Table(b))) = (&e.object, new.get(id)) {
            if (!a.inherits.is_empty() || a.of_type.is_some()) && !recreate.contains(id) {
                out.extend(table::disinherit(old, a, b));
                own(&mut owners, out.len(), id);
            }
        }
    }
    let identity_schema = |s: &str| s.to_string();
    for id in ordered_subset_with(old, &columns, &early).iter().rev() {
        let o = &old.entries[id].object;
        // A CHECK constraint that an inheriting table shares with its
        // parent cannot be dropped alone; it goes with its table.
        if let Object::Constraint {
            table, definition, ..
        } = o
        {
            if removed.contains(table)
                && definition.starts_with("CHECK")
                && matches!(old.get(table), Some(Object::Table(t)) if !t.inherits.is_empty())
            {
                continue;
            }
            // One the table is about to inherit: `INHERIT` wants it there,
            // and it stays the table's own (PostgreSQL cannot make it only
            // inherited again).
            if table::needed_by_inherit(old, new, table, o) {
                continue;
            }
        }
        // Children vanish with their table.
        if o.parent_table()
            .is_some_and(|t| early.contains(t) && matches!(old.get(t), Some(Object::Table(_))))
        {
            continue;
        }
        if is_partition_of_dropped(old, o, &|p| early.contains(p)) {
            continue;
        }
        out.push(render::drop(old, o, &identity_schema));
        own(&mut owners, out.len(), id);
    }

    // New schemas first: objects may be moved into them by phase 2.
    let new_schemas: HashSet<&Id> = new
        .entries
        .iter()
        .filter(|(id, e)| {
            matches!(e.object, Object::Schema { .. }) && !old.entries.contains_key(*id)
        })
        .map(|(id, _)| id)
        .collect();
    for id in ordered_subset_with(new, &new_columns, &new_schemas) {
        out.extend(render::create(new, &new.entries[&id].object));
        own(&mut owners, out.len(), &id);
    }

    // Phase 2: renames, schemas first, then in dependency order.
    let renamed: HashSet<&Id> = modified
        .iter()
        .copied()
        .filter(|id| !recreate.contains(*id))
        .filter(|id| {
            let (a, b) = (&old.entries[*id].object, &new.entries[*id].object);
            a.name() != b.name() || a.schema() != b.schema() || matches!(a, Object::Table(_))
        })
        .collect();
    let mut renames = ordered_subset_with(new, &new_columns, &renamed);
    renames.sort_by_key(|id| new.get(id).map(|o| o.kind() != Kind::Schema));
    for id in &renames {
        out.extend(alter::rename(
            old,
            new,
            &old.entries[id].object,
            &new.entries[id].object,
        ));
        own(&mut owners, out.len(), id);
    }
    for id in &renames {
        if let (Object::Table(a), Object::Table(b)) =
            (&old.entries[id].object, &new.entries[id].object)
        {
            if a.inherits.is_empty() && a.of_type.is_none() {
                out.extend(table::rename_columns(a, b));
            } else {
                out.extend(table::rename_columns(
                    &table::after_parents(old, new, a, b),
                    b,
                ));
            }
            own(&mut owners, out.len(), id);
        }
    }

    // A kept sequence owned by a table or column that this migration drops
    // would go with it (or fail while another table's default uses it):
    // release it first, under its new name; phase 5 gives it its new owner.
    for (id, e) in &old.entries {
        let Object::Sequence {
            owned_by: Some((t, c)),
            ..
        } = &e.object
        else {
            continue;
        };
        let Some(n) = new.get(id).filter(|_| !recreate.contains(id)) else {
            continue;
        };
        let owner_goes = match new.get(t) {
            Some(Object::Table(nt)) => !nt.columns.iter().any(|x| &x.id == c),
            _ => true,
        };
        if owner_goes {
            let mut released = n.clone();
            if let Object::Sequence { owned_by, .. } = &mut released {
                *owned_by = None;
            }
            out.extend(alter::sequence_owner(new, &released));
            own(&mut owners, out.len(), id);
        }
    }

    // Phase 3: creates and alters in dependency order.
    let changed: HashSet<&Id> = new
        .entries
        .keys()
        .filter(|id| !old.entries.contains_key(*id) || recreate.contains(*id))
        .chain(modified.iter().copied())
        .collect();
    let new_order = ordered_subset_with(new, &new_columns, &changed);
    let kept = table::kept_by_detach(old, new);
    let attaching = table::attached(old, new);
    let mut late_type_drops = Vec::new();
    for id in &new_order {
        if new_schemas.contains(id) {
            continue; // created before the renames
        }
        let n = &new.entries[id].object;
        if let Some((statements, drop)) = rebuilds
            .get(id)
            .and_then(|r| enums::statements(old, new, id, r))
        {
            out.extend(statements);
            own(&mut owners, out.len(), id);
            late_type_drops.push((id.clone(), drop));
            continue;
        }
        match old.entries.get(id) {
            Some(o) if !recreate.contains(id) => {
                out.extend(table::attach_checks(old, new, id, &attaching, &merged));
                match (&o.object, n) {
                    (Object::Table(a), Object::Table(b))
                        if !a.inherits.is_empty() || a.of_type.is_some() =>
                    {
                        let a = Object::Table(table::after_parents(old, new, a, b));
                        if a != *n {
                            out.extend(alter::alter(new, &a, n)?);
                        }
                    }
                    (a, b) if a != b => out.extend(alter::alter(new, a, b)?),
                    _ => {}
                }
                if let (Object::Table(a), Object::Table(b)) = (&o.object, n) {
                    if table::retyped(a, b) {
                        out.extend(settings::after_rebuild(new, id, &|i| {
                            recreate.contains(i) || !old.entries.contains_key(i)
                        }));
                    }
                }
            }
            _ if kept.contains(id) => {
                let (kw, target) = render::comment_target(new, n);
                if let Some(c) = n.comment() {
                    out.push(render::comment_on(kw, &target, Some(c)));
                }
                out.extend(render::index_comment(new, None, n));
                out.extend(settings::index(new, None, n));
            }
            _ => {
                if let Object::Table(t) = n {
                    if t.partition_of.as_ref().is_some_and(|(p, _)| {
                        matches!(new.get(p), Some(Object::Table(pt)) if pt.partition_key.is_none())
                    }) {
                        return Err(PlanError::Unsupported(format!(
                            "{} is a partition of a table that is not partitioned",
                            new.display_name(id)
                        )));
                    }
                }
                out.extend(render::create(new, n));
            }
        }
        own(&mut owners, out.len(), id);
    }

    // Replica identity, once the index it may name exists.
    for id in &new_order {
        if let Some(Object::Table(t)) = new.get(id) {
            let before = match old.get(id) {
                Some(Object::Table(o)) if !recreate.contains(id) => o.replica_identity.as_deref(),
                _ => None,
            };
            if before != t.replica_identity.as_deref() {
                out.push(render::replica_identity(t));
                own(&mut owners, out.len(), id);
            }
        }
    }

    // Inheritance added by `INHERIT`, once the table's constraints exist
    // (PostgreSQL wants the parent's CHECK constraints on it first).
    for id in &new_order {
        let Some(Object::Table(t)) = new.get(id) else {
            continue;
        };
        if let Some(ty) = &t.of_type {
            let was = match old.get(id) {
                Some(Object::Table(o)) if !recreate.contains(id) => o.of_type.as_ref(),
                _ => Some(ty),
            };
            if was != Some(ty) {
                out.push(
                    crate::sql::Writer::new("ALTER TABLE")
                        .qname(&t.schema, &t.name)
                        .kw("OF")
                        .quoted(&new.qualified(ty))
                        .build(),
                );
                own(&mut owners, out.len(), id);
            }
        }
        let before: &[Id] = match old.get(id) {
            Some(Object::Table(o)) if !recreate.contains(id) => &o.inherits,
            _ if render::created_with_inherits(new, t) => &t.inherits,
            _ => &[],
        };
        for p in t.inherits.iter().filter(|p| !before.contains(p)) {
            out.push(render::inherit(new, t, p));
            own(&mut owners, out.len(), id);
        }
    }

    // Phase 4: late drops, dependents first; old enums after their columns
    // were converted.
    for (id, drop) in late_type_drops {
        out.push(drop);
        own(&mut owners, out.len(), &id);
    }
    let late: HashSet<&Id> = removed
        .iter()
        .copied()
        .filter(|id| !drops_early(old.entries[*id].object.kind()) && !replaced.contains(*id))
        .collect();
    let schema_after = |s: &str| alter::schema_after_renames(old, new, s);
    for id in ordered_subset_with(old, &columns, &late).iter().rev() {
        let o = &old.entries[id].object;
        if let Object::Sequence {
            owned_by: Some((t, _)),
            ..
        } = o
        {
            if late.contains(t) {
                continue; // dropped with its table
            }
            let column_dropped = match (o, new.get(t)) {
                (
                    Object::Sequence {
                        owned_by: Some((_, c)),
                        ..
                    },
                    Some(Object::Table(nt)),
                ) => !nt.columns.iter().any(|x| &x.id == c),
                _ => false,
            };
            if column_dropped {
                continue; // dropped with its column
            }
        }
        if is_partition_of_dropped(old, o, &|p| late.contains(p)) {
            continue;
        }
        out.push(render::drop(old, o, &schema_after));
        own(&mut owners, out.len(), id);
    }

    // Phase 5: sequence ownership.
    for id in &new_order {
        let n = &new.entries[id].object;
        if let Object::Sequence { owned_by, .. } = n {
            let changed = match old.entries.get(id) {
                Some(o) if !recreate.contains(id) => match &o.object {
                    Object::Sequence { owned_by: ob, .. } => ob != owned_by,
                    _ => true,
                },
                _ => owned_by.is_some(),
            };
            if changed {
                out.extend(alter::sequence_owner(new, n));
                own(&mut owners, out.len(), id);
            }
        }
    }
    Ok((out, owners))
}

fn is_partition_of_dropped(tree: &Tree, o: &Object, dropped: &dyn Fn(&Id) -> bool) -> bool {
    let mut cur = o;
    while let Object::Table(t) = cur {
        match &t.partition_of {
            Some((p, _)) if dropped(p) => return true,
            Some((p, _)) => match tree.get(p) {
                Some(parent) => cur = parent,
                None => return false,
            },
            None => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::{Column, Table};
    use crate::tree::Entry;

    fn tree(collation: (&str, &str), column_collation: &str, domain_collation: &str) -> Tree {
        let mut t = Tree::default();
        let add = |t: &mut Tree, id: &str, object: Object| {
            t.entries.insert(
                id.into(),
                Arc::new(Entry {
                    object,
                    deps: vec![],
                }),
            );
        };
        add(
            &mut t,
            "coll",
            Object::Collation {
                schema: collation.0.into(),
                name: collation.1.into(),
                definition: "provider = icu, locale = 'und-u-ks-level2', deterministic = false"
                    .into(),
                comment: None,
            },
        );
        add(
            &mut t,
            "t",
            Object::Table(Table::new(
                "public",
                "users",
                vec![Column {
                    id: "c".into(),
                    name: "login".into(),
                    data_type: "text".into(),
                    inherited: false,
                    collation: Some(column_collation.into()),
                    not_null: false,
                    not_null_name: None,
                    default: None,
                    identity: None,
                    generated: None,
                    comment: None,
                    options: vec![],
                    settings: Default::default(),
                }],
            )),
        );
        add(
            &mut t,
            "d",
            Object::Domain {
                schema: "public".into(),
                name: "ci_text".into(),
                base: "text".into(),
                collation: Some(domain_collation.into()),
                default: None,
                not_null: false,
                checks: vec![],
                comment: None,
            },
        );
        t
    }

    /// Columns and domains follow a renamed or moved collation by
    /// themselves: the migration is the rename alone, not a retype.
    #[test]
    fn a_renamed_collation_is_followed_not_retyped() {
        let old = tree(("public", "ci"), "public.ci", "public.ci");
        let new = tree(
            ("app", "Case Insensitive"),
            "app.\"Case Insensitive\"",
            "app.\"Case Insensitive\"",
        );
        let sql: Vec<String> = plan(&old, &new)
            .unwrap()
            .into_iter()
            .map(|s| s.sql)
            .collect();
        assert_eq!(
            sql,
            [
                "ALTER COLLATION public.ci SET SCHEMA app",
                "ALTER COLLATION app.ci RENAME TO \"Case Insensitive\""
            ]
        );
        // A real change of collation is still a retype.
        let other = tree(("public", "ci"), "\"C\"", "public.ci");
        let sql: Vec<String> = plan(&old, &other)
            .unwrap()
            .into_iter()
            .map(|s| s.sql)
            .collect();
        assert_eq!(sql.len(), 1, "{sql:?}");
        assert!(sql[0].contains("TYPE text COLLATE \"C\""), "{sql:?}");
    }
}
