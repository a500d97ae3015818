//! HEAD against the live workspace (`status`, `commit`), reading of HEAD
//! only what the comparison needs.
//!
//! A commit of a big schema changes a few objects out of thousands. HEAD's
//! packed index (its ids, hashes and references, `pggit_core::packed`) says
//! which of its bodies identity assignment reads
//! (`identity::reference_needs`: entries no catalog key claims and tables
//! with unknown columns) and, once the live tree is hashed, which entries
//! differ and what surrounds them (`slice::choose`). Only those bodies are
//! fetched. A HEAD tree stored without a packed index is read whole.
//!
//! Debug builds (the test suite) also read HEAD whole and check that the
//! assignment and the diff are the same as with the whole tree.

use std::collections::HashMap;
use std::sync::Arc;

use pggit_core::diff::{diff, Change};
use pggit_core::identity::{assign, reference_needs, Assigned, IdentityMap};
use pggit_core::packed::{self, Index};
use pggit_core::tree::Hashed;
use pggit_core::{slice, Entry, Tree};
use pggit_pg::introspect::RawTree;
use pggit_pg::store;
use pggit_pg::trace;
use pggit_pg::PgError;
use postgres::Client;

use crate::error::Result;
use crate::repo::{live_snapshot, Live, Repository};

/// What is known of HEAD's tree: its packed index and the bodies read so
/// far, or (without an index) the whole tree.
pub(crate) struct Head {
    hash: String,
    packed: Option<Vec<u8>>,
    /// Bodies read, by object hash.
    bodies: HashMap<String, Arc<Entry>>,
    whole: Option<Tree>,
}

/// The live tree hashed and its index packed: what comparing it with HEAD
/// and storing it need.
pub(crate) struct Stamped<'a> {
    pub hashed: Hashed<'a>,
    pub packed: Vec<u8>,
}

impl<'a> Stamped<'a> {
    pub fn of(tree: &'a Tree) -> Result<Stamped<'a>> {
        let hashed = {
            let _t = trace::span("hash tree");
            tree.hashed()
        };
        let _t = trace::span("pack index");
        let packed = packed::pack(tree, &hashed).map_err(malformed)?;
        Ok(Stamped { hashed, packed })
    }
}

fn malformed(e: packed::Malformed) -> PgError {
    PgError::Unexpected(e.to_string())
}

impl Head {
    fn index(&self) -> Result<Option<Index<'_>>> {
        Ok(match &self.packed {
            Some(bytes) => Some(packed::decode(bytes).map_err(malformed)?),
            None => None,
        })
    }

    /// Whether the store holds an object of this hash (HEAD's are).
    pub fn stores(&self) -> impl Fn(&str) -> bool + '_ {
        let hashes: std::collections::HashSet<[u8; 32]> = self
            .index()
            .ok()
            .flatten()
            .map(|ix| ix.hashes.into_iter().collect())
            .unwrap_or_default();
        move |h: &str| packed::raw_hash(h).is_some_and(|raw| hashes.contains(&raw))
    }
}

impl Repository {
    /// Snapshot the workspace (on its own thread and connection) while
    /// HEAD's index and the identity map are read, then give the snapshot
    /// stable ids against HEAD.
    pub(crate) fn head_and_live(
        &mut self,
        wclient: &mut Client,
        branch: &str,
        head_tree: &str,
        salt: &str,
    ) -> Result<(Head, Live)> {
        let scope = self.scope()?;
        let helper = self.helper_config(branch);
        let progress = Arc::clone(&self.progress);
        let (packed, known, taken) = std::thread::scope(|s| {
            let taken = s.spawn(move || {
                let _t = trace::span("snapshot (thread)");
                live_snapshot(wclient, helper, &scope, &*progress)
            });
            let packed = store::read_packed(&mut self.client, head_tree);
            let known = store::read_identities(&mut self.client, branch);
            let _t = trace::span("wait for snapshot");
            let taken = taken
                .join()
                .map_err(|_| PgError::Unexpected("the snapshot thread panicked".into()));
            (packed, known, taken)
        });
        let (packed, known, (raw, ddl_high)) = (packed?, known?, taken??);
        let mut head = Head {
            hash: head_tree.to_string(),
            packed,
            bodies: HashMap::new(),
            whole: None,
        };
        let reference = self.reference_for(&mut head, &raw, &known)?;
        let _t = trace::span("assign ids");
        let Assigned { tree, map } = assign(&raw, &known, Some(&reference), salt);
        if cfg!(debug_assertions) && head.whole.is_none() {
            let whole = self.tree(head_tree)?;
            let check = assign(&raw, &known, Some(&whole), salt);
            assert!(
                check.tree == tree && check.map == map,
                "identity assignment against HEAD's needed entries differs from that against the whole tree"
            );
        }
        let live = Live {
            tree,
            map,
            known,
            ddl_high,
        };
        Ok((head, live))
    }

