//! Merge records and conflict records (`pggit.merge_records`,
//! `pggit.merge_conflicts`), and the commit-graph reads merge-base search
//! needs.

use postgres::GenericClient;
use serde::Serialize;
use serde_json::Value;

use crate::PgError;

const TS: &str = r#"'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'"#;

/// One merge, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergeRecord {
    pub id: i64,
    pub source: String,
    pub target: String,
    pub source_commit: String,
    pub target_commit: String,
    pub base_commits: Vec<String>,
    pub strategy: String,
    pub mode: String,
    pub message: Option<String>,
    pub created_by: String,
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub error: Option<String>,
    pub migration: Option<String>,
    pub result_commit: Option<String>,
    pub reverted_by: Option<String>,
}

fn merge_columns() -> String {
    format!(
        "id, source, target, source_commit, target_commit, base_commits, strategy, mode, message, created_by, status,
         to_char(started_at AT TIME ZONE 'UTC', {TS}), to_char(finished_at AT TIME ZONE 'UTC', {TS}),
         error, migration, result_commit, reverted_by"
    )
}

fn merge_from(r: &postgres::Row) -> MergeRecord {
    MergeRecord {
        id: r.get(0),
        source: r.get(1),
        target: r.get(2),
        source_commit: r.get(3),
        target_commit: r.get(4),
        base_commits: r.get(5),
        strategy: r.get(6),
        mode: r.get(7),
        message: r.get(8),
        created_by: r.get(9),
        status: r.get(10),
        started_at: r.get(11),
        finished_at: r.get(12),
        error: r.get(13),
        migration: r.get(14),
        result_commit: r.get(15),
        reverted_by: r.get(16),
    }
}

/// What a new merge record holds.
#[derive(Debug, Clone)]
pub struct NewMerge<'a> {
    pub source: &'a str,
    pub target: &'a str,
    pub source_commit: &'a str,
    pub target_commit: &'a str,
    pub base_commits: &'a [String],
    pub strategy: &'a str,
    pub mode: &'a str,
    pub message: Option<&'a str>,
    pub status: &'a str,
}

/// Insert a merge record. Fails with a unique violation when `target`
/// already has an open merge.
pub fn insert(tx: &mut impl GenericClient, m: &NewMerge<'_>) -> Result<i64, PgError> {
    Ok(tx
        .query_one(
            "INSERT INTO pggit.merge_records (source, target, source_commit, target_commit, base_commits, strategy, mode, message, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[&m.source, &m.target, &m.source_commit, &m.target_commit, &m.base_commits, &m.strategy, &m.mode, &m.message, &m.status],
        )?
        .get(0))
}

/// Final or intermediate state of a merge.
#[derive(Debug, Clone, Default)]
pub struct Update<'a> {
    pub status: &'a str,
    pub error: Option<&'a str>,
    pub migration: Option<&'a str>,
    pub result_commit: Option<&'a str>,
}

pub fn update(tx: &mut impl GenericClient, id: i64, u: &Update<'_>) -> Result<(), PgError> {
    let done = matches!(u.status, "completed" | "aborted" | "rolled-back");
    tx.execute(
        "UPDATE pggit.merge_records
            SET status = $2, error = $3, migration = coalesce($4, migration),
                result_commit = coalesce($5, result_commit),
                finished_at = CASE WHEN $6 THEN clock_timestamp() ELSE finished_at END
          WHERE id = $1",
        &[
            &id,
            &u.status,
            &u.error,
            &u.migration,
            &u.result_commit,
            &done,
        ],
    )?;
    Ok(())
}

/// Mark a completed merge as rolled back by `commit`.
pub fn mark_rolled_back(tx: &mut impl GenericClient, id: i64, commit: &str) -> Result<(), PgError> {
    tx.execute(
        "UPDATE pggit.merge_records SET status = 'rolled-back', reverted_by = $2 WHERE id = $1",
        &[&id, &commit],
    )?;
    Ok(())
}

pub fn get(client: &mut impl GenericClient, id: i64) -> Result<Option<MergeRecord>, PgError> {
    let sql = format!(
        "SELECT {} FROM pggit.merge_records WHERE id = $1",
        merge_columns()
    );
    Ok(client.query_opt(&sql, &[&id])?.map(|r| merge_from(&r)))
}

