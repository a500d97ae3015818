//! Repository storage: content-addressed objects and trees, commits, refs
//! (updated by compare-and-swap), reflog, identity maps and the DDL log.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use pggit_core::hash::sha256_parts;
use pggit_core::identity::IdentityMap;
use pggit_core::tree::Hashed;
use pggit_core::{packed, slice};
use pggit_core::{Entry, Tree};
use postgres::GenericClient;
use serde::Serialize;

use crate::PgError;

/// A stored commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commit {
    pub id: String,
    pub tree: String,
    pub parents: Vec<String>,
    pub generation: i32,
    pub author: String,
    pub committer: String,
    pub message: String,
    /// RFC 3339 timestamps.
    pub authored_at: String,
    pub committed_at: String,
}

impl Commit {
    /// Content address of a commit.
    pub fn compute_id(
        tree: &str,
        parents: &[String],
        author: &str,
        committer: &str,
        message: &str,
        authored_at: &str,
        committed_at: &str,
    ) -> String {
        let parents = parents.join(",");
        sha256_parts(&[
            "commit",
            tree,
            &parents,
            author,
            committer,
            message,
            authored_at,
            committed_at,
        ])
    }
}

/// Store a tree and its objects (idempotent). Returns the tree hash.
pub fn write_tree(tx: &mut impl GenericClient, tree: &Tree) -> Result<String, PgError> {
    let hashed = tree.hashed();
    let packed = packed::pack(tree, &hashed).map_err(|e| PgError::Unexpected(e.to_string()))?;
    write_hashed(tx, &hashed, &packed, &|_| false)?;
    Ok(hashed.hash)
}

