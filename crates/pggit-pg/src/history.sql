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
INSERT INTO pggit.history_meta VALUES ('version', '1');

-- One sequence number per captured statement; CACHE 1 so numbers follow the
-- order statements ran in, across sessions.
CREATE SEQUENCE pggit.data_seq CACHE 1;

CREATE TABLE pggit.data_tx (
    txid bigint PRIMARY KEY,
    committed_at timestamptz,
    role text NOT NULL DEFAULT current_user,
    application_name text DEFAULT current_setting('application_name', true)
) WITH (fillfactor = 50);
-- No index on committed_at: the commit-time stamp then updates the row in
-- place (HOT), which keeps the cost per transaction low; finding the
-- window of a time scans this table (one row per writing transaction).

-- Stamp the commit time at pre-commit. The shared advisory lock is held
-- until the transaction has committed; a reader that takes the lock
-- exclusively knows every transaction stamped before it is visible.
CREATE FUNCTION pggit.stamp_commit() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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

-- ---------------------------------------------------------------------------
-- Helpers

CREATE FUNCTION pggit.register_tx() RETURNS bigint
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO pggit.data_tx (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    SELECT txid_current();
$$;

-- Live columns of a table as the columns document.
CREATE FUNCTION pggit.live_columns(rel oid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('attnum', a.attnum, 'name', a.attname::text,
                                                 'type', format_type(a.atttypid, a.atttypmod))
                              ORDER BY a.attnum), '[]')
      FROM pg_attribute a
     WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped;
$$;

CREATE FUNCTION pggit.primary_key(rel oid) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT array_agg(a.attname::text ORDER BY k.ord)
      FROM pg_index i
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = rel AND i.indisprimary;
$$;

CREATE FUNCTION pggit.active_period(rel regclass) RETURNS integer
LANGUAGE plpgsql STABLE AS $$
DECLARE p integer;
BEGIN
    SELECT t.period INTO p FROM pggit.tracked t WHERE t.relid = rel AND t.ended_txid IS NULL;
    IF p IS NULL THEN
        RAISE EXCEPTION 'pggit: table % is not tracked (run pggit track %)', rel, rel
            USING ERRCODE = 'undefined_object';
    END IF;
    RETURN p;
END
$$;

-- (Re)write the capture function of a period from its current columns.
CREATE FUNCTION pggit.generate_capture(p integer) RETURNS void
LANGUAGE plpgsql AS $gen$
DECLARE
    t pggit.tracked;
    h text;
    cols text;      -- "a", "b"
    ocols text;     -- o."a", o."b"
    ncols text;
    keys text;      -- "k1", "k2"
    okeys text;
    nkeys text;
    prev_o text;
    prev_n text;
    nkeys_padded text;
    body text;
BEGIN
    SELECT * INTO t FROM pggit.tracked WHERE period = p;
    h := 'pggit.' || quote_ident(t.history_table);
    SELECT string_agg(quote_ident(c->>'name'), ', ' ORDER BY (c->>'attnum')::int),
           string_agg('o.' || quote_ident(c->>'name'), ', ' ORDER BY (c->>'attnum')::int),
           string_agg('n.' || quote_ident(c->>'name'), ', ' ORDER BY (c->>'attnum')::int)
      INTO cols, ocols, ncols
      FROM jsonb_array_elements(t.columns) c;
    IF t.key_columns IS NOT NULL THEN
        SELECT string_agg(quote_ident(k), ', '), string_agg('o.' || quote_ident(k), ', '),
               string_agg('n.' || quote_ident(k), ', ')
          INTO keys, okeys, nkeys
          FROM unnest(t.key_columns) k;
        -- Every column, the key ones from the new row and the others NULL.
        SELECT string_agg(CASE WHEN c->>'name' = ANY (t.key_columns) THEN 'n.' || quote_ident(c->>'name')
                               ELSE format('NULL::%s', c->>'type') END, ', ' ORDER BY (c->>'attnum')::int)
          INTO nkeys_padded
          FROM jsonb_array_elements(t.columns) c;
        prev_o := format('(SELECT p."pggit$txid" FROM %s p WHERE (%s) = (%s) ORDER BY p."pggit$seq" DESC LIMIT 1)',
                         h, (SELECT string_agg('p.' || quote_ident(k), ', ') FROM unnest(t.key_columns) k), okeys);
        prev_n := format('(SELECT p."pggit$txid" FROM %s p WHERE (%s) = (%s) ORDER BY p."pggit$seq" DESC LIMIT 1)',
                         h, (SELECT string_agg('p.' || quote_ident(k), ', ') FROM unnest(t.key_columns) k), nkeys);
        body := format($b$
    IF TG_OP = 'INSERT' THEN
        INSERT INTO %1$s ("pggit$seq", "pggit$txid", "pggit$from", "pggit$op", %2$s)
        SELECT pggit_capture.s, pggit_capture.x, %5$s, 'I', %3$s FROM pggit_new n;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Old versions, plus the keys that are new (a key changed); one statement.
        INSERT INTO %1$s ("pggit$seq", "pggit$txid", "pggit$from", "pggit$op", %6$s)
        SELECT pggit_capture.s, pggit_capture.x, %4$s, 'U', %7$s FROM pggit_old o
        UNION ALL
        SELECT pggit_capture.s, pggit_capture.x, %5$s, 'I', %10$s FROM pggit_new n
         WHERE NOT EXISTS (SELECT 1 FROM pggit_old o WHERE (%8$s) = (%3$s));
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO %1$s ("pggit$seq", "pggit$txid", "pggit$from", "pggit$op", %6$s)
        SELECT pggit_capture.s, pggit_capture.x, %4$s, 'D', %7$s FROM pggit_old o;
    ELSE
        INSERT INTO %1$s ("pggit$seq", "pggit$txid", "pggit$from", "pggit$op", %6$s)
        SELECT pggit_capture.s, pggit_capture.x, %4$s, 'T', %7$s FROM ONLY %9$s o;
    END IF;$b$, h, keys, nkeys, prev_o, prev_n, cols, ocols, okeys,
            quote_ident(t.schema_name) || '.' || quote_ident(t.table_name), nkeys_padded);
    ELSE
        body := format($b$
    IF TG_OP = 'INSERT' THEN
        INSERT INTO %1$s ("pggit$seq", "pggit$txid", "pggit$op", %2$s) SELECT pggit_capture.s, pggit_capture.x, 'N', %4$s FROM pggit_new n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO %1$s ("pggit$seq", "pggit$txid", "pggit$op", %2$s) SELECT pggit_capture.s, pggit_capture.x, 'D', %3$s FROM pggit_old o;
        INSERT INTO %1$s ("pggit$seq", "pggit$txid", "pggit$op", %2$s) SELECT pggit_capture.s, pggit_capture.x, 'N', %4$s FROM pggit_new n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO %1$s ("pggit$seq", "pggit$txid", "pggit$op", %2$s) SELECT pggit_capture.s, pggit_capture.x, 'D', %3$s FROM pggit_old o;
    ELSE
        INSERT INTO %1$s ("pggit$seq", "pggit$txid", "pggit$op", %2$s) SELECT pggit_capture.s, pggit_capture.x, 'T', %3$s FROM ONLY %5$s o;
    END IF;$b$, h, cols, ocols, ncols, quote_ident(t.schema_name) || '.' || quote_ident(t.table_name));
    END IF;
    EXECUTE format($f$
CREATE OR REPLACE FUNCTION pggit.%I() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $body$
<<pggit_capture>>
DECLARE
    x bigint := txid_current();
    s bigint := nextval('pggit.data_seq');
BEGIN
    INSERT INTO pggit.data_tx (txid) VALUES (pggit_capture.x) ON CONFLICT DO NOTHING;%s
    RETURN NULL;
END
$body$;$f$, 'capture_' || p, body);
END
$gen$;

