//! Foundation benchmark: a generated schema of 1,000 tables (about 10,000
//! columns, foreign keys, 2,000 indexes, 200 views, 200 functions, ten
//! partitioned tables), measured in one run against `pg_dump --schema-only`.
//!
//! Run: `cargo bench -p pggit-cli --bench foundation` (uses PGGIT_TEST_URL
//! or the local server). Prints a Markdown table.

use std::process::Command;
use std::time::{Duration, Instant};

use pggit::pg::connect::url;
use pggit::pg::scratch::{test_admin_config, ScratchDb};

const SCHEMAS: usize = 5;
const TABLES_PER_SCHEMA: usize = 200;

fn generate() -> String {
    // One transaction per schema: the whole schema in one would need more
    // locks than a default server's lock table holds.
    let mut sql = String::from("BEGIN;\n");
    for s in 0..SCHEMAS {
        sql.push_str("COMMIT;\nBEGIN;\n");
        sql.push_str(&format!("CREATE SCHEMA app{s};\n"));
        for t in 0..TABLES_PER_SCHEMA {
            let fk = if t > 0 {
                format!(
                    ",\n    ref_id bigint REFERENCES app{s}.t{} (id) ON DELETE SET NULL",
                    t - 1
                )
            } else {
                ",\n    ref_id bigint".to_string()
            };
            sql.push_str(&format!(
                "CREATE TABLE app{s}.t{t} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    code varchar(50) UNIQUE,
    amount numeric(12,2) NOT NULL DEFAULT 0 CHECK (amount >= 0),
    qty integer,
    active boolean NOT NULL DEFAULT false,
    payload jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    due date{fk}
);
CREATE INDEX t{t}_ref ON app{s}.t{t} (ref_id);
CREATE INDEX t{t}_active_created ON app{s}.t{t} (created_at) WHERE active;
"
            ));
            if t % 5 == 0 {
                sql.push_str(&format!(
                    "CREATE VIEW app{s}.v{t} AS SELECT a.id, a.name, b.amount FROM app{s}.t{t} a LEFT JOIN app{s}.t{} b ON b.id = a.ref_id;
CREATE FUNCTION app{s}.total{t}(p_id bigint) RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT coalesce(sum(amount), 0) FROM app{s}.t{t} WHERE ref_id = p_id $$;
",
                    t.max(1) - 1
                ));
            }
        }
    }
    for p in 0..10 {
        sql.push_str(&format!(
            "CREATE TABLE app0.events{p} (id bigint NOT NULL, at date NOT NULL, kind text, body jsonb, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);\n"
        ));
        for q in 0..4 {
            sql.push_str(&format!(
                "CREATE TABLE app0.events{p}_q{q} PARTITION OF app0.events{p} FOR VALUES FROM ('{}') TO ('{}');\n",
                quarter(q),
                quarter(q + 1)
            ));
        }
    }
    sql.push_str("COMMIT;\n");
    sql
}

/// Fifty schema changes of the usual kinds; `round` makes them distinct.
fn changes(round: usize) -> String {
    let mut sql = String::new();
    for i in 0..20 {
        sql.push_str(&format!(
            "ALTER TABLE app{}.t{} ADD COLUMN extra_r{round} text;\n",
            i % SCHEMAS,
            i * 7 + round
        ));
    }
    for i in 0..10 {
        sql.push_str(&format!(
            "CREATE INDEX r{round}_i{i} ON app{}.t{} (qty);\n",
            i % SCHEMAS,
            i * 11 + round
        ));
    }
    for i in 0..10 {
        let t = (i * 5) % TABLES_PER_SCHEMA;
        sql.push_str(&format!(
            "CREATE OR REPLACE FUNCTION app1.total{t}(p_id bigint) RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT coalesce(sum(amount), {round}) FROM app1.t{t} WHERE ref_id = p_id $$;\n"
        ));
    }
    for i in 0..5 {
        sql.push_str(&format!(
            "ALTER TABLE app2.t{} RENAME COLUMN qty TO qty_r{round};\n",
            i * 13 + round + 50
        ));
    }
    for i in 0..5 {
        sql.push_str(&format!("DROP INDEX app3.t{}_ref;\n", i * 17 + round + 20));
    }
    sql
}

