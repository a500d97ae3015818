//! In-place changes of one object that keeps its identity.

use std::collections::HashMap;

use super::render::{self, column_def, comment_on, comment_target};
use super::PlanError;
use crate::equiv::Renames;
use crate::model::{Column, Object, Table};
use crate::sql::{ident, qname, Statement, Writer};
use crate::tree::Tree;

/// How a modified object is brought to its new definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approach {
    /// ALTER statements (or CREATE OR REPLACE); data and OID survive.
    InPlace,
    /// Drop and create again (objects without data, or a partition key change).
    Recreate,
}

/// Decide how to move `old` to `new` (same identity).
pub fn approach(old: &Object, new: &Object, renames: &Renames) -> Approach {
    use Object as O;
    let same = match (old, new) {
        (O::Extension { name: a, .. }, O::Extension { name: b, .. }) => a == b,
        (O::Range { options: a, .. }, O::Range { options: b, .. }) => a == b,
        (
            O::Domain {
                base: a,
                collation: ca,
                ..
            },
            O::Domain {
                base: b,
                collation: cb,
                ..
            },
        ) => a == b && ca == cb,
        (O::Table(a), O::Table(b)) => a.partition_key == b.partition_key,
        (
            O::Constraint {
                definition: a,
                table: ta,
                ..
            },
            O::Constraint {
                definition: b,
                table: tb,
                ..
            },
        ) => ta == tb && renames.same(ta, a, b),
        (
            O::Index {
                definition: a,
                unique: ua,
                table: ta,
                ..
            },
            O::Index {
                definition: b,
                unique: ub,
                table: tb,
                ..
            },
        ) => ua == ub && ta == tb && renames.same(ta, a, b),
        (
            O::View {
                materialized: ma,
                query: qa,
                columns: ca,
                options: oa,
                ..
            },
            O::View {
                materialized: mb,
                query: qb,
                columns: cb,
                options: ob,
                ..
            },
        ) => {
            ma == mb
                && (!ma || (qa == qb && oa == ob))
                && cb.len() >= ca.len()
                && ca.iter().zip(cb).all(|(x, y)| x == y)
        }
        (
            O::Function {
                routine: ra,
                identity_args: aa,
                result: xa,
                ..
            },
            O::Function {
                routine: rb,
                identity_args: ab,
                result: xb,
                ..
            },
        ) => ra == rb && aa == ab && xa == xb,
        (
            O::Trigger {
                definition: a,
                constraint: ca,
                table: ta,
                ..
            },
            O::Trigger {
                definition: b,
                constraint: cb,
                table: tb,
                ..
            },
        ) => ca == cb && ta == tb && renames.same(ta, a, b),
        (O::Policy { .. }, O::Policy { .. }) => {
            let strip = |o: &Object| match o {
                O::Policy {
                    table,
                    permissive,
                    command,
                    roles,
                    using,
                    check,
                    ..
                } => Some((
                    table.clone(),
                    *permissive,
                    command.clone(),
                    roles.clone(),
                    using.clone(),
                    check.clone(),
                )),
                _ => None,
            };
            strip(old) == strip(new)
        }
        (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
    };
    if same {
        Approach::InPlace
    } else {
        Approach::Recreate
    }
}

/// Statements that rename or move `old` to the name and schema of `new`.
/// Runs before creates and alters, after early drops.
pub fn rename(old_tree: &Tree, new_tree: &Tree, old: &Object, new: &Object) -> Vec<Statement> {
    let mut out = Vec::new();
    let (okw, _) = comment_target(old_tree, old);
    let kw: &'static str = match old {
        Object::Schema { .. } => "ALTER SCHEMA",
        Object::Enum { .. } | Object::Composite { .. } | Object::Range { .. } => "ALTER TYPE",
        Object::Domain { .. } => "ALTER DOMAIN",
        Object::Sequence { .. } => "ALTER SEQUENCE",
        Object::Table(_) => "ALTER TABLE",
        Object::View {
            materialized: true, ..
        } => "ALTER MATERIALIZED VIEW",
        Object::View { .. } => "ALTER VIEW",
        Object::Function { .. } if okw == "PROCEDURE" => "ALTER PROCEDURE",
        Object::Function { .. } => "ALTER FUNCTION",
        Object::Index { .. } => "ALTER INDEX",
        Object::Constraint { table, .. } => {
            if old.name() != new.name() {
                out.push(
                    Writer::new("ALTER TABLE")
                        .quoted(&new_tree.qualified(table))
                        .kw("RENAME CONSTRAINT")
                        .ident(old.name())
                        .kw("TO")
                        .ident(new.name())
                        .build(),
                );
            }
            return out;
        }
        Object::Trigger { table, .. } | Object::Policy { table, .. } => {
            if old.name() != new.name() {
                out.push(
                    Writer::new(if matches!(old, Object::Trigger { .. }) {
                        "ALTER TRIGGER"
                    } else {
                        "ALTER POLICY"
                    })
                    .ident(old.name())
                    .kw("ON")
                    .quoted(&new_tree.qualified(table))
                    .kw("RENAME TO")
                    .ident(new.name())
                    .build(),
                );
            }
            return out;
        }
        Object::Extension { .. } => return out,
    };
    // Current name: the old name in the (possibly renamed) new schema.
    let signature = |o: &Object| match o {
        Object::Function { identity_args, .. } => format!("({identity_args})"),
        _ => String::new(),
    };
    let index_schema = |tree: &Tree, o: &Object| match o {
        Object::Index { table, .. } => tree.get(table).and_then(Object::schema).map(str::to_string),
        _ => o.schema().map(str::to_string),
    };
    let (old_schema, new_schema) = (index_schema(old_tree, old), index_schema(new_tree, new));
    let mut current_schema = old_schema.clone();
    if let (Some(os), Some(ns), false) = (
        &old_schema,
        &new_schema,
        matches!(old, Object::Index { .. }),
    ) {
        if os != ns {
            out.push(
                Writer::new(kw)
                    .quoted(&format!(
                        "{}{}",
                        qname(&schema_after_renames(old_tree, new_tree, os), old.name()),
                        signature(old)
                    ))
                    .kw("SET SCHEMA")
                    .ident(ns)
                    .build(),
            );
            current_schema = Some(ns.clone());
        }
    }
    if old.name() != new.name() {
        let target = match &current_schema {
            Some(s) if !matches!(old, Object::Schema { .. }) => {
                qname(&schema_after_renames(old_tree, new_tree, s), old.name())
            }
            _ => ident(old.name()),
        };
        out.push(
            Writer::new(kw)
                .quoted(&format!("{target}{}", signature(old)))
                .kw("RENAME TO")
                .ident(new.name())
                .build(),
        );
    }
    out
}

