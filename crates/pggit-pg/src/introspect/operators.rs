//! Operators made with `CREATE OPERATOR`, read into [`Object::Operator`]:
//! those in tracked schemas that are neither an extension's nor shells
//! (the placeholder PostgreSQL makes for a commutator not yet defined).

use pggit_core::model::Object;
use postgres::GenericClient;

use super::{opt, Reader};
use crate::PgError;

impl<C: GenericClient> Reader<'_, C> {
    pub(super) fn operators(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let rows = self.tx.query(
            "SELECT o.oid, n.nspname::text, o.oprname::text, o.oprnamespace,
                    CASE WHEN o.oprleft <> 0 THEN format_type(o.oprleft, NULL) END,
                    format_type(o.oprright, NULL), o.oprcode::regproc::text,
                    CASE WHEN o.oprcom <> 0 THEN
                      'OPERATOR(' || quote_ident(cn.nspname) || '.' || c.oprname || ')' END,
                    CASE WHEN o.oprnegate <> 0 THEN
                      'OPERATOR(' || quote_ident(nn.nspname) || '.' || g.oprname || ')' END,
                    CASE WHEN o.oprrest <> 0 THEN o.oprrest::regproc::text END,
                    CASE WHEN o.oprjoin <> 0 THEN o.oprjoin::regproc::text END,
                    o.oprcanhash, o.oprcanmerge, obj_description(o.oid, 'pg_operator'),
                    o.oprcode::oid, o.oprleft, o.oprright
               FROM pg_catalog.pg_operator o
               JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
               LEFT JOIN pg_catalog.pg_operator c ON c.oid = o.oprcom
               LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = c.oprnamespace
               LEFT JOIN pg_catalog.pg_operator g ON g.oid = o.oprnegate
               LEFT JOIN pg_catalog.pg_namespace nn ON nn.oid = g.oprnamespace
              WHERE o.oprnamespace = ANY($1) AND o.oprcode <> 0
              ORDER BY o.oid",
            &[&nsps],
        )?;
        for r in rows {
            let oid: u32 = r.get(0);
            if self.member("pg_operator", oid) {
                continue;
            }
            let mut options = Vec::new();
            for (i, clause) in [
                (7, "COMMUTATOR"),
                (8, "NEGATOR"),
                (9, "RESTRICT"),
                (10, "JOIN"),
            ] {
                if let Some(v) = opt(&r, i) {
                    options.push(format!("{clause} = {v}"));
                }
            }
            if r.get::<_, bool>(11) {
                options.push("HASHES".to_string());
            }
            if r.get::<_, bool>(12) {
                options.push("MERGES".to_string());
            }
            let nsp: u32 = r.get(3);
            let function: u32 = r.get(14);
            let mut deps = vec![format!("nsp:{nsp}")];
            if self.entries.contains_key(&format!("proc:{function}")) {
                deps.push(format!("proc:{function}"));
            }
            for t in [r.get::<_, u32>(15), r.get::<_, u32>(16)] {
                if let Some(k) = self.type_key.get(&t) {
                    deps.push(k.clone());
                }
            }
            self.add(
                format!("opr:{oid}"),
                Object::Operator {
                    schema: r.get(1),
                    name: r.get(2),
                    left: opt(&r, 4),
                    right: r.get(5),
                    function: r.get(6),
                    options,
                    comment: opt(&r, 13),
                },
                deps,
            );
        }
        Ok(())
    }
}
