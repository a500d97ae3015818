//! Steps of a migration that fail on rows the target already holds.
//!
//! `ADD COLUMN c int NOT NULL` without a default is fine on an empty table
//! and fails (`column "c" contains null values`) on one with rows; so do
//! `SET NOT NULL` over NULLs, a new unique key over duplicates and a new
//! check the rows violate. [`checks`] lists, from two trees alone, each such
//! step with a query that counts the rows it would fail on; the PostgreSQL
//! layer runs them against the target before anything is applied.

use pg_query::protobuf::{node::Node as N, ConstrType};

use crate::model::{Object, Table};
use crate::sql::{ident, qname};
use crate::tree::Tree;

/// One step that depends on existing rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What the step does, for people: `column public.t.c: added NOT NULL
    /// without a default`.
    pub what: String,
    /// `SELECT count(*) ...` over the target as it is (old names): the
    /// rows the step would fail on. Zero means the step is safe.
    pub count_sql: String,
}

/// The data-dependent steps of the migration `from` → `to`.
pub fn checks(from: &Tree, to: &Tree) -> Vec<Check> {
    let mut out = Vec::new();
    for (id, e) in &to.entries {
        match &e.object {
            Object::Table(nt) => {
                if let Some(Object::Table(ot)) = from.get(id) {
                    columns(ot, nt, &mut out);
                }
            }
            Object::Constraint {
                table, definition, ..
            } => {
                let unchanged = matches!(from.get(id),
                    Some(Object::Constraint { definition: d, .. }) if d == definition);
                if unchanged {
                    continue;
                }
                if let Some(Object::Table(ot)) = from.get(table) {
                    // Judged on the old table: its current names.
                    let name = format!("{}.{}", ot.schema, ot.name);
                    let what = format!("constraint {} on {name}", e.object.name());
                    out.extend(constraint(ot, definition, &what));
                }
            }
            _ => {}
        }
    }
    out
}

fn columns(old: &Table, new: &Table, out: &mut Vec<Check>) {
    let q = qname(&old.schema, &old.name);
    for c in &new.columns {
        let display = format!("column {}.{}.{}", old.schema, old.name, c.name);
        match old.columns.iter().find(|o| o.id == c.id) {
            None if c.not_null
                && c.default.is_none()
                && c.identity.is_none()
                && c.generated.is_none() =>
            {
                out.push(Check {
                    what: format!("{display}: added NOT NULL without a default"),
                    count_sql: format!("SELECT count(*) FROM {q}"),
                });
            }
            Some(o) if c.not_null && !o.not_null && o.generated.is_none() => {
                out.push(Check {
                    what: format!("{display}: SET NOT NULL over NULL values"),
                    count_sql: format!("SELECT count(*) FROM {q} WHERE {} IS NULL", ident(&o.name)),
                });
            }
            _ => {}
        }
    }
}

