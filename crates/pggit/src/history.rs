//! `log`, `show` and `blame`.

use std::collections::{BTreeMap, HashMap};

use pggit_core::diff::{diff, parts, parts_changed, Change};
use pggit_core::equiv::Renames;
use pggit_core::plan::{plan, render};
use pggit_core::sql::Statement;
use pggit_core::{Id, Object, Tree};
use pggit_pg::store::{self, Commit};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::repo::Repository;

/// One `log` entry.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    #[serde(flatten)]
    pub commit: Commit,
    /// Branches and tags pointing at this commit.
    pub refs: Vec<String>,
}

/// What `show` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub commit: Commit,
    pub changes: Vec<Change>,
    /// Migration from the first parent (empty for the root commit's parent).
    pub statements: Vec<Statement>,
}

/// `show REV OBJECT`: an object's definition at a commit.
#[derive(Debug, Clone, Serialize)]
pub struct ShownObject {
    pub commit: String,
    pub id: Id,
    pub name: String,
    pub kind: String,
    pub definition: Object,
    pub sql: Vec<Statement>,
}

/// One line of `blame`.
#[derive(Debug, Clone, Serialize)]
pub struct BlameLine {
    pub part: String,
    pub commit: String,
    pub author: String,
    pub date: String,
    pub summary: String,
}

impl Repository {
    /// History reachable from `rev`, newest first; with `object`, only
    /// commits that changed that object (followed across renames).
    pub fn log(
        &mut self,
        rev: &str,
        limit: Option<usize>,
        object: Option<&str>,
    ) -> Result<Vec<LogEntry>> {
        let start = self.resolve(rev)?;
        let commits = store::ancestors(&mut self.client, &start.id, None)?;
        let refs = self.refs_by_commit()?;
        let object_id = match object {
            Some(name) => Some(self.find_object(&start, name)?),
            None => None,
        };
        // Each ancestor's parent is an ancestor too: look its tree up in the
        // list, and read each tree's index once.
        let tree_of: HashMap<String, String> = commits
            .iter()
            .map(|c| (c.id.clone(), c.tree.clone()))
            .collect();
        let mut entry_in: HashMap<String, Option<String>> = HashMap::new();
        let mut out = Vec::new();
        for c in commits {
            if limit.is_some_and(|n| out.len() >= n) {
                break;
            }
            if let Some(id) = &object_id {
                let mut hash_at = |tree: &str| -> Result<Option<String>> {
                    if let Some(h) = entry_in.get(tree) {
                        return Ok(h.clone());
                    }
                    let h = store::tree_index(&mut self.client, tree)?.get(id).cloned();
                    entry_in.insert(tree.to_string(), h.clone());
                    Ok(h)
                };
                let now = hash_at(&c.tree)?;
                let before = match c.parents.first().and_then(|p| tree_of.get(p)) {
                    Some(t) => hash_at(t)?,
                    None => None,
                };
                if now == before {
                    continue;
                }
            }
            out.push(LogEntry {
                refs: refs.get(&c.id).cloned().unwrap_or_default(),
                commit: c,
            });
        }
        Ok(out)
    }

