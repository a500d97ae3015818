//! In-place changes of one object that keeps its identity.

use super::render::{self, comment_on, comment_target};
use super::PlanError;
use crate::equiv::Renames;
use crate::model::Object;
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
        (O::Collation { definition: a, .. }, O::Collation { definition: b, .. }) => a == b,
        (
            O::EventTrigger {
                event: ea,
                tags: ta,
                function: fa,
                ..
            },
            O::EventTrigger {
                event: eb,
                tags: tb,
                function: fb,
                ..
            },
        ) => ea == eb && ta == tb && fa == fb,
        (
            O::TextSearchDictionary {
                template: ta,
                options: oa,
                ..
            },
            O::TextSearchDictionary {
                template: tb,
                options: ob,
                ..
            },
        ) => ta == tb && oa == ob,
        (
            O::TextSearchConfiguration { parser: a, .. },
            O::TextSearchConfiguration { parser: b, .. },
        ) => a == b,
        (O::Cast { .. }, O::Cast { .. }) => {
            let strip = |o: &Object| {
                let mut o = o.clone();
                if let O::Cast { comment, .. } = &mut o {
                    *comment = None;
                }
                o
            };
            strip(old) == strip(new)
        }
        (O::Publication(a), O::Publication(b)) => a.all_tables == b.all_tables,
        // No statement renames an operator or changes its function; the
        // rest is re-created too (it holds no data).
        (O::Operator { .. }, O::Operator { .. }) => {
            let strip = |o: &Object| {
                let mut o = o.clone();
                if let O::Operator { comment, .. } = &mut o {
                    *comment = None;
                }
                o
            };
            strip(old) == strip(new)
        }
        // Members of a family change in place; a class's only by being
        // made again.
        (O::OperatorFamily { method: a, .. }, O::OperatorFamily { method: b, .. }) => a == b,
        (O::OperatorClass { .. }, O::OperatorClass { .. }) => {
            let strip = |o: &Object| {
                let mut o = o.clone();
                if let O::OperatorClass {
                    schema,
                    name,
                    comment,
                    ..
                } = &mut o
                {
                    schema.clear();
                    name.clear();
                    *comment = None;
                }
                o
            };
            strip(old) == strip(new)
        }
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
        (O::Table(a), O::Table(b)) => {
            a.partition_key == b.partition_key
                && a.foreign.as_ref().map(|f| &f.server) == b.foreign.as_ref().map(|f| &f.server)
        }
        (
            O::ForeignServer {
                wrapper: wa,
                server_type: ta,
                ..
            },
            O::ForeignServer {
                wrapper: wb,
                server_type: tb,
                ..
            },
        ) => wa == wb && ta == tb,
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
                && ca.iter().zip(cb).all(|(x, y)| x.shape() == y.shape())
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
        (
            O::Statistics {
                definition: a,
                table: ta,
                ..
            },
            O::Statistics {
                definition: b,
                table: tb,
                ..
            },
        ) => ta == tb && renames.same(ta, a, b),
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
        Object::Function { .. } if okw == "AGGREGATE" => "ALTER AGGREGATE",
        Object::Function { .. } => "ALTER FUNCTION",
        Object::Index { .. } => "ALTER INDEX",
        Object::Statistics { .. } => "ALTER STATISTICS",
        Object::Collation { .. } => "ALTER COLLATION",
        Object::Publication(_) => "ALTER PUBLICATION",
        Object::EventTrigger { .. } => "ALTER EVENT TRIGGER",
        Object::ForeignDataWrapper { .. } => "ALTER FOREIGN DATA WRAPPER",
        Object::ForeignServer { .. } => "ALTER SERVER",
        Object::TextSearchDictionary { .. } => "ALTER TEXT SEARCH DICTIONARY",
        Object::TextSearchConfiguration { .. } => "ALTER TEXT SEARCH CONFIGURATION",
        Object::OperatorFamily { .. } => "ALTER OPERATOR FAMILY",
        Object::OperatorClass { .. } => "ALTER OPERATOR CLASS",
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
        Object::Extension { .. }
        | Object::Cast { .. }
        | Object::Operator { .. }
        | Object::Rows(_)
        | Object::Grants(_)
        | Object::DefaultGrants(_)
        | Object::Owner(_) => return out,
    };
    // Current name: the old name in the (possibly renamed) new schema.
    let signature = |o: &Object| match o {
        Object::Function { identity_args, .. } => format!("({identity_args})"),
        Object::OperatorFamily { method, .. } | Object::OperatorClass { method, .. } => {
            format!(" USING {}", ident(method))
        }
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
        matches!(old, Object::Index { .. }) || moves_with_owner(old_tree, new_tree, old, new),
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

/// A sequence owned by a table that moves to the sequence's new schema
/// moves with it (PostgreSQL refuses to move an owned sequence by itself).
fn moves_with_owner(old_tree: &Tree, new_tree: &Tree, old: &Object, new: &Object) -> bool {
    let (
        Object::Sequence {
            owned_by: Some((ta, _)),
            ..
        },
        Object::Sequence {
            owned_by: Some((tb, _)),
            schema: ns,
            ..
        },
    ) = (old, new)
    else {
        return false;
    };
    let (Some(a), Some(b)) = (old_tree.get(ta), new_tree.get(tb)) else {
        return false;
    };
    ta == tb && a.schema() != b.schema() && b.schema() == Some(ns.as_str())
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

/// In-place statements for a modified object after renames.
pub fn alter(tree: &Tree, old: &Object, new: &Object) -> Result<Vec<Statement>, PlanError> {
    let mut out = Vec::new();
    match (old, new) {
        (Object::Table(a), Object::Table(b)) => out.extend(super::table::alter_table(tree, a, b)),
        (Object::Publication(a), Object::Publication(b)) => {
            out.extend(super::publication::alter(tree, a, b));
        }
        (Object::Statistics { target: ta, .. }, Object::Statistics { target: tb, .. })
            if ta != tb =>
        {
            out.push(render::statistics_target(new, tb.unwrap_or(-1)))
        }
        (
            Object::Trigger { enabled: ea, .. },
            Object::Trigger {
                table,
                name,
                enabled: eb,
                ..
            },
        ) if ea != eb => out.push(render::trigger_state(tree, table, name, eb.as_deref())),
        (
            Object::TextSearchConfiguration { mappings: ma, .. },
            Object::TextSearchConfiguration {
                schema,
                name,
                mappings: mb,
                ..
            },
        ) if ma != mb => out.extend(render::ts_mappings(schema, name, ma, mb)),
        (
            Object::EventTrigger { enabled: ea, .. },
            Object::EventTrigger {
                name, enabled: eb, ..
            },
        ) if ea != eb => out.push(render::event_trigger_state(name, eb.as_deref())),
        (
            Object::ForeignDataWrapper {
                handler: ha,
                validator: va,
                options: oa,
                ..
            },
            Object::ForeignDataWrapper {
                name,
                handler: hb,
                validator: vb,
                options: ob,
                ..
            },
        ) => {
            let w = || Writer::new("ALTER FOREIGN DATA WRAPPER").ident(name);
            for (kw, no, a, b) in [
                ("HANDLER", "NO HANDLER", ha, hb),
                ("VALIDATOR", "NO VALIDATOR", va, vb),
            ] {
                if a != b {
                    out.push(match b {
                        Some(f) => w().kw(kw).def(f).build(),
                        None => w().kw(no).build(),
                    });
                }
            }
            if let Some(o) = render::options_change(oa, ob) {
                out.push(w().kw("OPTIONS").def(&o).build());
            }
        }
        (
            Object::OperatorFamily { members: ma, .. },
            Object::OperatorFamily {
                schema,
                name,
                method,
                members: mb,
                ..
            },
        ) => {
            let w = || {
                Writer::new("ALTER OPERATOR FAMILY")
                    .quoted(&qname(schema, name))
                    .kw("USING")
                    .ident(method)
            };
            let gone: Vec<String> = ma
                .iter()
                .filter(|m| !mb.contains(m))
                .map(|m| m.drop_clause())
                .collect();
            if !gone.is_empty() {
                out.push(w().kw("DROP").def(&gone.join(", ")).build());
            }
            let added: Vec<String> = mb
                .iter()
                .filter(|m| !ma.contains(m))
                .map(|m| m.render())
                .collect();
            if !added.is_empty() {
                out.push(w().kw("ADD").def(&added.join(", ")).build());
            }
        }
        (
            Object::ForeignServer {
                version: va,
                options: oa,
                ..
            },
            Object::ForeignServer {
                name,
                version: vb,
                options: ob,
                ..
            },
        ) => {
            let w = || Writer::new("ALTER SERVER").ident(name);
            if va != vb {
                out.push(match vb {
                    Some(v) => w().kw("VERSION").lit(v).build(),
                    None => w().kw("VERSION NULL").build(),
                });
            }
            if let Some(o) = render::options_change(oa, ob) {
                out.push(w().kw("OPTIONS").def(&o).build());
            }
        }
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
            // Attributes have no identity of their own: one whose name is
            // gone, at a position where the new type has a name the old one
            // lacks, was renamed (ALTER TYPE ... RENAME ATTRIBUTE keeps its
            // place; dropping and adding would move it to the end).
            let renamed = composite_renames(aa, ab);
            // Typed tables of the type change with it.
            let typed = tree.entries.values().any(|e| {
                matches!(&e.object, Object::Table(t) if t.of_type.as_ref().and_then(|ty| tree.get(ty))
                    .is_some_and(|o| o.schema() == Some(schema.as_str()) && o.name() == name))
            });
            let cascade = |w: Writer| if typed { w.kw("CASCADE") } else { w };
            let old_name = |b: &crate::model::Attribute| -> String {
                renamed
                    .iter()
                    .find(|(_, to)| *to == b.name)
                    .map(|(from, _)| from.clone())
                    .unwrap_or_else(|| b.name.clone())
            };
            for (from, to) in &renamed {
                out.push(
                    cascade(
                        Writer::new("ALTER TYPE")
                            .qname(schema, name)
                            .kw("RENAME ATTRIBUTE")
                            .ident(from)
                            .kw("TO")
                            .ident(to),
                    )
                    .build(),
                );
            }
            for a in aa {
                if !ab.iter().any(|b| old_name(b) == a.name) {
                    out.push(
                        cascade(
                            Writer::new("ALTER TYPE")
                                .qname(schema, name)
                                .kw("DROP ATTRIBUTE")
                                .ident(&a.name),
                        )
                        .build(),
                    );
                }
            }
            for b in ab {
                match aa.iter().find(|a| a.name == old_name(b)) {
                    None => out.push(
                        cascade(
                            Writer::new("ALTER TYPE")
                                .qname(schema, name)
                                .kw("ADD ATTRIBUTE")
                                .def(&render::attribute_def(b)),
                        )
                        .build(),
                    ),
                    Some(a) if a.data_type != b.data_type || a.collation != b.collation => {
                        let mut w = Writer::new("ALTER TYPE")
                            .qname(schema, name)
                            .kw("ALTER ATTRIBUTE")
                            .ident(&b.name)
                            .kw("TYPE")
                            .def(&b.data_type);
                        if let Some(c) = &b.collation {
                            w = w.kw("COLLATE").def(c);
                        }
                        out.push(cascade(w).build());
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
            // Only validated: VALIDATE CONSTRAINT, not drop and add.
            let validated = |c: &crate::model::NamedDef| {
                ca.iter().any(|o| {
                    o.name == c.name
                        && render::not_valid(&o.definition)
                        && o.definition.strip_suffix(" NOT VALID") == Some(c.definition.as_str())
                })
            };
            let same = |a: &crate::model::NamedDef, b: &crate::model::NamedDef| {
                a.name == b.name && a.definition == b.definition
            };
            for c in ca {
                if !cb.iter().any(|n| same(c, n))
                    && !cb.iter().any(|n| n.name == c.name && validated(n))
                {
                    out.push(w().kw("DROP CONSTRAINT").ident(&c.name).build());
                }
            }
            for c in cb {
                let kept = ca
                    .iter()
                    .find(|o| o.name == c.name && (same(o, c) || validated(c)));
                if let Some(o) = kept {
                    if o.comment != c.comment {
                        out.push(render::domain_check_comment(schema, name, c));
                    }
                }
                if validated(c) {
                    out.push(w().kw("VALIDATE CONSTRAINT").ident(&c.name).build());
                } else if !ca.iter().any(|o| same(o, c)) {
                    out.push(
                        w().kw("ADD CONSTRAINT")
                            .ident(&c.name)
                            .def(&c.definition)
                            .build(),
                    );
                    if c.comment.is_some() {
                        out.push(render::domain_check_comment(schema, name, c));
                    }
                }
            }
        }
        (
            Object::Sequence { unlogged: was, .. },
            Object::Sequence {
                schema,
                name,
                unlogged,
                ..
            },
        ) => {
            if render::sequence_options(Writer::new(""), old).build()
                != render::sequence_options(Writer::new(""), new).build()
            {
                out.push(
                    render::sequence_options(
                        Writer::new("ALTER SEQUENCE").qname(schema, name),
                        new,
                    )
                    .build(),
                );
            }
            if was != unlogged {
                out.push(
                    Writer::new("ALTER SEQUENCE")
                        .qname(schema, name)
                        .kw(if *unlogged {
                            "SET UNLOGGED"
                        } else {
                            "SET LOGGED"
                        })
                        .build(),
                );
            }
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
    out.extend(render::index_comment(tree, Some(old), new));
    out.extend(super::settings::index(tree, Some(old), new));
    out.extend(render::attribute_comments(Some(old), new));
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

/// Attribute renames between two versions of a composite type, by position.
pub(crate) fn composite_renames(
    aa: &[crate::model::Attribute],
    ab: &[crate::model::Attribute],
) -> Vec<(String, String)> {
    aa.iter()
        .zip(ab)
        .filter(|(a, b)| {
            a.name != b.name
                && !ab.iter().any(|x| x.name == a.name)
                && !aa.iter().any(|x| x.name == b.name)
        })
        .map(|(a, b)| (a.name.clone(), b.name.clone()))
        .collect()
}

fn strip_comment(o: &Object) -> Object {
    let mut o = o.clone();
    if let Object::View {
        comment,
        schema,
        name,
        columns,
        ..
    } = &mut o
    {
        *comment = None;
        schema.clear();
        name.clear();
        for c in columns {
            c.comment = None;
        }
    }
    o
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
