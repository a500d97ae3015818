-- Functions every row-history upgrade re-creates (CREATE OR REPLACE): the
-- generator of capture functions, and name resolution.

-- Code of someone else's that the capture function (SECURITY DEFINER, so
-- it runs as pggit's role) would run: a CHECK of a domain a column uses
-- (also through arrays and domains over domains) that calls a function
-- outside pg_catalog. NULL when there is none.
CREATE OR REPLACE FUNCTION pggit.untrusted_code(rel oid) RETURNS text
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE t(col, typ) AS (
        SELECT a.attname::text, a.atttypid FROM pg_attribute a
         WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
      UNION
        SELECT t.col, CASE WHEN y.typtype = 'd' THEN y.typbasetype ELSE y.typelem END
          FROM t JOIN pg_type y ON y.oid = t.typ
         WHERE y.typtype = 'd' OR (y.typcategory = 'A' AND y.typelem <> 0)
    )
    SELECT format('column %I uses domain %s, whose constraint calls %s', t.col, c.contypid::regtype,
                  d.refobjid::regprocedure)
      FROM t
      JOIN pg_constraint c ON c.contypid = t.typ
      JOIN pg_depend d ON d.classid = 'pg_constraint'::regclass AND d.objid = c.oid
                      AND d.refclassid = 'pg_proc'::regclass
      JOIN pg_proc p ON p.oid = d.refobjid
     WHERE p.pronamespace <> 'pg_catalog'::regnamespace
     LIMIT 1;
$$;

-- (Re)write the capture function of a period from its current columns.
CREATE OR REPLACE FUNCTION pggit.generate_capture(p integer) RETURNS void
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
    risky text;
BEGIN
    SELECT * INTO t FROM pggit.tracked WHERE period = p;
    risky := pggit.untrusted_code(t.relid);
    IF risky IS NOT NULL THEN
        RAISE EXCEPTION 'pggit: %.% cannot have row history: %', quote_ident(t.schema_name), quote_ident(t.table_name), risky
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'row history is written as the role that installed it; a domain check calling a user function would run with its rights';
    END IF;
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
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
<<pggit_capture>>
DECLARE
    x bigint := txid_current();
    s bigint := nextval('pggit.data_seq');
BEGIN
    INSERT INTO pggit.data_tx (txid) VALUES (pggit_capture.x) ON CONFLICT DO NOTHING;%s
    RETURN NULL;
END
$body$;
REVOKE ALL ON FUNCTION pggit.%1$I() FROM PUBLIC;$f$, 'capture_' || p, body);
END
$gen$;

-- The tracking period of a table (by name, also once dropped) that can
-- answer for `at`.
CREATE OR REPLACE FUNCTION pggit.period_at(tbl text, at timestamptz) RETURNS integer
LANGUAGE plpgsql STABLE AS $$
DECLARE
    rel oid;
    p integer;
    q integer;
BEGIN
    -- The name as the caller wrote it: an unqualified one is looked up as
    -- PostgreSQL's default search_path would (only this lookup runs under
    -- it), or taken to be in public.
    PERFORM pg_catalog.set_config('search_path', '"$user", public', true);
    rel := pg_catalog.to_regclass(tbl);
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    FOR p IN
        SELECT t.period FROM pggit.tracked t
         WHERE (rel IS NOT NULL AND t.relid = rel)
            OR (quote_ident(t.schema_name) || '.' || quote_ident(t.table_name) = tbl)
            OR (t.schema_name || '.' || t.table_name = tbl)
            OR (t.schema_name = 'public' AND quote_ident(t.table_name) = tbl)
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

-- A query that counts the rows it produces, for a progress bar: when the
-- session asks for it (pggit.count_rows = on, and its temporary sequence
-- "pggit$progress" exists), every 4,096th row sets this transaction's
-- application_name to 'pggit rows N', which pg_stat_activity shows to a
-- second connection at once. Otherwise the query as given.
CREATE OR REPLACE FUNCTION pggit.counted(q text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN current_setting('pggit.count_rows', true) = 'on'
                 AND to_regclass('pg_temp."pggit$progress"') IS NOT NULL
           -- OFFSET 0: the (volatile) count must not be pushed down into
           -- the rebuild, where it would count rows the rebuild drops.
           THEN format('SELECT * FROM (%s OFFSET 0) "pggit$counted"'
                       ' WHERE nextval(%L::regclass) %% 4096 <> 0'
                       ' OR set_config(%L, %L || currval(%L::regclass), true) IS NOT NULL',
                       q, 'pg_temp."pggit$progress"', 'application_name', 'pggit rows ',
                       'pg_temp."pggit$progress"')
           ELSE q END;
$$;
