//! `diff`: between commits, between a commit and the live workspace, or
//! between two live databases (matched by name, like migra).

use pggit_core::diff::{diff, Change};
use pggit_core::identity::assign;
use pggit_core::plan::plan;
use pggit_core::sql::Statement;
use pggit_core::Tree;
use pggit_pg::connect::connect;
use pggit_pg::introspect::{snapshot, Scope};
use postgres::Config;
use serde::Serialize;

use crate::error::Result;
use crate::repo::Repository;

/// A difference with its migration.
#[derive(Debug, Clone, Serialize)]
pub struct DiffResult {
    pub from: String,
    pub to: String,
    pub changes: Vec<Change>,
    pub statements: Vec<Statement>,
    /// Steps that fail when the target holds rows that violate them (a NOT
    /// NULL column added without a default, a new unique key or check).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub row_checks: Vec<String>,
}

impl DiffResult {
    fn new(from: String, to: String, old: &Tree, new: &Tree) -> Result<Self> {
        Ok(DiffResult {
            changes: diff(old, new),
            statements: plan(old, new)?,
            row_checks: pggit_core::preflight::checks(old, new)
                .into_iter()
                .map(|c| c.what)
                .collect(),
            from,
            to,
        })
    }
}

/// Where a side of a diff comes from.
#[derive(Debug, Clone)]
pub enum Side {
    Rev(String),
    Workspace,
}

impl Repository {
    /// Difference from `from` to `to` (a revision or the live workspace of
    /// the current branch).
    pub fn diff(&mut self, from: &Side, to: &Side, reverse: bool) -> Result<DiffResult> {
        let ((from_label, old), (to_label, new)) = match (from, to) {
            (Side::Rev(a), Side::Rev(b)) => {
                let (ca, cb) = (self.resolve(a)?, self.resolve(b)?);
                // Only the entries the change reaches, when the trees'
                // references are stored; else both trees whole.
                let (old, new) =
                    match pggit_pg::store::read_slices(&mut self.client, &ca.tree, &cb.tree)? {
                        Some(trees) => trees,
                        None => {
                            let mut trees = pggit_pg::store::read_trees(
                                &mut self.client,
                                &[&ca.tree, &cb.tree],
                            )?;
                            let new = trees.pop().unwrap_or_default();
                            (trees.pop().unwrap_or_default(), new)
                        }
                    };
                (
                    (crate::commit::short(&ca.id), old),
                    (crate::commit::short(&cb.id), new),
                )
            }
            _ => (self.side_tree(from)?, self.side_tree(to)?),
        };
        let _t = pggit_pg::trace::span("diff and plan");
        if reverse {
            DiffResult::new(to_label, from_label, &new, &old)
        } else {
            DiffResult::new(from_label, to_label, &old, &new)
        }
    }

    fn side_tree(&mut self, side: &Side) -> Result<(String, Tree)> {
        match side {
            Side::Rev(r) => {
                let c = self.resolve(r)?;
                let t = self.tree(&c.tree)?;
                Ok((crate::commit::short(&c.id), t))
            }
            Side::Workspace => {
                let branch = self.current_branch()?;
                let head = self.branch_ref(&branch)?;
                let head_tree = self.tree(&head.tree)?;
                let w = self.workspace(&branch)?;
                let mut wc = self.connect_workspace(&w)?;
                let live = self.live_tree(&mut wc, &branch, &head_tree, &head.id)?;
                Ok((format!("workspace ({})", w.dbname), live.tree))
            }
        }
    }
}

/// Compare two live databases. Objects are matched by kind and name (the
/// databases share no history), so a rename shows as drop + create.
pub fn diff_databases(from: &Config, to: &Config, scope: &Scope) -> Result<DiffResult> {
    let mut a = connect(from)?;
    let mut b = connect(to)?;
    let raw_a = snapshot(&mut a, scope)?;
    let raw_b = snapshot(&mut b, scope)?;
    let old = assign(&raw_a, &Default::default(), None, "from-db").tree;
    let new = assign(&raw_b, &Default::default(), Some(&old), "to-db").tree;
    let label = |c: &Config| pggit_pg::connect::url(c);
    DiffResult::new(label(from), label(to), &old, &new)
}
