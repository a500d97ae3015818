//! The merge walk: objects, then columns, then fields.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::align::anchor;
use super::fields::{join, merge_labels, merge_rows, split, tag, union_list};
use super::{
    Change, Choice, Classification as C, Conflict, Key, Merge, Options, Severity, Side, DUPLICATE,
};
use crate::model::{Id, Object};
use crate::tree::{Entry, Tree};

type E<'a> = Option<&'a Arc<Entry>>;

fn same(a: E<'_>, b: E<'_>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => Arc::ptr_eq(x, y) || x == y,
        _ => false,
    }
}

fn json(e: E<'_>) -> Option<Value> {
    e.and_then(|e| serde_json::to_value(&e.object).ok())
}

pub(super) struct Cx<'a> {
    pub(super) opts: &'a Options,
    base: &'a Tree,
    target: &'a Tree,
    source: &'a Tree,
    changes: Vec<Change>,
    conflicts: Vec<Conflict>,
    custom: HashMap<&'a Id, &'a Arc<Entry>>,
}

pub(super) fn run(base: &Tree, target: &Tree, source: &Tree, opts: &Options) -> Merge {
    let custom = opts
        .resolutions
        .iter()
        .filter_map(|(k, c)| match c {
            Choice::Custom(e) => Some((&k.id, e)),
            Choice::Side(_) => None,
        })
        .collect();
    let mut cx = Cx {
        opts,
        base,
        target,
        source,
        changes: Vec::new(),
        conflicts: Vec::new(),
        custom,
    };
    let on_target = anchors_changed(base, target);
    let on_source = anchors_changed(base, source);
    let mut out = target.entries.clone();
    let ids: BTreeSet<&Id> = base
        .entries
        .keys()
        .chain(target.entries.keys())
        .chain(source.entries.keys())
        .collect();
    for id in ids {
        let (b, t, s) = (
            base.entries.get(id),
            target.entries.get(id),
            source.entries.get(id),
        );
        if same(t, s) {
            if !same(b, t) {
                cx.change(Key::new(id, ""), C::NoConflict);
            }
            continue;
        }
        let key = Key::new(id, "");
        // Changed on one side only: (its version, objects the other side
        // changed that hang off it, kinds, message).
        let one_side = if same(b, t) {
            Some((
                s,
                &on_target,
                C::DeletedSource,
                C::SourceModified,
                "deleted on the source while the target changed objects that belong to it",
            ))
        } else if same(b, s) {
            Some((
                t,
                &on_source,
                C::DeletedTarget,
                C::TargetModified,
                "deleted on the target while the source changed objects that belong to it",
            ))
        } else {
            None
        };
        let result = if let Some((changed, attached, deleted, modified, msg)) = one_side {
            if changed.is_none() && attached.contains(id) {
                cx.object_conflict(key, deleted, b, t, s, Some(msg))
            } else {
                let kind = if changed.is_none() { deleted } else { modified };
                cx.object_clean(key, kind, b, t, s)
            }
        } else {
            match (b, t, s) {
                (Some(b), Some(t), Some(s)) => cx.merge_object(id, b, t, s),
                (None, _, _) => cx.object_conflict(key, C::BothAdded, b, t, s, None),
                (_, None, _) => cx.object_conflict(key, C::DeletedTarget, b, t, s, None),
                (_, _, None) => cx.object_conflict(key, C::DeletedSource, b, t, s, None),
            }
        };
        match result {
            Some(e) => out.insert(id.clone(), e),
            None => out.remove(id),
        };
    }
    // Whole-object decisions: custom definitions and validity choices.
    for (key, choice) in &opts.resolutions {
        let pick = match choice {
            Choice::Custom(e) => Some(e.clone()),
            Choice::Side(side) if key.part == super::VALIDITY || key.part == DUPLICATE => {
                match side {
                    Side::Target => target.entries.get(&key.id).cloned(),
                    Side::Source => source.entries.get(&key.id).cloned(),
                    Side::Base => base.entries.get(&key.id).cloned(),
                }
            }
            Choice::Side(_) => continue,
        };
        match pick {
            Some(e) => out.insert(key.id.clone(), e),
            None => out.remove(&key.id),
        };
    }
    cascade(&mut out);
    fix_deps(&mut out);
    let mut tree = Tree { entries: out };
    cx.duplicates(&mut tree);
    Merge {
        tree,
        changes: cx.changes,
        conflicts: cx.conflicts,
    }
}

/// Ids of objects (tables) whose dependents (constraints, indexes,
/// triggers, policies, partitions, owned sequences) changed on `side`.
fn anchors_changed(base: &Tree, side: &Tree) -> HashSet<Id> {
    side.entries
        .iter()
        .filter(|(id, e)| !same(base.entries.get(*id), Some(e)))
        .filter_map(|(_, e)| anchor(&e.object).cloned())
        .collect()
}

