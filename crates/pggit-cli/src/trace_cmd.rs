//! `pggit lint --trace`: build a scratch copy of the target's schema on the
//! same server (optionally with some rows), run each migration on it in one
//! transaction rolled back, and print what each statement really locked and
//! rewrote beside the prediction. Exit 0 when all agree, 1 when a statement
//! disagrees or fails on the copy, 2 when an input cannot be read or parsed.
//!
//! The statements run on the target's server (on the copy): what a
//! rollback cannot undo still happens (`dblink`, `pg_terminate_backend`,
//! sequence values), and the one transaction holds every lock it takes
//! until its end. A trace interrupted (killed) leaves its `pggit_trace_*`
//! database behind.

use std::io::Write as _;

use pggit::pg::lint_trace::{self, Outcome, RelationLock, TraceError};
use pggit::pg::scratch::ScratchDb;
use pggit_lint::{LintError, Options};

use crate::cli::LintArgs;
use crate::run::{Code, Ctx};
use crate::style::esc_message;

pub(crate) fn run(
    ctx: &mut Ctx<'_>,
    args: &LintArgs,
    options: &Options,
    inputs: Vec<(String, Result<String, String>)>,
    json: bool,
) -> anyhow::Result<Code> {
    let config = crate::run::config(ctx.cli)?;
    let mut target = pggit::pg::connect::connect(&config)?;
    let source: String = target
        .query_one("SELECT current_database()::text", &[])?
        .get(0);
    let mut options = options.clone();
    if args.pg_version.is_none() {
        let v: i32 = target
            .query_one(
                "SELECT current_setting('server_version_num')::int / 10000",
                &[],
            )?
            .get(0);
        if let Ok(v @ 13..=18) = u32::try_from(v) {
            options.pg_version = v;
        }
    }
    let scratch = ScratchDb::create(&config, "pggit_trace").map_err(|e| {
        anyhow::anyhow!("trace mode builds a scratch database on the server and could not create one (it needs CREATEDB): {e}")
    })?;
    let mut copy = scratch.connect()?;
    if !json {
        eprintln!(
            "copying the schema of {} into {} ...",
            esc_message(&source),
            scratch.name
        );
    }
    lint_trace::copy_schema(&mut target, &mut copy)
        .map_err(|e| anyhow::anyhow!("cannot copy the schema of {source}: {e}"))?;
    let mut empty = Vec::new();
    if args.trace_rows > 0 {
        empty = lint_trace::copy_sample(&mut target, &mut copy, args.trace_rows)?;
    }
    let rows = if args.trace_rows > 0 {
        format!("up to {} rows of each table", args.trace_rows)
    } else {
        "no rows".to_string()
    };
    let mut broken = false;
    let mut failed = false;
    let mut docs = Vec::new();
    for (path, got) in inputs {
        let traced = got.map_err(|e| e.to_string()).and_then(|text| {
            match lint_trace::trace(&mut copy, &text, &options) {
                Ok(t) => Ok(t),
                Err(TraceError::Lint(LintError::Syntax(e))) => {
                    Err(format!("{}:{}: {}", e.line, e.column, e.message))
                }
                Err(e) => Err(e.to_string()),
            }
        });
        let t = match traced {
            Ok(t) => t,
            Err(e) => {
                broken = true;
                if json {
                    docs.push(serde_json::json!({ "file": path, "error": { "message": e } }));
                } else {
                    eprintln!("error: {}", esc_message(&format!("{path}: {e}")));
                }
                continue;
            }
        };
        failed |= t.disagreements() > 0 || t.failed() > 0;
        if json {
            docs.push(serde_json::json!({
                "file": path,
                "copy_of": source,
                "rows_copied_per_table": args.trace_rows,
                "tables_left_empty": empty,
                "statements": t.statements,
                "disagreements": t.disagreements(),
                "failed": t.failed(),
            }));
            continue;
        }
        let out = &mut ctx.out;
        writeln!(
            out,
            "{}: traced on a copy of the schema of {} ({rows}), in one transaction rolled back",
            esc_message(&path),
            esc_message(&source)
        )?;
        if !empty.is_empty() {
            writeln!(
                out,
                "  left empty (their rows break a constraint without the rows they refer to): {}",
                esc_message(&empty.join(", "))
            )?;
        }
        let (mut traced, mut skipped) = (0, 0);
        for st in &t.statements {
            let first = st.text.lines().next().unwrap_or("");
            let more = if st.text.lines().nth(1).is_some() {
                " ..."
            } else {
                ""
            };
            write!(
                out,
                "{:>4}  line {:<4} {}{more}",
                st.number,
                st.line,
                esc_message(first)
            )?;
            match &st.outcome {
                Outcome::NotTraced { why } => {
                    skipped += 1;
                    writeln!(out, "\n        not traced: {why}")?;
                    continue;
                }
                Outcome::Failed { error } => {
                    writeln!(out, "\n        FAILED on the copy: {}", esc_message(error))?;
                    continue;
                }
                Outcome::Traced { micros } => {
                    traced += 1;
                    writeln!(out, "\n        took {:.1} ms", *micros as f64 / 1000.0)?;
                }
            }
            let held = if st.already_held.is_empty() {
                String::new()
            } else {
                format!("; held already: {}", locks(&st.already_held))
            };
            writeln!(
                out,
                "        locks:    {}{held}   (predicted: {})",
                locks(&st.locks),
                locks(&st.predicted_locks)
            )?;
            writeln!(
                out,
                "        rewrites: {}   (predicted: {})",
                list(&st.rewritten),
                list(&st.predicted_rewrites)
            )?;
            for d in &st.disagreements {
                writeln!(out, "        DISAGREES: {}", esc_message(d))?;
            }
        }
        writeln!(
            out,
            "{} statements: {traced} traced, {skipped} not traced, {} failed on the copy; {} disagreement(s) with the prediction",
            t.statements.len(),
            t.failed(),
            t.disagreements()
        )?;
    }
    // Drop the copy now, and say so if it stayed (it holds the schema and
    // maybe rows of the target).
    let name = scratch.name.clone();
    drop(copy);
    drop(scratch);
    let left: bool = target
        .query_one(
            "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)",
            &[&name],
        )
        .map(|r| r.get(0))
        .unwrap_or(false);
    if left {
        eprintln!(
            "warning: the scratch database {} could not be dropped; drop it with DROP DATABASE",
            esc_message(&name)
        );
    }
    crate::lint_cmd::finish(ctx, json.then_some(&docs), broken, failed)
}

fn locks(l: &[RelationLock]) -> String {
    if l.is_empty() {
        return "none".into();
    }
    esc_message(
        &l.iter()
            .map(|l| format!("{} on {}", l.level.name(), l.relation))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        esc_message(&v.join(", "))
    }
}
