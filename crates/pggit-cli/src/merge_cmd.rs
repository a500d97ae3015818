//! `merge`, `merge-base`, `conflicts`, `resolve`, `cherry-pick` and
//! `revert -m`: dispatch and output.

use pggit::pg::merges::ConflictRecord;
use pggit::{
    ConflictFilter, FastForward, MergeOptions, MergeOutcome, PickOutcome, Resolution, Stats,
    Strategy,
};

use crate::cli::{MergeArgs, ResolveArgs, StrategyArg};
use crate::run::{json, open, short, signature, Code, Ctx, UsageError};
use crate::style::{esc, esc_message, Spinner};

fn strategy(s: StrategyArg) -> Strategy {
    match s {
        StrategyArg::Auto => Strategy::Auto,
        StrategyArg::Ours => Strategy::Ours,
        StrategyArg::Theirs => Strategy::Theirs,
        StrategyArg::Union => Strategy::Union,
        StrategyArg::Manual => Strategy::Manual,
        StrategyArg::AbortOnConflict => Strategy::AbortOnConflict,
    }
}

pub fn merge_base(ctx: &mut Ctx<'_>, a: &str, b: &str, all: bool) -> anyhow::Result<Code> {
    let mut repo = open(ctx.cli)?;
    let mut bases = repo.merge_base(a, b)?;
    if !all {
        bases.truncate(1);
    }
    if ctx.cli.json {
        json(ctx.out, &bases)?;
    } else {
        for id in &bases {
            writeln!(ctx.out, "{id}")?;
        }
    }
    Ok(if bases.is_empty() { 1 } else { 0 })
}

pub fn merge(ctx: &mut Ctx<'_>, args: &MergeArgs) -> anyhow::Result<Code> {
    let mut repo = open(ctx.cli)?;
    if let Some(id) = args.status {
        let s = repo.merge_status(id)?;
        if ctx.cli.json {
            json(ctx.out, &s)?;
        } else {
            print_stats(ctx, &s)?;
        }
        return Ok(0);
    }
    if args.abort {
        let m = repo.merge_abort(args.into.as_deref())?;
        if ctx.cli.json {
            json(ctx.out, &m)?;
        } else {
            writeln!(
                ctx.out,
                "merge #{} of '{}' into '{}' aborted; '{}' is unchanged",
                m.id, m.source, m.target, m.target
            )?;
        }
        return Ok(0);
    }
    let spin = Spinner::start("merging");
    let o = if args.cont {
        repo.merge_continue(args.into.as_deref(), args.force, &signature())?
    } else {
        let ff = if args.no_ff {
            FastForward::Never
        } else if args.ff_only {
            FastForward::Only
        } else {
            FastForward::Allow
        };
        repo.merge(&MergeOptions {
            source: args.source.clone().unwrap_or_default(),
            into: args.into.clone(),
            strategy: strategy(args.strategy),
            dry_run: args.dry_run,
            fast_forward: ff,
            squash: args.squash,
            message: args.message.clone(),
            signature: signature(),
            force: args.force,
        })?
    };
    drop(spin);
    if ctx.cli.json {
        json(ctx.out, &o)?;
    } else {
        print_outcome(ctx, &o, !args.no_lint)?;
    }
    Ok(match o.status.as_str() {
        "conflicted" | "aborted" => 1,
        "dry-run" if o.conflicts.iter().any(|c| c.resolution.is_none()) || o.invalid.is_some() => 1,
        _ => 0,
    })
}