/// Remove objects whose table (or partitioned parent, or owning column) is
/// gone, as PostgreSQL's `DROP TABLE` would.
fn cascade(out: &mut BTreeMap<Id, Arc<Entry>>) {
    loop {
        let orphans: Vec<Id> = out
            .iter()
            .filter(|(_, e)| {
                let Some(a) = anchor(&e.object) else {
                    return false;
                };
                match (&e.object, out.get(a).map(|x| &x.object)) {
                    (_, None) => true,
                    (
                        Object::Sequence {
                            owned_by: Some((_, col)),
                            ..
                        },
                        Some(Object::Table(t)),
                    ) => !t.columns.iter().any(|c| &c.id == col),
                    _ => false,
                }
            })
            .map(|(id, _)| id.clone())
            .collect();
        if orphans.is_empty() {
            return;
        }
        for id in orphans {
            out.remove(&id);
        }
    }
}

/// Drop dependency edges to objects or columns the merge removed.
fn fix_deps(out: &mut BTreeMap<Id, Arc<Entry>>) {
    let columns: HashSet<Id> = out
        .values()
        .filter_map(|e| match &e.object {
            Object::Table(t) => Some(t.columns.iter().map(|c| c.id.clone())),
            _ => None,
        })
        .flatten()
        .collect();
    let broken: Vec<Id> = out
        .iter()
        .filter(|(_, e)| {
            e.deps
                .iter()
                .any(|d| !out.contains_key(d) && !columns.contains(d))
        })
        .map(|(id, _)| id.clone())
        .collect();
    for id in broken {
        let e = &out[&id];
        let deps = e
            .deps
            .iter()
            .filter(|d| out.contains_key(*d) || columns.contains(*d))
            .cloned()
            .collect();
        let fixed = Arc::new(Entry {
            object: e.object.clone(),
            deps,
        });
        out.insert(id, fixed);
    }
}

impl<'a> Cx<'a> {
    pub(super) fn change(&mut self, key: Key, kind: C) {
        self.changes.push(Change { key, kind });
    }

    /// The decision for a unit: `(label, side)`.
    fn decision(&self, key: &Key) -> Option<(String, Side)> {
        if self.custom.contains_key(&key.id) {
            return Some(("custom".into(), Side::Target));
        }
        match self.opts.resolutions.get(key) {
            Some(Choice::Side(s)) => Some((s.as_str().into(), *s)),
            Some(Choice::Custom(_)) => Some(("custom".into(), Side::Target)),
            None => self.opts.default_side.map(|s| (s.as_str().into(), s)),
        }
    }

    fn display(&self, id: &str) -> (String, String) {
        for t in [self.target, self.source, self.base] {
            if let Some(o) = t.get(id) {
                return (t.display_name(id), o.kind_name().to_string());
            }
        }
        (id.to_string(), "object".into())
    }

