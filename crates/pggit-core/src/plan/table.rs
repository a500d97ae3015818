//! In-place changes of a table: columns, partition bounds, options, row
//! security and comments. Data and the table's OID survive.

use std::collections::HashMap;

use super::render::{self, column_def, comment_on};
use super::settings;
use crate::model::{Column, ColumnSettings, SequenceOptions, Table};
use crate::sql::{ident, qname, Statement, Writer};
use crate::tree::Tree;

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

/// In-place statements that turn table `a` into `b` (same identity).
pub fn alter_table(tree: &Tree, a: &Table, b: &Table) -> Vec<Statement> {
    let mut out = Vec::new();
    let t = qname(&b.schema, &b.name);
    let at = || Writer::new("ALTER TABLE").quoted(&t);
    let old_cols: HashMap<&str, &Column> = a.columns.iter().map(|c| (c.id.as_str(), c)).collect();
    let new_ids: std::collections::HashSet<&str> =
        b.columns.iter().map(|c| c.id.as_str()).collect();

    let attaching = a.partition_of.is_none() && b.partition_of.is_some();
    let detaching = a.partition_of.is_some() && b.partition_of.is_none();
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
    }
    if attaching {
        // The table's columns become the parent's: drop what the parent
        // lacks, give the rest the parent's definition, then attach.
        let parent = b
            .partition_of
            .as_ref()
            .and_then(|(p, _)| parent_table(tree, p));
        for c in &a.columns {
            match parent.and_then(|p| p.columns.iter().find(|pc| pc.name == c.name)) {
                None => out.push(at().kw("DROP COLUMN").ident(&c.name).destructive().build()),
                Some(pc) => out.extend(alter_column(&t, c, &inherited(pc, c), false)),
            }
        }
    }
    if let (true, Some((parent, bound))) = (a.partition_of != b.partition_of, &b.partition_of) {
        out.push(
            Writer::new("ALTER TABLE")
                .quoted(&tree.qualified(parent))
                .kw("ATTACH PARTITION")
                .quoted(&t)
                .def(bound)
                .build(),
        );
    }
    // A detached partition keeps copies of its parent's columns.
    let implied: Vec<Column> = if detaching {
        a.partition_of
            .as_ref()
            .and_then(|(p, _)| parent_table(tree, p))
            .map(|p| {
                p.columns
                    .iter()
                    .map(|pc| Column {
                        // What the partition was created with.
                        settings: settings::inherited(pc),
                        ..inherited(pc, pc)
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    if detaching {
        for c in &implied {
            if !b.columns.iter().any(|n| n.name == c.name) {
                out.push(at().kw("DROP COLUMN").ident(&c.name).destructive().build());
            }
        }
    }
    let old_cols: HashMap<&str, &Column> = if detaching {
        b.columns
            .iter()
            .filter_map(|n| {
                implied
                    .iter()
                    .find(|c| c.name == n.name)
                    .map(|c| (n.id.as_str(), c))
            })
            .collect()
    } else {
        old_cols
    };
    for c in &a.columns {
        if !attaching && !new_ids.contains(c.id.as_str()) {
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
            out.extend(settings::change(
                &t,
                b.foreign.is_some(),
                &c.name,
                &ColumnSettings::default(),
                &c.settings,
                false,
            ));
            continue;
        };
        out.extend(alter_column(&t, o, c, b.foreign.is_some()));
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
    if let (Some(fa), Some(fb)) = (&a.foreign, &b.foreign) {
        if let Some(o) = render::options_change(&fa.options, &fb.options) {
            out.push(
                Writer::new("ALTER FOREIGN TABLE")
                    .quoted(&t)
                    .kw("OPTIONS")
                    .def(&o)
                    .build(),
            );
        }
    }
    if a.comment != b.comment {
        let kw = if b.foreign.is_some() {
            "FOREIGN TABLE"
        } else {
            "TABLE"
        };
        out.push(comment_on(kw, &t, b.comment.as_deref()));
    }
    out
}

/// `ALTER TABLE ... NO INHERIT` for each parent `a` has and `b` no longer
/// has, before anything else changes the table (a parent that goes is
/// dropped late, and its columns become the table's own).
/// Runs before the renames: names are the old ones.
/// A typed table that stops being one (`NOT OF`) goes the same way.
pub fn disinherit(old: &Tree, a: &Table, b: &Table) -> Vec<Statement> {
    let at = || Writer::new("ALTER TABLE").qname(&a.schema, &a.name);
    let mut out: Vec<Statement> = a
        .inherits
        .iter()
        .filter(|p| !b.inherits.contains(p))
        .map(|p| at().kw("NO INHERIT").quoted(&old.qualified(p)).build())
        .collect();
    if a.of_type.is_some() && a.of_type != b.of_type {
        out.push(at().kw("NOT OF").build());
    }
    out
}

/// Table `a` as PostgreSQL leaves it once the changes of the parents it
/// keeps were applied to them: adding, dropping and renaming a column,
/// changing its type, default, NOT NULL or expression all recurse to the
/// inheriting tables. The table's own changes are planned from there.
pub fn after_parents(old: &Tree, new: &Tree, a: &Table, b: &Table) -> Table {
    let mut t = a.clone();
    if let (Some(ty), true) = (&a.of_type, a.of_type == b.of_type) {
        after_type(old, new, ty, b, &mut t);
    }
    let kept: Vec<&crate::model::Id> = a
        .inherits
        .iter()
        .filter(|p| b.inherits.contains(p))
        .collect();
    for p in &kept {
        let (Some(op), Some(np)) = (parent_table(old, p), parent_table(new, p)) else {
            continue;
        };
        for oc in &op.columns {
            let Some(i) = t.columns.iter().position(|c| c.name == oc.name) else {
                continue;
            };
            match np.columns.iter().find(|n| n.id == oc.id) {
                None => {
                    let elsewhere = kept.iter().filter(|q| **q != *p).any(|q| {
                        parent_table(new, q)
                            .is_some_and(|qt| qt.columns.iter().any(|c| c.name == oc.name))
                    });
                    if t.columns[i].inherited && !elsewhere {
                        t.columns.remove(i);
                    } else {
                        t.columns[i].inherited = false;
                    }
                }
                Some(nc) => {
                    let c = &mut t.columns[i];
                    c.name = nc.name.clone();
                    if (&oc.data_type, &oc.collation) != (&nc.data_type, &nc.collation) {
                        c.data_type = nc.data_type.clone();
                        c.collation = nc.collation.clone();
                        reset_by_retype(c);
                    }
                    if oc.default != nc.default {
                        c.default = nc.default.clone();
                    }
                    if oc.not_null != nc.not_null {
                        c.not_null = nc.not_null;
                    }
                    if oc.generated != nc.generated {
                        c.generated = nc.generated.clone();
                    }
                }
            }
        }
        for nc in np
            .columns
            .iter()
            .filter(|n| !op.columns.iter().any(|o| o.id == n.id))
        {
            if t.columns.iter().any(|c| c.name == nc.name) {
                continue; // merged with the table's own column
            }
            let id = b
                .columns
                .iter()
                .find(|c| c.name == nc.name)
                .map_or_else(|| format!("{}@{}", nc.id, p), |c| c.id.clone());
            // ADD COLUMN recursing to a child gives it no settings.
            t.columns.push(Column {
                id,
                inherited: true,
                comment: None,
                identity: None,
                settings: ColumnSettings::default(),
                ..nc.clone()
            });
        }
    }
    t
}

/// Adds to `modified` the kept tables that inherit (directly or not) from
/// a modified table: what PostgreSQL does to them by recursion is planned
/// with them ([`after_parents`]), even where their own definition is the
/// same on both sides.
pub fn with_inheriting<'t>(old: &Tree, new: &'t Tree, modified: &mut Vec<&'t crate::model::Id>) {
    use crate::model::Object;
    let children: Vec<(&crate::model::Id, &Table)> = new
        .entries
        .iter()
        .filter_map(|(id, e)| match &e.object {
            Object::Table(t)
                if (!t.inherits.is_empty() || t.of_type.is_some())
                    && old.entries.contains_key(id) =>
            {
                Some((id, t))
            }
            _ => None,
        })
        .collect();
    if children.is_empty() {
        return;
    }
    let mut i = 0;
    while i < modified.len() {
        let parent = modified[i];
        for (id, t) in &children {
            if (t.inherits.contains(parent) || t.of_type.as_ref() == Some(parent))
                && !modified.contains(id)
            {
                modified.push(id);
            }
        }
        i += 1;
    }
}

/// Whether `constraint`, which this migration drops from `table`, is a
/// CHECK constraint of a parent that the table starts to inherit from.
pub fn needed_by_inherit(
    old: &Tree,
    new: &Tree,
    table: &str,
    constraint: &crate::model::Object,
) -> bool {
    use crate::model::Object;
    let (Some(ot), Some(nt)) = (parent_table(old, table), parent_table(new, table)) else {
        return false;
    };
    let added: Vec<&crate::model::Id> = nt
        .inherits
        .iter()
        .filter(|p| !ot.inherits.contains(p))
        .collect();
    !added.is_empty()
        && new.entries.values().any(|e| {
            matches!(&e.object, Object::Constraint { table: t, name, definition, .. }
                if added.contains(&t) && name.as_str() == constraint.name()
                    && definition.starts_with("CHECK"))
        })
}

/// What `ALTER TYPE ... CASCADE` does to a typed table `t` of `ty`: its
/// columns are renamed, dropped, added and retyped with the attributes.
fn after_type(old: &Tree, new: &Tree, ty: &str, b: &Table, t: &mut Table) {
    use crate::model::Object;
    let (
        Some(Object::Composite { attributes: aa, .. }),
        Some(Object::Composite { attributes: ab, .. }),
    ) = (old.get(ty), new.get(ty))
    else {
        return;
    };
    let renamed = super::alter::composite_renames(aa, ab);
    let now = |name: &str| -> String {
        renamed
            .iter()
            .find(|(from, _)| from == name)
            .map_or_else(|| name.to_string(), |(_, to)| to.clone())
    };
    t.columns.retain(|c| {
        let n = now(&c.name);
        !aa.iter().any(|x| x.name == c.name) || ab.iter().any(|x| x.name == n)
    });
    for c in &mut t.columns {
        let n = now(&c.name);
        let (Some(oa), Some(na)) = (
            aa.iter().find(|x| x.name == c.name),
            ab.iter().find(|x| x.name == n),
        ) else {
            continue;
        };
        c.name = n;
        if oa.shape().1 != na.shape().1 || oa.collation != na.collation {
            c.data_type = na.data_type.clone();
            c.collation = na.collation.clone();
            reset_by_retype(c);
        }
    }
    for na in ab {
        if t.columns.iter().any(|c| c.name == na.name) {
            continue;
        }
        let id = b
            .columns
            .iter()
            .find(|c| c.name == na.name)
            .map_or_else(|| format!("{ty}.{}", na.name), |c| c.id.clone());
        t.columns.push(Column {
            collation: na.collation.clone(),
            ..Column::new(&id, &na.name, &na.data_type)
        });
    }
}

/// Whether a column of `a` has another type (or collation) in `b`: its
/// indexes are rebuilt by PostgreSQL.
pub fn retyped(a: &Table, b: &Table) -> bool {
    a.columns.iter().any(|o| {
        b.columns
            .iter()
            .any(|c| c.id == o.id && (&c.data_type, &c.collation) != (&o.data_type, &o.collation))
    })
}

/// What `ALTER COLUMN ... TYPE` does to a column's settings when it
/// recurses from a parent or a composite type: its storage becomes the new
/// type's and its compression the default.
fn reset_by_retype(c: &mut Column) {
    c.settings.storage = None;
    c.settings.compression = None;
}

fn parent_table<'t>(tree: &'t Tree, id: &str) -> Option<&'t Table> {
    match tree.get(id) {
        Some(crate::model::Object::Table(p)) => Some(p),
        _ => None,
    }
}

/// The column a partition holds for its parent's column `pc`: the parent's
/// definition (PostgreSQL copies defaults when the partition is created,
/// not comments), with `own`'s identity.
fn inherited(pc: &Column, own: &Column) -> Column {
    Column {
        id: own.id.clone(),
        comment: None,
        identity: None,
        // PostgreSQL 18: an attached partition keeps its own NOT NULL
        // constraint (and its name); one it lacks gets the default name.
        not_null_name: own.not_null_name.clone().filter(|_| own.not_null),
        // A partition's own settings are not tracked: left as they are.
        settings: own.settings.clone(),
        ..pc.clone()
    }
}

/// `foreign`: of a foreign table, which holds no data to convert (and
/// takes no `USING`).
fn alter_column(t: &str, o: &Column, c: &Column, foreign: bool) -> Vec<Statement> {
    let mut out = Vec::new();
    let ac = || {
        Writer::new(if foreign {
            "ALTER FOREIGN TABLE"
        } else {
            "ALTER TABLE"
        })
        .quoted(t)
        .kw("ALTER COLUMN")
        .ident(&c.name)
    };
    if let Some(opts) = render::options_change(&o.options, &c.options) {
        out.push(ac().kw("OPTIONS").def(&opts).build());
    }
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
            out.extend(settings::change(
                t,
                foreign,
                &c.name,
                &ColumnSettings::default(),
                &c.settings,
                false,
            ));
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
        out.push(if foreign {
            w.build()
        } else {
            w.kw("USING")
                .quoted(&format!("{}::{}", ident(&c.name), c.data_type))
                .destructive()
                .build()
        });
    }
    match (o.not_null, c.not_null, &c.not_null_name) {
        // PostgreSQL 18: a named NOT NULL constraint.
        (false, true, Some(n)) => out.push(
            Writer::new("ALTER TABLE")
                .quoted(t)
                .kw("ADD CONSTRAINT")
                .ident(n)
                .kw("NOT NULL")
                .ident(&c.name)
                .build(),
        ),
        (false, true, None) => out.push(ac().kw("SET NOT NULL").build()),
        (true, false, _) => out.push(ac().kw("DROP NOT NULL").build()),
        (true, true, Some(n)) => {
            if let Some(was) = o.not_null_name.as_ref().filter(|was| *was != n) {
                out.push(
                    Writer::new("ALTER TABLE")
                        .quoted(t)
                        .kw("RENAME CONSTRAINT")
                        .ident(was)
                        .kw("TO")
                        .ident(n)
                        .build(),
                );
            }
        }
        _ => {}
    }
    if o.default != c.default && c.generated.is_none() {
        if let Some(d) = &c.default {
            out.push(ac().kw("SET DEFAULT").def(d).build());
        }
    }
    match (&o.identity, &c.identity) {
        (None, Some(id)) => {
            let mut w = ac()
                .kw(if id.always {
                    "ADD GENERATED ALWAYS AS IDENTITY"
                } else {
                    "ADD GENERATED BY DEFAULT AS IDENTITY"
                })
                .kw("(SEQUENCE NAME")
                .def(&id.sequence);
            if let Some(opts) = &id.options {
                w = w.def(&opts.render(""));
            }
            out.push(w.glue(")").build());
        }
        (Some(a), Some(b)) => {
            if a.always != b.always {
                out.push(
                    ac().kw(if b.always {
                        "SET GENERATED ALWAYS"
                    } else {
                        "SET GENERATED BY DEFAULT"
                    })
                    .build(),
                );
            }
            if a.options != b.options {
                let opts = b
                    .options
                    .clone()
                    .unwrap_or_else(|| SequenceOptions::defaults(&c.data_type));
                out.push(ac().def(&opts.render("SET ")).build());
            }
        }
        _ => {}
    }
    out.extend(settings::change(
        t,
        foreign,
        &c.name,
        &o.settings,
        &c.settings,
        o.data_type != c.data_type || o.collation != c.collation,
    ));
    if o.comment != c.comment {
        out.push(comment_on(
            "COLUMN",
            &format!("{t}.{}", ident(&c.name)),
            c.comment.as_deref(),
        ));
    }
    out
}

/// Constraints and indexes that a partition detached by this migration
/// already has: PostgreSQL turns the clones of its parent's constraints and
/// indexes into the table's own, so they are not created again.
pub fn kept_by_detach(old: &Tree, new: &Tree) -> std::collections::HashSet<crate::model::Id> {
    use crate::model::Object;
    let mut out = std::collections::HashSet::new();
    for (id, e) in &new.entries {
        let (table, def) = match &e.object {
            Object::Constraint {
                table, definition, ..
            } => (table, definition),
            Object::Index {
                table, definition, ..
            } => (table, definition),
            _ => continue,
        };
        if old.entries.contains_key(id) {
            continue;
        }
        let (Some(Object::Table(ot)), Some(Object::Table(nt))) = (old.get(table), new.get(table))
        else {
            continue;
        };
        // A detached partition keeps clones of its parent's constraints
        // and indexes; a table that stops inheriting keeps the parent's
        // CHECK constraints.
        let detached = ot.partition_of.is_some();
        let parents: Vec<&crate::model::Id> = match &ot.partition_of {
            Some((parent, _)) if nt.partition_of.is_none() => vec![parent],
            Some(_) => continue,
            None => {
                if !matches!(e.object, Object::Constraint { .. }) || !def.starts_with("CHECK") {
                    continue;
                }
                ot.inherits
                    .iter()
                    .filter(|p| !nt.inherits.contains(p))
                    .collect()
            }
        };
        let same_kind = |o: &Object| std::mem::discriminant(o) == std::mem::discriminant(&e.object);
        let cloned = old.entries.values().chain(new.entries.values()).any(|p| {
            same_kind(&p.object)
                && p.object
                    .parent_table()
                    .is_some_and(|t| parents.contains(&t))
                && (detached || p.object.name() == e.object.name())
                && match &p.object {
                    Object::Constraint { definition, .. } | Object::Index { definition, .. } => {
                        definition == def
                    }
                    _ => false,
                }
        });
        if cloned {
            out.insert(id.clone());
        }
    }
    out
}

/// Tables that this migration attaches as partitions, with their new parent.
pub(crate) fn attached<'t>(
    old: &'t Tree,
    new: &'t Tree,
) -> Vec<(&'t crate::model::Id, &'t crate::model::Id)> {
    use crate::model::Object;
    new.entries
        .iter()
        .filter_map(|(id, e)| match &e.object {
            Object::Table(Table {
                partition_of: Some((parent, _)),
                ..
            }) => match old.get(id) {
                Some(Object::Table(Table {
                    partition_of: None, ..
                })) => Some((id, parent)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Constraints and indexes of a table that this migration attaches as a
/// partition and that PostgreSQL merges with its parent's (a CHECK of the
/// same name and definition, a key or index of the same definition): they
/// are not dropped first.
pub fn kept_by_attach(old: &Tree, new: &Tree) -> std::collections::HashSet<crate::model::Id> {
    use crate::model::Object;
    let mut out = std::collections::HashSet::new();
    for (table, parent) in attached(old, new) {
        for (id, e) in &old.entries {
            if new.entries.contains_key(id) || e.object.parent_table() != Some(table) {
                continue;
            }
            let matches = new.entries.values().any(|p| {
                p.object.parent_table() == Some(parent)
                    && match (&e.object, &p.object) {
                        (
                            Object::Constraint {
                                name: a,
                                definition: da,
                                ..
                            },
                            Object::Constraint {
                                name: b,
                                definition: db,
                                ..
                            },
                        ) => da == db && (a == b || !da.starts_with("CHECK")),
                        (
                            Object::Index {
                                definition: da,
                                unique: ua,
                                ..
                            },
                            Object::Index {
                                definition: db,
                                unique: ub,
                                ..
                            },
                        ) => da == db && ua == ub,
                        _ => false,
                    }
            });
            if matches {
                out.insert(id.clone());
            }
        }
    }
    out
}

/// CHECK constraints a table needs before it can be attached to `new`'s
/// parent: each of the parent's checks that the table lacks by name.
/// `attaching` and `kept` are [`attached`] and [`kept_by_attach`] of the
/// two trees (computed once per migration).
pub fn attach_checks(
    old: &Tree,
    new: &Tree,
    id: &str,
    attaching: &[(&crate::model::Id, &crate::model::Id)],
    kept: &std::collections::HashSet<crate::model::Id>,
) -> Vec<Statement> {
    use crate::model::Object;
    let Some((_, parent)) = attaching.iter().find(|(t, _)| *t == id) else {
        return Vec::new();
    };
    // Comments on what merges into the parent's objects are not kept (the
    // partition's own copies are not tracked).
    let mut out: Vec<Statement> = Vec::new();
    for k in kept {
        let Some(o) = old.get(k) else { continue };
        if o.parent_table().map(String::as_str) != Some(id) {
            continue;
        }
        if o.comment().is_some() {
            let (kw, target) = super::render::comment_target(old, o);
            out.push(comment_on(kw, &target, None));
        }
        if let Object::Constraint {
            index_comment: Some(_),
            ..
        } = o
        {
            let mut cleared = o.clone();
            if let Object::Constraint { index_comment, .. } = &mut cleared {
                *index_comment = None;
            }
            out.extend(super::render::index_comment(old, Some(o), &cleared));
        }
    }
    out.extend(new.entries.values().filter_map(|p| match &p.object {
        Object::Constraint {
            table,
            name,
            definition,
            ..
        } if table == *parent && definition.starts_with("CHECK") => {
            let present = kept
                .iter()
                .any(|k| old.get(k).map(|o| o.name()) == Some(name));
            (!present).then(|| {
                Writer::new("ALTER TABLE")
                    .quoted(&new.qualified(id))
                    .kw("ADD CONSTRAINT")
                    .ident(name)
                    .def(definition)
                    .build()
            })
        }
        _ => None,
    }));
    out
}
