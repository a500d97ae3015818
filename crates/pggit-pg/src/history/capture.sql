-- Capture: tracking a table, its generated capture function, following
-- schema changes.

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
-- SECURITY DEFINER: it runs for every role's DDL, and keeps pggit's own
-- tables in step.
CREATE FUNCTION pggit.sync_tracked() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    t pggit.tracked;
    old jsonb;
    cur jsonb;
    o jsonb;
    c jsonb;
    newcols jsonb;
    hist_has boolean;
    newkeys text[];
    gone jsonb;
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
        gone := '[]';
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
                            'hist', (o->>'name') || '$' || x || '_' || (o->>'attnum'), 'type', o->>'type',
                            'until', x))));
                ELSE
                    gone := gone || jsonb_build_array(jsonb_build_object(
                        'attnum', o->'attnum', 'name', o->>'name', 'type', o->>'type', 'added', o->'added',
                        'hist', (o->>'name') || '$' || x || '_' || (o->>'attnum'), 'until', x));
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
        UPDATE pggit.tracked SET columns = coalesce(newcols, '[]'), key_columns = newkeys, dropped = t.dropped || gone
         WHERE period = t.period;
        PERFORM pggit.generate_capture(t.period);
        PERFORM pggit.clear_cache(t.period);
    END LOOP;
    PERFORM set_config('pggit.syncing', 'off', true);
END
$$;
CREATE EVENT TRIGGER pggit_history_sync ON ddl_command_end EXECUTE FUNCTION pggit.sync_tracked();
CREATE EVENT TRIGGER pggit_history_drop ON sql_drop EXECUTE FUNCTION pggit.sync_tracked();
