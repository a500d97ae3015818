//! Reference data: the statements that turn the rows of a reference-data
//! table (an [`Object::Rows`]) in tree `old` into those of tree `new`.
//!
//! Rows are matched by key. Each table gets at most three set-based
//! statements over a `VALUES` list: a `DELETE` of the keys that went, an
//! `UPDATE` of the rows that changed and an `INSERT` of the rows that came,
//! guarded by `NOT EXISTS`, so running the migration twice changes nothing.
//! Every value is a string literal cast to its column's type, so what the
//! server reads back is what it printed. A table whose rows start being
//! tracked (the rows exist, only the tracking is new) gets the `UPDATE` and
//! the guarded `INSERT` of all its rows, never a `DELETE`. After an insert
//! into a `serial` or identity column, its sequence is moved past the
//! highest value, so the application's next insert does not collide.

use std::collections::{BTreeMap, HashSet};

use crate::model::{Column, Id, Object, Rows, Table};
use crate::sql::{ident, literal, qname, Statement, Writer};
use crate::tree::Tree;

type Row = Vec<Option<String>>;

/// Whether a tree holds reference data, owners or privileges (objects planned in
/// phases of their own).
pub(crate) fn any(tree: &Tree) -> bool {
    tree.entries.values().any(|e| match &e.object {
        Object::Rows(_) | Object::Grants(_) | Object::DefaultGrants(_) | Object::Owner(_) => true,
        // Privileges on identity sequences (synced with the others).
        Object::Table(t) => t.columns.iter().any(|c| {
            c.identity
                .as_ref()
                .is_some_and(|i| !i.privileges.is_empty())
        }),
        _ => false,
    })
}

/// `tree` without its reference data, owners and privileges.
pub(crate) fn schema_only(tree: &Tree) -> Tree {
    Tree {
        entries: tree
            .entries
            .iter()
            .filter(|(_, e)| {
                !matches!(
                    e.object,
                    Object::Rows(_)
                        | Object::Grants(_)
                        | Object::DefaultGrants(_)
                        | Object::Owner(_)
                )
            })
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect(),
    }
}

/// The rows that differ between two versions of one table's data.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RowChanges {
    pub added: Vec<Row>,
    pub changed: Vec<Row>,
    pub removed: Vec<Row>,
}

/// Compare two versions of a table's rows (`old` absent: all rows added).
/// Versions that track different columns compare by the new columns.
pub fn row_changes(old: Option<&Rows>, new: &Rows) -> RowChanges {
    let mut out = RowChanges::default();
    let before = old.map(project_to(new)).unwrap_or_default();
    let after = new.by_key();
    for (k, r) in &after {
        match before.get(k) {
            None => out.added.push((*r).clone()),
            Some(o) if o != *r => out.changed.push((*r).clone()),
            _ => {}
        }
    }
    for (k, r) in &before {
        if !after.contains_key(k) {
            out.removed.push(r.clone());
        }
    }
    out
}

/// Re-express `old`'s rows in `new`'s columns (a column `new` tracks that
/// `old` did not is NULL), keyed by `new`'s key.
fn project_to(new: &Rows) -> impl Fn(&Rows) -> BTreeMap<Row, Row> + '_ {
    move |old: &Rows| {
        let pos: Vec<Option<usize>> = new
            .columns
            .iter()
            .map(|c| old.columns.iter().position(|o| o == c))
            .collect();
        let key = new.key_positions();
        old.rows
            .iter()
            .map(|r| {
                let row: Row = pos
                    .iter()
                    .map(|p| p.and_then(|p| r.get(p).cloned().flatten()))
                    .collect();
                (key.iter().map(|k| row[*k].clone()).collect(), row)
            })
            .collect()
    }
}

/// Statements for every table's reference data, with the id each is about:
/// deletes first (dependents first), then updates and inserts in `order`
/// (the new tree's dependency order of the tables).
pub(crate) fn sync(old: &Tree, new: &Tree, order: &[Id]) -> Vec<(Statement, Id)> {
    let rows_of = |tree: &Tree| -> BTreeMap<Id, (Id, Rows)> {
        tree.entries
            .iter()
            .filter_map(|(id, e)| match &e.object {
                Object::Rows(r) => Some((r.table.clone(), (id.clone(), r.clone()))),
                _ => None,
            })
            .collect()
    };
    let (before, after) = (rows_of(old), rows_of(new));
    let mut deletes = Vec::new();
    let mut writes = Vec::new();
    for table_id in order {
        let Some((id, rows)) = after.get(table_id) else {
            continue;
        };
        let Some(Object::Table(table)) = new.get(table_id) else {
            continue;
        };
        let existed = matches!(old.get(table_id), Some(Object::Table(_)));
        let prior = before.get(table_id).map(|(_, r)| r);
        let target = qname(&table.schema, &table.name);
        let cols = Columns::of(table, rows);
        if prior.is_none() && existed {
            // Tracking starts: the rows are there already, perhaps not all.
            if let Some(s) = cols.update(&target, &rows.rows) {
                writes.push((s, id.clone()));
            }
            if let Some(s) = cols.insert(&target, &rows.rows) {
                writes.push((s, id.clone()));
            }
            writes.extend(cols.sequences(&target).into_iter().map(|s| (s, id.clone())));
            continue;
        }
        let ch = row_changes(prior, rows);
        if !ch.removed.is_empty() {
            if let Some(s) = cols.delete(&target, &ch.removed) {
                deletes.push((s, id.clone()));
            }
        }
        if let Some(s) = cols.update(&target, &ch.changed) {
            writes.push((s, id.clone()));
        }
        if let Some(s) = cols.insert(&target, &ch.added) {
            writes.push((s, id.clone()));
            writes.extend(cols.sequences(&target).into_iter().map(|s| (s, id.clone())));
        }
    }
    deletes.reverse();
    deletes.extend(writes);
    deletes
}

