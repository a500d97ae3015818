-- ---------------------------------------------------------------------------
-- Cache of "as of" results: a time in the past never changes, so the
-- second request for the same (table, time, shape) materialises it and
-- later ones read the copy. Returns the cache table, or NULL.
CREATE OR REPLACE FUNCTION pggit.asof_cache_lookup(p integer, at timestamptz, materialise boolean,
                                        then_shape boolean DEFAULT false) RETURNS text
LANGUAGE plpgsql SET work_mem = '128MB' SET jit = off AS $$
DECLARE
    sk text := pggit.shape_key(p) || CASE WHEN then_shape THEN ':then' ELSE '' END;
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
    EXECUTE format('CREATE TABLE pggit.%I AS %s', name, pggit.counted(pggit.as_of_sql(p, at, then_shape)));
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
CREATE OR REPLACE FUNCTION pggit.prune_history(older_than timestamptz, force boolean DEFAULT false, dry_run boolean DEFAULT false)
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
               AND NOT pggit.is_after(k.txid, w.lo, w.inc);
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
