-- ---------------------------------------------------------------------------
-- Restore

-- Bring a table (or the rows matching where_clause) back to its state at
-- `at`: into a new table, or in place touching only rows that differ. The
-- in-place changes are ordinary writes, captured in history like any other.
-- where_clause is SQL text run as the caller; pggit's CLI only passes
-- clauses it has parsed and checked.
CREATE OR REPLACE FUNCTION pggit.restore_table(tbl regclass, at timestamptz, into_table text DEFAULT NULL,
                                    in_place boolean DEFAULT false, where_clause text DEFAULT NULL)
RETURNS TABLE (inserted bigint, updated bigint, deleted bigint)
LANGUAGE plpgsql SET work_mem = '128MB' SET jit = off AS $$
DECLARE
    p integer := pggit.period_at(tbl::text, at);
    t pggit.tracked;
    src text;
    cond text := coalesce('(' || where_clause || ')', 'true');
    target text;
    parts text[];
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
    -- The rows counted (pggit.counted) show in application_name until the
    -- end of this transaction; its writes are recorded under the session's
    -- own name (pggit.data_tx.application_name reads this first).
    PERFORM set_config('pggit.application_name', current_setting('application_name'), true);
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
     WHERE pggit.is_after((c->>'added')::bigint, w.lo, w.inc);
    src := pggit.counted(format('SELECT * FROM (%s) q WHERE %s', pggit.as_of_sql(p, at), cond));
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO ins_cols
      FROM pg_attribute a WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attname::text <> ALL (added_after);
    IF into_table IS NOT NULL THEN
        parts := parse_ident(into_table);
        IF cardinality(parts) = 1 THEN
            -- An unqualified name goes next to the table it restores.
            parts := ARRAY[(SELECT n.nspname::text FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
                             WHERE r.oid = tbl)] || parts;
        END IF;
        IF cardinality(parts) <> 2 THEN
            RAISE EXCEPTION 'pggit: restore target % must be [schema.]table', into_table
                USING ERRCODE = 'invalid_name';
        END IF;
        IF parts[1] IN ('pggit', 'pg_catalog', 'information_schema') OR parts[1] LIKE 'pg\_%' THEN
            RAISE EXCEPTION 'pggit: cannot restore into schema %, which is not a user schema', quote_ident(parts[1])
                USING ERRCODE = 'invalid_schema_name';
        END IF;
        IF to_regnamespace(quote_ident(parts[1])) IS NULL THEN
            RAISE EXCEPTION 'pggit: schema % does not exist', quote_ident(parts[1])
                USING ERRCODE = 'invalid_schema_name';
        END IF;
        SELECT string_agg(quote_ident(x), '.') INTO target FROM unnest(parts) x;
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
