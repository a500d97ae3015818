//! Casts made with `CREATE CAST`, read into [`Object::Cast`]. A cast is
//! read unless PostgreSQL made it along with a type (a range's cast to its
//! multirange), it belongs to an extension, or one of its types or its
//! function lives in a user schema that is not tracked; the built-in casts
//! (oids below 16384) never are.

use pggit_core::model::Object;
use postgres::GenericClient;

use super::{opt, Reader};
use crate::PgError;

impl<C: GenericClient> Reader<'_, C> {
    pub(super) fn casts(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let rows = self.tx.query(
            "SELECT c.oid, format_type(c.castsource, NULL), format_type(c.casttarget, NULL),
                    CASE WHEN c.castfunc <> 0 THEN c.castfunc::regprocedure::text END,
                    c.castmethod::text, c.castcontext::text, obj_description(c.oid, 'pg_cast'),
                    c.castfunc, c.castsource, c.casttarget
               FROM pg_catalog.pg_cast c
               JOIN pg_catalog.pg_type ts ON ts.oid = c.castsource
               JOIN pg_catalog.pg_type tt ON tt.oid = c.casttarget
               LEFT JOIN pg_catalog.pg_proc p ON p.oid = c.castfunc
              WHERE c.oid >= 16384
                -- Casts PostgreSQL makes itself (a range type's cast to its
                -- multirange) depend on their type internally.
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                                 WHERE d.classid = 'pg_catalog.pg_cast'::regclass
                                   AND d.objid = c.oid AND d.deptype IN ('i', 'e'))
                AND NOT EXISTS (
                    SELECT 1 FROM pg_catalog.pg_namespace n
                     WHERE n.oid IN (ts.typnamespace, tt.typnamespace, COALESCE(p.pronamespace, ts.typnamespace))
                       AND NOT n.oid = ANY($1)
                       AND (n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'))",
            &[&nsps],
        )?;
        for r in rows {
            let oid: u32 = r.get(0);
            if self.member("pg_cast", oid) {
                continue;
            }
            let method = match r.get::<_, String>(4).as_str() {
                "f" => "function",
                "i" => "inout",
                _ => "binary",
            };
            let context = match r.get::<_, String>(5).as_str() {
                "a" => "assignment",
                "i" => "implicit",
                _ => "explicit",
            };
            let (function, source, target): (u32, u32, u32) = (r.get(7), r.get(8), r.get(9));
            let mut deps: Vec<String> = [source, target]
                .iter()
                .filter_map(|t| self.type_key.get(t).cloned())
                .collect();
            if function != 0 && self.entries.contains_key(&format!("proc:{function}")) {
                deps.push(format!("proc:{function}"));
            }
            self.add(
                format!("cast:{oid}"),
                Object::Cast {
                    source: r.get(1),
                    target: r.get(2),
                    function: opt(&r, 3),
                    method: method.into(),
                    context: context.into(),
                    comment: opt(&r, 6),
                },
                deps,
            );
        }
        Ok(())
    }
}
