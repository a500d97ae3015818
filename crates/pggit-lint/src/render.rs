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
    serde_json::json!({
        "file": path,
        "statements": report.statements,
        "findings": report.findings,
    })
}
