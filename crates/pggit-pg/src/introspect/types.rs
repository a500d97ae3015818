//! Enum, composite, domain and range types.

use pggit_core::model::{Attribute, NamedDef, Object};
use postgres::GenericClient;

use super::{opt, Reader};
use crate::PgError;

impl<C: GenericClient> Reader<'_, C> {
    pub(super) fn types(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let rows = self.tx.query(
            "SELECT t.oid, t.typtype::text, n.nspname::text, t.typname::text, n.oid,
                    obj_description(t.oid, 'pg_type'),
                    (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
                    format_type(t.typbasetype, t.typtypmod),
                    pg_get_expr(t.typdefaultbin, 0),
                    t.typnotnull,
                    CASE WHEN t.typtype = 'd' AND t.typcollation <> 0
                          AND t.typcollation <> (SELECT b.typcollation FROM pg_type b WHERE b.oid = t.typbasetype)
                         THEN t.typcollation::regcollation::text END,
                    t.typrelid
               FROM pg_type t
               JOIN pg_namespace n ON n.oid = t.typnamespace
               LEFT JOIN pg_class rc ON rc.oid = t.typrelid
              WHERE t.typnamespace = ANY($1)
                AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND rc.relkind = 'c'))
              ORDER BY t.oid",
            &[&nsps],
        )?;
        for row in rows {
            let oid: u32 = row.get(0);
            if self.member("pg_type", oid) {
                continue;
            }
            let kind: String = row.get(1);
            let schema: String = row.get(2);
            let name: String = row.get(3);
            let nsp: u32 = row.get(4);
            let comment = opt(&row, 5);
            let object = match kind.as_str() {
                "e" => Object::Enum {
                    schema,
                    name,
                    labels: row.get::<_, Option<Vec<String>>>(6).unwrap_or_default(),
                    comment,
                },
                "d" => {
                    let checks = self
                        .tx
                        .query(
                            "SELECT conname::text, pg_get_constraintdef(oid), obj_description(oid, 'pg_constraint')
                               FROM pg_constraint
                              WHERE contypid = $1 AND contype = 'c' ORDER BY conname",
                            &[&oid],
                        )?
                        .iter()
                        .map(|c| NamedDef {
                            name: c.get(0),
                            definition: c.get(1),
                            comment: opt(c, 2),
                        })
                        .collect();
                    Object::Domain {
                        schema,
                        name,
                        base: row.get(7),
                        collation: opt(&row, 10),
                        default: opt(&row, 8),
                        not_null: row.get(9),
                        checks,
                        comment,
                    }
                }
                "r" => {
                    let r = self.tx.query_one(
                        "SELECT format_type(r.rngsubtype, NULL),
                                CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::regproc::text END,
                                CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> (SELECT typcollation FROM pg_type WHERE oid = r.rngsubtype)
                                     THEN r.rngcollation::regcollation::text END,
                                CASE WHEN r.rngsubopc <> (SELECT d.oid FROM pg_opclass d JOIN pg_am am ON am.oid = d.opcmethod
                                                           WHERE am.amname = 'btree' AND d.opcdefault AND d.opcintype = r.rngsubtype)
                                     THEN (SELECT quote_ident(n.nspname) || '.' || quote_ident(o.opcname)
                                             FROM pg_opclass o JOIN pg_namespace n ON n.oid = o.opcnamespace
                                            WHERE o.oid = r.rngsubopc) END
                           FROM pg_range r WHERE r.rngtypid = $1",
                        &[&oid],
                    )?;
                    let mut options = vec![format!("subtype = {}", r.get::<_, String>(0))];
                    if let Some(d) = opt(&r, 1) {
                        options.push(format!("subtype_diff = {d}"));
                    }
                    if let Some(c) = opt(&r, 3) {
                        options.push(format!("subtype_opclass = {c}"));
                    }
                    if let Some(c) = opt(&r, 2) {
                        options.push(format!("collation = {c}"));
                    }
                    Object::Range {
                        schema,
                        name,
                        options,
                        comment,
                    }
                }
                _ => {
                    let relid: u32 = row.get(11);
                    let attributes = self
                        .tx
                        .query(
                            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod),
                                    CASE WHEN a.attcollation <> 0 AND a.attcollation <> (SELECT typcollation FROM pg_type WHERE oid = a.atttypid)
                                         THEN a.attcollation::regcollation::text END,
                                    col_description(a.attrelid, a.attnum)
                               FROM pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
                              ORDER BY a.attnum",
                            &[&relid],
                        )?
                        .iter()
                        .map(|a| Attribute {
                            name: a.get(0),
                            data_type: a.get(1),
                            collation: opt(a, 2),
                            comment: opt(a, 3),
                        })
                        .collect();
                    self.class_key.insert(relid, format!("typ:{oid}"));
                    Object::Composite {
                        schema,
                        name,
                        attributes,
                        comment,
                    }
                }
            };
            self.type_key.insert(oid, format!("typ:{oid}"));
            self.add(format!("typ:{oid}"), object, vec![format!("nsp:{nsp}")]);
        }
        Ok(())
    }
}