/// Store a tree, already hashed ([`Tree::hashed`]) and its index packed
/// ([`packed::pack`]), and its objects (idempotent). `stored` tells the
/// hashes known to be in the store already (a parent tree's): the rest are
/// looked up, and only bodies the store lacks are sent.
pub fn write_hashed(
    tx: &mut impl GenericClient,
    tree: &Hashed<'_>,
    packed: &[u8],
    stored: &dyn Fn(&str) -> bool,
) -> Result<(), PgError> {
    let exists = tx
        .query_opt("SELECT 1 FROM pggit.trees WHERE hash = $1", &[&tree.hash])?
        .is_some();
    if exists {
        return Ok(());
    }
    let ids: Vec<&str> = tree.entries.iter().map(|e| e.id.as_str()).collect();
    let hashes: Vec<&str> = tree.entries.iter().map(|e| e.hash.as_str()).collect();
    let t = crate::trace::span("write: which objects are stored");
    let unsure: Vec<&str> = hashes.iter().copied().filter(|h| !stored(h)).collect();
    let present: std::collections::HashSet<String> = if unsure.is_empty() {
        Default::default()
    } else {
        tx.query(
            "SELECT hash FROM pggit.objects WHERE hash = ANY($1)",
            &[&unsure],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect()
    };
    drop(t);
    let t = crate::trace::span("write: new objects");
    let mut new_hashes = Vec::new();
    let mut kinds = Vec::new();
    let mut new_bodies = Vec::new();
    for e in &tree.entries {
        if !stored(&e.hash) && !present.contains(&e.hash) {
            new_hashes.push(e.hash.as_str());
            kinds.push(e.entry.object.kind().as_str());
            new_bodies.push(e.json.as_str());
        }
    }
    if !new_hashes.is_empty() {
        tx.execute(
            "INSERT INTO pggit.objects (hash, kind, body)
             SELECT h, k, b::json FROM unnest($1::text[], $2::text[], $3::text[]) AS u(h, k, b)
             ON CONFLICT (hash) DO NOTHING",
            &[&new_hashes, &kinds, &new_bodies],
        )?;
    }
    drop(t);
    let _t = crate::trace::span("write: tree row");
    tx.execute(
        "INSERT INTO pggit.trees (hash, ids, objects, packed) VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO NOTHING",
        &[&tree.hash, &ids, &hashes, &packed],
    )?;
    Ok(())
}

/// Object bodies by hash (each hash once).
pub fn read_bodies(
    client: &mut impl GenericClient,
    hashes: &[String],
) -> Result<HashMap<String, Arc<Entry>>, PgError> {
    if hashes.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = client.query(
        "SELECT hash, body::text FROM pggit.objects WHERE hash = ANY($1)",
        &[&hashes],
    )?;
    let bodies = parse_bodies(&rows)?;
    let out: HashMap<String, Arc<Entry>> = bodies
        .into_iter()
        .map(|(h, e)| (h.to_string(), e))
        .collect();
    if let Some(h) = hashes.iter().find(|h| !out.contains_key(*h)) {
        return Err(PgError::Unexpected(format!("object {h} is missing")));
    }
    Ok(out)
}

/// The slices of two stored trees that a diff between them reads
/// ([`slice`]), chosen from their packed indexes and loading only their
/// bodies; `None` when a tree was written before its index was packed
/// (read it whole).
pub fn read_slices(
    client: &mut impl GenericClient,
    old: &str,
    new: &str,
) -> Result<Option<(Tree, Tree)>, PgError> {
    let t = crate::trace::span("slice: read tree indexes");
    let rows = client.query(
        "SELECT hash, packed FROM pggit.trees WHERE hash = ANY($1)",
        &[&[old, new].as_slice()],
    )?;
    drop(t);
    let t = crate::trace::span("slice: choose");
    let packed_of = |hash: &str| -> Result<Option<&[u8]>, PgError> {
        let row = rows
            .iter()
            .find(|r| r.get::<_, &str>(0) == hash)
            .ok_or_else(|| PgError::Unexpected(format!("tree {hash} is missing")))?;
        Ok(row.get(1))
    };
    let (Some(a), Some(b)) = (packed_of(old)?, packed_of(new)?) else {
        return Ok(None);
    };
    let bad = |e: packed::Malformed| PgError::Unexpected(e.to_string());
    let (a, b) = (
        packed::decode(a).map_err(bad)?,
        packed::decode(b).map_err(bad)?,
    );
    let (kept_a, kept_b) = slice::choose(&a, &b);
    let mut wanted: Vec<String> = kept_a
        .iter()
        .map(|p| a.hash_hex(*p))
        .chain(kept_b.iter().map(|p| b.hash_hex(*p)))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    drop(t);
    let _t = crate::trace::span("slice: read and parse bodies");
    let bodies = client.query(
        "SELECT hash, body::text FROM pggit.objects WHERE hash = ANY($1)",
        &[&wanted],
    )?;
    let bodies = parse_bodies(&bodies)?;
    let build = |ix: &packed::Index<'_>, kept: &[usize]| -> Result<Tree, PgError> {
        let mut tree = Tree::default();
        for p in kept {
            let h = ix.hash_hex(*p);
            let entry = bodies
                .get(h.as_str())
                .ok_or_else(|| PgError::Unexpected(format!("object {h} is missing")))?;
            tree.entries
                .insert(ix.ids[*p].to_string(), Arc::clone(entry));
        }
        Ok(tree)
    };
    Ok(Some((build(&a, &kept_a)?, build(&b, &kept_b)?)))
}

/// A tree's packed index ([`packed`]); `None` for a tree written before
/// indexes were packed.
pub fn read_packed(
    client: &mut impl GenericClient,
    hash: &str,
) -> Result<Option<Vec<u8>>, PgError> {
    Ok(client
        .query_opt("SELECT packed FROM pggit.trees WHERE hash = $1", &[&hash])?
        .and_then(|r| r.get(0)))
}

/// Replace a tree's packed index (`doctor --repair`).
pub fn write_packed(
    client: &mut impl GenericClient,
    hash: &str,
    packed: &[u8],
) -> Result<(), PgError> {
    client.execute(
        "UPDATE pggit.trees SET packed = $2 WHERE hash = $1",
        &[&hash, &packed],
    )?;
    Ok(())
}

/// Entry hashes of a tree, by object id (cheap: no object bodies).
pub fn tree_index(
    client: &mut impl GenericClient,
    hash: &str,
) -> Result<BTreeMap<String, String>, PgError> {
    let row = client
        .query_opt(
            "SELECT ids, objects FROM pggit.trees WHERE hash = $1",
            &[&hash],
        )?
        .ok_or_else(|| PgError::Unexpected(format!("tree {hash} is missing")))?;
    let ids: Vec<String> = row.get(0);
    let objects: Vec<String> = row.get(1);
    Ok(ids.into_iter().zip(objects).collect())
}

