//! Reference data: the tables whose rows are versioned with the schema.
//! Migration tools' bookkeeping tables (`django_migrations`,
//! `schema_migrations`, `flyway_schema_history`, ...) are found by name;
//! other tables are marked with `pggit reference add`. Their rows are read
//! at every commit, replayed into every workspace, shown by `diff` and
//! merged by key.

use pggit_pg::introspect::{is_bookkeeping, Marked, Reference, Scope};
use pggit_pg::reference;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::repo::Repository;

/// One table whose rows are (or would be) versioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceTable {
    /// `schema.name`.
    pub table: String,
    /// `bookkeeping` (found by name) or `marked`.
    pub source: &'static str,
    /// Key columns the rows are matched by (empty: the primary key).
    pub key: Vec<String>,
    /// False for a bookkeeping table turned off with `reference remove`.
    pub tracked: bool,
}

/// The scope `diff --from-db/--to-db` reads: every schema, and the
/// bookkeeping tables of migration tools.
pub fn bookkeeping_scope() -> Scope {
    Scope {
        schemas: Vec::new(),
        reference: Reference {
            bookkeeping: true,
            ..Reference::default()
        },
        skip_privileges: false,
    }
}

impl Repository {
    /// A table of the current branch's workspace, by the name a user gives.
    fn workspace_table(&mut self, table: &str) -> Result<reference::TableInfo> {
        let branch = self.current_branch()?;
        let w = self.workspace(&branch)?;
        let mut wc = self.connect_workspace(&w)?;
        reference::table_info(&mut wc, table)?
            .ok_or_else(|| Error::Refused(format!("no table named '{table}' in the workspace")))
    }

    pub(crate) fn reference_settings(&mut self) -> Result<Reference> {
        Ok(reference::read(&mut self.client)?)
    }

    /// Mark a table of the current workspace as reference data, its rows
    /// matched by `key` (default: the primary key). Takes effect at the
    /// next commit.
    pub fn reference_add(&mut self, table: &str, key: &[String]) -> Result<ReferenceTable> {
        let info = self.workspace_table(table)?;
        let shown = format!("{}.{}", info.schema, info.name);
        if key.is_empty() && info.primary_key.is_empty() {
            return Err(Error::Refused(format!(
                "{shown} has no primary key: name the columns its rows are matched by with --key"
            )));
        }
        for k in key {
            match info.columns.iter().find(|(n, _)| n == k) {
                None => {
                    return Err(Error::Refused(format!("{shown} has no column '{k}'")));
                }
                Some((_, false)) => {
                    return Err(Error::Refused(format!(
                        "key column '{k}' of {shown} may be NULL; key columns must be NOT NULL"
                    )));
                }
                _ => {}
            }
        }
        let mut unique = key.to_vec();
        unique.sort();
        unique.dedup();
        if unique.len() != key.len() {
            return Err(Error::Refused("a key column is named twice".into()));
        }
        let mut settings = self.reference_settings()?;
        settings
            .marked
            .retain(|m| !(m.schema == info.schema && m.name == info.name));
        settings
            .excluded
            .retain(|(s, n)| !(s == &info.schema && n == &info.name));
        settings.marked.push(Marked {
            schema: info.schema.clone(),
            name: info.name.clone(),
            key: key.to_vec(),
        });
        settings
            .marked
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        reference::write(&mut self.client, &settings)?;
        Ok(ReferenceTable {
            table: shown,
            source: "marked",
            key: key.to_vec(),
            tracked: true,
        })
    }

    /// Stop versioning a table's rows (a marked table, or a bookkeeping
    /// table found by name). Its rows stay where they are; the next commit
    /// no longer holds them.
    pub fn reference_remove(&mut self, table: &str) -> Result<ReferenceTable> {
        let info = self.workspace_table(table)?;
        let shown = format!("{}.{}", info.schema, info.name);
        let mut settings = self.reference_settings()?;
        let before = settings.marked.len();
        settings
            .marked
            .retain(|m| !(m.schema == info.schema && m.name == info.name));
        let was_marked = settings.marked.len() != before;
        let bookkeeping = is_bookkeeping(&info.name);
        if bookkeeping
            && !settings
                .excluded
                .iter()
                .any(|(s, n)| s == &info.schema && n == &info.name)
        {
            settings
                .excluded
                .push((info.schema.clone(), info.name.clone()));
        } else if !was_marked {
            return Err(Error::Refused(format!(
                "{shown} is not reference data (see `pggit reference list`)"
            )));
        }
        reference::write(&mut self.client, &settings)?;
        Ok(ReferenceTable {
            table: shown,
            source: if bookkeeping { "bookkeeping" } else { "marked" },
            key: Vec::new(),
            tracked: false,
        })
    }

    /// The marked tables, the bookkeeping tables present in the current
    /// workspace, and the bookkeeping tables turned off.
    pub fn reference_list(&mut self) -> Result<Vec<ReferenceTable>> {
        let settings = self.reference_settings()?;
        let branch = self.current_branch()?;
        let head = self.branch_ref(&branch)?;
        let tree = self.tree(&head.tree)?;
        let mut out: Vec<ReferenceTable> = settings
            .marked
            .iter()
            .map(|m| ReferenceTable {
                table: format!("{}.{}", m.schema, m.name),
                source: "marked",
                key: m.key.clone(),
                tracked: true,
            })
            .collect();
        // Bookkeeping tables as the current branch's head holds them.
        for e in tree.entries.values() {
            let pggit_core::Object::Table(t) = &e.object else {
                continue;
            };
            if !is_bookkeeping(&t.name)
                || out
                    .iter()
                    .any(|r| r.table == format!("{}.{}", t.schema, t.name))
            {
                continue;
            }
            let off = !settings.bookkeeping
                || settings
                    .excluded
                    .iter()
                    .any(|(s, n)| s == &t.schema && n == &t.name);
            out.push(ReferenceTable {
                table: format!("{}.{}", t.schema, t.name),
                source: "bookkeeping",
                key: Vec::new(),
                tracked: !off,
            });
        }
        out.sort_by(|a, b| a.table.cmp(&b.table));
        Ok(out)
    }
}
