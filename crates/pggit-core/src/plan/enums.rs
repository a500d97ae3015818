//! Rebuilding an enum that loses or reorders labels. PostgreSQL can only
//! add labels in place, so the type is renamed aside, created anew, every
//! column that uses it is converted through `text`, and the old type is
//! dropped once nothing uses it (in the late drops).

use super::PlanError;
use crate::model::{Id, Kind, Object};
use crate::sql::{ident, qname, Statement, Writer};
use crate::tree::Tree;

/// Whether moving `old` to `new` needs a rebuild (labels removed or
/// reordered).
pub fn needed(old: &Object, new: &Object) -> bool {
    let (Object::Enum { labels: la, .. }, Object::Enum { labels: lb, .. }) = (old, new) else {
        return false;
    };
    let mut it = lb.iter();
    !la.iter().all(|l| it.any(|x| x == l))
}

/// What a rebuild touches.
pub struct Rebuild {
    /// Columns converted: (table id, column id).
    pub columns: Vec<(Id, Id)>,
    /// Objects that use the type directly and must be re-created.
    pub recreate: Vec<Id>,
}

/// Columns and dependents of enum `id`. Types built on the enum (domains,
/// composite or range types) are not rebuilt with it: refused.
pub fn analyse(old: &Tree, new: &Tree, id: &str) -> Result<Rebuild, PlanError> {
    let (Some(o), Some(n)) = (old.get(id), new.get(id)) else {
        return Ok(Rebuild {
            columns: vec![],
            recreate: vec![],
        });
    };
    let type_names = |o: &Object| -> [String; 2] {
        let q = match o.schema() {
            Some(s) => qname(s, o.name()),
            None => ident(o.name()),
        };
        [q.clone(), format!("{q}[]")]
    };
    let (old_names, new_names) = (type_names(o), type_names(n));
    let mut columns = Vec::new();
    for (tid, e) in &new.entries {
        let Object::Table(t) = &e.object else {
            continue;
        };
        let Some(Object::Table(ot)) = old.get(tid) else {
            continue;
        };
        for c in &t.columns {
            let was = ot.columns.iter().find(|x| x.id == c.id);
            if new_names.contains(&c.data_type)
                && was.is_some_and(|w| old_names.contains(&w.data_type))
            {
                columns.push((tid.clone(), c.id.clone()));
            }
        }
    }
    let mut recreate = Vec::new();
    for (did, e) in &old.entries {
        if !e.deps.iter().any(|d| d == id) || !new.entries.contains_key(did) {
            continue;
        }
        match e.object.kind() {
            Kind::Table => {}
            Kind::Type | Kind::Sequence | Kind::Schema | Kind::Extension => {
                return Err(PlanError::Unsupported(format!(
                    "enum {}: {} {} is built on it; rebuild it by hand",
                    new.display_name(id),
                    e.object.kind_name(),
                    old.display_name(did)
                )))
            }
            _ => recreate.push(did.clone()),
        }
    }
    Ok(Rebuild { columns, recreate })
}

/// Name the old type takes while its columns are converted.
fn aside(name: &str) -> String {
    let mut base = name.to_string();
    while base.len() > 51 {
        base.pop();
    }
    format!("{base}__pggit_old")
}

/// Statements of the rebuild, and the late drop of the old type (`None`
/// when `id` is not an enum of the new tree).
pub fn statements(
    old: &Tree,
    new: &Tree,
    id: &str,
    r: &Rebuild,
) -> Option<(Vec<Statement>, Statement)> {
    let created @ Object::Enum { schema, name, .. } = new.get(id)? else {
        return None;
    };
    let mut out = Vec::new();
    let aside = aside(name);
    out.push(
        Writer::new("ALTER TYPE")
            .qname(schema, name)
            .kw("RENAME TO")
            .ident(&aside)
            .build(),
    );
    out.extend(super::render::create(new, created));
    let type_name = qname(schema, name);
    for (tid, cid) in &r.columns {
        let (Some(Object::Table(t)), Some(Object::Table(ot))) = (new.get(tid), old.get(tid)) else {
            continue;
        };
        let (Some(c), Some(oc)) = (
            t.columns.iter().find(|c| &c.id == cid),
            ot.columns.iter().find(|c| &c.id == cid),
        ) else {
            continue;
        };
        let table = qname(&t.schema, &t.name);
        let at = || {
            Writer::new("ALTER TABLE")
                .quoted(&table)
                .kw("ALTER COLUMN")
                .ident(&c.name)
        };
        if oc.default.is_some() {
            out.push(at().kw("DROP DEFAULT").build());
        }
        let cast = if c.data_type.ends_with("[]") {
            format!("{}::text[]::{type_name}[]", ident(&c.name))
        } else {
            format!("{}::text::{type_name}", ident(&c.name))
        };
        out.push(
            at().kw("TYPE")
                .def(&c.data_type)
                .kw("USING")
                .quoted(&cast)
                .destructive()
                .build(),
        );
        if let Some(d) = &c.default {
            out.push(at().kw("SET DEFAULT").def(d).build());
        }
    }
    let drop = Writer::new("DROP TYPE").qname(schema, &aside).build();
    Some((out, drop))
}