/// The open (in-progress or conflicted) merge into `target`.
pub fn open_for(
    client: &mut impl GenericClient,
    target: &str,
) -> Result<Option<MergeRecord>, PgError> {
    let sql = format!(
        "SELECT {} FROM pggit.merge_records WHERE target = $1 AND status IN ('in-progress', 'conflicted')",
        merge_columns()
    );
    Ok(client.query_opt(&sql, &[&target])?.map(|r| merge_from(&r)))
}

/// The most recent merge into `target`.
pub fn latest_for(
    client: &mut impl GenericClient,
    target: &str,
) -> Result<Option<MergeRecord>, PgError> {
    let sql = format!(
        "SELECT {} FROM pggit.merge_records WHERE target = $1 ORDER BY id DESC LIMIT 1",
        merge_columns()
    );
    Ok(client.query_opt(&sql, &[&target])?.map(|r| merge_from(&r)))
}

/// The completed merge that produced `commit`.
pub fn by_result(
    client: &mut impl GenericClient,
    commit: &str,
) -> Result<Option<MergeRecord>, PgError> {
    let sql = format!(
        "SELECT {} FROM pggit.merge_records WHERE result_commit = $1 AND status = 'completed'",
        merge_columns()
    );
    Ok(client.query_opt(&sql, &[&commit])?.map(|r| merge_from(&r)))
}

/// One conflict, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictRecord {
    pub id: i64,
    pub merge_id: i64,
    pub object_id: String,
    pub part: String,
    pub object: String,
    pub object_type: String,
    pub part_label: String,
    pub kind: String,
    pub severity: String,
    pub message: Option<String>,
    pub base: Option<Value>,
    pub ours: Option<Value>,
    pub theirs: Option<Value>,
    pub resolution: Option<String>,
    pub custom_sql: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    pub note: Option<String>,
}

fn conflict_columns() -> String {
    format!(
        "id, merge_id, object_id, part, object, object_type, part_label, kind, severity, message, base, ours, theirs,
         resolution, custom_sql, resolved_by, to_char(resolved_at AT TIME ZONE 'UTC', {TS}), note"
    )
}

fn conflict_from(r: &postgres::Row) -> ConflictRecord {
    ConflictRecord {
        id: r.get(0),
        merge_id: r.get(1),
        object_id: r.get(2),
        part: r.get(3),
        object: r.get(4),
        object_type: r.get(5),
        part_label: r.get(6),
        kind: r.get(7),
        severity: r.get(8),
        message: r.get(9),
        base: r.get(10),
        ours: r.get(11),
        theirs: r.get(12),
        resolution: r.get(13),
        custom_sql: r.get(14),
        resolved_by: r.get(15),
        resolved_at: r.get(16),
        note: r.get(17),
    }
}

/// A conflict to record.
#[derive(Debug, Clone)]
pub struct NewConflict<'a> {
    pub object_id: &'a str,
    pub part: &'a str,
    pub object: &'a str,
    pub object_type: &'a str,
    pub part_label: &'a str,
    pub kind: &'a str,
    pub severity: &'a str,
    pub message: Option<&'a str>,
    pub base: Option<&'a Value>,
    pub ours: Option<&'a Value>,
    pub theirs: Option<&'a Value>,
    /// Settled by the strategy (`ours`/`theirs`) when recorded.
    pub resolution: Option<&'a str>,
}

