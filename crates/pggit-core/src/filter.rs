//! Row filters given by users (`--where`): parsed with PostgreSQL's own
//! parser and accepted only when they are a single boolean-position
//! expression, so they can be placed in a `WHERE (...)` without changing
//! the statement around them.

use pg_query::protobuf::{node::Node as N, SetOperation};
use thiserror::Error;

/// Why a filter is refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FilterError {
    #[error("the WHERE clause is empty")]
    Empty,
    #[error("the WHERE clause does not parse: {0}")]
    Parse(String),
    #[error("the WHERE clause must be one expression, not {0}")]
    NotAnExpression(&'static str),
}

/// Check `expr` and return it parenthesised, ready to follow `WHERE`.
pub fn check_where(expr: &str) -> Result<String, FilterError> {
    if expr.trim().is_empty() {
        return Err(FilterError::Empty);
    }
    let probe = format!("SELECT 1 FROM pggit_filter_probe WHERE {expr}");
    let parsed = pg_query::parse(&probe, 0).map_err(|e| FilterError::Parse(e.to_string()))?;
    let stmts = &parsed.protobuf.stmts;
    if stmts.len() != 1 {
        return Err(FilterError::NotAnExpression("several statements"));
    }
    let Some(N::SelectStmt(s)) = stmts[0].stmt.as_ref().and_then(|n| n.node.as_ref()) else {
        return Err(FilterError::NotAnExpression("a statement"));
    };
    let extra = [
        (
            s.op() != SetOperation::SetopNone,
            "a set operation (UNION/INTERSECT/EXCEPT)",
        ),
        (!s.sort_clause.is_empty(), "an ORDER BY"),
        (
            s.limit_count.is_some() || s.limit_offset.is_some(),
            "a LIMIT/OFFSET",
        ),
        (
            !s.group_clause.is_empty() || s.having_clause.is_some(),
            "a GROUP BY/HAVING",
        ),
        (!s.window_clause.is_empty(), "a WINDOW clause"),
        (!s.locking_clause.is_empty(), "a locking clause"),
        (
            s.with_clause.is_some() || s.into_clause.is_some(),
            "a WITH/INTO clause",
        ),
        (
            s.from_clause.len() != 1 || s.target_list.len() != 1,
            "a different query",
        ),
        (s.where_clause.is_none(), "an empty condition"),
    ];
    if let Some((_, what)) = extra.iter().find(|(bad, _)| *bad) {
        return Err(FilterError::NotAnExpression(what));
    }
    // The same text in parentheses must parse to the same condition.
    let wrapped = format!("({expr})");
    let again = pg_query::parse(
        &format!("SELECT 1 FROM pggit_filter_probe WHERE {wrapped}"),
        0,
    )
    .map_err(|e| FilterError::Parse(e.to_string()))?;
    if again.protobuf.stmts.len() != 1 {
        return Err(FilterError::NotAnExpression("several statements"));
    }
    Ok(wrapped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_expressions() {
        assert_eq!(check_where("customer_id = 7").unwrap(), "(customer_id = 7)");
        assert!(check_where("a IN (SELECT x FROM y) AND b IS NULL").is_ok());
        assert!(check_where("\"odd \"\" name\" > 3 OR note LIKE '%;--%'").is_ok());
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "   ",
            "1=1; DROP TABLE t",
            "true) OR (true",
            "id = 1 UNION SELECT 1 FROM secrets",
            "id = 1 ORDER BY 1",
            "id = 1 LIMIT 1",
            "id = 1 GROUP BY id",
            "id = 1 FOR UPDATE",
            "id = 1 --",
            "id = ",
            "id = 1) x, (SELECT 1",
        ] {
            assert!(check_where(bad).is_err(), "accepted {bad:?}");
        }
    }
}