    fn refs_by_commit(&mut self) -> Result<BTreeMap<String, Vec<String>>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for kind in ["branch", "tag"] {
            for r in store::list_refs(&mut self.client, kind)? {
                let label = if kind == "tag" {
                    format!("tag: {}", r.name)
                } else {
                    r.name
                };
                m.entry(r.commit).or_default().push(label);
            }
        }
        Ok(m)
    }

    /// Resolve an object name (`public.users`, `public.users.users_pkey`,
    /// `public.f(integer)`) in a commit's tree to its stable id.
    pub(crate) fn find_object(&mut self, at: &Commit, name: &str) -> Result<Id> {
        let tree = self.tree(&at.tree)?;
        find_in(&tree, name)
            .ok_or_else(|| Error::NoSuchObject(name.to_string(), crate::commit::short(&at.id)))
    }

    /// A commit with its changes and migration from its first parent.
    pub fn show(&mut self, rev: &str) -> Result<Shown> {
        let commit = self.resolve(rev)?;
        let new = self.tree(&commit.tree)?;
        let old = match commit.parents.first() {
            Some(p) => {
                let p = self.commit(p)?;
                self.tree(&p.tree)?
            }
            None => Tree::default(),
        };
        let statements = if commit.parents.is_empty() {
            Vec::new()
        } else {
            plan(&old, &new)?
        };
        Ok(Shown {
            changes: diff(&old, &new),
            statements,
            commit,
        })
    }

    /// One object's definition at a commit.
    pub fn show_object(&mut self, rev: &str, name: &str) -> Result<ShownObject> {
        let commit = self.resolve(rev)?;
        let tree = self.tree(&commit.tree)?;
        let id = find_in(&tree, name).ok_or_else(|| {
            Error::NoSuchObject(name.to_string(), crate::commit::short(&commit.id))
        })?;
        let object = tree.entries[&id].object.clone();
        Ok(ShownObject {
            commit: commit.id,
            name: tree.display_name(&id),
            kind: object.kind_name().to_string(),
            sql: render::create(&tree, &object),
            definition: object,
            id,
        })
    }

    /// For each part of an object (its columns, definition, comment, and
    /// the constraints, indexes, triggers and policies of a table): the
    /// commit on the first-parent chain that last changed it.
    pub fn blame(&mut self, name: &str) -> Result<Vec<BlameLine>> {
        let head = self.resolve("HEAD")?;
        let head_tree = self.tree(&head.tree)?;
        let id = self.find_object(&head, name)?;
        let labels = blame_parts(&head_tree, &id);
        let mut unresolved: Vec<(String, String, String)> = labels
            .into_iter()
            .map(|(key, (label, fp))| (key, label, fp))
            .collect();
        let mut out: Vec<BlameLine> = Vec::new();
        let mut cur = head;
        let mut cur_tree = head_tree.clone();
        let mut cur_parts = blame_parts(&head_tree, &id);
        while !unresolved.is_empty() {
            let parent = match cur.parents.first() {
                Some(p) => Some(self.commit(p)?),
                None => None,
            };
            let parent_tree = match &parent {
                Some(p) => self.tree(&p.tree)?,
                None => Tree::default(),
            };
            let parent_parts = blame_parts(&parent_tree, &id);
            let renames = Renames::between(&parent_tree, &cur_tree);
            unresolved.retain(|(key, label, _)| {
                let here = cur_parts.get(key).map(|(_, fp)| fp);
                let before = parent_parts.get(key).map(|(_, fp)| fp);
                // An attached object whose text changed only through renames
                // of what it uses did not change.
                let only_renamed = || {
                    let child = key.rsplit(' ').next().unwrap_or_default();
                    match (parent_tree.get(child), cur_tree.get(child)) {
                        (Some(a), Some(b)) => {
                            a.name() == b.name() && parts_changed(a, b, &renames).is_empty()
                        }
                        _ => false,
                    }
                };
                if here != before && !(key.starts_with("2 ") && only_renamed()) {
                    out.push(BlameLine {
                        part: label.clone(),
                        commit: cur.id.clone(),
                        author: cur.author.clone(),
                        date: cur.committed_at.clone(),
                        summary: cur.message.lines().next().unwrap_or_default().to_string(),
                    });
                    false
                } else {
                    true
                }
            });
            match parent {
                Some(p) => {
                    cur = p;
                    cur_parts = parent_parts;
                    cur_tree = parent_tree;
                }
                None => break,
            }
        }
        let order: Vec<String> = blame_parts(&head_tree, &id)
            .into_values()
            .map(|(l, _)| l)
            .collect();
        out.sort_by_key(|l| order.iter().position(|o| *o == l.part));
        Ok(out)
    }
}

/// Find an object by display name, optionally prefixed by its kind
/// (`table:public.users`).
pub(crate) fn find_in(tree: &Tree, name: &str) -> Option<Id> {
    let (kind, name) = match name.split_once(':') {
        Some((k, n)) if !k.contains('.') => (Some(k), n),
        _ => (None, name),
    };
    let mut found: Vec<&Id> = tree
        .find_by_name(name)
        .into_iter()
        .filter(|id| kind.is_none_or(|k| tree.get(id).is_some_and(|o| o.kind().as_str() == k)))
        .collect();
    if found.is_empty() && !name.contains('.') {
        found = tree.find_by_name(&format!("public.{name}"));
    }
    // Prefer tables and views over same-named objects of other kinds.
    found.sort_by_key(|id| tree.get(id).map(|o| o.kind()));
    found.first().map(|id| (*id).clone())
}

/// Parts of an object keyed stably (column ids, child ids), each with a
/// display label and a fingerprint.
fn blame_parts(tree: &Tree, id: &str) -> BTreeMap<String, (String, String)> {
    let mut m = BTreeMap::new();
    let Some(object) = tree.get(id) else {
        return m;
    };
    let columns: BTreeMap<&str, &str> = match object {
        Object::Table(t) => t
            .columns
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str()))
            .collect(),
        _ => BTreeMap::new(),
    };
    // Keys sort as: columns in table order, then the object's own parts,
    // then attached objects.
    let position: BTreeMap<&str, usize> = match object {
        Object::Table(t) => t
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect(),
        _ => BTreeMap::new(),
    };
    for (key, fp) in parts(object) {
        let (sort, label) = match key.strip_prefix("column ") {
            Some(cid) => (
                format!("0 {:06}", position.get(cid).copied().unwrap_or(0)),
                format!("column {}", columns.get(cid).copied().unwrap_or(cid)),
            ),
            None => (format!("1 {key}"), key.clone()),
        };
        m.insert(sort, (label, fp));
    }
    for (cid, e) in &tree.entries {
        if e.object.parent_table().is_some_and(|t| t == id) {
            m.insert(
                format!("2 {} {cid}", e.object.kind().as_str()),
                (
                    format!("{} {}", e.object.kind_name(), e.object.name()),
                    e.canonical_json(),
                ),
            );
        }
    }
    m
}
