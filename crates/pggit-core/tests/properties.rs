//! Properties of the pure core over generated trees: planning is empty
//! between equal trees, orders respect requirements, creating a tree from
//! nothing creates each object once, identity assignment is stable, and a
//! rename is a rename.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use pggit_core::diff::{diff, Status};
use pggit_core::identity::{assign, reference_needs};
use pggit_core::model::{Attribute, Column, Object, Table};
use pggit_core::plan::{ordered_subset, plan, requirements};
use pggit_core::{packed, slice};
use pggit_core::{Entry, Tree};
use proptest::prelude::*;

/// Shape of a generated schema: tables (schema index, column count),
/// indexes (table index), views (table indexes they read).
#[derive(Debug, Clone)]
struct Shape {
    schemas: usize,
    tables: Vec<(usize, usize)>,
    indexes: Vec<usize>,
    views: Vec<Vec<usize>>,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        1usize..4,
        prop::collection::vec((0usize..4, 1usize..5), 1..8),
    )
        .prop_flat_map(|(schemas, tables)| {
            let n = tables.len();
            (
                Just(schemas),
                Just(tables),
                prop::collection::vec(0..n, 0..5),
                prop::collection::vec(prop::collection::vec(0..n, 1..3), 0..4),
            )
                .prop_map(|(schemas, tables, indexes, views)| Shape {
                    schemas,
                    tables,
                    indexes,
                    views,
                })
        })
}

/// Build a tree with catalog-style keys (`nsp:N`, `rel:N`, `col:N:M`).
fn build(s: &Shape) -> Tree {
    let mut entries = BTreeMap::new();
    for i in 0..s.schemas {
        entries.insert(
            format!("nsp:{i}"),
            Arc::new(Entry {
                object: Object::Schema {
                    name: format!("s{i}"),
                    comment: None,
                },
                deps: vec![],
            }),
        );
    }
    for (t, (schema, ncols)) in s.tables.iter().enumerate() {
        let schema = schema % s.schemas;
        let columns = (0..*ncols)
            .map(|c| Column {
                id: format!("col:{t}:{c}"),
                name: format!("c{c}"),
                data_type: "integer".into(),
                inherited: false,
                options: vec![],
                settings: Default::default(),
                collation: None,
                not_null: c == 0,
                default: None,
                identity: None,
                generated: None,
                not_null_name: None,
                comment: None,
            })
            .collect();
        entries.insert(
            format!("rel:{t}"),
            Arc::new(Entry {
                object: Object::Table(Table {
                    schema: format!("s{schema}"),
                    name: format!("t{t}"),
                    columns,
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
                }),
                deps: vec![format!("nsp:{schema}")],
            }),
        );
    }
    for (i, t) in s.indexes.iter().enumerate() {
        entries.insert(
            format!("idx:{i}"),
            Arc::new(Entry {
                object: Object::Index {
                    table: format!("rel:{t}"),
                    name: format!("i{i}"),
                    unique: false,
                    definition: "USING btree (c0)".into(),
                    comment: None,
                    clustered: false,
                    statistics: vec![],
                },
                deps: vec![format!("col:{t}:0")],
            }),
        );
    }
    for (v, reads) in s.views.iter().enumerate() {
        let mut deps: Vec<String> = reads.iter().map(|t| format!("col:{t}:0")).collect();
        deps.push("nsp:0".into());
        if v > 0 {
            deps.push(format!("rel:v{}", v - 1));
        }
        deps.sort();
        deps.dedup();
        entries.insert(
            format!("rel:v{v}"),
            Arc::new(Entry {
                object: Object::View {
                    schema: "s0".into(),
                    name: format!("v{v}"),
                    materialized: false,
                    query: format!("SELECT {v}"),
                    columns: vec![Attribute {
                        name: "x".into(),
                        data_type: "integer".into(),
                        collation: None,
                        comment: None,
                    }],
                    options: vec![],
                    comment: None,
                },
                deps,
            }),
        );
    }
    Tree { entries }
}

