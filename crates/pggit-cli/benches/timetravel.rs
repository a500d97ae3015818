//! Row-history benchmark (issue 4), in one run against the history-table
//! style reference (temporal_tables: validity range on the row, PL/pgSQL
//! row trigger copying the old row into a history table).
//!
//! 1,000,000 rows; ten rounds of 100,000 updates (random keys) on an
//! untracked copy, a pggit-tracked copy and the reference. Reports write
//! cost, AS OF the whole table at early / middle / late times, one row's
//! history, and a repeated AS OF served from the cache.
//!
//! Run: `cargo bench -p pggit-cli --bench timetravel` (uses PGGIT_TEST_URL
//! or the local server). Prints a Markdown table.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use pggit::pg::history::SETTLE_LOCK;
use pggit::pg::scratch::{test_admin_config, ScratchDb};
use pggit::{InitOptions, Repository};
use postgres::Client;

const ROWS: i64 = 1_000_000;
const ROUNDS: i64 = 10;
const PER_ROUND: i64 = 100_000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn time(c: &mut Client, sql: &str) -> Duration {
    let t = Instant::now();
    c.batch_execute(sql).unwrap();
    t.elapsed()
}

fn runs(n: usize, c: &mut Client, sql: &str) -> Duration {
    median((0..n).map(|_| time(c, sql)).collect())
}

fn now(c: &mut Client) -> String {
    c.execute("SELECT pg_advisory_lock($1)", &[&SETTLE_LOCK])
        .unwrap();
    let t: String = c
        .query_one("SELECT clock_timestamp()::text", &[])
        .unwrap()
        .get(0);
    c.execute("SELECT pg_advisory_unlock($1)", &[&SETTLE_LOCK])
        .unwrap();
    t
}

const SETUP: &str = r#"
CREATE TABLE u (id int PRIMARY KEY, customer_id int NOT NULL, amount numeric(12,2) NOT NULL, status text NOT NULL, note text);
INSERT INTO u SELECT g, g % 1000, g * 0.01, 'new', 'note ' || g FROM generate_series(1, 1000000) g;
CREATE TABLE t (LIKE u INCLUDING ALL); INSERT INTO t SELECT * FROM u;
CREATE TABLE r (LIKE u INCLUDING ALL); ALTER TABLE r ADD COLUMN sys_period tstzrange NOT NULL DEFAULT tstzrange(now(), NULL);
INSERT INTO r SELECT *, tstzrange(now(), NULL) FROM u;
CREATE TABLE r_history (LIKE r);
CREATE INDEX ON r_history (id);
CREATE INDEX ON r_history USING gist (sys_period);
CREATE FUNCTION versioning() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO r_history SELECT OLD.id, OLD.customer_id, OLD.amount, OLD.status, OLD.note,
                                     tstzrange(lower(OLD.sys_period), now());
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    NEW.sys_period := tstzrange(now(), NULL);
    RETURN NEW;
END $$;
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON r FOR EACH ROW EXECUTE FUNCTION versioning();
CREATE TABLE ids AS SELECT r, (hashint4((r * 100003 + g)::int) & 1048575) % 1000000 + 1 AS id
  FROM generate_series(1, $ROUNDS) r, generate_series(1, $PER_ROUND) g;
CREATE INDEX ON ids (r);
"#;