/// Load a whole tree.
pub fn read_tree(client: &mut impl GenericClient, hash: &str) -> Result<Tree, PgError> {
    let mut trees = read_trees(client, &[hash])?;
    Ok(trees.remove(0))
}

/// Load several trees, fetching and parsing each distinct object once.
pub fn read_trees(client: &mut impl GenericClient, hashes: &[&str]) -> Result<Vec<Tree>, PgError> {
    let mut indexes: HashMap<String, (Vec<String>, Vec<String>)> = client
        .query(
            "SELECT hash, ids, objects FROM pggit.trees WHERE hash = ANY($1)",
            &[&hashes],
        )?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let Some(first) = hashes.first() else {
        return Ok(Vec::new());
    };
    // The first tree's objects by joining its index (one index probe per
    // object, no de-duplication needed), then only what the others add.
    let mut rows = client.query(
        "SELECT o.hash, o.body::text FROM pggit.trees t CROSS JOIN LATERAL unnest(t.objects) AS h(hash)
           JOIN pggit.objects o ON o.hash = h.hash WHERE t.hash = $1",
        &[first],
    )?;
    let known: std::collections::HashSet<&str> = indexes
        .get(*first)
        .map(|(_, objects)| objects.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let mut extra: Vec<&str> = indexes
        .iter()
        .filter(|(h, _)| h.as_str() != *first)
        .flat_map(|(_, (_, objects))| objects.iter().map(String::as_str))
        .filter(|h| !known.contains(h))
        .collect();
    extra.sort_unstable();
    extra.dedup();
    if !extra.is_empty() {
        rows.extend(client.query(
            "SELECT hash, body::text FROM pggit.objects WHERE hash = ANY($1)",
            &[&extra],
        )?);
    }
    let bodies = parse_bodies(&rows)?;
    let mut trees = Vec::with_capacity(hashes.len());
    for h in hashes {
        let (ids, objects) = indexes
            .remove(*h)
            .ok_or_else(|| PgError::Unexpected(format!("tree {h} is missing")))?;
        let mut tree = Tree::default();
        for (id, oh) in ids.into_iter().zip(objects) {
            let entry = bodies
                .get(oh.as_str())
                .ok_or_else(|| PgError::Unexpected(format!("object {oh} is missing")))?;
            tree.entries.insert(id, Arc::clone(entry));
        }
        trees.push(tree);
    }
    Ok(trees)
}

/// Parse object bodies, on two threads when there are many.
fn parse_bodies(rows: &[postgres::Row]) -> Result<HashMap<&str, Arc<Entry>>, PgError> {
    fn parse(chunk: &[postgres::Row]) -> Result<Vec<(&str, Arc<Entry>)>, PgError> {
        chunk
            .iter()
            .map(|r| {
                let hash: &str = r.get(0);
                let body: &str = r.get(1);
                serde_json::from_str(body)
                    .map(|e| (hash, Arc::new(e)))
                    .map_err(|e| PgError::Unexpected(format!("object {hash} is unreadable: {e}")))
            })
            .collect()
    }
    let parsed: Vec<Vec<(&str, Arc<Entry>)>> = if rows.len() < 2000 {
        vec![parse(rows)?]
    } else {
        let (a, b) = rows.split_at(rows.len() / 2);
        std::thread::scope(|s| {
            let h = s.spawn(|| parse(b));
            let first = parse(a);
            let second = h
                .join()
                .map_err(|_| PgError::Unexpected("object parser thread panicked".into()))?;
            Ok::<_, PgError>(vec![first?, second?])
        })?
    };
    Ok(parsed.into_iter().flatten().collect())
}

const COMMIT_COLUMNS: &str = "id, tree, parents, generation, author, committer, message, \
    to_char(authored_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
    to_char(committed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

fn commit_from(row: &postgres::Row) -> Commit {
    Commit {
        id: row.get(0),
        tree: row.get(1),
        parents: row.get(2),
        generation: row.get(3),
        author: row.get(4),
        committer: row.get(5),
        message: row.get(6),
        authored_at: row.get(7),
        committed_at: row.get(8),
    }
}

/// Key of the lock that serialises commit writes (segment assignment).
const COMMIT_WRITE_LOCK: i64 = 0x7067_6769_7401;

/// Write a commit (inside the caller's transaction; idempotent). A commit
/// with one parent one generation below continues its parent's segment
/// unless another child already did; otherwise it heads a new segment,
/// which is indexed for merge-base search in the same transaction (see
/// [`index_segment`]). The lock, held to the end of the caller's
/// transaction, makes the segment check, the insert and the index atomic.
pub fn write_commit(tx: &mut impl GenericClient, c: &Commit) -> Result<(), PgError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&COMMIT_WRITE_LOCK])?;
    let inserted = tx.query_opt(
        "INSERT INTO pggit.commits (id, tree, parents, generation, author, committer, message, authored_at, committed_at, segment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::timestamptz, $9::text::timestamptz,
                 coalesce((SELECT p.segment FROM pggit.commits p
                            WHERE cardinality($3::text[]) = 1 AND p.id = ($3::text[])[1] AND p.generation + 1 = $4
                              AND NOT EXISTS (SELECT FROM pggit.commits s
                                               WHERE s.segment = p.segment AND s.generation = $4)), $1))
         ON CONFLICT (id) DO NOTHING
         RETURNING segment",
        &[&c.id, &c.tree, &c.parents, &c.generation, &c.author, &c.committer, &c.message, &c.authored_at, &c.committed_at],
    )?;
    if inserted.is_some_and(|r| r.get::<_, &str>(0) == c.id) {
        index_segment(tx, &c.id, c.generation, &c.parents)?;
    }
    Ok(())
}