/// Name a schema has once schema renames ran: old name to new name when the
/// schema object kept its identity.
pub fn schema_after_renames(old_tree: &Tree, new_tree: &Tree, old_schema: &str) -> String {
    for (id, e) in &old_tree.entries {
        if let Object::Schema { name, .. } = &e.object {
            if name == old_schema {
                if let Some(Object::Schema { name: new_name, .. }) = new_tree.get(id) {
                    return new_name.clone();
                }
            }
        }
    }
    old_schema.to_string()
}

/// Column renames of a table (run with the other renames).
pub fn rename_columns(old: &Table, new: &Table) -> Vec<Statement> {
    let old_cols: HashMap<&str, &Column> = old.columns.iter().map(|c| (c.id.as_str(), c)).collect();
    new.columns
        .iter()
        .filter_map(|c| {
            let o = old_cols.get(c.id.as_str())?;
            (o.name != c.name).then(|| {
                Writer::new("ALTER TABLE")
                    .qname(&new.schema, &new.name)
                    .kw("RENAME COLUMN")
                    .ident(&o.name)
                    .kw("TO")
                    .ident(&c.name)
                    .build()
            })
        })
        .collect()
}

/// In-place statements for a modified object after renames.
pub fn alter(tree: &Tree, old: &Object, new: &Object) -> Result<Vec<Statement>, PlanError> {
    let mut out = Vec::new();
    match (old, new) {
        (Object::Table(a), Object::Table(b)) => out.extend(alter_table(tree, a, b)),
        (
            Object::Extension {
                schema: sa,
                version: va,
                ..
            },
            Object::Extension {
                name,
                schema: sb,
                version: vb,
            },
        ) => {
            if sa != sb {
                out.push(
                    Writer::new("ALTER EXTENSION")
                        .ident(name)
                        .kw("SET SCHEMA")
                        .ident(sb)
                        .build(),
                );
            }
            if va != vb {
                out.push(
                    Writer::new("ALTER EXTENSION")
                        .ident(name)
                        .kw("UPDATE TO")
                        .lit(vb)
                        .build(),
                );
            }
        }
        (
            Object::Enum { labels: la, .. },
            Object::Enum {
                schema,
                name,
                labels: lb,
                ..
            },
        ) => {
            // New labels must keep the old ones in order; each new label goes
            // after its predecessor (or before the first old label).
            let mut it = lb.iter();
            for l in la {
                if !it.any(|x| x == l) {
                    return Err(PlanError::Unsupported(format!(
                        "enum {schema}.{name}: removing or reordering label '{l}' needs the type to be rebuilt"
                    )));
                }
            }
            for (i, l) in lb.iter().enumerate() {
                if la.contains(l) {
                    continue;
                }
                let w = Writer::new("ALTER TYPE")
                    .qname(schema, name)
                    .kw("ADD VALUE")
                    .lit(l);
                let w = if i == 0 {
                    match lb.iter().find(|x| la.contains(x)) {
                        Some(next) => w.kw("BEFORE").lit(next),
                        None => w,
                    }
                } else {
                    w.kw("AFTER").lit(&lb[i - 1])
                };
                out.push(w.build());
            }
        }
        (
            Object::Composite { attributes: aa, .. },
            Object::Composite {
                schema,
                name,
                attributes: ab,
                ..
            },
        ) => {
            for a in aa {
                if !ab.iter().any(|b| b.name == a.name) {
                    out.push(
                        Writer::new("ALTER TYPE")
                            .qname(schema, name)
                            .kw("DROP ATTRIBUTE")
                            .ident(&a.name)
                            .build(),
                    );
                }
            }
            for b in ab {
                match aa.iter().find(|a| a.name == b.name) {
                    None => out.push(
                        Writer::new("ALTER TYPE")
                            .qname(schema, name)
                            .kw("ADD ATTRIBUTE")
                            .def(&render::attribute_def(b))
                            .build(),
                    ),
                    Some(a) if a != b => {
                        let mut w = Writer::new("ALTER TYPE")
                            .qname(schema, name)
                            .kw("ALTER ATTRIBUTE")
                            .ident(&b.name)
                            .kw("TYPE")
                            .def(&b.data_type);
                        if let Some(c) = &b.collation {
                            w = w.kw("COLLATE").def(c);
                        }
                        out.push(w.build());
                    }
                    _ => {}
                }
            }
        }
        (
            Object::Domain {
                default: da,
                not_null: na,
                checks: ca,
                ..
            },
            Object::Domain {
                schema,
                name,
                default: db,
                not_null: nb,
                checks: cb,
                ..
            },
        ) => {
            let w = || Writer::new("ALTER DOMAIN").qname(schema, name);
            if da != db {
                out.push(match db {
                    Some(d) => w().kw("SET DEFAULT").def(d).build(),
                    None => w().kw("DROP DEFAULT").build(),
                });
            }
            if na != nb {
                out.push(
                    w().kw(if *nb { "SET NOT NULL" } else { "DROP NOT NULL" })
                        .build(),
                );
            }
            for c in ca {
                if !cb.contains(c) {
                    out.push(w().kw("DROP CONSTRAINT").ident(&c.name).build());
                }
            }
            for c in cb {
                if !ca.contains(c) {
                    out.push(
                        w().kw("ADD CONSTRAINT")
                            .ident(&c.name)
                            .def(&c.definition)
                            .build(),
                    );
                }
            }
        }
        (Object::Sequence { .. }, Object::Sequence { schema, name, .. })
            if render::sequence_options(Writer::new(""), old).build()
                != render::sequence_options(Writer::new(""), new).build() =>
        {
            out.push(
                render::sequence_options(Writer::new("ALTER SEQUENCE").qname(schema, name), new)
                    .build(),
            );
        }
        (
            Object::View { .. },
            Object::View {
                materialized: false,
                ..
            },
        ) if old != new => {
            let (a, b) = (strip_comment(old), strip_comment(new));
            if a != b {
                // Columns only appended: CREATE OR REPLACE keeps dependents.
                out.push(render::create_or_replace(tree, new, true).remove(0));
            }
        }
        (Object::Function { definition: da, .. }, Object::Function { definition: db, .. })
            if da != db =>
        {
            out.push(render::create(tree, new).remove(0));
        }
        _ => {}
    }
    if old.comment() != new.comment() {
        let (kw, target) = comment_target(tree, new);
        match new {
            // Table comments are handled with the columns.
            Object::Table(_) => {}
            _ => out.push(comment_on(kw, &target, new.comment())),
        }
    }
    Ok(out)
}

