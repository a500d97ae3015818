//! The `pggit` schema: plain SQL installed by `pggit init`, versioned in
//! `pggit.meta` and upgraded in place by later releases.

use postgres::GenericClient;

use crate::PgError;

/// Version of the repository schema this build writes.
pub const SCHEMA_VERSION: i32 = 5;

/// Repository tables (only in the repository database).
const REPOSITORY_SQL: &str = r#"
CREATE SCHEMA pggit;
COMMENT ON SCHEMA pggit IS 'pggit repository: schema version control';
CREATE TABLE pggit.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE pggit.config (key text PRIMARY KEY, value jsonb NOT NULL);
CREATE TABLE pggit.objects (
    hash text PRIMARY KEY,
    kind text NOT NULL,
    -- The canonical JSON exactly as hashed (json keeps the text verbatim).
    body json NOT NULL
);
CREATE TABLE pggit.trees (
    hash text PRIMARY KEY,
    ids text[] NOT NULL,
    objects text[] NOT NULL
);
CREATE TABLE pggit.commits (
    id text PRIMARY KEY,
    tree text NOT NULL REFERENCES pggit.trees,
    parents text[] NOT NULL,
    generation integer NOT NULL,
    author text NOT NULL,
    committer text NOT NULL,
    message text NOT NULL,
    authored_at timestamptz NOT NULL,
    committed_at timestamptz NOT NULL
);
CREATE TABLE pggit.refs (
    name text PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('branch', 'tag')),
    commit text NOT NULL REFERENCES pggit.commits,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE pggit.head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    branch text NOT NULL
);
CREATE TABLE pggit.reflog (
    id bigserial PRIMARY KEY,
    ref text NOT NULL,
    old_commit text,
    new_commit text,
    at timestamptz NOT NULL DEFAULT now(),
    who text NOT NULL DEFAULT current_user,
    message text NOT NULL
);
CREATE TABLE pggit.workspaces (
    branch text PRIMARY KEY,
    dbname text NOT NULL UNIQUE,
    state text NOT NULL CHECK (state IN ('building', 'ready')),
    -- An operation in flight (reset/revert): {"op":..., "from": tree, "to": tree, "commit": id}
    pending jsonb,
    ddl_seen bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE pggit.identities (
    workspace text NOT NULL,
    key text NOT NULL,
    id text NOT NULL,
    PRIMARY KEY (workspace, key)
);
CREATE VIEW pggit.log AS
    SELECT c.id, c.parents, c.author, c.committer, c.message, c.authored_at, c.committed_at, c.tree,
           ARRAY(SELECT r.name FROM pggit.refs r WHERE r.commit = c.id ORDER BY r.name) AS refs
      FROM pggit.commits c
     ORDER BY c.generation DESC, c.committed_at DESC;
CREATE VIEW pggit.branches AS
    SELECT r.name, r.commit, (h.branch IS NOT NULL) AS is_head, w.dbname AS workspace, w.state AS workspace_state,
           c.message, c.committed_at
      FROM pggit.refs r
      JOIN pggit.commits c ON c.id = r.commit
      LEFT JOIN pggit.workspaces w ON w.branch = r.name
      LEFT JOIN pggit.head h ON h.branch = r.name
     WHERE r.kind = 'branch';
CREATE VIEW pggit.tags AS
    SELECT r.name, r.commit, r.updated_at FROM pggit.refs r WHERE r.kind = 'tag';
-- Every (commit, object) whose content differs from the commit's first parent.
CREATE VIEW pggit.object_history AS
    WITH entries AS (
        SELECT c.id AS commit, c.parents[1] AS parent, c.committed_at, e.id AS object_id, e.hash
          FROM pggit.commits c
          JOIN pggit.trees t ON t.hash = c.tree
          CROSS JOIN LATERAL unnest(t.ids, t.objects) AS e(id, hash)
    ), parent_entries AS (
        SELECT c.id AS commit, e.id AS object_id, e.hash
          FROM pggit.commits c
          JOIN pggit.commits p ON p.id = c.parents[1]
          JOIN pggit.trees t ON t.hash = p.tree
          CROSS JOIN LATERAL unnest(t.ids, t.objects) AS e(id, hash)
    )
    SELECT coalesce(n.commit, o.commit) AS commit, coalesce(n.object_id, o.object_id) AS object_id,
           CASE WHEN o.hash IS NULL THEN 'added' WHEN n.hash IS NULL THEN 'removed' ELSE 'modified' END AS change,
           coalesce(nb.kind, ob.kind) AS kind,
           coalesce(nb.body, ob.body) -> 'object' ->> 'name' AS name,
           n.hash AS new_hash, o.hash AS old_hash
      FROM entries n
      FULL JOIN parent_entries o ON o.commit = n.commit AND o.object_id = n.object_id
      LEFT JOIN pggit.objects nb ON nb.hash = n.hash
      LEFT JOIN pggit.objects ob ON ob.hash = o.hash
     WHERE n.hash IS DISTINCT FROM o.hash
       AND (n.commit IS NULL OR n.parent IS NOT NULL OR o.hash IS NULL);
"#;

/// Version 2: merge records and conflicts, and the index merge-base
/// search walks by.
const MERGE_SQL: &str = r#"
CREATE INDEX commits_generation ON pggit.commits (generation);
-- Segments: chains of single-parent commits, one generation apart, named by
-- their first commit; merge-base search skips a chain in one step.
ALTER TABLE pggit.commits ADD COLUMN segment text;
DO $$
DECLARE
    c record;
    p record;
BEGIN
    FOR c IN SELECT id, parents, generation FROM pggit.commits ORDER BY generation, id LOOP
        SELECT k.segment, k.generation INTO p FROM pggit.commits k
         WHERE cardinality(c.parents) = 1 AND k.id = c.parents[1];
        IF FOUND AND p.generation + 1 = c.generation AND NOT EXISTS (
               SELECT FROM pggit.commits s WHERE s.segment = p.segment AND s.generation = c.generation) THEN
            UPDATE pggit.commits SET segment = p.segment WHERE id = c.id;
        ELSE
            UPDATE pggit.commits SET segment = c.id WHERE id = c.id;
        END IF;
    END LOOP;
END
$$;
ALTER TABLE pggit.commits ALTER COLUMN segment SET NOT NULL;
CREATE UNIQUE INDEX commits_segment ON pggit.commits (segment, generation);
CREATE TABLE pggit.merge_records (
    id bigserial PRIMARY KEY,
    source text NOT NULL,
    target text NOT NULL,
    source_commit text NOT NULL REFERENCES pggit.commits,
    target_commit text NOT NULL REFERENCES pggit.commits,
    base_commits text[] NOT NULL DEFAULT '{}',
    strategy text NOT NULL,
    mode text NOT NULL CHECK (mode IN ('merge', 'squash', 'fast-forward')),
    message text,
    created_by text NOT NULL DEFAULT current_user,
    status text NOT NULL CHECK (status IN ('in-progress', 'conflicted', 'completed', 'aborted', 'rolled-back')),
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    error text,
    migration text,
    result_commit text REFERENCES pggit.commits,
    reverted_by text REFERENCES pggit.commits
);
-- One open merge per target branch.
CREATE UNIQUE INDEX merge_records_one_open ON pggit.merge_records (target)
    WHERE status IN ('in-progress', 'conflicted');
CREATE TABLE pggit.merge_conflicts (
    id bigserial PRIMARY KEY,
    merge_id bigint NOT NULL REFERENCES pggit.merge_records ON DELETE CASCADE,
    object_id text NOT NULL,
    part text NOT NULL,
    object text NOT NULL,
    object_type text NOT NULL,
    part_label text NOT NULL,
    kind text NOT NULL,
    severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    message text,
    base jsonb,
    ours jsonb,
    theirs jsonb,
    resolution text CHECK (resolution IN ('ours', 'theirs', 'base', 'custom')),
    custom_sql text,
    resolved_by text,
    resolved_at timestamptz,
    note text,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (merge_id, object_id, part)
);
CREATE VIEW pggit.merges AS
    SELECT m.id, m.source, m.target, m.source_commit, m.target_commit, m.base_commits, m.strategy, m.mode,
           m.status, m.created_by, m.started_at, m.finished_at, m.finished_at - m.started_at AS duration,
           m.error, m.result_commit, m.reverted_by, m.message, m.migration,
           (SELECT count(*) FROM pggit.merge_conflicts c WHERE c.merge_id = m.id) AS conflicts,
           (SELECT count(*) FROM pggit.merge_conflicts c WHERE c.merge_id = m.id AND c.resolution IS NULL) AS unresolved
      FROM pggit.merge_records m;
CREATE VIEW pggit.conflicts AS
    SELECT c.id, c.merge_id, c.object, c.object_type, c.part_label AS part, c.kind, c.severity, c.message,
           c.base, c.ours, c.theirs, c.resolution, c.custom_sql, c.resolved_by, c.resolved_at,
           c.resolved_at - c.created_at AS resolution_time, c.note
      FROM pggit.merge_conflicts c;
"#;

/// Version 3: the index merge-base search reads (see
/// `pggit_core::merge::reach`), one row per segment and one per parent of a
/// segment head, written with the head by `store::write_commit`.
const SEGMENT_INDEX_SQL: &str = r#"
-- A segment's place in the first-parent tree of segments: `up` is the
-- segment of its head's first parent (at `up_generation`), `depth` the number
-- of segments below it on that path, `jump` a skip pointer further down it.
CREATE TABLE pggit.segments (
    id text PRIMARY KEY REFERENCES pggit.commits ON DELETE CASCADE,
    generation integer NOT NULL,
    depth integer NOT NULL,
    up text,
    up_generation integer,
    jump text,
    jump_depth integer
);
-- `child`'s head has a parent in `segment`, the highest at `generation`.
CREATE TABLE pggit.segment_children (
    segment text NOT NULL,
    child text NOT NULL REFERENCES pggit.segments ON DELETE CASCADE,
    generation integer NOT NULL,
    child_generation integer NOT NULL,
    PRIMARY KEY (child, segment)
);
CREATE INDEX segment_children_entry ON pggit.segment_children (segment, generation);
"#;

/// Schema version 4: each tree's index packed into one `bytea`
/// (`pggit_core::packed`: ids, raw hashes and the references between
/// entries), so that a diff between two commits chooses the entries it
/// needs (`pggit_core::slice`) from two small values before reading any
/// body. NULL for trees written before version 4, which are read whole.
/// The arrays and the packed index are stored uncompressed: hex digits do
/// not compress, and trying cost a commit of 9,000 objects 40 ms.
const TREE_PACKED_SQL: &str = r#"
ALTER TABLE pggit.trees ADD COLUMN IF NOT EXISTS packed bytea;
ALTER TABLE pggit.trees ALTER COLUMN ids SET STORAGE EXTERNAL,
                        ALTER COLUMN objects SET STORAGE EXTERNAL,
                        ALTER COLUMN packed SET STORAGE EXTERNAL;
"#;

/// What happened when pggit applied a migration (merge, revert, reset),
/// with the findings `pggit lint` had on it: what `lint --calibration`
/// learns from. Version 5.
const OUTCOMES_SQL: &str = r#"
CREATE TABLE pggit.migration_outcomes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    operation text NOT NULL,
    branch text NOT NULL,
    from_commit text NOT NULL,
    to_commit text NOT NULL,
    statements integer NOT NULL,
    duration_ms double precision NOT NULL,
    succeeded boolean NOT NULL,
    -- The server's error and its SQLSTATE (55P03: a lock wait hit lock_timeout).
    error text,
    sqlstate text,
    lock_timeout boolean NOT NULL DEFAULT false,
    -- The findings of `pggit lint` on the migration: [{rule, severity, statement}].
    findings jsonb NOT NULL DEFAULT '[]',
    risk integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE pggit.migration_outcomes IS 'pggit: outcome of every migration pggit applied, with its lint findings';
"#;

/// DDL capture (in the repository database and in every workspace).
const CAPTURE_TABLE_SQL: &str = r#"
CREATE TABLE pggit.ddl_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    role text NOT NULL DEFAULT current_user,
    application_name text DEFAULT current_setting('application_name', true),
    txid bigint NOT NULL DEFAULT txid_current(),
    command_tag text NOT NULL,
    object_type text,
    object_identity text,
    statement text
);
COMMENT ON TABLE pggit.ddl_log IS 'DDL statements captured by pggit event triggers';
"#;