/// Record conflicts; one already recorded for the same unit is kept.
pub fn insert_conflicts(
    tx: &mut impl GenericClient,
    merge_id: i64,
    conflicts: &[NewConflict<'_>],
) -> Result<usize, PgError> {
    let stmt = tx.prepare(
        "INSERT INTO pggit.merge_conflicts
             (merge_id, object_id, part, object, object_type, part_label, kind, severity, message, base, ours, theirs,
              resolution, resolved_by, resolved_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
                 CASE WHEN $13::text IS NULL THEN NULL ELSE current_user END,
                 -- Settled by the strategy: no time spent, so no resolution history.
                 CASE WHEN $13::text IS NULL THEN NULL ELSE now() END,
                 CASE WHEN $13::text IS NULL THEN clock_timestamp() ELSE now() END)
         ON CONFLICT (merge_id, object_id, part) DO NOTHING",
    )?;
    let mut n = 0;
    for c in conflicts {
        n += tx.execute(
            &stmt,
            &[
                &merge_id,
                &c.object_id,
                &c.part,
                &c.object,
                &c.object_type,
                &c.part_label,
                &c.kind,
                &c.severity,
                &c.message,
                &c.base,
                &c.ours,
                &c.theirs,
                &c.resolution,
            ],
        )? as usize;
    }
    Ok(n)
}

/// Conflicts of a merge, in id order.
pub fn conflicts(
    client: &mut impl GenericClient,
    merge_id: i64,
) -> Result<Vec<ConflictRecord>, PgError> {
    let sql = format!(
        "SELECT {} FROM pggit.merge_conflicts WHERE merge_id = $1 ORDER BY id",
        conflict_columns()
    );
    Ok(client
        .query(&sql, &[&merge_id])?
        .iter()
        .map(conflict_from)
        .collect())
}

/// Conflicts by id, locked for update (for resolution).
pub fn conflicts_for_update(
    tx: &mut impl GenericClient,
    ids: &[i64],
) -> Result<Vec<ConflictRecord>, PgError> {
    let sql = format!(
        "SELECT {} FROM pggit.merge_conflicts WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        conflict_columns()
    );
    Ok(tx.query(&sql, &[&ids])?.iter().map(conflict_from).collect())
}

/// Record a decision for one conflict.
pub fn resolve(
    tx: &mut impl GenericClient,
    id: i64,
    resolution: &str,
    custom_sql: Option<&str>,
    note: Option<&str>,
) -> Result<(), PgError> {
    tx.execute(
        "UPDATE pggit.merge_conflicts
            SET resolution = $2, custom_sql = $3, note = $4, resolved_by = current_user, resolved_at = clock_timestamp()
          WHERE id = $1",
        &[&id, &resolution, &custom_sql, &note],
    )?;
    Ok(())
}

/// Re-open the custom resolutions of a merge whose definitions failed, with
/// the reason.
pub fn reopen_custom(
    tx: &mut impl GenericClient,
    merge_id: i64,
    message: &str,
) -> Result<u64, PgError> {
    Ok(tx.execute(
        "UPDATE pggit.merge_conflicts
            SET resolution = NULL, resolved_by = NULL, resolved_at = NULL, custom_sql = NULL, message = $2
          WHERE merge_id = $1 AND resolution = 'custom'",
        &[&merge_id, &message],
    )?)
}

/// Seconds taken to resolve past conflicts by hand (created to resolved),
/// by kind. Conflicts settled by a strategy when recorded are left out.
pub fn resolution_times(client: &mut impl GenericClient) -> Result<Vec<(String, f64)>, PgError> {
    Ok(client
        .query(
            "SELECT kind, extract(epoch FROM resolved_at - created_at)::float8
               FROM pggit.merge_conflicts
              WHERE resolved_at IS NOT NULL AND resolved_at - created_at > interval '0'",
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Columns of a [`SegmentLink`] of the `pggit.segments` row `s` (a macro so
/// that queries stay `&'static str`).
macro_rules! link_columns {
    () => {
        "s.id, s.generation, s.depth, s.up, s.up_generation, s.jump, s.jump_depth"
    };
}

/// A row of `pggit.segments`: a segment's place in the first-parent tree of
/// segments (see `pggit_core::merge::reach`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentLink {
    pub id: String,
    /// Generation of the segment's head.
    pub generation: i32,
    pub depth: i32,
    pub up: Option<(String, i32)>,
    pub jump: Option<(String, i32)>,
}

/// The `link_columns!()` of a row from column `at` on (none when the
/// segment is not indexed).
fn link_at(r: &postgres::Row, at: usize) -> Option<SegmentLink> {
    Some(SegmentLink {
        id: r.get::<_, Option<String>>(at)?,
        generation: r.get(at + 1),
        depth: r.get(at + 2),
        up: r
            .get::<_, Option<String>>(at + 3)
            .zip(r.get::<_, Option<i32>>(at + 4)),
        jump: r
            .get::<_, Option<String>>(at + 5)
            .zip(r.get::<_, Option<i32>>(at + 6)),
    })
}

/// `(commit, segment, generation, link of the segment)`: a position and the
/// segment's link (none when the segment is not indexed).
pub type Placed = (String, String, i32, Option<SegmentLink>);

/// The positions of the given commits.
pub fn positions(client: &mut impl GenericClient, ids: &[&str]) -> Result<Vec<Placed>, PgError> {
    Ok(client
        .query(
            concat!(
                "SELECT c.id, c.segment, c.generation, ",
                link_columns!(),
                "
                   FROM pggit.commits c LEFT JOIN pggit.segments s ON s.id = c.segment
                  WHERE c.id = ANY($1)"
            ),
            &[&ids],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), link_at(r, 3)))
        .collect())
}

/// Parents of segment heads, as `(head, parent segment, parent generation,
/// link of the parent segment)` in parent order: the head of `segment` and,
/// prefetched, every segment head in the `window` generations below it (a
/// walk usually needs those next).
pub fn head_parents(
    client: &mut impl GenericClient,
    segment: &str,
    window: i32,
) -> Result<Vec<Placed>, PgError> {
    Ok(client
        .query(
            concat!(
                "WITH h AS (SELECT id, generation FROM pggit.commits WHERE id = $1),
                      heads AS (
                          SELECT id FROM h
                          UNION ALL
                          SELECT c.id FROM pggit.commits c, h
                           WHERE c.generation >= h.generation - $2 AND c.generation < h.generation
                             AND c.id = c.segment)
                 SELECT c.id, p.segment, p.generation, ",
                link_columns!(),
                "
                   FROM heads
                   JOIN pggit.commits c ON c.id = heads.id
                  CROSS JOIN LATERAL unnest(c.parents) WITH ORDINALITY AS u(pid, n)
                   JOIN pggit.commits p ON p.id = u.pid
                   LEFT JOIN pggit.segments s ON s.id = p.segment
                  ORDER BY c.id, u.n"
            ),
            &[&segment, &window],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), link_at(r, 3)))
        .collect())
}

