//! A report as people and programs read it: human text with the source
//! line and a caret under the statement, or JSON.

use std::fmt::Write;

use crate::Report;

/// Human-readable findings of `report` for file `path`, like a compiler's.
pub fn human(report: &Report, path: &str) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let _ = writeln!(
            out,
            "{path}:{}:{}: {} {}: {}",
            f.line,
            f.column,
            f.severity.name(),
            f.rule,
            f.message
        );
        let line = report.source.line(f.line);
        if !line.is_empty() {
            let width = f.line.to_string().len();
            let pad = " ".repeat(width);
            let prefix: usize = line.chars().take(f.column.saturating_sub(1)).count();
            // Under the statement's part on its first line.
            let first_line_end = report
                .source
                .text
                .get(f.start..f.end)
                .map(|t| t.split('\n').next().unwrap_or("").chars().count())
                .unwrap_or(1)
                .max(1);
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{} | {line}", f.line);
            let _ = writeln!(
                out,
                "{pad} | {}{}",
                " ".repeat(prefix),
                "^".repeat(first_line_end)
            );
        }
        let _ = writeln!(out, "  = why: {}", f.why);
        for (i, l) in f.instead.lines().enumerate() {
            let head = if i == 0 {
                "  = instead: "
            } else {
                "             "
            };
            let _ = writeln!(out, "{head}{l}");
        }
        out.push('\n');
    }
    if report.risk.score > 0 {
        let why: Vec<String> = report
            .statements
            .iter()
            .max_by_key(|s| s.risk.score)
            .map(|s| {
                s.risk
                    .factors
                    .iter()
                    .map(|f| format!("{} (+{})", f.what, f.points))
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{path}: risk {}/100 ({}); riskiest statement: {}",
            report.risk.score,
            report.risk.level.name(),
            why.join("; ")
        );
    }
    if report.failure_chance.is_some() {
        let line = report
            .risk
            .factors
            .iter()
            .find(|f| f.what.starts_with("predicted chance"));
        if let Some(f) = line {
            let _ = writeln!(out, "{path}: {}", f.what);
        }
    }
    let count = |s: crate::Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "{path}: {} statement(s), {} finding(s): {} critical, {} high, {} medium, {} low",
        report.statements.len(),
        report.findings.len(),
        count(crate::Severity::Critical),
        count(crate::Severity::High),
        count(crate::Severity::Medium),
        count(crate::Severity::Low)
    );
    out
}

/// The report as JSON (statements with their facts, and findings).
pub fn json(report: &Report, path: &str) -> serde_json::Value {
    serde_json::to_value(json_doc(report, path)).unwrap_or_default()
}

/// [`json`] without building a `serde_json::Value` first (a large file's
/// report is written straight out).
pub fn json_doc<'a>(report: &'a Report, path: &'a str) -> JsonReport<'a> {
    JsonReport {
        file: path,
        risk: &report.risk,
        failure_chance: report.failure_chance,
        statements: &report.statements,
        findings: &report.findings,
    }
}

/// One file's lint as `--json` writes it.
#[derive(Debug, serde::Serialize)]
pub struct JsonReport<'a> {
    pub file: &'a str,
    pub risk: &'a crate::risk::Risk,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_chance: Option<f64>,
    pub statements: &'a [crate::StatementReport],
    pub findings: &'a [crate::Finding],
}

/// SARIF 2.1.0 (GitHub code scanning and other viewers) for several files.
pub fn sarif(reports: &[(&str, &Report)]) -> serde_json::Value {
    let level = |s: crate::Severity| match s {
        crate::Severity::Critical | crate::Severity::High => "error",
        crate::Severity::Medium => "warning",
        crate::Severity::Low => "note",
    };
    let rules: Vec<serde_json::Value> = crate::rules::all()
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "shortDescription": { "text": r.summary },
                "help": { "text": format!("Instead:\n{}", r.good) },
                "defaultConfiguration": { "level": level(r.severity), "enabled": r.default },
                "properties": { "severity": r.severity.name() },
            })
        })
        .collect();
    let mut results = Vec::new();
    for (path, report) in reports {
        for f in &report.findings {
            let (end_line, end_column) = report.source.line_col(f.end.max(f.start));
            results.push(serde_json::json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": path },
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": end_line,
                            "endColumn": end_column,
                        }
                    }
                }],
                "properties": { "severity": f.severity.name(), "statement": f.statement },
            }));
        }
    }
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "pggit lint",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }]
    })
}

/// GitHub Actions workflow commands (`::error file=...::message`), one line
/// per finding.
pub fn github(report: &Report, path: &str) -> String {
    // Workflow command escaping: data escapes % CR LF; properties also : and ,.
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let prop = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for f in &report.findings {
        let kind = match f.severity {
            crate::Severity::Critical | crate::Severity::High => "error",
            crate::Severity::Medium => "warning",
            crate::Severity::Low => "notice",
        };
        let (end_line, end_column) = report.source.line_col(f.end.max(f.start));
        let _ = writeln!(
            out,
            "::{kind} file={},line={},col={},endLine={end_line},endColumn={end_column},title={}::{}",
            prop(path),
            f.line,
            f.column,
            prop(&format!("{} ({})", f.rule, f.severity.name())),
            data(&format!("{}. {}", f.message, f.why))
        );
    }
    out
}
