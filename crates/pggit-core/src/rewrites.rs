//! Which tables a migration statement changes in a way that loses the old
//! values of their rows: dropping the table, dropping a column, changing a
//! column's type. Row history must keep a complete image of such a table
//! before the statement runs.

use pg_query::protobuf::{node::Node as N, AlterTableType, Node, ObjectType};

/// (schema if written, table) of every table `sql` drops or rewrites.
/// Statements that do not parse name nothing (the server will reject them).
pub fn lossy_tables(sql: &str) -> Vec<(Option<String>, String)> {
    let Ok(parsed) = pg_query::parse(sql, 0) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for raw in &parsed.protobuf.stmts {
        match raw.stmt.as_ref().and_then(|n| n.node.as_ref()) {
            Some(N::AlterTableStmt(s)) if s.objtype() == ObjectType::ObjectTable => {
                let lossy = s.cmds.iter().any(|c| match &c.node {
                    Some(N::AlterTableCmd(c)) => matches!(
                        c.subtype(),
                        AlterTableType::AtDropColumn | AlterTableType::AtAlterColumnType
                    ),
                    _ => false,
                });
                if let (true, Some(r)) = (lossy, &s.relation) {
                    out.push((
                        (!r.schemaname.is_empty()).then(|| r.schemaname.clone()),
                        r.relname.clone(),
                    ));
                }
            }
            Some(N::DropStmt(s)) if s.remove_type() == ObjectType::ObjectTable => {
                for o in &s.objects {
                    if let Some(N::List(l)) = &o.node {
                        let parts: Vec<String> = l.items.iter().filter_map(string).collect();
                        match parts.as_slice() {
                            [schema, name] => out.push((Some(schema.clone()), name.clone())),
                            [name] => out.push((None, name.clone())),
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn string(n: &Node) -> Option<String> {
    match &n.node {
        Some(N::String(s)) => Some(s.sval.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lossy_changes_only() {
        let t = |s: &str, n: &str| (Some(s.to_string()), n.to_string());
        assert_eq!(
            lossy_tables(r#"ALTER TABLE "a b"."c""d" DROP COLUMN x"#),
            vec![t("a b", "c\"d")]
        );
        assert_eq!(
            lossy_tables("ALTER TABLE public.o ALTER COLUMN p TYPE bigint"),
            vec![t("public", "o")]
        );
        assert_eq!(
            lossy_tables("DROP TABLE public.o, q CASCADE"),
            vec![t("public", "o"), (None, "q".into())]
        );
        assert!(lossy_tables("ALTER TABLE public.o ADD COLUMN z int").is_empty());
        assert!(lossy_tables("ALTER TABLE public.o RENAME COLUMN a TO b").is_empty());
        assert!(lossy_tables("DROP VIEW public.v").is_empty());
        assert!(lossy_tables("not sql").is_empty());
    }
}
