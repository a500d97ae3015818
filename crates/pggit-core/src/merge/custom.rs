//! Checking a hand-written definition offered to settle a conflict: it must
//! be exactly one statement, parsed by PostgreSQL's own parser, that
//! creates the conflicted object (same kind, same name, same schema or
//! table).

use pg_query::protobuf::{node::Node as N, Node, RangeVar};
use thiserror::Error;

use crate::model::{Kind, Object};
use crate::tree::Tree;

/// Why a custom definition is refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CustomError {
    #[error("the definition does not parse: {0}")]
    Parse(String),
    #[error("the definition must be exactly one statement, found {0}")]
    Count(usize),
    #[error("the definition is not a statement that creates a {0}")]
    WrongStatement(String),
    #[error("the definition creates {found}, not {expected}")]
    WrongObject { found: String, expected: String },
}

/// What a statement creates: kind, schema (if written), name, and the
/// table it hangs off (for indexes, triggers, policies, constraints).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Created {
    kind: Kind,
    schema: Option<String>,
    name: String,
    table: Option<(Option<String>, String)>,
}

fn strings(nodes: &[Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|n| match &n.node {
            Some(N::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect()
}

fn qualified(parts: Vec<String>) -> (Option<String>, String) {
    match parts.as_slice() {
        [s, n] => (Some(s.clone()), n.clone()),
        [.., n] => (None, n.clone()),
        [] => (None, String::new()),
    }
}

fn rel(r: &Option<RangeVar>) -> (Option<String>, String) {
    match r {
        Some(r) => (
            (!r.schemaname.is_empty()).then(|| r.schemaname.clone()),
            r.relname.clone(),
        ),
        None => (None, String::new()),
    }
}

fn created(node: &N) -> Option<Created> {
    let plain = |kind, (schema, name): (Option<String>, String)| Created {
        kind,
        schema,
        name,
        table: None,
    };
    Some(match node {
        N::CreateStmt(s) => plain(Kind::Table, rel(&s.relation)),
        N::ViewStmt(s) => plain(Kind::View, rel(&s.view)),
        N::CreateTableAsStmt(s) => plain(Kind::View, rel(&s.into.as_ref()?.rel)),
        N::CreateFunctionStmt(s) => plain(Kind::Function, qualified(strings(&s.funcname))),
        N::CreateEnumStmt(s) => plain(Kind::Type, qualified(strings(&s.type_name))),
        N::CreateDomainStmt(s) => plain(Kind::Type, qualified(strings(&s.domainname))),
        N::CreateRangeStmt(s) => plain(Kind::Type, qualified(strings(&s.type_name))),
        N::CompositeTypeStmt(s) => plain(Kind::Type, rel(&s.typevar)),
        N::CreateSeqStmt(s) => plain(Kind::Sequence, rel(&s.sequence)),
        N::CreateSchemaStmt(s) => plain(Kind::Schema, (None, s.schemaname.clone())),
        N::IndexStmt(s) => Created {
            kind: Kind::Index,
            schema: None,
            name: s.idxname.clone(),
            table: Some(rel(&s.relation)),
        },
        N::CreateTrigStmt(s) => Created {
            kind: Kind::Trigger,
            schema: None,
            name: s.trigname.clone(),
            table: Some(rel(&s.relation)),
        },
        N::CreatePolicyStmt(s) => Created {
            kind: Kind::Policy,
            schema: None,
            name: s.policy_name.clone(),
            table: Some(rel(&s.table)),
        },
        N::AlterTableStmt(s) => {
            let [cmd] = s.cmds.as_slice() else {
                return None;
            };
            let Some(N::AlterTableCmd(cmd)) = &cmd.node else {
                return None;
            };
            let Some(N::Constraint(c)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) else {
                return None;
            };
            Created {
                kind: Kind::Constraint,
                schema: None,
                name: c.conname.clone(),
                table: Some(rel(&s.relation)),
            }
        }
        _ => return None,
    })
}

/// Check that `sql` is one statement creating the object `id` of `tree`.
pub fn check_definition(sql: &str, tree: &Tree, id: &str) -> Result<(), CustomError> {
    let Some(object) = tree.get(id) else {
        return Err(CustomError::WrongStatement("object that exists".into()));
    };
    let parsed = pg_query::parse(sql, 0).map_err(|e| CustomError::Parse(e.to_string()))?;
    let stmts = &parsed.protobuf.stmts;
    if stmts.len() != 1 {
        return Err(CustomError::Count(stmts.len()));
    }
    let node = stmts[0].stmt.as_ref().and_then(|n| n.node.as_ref());
    let expected_kind = object.kind();
    let Some(c) = node.and_then(created) else {
        return Err(CustomError::WrongStatement(object.kind_name().to_string()));
    };
    let expected = tree.display_name(id);
    let wrong = |c: &Created| CustomError::WrongObject {
        found: match &c.table {
            Some((_, t)) => format!("{} {} on {}", c.kind.as_str(), c.name, t),
            None => format!(
                "{} {}{}",
                c.kind.as_str(),
                c.schema
                    .as_deref()
                    .map(|s| format!("{s}."))
                    .unwrap_or_default(),
                c.name
            ),
        },
        expected: format!("{} {}", object.kind_name(), expected),
    };
    if c.kind != expected_kind || c.name != object.name() {
        return Err(wrong(&c));
    }
    if let Some(schema) = &c.schema {
        if Some(schema.as_str()) != object.schema() {
            return Err(wrong(&c));
        }
    }
    if let (Some((ts, tn)), Some(parent)) = (&c.table, object.parent_table()) {
        match tree.get(parent) {
            Some(Object::Table(t))
                if &t.name == tn && ts.as_ref().is_none_or(|s| s == &t.schema) => {}
            _ => return Err(wrong(&c)),
        }
    }
    Ok(())
}
