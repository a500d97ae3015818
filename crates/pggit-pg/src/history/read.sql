-- Reading: the window of a time, the as-of rebuild, one row's history, changes.

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

-- SQL text of "is txid expression e after the window" for a column that is
-- never NULL (a plain bound, so a BRIN index on txid skips the history
-- written before the window).
CREATE FUNCTION pggit.after_sql_notnull(e text, lo bigint, inc bigint[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN lo IS NULL THEN 'false'
        WHEN cardinality(inc) = 0 THEN format('%s >= %s', e, lo)
        ELSE format('(%s >= %s AND %s <> ALL (%L::bigint[]))', e, lo, e, inc)
    END;
$$;

-- The same for a column that may be NULL (NULL: not after).
CREATE FUNCTION pggit.after_sql(e text, lo bigint, inc bigint[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN lo IS NULL THEN 'false'
                ELSE format('coalesce(%s, false)', pggit.after_sql_notnull(e, lo, inc)) END;
$$;

-- Whether txid x committed after the window (lo, inc).
CREATE FUNCTION pggit.is_after(x bigint, lo bigint, inc bigint[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT x IS NOT NULL AND lo IS NOT NULL AND x >= lo AND x <> ALL (inc);
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

-- The output columns of an "as of" read, as select lists for the live
-- table (alias-free) and the history table (alias h), and their names.
-- Current shape: the table's columns now; columns added after the window
-- read NULL; history values of retyped columns fall back to the retired
-- column, cast. Shape then (then_shape): the columns that existed at the
-- window, in their types then (dropped ones included; renamed ones under
-- their current names).
CREATE FUNCTION pggit.shape(p integer, lo bigint, inc bigint[], then_shape boolean,
                            OUT live_cols text, OUT hist_cols text, OUT names text[])
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t pggit.tracked;
    c record;
    r jsonb;
    l text[] := '{}';
    h text[] := '{}';
    n text[] := '{}';
BEGIN
    SELECT * INTO t FROM pggit.tracked WHERE period = p;
    FOR c IN
        SELECT e AS col, false AS gone, (e->>'attnum')::int AS attnum FROM jsonb_array_elements(t.columns) e
        UNION ALL
        SELECT d, true, (d->>'attnum')::int FROM jsonb_array_elements(t.dropped) d
         WHERE then_shape AND pggit.is_after((d->>'until')::bigint, lo, inc)
        ORDER BY 3
    LOOP
        IF pggit.is_after((c.col->>'added')::bigint, lo, inc) THEN
            IF then_shape THEN
                CONTINUE;
            END IF;
            l := l || format('NULL::%s AS %I', c.col->>'type', c.col->>'name');
            h := h || format('NULL::%s AS %I', c.col->>'type', c.col->>'name');
        ELSIF c.gone THEN
            l := l || format('NULL::%s AS %I', c.col->>'type', c.col->>'name');
            h := h || format('h.%I AS %I', c.col->>'hist', c.col->>'name');
        ELSE
            -- The type it had then: the first retirement after the window.
            SELECT e INTO r FROM jsonb_array_elements(coalesce(c.col->'retired', '[]')) e
             WHERE then_shape AND pggit.is_after((e->>'until')::bigint, lo, inc)
             ORDER BY (e->>'until')::bigint LIMIT 1;
            IF r IS NOT NULL THEN
                l := l || format('NULL::%s AS %I', r->>'type', c.col->>'name');
                h := h || format('h.%I AS %I', r->>'hist', c.col->>'name');
            ELSE
                l := l || quote_ident(c.col->>'name');
                h := h || CASE WHEN jsonb_array_length(coalesce(c.col->'retired', '[]')) > 0
                               THEN format('coalesce(h.%I%s) AS %I', c.col->>'name',
                                           (SELECT string_agg(format(', h.%I::text::%s', e->>'hist', c.col->>'type'), '')
                                              FROM jsonb_array_elements(c.col->'retired') e),
                                           c.col->>'name')
                               ELSE 'h.' || quote_ident(c.col->>'name') END;
            END IF;
        END IF;
        n := n || quote_ident(c.col->>'name');
    END LOOP;
    live_cols := array_to_string(l, ', ');
    hist_cols := array_to_string(h, ', ');
    names := n;
END
$$;

-- SQL of the whole table as of `at`, in the table's current shape.
CREATE FUNCTION pggit.as_of_sql(p integer, at timestamptz, then_shape boolean DEFAULT false) RETURNS text
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
    names text[];
BEGIN
    PERFORM pggit.check_time(p, at);
    SELECT * INTO t FROM pggit.tracked WHERE period = p;
    SELECT * INTO w FROM pggit.tx_window(at);
    h := 'pggit.' || quote_ident(t.history_table);
    live := quote_ident(t.schema_name) || '.' || quote_ident(t.table_name);
    SELECT s.live_cols, s.hist_cols, s.names INTO cols_l, cols_h, names
      FROM pggit.shape(p, w.lo, w.inc, then_shape) s;
    -- The first complete image after `at`, if any, replaces the live table.
    SELECT k.* INTO kf FROM pggit.history_keyframes k
     WHERE k.period = p AND pggit.is_after(k.txid, w.lo, w.inc)
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
    keys_h := array_to_string(names, ', ');
    SELECT string_agg('v.' || n, ', ') INTO keys_l FROM unnest(names) n;
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
-- Reading

-- The SQL of the table as of `at`, to run yourself (no PL/pgSQL
-- materialisation of the result): SELECT pggit.as_of_query('public.orders', '...') \gexec
-- With then_shape, in the columns and types the table had then.
CREATE FUNCTION pggit.as_of_query(tbl text, at timestamptz, then_shape boolean DEFAULT false) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT pggit.as_of_sql(pggit.period_at(tbl, at), at, then_shape);
$$;

-- The table as of `at`, in its current shape:
--   SELECT * FROM pggit.as_of(NULL::public.orders, '2026-11-20 10:00');
CREATE FUNCTION pggit.as_of(tbl anyelement, at timestamptz) RETURNS SETOF anyelement
LANGUAGE plpgsql STABLE SET work_mem = '128MB' SET jit = off AS $$
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
            SELECT e.*, lead(e.doc) OVER (ORDER BY e.seq) AS next_doc, lead(e.seq) OVER (ORDER BY e.seq) AS next_seq
              FROM e
        ), n AS (
            -- The version each change made: the next before image, or the live row after the last change.
            SELECT v.*, CASE WHEN v.next_seq IS NOT NULL THEN v.next_doc
                             ELSE (SELECT %4$s FROM %5$s l WHERE %6$s) END AS new_doc
              FROM v
        )
        SELECT d.committed_at, n.tx, d.role,
               CASE WHEN n.op = 'T' THEN 'truncate'
                    WHEN n.doc IS NULL THEN 'insert'
                    WHEN n.new_doc IS NULL THEN 'delete'
                    ELSE 'update' END,
               n.doc, n.new_doc, pggit.changed_columns(n.doc, n.new_doc)
          FROM n LEFT JOIN pggit.data_tx d ON d.txid = n.tx
         WHERE n.op <> 'A'
         ORDER BY n.seq$q$,
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
LANGUAGE plpgsql STABLE SET work_mem = '128MB' SET jit = off AS $$
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
