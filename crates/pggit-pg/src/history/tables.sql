-- pggit row history: installed into a database by the first `pggit track`.
-- Everything lives in schema pggit. See docs/HISTORY.md for the model.
--
-- Model: for each tracked table (a "period" of tracking), a history table
-- holds *before images*: every INSERT, UPDATE, DELETE, TRUNCATE appends,
-- per statement and set-based, the old version of each changed row (for an
-- insert, only its key). Each entry carries the transaction that made the
-- change ("pggit$txid") and the transaction that had created the version it
-- holds ("pggit$from", NULL for a version older than tracking). The live
-- table is the newest version. "As of T" means: the changes of exactly the
-- transactions that committed by T (commit time = pggit.data_tx.committed_at,
-- stamped at pre-commit while a shared advisory lock is held).

CREATE TABLE pggit.history_meta (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO pggit.history_meta VALUES ('version', '2');

-- One sequence number per captured statement; CACHE 1 so numbers follow the
-- order statements ran in, across sessions.
CREATE SEQUENCE pggit.data_seq CACHE 1;

CREATE TABLE pggit.data_tx (
    txid bigint PRIMARY KEY,
    committed_at timestamptz,
    -- The acting role, also when written by a SECURITY DEFINER capture function.
    role text NOT NULL DEFAULT pggit.acting_role(),
    -- A restore that counts its rows for a progress bar shows the count in
    -- application_name; it keeps the session's own name in
    -- pggit.application_name for the rest of its transaction.
    application_name text DEFAULT coalesce(nullif(current_setting('pggit.application_name', true), ''),
                                           current_setting('application_name', true))
) WITH (fillfactor = 50);
-- No index on committed_at: the commit-time stamp then updates the row in
-- place (HOT), which keeps the cost per transaction low; finding the
-- window of a time scans this table (one row per writing transaction).

-- Stamp the commit time at pre-commit. The shared advisory lock is held
-- until the transaction has committed; a reader that takes the lock
-- exclusively knows every transaction stamped before it is visible.
-- SECURITY DEFINER: it fires at the commit of any role's writes.
CREATE FUNCTION pggit.stamp_commit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(123917467345922);
    UPDATE pggit.data_tx SET committed_at = clock_timestamp() WHERE txid = NEW.txid;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER stamp_commit AFTER INSERT ON pggit.data_tx
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pggit.stamp_commit();

-- One row per tracking period of a table.
CREATE TABLE pggit.tracked (
    period serial PRIMARY KEY,
    relid oid,
    schema_name text NOT NULL,
    table_name text NOT NULL,
    key_columns text[],
    history_table text NOT NULL,
    started_txid bigint NOT NULL,
    ended_txid bigint,
    -- Live columns as last synced: [{attnum, name, type, added, retired:[{hist, type}]}]
    columns jsonb NOT NULL,
    -- Dropped columns: [{attnum, name, type, added, hist, until}] (values kept in the history table as hist)
    dropped jsonb NOT NULL DEFAULT '[]',
    retained_from timestamptz
);
CREATE UNIQUE INDEX tracked_active ON pggit.tracked (relid) WHERE ended_txid IS NULL;

-- Complete images written by before_alter/untrack: a base for "as of"
-- before that point that does not need the live table.
CREATE TABLE pggit.history_keyframes (
    period integer NOT NULL REFERENCES pggit.tracked ON DELETE CASCADE,
    seq bigint NOT NULL,
    txid bigint NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (period, seq)
);

CREATE TABLE pggit.data_snapshots (
    name text PRIMARY KEY,
    at timestamptz NOT NULL,
    schema_commit text,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL DEFAULT current_user
);
CREATE FUNCTION pggit.snapshot_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'pggit: snapshot "%" is immutable (drop it and create a new one)', OLD.name
        USING ERRCODE = 'object_not_in_prerequisite_state';
END
$$;
CREATE TRIGGER snapshot_immutable BEFORE UPDATE ON pggit.data_snapshots
    FOR EACH ROW EXECUTE FUNCTION pggit.snapshot_immutable();

-- Materialised "as of" results, keyed by period, time and shape.
CREATE TABLE pggit.asof_cache (
    period integer NOT NULL REFERENCES pggit.tracked ON DELETE CASCADE,
    at timestamptz NOT NULL,
    shape text NOT NULL,
    requests integer NOT NULL DEFAULT 1,
    cache_table text,
    rows bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period, at, shape)
);

CREATE VIEW pggit.tracked_tables AS
    SELECT t.period, t.schema_name, t.table_name, t.key_columns,
           (t.ended_txid IS NULL) AS active,
           s.committed_at AS started_at, e.committed_at AS ended_at, t.retained_from,
           'pggit.' || quote_ident(t.history_table) AS history_table
      FROM pggit.tracked t
      LEFT JOIN pggit.data_tx s ON s.txid = t.started_txid
      LEFT JOIN pggit.data_tx e ON e.txid = t.ended_txid;