fn stable(s: &Shape) -> Tree {
    assign(&build(s), &HashMap::new(), None, "root").tree
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn equal_trees_need_no_statements(s in shape()) {
        let t = stable(&s);
        prop_assert!(plan(&t, &t).unwrap().is_empty());
        prop_assert!(diff(&t, &t).is_empty());
    }

    #[test]
    fn order_respects_requirements(s in shape()) {
        let t = stable(&s);
        let all: HashSet<&String> = t.entries.keys().collect();
        let order = ordered_subset(&t, &all);
        prop_assert_eq!(order.len(), t.entries.len());
        let pos: HashMap<&String, usize> = order.iter().enumerate().map(|(i, id)| (id, i)).collect();
        for id in t.entries.keys() {
            for r in requirements(&t, id) {
                prop_assert!(pos[&r] < pos[id], "{} must follow {}", id, r);
            }
        }
    }

    #[test]
    fn building_from_nothing_creates_each_object_once(s in shape()) {
        let t = stable(&s);
        let statements = plan(&Tree::default(), &t).unwrap();
        prop_assert_eq!(statements.len(), t.entries.len());
        prop_assert!(statements.iter().all(|s| s.sql.starts_with("CREATE") || s.sql.starts_with("ALTER TABLE")));
        // Dropping everything drops each object once: indexes, constraints,
        // triggers and policies explicitly before their tables, so that no
        // late drop waits on them.
        let drops = plan(&t, &Tree::default()).unwrap();
        prop_assert_eq!(drops.len(), t.entries.len());
        prop_assert!(drops.iter().all(|s| s.sql.starts_with("DROP")));
    }

    #[test]
    fn identity_assignment_is_stable(s in shape()) {
        let raw = build(&s);
        let first = assign(&raw, &HashMap::new(), None, "root");
        // The same catalog keys keep their ids...
        let again = assign(&raw, &first.map, Some(&first.tree), "later");
        prop_assert_eq!(&again.tree, &first.tree);
        // ...and without the map, exact names find them.
        let by_name = assign(&raw, &HashMap::new(), Some(&first.tree), "later");
        prop_assert_eq!(&by_name.tree, &first.tree);
    }

    #[test]
    fn assignment_reads_only_the_reference_it_needs(
        a in shape(),
        b in shape(),
        forget in proptest::collection::vec(any::<bool>(), 0..64),
    ) {
        // A workspace's map knows a's keys, some forgotten; its catalog now
        // holds b's; HEAD is a's tree.
        let first = assign(&build(&a), &HashMap::new(), None, "root");
        let mut keys: Vec<&String> = first.map.keys().collect();
        keys.sort();
        let known: HashMap<String, String> = keys
            .iter()
            .enumerate()
            .filter(|(i, _)| !forget.get(*i).copied().unwrap_or(false))
            .map(|(_, k)| ((*k).clone(), first.map[*k].clone()))
            .collect();
        let raw = build(&b);
        let hashed = first.tree.hashed();
        let bytes = packed::pack(&first.tree, &hashed).unwrap();
        let index = packed::decode(&bytes).unwrap();
        let needs: BTreeSet<&str> = reference_needs(&raw, &known, &index)
            .into_iter()
            .map(|p| index.ids[p])
            .collect();
        let cut = slice::prune(&first.tree, &needs);
        let whole = assign(&raw, &known, Some(&first.tree), "later");
        let lazy = assign(&raw, &known, Some(&cut), "later");
        prop_assert_eq!(&lazy.tree, &whole.tree);
        prop_assert_eq!(&lazy.map, &whole.map);
    }

    #[test]
    fn diff_is_antisymmetric(a in shape(), b in shape()) {
        let ta = stable(&a);
        let tb = assign(&build(&b), &HashMap::new(), Some(&ta), "b").tree;
        let forward = diff(&ta, &tb);
        let backward = diff(&tb, &ta);
        let added: HashSet<&String> = forward.iter().filter(|c| c.status == Status::Added).map(|c| &c.id).collect();
        let removed_back: HashSet<&String> = backward.iter().filter(|c| c.status == Status::Removed).map(|c| &c.id).collect();
        prop_assert_eq!(added, removed_back);
    }

    #[test]
    fn a_rename_is_one_statement(s in shape(), pick in any::<prop::sample::Index>()) {
        let t = stable(&s);
        let tables: Vec<&String> = t.entries.iter().filter(|(_, e)| matches!(e.object, Object::Table(_))).map(|(id, _)| id).collect();
        let id = tables[pick.index(tables.len())].clone();
        let mut renamed = t.clone();
        if let Object::Table(tb) = &mut Arc::make_mut(renamed.entries.get_mut(&id).unwrap()).object {
            tb.name = format!("{}_renamed", tb.name);
        }
        let statements = plan(&t, &renamed).unwrap();
        prop_assert_eq!(statements.len(), 1);
        prop_assert!(statements[0].sql.contains("RENAME TO"));
        prop_assert!(!statements[0].destructive);
    }
}
