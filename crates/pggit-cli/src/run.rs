//! Dispatch of commands to the porcelain and their human / JSON output.

use std::io::Write;

use anyhow::Context;
use pggit::core::diff::{Change, Status as ChangeStatus};
use pggit::core::sql::{script, Statement};
use pggit::{CommitOptions, InitOptions, Repository, Side, Signature};
use postgres::Config;
use serde::Serialize;

use crate::cli::{BranchArgs, Cli, Command, DiffArgs, LogArgs};
use crate::style::{esc, Spinner, Style};

/// Outcome of a command that did not fail: the exit code to use.
pub type Code = i32;

pub struct Ctx<'a> {
    pub cli: &'a Cli,
    pub out: &'a mut dyn Write,
    pub style: Style,
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

/// Connection settings from `--db` and the environment.
pub fn config(cli: &Cli) -> anyhow::Result<Config> {
    let (c, _) = pggit::pg::connect::resolve(cli.db.as_deref(), &env)?;
    Ok(c)
}

pub(crate) fn signature() -> Signature {
    Signature {
        author: env("PGGIT_AUTHOR"),
        at: env("PGGIT_DATE"),
    }
}

pub(crate) fn json(out: &mut dyn Write, value: &impl Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

pub fn short(id: &str) -> &str {
    &id[..id.len().min(10)]
}

/// Open the repository on the branch this user is on: `--branch`, a
/// workspace's URL, else the branch they last checked out (local state),
/// else the repository database's own branch.
pub(crate) fn open(cli: &Cli) -> anyhow::Result<Repository> {
    let mut repo = Repository::open(&config(cli)?, cli.branch.clone())?;
    if let Some(bar) = crate::style::Bar::when_drawing() {
        repo.set_progress(std::sync::Arc::new(bar));
    }
    if !repo.branch_is_explicit() {
        if let Some(b) = crate::local::checked_out(&repo.local_key()) {
            // A branch deleted since is simply not selected.
            let _ = repo.select_branch(&b);
        }
    }
    Ok(repo)
}

pub fn run(ctx: &mut Ctx<'_>) -> anyhow::Result<Code> {
    let cli = ctx.cli;
    crate::style::silence_progress(cli.json);
    match &cli.command {
        Command::Init {
            schemas,
            no_privileges,
        } => init(ctx, schemas, *no_privileges),
        Command::Status => status(ctx),
        Command::Doctor { repair } => doctor(ctx, *repair),
        Command::Commit { message } => commit(ctx, message.clone()),
        Command::Log(args) => log(ctx, args),
        Command::Show { rev, object } => show(ctx, rev, object.as_deref()),
        Command::Diff(args) => diff(ctx, args),
        Command::Branch(args) => branch(ctx, args),
        Command::Checkout {
            create,
            name,
            start,
        } => checkout(ctx, *create, name, start.as_deref()),
        Command::Tag { delete, name, rev } => tag(ctx, *delete, name.as_deref(), rev.as_deref()),
        Command::Reset { rev, force, .. } => {
            let mut repo = open(cli)?;
            let spin = Spinner::start("applying the migration to the workspace");
            let o = repo.reset_hard(rev, *force)?;
            drop(spin);
            if cli.json {
                json(ctx.out, &o)?;
            } else {
                let c = repo.resolve(&o.to)?;
                writeln!(
                    ctx.out,
                    "applied {} statement(s) to the workspace",
                    o.statements.len()
                )?;
                writeln!(
                    ctx.out,
                    "HEAD is now at {} {}",
                    ctx.style.commit(short(&c.id)),
                    subject(&c.message)
                )?;
            }
            Ok(0)
        }
        Command::Revert {
            rev,
            mainline: Some(m),
            force,
        } => crate::merge_cmd::revert_merge(ctx, rev, *m, *force),
        Command::MergeBase { a, b, all } => crate::merge_cmd::merge_base(ctx, a, b, *all),
        Command::Merge(args) => crate::merge_cmd::merge(ctx, args),
        Command::Conflicts {
            merge_id,
            kind,
            object_type,
            unresolved,
        } => crate::merge_cmd::conflicts(
            ctx,
            &pggit::ConflictFilter {
                merge_id: *merge_id,
                kind: kind.clone(),
                object_type: object_type.clone(),
                unresolved: *unresolved,
            },
        ),
        Command::Resolve(args) => crate::merge_cmd::resolve(ctx, args),
        Command::CherryPick { rev } => crate::merge_cmd::cherry_pick(ctx, rev),
        Command::Revert {
            rev,
            mainline: None,
            force,
        } => {
            let mut repo = open(cli)?;
            let spin = Spinner::start("reverting");
            let o = repo.revert(rev, *force, &signature())?;
            drop(spin);
            if cli.json {
                json(ctx.out, &o)?;
            } else if let Some(c) = &o.commit {
                writeln!(
                    ctx.out,
                    "[{} {}] {}",
                    o.branch,
                    ctx.style.commit(short(&c.id)),
                    subject(&c.message)
                )?;
                writeln!(
                    ctx.out,
                    " applied {} statement(s) to the workspace",
                    o.statements.len()
                )?;
            }
            Ok(0)
        }
        Command::Blame { object } => {
            let mut repo = open(cli)?;
            let lines = repo.blame(object)?;
            if cli.json {
                json(ctx.out, &lines)?;
            } else {
                let w = lines
                    .iter()
                    .map(|l| l.part.chars().count())
                    .max()
                    .unwrap_or(4);
                for l in &lines {
                    writeln!(
                        ctx.out,
                        "{}  {:<w$}  {}  {}  {}",
                        ctx.style.commit(short(&l.commit)),
                        esc(&l.part),
                        l.date,
                        esc(&l.author),
                        esc(&l.summary)
                    )?;
                }
            }
            Ok(0)
        }
        Command::Demo { keep } => crate::demo::run(ctx, *keep),
        Command::Lint(args) => crate::lint_cmd::run(ctx, args),
        Command::Track { .. }
        | Command::Untrack { .. }
        | Command::Asof { .. }
        | Command::History { .. }
        | Command::Changes { .. }
        | Command::Restore { .. }
        | Command::Snapshot { .. } => crate::data_cmd::run(ctx),
        Command::Reference { action } => crate::reference_cmd::run(ctx, action.as_ref()),
    }
}

fn subject(message: &str) -> std::borrow::Cow<'_, str> {
    crate::style::esc(message.lines().next().unwrap_or_default())
}

