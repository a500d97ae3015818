//! Inheritance after a merge: a table that inherits from a parent has the
//! parent's columns, whichever side changed which. One side adding a
//! column to a parent and the other adding a table that inherits from it
//! merge into a table that has the column, as PostgreSQL will make it.

use std::sync::Arc;

use crate::model::{Column, Object, Table};
use crate::tree::{Entry, Tree};

/// Gives every inheriting table of `tree` its parents' columns: a parent's
/// column it lacks is added as inherited, an inherited column no parent
/// has any more goes, and a column shared with a parent takes the parent's
/// type. Parents are settled before their children.
pub(crate) fn settle(tree: &mut Tree) {
    let children: Vec<String> = tree
        .entries
        .iter()
        .filter(|(_, e)| matches!(&e.object, Object::Table(t) if !t.inherits.is_empty()))
        .map(|(id, _)| id.clone())
        .collect();
    if children.is_empty() {
        return;
    }
    // Each pass settles one more level of descent.
    for _ in 0..=children.len() {
        let mut changed = false;
        for id in &children {
            let Some(Object::Table(t)) = tree.get(id) else {
                continue;
            };
            let settled = settled(tree, id, t);
            if settled != *t {
                let deps = tree.entries[id].deps.clone();
                tree.entries.insert(
                    id.clone(),
                    Arc::new(Entry {
                        object: Object::Table(settled),
                        deps,
                    }),
                );
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

fn settled(tree: &Tree, id: &str, t: &Table) -> Table {
    let parents: Vec<&Table> = t
        .inherits
        .iter()
        .filter_map(|p| match tree.get(p) {
            Some(Object::Table(pt)) => Some(pt),
            _ => None,
        })
        .collect();
    let mut out = t.clone();
    let from_parent = |name: &str| {
        parents
            .iter()
            .find_map(|p| p.columns.iter().find(|c| c.name == name))
    };
    out.columns
        .retain(|c| !c.inherited || from_parent(&c.name).is_some());
    for c in &mut out.columns {
        if let Some(pc) = from_parent(&c.name) {
            if (&c.data_type, &c.collation) != (&pc.data_type, &pc.collation) {
                // A type change resets storage and compression.
                c.settings.storage = None;
                c.settings.compression = None;
            }
            c.data_type = pc.data_type.clone();
            c.collation = pc.collation.clone();
        }
    }
    let mut order: Vec<&str> = Vec::new();
    for p in &parents {
        for pc in &p.columns {
            if order.contains(&pc.name.as_str()) {
                continue;
            }
            order.push(&pc.name);
            if !out.columns.iter().any(|c| c.name == pc.name) {
                out.columns.push(Column {
                    id: format!("{}@{id}", pc.id),
                    inherited: true,
                    comment: None,
                    identity: None,
                    settings: crate::model::ColumnSettings::default(),
                    ..pc.clone()
                });
            }
        }
    }
    if out.columns.iter().any(|c| c.inherited) {
        let rank = |c: &Column| {
            order
                .iter()
                .position(|n| *n == c.name)
                .unwrap_or(usize::MAX)
        };
        out.columns.sort_by_key(rank);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::{merge, Options};

    fn tree(objects: Vec<(&str, Object)>) -> Tree {
        Tree::from_objects(objects)
    }

    fn table(name: &str, cols: &[(&str, &str, bool)], inherits: &[&str]) -> Object {
        let mut t = Table::new(
            "public",
            name,
            cols.iter()
                .map(|(id, n, inherited)| Column {
                    inherited: *inherited,
                    ..Column::new(id, n, "integer")
                })
                .collect(),
        );
        t.inherits = inherits.iter().map(|s| s.to_string()).collect();
        Object::Table(t)
    }

    #[test]
    fn a_child_added_on_one_side_gets_the_column_the_other_added_to_its_parent() {
        let base = tree(vec![("p", table("p", &[("p1", "id", false)], &[]))]);
        let target = tree(vec![(
            "p",
            table("p", &[("p1", "id", false), ("p2", "z", false)], &[]),
        )]);
        let source = tree(vec![
            ("p", table("p", &[("p1", "id", false)], &[])),
            (
                "c",
                table("c", &[("c1", "id", true), ("c2", "own", false)], &["p"]),
            ),
        ]);
        let m = merge(&base, &target, &source, &Options::default());
        assert!(m.is_clean());
        let Some(Object::Table(c)) = m.tree.get("c") else {
            panic!("child merged away");
        };
        let names: Vec<(&str, bool)> = c
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.inherited))
            .collect();
        assert_eq!(names, [("id", true), ("z", true), ("own", false)]);
    }

    #[test]
    fn an_inherited_column_the_other_side_dropped_from_the_parent_goes() {
        let base = tree(vec![(
            "p",
            table("p", &[("p1", "id", false), ("p2", "z", false)], &[]),
        )]);
        let target = tree(vec![("p", table("p", &[("p1", "id", false)], &[]))]);
        let source = tree(vec![
            (
                "p",
                table("p", &[("p1", "id", false), ("p2", "z", false)], &[]),
            ),
            (
                "c",
                table("c", &[("c1", "id", true), ("c3", "z", true)], &["p"]),
            ),
        ]);
        let m = merge(&base, &target, &source, &Options::default());
        let Some(Object::Table(c)) = m.tree.get("c") else {
            panic!("child merged away");
        };
        assert_eq!(c.columns.len(), 1);
        assert_eq!(c.columns[0].name, "id");
    }

    #[test]
    fn a_parent_retyped_on_one_side_resets_the_storage_of_the_other_sides_child() {
        let base = tree(vec![("p", table("p", &[("p1", "body", false)], &[]))]);
        let mut retyped = table("p", &[("p1", "body", false)], &[]);
        if let Object::Table(t) = &mut retyped {
            t.columns[0].data_type = "text".into();
        }
        let target = tree(vec![("p", retyped)]);
        let mut child = table("c", &[("c1", "body", true)], &["p"]);
        if let Object::Table(t) = &mut child {
            t.columns[0].settings.storage = Some(crate::model::Storage {
                mode: "main".into(),
                type_default: "plain".into(),
            });
            t.columns[0].settings.statistics = Some(10);
        }
        let source = tree(vec![
            ("p", table("p", &[("p1", "body", false)], &[])),
            ("c", child),
        ]);
        let m = merge(&base, &target, &source, &Options::default());
        let Some(Object::Table(c)) = m.tree.get("c") else {
            panic!("child merged away");
        };
        assert_eq!(c.columns[0].data_type, "text");
        assert_eq!(c.columns[0].settings.storage, None);
        assert_eq!(c.columns[0].settings.statistics, Some(10));
    }

    #[test]
    fn two_sides_clustering_one_table_on_different_indexes_conflict() {
        let index = |name: &str, clustered: bool| Object::Index {
            table: "t".into(),
            name: name.into(),
            unique: false,
            definition: "USING btree (id)".into(),
            comment: None,
            clustered,
            statistics: vec![],
        };
        let t = || table("t", &[("t1", "id", false)], &[]);
        let base = tree(vec![
            ("t", t()),
            ("a", index("a", false)),
            ("b", index("b", false)),
        ]);
        let target = tree(vec![
            ("t", t()),
            ("a", index("a", true)),
            ("b", index("b", false)),
        ]);
        let source = tree(vec![
            ("t", t()),
            ("a", index("a", false)),
            ("b", index("b", true)),
        ]);
        let m = merge(&base, &target, &source, &Options::default());
        let found: Vec<&str> = m.unresolved().map(|c| c.key.id.as_str()).collect();
        assert_eq!(found, ["b"], "{:?}", m.conflicts);
        // One side only: clean.
        let m = merge(&base, &base, &source, &Options::default());
        assert!(m.is_clean());
    }
}
