//! A tree: the full schema at one commit, as a map from stable identity to
//! object entry. Entries are content-addressed by the SHA-256 of their
//! canonical JSON.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::hash::{sha256_hex, sha256_parts};
use crate::model::{Id, Object};
use crate::sql;

/// One object of a tree with the identities it depends on (objects or
/// columns), as recorded by the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub object: Object,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deps: Vec<Id>,
}

impl Entry {
    /// Canonical JSON: the bytes that are hashed and stored.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("serializing plain data cannot fail")
    }

    /// Content address of the entry.
    pub fn hash(&self) -> String {
        sha256_hex(self.canonical_json().as_bytes())
    }
}

/// One entry of a [`Hashed`] tree.
pub struct HashedEntry<'a> {
    pub id: &'a Id,
    pub entry: &'a Entry,
    /// Canonical JSON: the stored body.
    pub json: String,
    pub hash: String,
}

/// A tree with its entries serialised and hashed, in id order.
pub struct Hashed<'a> {
    pub hash: String,
    pub entries: Vec<HashedEntry<'a>>,
}

/// The schema at one point in time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    /// Entries are shared between trees that hold the same object.
    pub entries: BTreeMap<Id, Arc<Entry>>,
}

impl Tree {
    /// A tree of `objects` under their ids, without dependencies.
    pub fn from_objects<'a>(objects: impl IntoIterator<Item = (&'a str, Object)>) -> Tree {
        Tree {
            entries: objects
                .into_iter()
                .map(|(id, object)| {
                    let entry = Entry {
                        object,
                        deps: Vec::new(),
                    };
                    (id.to_string(), Arc::new(entry))
                })
                .collect(),
        }
    }

    /// Content address of the whole tree: hash over sorted `(id, entry hash)`.
    pub fn hash(&self) -> String {
        self.hashed().hash
    }

    /// Every entry serialised and hashed once (on two threads for a big
    /// tree), with the tree's hash: what comparing and storing a tree need.
    pub fn hashed(&self) -> Hashed<'_> {
        fn hash_all<'a>(chunk: &[(&'a Id, &'a Arc<Entry>)]) -> Vec<HashedEntry<'a>> {
            chunk
                .iter()
                .map(|(id, e)| {
                    let json = e.canonical_json();
                    HashedEntry {
                        id,
                        entry: e,
                        hash: sha256_hex(json.as_bytes()),
                        json,
                    }
                })
                .collect()
        }
        let all: Vec<(&Id, &Arc<Entry>)> = self.entries.iter().collect();
        let entries = if all.len() < 2000 {
            hash_all(&all)
        } else {
            let (a, b) = all.split_at(all.len() / 2);
            std::thread::scope(|s| {
                let second = s.spawn(|| hash_all(b));
                let mut first = hash_all(a);
                match second.join() {
                    Ok(rest) => first.extend(rest),
                    // A panic while serialising plain data: do it here.
                    Err(_) => first.extend(hash_all(b)),
                }
                first
            })
        };
        let mut parts: Vec<&str> = Vec::with_capacity(entries.len() * 2);
        for e in &entries {
            parts.push(e.id);
            parts.push(&e.hash);
        }
        Hashed {
            hash: sha256_parts(&parts),
            entries,
        }
    }

    pub fn get(&self, id: &str) -> Option<&Object> {
        self.entries.get(id).map(|e| &e.object)
    }

    /// Map from column id to (table id, column name).
    pub fn column_index(&self) -> HashMap<&str, (&str, &str)> {
        let mut m = HashMap::new();
        for (id, e) in &self.entries {
            if let Object::Table(t) = &e.object {
                for c in &t.columns {
                    m.insert(c.id.as_str(), (id.as_str(), c.name.as_str()));
                }
            }
        }
        m
    }

    /// Schema-qualified SQL name of a relation-like object (quoted).
    pub fn qualified(&self, id: &str) -> String {
        match self.get(id) {
            Some(o) => match o.schema() {
                Some(s) => sql::qname(s, o.name()),
                None => sql::ident(o.name()),
            },
            None => format!("<missing {id}>"),
        }
    }

    /// Human display name: `public.users`, `public.users.users_pkey`,
    /// `public.f(integer)`.
    pub fn display_name(&self, id: &str) -> String {
        let Some(o) = self.get(id) else {
            return id.to_string();
        };
        match o {
            Object::Function {
                schema,
                name,
                identity_args,
                ..
            } => format!("{schema}.{name}({identity_args})"),
            Object::Grants(g) => format!("{} (grants)", self.display_name(&g.target)),
            Object::Owner(o) => format!("{} (owner)", self.display_name(&o.target)),
            Object::Cast { source, target, .. } => format!("({source} AS {target})"),
            // Operators share symbols: their operand types tell them apart.
            Object::Operator {
                schema,
                name,
                left,
                right,
                ..
            } => format!(
                "{schema}.{name}({}, {right})",
                left.as_deref().unwrap_or("NONE")
            ),
            // A class and its implicit family share a name.
            Object::OperatorFamily {
                schema,
                name,
                method,
                ..
            } => format!("{schema}.{name} USING {method} (family)"),
            Object::OperatorClass {
                schema,
                name,
                method,
                ..
            } => format!("{schema}.{name} USING {method}"),
            Object::DefaultGrants(d) => format!(
                "for role {}{} on {}",
                d.role,
                d.schema
                    .as_deref()
                    .map(|s| format!(" in schema {s}"))
                    .unwrap_or_default(),
                d.objects
            ),
            _ => {
                let base = match o.schema() {
                    Some(s) => format!("{s}.{}", o.name()),
                    None => o.name().to_string(),
                };
                match o.parent_table() {
                    Some(t) => format!("{}.{}", self.display_name(t), o.name()),
                    None => base,
                }
            }
        }
    }

    /// A lookup key that identifies an object by kind and name (used to match
    /// objects between databases that share no history).
    pub fn name_key(&self, id: &str) -> Option<String> {
        let o = self.get(id)?;
        Some(format!("{}:{}", o.kind().as_str(), self.display_name(id)))
    }

    /// Find entries whose display name equals `name` (e.g. `public.users`).
    pub fn find_by_name(&self, name: &str) -> Vec<&Id> {
        self.entries
            .keys()
            .filter(|id| self.display_name(id) == name)
            .collect()
    }
}