fn init(ctx: &mut Ctx<'_>, schemas: &[String], skip_privileges: bool) -> anyhow::Result<Code> {
    let config = config(ctx.cli)?;
    let bar = crate::style::Bar::when_drawing();
    let (_, o) = Repository::init_with(
        &config,
        &InitOptions {
            schemas: schemas.to_vec(),
            signature: signature(),
            skip_privileges,
        },
        match &bar {
            Some(b) => b,
            None => &pggit::core::progress::Silent,
        },
    )?;
    if ctx.cli.json {
        json(ctx.out, &o)?;
        return Ok(0);
    }
    writeln!(
        ctx.out,
        "Initialized pggit repository in database \"{}\" (PostgreSQL {})",
        esc(&o.database),
        o.server_version
    )?;
    writeln!(
        ctx.out,
        "[main (root-commit) {}] imported {} object(s)",
        ctx.style.commit(short(&o.commit)),
        o.objects
    )?;
    match &o.capture_note {
        None => writeln!(
            ctx.out,
            "DDL capture: on (event triggers pggit_capture_ddl, pggit_capture_drop)"
        )?,
        Some(n) => writeln!(ctx.out, "warning: {}", crate::style::esc_message(n))?,
    }
    Ok(0)
}

fn print_changes(ctx: &mut Ctx<'_>, changes: &[Change], indent: &str) -> anyhow::Result<()> {
    for c in changes {
        let (mark, word) = match c.status {
            ChangeStatus::Added => ("+", "added"),
            ChangeStatus::Removed => ("-", "removed"),
            ChangeStatus::Modified => ("~", "modified"),
        };
        let mut line = format!(
            "{indent}{mark} {word:<8} {} {}",
            esc(c.kind_name),
            esc(&c.name)
        );
        if let Some(from) = &c.renamed_from {
            line.push_str(&format!(" (renamed from {})", esc(from)));
        }
        let line = match c.status {
            ChangeStatus::Added => ctx.style.added(&line),
            ChangeStatus::Removed => ctx.style.removed(&line),
            ChangeStatus::Modified => ctx.style.modified(&line),
        };
        writeln!(ctx.out, "{line}")?;
        for p in &c.parts {
            writeln!(ctx.out, "{indent}      {}", esc(p))?;
        }
    }
    Ok(())
}

