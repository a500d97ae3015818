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
    #[error("only comparisons of columns with constants are allowed here, not {0}")]
    NotPlain(&'static str),
}

/// Like [`check_where`], and also refuse anything but plain comparisons:
/// column references, constants (with casts), comparison and boolean
/// operators, `IN (...)` lists, `BETWEEN`, `LIKE`, `IS [NOT] NULL`.
/// No function call, subquery or schema-qualified operator, so a filter
/// taken from someone else cannot run code or read other tables.
pub fn check_plain_where(expr: &str) -> Result<String, FilterError> {
    let wrapped = check_where(expr)?;
    let probe = format!("SELECT 1 FROM pggit_filter_probe WHERE {wrapped}");
    let parsed = pg_query::parse(&probe, 0).map_err(|e| FilterError::Parse(e.to_string()))?;
    let cond = parsed
        .protobuf
        .stmts
        .first()
        .and_then(|s| s.stmt.as_ref())
        .and_then(|n| n.node.as_ref())
        .and_then(|n| match n {
            N::SelectStmt(s) => s.where_clause.as_deref(),
            _ => None,
        })
        .ok_or(FilterError::NotAnExpression("an empty condition"))?;
    plain(cond)?;
    Ok(wrapped)
}

fn plain(node: &pg_query::protobuf::Node) -> Result<(), FilterError> {
    let Some(n) = node.node.as_ref() else {
        return Ok(());
    };
    match n {
        N::ColumnRef(c) => {
            if c.fields.iter().any(|f| matches!(f.node, Some(N::AStar(_)))) {
                return Err(FilterError::NotPlain("a * reference"));
            }
            Ok(())
        }
        N::AConst(_) => Ok(()),
        N::TypeCast(t) => {
            // Unqualified type names resolve in pg_catalog only (pggit pins
            // the search_path); a qualified one could be a user's domain or
            // type with code behind it.
            let qualified = t.type_name.as_ref().is_some_and(|n| n.names.len() > 1);
            let system = t.type_name.as_ref().is_some_and(|n| {
                n.names.first().and_then(|f| match &f.node {
                    Some(N::String(s)) => Some(s.sval == "pg_catalog"),
                    _ => None,
                }) == Some(true)
            });
            if qualified && !system {
                return Err(FilterError::NotPlain("a cast to a type outside pg_catalog"));
            }
            t.arg.as_deref().map_or(Ok(()), plain)
        }
        N::AExpr(e) => {
            if e.name.len() != 1 {
                return Err(FilterError::NotPlain("a schema-qualified operator"));
            }
            for side in [&e.lexpr, &e.rexpr].into_iter().flatten() {
                plain(side)?;
            }
            Ok(())
        }
        N::BoolExpr(b) => b.args.iter().try_for_each(plain),
        N::NullTest(t) => t.arg.as_deref().map_or(Ok(()), plain),
        N::BooleanTest(t) => t.arg.as_deref().map_or(Ok(()), plain),
        N::List(l) => l.items.iter().try_for_each(plain),
        N::FuncCall(_) => Err(FilterError::NotPlain("a function call")),
        N::SubLink(_) => Err(FilterError::NotPlain("a subquery")),
        _ => Err(FilterError::NotPlain("this kind of expression")),
    }
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
    fn plain_filters_are_comparisons_only() {
        for ok in [
            "customer_id = 7",
            "a IN (1, 2, 3) AND b IS NOT NULL",
            "created_at >= '2026-01-01'::date AND note LIKE 'x%'",
            "NOT (price BETWEEN 1 AND 10) OR flag IS TRUE",
            "t.\"odd name\" <> 'x'",
        ] {
            assert!(check_plain_where(ok).is_ok(), "refused {ok:?}");
        }
        for bad in [
            "pg_sleep(10) IS NULL",
            "lo_import('/etc/passwd') > 0",
            "id IN (SELECT id FROM secrets)",
            "EXISTS (SELECT 1)",
            "id OPERATOR(public.=) 1",
            "lower(email) = 'x'",
            "(SELECT count(*) FROM pg_authid) > 0",
            "id = 1; DROP TABLE t",
            "v = 'x'::public.evil_domain",
        ] {
            assert!(check_plain_where(bad).is_err(), "accepted {bad:?}");
        }
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