fn strip_comment(o: &Object) -> Object {
    let mut o = o.clone();
    if let Object::View {
        comment,
        schema,
        name,
        ..
    } = &mut o
    {
        *comment = None;
        schema.clear();
        name.clear();
    }
    o
}

fn alter_table(tree: &Tree, a: &Table, b: &Table) -> Vec<Statement> {
    let mut out = Vec::new();
    let t = qname(&b.schema, &b.name);
    let at = || Writer::new("ALTER TABLE").quoted(&t);
    let old_cols: HashMap<&str, &Column> = a.columns.iter().map(|c| (c.id.as_str(), c)).collect();
    let new_ids: std::collections::HashSet<&str> =
        b.columns.iter().map(|c| c.id.as_str()).collect();

    if a.partition_of != b.partition_of {
        if let Some((parent, _)) = &a.partition_of {
            out.push(
                Writer::new("ALTER TABLE")
                    .quoted(&tree.qualified(parent))
                    .kw("DETACH PARTITION")
                    .quoted(&t)
                    .build(),
            );
        }
        if let Some((parent, bound)) = &b.partition_of {
            out.push(
                Writer::new("ALTER TABLE")
                    .quoted(&tree.qualified(parent))
                    .kw("ATTACH PARTITION")
                    .quoted(&t)
                    .def(bound)
                    .build(),
            );
        }
    }
    for c in &a.columns {
        if !new_ids.contains(c.id.as_str()) {
            out.push(at().kw("DROP COLUMN").ident(&c.name).destructive().build());
        }
    }
    for c in &b.columns {
        let Some(o) = old_cols.get(c.id.as_str()) else {
            out.push(
                at().kw("ADD COLUMN")
                    .def(&column_def(c).build().sql)
                    .build(),
            );
            if let Some(cm) = &c.comment {
                out.push(comment_on(
                    "COLUMN",
                    &format!("{t}.{}", ident(&c.name)),
                    Some(cm),
                ));
            }
            continue;
        };
        out.extend(alter_column(&t, o, c));
    }
    if a.options != b.options {
        let removed: Vec<String> = a
            .options
            .iter()
            .filter_map(|o| o.split('=').next())
            .filter(|k| !b.options.iter().any(|n| n.split('=').next() == Some(k)))
            .map(str::to_string)
            .collect();
        if !removed.is_empty() {
            out.push(
                at().kw("RESET (")
                    .def(&removed.join(", "))
                    .glue(")")
                    .build(),
            );
        }
        if !b.options.is_empty() {
            out.push(
                at().kw("SET (")
                    .def(&b.options.join(", "))
                    .glue(")")
                    .build(),
            );
        }
    }
    if a.unlogged != b.unlogged {
        out.push(
            at().kw(if b.unlogged {
                "SET UNLOGGED"
            } else {
                "SET LOGGED"
            })
            .build(),
        );
    }
    if a.row_security != b.row_security {
        out.push(render::row_security(b, b.row_security, false));
    }
    if a.force_row_security != b.force_row_security {
        out.push(render::row_security(b, b.force_row_security, true));
    }
    if a.comment != b.comment {
        out.push(comment_on("TABLE", &t, b.comment.as_deref()));
    }
    out
}

