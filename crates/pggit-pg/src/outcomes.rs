//! Outcomes of the migrations pggit applies (`pggit.migration_outcomes`):
//! how long each took, whether it failed and why, and the findings `pggit
//! lint` had on it. `lint --calibration` fits its failure rates to them
//! (`pggit_lint::calibrate`).

use postgres::GenericClient;
use serde::Serialize;

use crate::PgError;

/// One applied migration.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub operation: String,
    pub branch: String,
    pub from_commit: String,
    pub to_commit: String,
    pub statements: usize,
    pub duration_ms: f64,
    pub succeeded: bool,
    pub error: Option<String>,
    pub sqlstate: Option<String>,
}

/// The lint of a migration pggit applies (one transaction, with a
/// `lock_timeout`): its findings as JSON and its risk score.
pub fn lint_of(script: &str) -> (serde_json::Value, u32) {
    let text = format!("BEGIN;\n{script}COMMIT;\n");
    let options = pggit_lint::Options {
        lock_timeout_set: true,
        ..Default::default()
    };
    match pggit_lint::lint(&text, &options) {
        Ok(r) => (
            serde_json::Value::Array(
                r.findings
                    .iter()
                    .map(|f| {
                        serde_json::json!({
                            "rule": f.rule,
                            "severity": f.severity.name(),
                            "statement": f.statement,
                        })
                    })
                    .collect(),
            ),
            r.risk.score,
        ),
        Err(_) => (serde_json::Value::Array(Vec::new()), 0),
    }
}

/// The SQLSTATE of an error from the server, if it is one.
pub fn sqlstate(e: &PgError) -> Option<String> {
    match e {
        PgError::Db(e) => e.code().map(|c| c.code().to_string()),
        PgError::Statement { sqlstate, .. } => sqlstate.clone(),
        _ => None,
    }
}

/// Record `o` with the lint of its `script`.
pub fn record(client: &mut impl GenericClient, o: &Outcome, script: &str) -> Result<(), PgError> {
    let (findings, risk) = lint_of(script);
    let statements = i32::try_from(o.statements).unwrap_or(i32::MAX);
    let risk = i32::try_from(risk).unwrap_or(i32::MAX);
    let lock_timeout = o.sqlstate.as_deref() == Some("55P03");
    client.execute(
        "INSERT INTO pggit.migration_outcomes
            (operation, branch, from_commit, to_commit, statements, duration_ms, succeeded,
             error, sqlstate, lock_timeout, findings, risk)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::jsonb, $12)",
        &[
            &o.operation,
            &o.branch,
            &o.from_commit,
            &o.to_commit,
            &statements,
            &o.duration_ms,
            &o.succeeded,
            &o.error,
            &o.sqlstate,
            &lock_timeout,
            &findings.to_string(),
            &risk,
        ],
    )?;
    Ok(())
}

/// Every recorded outcome as the model sees it: the rules of its findings
/// and whether it failed.
pub fn records(
    client: &mut impl GenericClient,
) -> Result<Vec<pggit_lint::calibrate::Record>, PgError> {
    Ok(client
        .query(
            "SELECT NOT succeeded,
                    coalesce(ARRAY(SELECT DISTINCT f->>'rule' FROM jsonb_array_elements(findings) f
                                    WHERE f->>'rule' IS NOT NULL ORDER BY 1), '{}')
               FROM pggit.migration_outcomes ORDER BY id",
            &[],
        )?
        .iter()
        .map(|r| pggit_lint::calibrate::Record {
            failed: r.get(0),
            rules: r.get(1),
        })
        .collect())
}

/// Whether the connected database has the outcomes table (from the
/// catalog: no error for a role without rights on the `pggit` schema).
pub fn exists(client: &mut impl GenericClient) -> Result<bool, PgError> {
    Ok(client
        .query_one(
            "SELECT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                             WHERE n.nspname = 'pggit' AND c.relname = 'migration_outcomes')",
            &[],
        )?
        .get(0))
}

/// Whether it exists and this role may read it.
pub fn readable(client: &mut impl GenericClient) -> Result<bool, PgError> {
    Ok(exists(client)?
        && client
            .query_one(
                "SELECT has_schema_privilege('pggit', 'USAGE')
                        AND has_table_privilege('pggit.migration_outcomes', 'SELECT')",
                &[],
            )?
            .get(0))
}
