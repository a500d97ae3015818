//! Structural difference between two trees, for people: which objects were
//! added, removed or changed, which were renamed, and which parts (columns,
//! definitions, comments) changed.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::equiv::Renames;
use crate::model::{Column, Id, Kind, Object};
use crate::tree::Tree;

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Added,
    Removed,
    Modified,
}

/// One changed object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub id: Id,
    pub status: Status,
    pub kind: Kind,
    pub kind_name: &'static str,
    /// Display name in the new tree (old tree for removals).
    pub name: String,
    /// Display name in the old tree when the object was renamed or moved.
    pub renamed_from: Option<String>,
    /// Changed parts, e.g. `column email: added`.
    pub parts: Vec<String>,
}

/// Whether `object` is the owner of an object that is not in `tree`: the
/// owner of an object added or removed is part of that change, not a
/// change of its own.
fn owner_of_missing(object: &Object, tree: &Tree) -> bool {
    matches!(object, Object::Owner(o) if !tree.entries.contains_key(&o.target))
}

/// Changes from `old` to `new`, ordered by kind then name. The owner of an
/// object added or removed is not listed apart from it.
pub fn diff(old: &Tree, new: &Tree) -> Vec<Change> {
    let renames = Renames::between(old, new);
    let mut out = Vec::new();
    for (id, e) in &new.entries {
        match old.entries.get(id) {
            None if owner_of_missing(&e.object, old) => {}
            None => out.push(Change {
                id: id.clone(),
                status: Status::Added,
                kind: e.object.kind(),
                kind_name: e.object.kind_name(),
                name: new.display_name(id),
                renamed_from: None,
                parts: Vec::new(),
            }),
            Some(o) if o.object != e.object => {
                let (old_name, new_name) = (old.display_name(id), new.display_name(id));
                let parts = parts_changed(&o.object, &e.object, &renames);
                // A name change of the parent table alone is not a change.
                if parts.is_empty()
                    && old_name != new_name
                    && !own_name_changed(&o.object, &e.object)
                {
                    continue;
                }
                out.push(Change {
                    id: id.clone(),
                    status: Status::Modified,
                    kind: e.object.kind(),
                    kind_name: e.object.kind_name(),
                    name: new_name.clone(),
                    renamed_from: own_name_changed(&o.object, &e.object).then_some(old_name),
                    parts,
                })
            }
            _ => {}
        }
    }
    for (id, e) in &old.entries {
        if !new.entries.contains_key(id) && !owner_of_missing(&e.object, new) {
            out.push(Change {
                id: id.clone(),
                status: Status::Removed,
                kind: e.object.kind(),
                kind_name: e.object.kind_name(),
                name: old.display_name(id),
                renamed_from: None,
                parts: Vec::new(),
            });
        }
    }
    out.sort_by(|a, b| (a.kind, &a.name, a.status).cmp(&(b.kind, &b.name, b.status)));
    out
}

/// A short account of how `got` differs from `want`, naming up to `limit`
/// objects (`public.t.t_idx (index): modified: definition`), for errors
/// that must say which objects a mismatch is about.
pub fn summary(want: &Tree, got: &Tree, limit: usize) -> String {
    let changes = diff(want, got);
    if changes.is_empty() {
        return "no object differs by name or content (only the tree hash)".to_string();
    }
    let mut lines: Vec<String> = changes
        .iter()
        .take(limit)
        .map(|c| {
            let status = match c.status {
                Status::Added => "unexpected",
                Status::Removed => "missing",
                Status::Modified => "differs",
            };
            let mut line = format!("{status}: {} {}", c.kind_name, c.name);
            if !c.parts.is_empty() {
                line.push_str(&format!(" ({})", c.parts.join("; ")));
            }
            line
        })
        .collect();
    if changes.len() > limit {
        lines.push(format!("... and {} more", changes.len() - limit));
    }
    lines.join("\n")
}

fn own_name_changed(a: &Object, b: &Object) -> bool {
    a.name() != b.name() || a.schema() != b.schema()
}