fn status(ctx: &mut Ctx<'_>) -> anyhow::Result<Code> {
    let mut repo = open(ctx.cli)?;
    let s = repo.status()?;
    if ctx.cli.json {
        json(ctx.out, &s)?;
        return Ok(0);
    }
    writeln!(
        ctx.out,
        "On branch {} (workspace database \"{}\")",
        esc(&s.branch),
        esc(&s.workspace)
    )?;
    writeln!(ctx.out, "HEAD {}", ctx.style.commit(short(&s.head)))?;
    if !s.capture {
        writeln!(
            ctx.out,
            "DDL capture is off: changes are found by comparing snapshots"
        )?;
    }
    if !s.captured.is_empty() {
        writeln!(ctx.out, "\nCaptured DDL since HEAD:")?;
        for e in &s.captured {
            writeln!(
                ctx.out,
                "  {}  {:<10} {} {}",
                e.at,
                esc(&e.role),
                e.command_tag,
                esc(e.object_identity.as_deref().unwrap_or(""))
            )?;
        }
    }
    if s.changes.is_empty() {
        writeln!(ctx.out, "\nnothing to commit, workspace matches HEAD")?;
    } else {
        writeln!(ctx.out, "\nChanges not committed:")?;
        print_changes(ctx, &s.changes, "  ")?;
    }
    Ok(0)
}

fn doctor(ctx: &mut Ctx<'_>, repair: bool) -> anyhow::Result<Code> {
    let mut repo = open(ctx.cli)?;
    let spin = Spinner::start("checking the repository");
    let r = repo.doctor(repair)?;
    drop(spin);
    if ctx.cli.json {
        json(ctx.out, &r)?;
    } else {
        writeln!(
            ctx.out,
            "checked {} commit(s), {} tree(s), {} workspace(s)",
            r.commits, r.trees, r.workspaces
        )?;
        for f in &r.findings {
            let state = if f.repaired { "repaired" } else { "problem " };
            writeln!(
                ctx.out,
                "  {state}  {:<9} {}: {}",
                f.check,
                esc(&f.subject),
                esc(&f.problem)
            )?;
        }
        if r.problems == 0 {
            writeln!(ctx.out, "no problems found")?;
        } else {
            writeln!(
                ctx.out,
                "{} problem(s){}",
                r.problems,
                if repair {
                    " left"
                } else {
                    "; `pggit doctor --repair` fixes what it safely can"
                }
            )?;
        }
    }
    Ok(if r.problems == 0 { 0 } else { 1 })
}

fn commit(ctx: &mut Ctx<'_>, message: Option<String>) -> anyhow::Result<Code> {
    let mut repo = open(ctx.cli)?;
    let spin = Spinner::start("snapshotting the workspace");
    let result = repo.commit_workspace(&CommitOptions {
        message,
        signature: signature(),
    });
    drop(spin);
    let o = match result {
        Ok(o) => o,
        Err(pggit::Error::NothingToCommit(head)) => {
            if ctx.cli.json {
                json(
                    ctx.out,
                    &serde_json::json!({ "committed": false, "head": head }),
                )?;
            } else {
                writeln!(
                    ctx.out,
                    "nothing to commit, workspace matches HEAD ({head})"
                )?;
            }
            return Ok(1);
        }
        Err(e) => return Err(e.into()),
    };
    if ctx.cli.json {
        json(ctx.out, &o)?;
        return Ok(0);
    }
    writeln!(
        ctx.out,
        "[{} {}] {}",
        o.branch,
        ctx.style.commit(short(&o.commit.id)),
        subject(&o.commit.message)
    )?;
    let count = |s: ChangeStatus| o.changes.iter().filter(|c| c.status == s).count();
    writeln!(
        ctx.out,
        " {} object(s) changed: {} added, {} modified, {} removed",
        o.changes.len(),
        count(ChangeStatus::Added),
        count(ChangeStatus::Modified),
        count(ChangeStatus::Removed)
    )?;
    Ok(0)
}

fn log(ctx: &mut Ctx<'_>, args: &LogArgs) -> anyhow::Result<Code> {
    let mut repo = open(ctx.cli)?;
    let head_branch = repo.current_branch()?;
    let entries = repo.log(&args.rev, args.max_count, args.object.as_deref())?;
    if ctx.cli.json {
        json(ctx.out, &entries)?;
        return Ok(0);
    }
    for e in &entries {
        let refs: Vec<String> = e
            .refs
            .iter()
            .map(|r| {
                if *r == head_branch {
                    format!("HEAD -> {r}")
                } else {
                    r.clone()
                }
            })
            .collect();
        let decoration = if refs.is_empty() {
            String::new()
        } else {
            format!(" ({})", refs.join(", "))
        };
        if args.oneline {
            writeln!(
                ctx.out,
                "{}{} {}",
                ctx.style.commit(short(&e.commit.id)),
                decoration,
                subject(&e.commit.message)
            )?;
        } else {
            writeln!(
                ctx.out,
                "{}{}",
                ctx.style.commit(&format!("commit {}", e.commit.id)),
                decoration
            )?;
            if e.commit.parents.len() > 1 {
                let ps: Vec<&str> = e.commit.parents.iter().map(|p| short(p)).collect();
                writeln!(ctx.out, "Merge: {}", ps.join(" "))?;
            }
            writeln!(ctx.out, "Author: {}", esc(&e.commit.author))?;
            writeln!(ctx.out, "Date:   {}\n", e.commit.committed_at)?;
            for l in e.commit.message.lines() {
                writeln!(ctx.out, "    {}", esc(l))?;
            }
            writeln!(ctx.out)?;
        }
    }
    Ok(0)
}