/// The tables of `tables` in an order that fills referenced tables first
/// (their foreign keys among each other); a cycle keeps name order.
pub(crate) fn fill_order(tree: &Tree, tables: &HashSet<&Id>) -> Vec<Id> {
    let columns = tree.column_index();
    let mut needs: BTreeMap<&Id, HashSet<&str>> =
        tables.iter().map(|t| (*t, HashSet::new())).collect();
    for e in tree.entries.values() {
        let Object::Constraint {
            table, definition, ..
        } = &e.object
        else {
            continue;
        };
        if !definition.starts_with("FOREIGN KEY") || !tables.contains(table) {
            continue;
        }
        for d in &e.deps {
            let other = columns
                .get(d.as_str())
                .map(|(t, _)| *t)
                .unwrap_or(d.as_str());
            if other != table.as_str() && tables.iter().any(|t| t.as_str() == other) {
                needs.entry(table).or_default().insert(other);
            }
        }
    }
    let mut names: Vec<(String, &Id)> = tables.iter().map(|t| (tree.display_name(t), *t)).collect();
    names.sort();
    let mut out: Vec<Id> = Vec::new();
    let mut done: HashSet<&str> = HashSet::new();
    while out.len() < names.len() {
        let ready = names.iter().find(|(_, t)| {
            !done.contains(t.as_str())
                && needs
                    .get(t)
                    .is_none_or(|n| n.iter().all(|x| done.contains(x)))
        });
        // A cycle: take the first remaining table by name.
        let pick = ready.or_else(|| names.iter().find(|(_, t)| !done.contains(t.as_str())));
        let Some((_, t)) = pick else { break };
        done.insert(t.as_str());
        out.push((*t).clone());
    }
    out
}

/// The tracked columns of one table, resolved to names and types.
struct Columns<'a> {
    /// (name, type, is key) in the order of `Rows::columns`.
    cols: Vec<(&'a str, &'a str, bool)>,
    /// Tracked columns that take their values from a sequence.
    sequenced: Vec<&'a Column>,
    overriding: bool,
}