    /// Record a conflict (or, in manual mode, a change needing approval)
    /// and return the side that settles it, if any.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn settle(
        &mut self,
        key: Key,
        kind: C,
        part: String,
        b: Option<Value>,
        t: Option<Value>,
        s: Option<Value>,
        message: Option<&str>,
    ) -> Option<Side> {
        let (object, object_type) = self.display(&key.id);
        let decision = self.decision(&key);
        let severity = severity(kind, &object_type, &part);
        self.conflicts.push(Conflict {
            kind,
            object,
            object_type,
            part,
            severity,
            base: b,
            target: t,
            source: s,
            message: message.map(str::to_string),
            resolution: decision.as_ref().map(|d| d.0.clone()),
            key,
        });
        decision.map(|d| d.1)
    }

    fn object_conflict(
        &mut self,
        key: Key,
        kind: C,
        b: E<'_>,
        t: E<'_>,
        s: E<'_>,
        message: Option<&str>,
    ) -> Option<Arc<Entry>> {
        let side = self.settle(key, kind, String::new(), json(b), json(t), json(s), message);
        match side {
            Some(Side::Source) => s.cloned(),
            Some(Side::Base) => b.cloned(),
            Some(Side::Target) | None => t.cloned(),
        }
    }

    fn object_clean(
        &mut self,
        key: Key,
        kind: C,
        b: E<'_>,
        t: E<'_>,
        s: E<'_>,
    ) -> Option<Arc<Entry>> {
        if self.opts.manual {
            return self.object_conflict(key, kind, b, t, s, None);
        }
        self.change(key, kind);
        match kind {
            C::SourceModified | C::DeletedSource => s.cloned(),
            _ => t.cloned(),
        }
    }

    /// Merge one value three ways (a field of an object or of a column).
    pub(super) fn field(
        &mut self,
        key: Key,
        part: String,
        b: Option<&Value>,
        t: Option<&Value>,
        s: Option<&Value>,
    ) -> Option<Value> {
        let field_name = key.part.rsplit('.').next().unwrap_or("").to_string();
        let (kind, clean) = if t == s {
            if b != t {
                self.change(key, C::NoConflict);
            }
            return t.cloned();
        } else if b == t {
            (C::SourceModified, s)
        } else if b == s {
            (C::TargetModified, t)
        } else {
            let by_rule = match field_name.as_str() {
                "labels" => merge_labels(b, t, s),
                "rows" => merge_rows(b, t, s),
                // Privileges are a set: grants and revokes of both sides combine.
                "privileges" => union_list(&field_name, b, t, s).map(sorted_privileges),
                // A publication's tables and schemas are sets too (a table
                // whose filter or columns both sides changed differently
                // stays a conflict).
                "tables" | "schemas" if self.display(&key.id).1 == "publication" => {
                    union_list(&field_name, b, t, s).map(sorted_members)
                }
                _ => None,
            };
            if let Some(v) = by_rule {
                self.change(key.clone(), C::TargetModified);
                self.change(key, C::SourceModified);
                return (!v.is_null()).then_some(v);
            }
            if self.opts.union {
                if let Some(v) = union_list(&field_name, b, t, s) {
                    self.change(key.clone(), C::TargetModified);
                    self.change(key, C::SourceModified);
                    return (!v.is_null()).then_some(v);
                }
            }
            let side = self.settle(
                key,
                C::BothModified,
                part,
                b.cloned(),
                t.cloned(),
                s.cloned(),
                None,
            );
            return match side {
                Some(Side::Source) => s.cloned(),
                Some(Side::Base) => b.cloned(),
                _ => t.cloned(),
            };
        };
        if self.opts.manual {
            let side = self.settle(key, kind, part, b.cloned(), t.cloned(), s.cloned(), None);
            return match side {
                Some(Side::Source) => s.cloned(),
                Some(Side::Base) => b.cloned(),
                Some(Side::Target) => t.cloned(),
                None => t.cloned(),
            };
        }
        self.change(key, kind);
        clean.cloned()
    }

    fn merge_object(
        &mut self,
        id: &Id,
        b: &Arc<Entry>,
        t: &Arc<Entry>,
        s: &Arc<Entry>,
    ) -> Option<Arc<Entry>> {
        let maps = [b, t, s].map(|e| match serde_json::to_value(&e.object) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        });
        let kind = tag(&maps[1]).to_string();
        if tag(&maps[0]) != kind || tag(&maps[2]) != kind {
            let key = Key::new(id, "");
            return self.object_conflict(key, C::BothModified, Some(b), Some(t), Some(s), None);
        }
        let is_table = kind == "table";
        let [bf, tf, sf] = [&maps[0], &maps[1], &maps[2]].map(|m| split(&kind, m, is_table));
        let names: BTreeSet<&String> = bf.keys().chain(tf.keys()).chain(sf.keys()).collect();
        let mut merged = BTreeMap::new();
        for name in names {
            let v = self.field(
                Key::new(id, name),
                name.clone(),
                bf.get(name),
                tf.get(name),
                sf.get(name),
            );
            if let Some(v) = v {
                merged.insert(name.clone(), v);
            }
        }
        let mut m = join(&kind, merged);
        m.insert("kind".into(), Value::String(kind));
        if is_table {
            let cols = [&maps[0], &maps[1], &maps[2]].map(|m| match m.get("columns") {
                Some(Value::Array(a)) => a.clone(),
                _ => Vec::new(),
            });
            let merged_cols = self.columns(id, &cols[0], &cols[1], &cols[2]);
            if !merged_cols.is_empty() {
                m.insert("columns".into(), Value::Array(merged_cols));
            }
        }
        let Ok(object) = serde_json::from_value::<Object>(Value::Object(m)) else {
            let key = Key::new(id, "");
            return self.object_conflict(key, C::BothModified, Some(b), Some(t), Some(s), None);
        };
        if object == t.object {
            return Some(t.clone());
        }
        if object == s.object {
            return Some(s.clone());
        }
        let mut deps: Vec<Id> = t.deps.iter().chain(s.deps.iter()).cloned().collect();
        deps.sort();
        deps.dedup();
        Some(Arc::new(Entry { object, deps }))
    }

    /// Two objects (or two columns of one table) with one name: the merged
    /// schema could not be built.
    fn duplicates(&mut self, tree: &mut Tree) {
        let mut by_name: BTreeMap<String, Vec<&Id>> = BTreeMap::new();
        for id in tree.entries.keys() {
            if let Some(k) = tree.name_key(id) {
                by_name.entry(k).or_default().push(id);
            }
        }
        let mut found: Vec<(Id, String)> = Vec::new();
        for (name, ids) in by_name.iter().filter(|(_, ids)| ids.len() > 1) {
            for id in ids {
                if !same(tree.entries.get(*id), self.target.entries.get(*id)) {
                    found.push(((*id).clone(), format!("two objects would be named {name}")));
                }
            }
        }
        for (id, e) in &tree.entries {
            if let Object::Table(t) = &e.object {
                let mut names = HashSet::new();
                if let Some(c) = t.columns.iter().find(|c| !names.insert(&c.name)) {
                    found.push((
                        id.clone(),
                        format!(
                            "two columns would be named {} in {}",
                            c.name,
                            tree.display_name(id)
                        ),
                    ));
                }
            }
        }
        // A table is clustered on one index at most (CLUSTER ON moves the mark).
        let mut clustered: BTreeMap<&Id, Vec<&Id>> = BTreeMap::new();
        for (id, e) in &tree.entries {
            if let Object::Index {
                table,
                clustered: true,
                ..
            }
            | Object::Constraint {
                table,
                clustered: true,
                ..
            } = &e.object
            {
                clustered.entry(table).or_default().push(id);
            }
        }
        for (table, ids) in clustered.iter().filter(|(_, ids)| ids.len() > 1) {
            for id in ids {
                if !same(tree.entries.get(*id), self.target.entries.get(*id)) {
                    found.push((
                        (*id).clone(),
                        format!("two indexes would cluster {}", tree.display_name(table)),
                    ));
                }
            }
        }
        // A provisional (unresolved) version says nothing about the result.
        let open: HashSet<Id> = self
            .conflicts
            .iter()
            .filter(|c| c.resolution.is_none())
            .map(|c| c.key.id.clone())
            .collect();
        for (id, message) in found {
            if open.contains(&id) {
                continue;
            }
            let key = Key::new(&id, DUPLICATE);
            if self.opts.resolutions.contains_key(&key) {
                continue;
            }
            let (b, t, s) = (
                self.base.entries.get(&id),
                self.target.entries.get(&id),
                self.source.entries.get(&id),
            );
            let side = self.settle(
                key,
                C::InvalidResult,
                "name".into(),
                json(b),
                json(t),
                json(s),
                Some(&message),
            );
            let pick = match side {
                Some(Side::Source) => s,
                Some(Side::Base) => b,
                Some(Side::Target) => t,
                None => continue,
            };
            match pick {
                Some(e) => tree.entries.insert(id.clone(), e.clone()),
                None => tree.entries.remove(&id),
            };
        }
    }
}