fn alter_column(t: &str, o: &Column, c: &Column) -> Vec<Statement> {
    let mut out = Vec::new();
    let ac = || {
        Writer::new("ALTER TABLE")
            .quoted(t)
            .kw("ALTER COLUMN")
            .ident(&c.name)
    };
    if o.generated != c.generated {
        if c.generated.is_none() {
            out.push(ac().kw("DROP EXPRESSION").build());
        } else {
            // A generation expression cannot be changed in place before
            // PostgreSQL 17: drop and add the column (its data is derived).
            out.push(
                Writer::new("ALTER TABLE")
                    .quoted(t)
                    .kw("DROP COLUMN")
                    .ident(&c.name)
                    .destructive()
                    .build(),
            );
            out.push(
                Writer::new("ALTER TABLE")
                    .quoted(t)
                    .kw("ADD COLUMN")
                    .def(&column_def(c).build().sql)
                    .build(),
            );
            return out;
        }
    }
    if o.default != c.default && o.default.is_some() && o.generated.is_none() {
        out.push(ac().kw("DROP DEFAULT").build());
    }
    if o.identity.is_some() && c.identity.is_none() {
        out.push(ac().kw("DROP IDENTITY").build());
    }
    if o.data_type != c.data_type || o.collation != c.collation {
        let mut w = ac().kw("TYPE").def(&c.data_type);
        if let Some(coll) = &c.collation {
            w = w.kw("COLLATE").def(coll);
        }
        out.push(
            w.kw("USING")
                .quoted(&format!("{}::{}", ident(&c.name), c.data_type))
                .destructive()
                .build(),
        );
    }
    if o.not_null != c.not_null {
        out.push(
            ac().kw(if c.not_null {
                "SET NOT NULL"
            } else {
                "DROP NOT NULL"
            })
            .build(),
        );
    }
    if o.default != c.default && c.generated.is_none() {
        if let Some(d) = &c.default {
            out.push(ac().kw("SET DEFAULT").def(d).build());
        }
    }
    match (&o.identity, &c.identity) {
        (None, Some(id)) => out.push(
            ac().kw(if id.always {
                "ADD GENERATED ALWAYS AS IDENTITY"
            } else {
                "ADD GENERATED BY DEFAULT AS IDENTITY"
            })
            .kw("(SEQUENCE NAME")
            .def(&id.sequence)
            .glue(")")
            .build(),
        ),
        (Some(a), Some(b)) if a.always != b.always => out.push(
            ac().kw(if b.always {
                "SET GENERATED ALWAYS"
            } else {
                "SET GENERATED BY DEFAULT"
            })
            .build(),
        ),
        _ => {}
    }
    if o.comment != c.comment {
        out.push(comment_on(
            "COLUMN",
            &format!("{t}.{}", ident(&c.name)),
            c.comment.as_deref(),
        ));
    }
    out
}

/// `ALTER SEQUENCE ... OWNED BY` for a sequence whose owner changed.
pub fn sequence_owner(tree: &Tree, new: &Object) -> Option<Statement> {
    let Object::Sequence {
        schema,
        name,
        owned_by,
        ..
    } = new
    else {
        return None;
    };
    let w = Writer::new("ALTER SEQUENCE")
        .qname(schema, name)
        .kw("OWNED BY");
    Some(match owned_by {
        Some((table, column)) => {
            let col = match tree.get(table) {
                Some(Object::Table(t)) => t
                    .columns
                    .iter()
                    .find(|c| &c.id == column)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                _ => String::new(),
            };
            w.quoted(&format!("{}.{}", tree.qualified(table), ident(&col)))
                .build()
        }
        None => w.kw("NONE").build(),
    })
}