/// Steps that depend on the target's rows, as SQL comments.
fn print_row_checks(ctx: &mut Ctx<'_>, checks: &[String]) -> anyhow::Result<()> {
    for c in checks {
        writeln!(ctx.out, "-- fails if existing rows violate it: {}", esc(c))?;
    }
    Ok(())
}

fn print_sql(ctx: &mut Ctx<'_>, statements: &[Statement], lint: bool) -> anyhow::Result<()> {
    if statements.is_empty() {
        return Ok(());
    }
    let text = format!("BEGIN;\n{}COMMIT;\n", script(statements));
    write!(ctx.out, "{}", annotated(&text, lint, false))?;
    Ok(())
}

/// A migration pggit would apply, with `pggit lint`'s findings as comments
/// (unless `lint` is off). pggit applies it with a `lock_timeout`.
pub(crate) fn annotated(text: &str, lint: bool, in_transaction: bool) -> String {
    if !lint {
        return text.to_string();
    }
    let options = pggit_lint::Options {
        lock_timeout_set: true,
        assume_in_transaction: in_transaction,
        ..Default::default()
    };
    pggit_lint::annotate(text, &options).unwrap_or_else(|_| text.to_string())
}

fn show(ctx: &mut Ctx<'_>, rev: &str, object: Option<&str>) -> anyhow::Result<Code> {
    let mut repo = open(ctx.cli)?;
    if let Some(name) = object {
        let o = repo.show_object(rev, name)?;
        if ctx.cli.json {
            json(ctx.out, &o)?;
        } else {
            writeln!(
                ctx.out,
                "-- {} {} at {}",
                o.kind,
                esc(&o.name),
                short(&o.commit)
            )?;
            write!(ctx.out, "{}", script(&o.sql))?;
        }
        return Ok(0);
    }
    let s = repo.show(rev)?;
    if ctx.cli.json {
        json(ctx.out, &s)?;
        return Ok(0);
    }
    writeln!(
        ctx.out,
        "{}",
        ctx.style.commit(&format!("commit {}", s.commit.id))
    )?;
    writeln!(ctx.out, "Author: {}", esc(&s.commit.author))?;
    writeln!(ctx.out, "Date:   {}\n", s.commit.committed_at)?;
    for l in s.commit.message.lines() {
        writeln!(ctx.out, "    {}", esc(l))?;
    }
    writeln!(ctx.out)?;
    print_changes(ctx, &s.changes, "")?;
    if !s.statements.is_empty() {
        writeln!(ctx.out)?;
        print_sql(ctx, &s.statements, false)?;
    }
    Ok(0)
}

fn diff(ctx: &mut Ctx<'_>, args: &DiffArgs) -> anyhow::Result<Code> {
    let d = if let (Some(a), Some(b)) = (&args.from_db, &args.to_db) {
        let (ca, _) = pggit::pg::connect::resolve(Some(a), &env)?;
        let (cb, _) = pggit::pg::connect::resolve(Some(b), &env)?;
        let (from, to) = if args.reverse { (&cb, &ca) } else { (&ca, &cb) };
        pggit::diff_databases(from, to, &pggit::bookkeeping_scope())?
    } else {
        let mut repo = open(ctx.cli)?;
        let from = Side::Rev(args.from.clone().unwrap_or_else(|| "HEAD".into()));
        let to = match &args.to {
            Some(t) => Side::Rev(t.clone()),
            None => Side::Workspace,
        };
        repo.diff(&from, &to, args.reverse).context("diff failed")?
    };
    let differs = !d.changes.is_empty();
    if ctx.cli.json {
        json(ctx.out, &d)?;
    } else if args.sql {
        print_row_checks(ctx, &d.row_checks)?;
        print_sql(ctx, &d.statements, !args.no_lint)?;
    } else if args.stat {
        print_changes(ctx, &d.changes, "")?;
        writeln!(ctx.out, " {} object(s) changed", d.changes.len())?;
    } else {
        writeln!(ctx.out, "diff {} -> {}", esc(&d.from), esc(&d.to))?;
        print_changes(ctx, &d.changes, "")?;
        if !d.statements.is_empty() {
            writeln!(ctx.out)?;
            print_row_checks(ctx, &d.row_checks)?;
            print_sql(ctx, &d.statements, !args.no_lint)?;
        }
    }
    Ok(if args.exit_code && differs { 1 } else { 0 })
}