/// Fingerprints of the parts of an object, for parts-level diff and blame:
/// each column separately, the rest of the definition, the comment.
pub fn parts(object: &Object) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    match object {
        Object::Table(t) => {
            for c in &t.columns {
                m.insert(format!("column {}", c.id), column_fingerprint(c));
            }
            let mut shell = t.clone();
            shell.columns.clear();
            shell.comment = None;
            shell.name.clear();
            shell.schema.clear();
            m.insert(
                "definition".into(),
                serde_json::to_string(&shell).unwrap_or_default(),
            );
        }
        other => {
            let mut o = other.clone();
            strip_names(&mut o);
            m.insert(
                "definition".into(),
                serde_json::to_string(&o).unwrap_or_default(),
            );
        }
    }
    m.insert(
        "name".into(),
        format!("{:?}.{}", object.schema(), object.name()),
    );
    m.insert(
        "comment".into(),
        object.comment().unwrap_or_default().to_string(),
    );
    m
}

fn column_fingerprint(c: &Column) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

fn strip_names(o: &mut Object) {
    let cleared = |s: &mut String| s.clear();
    match o {
        Object::Schema { name, comment } => {
            cleared(name);
            *comment = None;
        }
        Object::Enum {
            schema,
            name,
            comment,
            ..
        }
        | Object::Composite {
            schema,
            name,
            comment,
            ..
        }
        | Object::Domain {
            schema,
            name,
            comment,
            ..
        }
        | Object::Range {
            schema,
            name,
            comment,
            ..
        }
        | Object::Sequence {
            schema,
            name,
            comment,
            ..
        }
        | Object::Statistics {
            schema,
            name,
            comment,
            ..
        }
        | Object::Collation {
            schema,
            name,
            comment,
            ..
        }
        | Object::TextSearchDictionary {
            schema,
            name,
            comment,
            ..
        }
        | Object::TextSearchConfiguration {
            schema,
            name,
            comment,
            ..
        }
        | Object::View {
            schema,
            name,
            comment,
            ..
        }
        | Object::Function {
            schema,
            name,
            comment,
            ..
        }
        | Object::Operator {
            schema,
            name,
            comment,
            ..
        }
        | Object::OperatorFamily {
            schema,
            name,
            comment,
            ..
        }
        | Object::OperatorClass {
            schema,
            name,
            comment,
            ..
        } => {
            cleared(schema);
            cleared(name);
            *comment = None;
        }
        Object::Constraint { name, comment, .. }
        | Object::Index { name, comment, .. }
        | Object::Trigger { name, comment, .. }
        | Object::EventTrigger { name, comment, .. }
        | Object::ForeignDataWrapper { name, comment, .. }
        | Object::ForeignServer { name, comment, .. }
        | Object::Policy { name, comment, .. } => {
            cleared(name);
            *comment = None;
        }
        Object::Publication(p) => {
            cleared(&mut p.name);
            p.comment = None;
        }
        Object::Table(_)
        | Object::Extension { .. }
        | Object::Rows(_)
        | Object::Grants(_)
        | Object::DefaultGrants(_)
        | Object::Owner(_) => {}
        Object::Cast { comment, .. } => *comment = None,
    }
}