/// A check for a new or changed constraint: unique and primary keys over
/// duplicates (and NULLs, for a primary key), checks over violating rows.
/// Keys are named as in the new definition; a key column renamed by the
/// same migration is looked up by its new name in `old` and, when absent,
/// the constraint is not checked (it is not judged on guessed names).
fn constraint(old: &Table, definition: &str, what: &str) -> Option<Check> {
    let parsed = pg_query::parse(&format!("ALTER TABLE x ADD {definition}"), 0).ok()?;
    let stmt = parsed
        .protobuf
        .stmts
        .first()?
        .stmt
        .as_ref()?
        .node
        .as_ref()?;
    let N::AlterTableStmt(alter) = stmt else {
        return None;
    };
    let cmd = alter.cmds.first()?.node.as_ref()?;
    let N::AlterTableCmd(cmd) = cmd else {
        return None;
    };
    let N::Constraint(con) = cmd.def.as_ref()?.node.as_ref()? else {
        return None;
    };
    if con.skip_validation {
        return None; // NOT VALID: existing rows are not checked
    }
    let q = qname(&old.schema, &old.name);
    let contype = ConstrType::try_from(con.contype).ok()?;
    match contype {
        ConstrType::ConstrCheck => {
            let body = definition.strip_prefix("CHECK ")?;
            let body = body.strip_suffix(" NO INHERIT").unwrap_or(body);
            Some(Check {
                what: format!("{what}: new check"),
                count_sql: format!("SELECT count(*) FROM {q} WHERE NOT {body}"),
            })
        }
        ConstrType::ConstrPrimary | ConstrType::ConstrUnique => {
            let mut keys = Vec::new();
            for k in &con.keys {
                let Some(N::String(s)) = &k.node else {
                    return None;
                };
                if !old.columns.iter().any(|c| c.name == s.sval) {
                    return None;
                }
                keys.push(ident(&s.sval));
            }
            if keys.is_empty() {
                return None;
            }
            let primary = contype == ConstrType::ConstrPrimary;
            let list = keys.join(", ");
            let filter = if primary || con.nulls_not_distinct {
                "true".to_string()
            } else {
                keys.iter()
                    .map(|k| format!("{k} IS NOT NULL"))
                    .collect::<Vec<_>>()
                    .join(" AND ")
            };
            let dups = format!(
                "(SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {q} WHERE {filter} GROUP BY {list} HAVING count(*) > 1) d)"
            );
            let count_sql = if primary {
                let nulls = keys
                    .iter()
                    .map(|k| format!("{k} IS NULL"))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                format!("SELECT {dups}::bigint + (SELECT count(*) FROM {q} WHERE {nulls})")
            } else {
                format!("SELECT {dups}::bigint")
            };
            let kind = if primary { "primary key" } else { "unique key" };
            Some(Check {
                what: format!("{what}: new {kind} ({list}) over duplicate or NULL keys"),
                count_sql,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Column;
    use crate::tree::Entry;
    use std::sync::Arc;

    fn col(id: &str, not_null: bool, default: Option<&str>) -> Column {
        Column {
            not_null,
            default: default.map(Into::into),
            ..Column::new(id, id, "integer")
        }
    }

    fn table(cols: Vec<Column>) -> Object {
        Object::Table(Table::new("public", "t", cols))
    }

    fn tree(objects: Vec<(&str, Object)>) -> Tree {
        Tree::from_objects(objects)
    }

    fn con(def: &str) -> Object {
        Object::Constraint {
            table: "t".into(),
            name: "c".into(),
            definition: def.into(),
            comment: None,
            index_comment: None,
            clustered: false,
        }
    }

    #[test]
    fn not_null_columns_added_or_set() {
        let from = tree(vec![("t", table(vec![col("a", false, None)]))]);
        let to = tree(vec![(
            "t",
            table(vec![
                col("a", true, None),
                col("b", true, None),
                col("c", true, Some("0")),
                col("d", false, None),
            ]),
        )]);
        let c = checks(&from, &to);
        let what: Vec<&str> = c.iter().map(|c| c.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "column public.t.a: SET NOT NULL over NULL values",
                "column public.t.b: added NOT NULL without a default"
            ]
        );
        assert_eq!(
            c[0].count_sql,
            "SELECT count(*) FROM public.t WHERE a IS NULL"
        );
    }

    #[test]
    fn new_keys_and_checks_count_violations() {
        let from = tree(vec![(
            "t",
            table(vec![col("a", false, None), col("b", false, None)]),
        )]);
        let with = |def: &str| {
            let mut t = from.clone();
            t.entries.insert(
                "k".into(),
                Arc::new(Entry {
                    object: con(def),
                    deps: vec![],
                }),
            );
            checks(&from, &t)
        };
        let u = with("UNIQUE (a, b)");
        assert_eq!(u.len(), 1);
        assert!(
            u[0].count_sql
                .contains("WHERE a IS NOT NULL AND b IS NOT NULL GROUP BY a, b"),
            "{}",
            u[0].count_sql
        );
        let p = with("PRIMARY KEY (a)");
        assert!(p[0].count_sql.contains("a IS NULL"), "{}", p[0].count_sql);
        let k = with("CHECK ((a > 0))");
        assert_eq!(
            k[0].count_sql,
            "SELECT count(*) FROM public.t WHERE NOT ((a > 0))"
        );
        assert!(with("CHECK ((a > 0)) NOT VALID").is_empty());
        assert!(with("FOREIGN KEY (a) REFERENCES public.t(b)").is_empty());
        // A key over a column the old table does not have is not judged.
        assert!(with("UNIQUE (zz)").is_empty());
        // An unchanged constraint needs no check.
        let mut both = from.clone();
        both.entries.insert(
            "k".into(),
            Arc::new(Entry {
                object: con("UNIQUE (a)"),
                deps: vec![],
            }),
        );
        assert!(checks(&both, &both).is_empty());
    }
}