fn branch(ctx: &mut Ctx<'_>, args: &BranchArgs) -> anyhow::Result<Code> {
    let mut repo = open(ctx.cli)?;
    match (&args.name, args.delete) {
        (None, false) => {
            let list = repo.branches()?;
            if ctx.cli.json {
                json(ctx.out, &list)?;
            } else {
                let w = list
                    .iter()
                    .map(|b| b.name.chars().count())
                    .max()
                    .unwrap_or(4);
                for b in &list {
                    let mark = if b.current { "*" } else { " " };
                    writeln!(
                        ctx.out,
                        "{mark} {:<w$}  {}  {}",
                        b.name,
                        ctx.style.commit(short(&b.commit)),
                        b.workspace.as_deref().unwrap_or("(no workspace)")
                    )?;
                }
            }
        }
        (Some(name), true) => {
            let dropped = repo.delete_branch(name, args.force, args.drop_workspace)?;
            if ctx.cli.json {
                json(
                    ctx.out,
                    &serde_json::json!({ "deleted": name, "dropped_database": dropped }),
                )?;
            } else {
                writeln!(ctx.out, "Deleted branch {name}")?;
                if let Some(db) = dropped {
                    writeln!(ctx.out, "Dropped workspace database \"{}\"", esc(&db))?;
                }
            }
        }
        (Some(name), false) => {
            let b = repo.create_branch(name, args.start.as_deref())?;
            if ctx.cli.json {
                json(ctx.out, &b)?;
            } else {
                writeln!(ctx.out, "Created branch {} at {}", b.name, short(&b.commit))?;
            }
        }
        (None, true) => anyhow::bail!(UsageError("branch -d needs a branch name".into())),
    }
    Ok(0)
}

fn checkout(
    ctx: &mut Ctx<'_>,
    create: bool,
    name: &str,
    start: Option<&str>,
) -> anyhow::Result<Code> {
    let mut repo = open(ctx.cli)?;
    let spin = Spinner::start("preparing the workspace");
    let o = repo.checkout(name, create.then_some(start))?;
    drop(spin);
    crate::local::set_checked_out(&repo.local_key(), &o.branch)?;
    if ctx.cli.json {
        json(ctx.out, &o)?;
        return Ok(0);
    }
    if o.created_branch {
        writeln!(
            ctx.out,
            "Created branch '{}' at {}",
            o.branch,
            short(&o.commit)
        )?;
    }
    if o.created_workspace {
        writeln!(
            ctx.out,
            "Built workspace database \"{}\" from {}",
            esc(&o.workspace),
            short(&o.commit)
        )?;
    }
    writeln!(ctx.out, "Switched to branch '{}'", o.branch)?;
    writeln!(ctx.out, "{}", esc(&o.url))?;
    Ok(0)
}

fn tag(
    ctx: &mut Ctx<'_>,
    delete: bool,
    name: Option<&str>,
    rev: Option<&str>,
) -> anyhow::Result<Code> {
    let mut repo = open(ctx.cli)?;
    match (name, delete) {
        (None, false) => {
            let tags = repo.tags()?;
            if ctx.cli.json {
                json(ctx.out, &tags)?;
            } else {
                for t in tags {
                    writeln!(ctx.out, "{}  {}", t.name, short(&t.commit))?;
                }
            }
        }
        (Some(n), true) => {
            let t = repo.delete_tag(n)?;
            if ctx.cli.json {
                json(ctx.out, &t)?;
            } else {
                writeln!(
                    ctx.out,
                    "Deleted tag '{}' (was {})",
                    t.name,
                    short(&t.commit)
                )?;
            }
        }
        (Some(n), false) => {
            let t = repo.create_tag(n, rev)?;
            if ctx.cli.json {
                json(ctx.out, &t)?;
            } else {
                writeln!(ctx.out, "Tagged {} as '{}'", short(&t.commit), t.name)?;
            }
        }
        (None, true) => anyhow::bail!(UsageError("tag -d needs a tag name".into())),
    }
    Ok(0)
}

/// A usage error found after argument parsing (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}