/// Human labels of the parts that differ between two versions.
pub fn parts_changed(a: &Object, b: &Object, renames: &Renames) -> Vec<String> {
    let mut out = Vec::new();
    if let (Object::Owner(oa), Object::Owner(ob)) = (a, b) {
        out.push(format!("owner {} -> {}", oa.role, ob.role));
        return out;
    }
    if let (Object::Grants(ga), Object::Grants(gb)) = (a, b) {
        let show = |p: &crate::model::Privilege| {
            let who = if p.grantee.is_empty() {
                "PUBLIC"
            } else {
                &p.grantee
            };
            let opt = if p.grantable {
                " with grant option"
            } else {
                ""
            };
            format!("{} to {who}{opt}", p.privilege)
        };
        for p in &gb.privileges {
            if !ga.privileges.contains(p) {
                out.push(format!("granted {}", show(p)));
            }
        }
        for p in &ga.privileges {
            if !gb.privileges.contains(p) {
                out.push(format!("revoked {}", show(p)));
            }
        }
        if ga.columns != gb.columns {
            out.push("column privileges".into());
        }
        return out;
    }
    if let (Object::Rows(ra), Object::Rows(rb)) = (a, b) {
        let ch = crate::plan::data::row_changes(Some(ra), rb);
        for (n, what) in [
            (ch.added.len(), "added"),
            (ch.changed.len(), "changed"),
            (ch.removed.len(), "removed"),
        ] {
            if n > 0 {
                out.push(format!("{n} row(s) {what}"));
            }
        }
        if ra.columns != rb.columns || ra.key != rb.key {
            out.push("tracked columns".into());
        }
        return out;
    }
    if let (Object::Table(ta), Object::Table(tb)) = (a, b) {
        for c in &tb.columns {
            match ta.columns.iter().find(|o| o.id == c.id) {
                None => out.push(format!("column {}: added", c.name)),
                Some(o) if o.name != c.name && strip_col(o) == strip_col(c) => {
                    out.push(format!("column {}: renamed from {}", c.name, o.name))
                }
                Some(o) if o != c => {
                    let mut what = Vec::new();
                    if o.name != c.name {
                        what.push(format!("renamed from {}", o.name));
                    }
                    if o.data_type != c.data_type || o.collation != c.collation {
                        what.push(format!("type {} -> {}", o.data_type, c.data_type));
                    }
                    if o.default != c.default
                        || o.generated != c.generated
                        || o.identity != c.identity
                    {
                        what.push("default".into());
                    }
                    if o.not_null != c.not_null {
                        what.push(
                            if c.not_null {
                                "set not null"
                            } else {
                                "drop not null"
                            }
                            .into(),
                        );
                    }
                    if o.comment != c.comment {
                        what.push("comment".into());
                    }
                    if o.settings != c.settings {
                        what.push("settings".into());
                    }
                    if o.options != c.options {
                        what.push("options".into());
                    }
                    // Whether a column is only inherited follows the
                    // table's inheritance, reported below.
                    if !what.is_empty() {
                        out.push(format!("column {}: {}", c.name, what.join(", ")));
                    }
                }
                _ => {}
            }
        }
        for o in &ta.columns {
            if !tb.columns.iter().any(|c| c.id == o.id) {
                out.push(format!("column {}: dropped", o.name));
            }
        }
    }
    let (pa, pb) = (parts(a), parts(b));
    if pa.get("definition") != pb.get("definition") && !same_after_renames(a, b, renames) {
        out.push("definition".into());
    }
    if a.comment() != b.comment() {
        out.push("comment".into());
    }
    out
}

/// A constraint, index or trigger whose text differs only by renames.
fn same_after_renames(a: &Object, b: &Object, renames: &Renames) -> bool {
    use crate::plan::Approach;
    matches!(
        (a, b),
        (Object::Constraint { .. }, Object::Constraint { .. })
            | (Object::Index { .. }, Object::Index { .. })
            | (Object::Trigger { .. }, Object::Trigger { .. })
    ) && crate::plan::approach(a, b, renames) == Approach::InPlace
        && {
            let (mut x, mut y) = (a.clone(), b.clone());
            for o in [&mut x, &mut y] {
                match o {
                    Object::Constraint {
                        name,
                        comment,
                        definition,
                        ..
                    }
                    | Object::Index {
                        name,
                        comment,
                        definition,
                        ..
                    }
                    | Object::Trigger {
                        name,
                        comment,
                        definition,
                        ..
                    } => {
                        name.clear();
                        *comment = None;
                        definition.clear();
                    }
                    _ => {}
                }
            }
            x == y
        }
}

fn strip_col(c: &Column) -> Column {
    let mut c = c.clone();
    c.name.clear();
    c
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::Table;
    use crate::tree::Entry;

    fn table(name: &str, cols: &[&str]) -> Arc<Entry> {
        let columns = cols
            .iter()
            .map(|c| Column::new(&format!("{name}.{c}"), c, "integer"))
            .collect();
        Arc::new(Entry {
            object: Object::Table(Table::new("public", name, columns)),
            deps: vec![],
        })
    }

    #[test]
    fn summary_names_each_differing_object() {
        let mut want = Tree::default();
        want.entries.insert("t".into(), table("t", &["a", "b"]));
        want.entries.insert("u".into(), table("u", &["a"]));
        let mut got = Tree::default();
        got.entries.insert("t".into(), table("t", &["a"]));
        got.entries.insert("v".into(), table("v", &["a"]));
        let s = summary(&want, &got, 10);
        assert!(s.contains("differs: table public.t"), "{s}");
        assert!(s.contains("missing: table public.u"), "{s}");
        assert!(s.contains("unexpected: table public.v"), "{s}");
        let short = summary(&want, &got, 1);
        assert!(short.ends_with("... and 2 more"), "{short}");
    }
}
