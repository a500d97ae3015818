//! Three-way merge of schema trees.
//!
//! Objects are matched by stable identity. Each object, and inside a
//! table each column, is merged field by field (see [`fields`]): a change
//! made on one side only is taken, the same change on both sides is taken
//! once, and different changes to the same field are a conflict. Every unit
//! that changed is classified (see [`Classification`]).
//!
//! The result is a tree in which every conflict is settled by its
//! resolution, by the default side, or provisionally by the target's
//! version. Callers decide from [`Merge::unresolved`] whether it may be
//! used. Validity against a real database (INVALID_RESULT from a failed
//! apply) is the caller's job; this module reports only what it can see:
//! two objects with one name.

mod align;
pub mod bases;
mod columns;
pub mod custom;
mod fields;
mod follow;
mod inherit;
pub mod reach;
pub mod segments;
mod tree_merge;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Id;
use crate::tree::{Entry, Tree};

/// How one changed unit (an object, a column, a field) merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Classification {
    /// Changed identically on both sides.
    NoConflict,
    SourceModified,
    TargetModified,
    /// Changed differently on both sides: a conflict.
    BothModified,
    /// Deleted on the source; a conflict when the target modified it.
    DeletedSource,
    /// Deleted on the target; a conflict when the source modified it.
    DeletedTarget,
    /// Added on both sides with different definitions: a conflict.
    BothAdded,
    /// The merged schema does not build.
    InvalidResult,
}

impl Classification {
    pub const ALL: [Classification; 8] = [
        Classification::NoConflict,
        Classification::SourceModified,
        Classification::TargetModified,
        Classification::BothModified,
        Classification::DeletedSource,
        Classification::DeletedTarget,
        Classification::BothAdded,
        Classification::InvalidResult,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Classification::NoConflict => "NO_CONFLICT",
            Classification::SourceModified => "SOURCE_MODIFIED",
            Classification::TargetModified => "TARGET_MODIFIED",
            Classification::BothModified => "BOTH_MODIFIED",
            Classification::DeletedSource => "DELETED_SOURCE",
            Classification::DeletedTarget => "DELETED_TARGET",
            Classification::BothAdded => "BOTH_ADDED",
            Classification::InvalidResult => "INVALID_RESULT",
        }
    }

    /// Parse a name as printed by [`Classification::as_str`] (any case,
    /// `-` or `_`).
    pub fn parse(s: &str) -> Option<Classification> {
        let norm = s.trim().to_ascii_uppercase().replace('-', "_");
        Classification::ALL.into_iter().find(|c| c.as_str() == norm)
    }

    /// The classification with source and target exchanged.
    pub fn swapped(self) -> Classification {
        match self {
            Classification::SourceModified => Classification::TargetModified,
            Classification::TargetModified => Classification::SourceModified,
            Classification::DeletedSource => Classification::DeletedTarget,
            Classification::DeletedTarget => Classification::DeletedSource,
            other => other,
        }
    }
}

/// One side of a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The branch merged into ("ours").
    Target,
    /// The branch merged from ("theirs").
    Source,
    Base,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Target => "ours",
            Side::Source => "theirs",
            Side::Base => "base",
        }
    }
}

/// How a conflict is settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Side(Side),
    /// A replacement definition of the whole object; settles every
    /// conflict of that object.
    Custom(Arc<Entry>),
}

/// A unit of merging: an object id and a part of it (`""` for the object
/// as a whole, a field name, `column <id>`, `column <id>.<field>`, or
/// `validity`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    pub id: Id,
    pub part: String,
}

impl Key {
    pub fn new(id: &str, part: &str) -> Key {
        Key {
            id: id.to_string(),
            part: part.to_string(),
        }
    }

    /// Key of a database-reported validity problem with an object.
    pub fn validity(id: &str) -> Key {
        Key::new(id, VALIDITY)
    }
}

/// Part name of INVALID_RESULT conflicts found by applying the result.
pub const VALIDITY: &str = "validity";

/// Part name of INVALID_RESULT conflicts for two objects with one name.
pub const DUPLICATE: &str = "duplicate";

