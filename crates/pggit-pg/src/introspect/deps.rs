//! Dependencies between tracked objects, from `pg_depend`.

use std::collections::HashMap;

use pggit_core::model::Object;
use pggit_core::Entry;
use postgres::GenericClient;

use super::ahead::Ahead;
use super::Reader;
use crate::PgError;

/// The system catalogs `pg_depend` rows name, by their fixed OIDs
/// (`pg_class.oid` of each catalog, the same in every release): reading
/// numbers spares the server 40,000 `regclass` conversions on a big schema.
fn catalog_name(oid: u32) -> Option<&'static str> {
    Some(match oid {
        1259 => "pg_class",
        1247 => "pg_type",
        1255 => "pg_proc",
        2606 => "pg_constraint",
        2620 => "pg_trigger",
        3256 => "pg_policy",
        3381 => "pg_statistic_ext",
        2615 => "pg_namespace",
        3079 => "pg_extension",
        3456 => "pg_collation",
        2617 => "pg_operator",
        2616 => "pg_opclass",
        2753 => "pg_opfamily",
        1417 => "pg_foreign_server",
        _ => return None,
    })
}

impl<C: GenericClient> Reader<'_, C> {
    /// Map one pg_depend endpoint to a tracked key.
    pub(super) fn key_of(
        &self,
        catalog: &str,
        oid: u32,
        sub: i32,
        referenced: bool,
    ) -> Option<String> {
        let key = match catalog {
            "pg_class" => {
                let k = self.class_key.get(&oid)?;
                if referenced && sub > 0 && k.starts_with("rel:") && !self.partitions.contains(&oid)
                {
                    if let Some(Entry {
                        object: Object::Table(_),
                        ..
                    }) = self.entries.get(k)
                    {
                        return Some(format!("col:{oid}:{sub}"));
                    }
                }
                k.clone()
            }
            "pg_type" => self.type_key.get(&oid)?.clone(),
            "pg_proc" => format!("proc:{oid}"),
            "pg_constraint" => format!("con:{oid}"),
            "pg_trigger" => format!("trg:{oid}"),
            "pg_policy" => format!("pol:{oid}"),
            "pg_statistic_ext" => format!("stx:{oid}"),
            "pg_collation" => format!("coll:{oid}"),
            "pg_namespace" => format!("nsp:{oid}"),
            "pg_extension" => format!("ext:{oid}"),
            "pg_event_trigger" => format!("evt:{oid}"),
            "pg_cast" => format!("cast:{oid}"),
            "pg_ts_dict" => format!("tsdict:{oid}"),
            "pg_ts_config" => format!("tscfg:{oid}"),
            "pg_operator" => format!("opr:{oid}"),
            "pg_opclass" => format!("opc:{oid}"),
            "pg_opfamily" => format!("opf:{oid}"),
            "pg_foreign_server" => format!("srv:{oid}"),
            "pg_foreign_data_wrapper" => format!("fdw:{oid}"),
            _ => return None,
        };
        (self.entries.contains_key(&key) || key.starts_with("col:")).then_some(key)
    }

    pub(super) fn dependencies(&mut self) -> Result<(), PgError> {
        // Row types and array types stand for their relation / element.
        let types = self.tx.query(
            "SELECT t.oid, t.typrelid, t.typelem, t.typtype::text FROM pg_type t
              WHERE t.typrelid <> 0 OR t.typelem <> 0",
            &[],
        )?;
        let mut extra: Vec<(u32, String)> = Vec::new();
        for t in &types {
            let (oid, rel, elem): (u32, u32, u32) = (t.get(0), t.get(1), t.get(2));
            if rel != 0 {
                if let Some(k) = self.class_key.get(&rel) {
                    extra.push((oid, k.clone()));
                }
            }
            if elem != 0 {
                if let Some(k) = self.type_key.get(&elem) {
                    extra.push((oid, k.clone()));
                }
            }
        }
        for (oid, k) in extra {
            self.type_key.entry(oid).or_insert(k);
        }
        // Second pass for arrays of row types.
        for t in &types {
            let (oid, elem): (u32, u32) = (t.get(0), t.get(2));
            if elem != 0 && !self.type_key.contains_key(&oid) {
                if let Some(k) = self.type_key.get(&elem).cloned() {
                    self.type_key.insert(oid, k);
                }
            }
        }
        let rows = self.rows(Ahead::Dependencies, DEPENDENCIES_SQL, &[])?;
        let mut deps: HashMap<String, Vec<String>> = HashMap::new();
        for row in rows {
            let objid: Option<u32> = row.get(1);
            let Some(objid) = objid else { continue };
            let (Some(catalog), Some(refcat)) =
                (catalog_name(row.get(2)), catalog_name(row.get(4)))
            else {
                continue;
            };
            let Some(from) = self.key_of(catalog, objid, 0, false) else {
                continue;
            };
            let Some(to) = self.key_of(refcat, row.get(5), row.get(6), true) else {
                continue;
            };
            // Sequence ownership is recorded as owned_by, not as a dependency.
            if from.starts_with("rel:")
                && matches!(
                    self.entries.get(&from).map(|e| &e.object),
                    Some(Object::Sequence { .. })
                )
                && to.starts_with("col:")
            {
                continue;
            }
            if from != to && !to.starts_with(&format!("col:{}:", from.trim_start_matches("rel:"))) {
                deps.entry(from).or_default().push(to);
            }
        }
        for (k, mut ds) in deps {
            if let Some(e) = self.entries.get_mut(&k) {
                e.deps.append(&mut ds);
                e.deps.sort();
                e.deps.dedup();
            }
        }
        for e in self.entries.values_mut() {
            e.deps.sort();
            e.deps.dedup();
        }
        Ok(())
    }
}

/// The dependencies between objects of the kinds a snapshot reads.
pub(super) const DEPENDENCIES_SQL: &str = "SELECT d.classid,
                    CASE d.classid WHEN 'pg_rewrite'::regclass THEN (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = d.objid)
                                   WHEN 'pg_attrdef'::regclass THEN (SELECT a.adrelid FROM pg_attrdef a WHERE a.oid = d.objid)
                                   ELSE d.objid END,
                    CASE WHEN d.classid IN ('pg_rewrite'::regclass, 'pg_attrdef'::regclass) THEN 'pg_class'::regclass::oid
                         ELSE d.classid END,
                    d.objsubid, d.refclassid, d.refobjid, d.refobjsubid
               FROM pg_depend d
              WHERE d.deptype IN ('n', 'a')
                AND d.classid IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass,
                                  'pg_constraint'::regclass, 'pg_trigger'::regclass, 'pg_policy'::regclass,
                                  'pg_rewrite'::regclass, 'pg_attrdef'::regclass, 'pg_statistic_ext'::regclass)
                AND d.refclassid IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass,
                                     'pg_constraint'::regclass, 'pg_namespace'::regclass, 'pg_extension'::regclass,
                                     'pg_collation'::regclass, 'pg_operator'::regclass,
                                     'pg_opclass'::regclass, 'pg_opfamily'::regclass,
                                     'pg_foreign_server'::regclass)";