/// Index a new segment headed by commit `id` (see
/// `pggit_core::merge::reach`): its link in the first-parent tree of
/// segments — under the segment of the head's first parent, one deeper, with
/// the skew-binary skip pointer of `Link::under` — and a child row in each
/// segment holding one of its parents. Parents must be indexed already.
fn index_segment(
    tx: &mut impl GenericClient,
    id: &str,
    generation: i32,
    parents: &[String],
) -> Result<(), PgError> {
    tx.execute(
        "WITH parent AS (
             SELECT k.segment, k.generation, u.n
               FROM unnest($3::text[]) WITH ORDINALITY AS u(id, n)
               JOIN pggit.commits k ON k.id = u.id
         ), up AS (
             SELECT s.id, s.depth, s.jump, s.jump_depth, p.generation AS at
               FROM parent p JOIN pggit.segments s ON s.id = p.segment
              WHERE p.n = 1
         ), skip AS (
             SELECT s.jump, s.jump_depth,
                    s.jump IS NOT NULL AND up.depth - up.jump_depth = up.jump_depth - s.jump_depth AS doubles
               FROM up JOIN pggit.segments s ON s.id = up.jump
         ), node AS (
             INSERT INTO pggit.segments (id, generation, depth, up, up_generation, jump, jump_depth)
             SELECT $1, $2, coalesce(up.depth + 1, 0), up.id, up.at,
                    CASE WHEN skip.doubles THEN skip.jump ELSE up.id END,
                    CASE WHEN skip.doubles THEN skip.jump_depth ELSE up.depth END
               FROM (VALUES (1)) AS one (x) LEFT JOIN up ON true LEFT JOIN skip ON true
             RETURNING id
         )
         INSERT INTO pggit.segment_children (segment, child, generation, child_generation)
         SELECT p.segment, node.id, max(p.generation), $2 FROM parent p CROSS JOIN node
          GROUP BY p.segment, node.id",
        &[&id, &generation, &parents],
    )?;
    Ok(())
}

/// Index every segment the merge-base index lacks, parents first, as
/// [`write_commit`] would have (the in-place upgrade to schema version 3, and
/// histories loaded in bulk). Returns how many were indexed.
pub fn index_segments(tx: &mut impl GenericClient) -> Result<usize, PgError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&COMMIT_WRITE_LOCK])?;
    let heads = tx.query(
        "SELECT k.id, k.generation, k.parents FROM pggit.commits k
          WHERE k.id = k.segment AND NOT EXISTS (SELECT FROM pggit.segments s WHERE s.id = k.id)
          ORDER BY k.generation, k.id",
        &[],
    )?;
    for r in &heads {
        let parents: Vec<String> = r.get(2);
        index_segment(tx, r.get(0), r.get(1), &parents)?;
    }
    Ok(heads.len())
}

pub fn read_commit(client: &mut impl GenericClient, id: &str) -> Result<Option<Commit>, PgError> {
    Ok(client
        .query_opt(
            &format!("SELECT {COMMIT_COLUMNS} FROM pggit.commits WHERE id = $1"),
            &[&id],
        )?
        .map(|r| commit_from(&r)))
}

