//! `pggit lint`: read the files, run `pggit_lint`, print, and set the exit
//! code (0 nothing at or above `--fail-on`, 1 something is, 2 a file could
//! not be read or parsed, or a rule name is unknown).

use std::io::{Read, Write as _};

use pggit_lint::{LintError, Options, Severity};

use crate::cli::{FailOn, LintArgs, LintFormat};
use crate::run::{Code, Ctx, UsageError};

/// A transaction open this long on the target can hold up a migration's locks.
const LONG_TRANSACTION_SECONDS: f64 = 60.0;

pub(crate) fn run(ctx: &mut Ctx<'_>, args: &LintArgs) -> anyhow::Result<Code> {
    if args.calibration {
        let json = ctx.cli.json || args.format == LintFormat::Json;
        return calibration(ctx, json);
    }
    let mut options = Options {
        pg_version: args.pg_version.unwrap_or(18),
        assume_in_transaction: args.assume_in_transaction,
        enable: args.enable.clone(),
        disable: args.disable.clone(),
        target: None,
        lock_timeout_set: false,
        outcomes: None,
    };
    if args.fix && !args.write && args.files.len() > 1 {
        anyhow::bail!(UsageError(
            "--fix prints one file's rewrite; give one file, or --write to replace each".into()
        ));
    }
    if args.write && args.files.iter().any(|f| f == "-") {
        anyhow::bail!(UsageError("--write cannot replace standard input".into()));
    }
    // A misspelt rule is a usage error before any file is read.
    pggit_lint::active_rules(&options).map_err(|e| UsageError(e.to_string()))?;
    let format = if ctx.cli.json {
        LintFormat::Json
    } else {
        args.format
    };
    let json = format == LintFormat::Json;
    let mut sarif: Vec<(String, pggit_lint::Report)> = Vec::new();
    let threshold = match args.fail_on {
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::None => None,
    };
    let mut failed = false;
    let mut broken = false;
    let mut docs: Vec<Doc> = Vec::new();
    let mut repo: Option<pggit::Repository> = None;
    // Read every input first: with --db, the target is asked once about
    // every table they touch.
    let mut inputs: Vec<(String, Result<String, String>)> = Vec::new();
    for path in &args.files {
        // A path that is not a file is a revision (`REV`, `A..B`): the
        // migration pggit would apply, as it applies it.
        let from_repo = path != "-" && !std::path::Path::new(path).exists();
        if args.fix && from_repo {
            anyhow::bail!(UsageError(format!(
                "--fix rewrites files; {path} is not one (the migration of a revision is pggit's own)"
            )));
        }
        let got = if from_repo {
            let r = match repo.as_mut() {
                Some(r) => r,
                None => repo.insert(crate::run::open(ctx.cli).map_err(|e| {
                    UsageError(format!(
                        "{path} is neither a file nor, without a repository, a revision ({e:#})"
                    ))
                })?),
            };
            migration_of(r, path).map_err(|e| format!("{e:#}"))
        } else {
            read(path)
        };
        inputs.push((path.clone(), got));
    }
    if ctx.cli.db.is_some() && !args.trace {
        let config = crate::run::config(ctx.cli)?;
        let mut client = pggit::pg::connect::connect(&config)?;
        let mut names: Vec<String> = Vec::new();
        for (_, text) in &inputs {
            if let Ok(t) = text {
                for n in pggit_lint::relations(t).unwrap_or_default() {
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
            }
        }
        let target = pggit::pg::lint_target::read(&mut client, &names, LONG_TRANSACTION_SECONDS)?;
        // A repository that recorded outcomes this role may read: their
        // failure rates too (best effort: without them, no prediction).
        if pggit::pg::outcomes::readable(&mut client).unwrap_or(false) {
            if let Ok(records) = pggit::pg::outcomes::records(&mut client) {
                options.outcomes = Some(pggit_lint::calibrate::fit(&records));
            }
        }
        if args.pg_version.is_none() && (13..=18).contains(&target.version) {
            options.pg_version = target.version;
        }
        options.target = Some(target);
    }
    if args.fix {
        return fix(ctx, args, &options, inputs, json, threshold);
    }
    if args.trace {
        return crate::trace_cmd::run(ctx, args, &options, inputs, json);
    }
    for (path, got) in inputs {
        let path = &path;
        let text = match got {
            Ok(t) => t,
            Err(e) => {
                broken = true;
                if json {
                    docs.push(Doc::Error(
                        serde_json::json!({ "file": path, "error": { "message": e } }),
                    ));
                } else {
                    eprintln!(
                        "error: {}",
                        crate::style::esc_message(&format!("{path}: {e}"))
                    );
                }
                continue;
            }
        };
        match pggit_lint::lint(&text, &options) {
            Ok(report) => {
                failed |= threshold.is_some_and(|t| report.worst().is_some_and(|w| w >= t));
                match format {
                    LintFormat::Json => docs.push(Doc::Lint(path.clone(), Box::new(report))),
                    LintFormat::Human => write!(ctx.out, "{}", pggit_lint::human(&report, path))?,
                    LintFormat::Github => write!(ctx.out, "{}", pggit_lint::github(&report, path))?,
                    LintFormat::Sarif => sarif.push((path.clone(), report)),
                }
            }
            Err(LintError::Syntax(e)) => {
                broken = true;
                if json {
                    docs.push(Doc::Error(serde_json::json!({
                        "file": path,
                        "error": { "message": e.message, "line": e.line, "column": e.column }
                    })));
                } else {
                    eprintln!(
                        "error: {}",
                        crate::style::esc_message(&format!(
                            "{path}:{}:{}: {}",
                            e.line, e.column, e.message
                        ))
                    );
                }
            }
            Err(e @ (LintError::UnknownRule(_) | LintError::Rewrite(_))) => {
                anyhow::bail!(UsageError(e.to_string()))
            }
        }
    }
    if format == LintFormat::Sarif {
        let files: Vec<(&str, &pggit_lint::Report)> =
            sarif.iter().map(|(p, r)| (p.as_str(), r)).collect();
        crate::run::json(ctx.out, &pggit_lint::sarif(&files))?;
    }
    finish(ctx, json.then_some(&docs), broken, failed)
}

/// A file's text, or standard input for `-`.
fn read(path: &str) -> Result<String, String> {
    let mut bytes = Vec::new();
    let got = if path == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    got.map_err(|e| e.to_string())?;
    String::from_utf8(bytes)
        .map_err(|e| format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
}

/// The migration of a revision (its first parent to it) or of a range
/// `A..B`, as pggit applies it: one transaction, with its `lock_timeout`.
fn migration_of(repo: &mut pggit::Repository, spec: &str) -> anyhow::Result<String> {
    let (from, to) = match spec.split_once("..") {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (format!("{spec}^"), spec.to_string()),
    };
    let d = repo
        .diff(&pggit::Side::Rev(from), &pggit::Side::Rev(to), false)
        .map_err(|e| anyhow::anyhow!("no such file, and not a revision pggit can diff: {e}"))?;
    Ok(format!(
        "BEGIN;\nSET LOCAL lock_timeout = '5s';\n{}COMMIT;\n",
        pggit::core::sql::script(&d.statements)
    ))
}

/// `--fix`: print the rewrite of one file, or (`--write`) replace each
/// file with its rewrite. What was rewritten and what has no automatic
/// rewrite go to stderr (or into the JSON). Exit 1 when a finding left
/// unfixed is at least `--fail-on`.
fn fix(
    ctx: &mut Ctx<'_>,
    args: &LintArgs,
    options: &Options,
    inputs: Vec<(String, Result<String, String>)>,
    json: bool,
    threshold: Option<Severity>,
) -> anyhow::Result<Code> {
    let mut broken = false;
    let mut failed = false;
    let mut docs = Vec::new();
    for (path, got) in inputs {
        let fixed = got.and_then(|text| match pggit_lint::fix(&text, options) {
            Ok(f) => Ok((text, f)),
            Err(LintError::Syntax(e)) => Err(format!("{}:{}: {}", e.line, e.column, e.message)),
            Err(e) => Err(e.to_string()),
        });
        let (text, fixed) = match fixed {
            Ok(x) => x,
            Err(e) => {
                broken = true;
                if json {
                    docs.push(serde_json::json!({ "file": path, "error": { "message": e } }));
                } else {
                    eprintln!(
                        "error: {}",
                        crate::style::esc_message(&format!("{path}: {e}"))
                    );
                }
                continue;
            }
        };
        let left_worst = fixed.unfixed.iter().map(|u| u.severity).max();
        failed |= threshold.is_some_and(|t| left_worst.is_some_and(|w| w >= t));
        let wrote = if args.write && fixed.sql != text {
            replace_file(&path, &fixed.sql).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
            true
        } else {
            false
        };
        if json {
            let mut doc = serde_json::json!({
                "file": path,
                "applied": fixed.applied,
                "unfixed": fixed.unfixed,
                "written": wrote,
            });
            if !args.write {
                doc["sql"] = serde_json::Value::String(fixed.sql.clone());
            }
            docs.push(doc);
            continue;
        }
        if !args.write {
            write!(ctx.out, "{}", fixed.sql)?;
        }
        let err = &mut std::io::stderr();
        let name = crate::style::esc_message(&path);
        if fixed.applied.is_empty() {
            writeln!(err, "{name}: nothing to rewrite")?;
        } else {
            let how = if args.write { "rewritten" } else { "rewrite" };
            writeln!(err, "{name}: {how}:")?;
            for a in &fixed.applied {
                let at = a
                    .statement
                    .map(|n| format!("statement {n}"))
                    .unwrap_or_else(|| "file".into());
                writeln!(
                    err,
                    "  {at}: {} ({})",
                    crate::style::esc_message(&a.what),
                    a.rule
                )?;
            }
        }
        if !fixed.unfixed.is_empty() {
            let whose = if args.write {
                "the file"
            } else {
                "the rewrite"
            };
            writeln!(err, "{name}: left in {whose} (no automatic rewrite):")?;
            for u in &fixed.unfixed {
                writeln!(
                    err,
                    "  line {}: {} ({})",
                    u.line,
                    crate::style::esc_message(&u.message),
                    u.rule
                )?;
            }
        }
    }
    finish(ctx, json.then_some(&docs), broken, failed)
}

/// Replace `path` with `text` atomically (a temporary file beside it,
/// then a rename), keeping its permissions.
fn replace_file(path: &str, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    // Through a symbolic link, the file it points to is replaced.
    let target = std::fs::canonicalize(path)?;
    let dir = target
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!(
        ".{file_name}.pggit-fix.{}.{nanos}",
        std::process::id()
    ));
    let permissions = std::fs::metadata(&target)?.permissions();
    let result = (|| {
        // A new file only: never through a link someone left at that name.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.set_permissions(permissions)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)?;
        // The rename itself reaches the disk with the directory.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// One file's entry of `--json`: its lint, written straight from the
/// report (no intermediate JSON tree), or its error.
enum Doc {
    Lint(String, Box<pggit_lint::Report>),
    Error(serde_json::Value),
}

impl serde::Serialize for Doc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Doc::Lint(path, report) => pggit_lint::json_doc(report, path).serialize(s),
            Doc::Error(v) => v.serialize(s),
        }
    }
}

/// `--calibration`: the recorded outcomes against the rates fitted to them.
fn calibration(ctx: &mut Ctx<'_>, json: bool) -> anyhow::Result<Code> {
    use pggit_lint::calibrate;
    let config = crate::run::config(ctx.cli)?;
    let mut client = pggit::pg::connect::connect(&config)?;
    match pggit::pg::schema::installed(&mut client)? {
        pggit::pg::schema::Installed::Repository { .. } => {}
        _ => anyhow::bail!(UsageError(
            "--calibration reads the outcomes recorded in a pggit repository; this database is not one (pggit init)".into()
        )),
    }
    let records = if pggit::pg::outcomes::exists(&mut client)? {
        pggit::pg::outcomes::records(&mut client)?
    } else {
        Vec::new()
    };
    let c = calibrate::calibration(&records);
    if json {
        crate::run::json(ctx.out, &c)?;
        return Ok(0);
    }
    let out = &mut ctx.out;
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    writeln!(
        out,
        "recorded outcomes: {} migration(s) applied by pggit (merge, revert, reset), {} failed",
        c.outcomes, c.failed
    )?;
    if !c.enough {
        writeln!(
            out,
            "too few to calibrate (at least {} are needed): the risk uses its priors, per severity low {}, medium {}, high {}, critical {}, no finding {}, each worth {} migrations",
            calibrate::MIN_OUTCOMES,
            pct(calibrate::prior(Severity::Low)),
            pct(calibrate::prior(Severity::Medium)),
            pct(calibrate::prior(Severity::High)),
            pct(calibrate::prior(Severity::Critical)),
            pct(calibrate::BASE_PRIOR),
            calibrate::PRIOR_STRENGTH
        )?;
    }
    if let (Some(b), Some(r)) = (c.brier, c.brier_reference) {
        writeln!(
            out,
            "Brier score, each outcome predicted from the others: {b:.4} (always predicting the overall failure rate: {r:.4}; lower is better)"
        )?;
        writeln!(
            out,
            "\nreliability:\n  predicted     migrations  mean predicted  observed"
        )?;
        for bin in &c.reliability {
            writeln!(
                out,
                "  {:>5}-{:<5}  {:>10}  {:>14}  {:>8}",
                pct(bin.from),
                pct(bin.to),
                bin.migrations,
                pct(bin.mean_predicted),
                pct(bin.observed)
            )?;
        }
    }
    writeln!(
        out,
        "\nfailure rates (prior, updated by the migrations that had the finding):\n  {:<44} {:>10} {:>7} {:>7} {:>7}",
        "rule", "migrations", "failed", "prior", "rate"
    )?;
    for r in std::iter::once(&c.model.baseline).chain(c.model.rules.values()) {
        writeln!(
            out,
            "  {:<44} {:>10} {:>7} {:>7} {:>7}",
            r.rule,
            r.migrations,
            r.failed,
            pct(r.prior),
            pct(r.rate)
        )?;
    }
    Ok(0)
}

/// Write the JSON documents (if any) and give the exit code: 2 when an
/// input could not be read or parsed, 1 when one failed its check, else 0.
pub(crate) fn finish(
    ctx: &mut Ctx<'_>,
    docs: Option<&impl serde::Serialize>,
    broken: bool,
    failed: bool,
) -> anyhow::Result<Code> {
    if let Some(docs) = docs {
        crate::run::json(ctx.out, docs)?;
    }
    Ok(if broken {
        2
    } else if failed {
        1
    } else {
        0
    })
}