/// A merged privilege list in the order snapshots keep it (sorted).
/// A merged list of publication members in the order a snapshot keeps
/// (by table id, or by schema id).
fn sorted_members(v: Value) -> Value {
    match v {
        Value::Array(mut items) => {
            let key = |i: &Value| match i {
                Value::Object(m) => m.get("table").map(Value::to_string).unwrap_or_default(),
                other => other.to_string(),
            };
            items.sort_by_key(key);
            Value::Array(items)
        }
        other => other,
    }
}

fn sorted_privileges(v: Value) -> Value {
    match serde_json::from_value::<Vec<crate::model::Privilege>>(v.clone()) {
        Ok(mut list) => {
            list.sort();
            serde_json::to_value(list).unwrap_or(v)
        }
        Err(_) => v,
    }
}

/// Severity of a unit needing a decision: anything that can lose data
/// (tables, columns and their types) or does not build is high; code
/// objects (views, routines, triggers, policies) and comments are low.
fn severity(kind: C, object_type: &str, part: &str) -> Severity {
    if kind == C::InvalidResult {
        return Severity::High;
    }
    if !matches!(
        kind,
        C::BothModified | C::BothAdded | C::DeletedSource | C::DeletedTarget
    ) {
        return Severity::Low;
    }
    if part.ends_with("comment") {
        return Severity::Low;
    }
    let table = matches!(object_type, "table" | "partition" | "partitioned table");
    if table
        && (part.is_empty()
            || (part.starts_with("column ") && !part.contains(": "))
            || part.ends_with(": data_type"))
    {
        return Severity::High;
    }
    if matches!(
        object_type,
        "view"
            | "materialized view"
            | "function"
            | "procedure"
            | "trigger"
            | "policy"
            | "statistics"
    ) {
        return Severity::Low;
    }
    Severity::Medium
}