fn print_outcome(ctx: &mut Ctx<'_>, o: &MergeOutcome, lint: bool) -> anyhow::Result<()> {
    let out = &mut *ctx.out;
    let clean: usize = o.changes.values().sum();
    match o.status.as_str() {
        "up-to-date" => {
            writeln!(out, "Already up to date.")?;
            return Ok(());
        }
        "fast-forward" => {
            writeln!(
                out,
                "Fast-forward '{}' to {}",
                o.target,
                ctx.style.commit(short(o.commit.as_deref().unwrap_or("")))
            )?;
            writeln!(
                out,
                " applied {} statement(s) to the workspace",
                o.statements.len()
            )?;
            return Ok(());
        }
        _ => {}
    }
    let id = o.merge_id.map(|i| format!("#{i} ")).unwrap_or_default();
    writeln!(
        out,
        "Merge {id}of '{}' into '{}' (strategy {}, base {}): {clean} changed unit(s)",
        o.source,
        o.target,
        o.strategy,
        o.bases.first().map(|b| short(b)).unwrap_or("-")
    )?;
    for (k, n) in &o.changes {
        writeln!(out, "  {k:<16} {n}")?;
    }
    for c in &o.conflicts {
        let state = match &c.resolution {
            Some(r) => format!("resolved: {r}"),
            None => "open".into(),
        };
        let part = if c.part.is_empty() {
            String::new()
        } else {
            format!(" {}", esc(&c.part))
        };
        writeln!(
            out,
            "{} ({}) {} {}{part} [{}, {state}]",
            ctx.style.removed("CONFLICT"),
            c.kind.as_str(),
            c.object_type,
            esc(&c.object),
            c.severity.as_str()
        )?;
        if let Some(m) = &c.message {
            writeln!(out, "    {}", esc_message(m).replace('\n', "\n    "))?;
        }
    }
    match o.status.as_str() {
        "completed" => {
            writeln!(
                out,
                "Merge made: [{} {}]",
                o.target,
                ctx.style.commit(short(o.commit.as_deref().unwrap_or("")))
            )?;
            writeln!(
                out,
                " applied {} statement(s) to the workspace",
                o.statements.len()
            )?;
        }
        "conflicted" => {
            let open = o
                .conflicts
                .iter()
                .filter(|c| c.resolution.is_none())
                .count();
            writeln!(
                out,
                "Merge stopped: {open} conflict(s) to resolve. See `pggit conflicts`, settle them with `pggit resolve ID --ours|--theirs|--base|--sql FILE`, then run `pggit merge --continue` (or `pggit merge --abort`)."
            )?;
        }
        "aborted" => {
            writeln!(
                out,
                "Merge aborted on conflict (strategy abort-on-conflict); nothing changed."
            )?;
        }
        "dry-run" => {
            if let Some(m) = &o.invalid {
                writeln!(out, "The merged schema would not build: {}", esc_message(m))?;
            }
            for l in &o.data_loss {
                writeln!(out, "Would destroy data (needs --force): {}", esc(l))?;
            }
            for l in &o.would_fail {
                writeln!(out, "Would fail on existing rows: {}", esc(l))?;
            }
            if !o.statements.is_empty() {
                writeln!(out, "Migration that would be applied to '{}':", o.target)?;
                let text = pggit::core::sql::script(&o.statements);
                write!(out, "{}", crate::run::annotated(&text, lint, true))?;
            }
            writeln!(out, "(dry run: nothing changed)")?;
        }
        _ => {}
    }
    Ok(())
}

fn print_stats(ctx: &mut Ctx<'_>, s: &Stats) -> anyhow::Result<()> {
    let m = &s.merge;
    let out = &mut *ctx.out;
    writeln!(
        out,
        "merge #{}: '{}' into '{}' ({}, strategy {}) — {}",
        m.id, m.source, m.target, m.mode, m.strategy, m.status
    )?;
    if let Some(e) = &m.error {
        writeln!(out, "  last error: {}", esc_message(e))?;
    }
    writeln!(
        out,
        "  conflicts: {} ({} resolved, {} open)",
        s.total, s.resolved, s.unresolved
    )?;
    for (k, n) in &s.by_kind {
        let open = s.unresolved_by_kind.get(k).copied().unwrap_or(0);
        writeln!(out, "    {k:<16} {n} ({open} open)")?;
    }
    for (k, n) in &s.by_severity {
        writeln!(out, "    severity {k:<7} {n}")?;
    }
    match s.eta_seconds {
        Some(secs) => writeln!(
            out,
            "  estimated time to resolve: {} ({})",
            human_secs(secs),
            s.eta_note
        )?,
        None => writeln!(out, "  estimated time to resolve: unknown ({})", s.eta_note)?,
    }
    Ok(())
}