/// Marks the current version of the functions below; older ones are
/// replaced when pggit next connects (see [`ensure_current`]).
pub const CAPTURE_MARK: &str = "pggit ddl capture 2";

/// The role a statement runs as, also from inside a SECURITY DEFINER
/// function: the `role` setting (SET ROLE), else the session's role.
/// Installed in every pggit database.
pub const ACTING_ROLE_SQL: &str = r#"
CREATE OR REPLACE FUNCTION pggit.acting_role() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN current_setting('role') = 'none' THEN session_user::text ELSE current_setting('role') END;
$$;
"#;

/// The capture functions run as pggit's role (SECURITY DEFINER) so that
/// every role's DDL is logged, and record the role that ran it.
const CAPTURE_FUNCTIONS_SQL: &str = r#"
ALTER TABLE pggit.ddl_log ALTER COLUMN role SET DEFAULT pggit.acting_role();
CREATE OR REPLACE FUNCTION pggit.capture_ddl() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO pggit.ddl_log (command_tag, object_type, object_identity, statement)
    SELECT c.command_tag, c.object_type, c.object_identity, current_query()
      FROM pg_event_trigger_ddl_commands() c
     WHERE c.schema_name IS DISTINCT FROM 'pggit'
       AND c.schema_name IS DISTINCT FROM 'pg_temp'
       AND NOT c.in_extension;