/// Children of a segment entering it above generation `above`, with heads
/// at most `max_head_generation`: `(entry generation, child's link)`,
/// highest entry first.
pub fn segment_children(
    client: &mut impl GenericClient,
    segment: &str,
    above: i32,
    max_head_generation: i32,
) -> Result<Vec<(i32, SegmentLink)>, PgError> {
    Ok(client
        .query(
            concat!(
                "SELECT k.generation, ",
                link_columns!(),
                "
                   FROM pggit.segment_children k JOIN pggit.segments s ON s.id = k.child
                  WHERE k.segment = $1 AND k.generation > $2 AND k.child_generation <= $3
                  ORDER BY k.generation DESC, k.child"
            ),
            &[&segment, &above, &max_head_generation],
        )?
        .iter()
        .filter_map(|r| Some((r.get(0), link_at(r, 1)?)))
        .collect())
}

/// The link of `segment` and, with `toward`, those of the segments a
/// level-ancestor walk from it toward that depth visits (taking the skip
/// pointer when it does not pass the depth, else the first parent's
/// segment), fetched at once.
pub fn segment_links(
    client: &mut impl GenericClient,
    segment: &str,
    toward: Option<i32>,
) -> Result<Vec<SegmentLink>, PgError> {
    Ok(client
        .query(
            concat!(
                "WITH RECURSIVE w AS (
                     SELECT id, generation, depth, up, up_generation, jump, jump_depth
                       FROM pggit.segments WHERE id = $1
                     UNION ALL
                     SELECT s.id, s.generation, s.depth, s.up, s.up_generation, s.jump, s.jump_depth
                       FROM w JOIN pggit.segments s
                         ON s.id = CASE WHEN w.jump_depth >= $2 THEN w.jump ELSE w.up END
                      WHERE w.depth > $2
                 )
                 SELECT ",
                link_columns!(),
                " FROM w AS s"
            ),
            &[&segment, &toward.unwrap_or(i32::MAX)],
        )?
        .iter()
        .filter_map(|r| link_at(r, 0))
        .collect())
}

/// The commit at a position.
pub fn commit_at(
    client: &mut impl GenericClient,
    segment: &str,
    generation: i32,
) -> Result<Option<String>, PgError> {
    Ok(client
        .query_opt(
            "SELECT id FROM pggit.commits WHERE segment = $1 AND generation = $2",
            &[&segment, &generation],
        )?
        .map(|r| r.get(0)))
}