fn human_secs(s: f64) -> String {
    if s < 90.0 {
        format!("{s:.0} s")
    } else if s < 5400.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

pub fn conflicts(ctx: &mut Ctx<'_>, filter: &ConflictFilter) -> anyhow::Result<Code> {
    let mut repo = open(ctx.cli)?;
    let (m, rows) = repo.conflicts(filter)?;
    if ctx.cli.json {
        json(ctx.out, &rows)?;
        return Ok(0);
    }
    writeln!(
        ctx.out,
        "merge #{} '{}' into '{}' ({}): {} conflict(s)",
        m.id,
        m.source,
        m.target,
        m.status,
        rows.len()
    )?;
    print_conflicts(ctx, &rows)?;
    Ok(0)
}

fn print_conflicts(ctx: &mut Ctx<'_>, rows: &[ConflictRecord]) -> anyhow::Result<()> {
    let w = rows
        .iter()
        .map(|r| r.object.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    writeln!(
        ctx.out,
        "{:>5}  {:<15} {:<8} {:<w$}  {:<28} RESOLUTION",
        "ID", "KIND", "SEVERITY", "OBJECT", "PART"
    )?;
    for r in rows {
        writeln!(
            ctx.out,
            "{:>5}  {:<15} {:<8} {:<w$}  {:<28} {}",
            r.id,
            r.kind,
            r.severity,
            esc(&r.object),
            if r.part_label.is_empty() {
                "(object)".into()
            } else {
                esc(&r.part_label)
            },
            r.resolution.as_deref().unwrap_or("-")
        )?;
    }
    Ok(())
}

pub fn resolve(ctx: &mut Ctx<'_>, a: &ResolveArgs) -> anyhow::Result<Code> {
    let how = if a.ours {
        Resolution::Ours
    } else if a.theirs {
        Resolution::Theirs
    } else if a.base {
        Resolution::Base
    } else if let Some(path) = &a.sql {
        let sql = std::fs::read_to_string(path)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
        Resolution::Sql(sql)
    } else {
        anyhow::bail!(UsageError(
            "say how to resolve: --ours, --theirs, --base or --sql FILE".into()
        ));
    };
    let mut repo = open(ctx.cli)?;
    let o = if a.all {
        repo.resolve_all(
            &ConflictFilter {
                kind: a.kind.clone(),
                object_type: a.object_type.clone(),
                ..ConflictFilter::default()
            },
            &how,
            a.note.as_deref(),
        )?
    } else {
        repo.resolve_conflicts(&a.ids, &how, a.note.as_deref())?
    };
    if ctx.cli.json {
        json(ctx.out, &o)?;
    } else {
        let ids: Vec<String> = o.resolved.iter().map(|i| format!("#{i}")).collect();
        writeln!(
            ctx.out,
            "resolved {} ({}); {} conflict(s) of merge #{} still open",
            ids.join(", "),
            o.resolution,
            o.remaining,
            o.merge_id
        )?;
        if o.remaining == 0 {
            writeln!(ctx.out, "run `pggit merge --continue` to finish the merge")?;
        }
    }
    Ok(0)
}

pub fn cherry_pick(ctx: &mut Ctx<'_>, rev: &str) -> anyhow::Result<Code> {
    let mut repo = open(ctx.cli)?;
    let spin = Spinner::start("cherry-picking");
    let o = repo.cherry_pick(rev, &signature())?;
    drop(spin);
    print_pick(ctx, &o, &format!("cherry-picked {rev}"))
}

pub fn revert_merge(
    ctx: &mut Ctx<'_>,
    rev: &str,
    mainline: usize,
    force: bool,
) -> anyhow::Result<Code> {
    let mut repo = open(ctx.cli)?;
    let spin = Spinner::start("reverting the merge");
    let o = repo.revert_merge(rev, mainline, force, &signature())?;
    drop(spin);
    print_pick(ctx, &o, &format!("reverted merge {rev}"))
}

fn print_pick(ctx: &mut Ctx<'_>, o: &PickOutcome, what: &str) -> anyhow::Result<Code> {
    if ctx.cli.json {
        json(ctx.out, o)?;
    } else {
        writeln!(
            ctx.out,
            "[{} {}] {what}",
            o.branch,
            ctx.style.commit(short(&o.commit))
        )?;
        writeln!(
            ctx.out,
            " applied {} statement(s) to the workspace",
            o.statements.len()
        )?;
        for l in &o.data_loss {
            writeln!(ctx.out, " destroyed (--force): {}", esc(l))?;
        }
        if let Some(id) = o.merge_id {
            writeln!(ctx.out, " merge #{id} is now rolled back")?;
        }
    }
    Ok(0)
}
