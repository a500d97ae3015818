//! In-place changes of a table: columns, partition bounds, options, row
//! security and comments. Data and the table's OID survive.

use std::collections::HashMap;

use super::render::{self, column_def, comment_on};
use crate::model::{Column, Table};
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
