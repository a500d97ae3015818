//! `CREATE PUBLICATION` and the `ALTER PUBLICATION` statements that move a
//! publication to a new definition (its identity kept).

use crate::model::{Object, Publication};
use crate::sql::{ident, literal, Statement, Writer};
use crate::tree::Tree;

/// The operations a publication publishes unless told otherwise.
const ALL: [&str; 4] = ["insert", "update", "delete", "truncate"];

/// `TABLE a (x, y) WHERE (...), b, TABLES IN SCHEMA s`: the objects of a
/// publication as `FOR` / `SET` take them (tables no longer in `tree` left
/// out); `None` when there are none.
fn objects(tree: &Tree, p: &Publication) -> Option<String> {
    let tables: Vec<String> = p
        .tables
        .iter()
        .filter(|t| tree.get(&t.table).is_some())
        .map(|t| {
            let mut s = tree.qualified(&t.table);
            if !t.columns.is_empty() {
                let cols: Vec<String> = t.columns.iter().map(|c| ident(c)).collect();
                s.push_str(&format!(" ({})", cols.join(", ")));
            }
            if let Some(f) = &t.filter {
                s.push_str(&format!(" WHERE ({f})"));
            }
            s
        })
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

/// `publish = '...', publish_via_partition_root = ...`.
fn options(p: &Publication) -> String {
    format!(
        "publish = {}, publish_via_partition_root = {}",
        literal(&p.publish.join(", ")),
        p.via_root
    )
}

fn is_default(p: &Publication) -> bool {
    p.publish == ALL && !p.via_root
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

/// From `a` to `b` (same `all_tables`): options, then the objects.
pub(super) fn alter(tree: &Tree, a: &Publication, b: &Publication) -> Vec<Statement> {
    let mut out = Vec::new();
    let alter = || Writer::new("ALTER PUBLICATION").ident(&b.name);
    if (&a.publish, a.via_root) != (&b.publish, b.via_root) {
        out.push(alter().kw("SET (").def(&options(b)).glue(")").build());
    }
    if b.all_tables || (a.tables == b.tables && a.schemas == b.schemas) {
        return out;
    }
    match objects(tree, b) {
        Some(o) => out.push(alter().kw("SET").def(&o).build()),
        None => {
            // Nothing left: drop what the publication still has (tables
            // this migration drops leave it by themselves).
            for t in a.tables.iter().filter(|t| tree.get(&t.table).is_some()) {
                out.push(
                    alter()
                        .kw("DROP TABLE")
                        .quoted(&tree.qualified(&t.table))
                        .build(),
                );
            }
            for s in &a.schemas {
                if let Some(Object::Schema { name, .. }) = tree.get(s) {
                    out.push(alter().kw("DROP TABLES IN SCHEMA").ident(name).build());
                }
            }
        }
    }
    out
}
