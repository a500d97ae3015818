//! `pggit reference [list | add TABLE [--key a,b] | remove TABLE]`.

use crate::cli::ReferenceAction;
use crate::run::{json, open, Code, Ctx};
use crate::style::esc;

pub fn run(ctx: &mut Ctx<'_>, action: Option<&ReferenceAction>) -> anyhow::Result<Code> {
    let cli = ctx.cli;
    let mut repo = open(cli)?;
    match action {
        None | Some(ReferenceAction::List) => {
            let l = repo.reference_list()?;
            if cli.json {
                return json(ctx.out, &l).map(|_| 0);
            }
            if l.is_empty() {
                writeln!(
                    ctx.out,
                    "no reference data (mark a table with `pggit reference add TABLE`)"
                )?;
            }
            for t in &l {
                let key = if t.key.is_empty() {
                    String::new()
                } else {
                    format!("  key ({})", esc(&t.key.join(", ")))
                };
                writeln!(
                    ctx.out,
                    "{:<40} {:<12} {}{key}",
                    esc(&t.table),
                    t.source,
                    if t.tracked { "tracked" } else { "off" }
                )?;
            }
        }
        Some(ReferenceAction::Add { table, key }) => {
            let t = repo.reference_add(table, key)?;
            if cli.json {
                return json(ctx.out, &t).map(|_| 0);
            }
            let key = if t.key.is_empty() {
                "its primary key".to_string()
            } else {
                format!("({})", esc(&t.key.join(", ")))
            };
            writeln!(
                ctx.out,
                "{}: rows are versioned from the next commit, matched by {key}",
                esc(&t.table)
            )?;
        }
        Some(ReferenceAction::Remove { table }) => {
            let t = repo.reference_remove(table)?;
            if cli.json {
                return json(ctx.out, &t).map(|_| 0);
            }
            writeln!(
                ctx.out,
                "{}: rows are no longer versioned from the next commit (the rows stay in the table)",
                esc(&t.table)
            )?;
        }
    }
    Ok(0)
}