impl<'a> Columns<'a> {
    fn of(table: &'a Table, rows: &Rows) -> Columns<'a> {
        let key: HashSet<&Id> = rows.key.iter().collect();
        let mut cols = Vec::new();
        let mut sequenced = Vec::new();
        let mut overriding = false;
        for id in &rows.columns {
            // A column the table no longer has cannot be tracked; the
            // snapshot never produces one.
            let Some(c) = table.columns.iter().find(|c| &c.id == id) else {
                continue;
            };
            cols.push((c.name.as_str(), c.data_type.as_str(), key.contains(id)));
            let from_sequence = c.identity.is_some()
                || c.default.as_deref().is_some_and(|d| d.contains("nextval("));
            if from_sequence {
                sequenced.push(c);
            }
            overriding |= c.identity.as_ref().is_some_and(|i| i.always);
        }
        Columns {
            cols,
            sequenced,
            overriding,
        }
    }

    /// `(VALUES (CAST(... AS type), ...), ...) AS v(c1, c2)` over the
    /// columns `pick` selects.
    fn values(&self, rows: &[Row], pick: &dyn Fn(bool) -> bool) -> String {
        let mut out = String::from("(VALUES ");
        for (i, r) in rows.iter().enumerate() {
            if i > 0 {
                out.push_str(",\n    ");
            }
            out.push('(');
            let mut first = true;
            for ((_, ty, is_key), v) in self.cols.iter().zip(r) {
                if !pick(*is_key) {
                    continue;
                }
                if !first {
                    out.push_str(", ");
                }
                first = false;
                let value = v.as_deref().map(literal).unwrap_or_else(|| "NULL".into());
                out.push_str(&format!("CAST({value} AS {ty})"));
            }
            out.push(')');
        }
        out.push_str(") AS v(");
        out.push_str(&self.names(pick, "").join(", "));
        out.push(')');
        out
    }

    fn names(&self, pick: &dyn Fn(bool) -> bool, prefix: &str) -> Vec<String> {
        self.cols
            .iter()
            .filter(|(_, _, k)| pick(*k))
            .map(|(n, _, _)| format!("{prefix}{}", ident(n)))
            .collect()
    }

    /// `t.k1 = v.k1 AND ...`
    fn key_match(&self) -> String {
        self.cols
            .iter()
            .filter(|(_, _, k)| *k)
            .map(|(n, _, _)| format!("t.{0} = v.{0}", ident(n)))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    fn delete(&self, target: &str, rows: &[Row]) -> Option<Statement> {
        if rows.is_empty() {
            return None;
        }
        let keys: Vec<Row> = rows
            .iter()
            .map(|r| {
                self.cols
                    .iter()
                    .zip(r)
                    .filter(|((_, _, k), _)| *k)
                    .map(|(_, v)| v.clone())
                    .collect()
            })
            .collect();
        let key_only = Columns {
            cols: self.cols.iter().filter(|c| c.2).copied().collect(),
            sequenced: Vec::new(),
            overriding: false,
        };
        Some(
            Writer::new("DELETE FROM")
                .quoted(target)
                .kw("AS t USING")
                .quoted(&key_only.values(&keys, &|_| true))
                .kw("WHERE")
                .quoted(&self.key_match())
                .destructive()
                .build(),
        )
    }

    fn update(&self, target: &str, rows: &[Row]) -> Option<Statement> {
        let rest = self.names(&|k| !k, "");
        if rows.is_empty() || rest.is_empty() {
            return None;
        }
        let set: Vec<String> = rest.iter().map(|n| format!("{n} = v.{n}")).collect();
        let t_rest = self.names(&|k| !k, "t.");
        let v_rest = self.names(&|k| !k, "v.");
        Some(
            Writer::new("UPDATE")
                .quoted(target)
                .kw("AS t SET")
                .quoted(&set.join(", "))
                .kw("FROM")
                .quoted(&self.values(rows, &|_| true))
                .kw("WHERE")
                .quoted(&self.key_match())
                .kw("AND")
                .quoted(&format!(
                    "({}) IS DISTINCT FROM ({})",
                    t_rest.join(", "),
                    v_rest.join(", ")
                ))
                .build(),
        )
    }

    fn insert(&self, target: &str, rows: &[Row]) -> Option<Statement> {
        if rows.is_empty() {
            return None;
        }
        let all = self.names(&|_| true, "");
        let w = Writer::new("INSERT INTO")
            .quoted(target)
            .glue(" (")
            .quoted(&all.join(", "))
            .glue(")");
        let w = if self.overriding {
            w.kw("OVERRIDING SYSTEM VALUE")
        } else {
            w
        };
        Some(
            w.kw("SELECT")
                .quoted(&self.names(&|_| true, "v.").join(", "))
                .kw("FROM")
                .quoted(&self.values(rows, &|_| true))
                .kw("WHERE NOT EXISTS (SELECT FROM")
                .quoted(target)
                .kw("AS t WHERE")
                .quoted(&self.key_match())
                .glue(")")
                .build(),
        )
    }

    /// Move the sequences of inserted `serial`/identity columns past the
    /// highest value in the table.
    fn sequences(&self, target: &str) -> Vec<Statement> {
        self.sequenced
            .iter()
            .map(|c| {
                let seq = format!(
                    "pg_catalog.pg_get_serial_sequence({}, {})",
                    literal(target),
                    literal(&c.name)
                );
                Writer::new("SELECT pg_catalog.setval(")
                    .quoted(&seq)
                    .glue(", GREATEST(max(")
                    .quoted(&ident(&c.name))
                    .glue("), pg_catalog.nextval(")
                    .quoted(&seq)
                    .glue(")))")
                    .kw("FROM")
                    .quoted(target)
                    .kw("HAVING max(")
                    .quoted(&ident(&c.name))
                    .glue(") IS NOT NULL")
                    .build()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &[&[Option<&str>]]) -> Rows {
        Rows {
            table: "t".into(),
            columns: vec!["c1".into(), "c2".into()],
            key: vec!["c1".into()],
            rows: data
                .iter()
                .map(|r| r.iter().map(|v| v.map(str::to_string)).collect())
                .collect(),
        }
    }

    #[test]
    fn changes_by_key() {
        let a = rows(&[&[Some("1"), Some("a")], &[Some("2"), Some("b")]]);
        let b = rows(&[&[Some("2"), Some("B")], &[Some("3"), None]]);
        let ch = row_changes(Some(&a), &b);
        assert_eq!(ch.added, vec![vec![Some("3".to_string()), None]]);
        assert_eq!(
            ch.changed,
            vec![vec![Some("2".to_string()), Some("B".into())]]
        );
        assert_eq!(
            ch.removed,
            vec![vec![Some("1".to_string()), Some("a".into())]]
        );
        assert_eq!(row_changes(Some(&b), &b), RowChanges::default());
    }
}