END
$$;
CREATE OR REPLACE FUNCTION pggit.capture_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO pggit.ddl_log (command_tag, object_type, object_identity, statement)
    SELECT tg_tag, d.object_type, d.object_identity, current_query()
      FROM pg_event_trigger_dropped_objects() d
     WHERE d.original AND NOT d.is_temporary
       AND d.schema_name IS DISTINCT FROM 'pggit';
END
$$;
COMMENT ON FUNCTION pggit.capture_ddl() IS 'pggit ddl capture 2';
"#;

const CAPTURE_TRIGGERS_SQL: &str = r#"
CREATE EVENT TRIGGER pggit_capture_ddl ON ddl_command_end EXECUTE FUNCTION pggit.capture_ddl();
CREATE EVENT TRIGGER pggit_capture_drop ON sql_drop EXECUTE FUNCTION pggit.capture_drop();
"#;

/// Every function in schema `pggit` gets a fixed `search_path`, and no
/// EXECUTE for PUBLIC (trigger and event-trigger functions need none to
/// fire). Idempotent; run after anything that creates functions there.
pub const HARDEN_SQL: &str = r#"
DO $harden$
DECLARE
    f record;
BEGIN
    FOR f IN SELECT p.oid::regprocedure::text AS sig FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'pggit'::regnamespace
                AND NOT EXISTS (SELECT FROM unnest(coalesce(p.proconfig, '{}')) c WHERE c LIKE 'search\_path=%')
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp', f.sig);
    END LOOP;
    REVOKE ALL ON ALL FUNCTIONS IN SCHEMA pggit FROM PUBLIC;