/// Commits whose id starts with `prefix` (at most 2, to detect ambiguity).
pub fn commits_by_prefix(
    client: &mut impl GenericClient,
    prefix: &str,
) -> Result<Vec<String>, PgError> {
    let pattern = format!(
        "{}%",
        prefix
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    Ok(client
        .query(
            "SELECT id FROM pggit.commits WHERE id LIKE $1 ORDER BY id LIMIT 2",
            &[&pattern],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// All ancestors of `start` (inclusive), newest first (generation, then time).
pub fn ancestors(
    client: &mut impl GenericClient,
    start: &str,
    limit: Option<i64>,
) -> Result<Vec<Commit>, PgError> {
    let sql = format!(
        "WITH RECURSIVE a(id) AS (
             SELECT $1::text
             UNION
             SELECT p FROM a JOIN pggit.commits c ON c.id = a.id CROSS JOIN LATERAL unnest(c.parents) p
         )
         SELECT {COMMIT_COLUMNS} FROM pggit.commits WHERE id IN (SELECT id FROM a)
         ORDER BY generation DESC, committed_at DESC, id LIMIT $2"
    );
    Ok(client
        .query(&sql, &[&start, &limit])?
        .iter()
        .map(commit_from)
        .collect())
}

/// A ref row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ref {
    pub name: String,
    pub kind: String,
    pub commit: String,
}

pub fn read_ref(client: &mut impl GenericClient, name: &str) -> Result<Option<Ref>, PgError> {
    Ok(client
        .query_opt(
            "SELECT name, kind, commit FROM pggit.refs WHERE name = $1",
            &[&name],
        )?
        .map(|r| Ref {
            name: r.get(0),
            kind: r.get(1),
            commit: r.get(2),
        }))
}

pub fn list_refs(client: &mut impl GenericClient, kind: &str) -> Result<Vec<Ref>, PgError> {
    Ok(client
        .query(
            "SELECT name, kind, commit FROM pggit.refs WHERE kind = $1 ORDER BY name",
            &[&kind],
        )?
        .iter()
        .map(|r| Ref {
            name: r.get(0),
            kind: r.get(1),
            commit: r.get(2),
        })
        .collect())
}

/// Create a ref; false when the name is taken.
pub fn create_ref(
    tx: &mut impl GenericClient,
    name: &str,
    kind: &str,
    commit: &str,
    message: &str,
) -> Result<bool, PgError> {
    let n = tx.execute(
        "INSERT INTO pggit.refs (name, kind, commit) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        &[&name, &kind, &commit],
    )?;
    if n == 1 {
        reflog(tx, name, None, Some(commit), message)?;
    }
    Ok(n == 1)
}

/// Move a ref from `old` to `new` only if it still points at `old`.
pub fn cas_ref(
    tx: &mut impl GenericClient,
    name: &str,
    old: &str,
    new: &str,
    message: &str,
) -> Result<bool, PgError> {
    let n = tx.execute(
        "UPDATE pggit.refs SET commit = $3, updated_at = now() WHERE name = $1 AND commit = $2",
        &[&name, &old, &new],
    )?;
    if n == 1 {
        reflog(tx, name, Some(old), Some(new), message)?;
    }
    Ok(n == 1)
}

pub fn delete_ref(
    tx: &mut impl GenericClient,
    name: &str,
    message: &str,
) -> Result<Option<String>, PgError> {
    let row = tx.query_opt(
        "DELETE FROM pggit.refs WHERE name = $1 RETURNING commit",
        &[&name],
    )?;
    let commit: Option<String> = row.map(|r| r.get(0));
    if let Some(c) = &commit {
        reflog(tx, name, Some(c), None, message)?;
    }
    Ok(commit)
}

fn reflog(
    tx: &mut impl GenericClient,
    name: &str,
    old: Option<&str>,
    new: Option<&str>,
    message: &str,
) -> Result<(), PgError> {
    tx.execute(
        "INSERT INTO pggit.reflog (ref, old_commit, new_commit, message) VALUES ($1, $2, $3, $4)",
        &[&name, &old, &new, &message],
    )?;
    Ok(())
}

pub fn head_branch(client: &mut impl GenericClient) -> Result<String, PgError> {
    Ok(client
        .query_one("SELECT branch FROM pggit.head", &[])?
        .get(0))
}

pub fn set_head(tx: &mut impl GenericClient, branch: &str) -> Result<(), PgError> {
    tx.execute(
        "INSERT INTO pggit.head (branch) VALUES ($1) ON CONFLICT (singleton) DO UPDATE SET branch = excluded.branch",
        &[&branch],
    )?;
    Ok(())
}

/// Identity map of a workspace.
pub fn read_identities(
    client: &mut impl GenericClient,
    workspace: &str,
) -> Result<IdentityMap, PgError> {
    Ok(client
        .query(
            "SELECT key, id FROM pggit.identities WHERE workspace = $1",
            &[&workspace],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Replace the identity map of a workspace, writing only what changed
/// relative to `previous` (the map read at the start of the operation).
pub fn write_identities(
    tx: &mut impl GenericClient,
    workspace: &str,
    previous: Option<&IdentityMap>,
    map: &IdentityMap,
) -> Result<(), PgError> {
    let (gone, changed): (Vec<&String>, Vec<(&String, &String)>) = match previous {
        Some(prev) => (
            prev.keys().filter(|k| !map.contains_key(*k)).collect(),
            map.iter()
                .filter(|(k, v)| prev.get(*k) != Some(*v))
                .collect(),
        ),
        None => {
            tx.execute(
                "DELETE FROM pggit.identities WHERE workspace = $1",
                &[&workspace],
            )?;
            (Vec::new(), map.iter().collect())
        }
    };
    if !gone.is_empty() {
        tx.execute(
            "DELETE FROM pggit.identities WHERE workspace = $1 AND key = ANY($2)",
            &[&workspace, &gone],
        )?;
    }
    if !changed.is_empty() {
        let (keys, ids): (Vec<&String>, Vec<&String>) = changed.into_iter().unzip();
        tx.execute(
            "INSERT INTO pggit.identities (workspace, key, id)
             SELECT $1, k, i FROM unnest($2::text[], $3::text[]) AS u(k, i)
             ON CONFLICT (workspace, key) DO UPDATE SET id = excluded.id",
            &[&workspace, &keys, &ids],
        )?;
    }
    Ok(())
}

/// One captured DDL statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DdlEvent {
    pub id: i64,
    pub at: String,
    pub role: String,
    pub application_name: Option<String>,
    pub txid: i64,
    pub command_tag: String,
    pub object_type: Option<String>,
    pub object_identity: Option<String>,
    pub statement: Option<String>,
}

/// Captured DDL after `since` in the connected (workspace) database.
pub fn ddl_since(client: &mut impl GenericClient, since: i64) -> Result<Vec<DdlEvent>, PgError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('pggit.ddl_log') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    Ok(client
        .query(
            "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), role, application_name,
                    txid, command_tag, object_type, object_identity, statement
               FROM pggit.ddl_log WHERE id > $1 ORDER BY id",
            &[&since],
        )?
        .iter()
        .map(|r| DdlEvent {
            id: r.get(0),
            at: r.get(1),
            role: r.get(2),
            application_name: r.get(3),
            txid: r.get(4),
            command_tag: r.get(5),
            object_type: r.get(6),
            object_identity: r.get(7),
            statement: r.get(8),
        })
        .collect())
}

/// Highest captured DDL id in the connected database (0 when none).
pub fn ddl_high_water(client: &mut impl GenericClient) -> Result<i64, PgError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('pggit.ddl_log') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_one("SELECT coalesce(max(id), 0) FROM pggit.ddl_log", &[])?
        .get(0))
}

/// Every stored commit (for integrity checks).
pub fn all_commits(client: &mut impl GenericClient) -> Result<Vec<Commit>, PgError> {
    Ok(client
        .query(
            &format!("SELECT {COMMIT_COLUMNS} FROM pggit.commits ORDER BY generation, id"),
            &[],
        )?
        .iter()
        .map(commit_from)
        .collect())
}

/// Hashes of every stored tree.
pub fn all_tree_hashes(client: &mut impl GenericClient) -> Result<Vec<String>, PgError> {
    Ok(client
        .query("SELECT hash FROM pggit.trees ORDER BY hash", &[])?
        .into_iter()
        .map(|r| r.get(0))
        .collect())
}
