//! Output of the row-history commands: track, untrack, asof, history,
//! changes, restore, snapshot.

use std::io::Write;

use pggit::pg::history::TextRows;
use pggit::{Doc, RestoreTarget};

use crate::cli::{Command, Format, Shape, SnapshotAction};
use crate::run::{json, open, Code, Ctx, UsageError};
use crate::style::{esc, Spinner};

pub fn run(ctx: &mut Ctx<'_>) -> anyhow::Result<Code> {
    let cli = ctx.cli;
    let mut repo = open(cli)?;
    match &cli.command {
        Command::Track { list: true, .. } => {
            let t = repo.tracked()?;
            if cli.json {
                return json(ctx.out, &t).map(|_| 0);
            }
            for i in &t {
                writeln!(
                    ctx.out,
                    "{:<30} {:<8} key ({})  since {}{}",
                    esc(&i.table),
                    if i.active { "tracked" } else { "ended" },
                    i.key
                        .as_ref()
                        .map(|k| k.join(", "))
                        .unwrap_or_else(|| "whole row".into()),
                    i.retained_from
                        .as_deref()
                        .or(i.started_at.as_deref())
                        .unwrap_or("?"),
                    i.ended_at
                        .as_deref()
                        .map(|e| format!(" until {e}"))
                        .unwrap_or_default()
                )?;
            }
        }
        Command::Track { tables, schema, .. } => {
            let t = repo.track(tables, schema.as_deref())?;
            if cli.json {
                return json(ctx.out, &t).map(|_| 0);
            }
            for i in &t {
                let key = match &i.key {
                    Some(k) => format!("keyed by ({})", k.join(", ")),
                    None => "no primary key: rows are identified by their whole content".into(),
                };
                let what = if i.newly {
                    "tracking"
                } else {
                    "already tracking"
                };
                writeln!(ctx.out, "{what} {} ({key})", esc(&i.table))?;
            }
        }
        Command::Untrack {
            table,
            drop_history,
        } => {
            let name = repo.untrack(table, *drop_history)?;
            if cli.json {
                return json(
                    ctx.out,
                    &serde_json::json!({"table": name, "history_dropped": drop_history}),
                )
                .map(|_| 0);
            }
            let kept = if *drop_history {
                "history dropped"
            } else {
                "history kept"
            };
            writeln!(ctx.out, "stopped tracking {} ({kept})", esc(&name))?;
        }
        Command::Asof {
            table,
            at,
            filter,
            format,
            shape,
        } => {
            let format = if cli.json { Format::Json } else { *format };
            let then = *shape == Shape::Then;
            if format == Format::Csv {
                // The server writes the CSV (COPY), streamed as it comes.
                repo.as_of_csv(table, at, filter.as_deref(), then, ctx.out)?;
                return Ok(0);
            }
            let spin = Spinner::start("reading history");
            let r = repo.as_of_shaped(table, at, filter.as_deref(), then)?;
            drop(spin);
            print_rows(ctx.out, &r.rows, format)?;
            if format == Format::Table {
                writeln!(
                    ctx.out,
                    "({} row(s) of {} as of {} [{}]{})",
                    r.rows.rows.len(),
                    esc(&r.table),
                    r.moment.at,
                    r.moment.source,
                    if r.cached { ", from cache" } else { "" }
                )?;
            }
        }
        Command::History {
            target,
            key,
            older_than,
            force,
            dry_run,
        } if target == "prune" => {
            let Some(older) = older_than else {
                anyhow::bail!(UsageError(
                    "history prune needs --older-than (e.g. 90d)".into()
                ));
            };
            if key.is_some() {
                anyhow::bail!(UsageError("history prune takes no --key".into()));
            }
            let p = repo.prune(older, *force, *dry_run)?;
            if cli.json {
                return json(ctx.out, &p).map(|_| 0);
            }
            let verb = if p.dry_run { "would remove" } else { "removed" };
            writeln!(ctx.out, "history older than {}: {verb}", p.older_than)?;
            for (what, n) in &p.counts {
                writeln!(ctx.out, "  {n:>10} {what}")?;
            }
        }
        Command::History { target, key, .. } => {
            let Some(key) = key else {
                anyhow::bail!(UsageError(
                    "history needs --key (or `history prune --older-than D`)".into()
                ));
            };
            let h = repo.row_history(target, key)?;
            if cli.json {
                return json(ctx.out, &h).map(|_| 0);
            }
            if h.is_empty() {
                writeln!(ctx.out, "no recorded change of that row")?;
            }
            for c in &h {
                writeln!(
                    ctx.out,
                    "{}  {:<8} by {} (tx {})",
                    c.at.as_deref().unwrap_or("?"),
                    c.operation,
                    c.role.as_deref().unwrap_or("?"),
                    c.txid
                )?;
                match (c.operation.as_str(), &c.old, &c.new) {
                    ("update", Some(o), Some(n)) => {
                        for col in &c.changed {
                            writeln!(ctx.out, "    {col}: {} -> {}", value(o, col), value(n, col))?;
                        }
                    }
                    (_, _, Some(n)) if c.old.is_none() => writeln!(ctx.out, "    {}", show(n))?,
                    (_, Some(o), _) => writeln!(ctx.out, "    was {}", show(o))?,
                    _ => {}
                }
            }
        }
        Command::Changes { table, from, to } => {
            let (a, b, rows) = repo.changes(table, from, to)?;
            if cli.json {
                return json(
                    ctx.out,
                    &serde_json::json!({"from": a, "to": b, "changes": rows}),
                )
                .map(|_| 0);
            }
            writeln!(ctx.out, "{}: {} → {}", esc(table), a.at, b.at)?;
            for c in &rows {
                let key = c.key.as_ref().map(show).unwrap_or_default();
                let empty = Doc::new();
                let (o, n) = (
                    c.old.as_ref().unwrap_or(&empty),
                    c.new.as_ref().unwrap_or(&empty),
                );
                match c.change.as_str() {
                    "updated" => {
                        let cols: Vec<String> = c
                            .columns
                            .iter()
                            .map(|k| format!("{k}: {} -> {}", value(o, k), value(n, k)))
                            .collect();
                        writeln!(
                            ctx.out,
                            "{} {key} {}",
                            ctx.style.modified("~"),
                            cols.join(", ")
                        )?
                    }
                    "inserted" => writeln!(ctx.out, "{} {key} {}", ctx.style.added("+"), show(n))?,
                    _ => writeln!(ctx.out, "{} {key} {}", ctx.style.removed("-"), show(o))?,
                }
            }
            writeln!(ctx.out, "({} row(s) changed)", rows.len())?;
        }
        Command::Restore {
            table,
            at,
            into,
            in_place,
            filter,
        } => {
            let target = match (into, in_place) {
                (Some(t), false) => RestoreTarget::Into(t.clone()),
                (None, true) => RestoreTarget::InPlace,
                _ => anyhow::bail!(UsageError(
                    "restore needs --into TABLE or --in-place".into()
                )),
            };
            let spin = Spinner::start("restoring");
            let r = repo.restore(table, at, &target, filter.as_deref())?;
            drop(spin);
            if cli.json {
                return json(ctx.out, &r).map(|_| 0);
            }
            writeln!(
                ctx.out,
                "restored {} as of {} [{}] {}: {} inserted, {} updated, {} deleted",
                esc(&r.table),
                r.moment.at,
                r.moment.source,
                if *in_place {
                    "in place".to_string()
                } else {
                    format!("into {}", r.target)
                },
                r.inserted,
                r.updated,
                r.deleted
            )?;
        }
        Command::Snapshot { action } => match action {
            SnapshotAction::Create { name, at } => {
                let s = repo.snapshot_create(name, at.as_deref())?;
                if cli.json {
                    return json(ctx.out, &s).map(|_| 0);
                }
                writeln!(
                    ctx.out,
                    "snapshot {} at {} (schema commit {})",
                    s.name,
                    s.at,
                    s.schema_commit
                        .as_deref()
                        .map(crate::run::short)
                        .unwrap_or("none")
                )?;
            }
            SnapshotAction::List => {
                let l = repo.snapshots()?;
                if cli.json {
                    return json(ctx.out, &l).map(|_| 0);
                }
                for s in &l {
                    writeln!(
                        ctx.out,
                        "{:<24} {}  {}  by {}",
                        s.name,
                        s.at,
                        s.schema_commit
                            .as_deref()
                            .map(crate::run::short)
                            .unwrap_or("-"),
                        s.created_by
                    )?;
                }
            }
            SnapshotAction::Drop { name } => {
                repo.snapshot_drop(name)?;
                if cli.json {
                    return json(ctx.out, &serde_json::json!({"dropped": name})).map(|_| 0);
                }
                writeln!(ctx.out, "dropped snapshot {name}")?;
            }
        },
        _ => anyhow::bail!("internal error: not a row-history command"),
    }
    Ok(0)
}

