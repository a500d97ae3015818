//! The target's figures for `pggit lint --db`: rows, size and write rate of
//! the tables a migration touches, and transactions open long enough to
//! hold up its locks. Read-only; an exact row count is taken only of a small
//! table whose statistics say nothing, under a statement timeout.

use pggit_lint::facts::INDEX_TABLE;
use pggit_lint::target::{OpenTransaction, TableFigures, Target};

use crate::PgError;

/// The oid of the relation named `$1` as a migration names it (`orders`,
/// `shop.orders`, a name with a dot inside): the schema-qualified reading
/// first, else a relation of that whole name on the search path. Read
/// from the catalog, so no name raises an error (`to_regclass` does on
/// too many dots).
pub const RELATION_OID: &str =
    "(SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE (strpos($1::text, '.') > 0 AND n.nspname = split_part($1::text, '.', 1)
           AND c.relname = substr($1::text, length(split_part($1::text, '.', 1)) + 2))
       OR (c.relname = $1::text AND pg_table_is_visible(c.oid))
    ORDER BY (n.nspname = split_part($1::text, '.', 1)) DESC LIMIT 1)";

/// Pages under which a table without statistics is counted exactly.
const COUNT_BELOW_PAGES: i64 = 10_000;

/// Figures of the relations named `names` (as a migration names them:
/// `orders`, `shop.orders`, or "the table of index X"), and transactions
/// open for more than `long_after` seconds. Names the target does not know
/// (a table the migration creates) are left out.
pub fn read(
    client: &mut postgres::Client,
    names: &[String],
    long_after: f64,
) -> Result<Target, PgError> {
    let mut tx = client.build_transaction().read_only(true).start()?;
    let version: i32 = tx
        .query_one(
            "SELECT current_setting('server_version_num')::int / 10000",
            &[],
        )?
        .get(0);
    let mut target = Target {
        version: u32::try_from(version).unwrap_or(0),
        ..Target::default()
    };
    for name in names {
        if let Some(f) = figures(&mut tx, name)? {
            target.tables.insert(name.clone(), f);
        }
    }
    target.long_transactions = tx
        .query(
            "SELECT pid, extract(epoch FROM now() - xact_start)::float8, coalesce(state, '')
               FROM pg_stat_activity
              WHERE xact_start < now() - make_interval(secs => $1) AND pid <> pg_backend_pid()
                AND datname = current_database()
                AND backend_type = 'client backend'
              ORDER BY xact_start",
            &[&long_after],
        )?
        .iter()
        .map(|r| OpenTransaction {
            pid: r.get(0),
            seconds: r.get(1),
            state: r.get(2),
        })
        .collect();
    // Replication slots (readable by every role): a rewrite's WAL waits
    // for their consumers. On a standby there is no current WAL position.
    target.replication_slots = tx
        .query(
            "SELECT slot_name::text, slot_type, active,
                    coalesce(CASE WHEN pg_is_in_recovery() THEN NULL
                                  ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) END, 0)::int8
               FROM pg_replication_slots ORDER BY slot_name",
            &[],
        )?
        .iter()
        .map(|r| pggit_lint::target::ReplicationSlot {
            name: r.get(0),
            kind: r.get(1),
            active: r.get(2),
            retained_bytes: r.get(3),
        })
        .collect();
    tx.commit()?;
    Ok(target)
}

fn figures(
    tx: &mut postgres::Transaction<'_>,
    name: &str,
) -> Result<Option<TableFigures>, PgError> {
    // The parts are exact names (the parser folded them already): quote each.
    let oid: Option<u32> = match name.strip_prefix(INDEX_TABLE) {
        Some(index) => tx
            .query_opt(
                &format!("SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = {RELATION_OID}"),
                &[&index],
            )?
            .map(|r| r.get(0)),
        None => tx
            .query_one(&format!("SELECT {RELATION_OID}"), &[&name])?
            .get(0),
    };
    let Some(oid) = oid else {
        return Ok(None);
    };
    // A partitioned table holds nothing itself: its figures are its leaves'.
    let row = tx.query_one(
        "WITH parts AS (
            SELECT t.relid FROM pg_partition_tree($1::oid::regclass) t WHERE t.isleaf
            UNION ALL SELECT $1::oid::regclass
             WHERE NOT EXISTS (SELECT FROM pg_partition_tree($1::oid::regclass) t WHERE t.isleaf))
         SELECT sum(CASE WHEN c.reltuples > 0 THEN c.reltuples ELSE 0 END)::float8
                  - CASE WHEN bool_and(c.reltuples < 0) THEN 1 ELSE 0 END,
                sum(pg_total_relation_size(c.oid))::int8, (sum(pg_relation_size(c.oid)) / 8192)::int8,
                sum(s.n_tup_ins + s.n_tup_upd + s.n_tup_del)::float8,
                extract(epoch FROM now() - coalesce(
                    (SELECT d.stats_reset FROM pg_stat_database d WHERE d.datname = current_database()),
                    pg_postmaster_start_time()))::float8,
                $1::oid::regclass::text,
                sum(pg_table_size(c.oid))::int8, sum(pg_indexes_size(c.oid))::int8,
                (SELECT count(*) FROM pg_index i WHERE i.indrelid = $1::oid)::int4
           FROM parts p JOIN pg_class c ON c.oid = p.relid LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid",
        &[&oid],
    )?;
    let reltuples: f64 = row.get(0);
    let pages: i64 = row.get(2);
    let mut rows = reltuples.max(0.0);
    // No statistics yet (never analysed, or analysed empty and filled since):
    // count a small table, estimate a big one from its pages.
    if reltuples <= 0.0 && pages > 0 {
        rows = if pages < COUNT_BELOW_PAGES {
            let rel: String = row.get(5);
            let mut sp = tx.savepoint("pggit_count")?;
            sp.batch_execute("SET LOCAL statement_timeout = '5s'")?;
            let counted = sp
                .query_one(&format!("SELECT count(*)::float8 FROM {rel}"), &[])
                .map(|r| r.get::<_, f64>(0));
            match counted {
                Ok(n) => {
                    sp.commit()?;
                    n
                }
                // No SELECT right, or too slow: the pages say roughly.
                Err(_) => {
                    sp.rollback()?;
                    pages as f64 * 60.0
                }
            }
        } else {
            pages as f64 * 60.0
        };
    }
    let writes: Option<f64> = row.get(3);
    let seconds: f64 = row.get(4);
    let indexes: i32 = row.get(8);
    Ok(Some(TableFigures {
        rows,
        bytes: row.get(1),
        table_bytes: row.get(6),
        index_bytes: row.get(7),
        indexes: u32::try_from(indexes).unwrap_or(0),
        writes_per_second: writes.filter(|_| seconds > 0.0).map(|w| w / seconds),
    }))
}