END
$harden$;
"#;

/// Marker in a workspace database: which repository and branch it serves.
const WORKSPACE_SQL: &str = r#"
CREATE SCHEMA pggit;
COMMENT ON SCHEMA pggit IS 'pggit workspace';
CREATE TABLE pggit.workspace_of (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    repository text NOT NULL,
    branch text NOT NULL
);
"#;

/// What `install_*` managed to set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capture {
    Installed,
    /// Event triggers need a superuser on PostgreSQL 13-15; the reason.
    Unavailable(String),
}

/// Install the repository schema (inside the caller's transaction).
pub fn install_repository(tx: &mut postgres::Transaction<'_>) -> Result<Capture, PgError> {
    tx.batch_execute(REPOSITORY_SQL)?;
    tx.batch_execute(MERGE_SQL)?;
    tx.batch_execute(SEGMENT_INDEX_SQL)?;
    tx.batch_execute(TREE_PACKED_SQL)?;
    tx.batch_execute(OUTCOMES_SQL)?;
    tx.execute(
        "INSERT INTO pggit.meta (key, value) VALUES ('schema_version', $1)",
        &[&SCHEMA_VERSION.to_string()],
    )?;
    install_capture(tx)
}

/// Install the workspace marker and capture into a workspace database.
pub fn install_workspace(
    tx: &mut postgres::Transaction<'_>,
    repository: &str,
    branch: &str,
) -> Result<Capture, PgError> {
    tx.batch_execute(WORKSPACE_SQL)?;
    tx.execute(
        "INSERT INTO pggit.workspace_of (repository, branch) VALUES ($1, $2)",
        &[&repository, &branch],
    )?;
    install_capture(tx)
}

fn install_capture(tx: &mut postgres::Transaction<'_>) -> Result<Capture, PgError> {
    tx.batch_execute(CAPTURE_TABLE_SQL)?;
    tx.batch_execute(ACTING_ROLE_SQL)?;
    tx.batch_execute(CAPTURE_FUNCTIONS_SQL)?;
    tx.batch_execute(HARDEN_SQL)?;
    let mut sp = tx.savepoint("pggit_capture")?;
    match sp.batch_execute(CAPTURE_TRIGGERS_SQL) {
        Ok(()) => {
            sp.commit()?;
            Ok(Capture::Installed)
        }
        Err(e) => {
            let msg = crate::format_db_error(&e);
            sp.rollback()?;
            Ok(Capture::Unavailable(msg))
        }
    }
}

