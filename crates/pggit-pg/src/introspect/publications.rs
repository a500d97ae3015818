//! Publications (`CREATE PUBLICATION`): options, tables with their row
//! filters and column lists, and schemas (the last three from PostgreSQL
//! 15 on). Only tracked tables and schemas are listed.

use std::collections::BTreeMap;

use pggit_core::model::{Object, Publication, PublishedTable};
use postgres::GenericClient;

use super::{opt, Reader};
use crate::PgError;

impl<C: GenericClient> Reader<'_, C> {
    pub(super) fn publications(&mut self) -> Result<(), PgError> {
        let rows = self.tx.query(
            "SELECT p.oid, p.pubname::text, p.puballtables,
                    array_remove(ARRAY[CASE WHEN p.pubinsert THEN 'insert' END,
                                       CASE WHEN p.pubupdate THEN 'update' END,
                                       CASE WHEN p.pubdelete THEN 'delete' END,
                                       CASE WHEN p.pubtruncate THEN 'truncate' END], NULL),
                    p.pubviaroot, obj_description(p.oid, 'pg_publication'),
                    -- PostgreSQL 18: publish_generated_columns
                    coalesce(to_jsonb(p)->>'pubgencols', 'n') = 's'
               FROM pg_publication p ORDER BY p.oid",
            &[],
        )?;
        // Most databases have none: one round trip on a commit's path.
        if rows.is_empty() {
            return Ok(());
        }
        let version = self.version;
        let members = if version >= 150000 {
            "SELECT pr.prpubid, pr.prrelid, pg_get_expr(pr.prqual, pr.prrelid),
                    ARRAY(SELECT a.attname::text FROM unnest(pr.prattrs) WITH ORDINALITY k(n, i)
                            JOIN pg_attribute a ON a.attrelid = pr.prrelid AND a.attnum = k.n
                           ORDER BY k.i)
               FROM pg_publication_rel pr ORDER BY pr.prpubid, pr.oid"
        } else {
            "SELECT pr.prpubid, pr.prrelid, NULL::text, ARRAY[]::text[]
               FROM pg_publication_rel pr ORDER BY pr.prpubid, pr.oid"
        };
        let mut tables: BTreeMap<u32, Vec<PublishedTable>> = BTreeMap::new();
        for r in self.tx.query(members, &[])? {
            let rel: u32 = r.get(1);
            let Some(key) = self.class_key.get(&rel).filter(|k| {
                matches!(
                    self.entries.get(*k).map(|e| &e.object),
                    Some(Object::Table(_))
                )
            }) else {
                continue;
            };
            tables.entry(r.get(0)).or_default().push(PublishedTable {
                table: key.clone(),
                filter: opt(&r, 2),
                columns: r.get(3),
            });
        }
        // Columns a member's column list or row filter uses (15+): the
        // publication must be re-created when one is dropped or retyped.
        let mut columns: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        if version >= 150000 {
            for r in self.tx.query(
                "SELECT pr.prpubid, d.refobjid, d.refobjsubid
                   FROM pg_depend d JOIN pg_publication_rel pr ON pr.oid = d.objid
                  WHERE d.classid = 'pg_publication_rel'::regclass
                    AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0",
                &[],
            )? {
                let (rel, sub): (u32, i32) = (r.get(1), r.get(2));
                if let Some(key) = self.key_of("pg_class", rel, sub, true) {
                    columns.entry(r.get(0)).or_default().push(key);
                }
            }
        }
        let mut schemas: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        if version >= 150000 {
            for r in self.tx.query(
                "SELECT pnpubid, pnnspid FROM pg_publication_namespace ORDER BY pnpubid, oid",
                &[],
            )? {
                let key = format!("nsp:{}", r.get::<_, u32>(1));
                if self.entries.contains_key(&key) {
                    schemas.entry(r.get(0)).or_default().push(key);
                }
            }
        }
        for row in rows {
            let oid: u32 = row.get(0);
            let tables = tables.remove(&oid).unwrap_or_default();
            let schemas = schemas.remove(&oid).unwrap_or_default();
            let mut deps: Vec<String> = tables
                .iter()
                .map(|t| t.table.clone())
                .chain(schemas.iter().cloned())
                .chain(columns.remove(&oid).unwrap_or_default())
                .collect();
            deps.sort();
            deps.dedup();
            self.add(
                format!("pub:{oid}"),
                Object::Publication(Publication {
                    name: row.get(1),
                    all_tables: row.get(2),
                    publish: row.get(3),
                    via_root: row.get(4),
                    generated_columns: row.get(6),
                    tables,
                    schemas,
                    comment: opt(&row, 5),
                }),
                deps,
            );
        }
        Ok(())
    }
}
