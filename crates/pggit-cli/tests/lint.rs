//! `pggit lint` end to end: output, exit codes, standard input. No
//! database is needed.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Stdio};

fn lint(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pggit"))
        .arg("lint")
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("PGGIT_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A process that refuses its arguments exits without reading stdin.
    let _ = child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or("").as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

const RISKY: &str = "BEGIN;
ALTER TABLE orders ADD COLUMN region text NOT NULL;
CREATE INDEX orders_region ON orders (region);
COMMIT;
";

const SAFE: &str = "SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_region ON orders (region);
";

#[test]
fn findings_exit_codes_and_formats() {
    let (code, out, err) = lint(&["-"], Some(RISKY));
    assert_eq!(code, 1, "high findings fail by default: {err}");
    insta::assert_snapshot!("lint_human", out);

    let (code, out, _) = lint(&["--fail-on", "none", "-"], Some(RISKY));
    assert_eq!(code, 0);
    assert!(out.contains("require-concurrent-index-creation"));
    let (code, _, _) = lint(&["--fail-on", "critical", "-"], Some(RISKY));
    assert_eq!(code, 0);

    let (code, out, _) = lint(&["--json", "-"], Some(RISKY));
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let findings = doc[0]["findings"].as_array().unwrap();
    assert!(findings
        .iter()
        .any(|f| f["rule"] == "adding-required-field" && f["line"] == 2));
    assert_eq!(
        doc[0]["statements"][1]["facts"]["locks"][0]["level"],
        "ACCESS_EXCLUSIVE"
    );

    let (code, out, _) = lint(&["-"], Some(SAFE));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 finding(s)"), "{out}");
}

#[test]
fn bad_input_gets_a_clear_error_and_exit_2() {
    let (code, _, err) = lint(
        &["-"],
        Some("SELECT 1;\nALTER TABLE t ADD COLUMN x int DEFALT 1;\n"),
    );
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        "error: -:2:32: syntax error at or near \"DEFALT\""
    );
    let (code, _, err) = lint(&["/nonexistent/x.sql"], None);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/x.sql"), "{err}");
    let (code, _, err) = lint(&["--enable", "no-such-rule", "-"], Some(SAFE));
    assert_eq!(code, 2);
    assert!(err.contains("no-such-rule"), "{err}");
    let (code, _, _) = lint(&["--pg-version", "9", "-"], Some(SAFE));
    assert_eq!(code, 2);
    // Not UTF-8.
    let dir = std::env::temp_dir().join(format!("pggit-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("latin1.sql");
    std::fs::write(&f, b"SELECT '\xe9';").unwrap();
    let (code, _, err) = lint(&[f.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(err.contains("not UTF-8"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sarif_and_github_annotations() {
    let dir = std::env::temp_dir().join(format!("pggit-lint-fmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A comma and a percent sign in the path must be escaped in annotations.
    let f = dir.join("0042,100%.sql");
    std::fs::write(&f, RISKY).unwrap();
    let path = f.to_str().unwrap();
    let (code, out, _) = lint(&["--format", "sarif", path], None);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap();
    let (_, json, _) = lint(&["--json", path], None);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(results.len(), json[0]["findings"].as_array().unwrap().len());
    let first = &results[0];
    assert_eq!(first["ruleId"], "adding-required-field");
    assert_eq!(first["level"], "error");
    assert_eq!(
        first["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    assert_eq!(
        first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        path
    );
    let ids: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(results
        .iter()
        .all(|r| ids.contains(&r["ruleId"].as_str().unwrap())));

    let (code, out, _) = lint(&["--format", "github", path], None);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), results.len());
    let escaped = path
        .replace('%', "%25")
        .replace(':', "%3A")
        .replace(',', "%2C");
    assert!(
        lines[0].starts_with(&format!("::error file={escaped},line=2,col=1,")),
        "{}",
        lines[0]
    );
    assert!(lines.iter().all(|l| l.starts_with("::error ")
        || l.starts_with("::warning ")
        || l.starts_with("::notice ")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_full_disk_is_exit_4_even_with_findings() {
    // Small output fails at the final flush, big output in the middle.
    for input in [RISKY.to_string(), RISKY.repeat(300)] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_pggit"))
            .args(["lint", "-"])
            .env_remove("PGGIT_DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(full)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(4),
            "{} bytes in: {out:?}",
            input.len()
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("No space left on device"));
    }
}

#[test]
fn fix_prints_the_rewrite_and_write_replaces_the_file() {
    let risky = "BEGIN;\nALTER TABLE orders ADD COLUMN region text NOT NULL;\nCREATE INDEX orders_region ON orders (region);\nALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);\nCOMMIT;\n";
    // Standard input: the rewrite on stdout, what was done on stderr; the
    // required column has no automatic rewrite, so --fail-on high fails.
    let (code, out, err) = lint(&["--fix", "-"], Some(risky));
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!("fix_stdout", out);
    insta::assert_snapshot!("fix_stderr", err);
    let (code, _, _) = lint(&["--fix", "--fail-on", "none", "-"], Some(risky));
    assert_eq!(code, 0);

    // JSON: the rewrite, what was applied, what was left.
    let (_, out, _) = lint(&["--fix", "--json", "-"], Some(risky));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(doc[0]["sql"]
        .as_str()
        .unwrap()
        .contains("CREATE INDEX CONCURRENTLY"));
    assert_eq!(doc[0]["unfixed"][0]["rule"], "adding-required-field");
    assert!(doc[0]["applied"].as_array().unwrap().len() >= 3);

    // --write replaces the file; a second run has nothing left to rewrite.
    let dir = std::env::temp_dir().join(format!("pggit-fix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("0042.sql");
    std::fs::write(&file, SAFE.replace("CONCURRENTLY IF NOT EXISTS ", "")).unwrap();
    let path = file.to_str().unwrap();
    let (code, out, err) = lint(&["--fix", "--write", path], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("rewritten"), "{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("CREATE INDEX CONCURRENTLY orders_region"),
        "{text}"
    );
    let (code, _, err) = lint(&["--fix", "--write", path], None);
    assert_eq!(code, 0);
    assert!(err.contains("nothing to rewrite"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);

    // Through a symbolic link, the file it points to is rewritten (the
    // link stays), with its permissions.
    {
        use std::os::unix::fs::PermissionsExt;
        let real = dir.join("real.sql");
        let link = dir.join("link.sql");
        std::fs::write(&real, "CREATE INDEX i ON t (a);\n").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let (code, _, err) = lint(&["--fix", "--write", link.to_str().unwrap()], None);
        assert_eq!(code, 0, "{err}");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(std::fs::read_to_string(&real)
            .unwrap()
            .contains("CONCURRENTLY"));
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        std::fs::remove_file(&link).unwrap();
        std::fs::remove_file(&real).unwrap();
    }

    // A file that does not parse is not touched.
    std::fs::write(&file, "ALTER TABLE orders ADD COLUMN;\n").unwrap();
    let (code, _, err) = lint(&["--fix", "--write", path], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("syntax error"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "ALTER TABLE orders ADD COLUMN;\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    // Usage errors.
    for args in [
        &["--fix", "a.sql", "b.sql"][..],
        &["--fix", "--write", "-"][..],
        &["--write", "-"][..],
    ] {
        let (code, _, err) = lint(args, Some(risky));
        assert_eq!(code, 2, "{args:?}: {err}");
    }
}
