//! `CREATE PUBLICATION` and the `ALTER PUBLICATION` statements that move a
//! publication to a new definition (its identity kept).

use crate::model::{Object, Publication, PublishedTable};
use crate::sql::{ident, literal, Statement, Writer};
use crate::tree::Tree;

/// The operations a publication publishes unless told otherwise.
const ALL: [&str; 4] = ["insert", "update", "delete", "truncate"];

/// `TABLE a (x, y) WHERE (...), b, TABLES IN SCHEMA s`: the objects of a
/// publication as `FOR` takes them (tables no longer in `tree` left
/// out); `None` when there are none.
fn objects(tree: &Tree, p: &Publication) -> Option<String> {
    let tables: Vec<String> = p
        .tables
        .iter()
        .filter(|t| tree.get(&t.table).is_some())
        .map(|t| table(tree, t))
        .collect();
    let schemas: Vec<String> = p
        .schemas
        .iter()
        .filter_map(|s| match tree.get(s) {
            Some(Object::Schema { name, .. }) => Some(ident(name)),
            _ => None,
        })
        .collect();
    let mut parts = Vec::new();
    if !tables.is_empty() {
        parts.push(format!("TABLE {}", tables.join(", ")));
    }
    if !schemas.is_empty() {
        parts.push(format!("TABLES IN SCHEMA {}", schemas.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// `publish = '...', publish_via_partition_root = ...` (and
/// `publish_generated_columns`, which only PostgreSQL 18 knows, when set).
fn options(p: &Publication) -> String {
    let mut s = format!(
        "publish = {}, publish_via_partition_root = {}",
        literal(&p.publish.join(", ")),
        p.via_root
    );
    if p.generated_columns {
        s.push_str(", publish_generated_columns = stored");
    }
    s
}

fn is_default(p: &Publication) -> bool {
    p.publish == ALL && !p.via_root && !p.generated_columns
}

/// `CREATE PUBLICATION` (and its comment).
pub(super) fn create(tree: &Tree, p: &Publication) -> Vec<Statement> {
    let mut w = Writer::new("CREATE PUBLICATION").ident(&p.name);
    if p.all_tables {
        w = w.kw("FOR ALL TABLES");
    } else if let Some(o) = objects(tree, p) {
        w = w.kw("FOR").def(&o);
    }
    if !is_default(p) {
        w = w.kw("WITH (").def(&options(p)).glue(")");
    }
    let mut out = vec![w.build()];
    if let Some(c) = &p.comment {
        out.push(super::render::comment_on(
            "PUBLICATION",
            &ident(&p.name),
            Some(c),
        ));
    }
    out
}

/// One table as `ADD TABLE` / `FOR TABLE` take it.
fn table(tree: &Tree, t: &PublishedTable) -> String {
    let mut s = tree.qualified(&t.table);
    if !t.columns.is_empty() {
        let cols: Vec<String> = t.columns.iter().map(|c| ident(c)).collect();
        s.push_str(&format!(" ({})", cols.join(", ")));
    }
    if let Some(f) = &t.filter {
        s.push_str(&format!(" WHERE ({f})"));
    }
    s
}

/// From `a` to `b` (same `all_tables`): options, then the members that
/// differ, one `DROP`/`ADD` each — never `SET`, which would also remove
/// members pggit does not track (tables in schemas outside its scope). A
/// table whose filter or columns changed is dropped and added again;
/// tables this migration drops leave the publication by themselves.
pub(super) fn alter(tree: &Tree, a: &Publication, b: &Publication) -> Vec<Statement> {
    let mut out = Vec::new();
    let alter = || Writer::new("ALTER PUBLICATION").ident(&b.name);
    if (&a.publish, a.via_root) != (&b.publish, b.via_root) {
        let base = Publication {
            generated_columns: false,
            tables: Vec::new(),
            schemas: Vec::new(),
            ..b.clone()
        };
        out.push(alter().kw("SET (").def(&options(&base)).glue(")").build());
    }
    if a.generated_columns != b.generated_columns {
        let to = if b.generated_columns {
            "stored"
        } else {
            "none"
        };
        out.push(
            alter()
                .kw("SET (publish_generated_columns =")
                .def(to)
                .glue(")")
                .build(),
        );
    }
    if b.all_tables {
        return out;
    }
    let find = |list: &[PublishedTable], id: &str| list.iter().find(|t| t.table == id).cloned();
    for old in &a.tables {
        let keep = find(&b.tables, &old.table).is_some_and(|new| new == *old);
        if !keep && tree.get(&old.table).is_some() {
            out.push(
                alter()
                    .kw("DROP TABLE")
                    .quoted(&tree.qualified(&old.table))
                    .build(),
            );
        }
    }
    for new in &b.tables {
        if find(&a.tables, &new.table).is_none_or(|old| old != *new) {
            out.push(alter().kw("ADD TABLE").def(&table(tree, new)).build());
        }
    }
    let schema_name = |id: &str| match tree.get(id) {
        Some(Object::Schema { name, .. }) => Some(ident(name)),
        _ => None,
    };
    for s in a.schemas.iter().filter(|s| !b.schemas.contains(s)) {
        if let Some(n) = schema_name(s) {
            out.push(alter().kw("DROP TABLES IN SCHEMA").def(&n).build());
        }
    }
    for s in b.schemas.iter().filter(|s| !a.schemas.contains(s)) {
        if let Some(n) = schema_name(s) {
            out.push(alter().kw("ADD TABLES IN SCHEMA").def(&n).build());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::Table;
    use crate::tree::Entry;

    fn tree(tables: &[&str]) -> Tree {
        let mut t = Tree::default();
        for name in ["orders", "items"] {
            t.entries.insert(
                name.into(),
                Arc::new(Entry {
                    object: Object::Table(Table::new("public", name, vec![])),
                    deps: vec![],
                }),
            );
        }
        let p = Publication {
            name: "feed".into(),
            all_tables: false,
            publish: ALL.iter().map(|s| s.to_string()).collect(),
            via_root: false,
            generated_columns: false,
            tables: tables
                .iter()
                .map(|t| PublishedTable {
                    table: t.to_string(),
                    filter: None,
                    columns: vec![],
                })
                .collect(),
            schemas: vec![],
            comment: None,
        };
        t.entries.insert(
            "feed".into(),
            Arc::new(Entry {
                object: Object::Publication(p),
                deps: vec![],
            }),
        );
        t
    }

    /// Members change one by one: `SET TABLE` would also take away the
    /// tables of the publication that pggit does not track.
    #[test]
    fn members_are_added_and_dropped_never_set() {
        let (a, b) = (tree(&["orders"]), tree(&["items"]));
        let sql: Vec<String> = crate::plan::plan(&a, &b)
            .unwrap()
            .into_iter()
            .map(|s| s.sql)
            .collect();
        assert_eq!(
            sql,
            [
                "ALTER PUBLICATION feed DROP TABLE public.orders",
                "ALTER PUBLICATION feed ADD TABLE public.items"
            ]
        );
    }
}