    /// The part of HEAD that assigning ids to `raw` reads.
    fn reference_for(
        &mut self,
        head: &mut Head,
        raw: &RawTree,
        known: &IdentityMap,
    ) -> Result<Tree> {
        let _t = trace::span("read HEAD entries for ids");
        let Some(ix) = head.index()? else {
            let whole = self.tree(&head.hash)?;
            head.whole = Some(whole.clone());
            return Ok(whole);
        };
        let needs = reference_needs(raw, known, &ix);
        let ids: Vec<(String, String)> = needs
            .iter()
            .map(|p| (ix.ids[*p].to_string(), ix.hash_hex(*p)))
            .collect();
        drop(ix);
        self.fetch(head, ids.iter().map(|(_, h)| h.clone()).collect())?;
        entries_of(head, &ids)
    }

    /// Read the bodies of `hashes` that `head` lacks.
    fn fetch(&mut self, head: &mut Head, mut hashes: Vec<String>) -> Result<()> {
        hashes.retain(|h| !head.bodies.contains_key(h));
        hashes.sort_unstable();
        hashes.dedup();
        let bodies = store::read_bodies(&mut self.client, &hashes)?;
        head.bodies.extend(bodies);
        Ok(())
    }

    /// HEAD and the live tree, each cut to the slice comparing them reads,
    /// and their difference.
    pub(crate) fn compare_head(
        &mut self,
        head: &mut Head,
        live: &Tree,
        stamped: &Stamped<'_>,
    ) -> Result<Vec<Change>> {
        let _t = trace::span("compare with HEAD");
        let (old, new) = match (&head.whole, head.index()?) {
            (Some(whole), _) => (whole.clone(), live.clone()),
            (None, None) => (self.tree(&head.hash)?, live.clone()),
            (None, Some(a)) => {
                let b = packed::decode(&stamped.packed).map_err(malformed)?;
                let (kept_a, kept_b) = slice::choose(&a, &b);
                let ids: Vec<(String, String)> = kept_a
                    .iter()
                    .map(|p| (a.ids[*p].to_string(), a.hash_hex(*p)))
                    .collect();
                let keep: std::collections::BTreeSet<&str> =
                    kept_b.iter().map(|p| b.ids[*p]).collect();
                let new = slice::prune(live, &keep);
                drop(a);
                self.fetch(head, ids.iter().map(|(_, h)| h.clone()).collect())?;
                (entries_of(head, &ids)?, new)
            }
        };
        let changes = diff(&old, &new);
        if cfg!(debug_assertions) && head.whole.is_none() {
            let whole = self.tree(&head.hash)?;
            assert_eq!(
                changes,
                diff(&whole, live),
                "the diff over HEAD's slice differs from that over the whole tree"
            );
        }
        Ok(changes)
    }
}

/// A tree of `(id, hash)` from bodies `head` has read.
fn entries_of(head: &Head, ids: &[(String, String)]) -> Result<Tree> {
    let mut tree = Tree::default();
    for (id, hash) in ids {
        let entry = head
            .bodies
            .get(hash)
            .ok_or_else(|| PgError::Unexpected(format!("object {hash} is missing")))?;
        tree.entries.insert(id.clone(), Arc::clone(entry));
    }
    Ok(tree)
}