fn main() {
    let db = ScratchDb::create(&test_admin_config(), "pggit_bench_tt").expect("scratch db");
    let mut c = db.connect().unwrap();
    eprintln!("loading {ROWS} rows x3 ...");
    c.batch_execute(
        &SETUP
            .replace("$ROUNDS", &ROUNDS.to_string())
            .replace("$PER_ROUND", &PER_ROUND.to_string()),
    )
    .unwrap();
    c.batch_execute("VACUUM ANALYZE").unwrap();
    let (mut repo, _) = Repository::init(&db.config, &InitOptions::default()).unwrap();
    repo.track(&["public.t".into()], None).unwrap();
    c.batch_execute("SET jit = off").unwrap();

    // Write cost: the same rounds on each table, interleaved.
    let mut moments = Vec::new();
    let (mut wu, mut wt, mut wr) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for round in 1..=ROUNDS {
        moments.push(now(&mut c));
        std::thread::sleep(Duration::from_millis(20));
        let upd = |tbl: &str| {
            format!("UPDATE {tbl} SET amount = amount + 1, status = 'r{round}' WHERE id IN (SELECT id FROM ids WHERE r = {round})")
        };
        c.batch_execute("CHECKPOINT").unwrap();
        wu += time(&mut c, &upd("u"));
        c.batch_execute("CHECKPOINT").unwrap();
        wt += time(&mut c, &upd("t"));
        c.batch_execute("CHECKPOINT").unwrap();
        wr += time(&mut c, &upd("r"));
        eprintln!("round {round}: untracked {wu:?} tracked {wt:?} reference {wr:?}");
    }
    moments.push(now(&mut c));
    c.batch_execute("VACUUM ANALYZE").unwrap();

    // Single-row transactions (pgbench-like), one connection.
    let single = |c: &mut Client, tbl: &str| -> f64 {
        let n = 1000;
        let t = Instant::now();
        for i in 0..n {
            c.batch_execute(&format!(
                "UPDATE {tbl} SET amount = amount + 1 WHERE id = {}",
                (i * 7919) % ROWS + 1
            ))
            .unwrap();
        }
        n as f64 / t.elapsed().as_secs_f64()
    };
    // Alternate five times; the server's own background work drifts.
    let (mut su, mut st, mut sr) = (0.0, 0.0, 0.0);
    for _ in 0..5 {
        su += single(&mut c, "u") / 5.0;
        st += single(&mut c, "t") / 5.0;
        sr += single(&mut c, "r") / 5.0;
    }

    // AS OF, whole table. The CLI runs the rebuild with work_mem = 128MB
    // (the SQL function sets the same); so does this session.
    c.batch_execute("SET work_mem = '128MB'").unwrap();
    let mut asof = Vec::new();
    for (label, i) in [
        ("early (after round 1)", 1usize),
        ("middle (after round 5)", 5),
        ("late (after round 9)", 9),
    ] {
        let at = &moments[i];
        let sql: String = c
            .query_one("SELECT pggit.as_of_sql(pggit.period_at('t', $1::text::timestamptz), $1::text::timestamptz)", &[at])
            .unwrap()
            .get(0);
        let ours = runs(3, &mut c, &format!("SELECT count(*) FROM ({sql}) q"));
        let func = runs(
            3,
            &mut c,
            &format!("SELECT count(*) FROM pggit.as_of(NULL::t, '{at}')"),
        );
        let reference = runs(
            3,
            &mut c,
            &format!(
                "SELECT count(*) FROM (SELECT id, customer_id, amount, status, note FROM r WHERE lower(sys_period) <= '{at}'
                  UNION ALL SELECT id, customer_id, amount, status, note FROM r_history WHERE sys_period @> '{at}'::timestamptz) q"
            ),
        );
        let n: i64 = c
            .query_one(&format!("SELECT count(*) FROM ({sql}) q"), &[])
            .unwrap()
            .get(0);
        assert_eq!(n, ROWS);
        asof.push((label, ours, func, reference));
    }

    // One row's history.
    let hist = runs(
        21,
        &mut c,
        "SELECT * FROM pggit.row_history('public.t', '{\"id\": 4242}')",
    );
    let hist_ref = runs(
        21,
        &mut c,
        "SELECT * FROM r_history WHERE id = 4242 ORDER BY lower(sys_period)",
    );

    // Repeated AS OF: first computation, then served from the cache.
    let at = &moments[3];
    let first = time(
        &mut c,
        &format!("SELECT count(*) FROM pggit.as_of(NULL::t, '{at}')"),
    );
    let t0 = Instant::now();
    repo.as_of("public.t", at, Some("id <= 1000")).unwrap();
    let cli_first = t0.elapsed();
    let t0 = Instant::now();
    repo.as_of("public.t", at, Some("id <= 1000")).unwrap(); // materialises
    let materialise = t0.elapsed();
    let rebuild_sql: String = c
        .query_one(
            "SELECT pggit.as_of_sql(pggit.period_at('t', $1::text::timestamptz), $1::text::timestamptz)",
            &[at],
        )
        .unwrap()
        .get(0);
    let rebuild = runs(
        3,
        &mut c,
        &format!("SELECT count(*), sum(amount) FROM ({rebuild_sql}) q"),
    );
    let cached = runs(
        5,
        &mut c,
        &format!("SELECT count(*) FROM pggit.as_of(NULL::t, '{at}')"),
    );
    let cache_table: String = c
        .query_one(
            "SELECT cache_table FROM pggit.asof_cache WHERE cache_table IS NOT NULL",
            &[],
        )
        .unwrap()
        .get(0);
    let from_cache = runs(
        5,
        &mut c,
        &format!("SELECT count(*), sum(amount) FROM pggit.\"{cache_table}\""),
    );
    let t0 = Instant::now();
    let r = repo.as_of("public.t", at, Some("id <= 1000")).unwrap();
    let cli_cached = t0.elapsed();
    assert!(r.cached);

    let sizes: (String, String) = {
        let row = c
            .query_one(
                "SELECT pg_size_pretty(pg_total_relation_size('pggit.history_1')), pg_size_pretty(pg_total_relation_size('r_history'))",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };

    println!("| measure | pggit | reference (temporal_tables style) | untracked |");
    println!("|---|---|---|---|");
    println!(
        "| 10 x 100k-row UPDATE, total | {} | {} | {} |",
        ms(wt),
        ms(wr),
        ms(wu)
    );
    println!(
        "| bulk write throughput vs untracked | {:.2} | {:.2} | 1 |",
        wu.as_secs_f64() / wt.as_secs_f64(),
        wu.as_secs_f64() / wr.as_secs_f64()
    );
    println!(
        "| single-row UPDATE transactions/s | {st:.0} ({:.2} of untracked) | {sr:.0} ({:.2}) | {su:.0} |",
        st / su,
        sr / su
    );
    for (label, ours, func, reference) in &asof {
        println!(
            "| AS OF whole table, {label}: `count(*)` over the rebuild / over `pggit.as_of()` | {} / {} | {} | |",
            ms(*ours),
            ms(*func),
            ms(*reference)
        );
    }
    println!(
        "| one row's history (id 4242) | {} | {} | |",
        ms(hist),
        ms(hist_ref)
    );
    println!(
        "| repeated AS OF (middle), SQL function: first / cached | {} / {} ({:.0}x) | | |",
        ms(first),
        ms(cached),
        first.as_secs_f64() / cached.as_secs_f64()
    );
    println!(
        "| `asof --where 'id <= 1000'` (porcelain): first / second (materialises) / cached | {} / {} / {} ({:.0}x) | | |",
        ms(cli_first),
        ms(materialise),
        ms(cli_cached),
        cli_first.as_secs_f64() / cli_cached.as_secs_f64()
    );
    println!(
        "| repeated aggregate `count(*), sum(amount)` as of the middle: rebuild / materialised copy | {} / {} ({:.0}x) | | |",
        ms(rebuild),
        ms(from_cache),
        rebuild.as_secs_f64() / from_cache.as_secs_f64()
    );
    println!("| history size | {} | {} | |", sizes.0, sizes.1);
    // Last, so the other figures are taken before any CLI process ran.
    // End to end, as a user runs it: a whole `pggit asof ... --format csv`
    // process writing a file, against psql writing the reference's as-of
    // query with COPY the same way (same rows, same order). pggit's first
    // request is uncached; its third is served from the cache it builds.
    let url = pggit::pg::connect::url(&db.config);
    let out = std::env::temp_dir().join(format!("{}.csv", db.name));
    let process = |cmd: &mut std::process::Command| -> Duration {
        let file = std::fs::File::create(&out).unwrap();
        let t = Instant::now();
        let st = cmd.stdout(file).status().unwrap();
        let d = t.elapsed();
        assert!(st.success(), "{cmd:?} failed");
        d
    };
    let mut end_to_end = Vec::new();
    for (label, i) in [("early", 1usize), ("middle", 5), ("late", 9)] {
        let at = &moments[i];
        let pggit_run = || {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pggit"));
            cmd.args([
                "--db", &url, "asof", "public.t", "--at", at, "--format", "csv",
            ]);
            cmd
        };
        let first = process(&mut pggit_run());
        let ours_bytes = std::fs::metadata(&out).unwrap().len();
        process(&mut pggit_run());
        let cached = process(&mut pggit_run());
        let reference_sql = format!(
            "COPY (SELECT * FROM (SELECT id, customer_id, amount, status, note FROM r WHERE lower(sys_period) <= '{at}'
               UNION ALL SELECT id, customer_id, amount, status, note FROM r_history WHERE sys_period @> '{at}'::timestamptz) q
               ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)"
        );
        let reference = median(
            (0..3)
                .map(|_| {
                    let mut cmd = std::process::Command::new("psql");
                    cmd.args(["-X", "-q", "-d", &url, "-c", &reference_sql]);
                    process(&mut cmd)
                })
                .collect(),
        );
        let ref_bytes = std::fs::metadata(&out).unwrap().len();
        assert_eq!(ours_bytes, ref_bytes, "both write the same CSV");
        end_to_end.push((label, first, cached, reference));
    }
    let _ = std::fs::remove_file(&out);

    for (label, first, cached, reference) in &end_to_end {
        println!(
            "| `pggit asof t --at T --format csv > file`, {label}: first / cached, vs `psql -c \"COPY (...) TO STDOUT (FORMAT csv, HEADER)\" > file` | {} / {} ({:.2}x / {:.2}x of the reference) | {} | |",
            ms(*first),
            ms(*cached),
            first.as_secs_f64() / reference.as_secs_f64(),
            cached.as_secs_f64() / reference.as_secs_f64(),
            ms(*reference)
        );
    }

    drop(repo);
    if std::env::var_os("PGGIT_BENCH_KEEP").is_some() {
        println!(
            "keeping database {} (moments {})",
            db.name,
            moments.join(" | ")
        );
        std::mem::forget(db);
        return;
    }
    db.drop_workspaces();
}