-- Transactions committed by `at`, as a filter on txids: a txid is "after"
-- when txid >= lo and it is not one of `inc` (committed by `at` although
-- numbered after lo). lo is NULL when nothing committed after `at`.
CREATE FUNCTION pggit.tx_window(at timestamptz, OUT lo bigint, OUT inc bigint[])
LANGUAGE sql STABLE AS $$
    WITH l AS (SELECT min(txid) AS lo FROM pggit.data_tx WHERE committed_at > at)
    SELECT l.lo, coalesce((SELECT array_agg(d.txid ORDER BY d.txid) FROM pggit.data_tx d
                            WHERE d.txid >= l.lo AND d.committed_at <= at), '{}')
      FROM l;
$$;

-- SQL text of "is txid expression e after the window".
CREATE FUNCTION pggit.after_sql(e text, lo bigint, inc bigint[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN lo IS NULL THEN 'false'
        WHEN cardinality(inc) = 0 THEN format('coalesce(%s >= %s, false)', e, lo)
        ELSE format('coalesce(%s >= %s AND %s <> ALL (%L::bigint[]), false)', e, lo, e, inc)
    END;
$$;

-- The same for a column that is never NULL (lets a BRIN index on txid
-- skip the history written before the window).
CREATE FUNCTION pggit.after_sql_notnull(e text, lo bigint, inc bigint[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN lo IS NULL THEN 'false'
        WHEN cardinality(inc) = 0 THEN format('%s >= %s', e, lo)
        ELSE format('(%s >= %s AND %s <> ALL (%L::bigint[]))', e, lo, e, inc)
    END;
$$;

-- Refuse a time the period cannot answer for.
CREATE FUNCTION pggit.check_time(p integer, at timestamptz) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t pggit.tracked;
    started timestamptz;
    ended timestamptz;
BEGIN
    IF at IS NULL THEN
        RAISE EXCEPTION 'pggit: a time is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF at > clock_timestamp() THEN
        RAISE EXCEPTION 'pggit: % is in the future', at USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO t FROM pggit.tracked WHERE period = p;
    SELECT committed_at INTO started FROM pggit.data_tx WHERE txid = t.started_txid;
    SELECT committed_at INTO ended FROM pggit.data_tx WHERE txid = t.ended_txid;
    IF started IS NULL OR at < started THEN
        RAISE EXCEPTION 'pggit: %.% has no history before % (tracking started then); % is earlier',
            quote_ident(t.schema_name), quote_ident(t.table_name), started, at
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF t.retained_from IS NOT NULL AND at < t.retained_from THEN
        RAISE EXCEPTION 'pggit: history of %.% before % was pruned; % is earlier',
            quote_ident(t.schema_name), quote_ident(t.table_name), t.retained_from, at
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF ended IS NOT NULL AND at >= ended THEN
        RAISE EXCEPTION 'pggit: %.% was not tracked at % (tracking ended %)',
            quote_ident(t.schema_name), quote_ident(t.table_name), at, ended
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

-- The period of a table (by current oid or, for a table no longer there,
-- by name) that covers `at`.
CREATE FUNCTION pggit.period_at(tbl text, at timestamptz) RETURNS integer
LANGUAGE plpgsql STABLE AS $$
DECLARE
    rel oid := to_regclass(tbl);
    p integer;
    q integer;
BEGIN
    FOR p IN
        SELECT t.period FROM pggit.tracked t
         WHERE (rel IS NOT NULL AND t.relid = rel)
            OR (quote_ident(t.schema_name) || '.' || quote_ident(t.table_name) = tbl)
            OR (t.schema_name || '.' || t.table_name = tbl)
         ORDER BY t.period DESC
    LOOP
        IF q IS NULL THEN q := p; END IF;
        BEGIN
            PERFORM pggit.check_time(p, at);
            RETURN p;
        EXCEPTION WHEN invalid_parameter_value THEN
            NULL;
        END;
    END LOOP;
    IF q IS NULL THEN
        RAISE EXCEPTION 'pggit: table % is not tracked and has no history', tbl USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM pggit.check_time(q, at);
    RETURN q;
END
$$;

-- Column expression list of the period's current shape, as of a window:
-- columns added after the window read NULL; retyped columns fall back to
-- the retired history column, cast.
CREATE FUNCTION pggit.shape_sql(p integer, lo bigint, inc bigint[], history boolean) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT string_agg(
        CASE
            WHEN (c->>'added') IS NOT NULL
                 AND EXISTS (SELECT 1 WHERE lo IS NOT NULL AND (c->>'added')::bigint >= lo
                                        AND (c->>'added')::bigint <> ALL (inc))
                THEN format('NULL::%s AS %I', c->>'type', c->>'name')
            WHEN history AND jsonb_array_length(coalesce(c->'retired', '[]')) > 0
                THEN format('coalesce(%s) AS %I',
                            quote_ident(c->>'name') || (SELECT string_agg(format(', %I::text::%s', r->>'hist', c->>'type'), '')
                                                         FROM jsonb_array_elements(c->'retired') r),
                            c->>'name')
            ELSE quote_ident(c->>'name')
        END, ', ' ORDER BY (c->>'attnum')::int)
      FROM pggit.tracked t, jsonb_array_elements(t.columns) c
     WHERE t.period = p;
$$;

-- SQL of the whole table as of `at`, in the table's current shape.
CREATE FUNCTION pggit.as_of_sql(p integer, at timestamptz) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t pggit.tracked;
    w record;
    h text;
    live text;
    kf record;
    first_after text;
    keys_h text;
    keys_l text;
    cols_h text;
    cols_l text;
BEGIN
    PERFORM pggit.check_time(p, at);
    SELECT * INTO t FROM pggit.tracked WHERE period = p;
    SELECT * INTO w FROM pggit.tx_window(at);
    h := 'pggit.' || quote_ident(t.history_table);
    live := quote_ident(t.schema_name) || '.' || quote_ident(t.table_name);
    cols_h := pggit.shape_sql(p, w.lo, w.inc, true);
    cols_l := pggit.shape_sql(p, w.lo, w.inc, false);
    -- The first complete image after `at`, if any, replaces the live table.
    SELECT k.* INTO kf FROM pggit.history_keyframes k
     WHERE k.period = p AND w.lo IS NOT NULL AND k.txid >= w.lo AND k.txid <> ALL (w.inc)
     ORDER BY k.seq LIMIT 1;
    IF t.key_columns IS NOT NULL THEN
        first_after := pggit.after_sql_notnull('h."pggit$txid"', w.lo, w.inc)
                    || ' AND NOT ' || pggit.after_sql('h."pggit$from"', w.lo, w.inc);
        IF kf.seq IS NULL AND t.ended_txid IS NULL THEN
            IF w.lo IS NULL THEN
                RETURN format('SELECT %s FROM ONLY %s', cols_l, live);
            END IF;
            SELECT string_agg('h.' || quote_ident(k), ', '), string_agg('l.' || quote_ident(k), ', ')
              INTO keys_h, keys_l FROM unnest(t.key_columns) k;
            RETURN format('SELECT %s FROM ONLY %s l WHERE NOT EXISTS (SELECT 1 FROM %s h WHERE %s AND (%s) = (%s))'
                          ' UNION ALL SELECT %s FROM %s h WHERE %s AND h."pggit$op" <> %L',
                          cols_l, live, h, first_after, keys_h, keys_l,
                          cols_h, h, first_after, 'I');
        END IF;
        RETURN format('SELECT %s FROM %s h WHERE %s AND h."pggit$op" <> %L AND h."pggit$seq" <= %s',
                      cols_h, h, first_after, 'I', kf.seq);
    END IF;
    -- Whole-row identity: a multiset. State at `at` = base + rows removed
    -- after `at` - rows added after `at`, rows compared by their text.
    SELECT string_agg(quote_ident(c->>'name'), ', ' ORDER BY (c->>'attnum')::int),
           string_agg('v.' || quote_ident(c->>'name'), ', ' ORDER BY (c->>'attnum')::int)
      INTO keys_h, keys_l
      FROM jsonb_array_elements(t.columns) c;
    RETURN format('SELECT %1$s FROM (SELECT u.*, sum(u."pggit$n") OVER (PARTITION BY u."pggit$r") AS "pggit$net",'
                  ' row_number() OVER (PARTITION BY u."pggit$r", u."pggit$n") AS "pggit$rk"'
                  ' FROM (SELECT v.*, ROW(%2$s)::text AS "pggit$r" FROM (%3$s UNION ALL'
                  ' SELECT %4$s, CASE h."pggit$op" WHEN %5$L THEN -1 ELSE 1 END AS "pggit$n" FROM %6$s h WHERE %7$s %8$s) v) u) z'
                  ' WHERE z."pggit$n" = 1 AND z."pggit$rk" <= z."pggit$net"',
                  keys_h, keys_l,
                  CASE WHEN kf.seq IS NULL AND t.ended_txid IS NULL
                       THEN format('SELECT %s, 1 AS "pggit$n" FROM ONLY %s', cols_l, live)
                       ELSE format('SELECT %s, 0 AS "pggit$n" FROM %s h WHERE false', cols_h, h) END,
                  cols_h, 'N', h, pggit.after_sql_notnull('h."pggit$txid"', w.lo, w.inc),
                  CASE WHEN kf.seq IS NULL THEN '' ELSE format('AND h."pggit$seq" <= %s', kf.seq) END);
END
$$;

-- ---------------------------------------------------------------------------
-- Tracking

CREATE FUNCTION pggit.track(rel regclass) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    p integer;
    c record;
    kind "char";
    keys text[];
    cols jsonb;
    hist text;
    tx bigint;
    live text;
BEGIN
    SELECT relkind INTO kind FROM pg_class WHERE oid = rel;
    IF kind = 'p' THEN
        RAISE EXCEPTION 'pggit: % is partitioned; tracking partitioned tables is not supported yet (track its partitions)', rel
            USING ERRCODE = 'feature_not_supported';
    ELSIF kind IS DISTINCT FROM 'r' THEN
        RAISE EXCEPTION 'pggit: % is not a table', rel USING ERRCODE = 'wrong_object_type';
    END IF;
    IF (SELECT n.nspname FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace WHERE r.oid = rel)
       IN ('pggit', 'pg_catalog', 'information_schema') THEN
        RAISE EXCEPTION 'pggit: % is a system table', rel USING ERRCODE = 'wrong_object_type';
    END IF;
    IF EXISTS (SELECT 1 FROM pggit.tracked WHERE relid = rel AND ended_txid IS NULL) THEN
        RETURN (SELECT period FROM pggit.tracked WHERE relid = rel AND ended_txid IS NULL);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = rel AND attnum > 0 AND NOT attisdropped
                                           AND attname::text LIKE 'pggit$%') THEN
        RAISE EXCEPTION 'pggit: % has a column whose name starts with "pggit$", which row history reserves', rel
            USING ERRCODE = 'invalid_name';
    END IF;
    -- Blocks until writers in flight finish: every later write is captured.
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', rel);
    tx := pggit.register_tx();
    keys := pggit.primary_key(rel);
    cols := pggit.live_columns(rel);
    INSERT INTO pggit.tracked (relid, schema_name, table_name, key_columns, history_table, started_txid, columns)
    SELECT rel, n.nspname, r.relname, keys, '', tx, cols
      FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace WHERE r.oid = rel
    RETURNING period INTO p;
    hist := 'history_' || p;
    UPDATE pggit.tracked SET history_table = hist WHERE period = p;
    EXECUTE format('CREATE TABLE pggit.%I ("pggit$seq" bigint NOT NULL, "pggit$txid" bigint NOT NULL,'
                   ' "pggit$from" bigint, "pggit$op" "char" NOT NULL)', hist);
    FOR c IN SELECT e FROM jsonb_array_elements(cols) e LOOP
        EXECUTE format('ALTER TABLE pggit.%I ADD COLUMN %I %s', hist, c.e->>'name', c.e->>'type');
    END LOOP;
    IF keys IS NOT NULL THEN
        EXECUTE format('CREATE INDEX ON pggit.%I (%s, "pggit$seq")', hist,
                       (SELECT string_agg(quote_ident(k), ', ') FROM unnest(keys) k));
    END IF;
    EXECUTE format('CREATE INDEX ON pggit.%I USING brin ("pggit$txid")', hist);
    PERFORM pggit.generate_capture(p);
    live := rel::text;
    EXECUTE format('CREATE TRIGGER pggit_history_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS pggit_new'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION pggit.%I()', live, 'capture_' || p);
    EXECUTE format('CREATE TRIGGER pggit_history_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS pggit_old'
                   ' NEW TABLE AS pggit_new FOR EACH STATEMENT EXECUTE FUNCTION pggit.%I()', live, 'capture_' || p);
    EXECUTE format('CREATE TRIGGER pggit_history_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS pggit_old'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION pggit.%I()', live, 'capture_' || p);
    EXECUTE format('CREATE TRIGGER pggit_history_truncate BEFORE TRUNCATE ON %s'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION pggit.%I()', live, 'capture_' || p);
    RETURN p;
END
$$;

-- Write a complete image of a tracked table now (before a change that
-- loses data: dropping or retyping a column, dropping the table).
CREATE FUNCTION pggit.before_alter(rel regclass) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    p integer := pggit.active_period(rel);
    t pggit.tracked;
    s bigint;
    x bigint;
    n bigint;
    cols text;
    prev text;
BEGIN
    SELECT * INTO t FROM pggit.tracked WHERE period = p;
    IF EXISTS (SELECT 1 FROM pggit.history_keyframes k WHERE k.period = p AND k.txid = txid_current()) THEN
        RETURN 0;
    END IF;
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', rel);
    x := pggit.register_tx();
    s := nextval('pggit.data_seq');
    SELECT string_agg(quote_ident(c->>'name'), ', ' ORDER BY (c->>'attnum')::int) INTO cols
      FROM jsonb_array_elements(t.columns) c;
    IF t.key_columns IS NULL THEN
        prev := 'NULL::bigint';
    ELSE
        prev := format('(SELECT p."pggit$txid" FROM pggit.%I p WHERE (%s) = (%s) ORDER BY p."pggit$seq" DESC LIMIT 1)',
                       t.history_table,
                       (SELECT string_agg('p.' || quote_ident(k), ', ') FROM unnest(t.key_columns) k),
                       (SELECT string_agg('o.' || quote_ident(k), ', ') FROM unnest(t.key_columns) k));
    END IF;
    EXECUTE format('INSERT INTO pggit.%I ("pggit$seq", "pggit$txid", "pggit$from", "pggit$op", %s)'
                   ' SELECT $1, $2, %s, %L, %s FROM ONLY %s o',
                   t.history_table, cols, prev, 'A',
                   (SELECT string_agg('o.' || quote_ident(c->>'name'), ', ' ORDER BY (c->>'attnum')::int)
                      FROM jsonb_array_elements(t.columns) c), rel)
      USING s, x;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO pggit.history_keyframes (period, seq, txid, reason) VALUES (p, s, x, 'before_alter');
    RETURN n;
END
$$;

CREATE FUNCTION pggit.untrack(rel regclass, drop_history boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    p integer := pggit.active_period(rel);
    t pggit.tracked;
BEGIN
    SELECT * INTO t FROM pggit.tracked WHERE period = p;
    IF drop_history THEN
        EXECUTE format('DROP TRIGGER pggit_history_insert ON %1$s; DROP TRIGGER pggit_history_update ON %1$s;'
                       ' DROP TRIGGER pggit_history_delete ON %1$s; DROP TRIGGER pggit_history_truncate ON %1$s', rel);
        PERFORM pggit.drop_period(p);
        RETURN;
    END IF;
    PERFORM pggit.before_alter(rel);
    UPDATE pggit.history_keyframes SET reason = 'untrack' WHERE period = p AND txid = txid_current();
    EXECUTE format('DROP TRIGGER pggit_history_insert ON %1$s; DROP TRIGGER pggit_history_update ON %1$s;'
                   ' DROP TRIGGER pggit_history_delete ON %1$s; DROP TRIGGER pggit_history_truncate ON %1$s', rel);
    EXECUTE format('DROP FUNCTION pggit.%I()', 'capture_' || p);
    UPDATE pggit.tracked SET ended_txid = txid_current(), relid = NULL WHERE period = p;
END
$$;

CREATE FUNCTION pggit.drop_period(p integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t pggit.tracked;
    c text;
BEGIN
    SELECT * INTO t FROM pggit.tracked WHERE period = p;
    FOR c IN SELECT cache_table FROM pggit.asof_cache WHERE period = p AND cache_table IS NOT NULL LOOP
        EXECUTE format('DROP TABLE IF EXISTS pggit.%I', c);
    END LOOP;
    EXECUTE format('DROP TABLE IF EXISTS pggit.%I', t.history_table);
    EXECUTE format('DROP FUNCTION IF EXISTS pggit.%I()', 'capture_' || p);
    DELETE FROM pggit.tracked WHERE period = p;
END
$$;

-- Drop materialised results of a period (its shape changed or history was pruned).
CREATE FUNCTION pggit.clear_cache(p integer, before timestamptz DEFAULT 'infinity') RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    c record;
    n integer := 0;
BEGIN
    FOR c IN DELETE FROM pggit.asof_cache WHERE period = p AND at < before RETURNING cache_table LOOP
        IF c.cache_table IS NOT NULL THEN
            EXECUTE format('DROP TABLE IF EXISTS pggit.%I', c.cache_table);
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END
$$;

-- Event trigger: keep history tables and capture functions in step with
-- the tracked tables' columns; refuse changes that would lose history.
CREATE FUNCTION pggit.sync_tracked() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    t pggit.tracked;
    old jsonb;
    cur jsonb;
    o jsonb;
    c jsonb;
    newcols jsonb;
    hist_has boolean;
    newkeys text[];
    preserved boolean;
    x bigint;
    loc record;
BEGIN
    IF current_setting('pggit.syncing', true) = 'on' THEN
        RETURN;
    END IF;
    PERFORM set_config('pggit.syncing', 'on', true);
    IF tg_event = 'sql_drop' THEN
        FOR t IN SELECT k.* FROM pggit.tracked k
                  WHERE k.ended_txid IS NULL
                    AND k.relid IN (SELECT d.objid FROM pg_event_trigger_dropped_objects() d
                                     WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0)
        LOOP
            IF NOT EXISTS (SELECT 1 FROM pggit.history_keyframes k
                            WHERE k.period = t.period AND k.txid = txid_current()) THEN
                RAISE EXCEPTION 'pggit: %.% has row history; dropping it would lose the rows its history needs',
                    quote_ident(t.schema_name), quote_ident(t.table_name)
                    USING ERRCODE = 'object_in_use',
                          HINT = format('run SELECT pggit.untrack(%L) first (history is kept), or SELECT pggit.before_alter(%L) in the same transaction',
                                        quote_ident(t.schema_name) || '.' || quote_ident(t.table_name),
                                        quote_ident(t.schema_name) || '.' || quote_ident(t.table_name));
            END IF;
            UPDATE pggit.tracked SET ended_txid = txid_current(), relid = NULL WHERE period = t.period;
            UPDATE pggit.history_keyframes SET reason = 'drop' WHERE period = t.period AND txid = txid_current();
            EXECUTE format('DROP FUNCTION IF EXISTS pggit.%I()', 'capture_' || t.period);
        END LOOP;
        PERFORM set_config('pggit.syncing', 'off', true);
        RETURN;
    END IF;
    FOR t IN SELECT * FROM pggit.tracked WHERE ended_txid IS NULL LOOP
        SELECT n.nspname::text AS s, r.relname::text AS r INTO loc
          FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace WHERE r.oid = t.relid;
        IF NOT FOUND THEN
            CONTINUE;
        END IF;
        old := t.columns;
        cur := pggit.live_columns(t.relid);
        IF loc.s <> t.schema_name OR loc.r <> t.table_name THEN
            UPDATE pggit.tracked SET schema_name = loc.s, table_name = loc.r WHERE period = t.period;
            -- The capture function names the table (for TRUNCATE).
            PERFORM pggit.generate_capture(t.period);
        END IF;
        newkeys := (SELECT array_agg(f->>'name' ORDER BY k.ord)
                      FROM unnest(t.key_columns) WITH ORDINALITY k(name, ord)
                      JOIN jsonb_array_elements(old) e ON e->>'name' = k.name
                      JOIN jsonb_array_elements(cur) f ON f->'attnum' = e->'attnum');
        IF t.key_columns IS NOT NULL AND cardinality(newkeys) IS DISTINCT FROM cardinality(t.key_columns) THEN
            newkeys := NULL;
        END IF;
        IF pggit.primary_key(t.relid) IS DISTINCT FROM newkeys THEN
            RAISE EXCEPTION 'pggit: changing the primary key of %.% would change the identity its row history is keyed by',
                quote_ident(loc.s), quote_ident(loc.r)
                USING ERRCODE = 'object_in_use',
                      HINT = 'untrack the table first (SELECT pggit.untrack(...)), change it, and track it again';
        END IF;
        IF (SELECT coalesce(jsonb_agg(e - 'added' - 'retired' ORDER BY (e->>'attnum')::int), '[]')
              FROM jsonb_array_elements(old) e) = cur THEN
            CONTINUE;
        END IF;
        preserved := EXISTS (SELECT 1 FROM pggit.history_keyframes k WHERE k.period = t.period AND k.txid = txid_current());
        x := txid_current();
        newcols := '[]';
        -- Columns dropped or retyped lose the values of rows not changed since.
        FOR o IN SELECT e FROM jsonb_array_elements(old) e ORDER BY (e->>'attnum')::int LOOP
            SELECT f INTO c FROM jsonb_array_elements(cur) f WHERE f->'attnum' = o->'attnum';
            IF c IS NULL OR c->>'type' <> o->>'type' THEN
                IF NOT preserved THEN
                    RAISE EXCEPTION 'pggit: this change % column % of %.%, which has row history; its old values would be lost',
                        CASE WHEN c IS NULL THEN 'drops' ELSE 'retypes' END, quote_ident(o->>'name'),
                        quote_ident(loc.s), quote_ident(loc.r)
                        USING ERRCODE = 'object_in_use',
                              HINT = format('run SELECT pggit.before_alter(%L) first in the same transaction',
                                            quote_ident(loc.s) || '.' || quote_ident(loc.r));
                END IF;
                -- Retire the history column under a unique name.
                EXECUTE format('ALTER TABLE pggit.%I RENAME COLUMN %I TO %I', t.history_table, o->>'name',
                               (o->>'name') || '$' || x || '_' || (o->>'attnum'));
                IF c IS NOT NULL THEN
                    EXECUTE format('ALTER TABLE pggit.%I ADD COLUMN %I %s', t.history_table, c->>'name', c->>'type');
                    newcols := newcols || jsonb_build_array(c || jsonb_build_object(
                        'added', o->'added',
                        'retired', coalesce(o->'retired', '[]') || jsonb_build_array(jsonb_build_object(
                            'hist', (o->>'name') || '$' || x || '_' || (o->>'attnum'), 'type', o->>'type'))));
                END IF;
            ELSE
                IF c->>'name' <> o->>'name' THEN
                    -- Free the name if a retired column holds it, then follow the rename.
                    SELECT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = format('pggit.%I', t.history_table)::regclass
                                     AND a.attname = c->>'name' AND NOT a.attisdropped) INTO hist_has;
                    IF hist_has THEN
                        EXECUTE format('ALTER TABLE pggit.%I RENAME COLUMN %I TO %I', t.history_table, c->>'name',
                                       (c->>'name') || '$' || x || '_old');
                    END IF;
                    EXECUTE format('ALTER TABLE pggit.%I RENAME COLUMN %I TO %I', t.history_table, o->>'name', c->>'name');
                END IF;
                newcols := newcols || jsonb_build_array(c || jsonb_build_object('added', o->'added', 'retired', coalesce(o->'retired', '[]')));
            END IF;
        END LOOP;
        FOR c IN SELECT f FROM jsonb_array_elements(cur) f
                  WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(old) e WHERE e->'attnum' = f->'attnum')
                  ORDER BY (f->>'attnum')::int LOOP
            SELECT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = format('pggit.%I', t.history_table)::regclass
                             AND a.attname = c->>'name' AND NOT a.attisdropped) INTO hist_has;
            IF hist_has THEN
                EXECUTE format('ALTER TABLE pggit.%I RENAME COLUMN %I TO %I', t.history_table, c->>'name',
                               (c->>'name') || '$' || x || '_old');
            END IF;
            EXECUTE format('ALTER TABLE pggit.%I ADD COLUMN %I %s', t.history_table, c->>'name', c->>'type');
            PERFORM pggit.register_tx();
            newcols := newcols || jsonb_build_array(c || jsonb_build_object('added', x, 'retired', '[]'::jsonb));
        END LOOP;
        SELECT jsonb_agg(e ORDER BY (e->>'attnum')::int) INTO newcols FROM jsonb_array_elements(newcols) e;
        UPDATE pggit.tracked SET columns = coalesce(newcols, '[]'), key_columns = newkeys WHERE period = t.period;
        PERFORM pggit.generate_capture(t.period);
        PERFORM pggit.clear_cache(t.period);
    END LOOP;
    PERFORM set_config('pggit.syncing', 'off', true);
END
$$;
CREATE EVENT TRIGGER pggit_history_sync ON ddl_command_end EXECUTE FUNCTION pggit.sync_tracked();
CREATE EVENT TRIGGER pggit_history_drop ON sql_drop EXECUTE FUNCTION pggit.sync_tracked();

-- ---------------------------------------------------------------------------
-- Reading

-- The SQL of the table as of `at`, to run yourself (no PL/pgSQL
-- materialisation of the result): SELECT pggit.as_of_query('public.orders', '...') \gexec
CREATE FUNCTION pggit.as_of_query(tbl text, at timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT pggit.as_of_sql(pggit.period_at(tbl, at), at);
$$;

-- The table as of `at`, in its current shape:
--   SELECT * FROM pggit.as_of(NULL::public.orders, '2026-11-20 10:00');
CREATE FUNCTION pggit.as_of(tbl anyelement, at timestamptz) RETURNS SETOF anyelement
LANGUAGE plpgsql STABLE SET work_mem = '128MB' AS $$
DECLARE
    rel regclass := pg_typeof(tbl)::text::regclass;
    p integer := pggit.period_at(rel::text, at);
    cached text;
BEGIN
    SELECT c.cache_table INTO cached FROM pggit.asof_cache c
     WHERE c.period = p AND c.at = as_of.at AND c.shape = pggit.shape_key(p) AND c.cache_table IS NOT NULL;
    IF cached IS NOT NULL THEN
        RETURN QUERY EXECUTE format('SELECT * FROM pggit.%I', cached);
    ELSE
        RETURN QUERY EXECUTE pggit.as_of_sql(p, at);
    END IF;
END
$$;

CREATE FUNCTION pggit.shape_key(p integer) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT md5(columns::text) FROM pggit.tracked WHERE period = p;
$$;

-- Which columns of `a` and `b` (row documents) differ.
CREATE FUNCTION pggit.changed_columns(a jsonb, b jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(k ORDER BY k), '{}')
      FROM (SELECT jsonb_object_keys(coalesce(a, '{}')) UNION SELECT jsonb_object_keys(coalesce(b, '{}'))) s(k)
     WHERE a IS NOT NULL AND b IS NOT NULL AND (a -> k) IS DISTINCT FROM (b -> k);
$$;

CREATE FUNCTION pggit.row_doc_sql(p integer, alias text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT 'jsonb_build_object(' || string_agg(format('%L, %s.%I', c->>'name', alias, c->>'name'), ', '
                                               ORDER BY (c->>'attnum')::int) || ')'
      FROM pggit.tracked t, jsonb_array_elements(t.columns) c WHERE t.period = p;
$$;

-- Every change of one row (tables with a primary key), oldest first:
--   SELECT * FROM pggit.row_history('public.orders', '{"id": 42}');
CREATE FUNCTION pggit.row_history(tbl text, key jsonb)
RETURNS TABLE (at timestamptz, txid bigint, role text, operation text, old_row jsonb, new_row jsonb, changed text[])
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p integer;
    t pggit.tracked;
    keymatch text;
    keymatch_l text;
    live_doc text;
BEGIN
    SELECT k.period INTO p FROM pggit.tracked k
     WHERE k.relid = to_regclass(tbl) OR quote_ident(k.schema_name) || '.' || quote_ident(k.table_name) = tbl
        OR k.schema_name || '.' || k.table_name = tbl
     ORDER BY k.period DESC LIMIT 1;
    IF p IS NULL THEN
        RAISE EXCEPTION 'pggit: table % is not tracked and has no history', tbl USING ERRCODE = 'undefined_object';
    END IF;
    SELECT * INTO t FROM pggit.tracked WHERE period = p;
    IF t.key_columns IS NULL THEN
        RAISE EXCEPTION 'pggit: %.% has no primary key, so its rows have no identity to follow',
            quote_ident(t.schema_name), quote_ident(t.table_name)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'use pggit.changes() for tables without a primary key';
    END IF;
    IF jsonb_typeof(key) IS DISTINCT FROM 'object'
       OR EXISTS (SELECT 1 FROM unnest(t.key_columns) k WHERE NOT key ? k)
       OR EXISTS (SELECT 1 FROM jsonb_object_keys(key) k WHERE k <> ALL (t.key_columns)) THEN
        RAISE EXCEPTION 'pggit: the key of %.% is (%); got %', quote_ident(t.schema_name), quote_ident(t.table_name),
            array_to_string(t.key_columns, ', '), key USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Key values typed like the columns, compared as bind parameters.
    SELECT string_agg(format('h.%I = (SELECT %I FROM jsonb_populate_record(NULL::pggit.%I, $1))', k, k, t.history_table), ' AND '),
           string_agg(format('l.%I = (SELECT %I FROM jsonb_populate_record(NULL::pggit.%I, $1))', k, k, t.history_table), ' AND ')
      INTO keymatch, keymatch_l FROM unnest(t.key_columns) k;
    live_doc := pggit.row_doc_sql(p, 'l');
    RETURN QUERY EXECUTE format($q$
        WITH e AS (
            SELECT h."pggit$seq" AS seq, h."pggit$txid" AS tx, h."pggit$op" AS op,
                   CASE WHEN h."pggit$op" = 'I' THEN NULL ELSE %1$s END AS doc
              FROM pggit.%2$I h WHERE %3$s
        ), v AS (
            SELECT e.*, lead(e.doc) OVER (ORDER BY e.seq) AS next_doc, lead(e.seq) OVER (ORDER BY e.seq) AS next_seq,
                   lead(e.op) OVER (ORDER BY e.seq) AS next_op
              FROM e
        )
        SELECT d.committed_at, v.tx, d.role,
               CASE WHEN v.op = 'T' THEN 'truncate'
                    WHEN v.doc IS NULL THEN 'insert'
                    WHEN coalesce(v.next_doc, (SELECT %4$s FROM %5$s l WHERE %6$s AND v.next_seq IS NULL)) IS NULL THEN 'delete'
                    ELSE 'update' END,
               v.doc,
               CASE WHEN v.next_seq IS NOT NULL THEN v.next_doc
                    ELSE (SELECT %4$s FROM %5$s l WHERE %6$s) END AS new_row,
               pggit.changed_columns(v.doc, CASE WHEN v.next_seq IS NOT NULL THEN v.next_doc
                    ELSE (SELECT %4$s FROM %5$s l WHERE %6$s) END)
          FROM v LEFT JOIN pggit.data_tx d ON d.txid = v.tx
         WHERE v.op <> 'A'
         ORDER BY v.seq$q$,
        pggit.row_doc_sql(p, 'h'), t.history_table, keymatch,
        live_doc,
        CASE WHEN t.ended_txid IS NULL THEN quote_ident(t.schema_name) || '.' || quote_ident(t.table_name)
             ELSE format('(SELECT * FROM pggit.%I WHERE false)', t.history_table) END,
        keymatch_l)
    USING key;
END
$$;

-- Rows that differ between two times (one tracking period), with the
-- values of the changed columns:
--   SELECT * FROM pggit.changes('public.orders', t1, t2);
CREATE FUNCTION pggit.changes(tbl text, t1 timestamptz, t2 timestamptz)
RETURNS TABLE (change text, key jsonb, old_values jsonb, new_values jsonb, columns text[])
LANGUAGE plpgsql STABLE SET work_mem = '128MB' AS $$
DECLARE
    p integer := pggit.period_at(tbl, t1);
    t pggit.tracked;
    keys_a text;
    keys_b text;
    keydoc text;
BEGIN
    IF t2 < t1 THEN
        RAISE EXCEPTION 'pggit: the end of the range (%) is before its start (%)', t2, t1
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF pggit.period_at(tbl, t2) <> p THEN
        RAISE EXCEPTION 'pggit: % and % fall in different tracking periods of %', t1, t2, tbl
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO t FROM pggit.tracked WHERE period = p;
    IF t.key_columns IS NOT NULL THEN
        SELECT string_agg('a.' || quote_ident(k), ', '), string_agg('b.' || quote_ident(k), ', '),
               'jsonb_build_object(' || string_agg(format('%L, coalesce(a.%I, b.%I)', k, k, k), ', ') || ')'
          INTO keys_a, keys_b, keydoc FROM unnest(t.key_columns) k;
        RETURN QUERY EXECUTE format($q$
            SELECT CASE WHEN x.o IS NULL THEN 'inserted' WHEN x.n IS NULL THEN 'deleted' ELSE 'updated' END,
                   x.k,
                   CASE WHEN x.n IS NULL OR x.o IS NULL THEN x.o
                        ELSE (SELECT jsonb_object_agg(c, x.o -> c) FROM unnest(pggit.changed_columns(x.o, x.n)) c) END,
                   CASE WHEN x.n IS NULL OR x.o IS NULL THEN x.n
                        ELSE (SELECT jsonb_object_agg(c, x.n -> c) FROM unnest(pggit.changed_columns(x.o, x.n)) c) END,
                   CASE WHEN x.n IS NULL OR x.o IS NULL THEN '{}'::text[] ELSE pggit.changed_columns(x.o, x.n) END
              FROM (SELECT %s AS k, CASE WHEN a IS NULL THEN NULL ELSE %s END AS o,
                           CASE WHEN b IS NULL THEN NULL ELSE %s END AS n
                      FROM (%s) a FULL JOIN (%s) b ON (%s) = (%s)) x
             WHERE x.o IS DISTINCT FROM x.n
             ORDER BY x.k$q$,
            keydoc, pggit.row_doc_sql(p, 'a'), pggit.row_doc_sql(p, 'b'),
            pggit.as_of_sql(p, t1), pggit.as_of_sql(p, t2), keys_a, keys_b);
    ELSE
        RETURN QUERY EXECUTE format($q$
            SELECT CASE WHEN x.c < 0 THEN 'deleted' ELSE 'inserted' END, NULL::jsonb,
                   CASE WHEN x.c < 0 THEN x.d END, CASE WHEN x.c > 0 THEN x.d END, '{}'::text[]
              FROM (SELECT d, sum(c) AS c FROM (SELECT %1$s AS d, -1 AS c FROM (%2$s) a
                                                UNION ALL SELECT %3$s, 1 FROM (%4$s) b) s
                     GROUP BY d HAVING sum(c) <> 0) x,
                   generate_series(1, abs(x.c))
             ORDER BY 1, x.d::text$q$,
            pggit.row_doc_sql(p, 'a'), pggit.as_of_sql(p, t1), pggit.row_doc_sql(p, 'b'), pggit.as_of_sql(p, t2));
    END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Restore

-- Bring a table (or the rows matching where_clause) back to its state at
-- `at`: into a new table, or in place touching only rows that differ. The
-- in-place changes are ordinary writes, captured in history like any other.
-- where_clause is SQL text run as the caller; pggit's CLI only passes
-- clauses it has parsed and checked.
CREATE FUNCTION pggit.restore_table(tbl regclass, at timestamptz, into_table text DEFAULT NULL,
                                    in_place boolean DEFAULT false, where_clause text DEFAULT NULL)
RETURNS TABLE (inserted bigint, updated bigint, deleted bigint)
LANGUAGE plpgsql SET work_mem = '128MB' AS $$
DECLARE
    p integer := pggit.period_at(tbl::text, at);
    t pggit.tracked;
    src text;
    cond text := coalesce('(' || where_clause || ')', 'true');
    target text;
    ins_cols text;
    set_cols text;
    keys_l text;
    keys_r text;
    rowtext_l text;
    rowtext_r text;
    n_ins bigint := 0;
    n_upd bigint := 0;
    n_del bigint := 0;
    w record;
    added_after text[];
BEGIN
    IF (into_table IS NULL) = (NOT in_place) THEN
        RAISE EXCEPTION 'pggit: restore needs exactly one of into_table or in_place'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO t FROM pggit.tracked WHERE period = p;
    -- Columns that did not exist at `at` keep their current values (or
    -- defaults, for rows restored from the past).
    SELECT * INTO w FROM pggit.tx_window(at);
    SELECT coalesce(array_agg(c->>'name'), '{}') INTO added_after
      FROM jsonb_array_elements(t.columns) c
     WHERE (c->>'added') IS NOT NULL AND w.lo IS NOT NULL AND (c->>'added')::bigint >= w.lo
       AND (c->>'added')::bigint <> ALL (w.inc);
    src := format('SELECT * FROM (%s) q WHERE %s', pggit.as_of_sql(p, at), cond);
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO ins_cols
      FROM pg_attribute a WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attname::text <> ALL (added_after);
    IF into_table IS NOT NULL THEN
        SELECT string_agg(quote_ident(x), '.') INTO target FROM unnest(parse_ident(into_table)) x;
        IF to_regclass(target) IS NOT NULL THEN
            RAISE EXCEPTION 'pggit: % already exists', target USING ERRCODE = 'duplicate_table';
        END IF;
        EXECUTE format('CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED'
                       ' INCLUDING IDENTITY INCLUDING INDEXES)', target, tbl);
        EXECUTE format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM (%s) r', target, ins_cols, ins_cols, src);
        GET DIAGNOSTICS n_ins = ROW_COUNT;
        RETURN QUERY SELECT n_ins, 0::bigint, 0::bigint;
        RETURN;
    END IF;
    IF t.ended_txid IS NOT NULL OR t.relid IS DISTINCT FROM tbl::oid THEN
        RAISE EXCEPTION 'pggit: % is not tracked now; restore into a new table instead', tbl
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', tbl);
    EXECUTE format('CREATE TEMP TABLE "pggit$restore" ON COMMIT DROP AS %s', src);
    IF t.key_columns IS NOT NULL THEN
        SELECT string_agg('l.' || quote_ident(k), ', '), string_agg('r.' || quote_ident(k), ', ')
          INTO keys_l, keys_r FROM unnest(t.key_columns) k;
        SELECT string_agg(format('%I = r.%I', a.attname, a.attname), ', ' ORDER BY a.attnum),
               'ROW(' || string_agg('l.' || quote_ident(a.attname), ', ' ORDER BY a.attnum) || ') IS DISTINCT FROM ROW('
                      || string_agg('r.' || quote_ident(a.attname), ', ' ORDER BY a.attnum) || ')'
          INTO set_cols, rowtext_l
          FROM pg_attribute a WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attname::text <> ALL (added_after)
                                AND a.attidentity <> 'a' AND a.attname::text <> ALL (t.key_columns);
        EXECUTE format('DELETE FROM %s l WHERE %s AND NOT EXISTS (SELECT 1 FROM "pggit$restore" r WHERE (%s) = (%s))',
                       tbl, cond, keys_r, keys_l);
        GET DIAGNOSTICS n_del = ROW_COUNT;
        IF set_cols IS NOT NULL THEN
            EXECUTE format('UPDATE %s l SET %s FROM "pggit$restore" r WHERE (%s) = (%s) AND %s',
                           tbl, set_cols, keys_r, keys_l, rowtext_l);
            GET DIAGNOSTICS n_upd = ROW_COUNT;
        END IF;
        EXECUTE format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM "pggit$restore" r'
                       ' WHERE NOT EXISTS (SELECT 1 FROM %s l WHERE (%s) = (%s))',
                       tbl, ins_cols, ins_cols, tbl, keys_l, keys_r);
        GET DIAGNOSTICS n_ins = ROW_COUNT;
    ELSE
        SELECT 'ROW(' || string_agg('l.' || quote_ident(a.attname), ', ' ORDER BY a.attnum) || ')::text',
               'ROW(' || string_agg('r.' || quote_ident(a.attname), ', ' ORDER BY a.attnum) || ')::text'
          INTO rowtext_l, rowtext_r
          FROM pg_attribute a WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped
                                AND a.attname::text <> ALL (added_after);
        EXECUTE format('WITH cur AS (SELECT l.ctid AS "pggit$ctid", %1$s AS "pggit$r",'
                       ' row_number() OVER (PARTITION BY %1$s) AS "pggit$n" FROM %2$s l WHERE %3$s),'
                       ' want AS (SELECT %4$s AS "pggit$r", count(*) AS "pggit$c" FROM "pggit$restore" r GROUP BY 1)'
                       ' DELETE FROM %2$s d USING cur LEFT JOIN want ON want."pggit$r" = cur."pggit$r"'
                       ' WHERE d.ctid = cur."pggit$ctid" AND cur."pggit$n" > coalesce(want."pggit$c", 0)',
                       rowtext_l, tbl, cond, rowtext_r);
        GET DIAGNOSTICS n_del = ROW_COUNT;
        EXECUTE format('WITH cur AS (SELECT %1$s AS "pggit$r", count(*) AS "pggit$c" FROM %2$s l WHERE %3$s GROUP BY 1),'
                       ' want AS (SELECT r.*, %4$s AS "pggit$r", row_number() OVER (PARTITION BY %4$s) AS "pggit$n"'
                       ' FROM "pggit$restore" r)'
                       ' INSERT INTO %2$s (%5$s) OVERRIDING SYSTEM VALUE SELECT %6$s FROM want r'
                       ' LEFT JOIN cur ON cur."pggit$r" = r."pggit$r" WHERE r."pggit$n" > coalesce(cur."pggit$c", 0)',
                       rowtext_l, tbl, cond, rowtext_r, ins_cols,
                       (SELECT string_agg('r.' || quote_ident(a.attname), ', ' ORDER BY a.attnum)
                          FROM pg_attribute a WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped
                                                AND a.attgenerated = '' AND a.attname::text <> ALL (added_after)));
        GET DIAGNOSTICS n_ins = ROW_COUNT;
    END IF;
    DROP TABLE "pggit$restore";
    RETURN QUERY SELECT n_ins, n_upd, n_del;
END
$$;

-- ---------------------------------------------------------------------------
-- Cache of "as of" results: a time in the past never changes, so the
-- second request for the same (table, time, shape) materialises it and
-- later ones read the copy. Returns the cache table, or NULL.
CREATE FUNCTION pggit.asof_cache_lookup(p integer, at timestamptz, materialise boolean) RETURNS text
LANGUAGE plpgsql SET work_mem = '128MB' AS $$
DECLARE
    sk text := pggit.shape_key(p);
    c pggit.asof_cache;
    name text;
BEGIN
    SELECT * INTO c FROM pggit.asof_cache k WHERE k.period = p AND k.at = asof_cache_lookup.at AND k.shape = sk;
    IF c.cache_table IS NOT NULL THEN
        UPDATE pggit.asof_cache k SET requests = k.requests + 1
         WHERE k.period = p AND k.at = asof_cache_lookup.at AND k.shape = sk;
        RETURN c.cache_table;
    END IF;
    IF c.period IS NULL THEN
        INSERT INTO pggit.asof_cache (period, at, shape) VALUES (p, at, sk) ON CONFLICT DO NOTHING;
        RETURN NULL;
    END IF;
    IF NOT materialise THEN
        UPDATE pggit.asof_cache k SET requests = k.requests + 1
         WHERE k.period = p AND k.at = asof_cache_lookup.at AND k.shape = sk;
        RETURN NULL;
    END IF;
    name := 'asof_' || p || '_' || nextval('pggit.data_seq');
    EXECUTE format('CREATE TABLE pggit.%I AS %s', name, pggit.as_of_sql(p, at));
    -- Repeated questions are often about a few keys.
    IF (SELECT key_columns FROM pggit.tracked WHERE period = p) IS NOT NULL THEN
        EXECUTE format('CREATE INDEX ON pggit.%I (%s)', name,
                       (SELECT string_agg(quote_ident(k), ', ') FROM pggit.tracked t, unnest(t.key_columns) k
                         WHERE t.period = p));
    END IF;
    EXECUTE format('ANALYZE pggit.%I', name);
    UPDATE pggit.asof_cache k SET requests = k.requests + 1, cache_table = name,
           rows = (SELECT reltuples::bigint FROM pg_class WHERE oid = format('pggit.%I', name)::regclass)
     WHERE k.period = p AND k.at = asof_cache_lookup.at AND k.shape = sk;
    RETURN name;
END
$$;

-- ---------------------------------------------------------------------------
-- Retention

-- Forget history older than `older_than`. Snapshots before it block the
-- prune unless forced (then they are dropped too).
CREATE FUNCTION pggit.prune_history(older_than timestamptz, force boolean DEFAULT false, dry_run boolean DEFAULT false)
RETURNS TABLE (item text, count bigint)
LANGUAGE plpgsql AS $$
DECLARE
    w record;
    t pggit.tracked;
    blocked text;
    n bigint;
    total bigint := 0;
    periods bigint := 0;
    caches bigint := 0;
    snaps bigint;
    txs bigint;
    after_txid text;
BEGIN
    IF older_than > clock_timestamp() THEN
        RAISE EXCEPTION 'pggit: % is in the future', older_than USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT string_agg(format('%s (%s)', name, at), ', ' ORDER BY at), count(*) INTO blocked, snaps
      FROM pggit.data_snapshots WHERE at < older_than;
    IF snaps > 0 AND NOT force AND NOT dry_run THEN
        RAISE EXCEPTION 'pggit: snapshots inside the pruned window: %', blocked
            USING ERRCODE = 'object_in_use', HINT = 'drop them, prune to an earlier time, or force (drops them)';
    END IF;
    SELECT * INTO w FROM pggit.tx_window(older_than);
    after_txid := pggit.after_sql('"pggit$txid"', w.lo, w.inc);
    FOR t IN SELECT * FROM pggit.tracked ORDER BY period LOOP
        IF t.ended_txid IS NOT NULL AND NOT (SELECT coalesce(committed_at > older_than, true)
                                               FROM pggit.data_tx WHERE txid = t.ended_txid) THEN
            EXECUTE format('SELECT count(*) FROM pggit.%I', t.history_table) INTO n;
            total := total + n;
            periods := periods + 1;
            IF NOT dry_run THEN
                PERFORM pggit.drop_period(t.period);
            END IF;
            CONTINUE;
        END IF;
        IF dry_run THEN
            EXECUTE format('SELECT count(*) FROM pggit.%I WHERE NOT %s', t.history_table, after_txid) INTO n;
        ELSE
            EXECUTE format('DELETE FROM pggit.%I WHERE NOT %s', t.history_table, after_txid);
            GET DIAGNOSTICS n = ROW_COUNT;
            DELETE FROM pggit.history_keyframes k WHERE k.period = t.period
               AND NOT (w.lo IS NOT NULL AND k.txid >= w.lo AND k.txid <> ALL (w.inc));
            caches := caches + pggit.clear_cache(t.period, older_than);
            IF (SELECT committed_at FROM pggit.data_tx WHERE txid = t.started_txid) < older_than THEN
                UPDATE pggit.tracked SET retained_from = greatest(retained_from, older_than) WHERE period = t.period;
            END IF;
        END IF;
        total := total + n;
    END LOOP;
    IF dry_run THEN
        SELECT count(*) INTO txs FROM pggit.data_tx d
         WHERE (w.lo IS NULL AND d.committed_at <= older_than OR d.txid < w.lo)
           AND d.txid NOT IN (SELECT started_txid FROM pggit.tracked UNION ALL
                              SELECT ended_txid FROM pggit.tracked WHERE ended_txid IS NOT NULL);
    ELSE
        DELETE FROM pggit.data_snapshots WHERE at < older_than;
        DELETE FROM pggit.data_tx d
         WHERE (w.lo IS NULL AND d.committed_at <= older_than OR d.txid < w.lo)
           AND d.txid NOT IN (SELECT started_txid FROM pggit.tracked UNION ALL
                              SELECT ended_txid FROM pggit.tracked WHERE ended_txid IS NOT NULL);
        GET DIAGNOSTICS txs = ROW_COUNT;
    END IF;
    RETURN QUERY VALUES ('history rows', total), ('ended periods', periods), ('transactions', txs),
                        ('snapshots', snaps), ('cached results', caches);
END
$$;