/// Bring the capture functions of a database installed by an older pggit
/// up to date (they ran as the caller and logged pggit's role, not the
/// acting one, and some had no fixed `search_path`). One cheap query when
/// they are current. Left alone if this role may not replace them.
pub fn ensure_current(client: &mut postgres::Client) -> Result<(), PgError> {
    let current: bool = client
        .query_one(
            "SELECT to_regclass('pggit.ddl_log') IS NULL
                 OR obj_description(to_regprocedure('pggit.capture_ddl()'), 'pg_proc') IS NOT DISTINCT FROM $1",
            &[&CAPTURE_MARK],
        )?
        .get(0);
    if current {
        return Ok(());
    }
    let mut tx = client.transaction()?;
    // The upgrade's own statements are not the user's DDL to commit.
    let upgraded = tx
        .batch_execute(ACTING_ROLE_SQL)
        .and_then(|_| tx.batch_execute(CAPTURE_FUNCTIONS_SQL))
        .and_then(|_| tx.batch_execute(HARDEN_SQL))
        .and_then(|_| tx.batch_execute("DELETE FROM pggit.ddl_log WHERE txid = txid_current()"));
    match upgraded {
        Ok(()) => tx.commit()?,
        Err(_) => tx.rollback()?,
    }
    Ok(())
}

/// What kind of pggit database a connection points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    None,
    Repository { version: i32 },
    Workspace { repository: String, branch: String },
}

/// Inspect the connected database.
pub fn installed(client: &mut impl GenericClient) -> Result<Installed, PgError> {
    let row = client.query_one(
        "SELECT to_regclass('pggit.meta') IS NOT NULL, to_regclass('pggit.workspace_of') IS NOT NULL",
        &[],
    )?;
    let (repo, ws): (bool, bool) = (row.get(0), row.get(1));
    if repo {
        let v: String = client
            .query_one(
                "SELECT value FROM pggit.meta WHERE key = 'schema_version'",
                &[],
            )?
            .get(0);
        let version = v
            .parse()
            .map_err(|_| PgError::Unexpected(format!("bad pggit schema version '{v}'")))?;
        return Ok(Installed::Repository { version });
    }
    if ws {
        let r = client.query_one("SELECT repository, branch FROM pggit.workspace_of", &[])?;
        return Ok(Installed::Workspace {
            repository: r.get(0),
            branch: r.get(1),
        });
    }
    Ok(Installed::None)
}

/// Whether event-trigger capture is active in the connected database.
pub fn capture_active(client: &mut impl GenericClient) -> Result<bool, PgError> {
    Ok(client
        .query_one(
            "SELECT count(*) = 2 FROM pg_event_trigger WHERE evtname IN ('pggit_capture_ddl', 'pggit_capture_drop') AND evtenabled <> 'D'",
            &[],
        )?
        .get(0))
}

/// Upgrade an older repository schema in place, one version at a time.
pub fn upgrade(tx: &mut postgres::Transaction<'_>, from: i32) -> Result<(), PgError> {
    if from > SCHEMA_VERSION {
        return Err(PgError::Unexpected(format!(
            "repository schema version {from} is newer than this pggit supports ({SCHEMA_VERSION})"
        )));
    }
    // Serialise concurrent upgraders; the loser finds the work done.
    tx.execute("LOCK TABLE pggit.meta IN EXCLUSIVE MODE", &[])?;
    let current: String = tx
        .query_one(
            "SELECT value FROM pggit.meta WHERE key = 'schema_version'",
            &[],
        )?
        .get(0);
    let mut version: i32 = current
        .parse()
        .map_err(|_| PgError::Unexpected(format!("bad pggit schema version '{current}'")))?;
    while version < SCHEMA_VERSION {
        match version {
            1 => tx.batch_execute(MERGE_SQL)?,
            2 => {
                tx.batch_execute(SEGMENT_INDEX_SQL)?;
                crate::store::index_segments(tx)?;
            }
            3 => tx.batch_execute(TREE_PACKED_SQL)?,
            4 => tx.batch_execute(OUTCOMES_SQL)?,
            v => {
                return Err(PgError::Unexpected(format!(
                    "no upgrade step from repository schema version {v}"
                )))
            }
        }
        version += 1;
    }
    tx.execute(
        "UPDATE pggit.meta SET value = $1 WHERE key = 'schema_version'",
        &[&version.to_string()],
    )?;
    Ok(())
}