/// Merge options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Combine non-overlapping changes inside list fields (enum labels,
    /// options, roles, domain checks, composite attributes).
    pub union: bool,
    /// Every change needs a decision, not only conflicts.
    pub manual: bool,
    /// Side taken for conflicts without a resolution (`ours`/`theirs`).
    pub default_side: Option<Side>,
    /// Decisions taken so far.
    pub resolutions: BTreeMap<Key, Choice>,
}

/// How severe a conflict is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// A changed unit and how it merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub key: Key,
    pub kind: Classification,
}

/// A unit that needs (or needed) a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub key: Key,
    pub kind: Classification,
    /// Display name of the object (`public.users`).
    pub object: String,
    /// Kind of the object (`table`, `view`, ...).
    pub object_type: String,
    /// The part in words (`column email: default`).
    pub part: String,
    pub severity: Severity,
    pub base: Option<Value>,
    pub target: Option<Value>,
    pub source: Option<Value>,
    pub message: Option<String>,
    /// How it was settled in this merge, if it was.
    pub resolution: Option<String>,
}

/// Result of [`merge`].
#[derive(Debug, Clone)]
pub struct Merge {
    /// The merged tree; unresolved conflicts hold the target's version.
    pub tree: Tree,
    /// Every unit that changed on either side.
    pub changes: Vec<Change>,
    /// Units that need a decision, settled or not.
    pub conflicts: Vec<Conflict>,
}

impl Merge {
    /// Conflicts without a decision.
    pub fn unresolved(&self) -> impl Iterator<Item = &Conflict> {
        self.conflicts.iter().filter(|c| c.resolution.is_none())
    }

    /// True when nothing needs a decision.
    pub fn is_clean(&self) -> bool {
        self.unresolved().next().is_none()
    }
}

/// Three-way merge of `source` into `target` with common ancestor `base`.
pub fn merge(base: &Tree, target: &Tree, source: &Tree, opts: &Options) -> Merge {
    // Definitions on each side follow the other side's column renames.
    let followed = follow::follow(base, target, source);
    let (base, target, source) = match &followed {
        Some((b, t, s)) => (b, t, s),
        None => (base, target, source),
    };
    let mut merged = match align::align(base, target, source) {
        Some((t, s)) => tree_merge::run(base, &t, &s, opts),
        None => tree_merge::run(base, target, source, opts),
    };
    inherit::settle(&mut merged.tree);
    merged
}

/// The three trees as the merge compares them: each definition rewritten
/// with the column renames of the side it did not come from.
pub fn followed(base: &Tree, target: &Tree, source: &Tree) -> (Tree, Tree, Tree) {
    follow::follow(base, target, source)
        .unwrap_or_else(|| (base.clone(), target.clone(), source.clone()))
}

/// Merge several merge bases into one virtual base, as git's recursive
/// strategy does: `bases[0]` and `bases[1]` are merged over their own
/// common ancestor `inner`, conflicts falling back to that ancestor, so
/// that the outer merge sees both sides' changes to a unit as conflicting.
pub fn virtual_base(inner: &Tree, one: &Tree, two: &Tree) -> Tree {
    let opts = Options {
        default_side: Some(Side::Base),
        ..Options::default()
    };
    merge(inner, one, two, &opts).tree
}

/// The value of one unit in a tree, as the merge compares it: the object,
/// a column, or a field of either (`None` when absent).
pub fn unit_value(tree: &Tree, key: &Key) -> Option<Value> {
    let entry = tree.entries.get(&key.id)?;
    let obj = match serde_json::to_value(&entry.object) {
        Ok(Value::Object(m)) => m,
        _ => return None,
    };
    if key.part.is_empty() || key.part == VALIDITY || key.part == DUPLICATE {
        return Some(Value::Object(obj));
    }
    let kind = fields::tag(&obj).to_string();
    if let Some(rest) = key.part.strip_prefix("column ") {
        let (cid, field) = match rest.split_once('.') {
            Some((c, f)) => (c, Some(f)),
            None => (rest, None),
        };
        let col = obj
            .get("columns")?
            .as_array()?
            .iter()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(cid))?
            .as_object()?;
        return match field {
            None => Some(Value::Object(col.clone())),
            Some(f) => fields::split("column", col, false).remove(f),
        };
    }
    fields::split(&kind, &obj, kind == "table").remove(&key.part)
}