/// First day of quarter `q` of 2026 (q = 4 is 2027-01-01).
fn quarter(q: usize) -> String {
    if q == 4 {
        "2027-01-01".to_string()
    } else {
        format!("2026-{:02}-01", q * 3 + 1)
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn ms2(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn timed(mut f: impl FnMut()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn pggit(url: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_pggit"))
        .args(args)
        .env("PGGIT_DATABASE_URL", url)
        .output()
        .expect("pggit runs");
    assert!(
        out.status.success(),
        "pggit {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// `program`: the server's own major version of pg_dump where the system
/// has it, else a newer one (`pggit_pg::scratch::pg_dump_program`).
fn pg_dump(program: &str, url: &str, password: &str) {
    let out = Command::new(program)
        .args(["--schema-only", "--dbname", url])
        .env("PGPASSWORD", password)
        .output()
        .expect("pg_dump runs");
    assert!(out.status.success());
}

fn main() {
    let admin = test_admin_config();
    let password = admin
        .get_password()
        .map(|p| String::from_utf8_lossy(p).to_string())
        .unwrap_or_default();
    let db = ScratchDb::create(&admin, "pggit_bench").expect("create db");
    let mut url = url(&db.config);
    if !password.is_empty() {
        url = url.replacen('@', &format!(":{password}@"), 1);
    }
    let mut c = db.connect().expect("connect");
    let t = Instant::now();
    c.batch_execute(&generate()).expect("schema");
    let build = t.elapsed();
    let counts = c
        .query_one(
            "SELECT (SELECT count(*) FROM pg_class WHERE relkind IN ('r','p') AND relnamespace::regnamespace::text LIKE 'app%'),
                    (SELECT count(*) FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid WHERE r.relkind IN ('r','p') AND r.relnamespace::regnamespace::text LIKE 'app%' AND a.attnum > 0),
                    (SELECT count(*) FROM pg_class WHERE relkind IN ('i','I') AND relnamespace::regnamespace::text LIKE 'app%'),
                    (SELECT count(*) FROM pg_class WHERE relkind = 'v' AND relnamespace::regnamespace::text LIKE 'app%'),
                    (SELECT count(*) FROM pg_proc WHERE pronamespace::regnamespace::text LIKE 'app%'),
                    (SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace::regnamespace::text LIKE 'app%')",
            &[],
        )
        .expect("counts");
    let (tables, columns, indexes, views, functions, fks): (i64, i64, i64, i64, i64, i64) = (
        counts.get(0),
        counts.get(1),
        counts.get(2),
        counts.get(3),
        counts.get(4),
        counts.get(5),
    );
    let version: String = c
        .query_one("SELECT current_setting('server_version')", &[])
        .expect("version")
        .get(0);
    println!(
        "PostgreSQL {version}, pg_dump: {}",
        pggit::pg::scratch::pg_dump_program(&db.config)
    );
    println!(
        "schema: {tables} tables (incl. partitions), {columns} columns, {indexes} indexes, {views} views, {functions} functions, {fks} foreign keys; built in {}",
        ms(build)
    );

    let program = pggit::pg::scratch::pg_dump_program(&db.config);
    let dump = median(
        (0..3)
            .map(|_| timed(|| pg_dump(&program, &url, &password)))
            .collect(),
    );

    // init, three times (uninstalling in between).
    let mut inits = Vec::new();
    for i in 0..3 {
        if i > 0 {
            c.batch_execute(
                "DROP EVENT TRIGGER IF EXISTS pggit_capture_ddl; DROP EVENT TRIGGER IF EXISTS pggit_capture_drop; DROP SCHEMA pggit CASCADE;",
            )
            .expect("uninstall");
        }
        inits.push(timed(|| {
            pggit(&url, &["init"]);
        }));
    }
    let init = median(inits);

    // commit after 50 changes, three rounds.
    let mut commits = Vec::new();
    let mut ids = Vec::new();
    for round in 0..3 {
        c.batch_execute(&changes(round)).expect("changes");
        commits.push(timed(|| {
            pggit(&url, &["commit", "-m", "fifty changes"]);
        }));
        ids.push(
            pggit(&url, &["log", "--oneline", "-n", "1"])
                .split(' ')
                .next()
                .unwrap_or_default()
                .to_string(),
        );
    }
    let commit = median(commits);

    // diff --sql between two such commits: the CLI, and the in-process core.
    let diff_cli = median(
        (0..15)
            .map(|_| {
                timed(|| {
                    pggit(&url, &["diff", &ids[0], &ids[1], "--sql"]);
                })
            })
            .collect(),
    );
    let mut repo = pggit::Repository::open(&db.config, None).expect("open");
    let diff_lib = median(
        (0..15)
            .map(|_| {
                timed(|| {
                    repo.diff(
                        &pggit::Side::Rev(ids[0].clone()),
                        &pggit::Side::Rev(ids[1].clone()),
                        false,
                    )
                    .expect("diff");
                })
            })
            .collect(),
    );

    // The parts: loading both trees, and the pure diff + plan.
    let (ca, cb) = (
        repo.resolve(&ids[0]).expect("rev"),
        repo.resolve(&ids[1]).expect("rev"),
    );
    let mut trees = Vec::new();
    let load = median(
        (0..15)
            .map(|_| {
                timed(|| {
                    trees =
                        pggit::pg::store::read_trees(&mut c, &[&ca.tree, &cb.tree]).expect("trees");
                })
            })
            .collect(),
    );
    let mut statements = 0;
    let pure = median(
        (0..15)
            .map(|_| {
                timed(|| {
                    std::hint::black_box(pggit::core::diff::diff(&trees[0], &trees[1]));
                    statements = pggit::core::plan::plan(&trees[0], &trees[1])
                        .expect("plan")
                        .len();
                })
            })
            .collect(),
    );

    // What `Repository::diff` does between commits: load only the slices
    // the change reaches, then diff and plan over them.
    let mut sliced = None;
    let load_slices = median(
        (0..15)
            .map(|_| {
                timed(|| {
                    sliced =
                        pggit::pg::store::read_slices(&mut c, &ca.tree, &cb.tree).expect("slices");
                })
            })
            .collect(),
    );
    let (sa, sb) = sliced.expect("trees written by this pggit store their references");
    let pure_slices = median(
        (0..15)
            .map(|_| {
                timed(|| {
                    std::hint::black_box(pggit::core::diff::diff(&sa, &sb));
                    std::hint::black_box(pggit::core::plan::plan(&sa, &sb).expect("plan"));
                })
            })
            .collect(),
    );

    // Capture overhead per DDL statement: the same statements with and
    // without the event triggers.
    let plain = ScratchDb::create(&admin, "pggit_bench_plain").expect("create db");
    let mut p = plain.connect().expect("connect");
    let ddl = |client: &mut postgres::Client, tag: &str| -> Duration {
        client
            .batch_execute(&format!("CREATE TABLE cap_{tag} (id int)"))
            .expect("table");
        let n = 300;
        let t = Instant::now();
        for i in 0..n {
            client
                .batch_execute(&format!("ALTER TABLE cap_{tag} ADD COLUMN c{i} int"))
                .expect("ddl");
        }
        t.elapsed() / n
    };
    let mut with = Vec::new();
    let mut without = Vec::new();
    for r in 0..5 {
        with.push(ddl(&mut c, &format!("w{r}")));
        without.push(ddl(&mut p, &format!("p{r}")));
    }
    let (with, without) = (median(with), median(without));
    let overhead = with.saturating_sub(without);

    if std::env::var_os("PGGIT_BENCH_KEEP").is_some() {
        println!(
            "keeping database {} (commits {} {})",
            db.name, ids[0], ids[1]
        );
        std::mem::forget(db);
    }
    println!();
    println!("| measurement | result | goal |");
    println!("|---|---|---|");
    println!(
        "| `pg_dump --schema-only` (median of 3) | {} | reference |",
        ms(dump)
    );
    println!("| `pggit init` (median of 3) | {} | — |", ms(init));
    println!(
        "| `pggit commit` after 50 changes (median of 3) | {} | ≤ pg_dump |",
        ms(commit)
    );
    println!(
        "| commit / pg_dump ratio | {:.2} | ≤ 1.0 (aim 0.5) |",
        commit.as_secs_f64() / dump.as_secs_f64()
    );
    println!(
        "| `pggit diff A B --sql`, whole CLI process (median of 15) | {} | < 100 ms |",
        ms(diff_cli)
    );
    println!(
        "| `Repository::diff` in process: load, diff, plan (median of 15) | {} | — |",
        ms(diff_lib)
    );
    println!(
        "| of which: load the slices the change reaches ({} and {} of {} objects) | {} | — |",
        sa.entries.len(),
        sb.entries.len(),
        trees[0].entries.len(),
        ms(load_slices)
    );
    println!(
        "| of which: diff + plan over the slices | {} | — |",
        ms(pure_slices)
    );
    println!(
        "| for comparison: load both trees whole | {} | — |",
        ms(load)
    );
    println!(
        "| for comparison: diff + plan over whole trees ({statements} statements) | {} | — |",
        ms(pure)
    );
    println!(
        "| diff / pg_dump ratio (whole process) | {:.3} | ≤ 0.05 |",
        diff_cli.as_secs_f64() / dump.as_secs_f64()
    );
    println!(
        "| DDL statement with capture / without (median of 5 × 300) | {} / {} | — |",
        ms2(with),
        ms2(without)
    );
    println!(
        "| capture overhead per DDL statement | {} | < 2 ms |",
        ms2(overhead)
    );
}