/// A row document as one line of JSON.
fn show(d: &Doc) -> String {
    serde_json::to_string(d).unwrap_or_default()
}

/// One value of a row document, as PostgreSQL printed it.
fn value(d: &Doc, col: &str) -> String {
    d.get(col)
        .map(|v| v.get().to_string())
        .unwrap_or_else(|| "-".into())
}

/// Rows as an aligned table or a JSON array.
pub fn print_rows(out: &mut dyn Write, rows: &TextRows, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            writeln!(out, "[")?;
            for (i, r) in rows.json.iter().enumerate() {
                let sep = if i + 1 < rows.json.len() { "," } else { "" };
                writeln!(out, "  {r}{sep}")?;
            }
            writeln!(out, "]")?;
        }
        // Written by the server (`Repository::as_of_csv`), never here.
        Format::Csv => anyhow::bail!("internal error: CSV rows are written by COPY"),
        Format::Table => {
            let cell = |v: &Option<String>| v.clone().unwrap_or_else(|| "NULL".into());
            let mut width: Vec<usize> = rows.columns.iter().map(|c| c.chars().count()).collect();
            for r in &rows.rows {
                for (w, v) in width.iter_mut().zip(r) {
                    *w = (*w).max(cell(v).chars().count());
                }
            }
            let line = |vals: Vec<String>| -> String {
                vals.iter()
                    .zip(&width)
                    .map(|(v, w)| format!("{v:<w$}"))
                    .collect::<Vec<_>>()
                    .join(" | ")
                    .trim_end()
                    .to_string()
            };
            writeln!(out, "{}", line(rows.columns.clone()))?;
            writeln!(
                out,
                "{}",
                width
                    .iter()
                    .map(|w| "-".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("-+-")
            )?;
            for r in &rows.rows {
                writeln!(out, "{}", line(r.iter().map(cell).collect()))?;
            }
        }
    }
    Ok(())
}
