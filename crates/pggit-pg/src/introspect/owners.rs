//! Owners of the objects read, into [`Object::Owner`]: one entry per
//! schema, table, view, sequence, routine, type, collation, extended
//! statistics, publication, event trigger, text search object, foreign data
//! wrapper and server. A sequence owned by a column is left out
//! (it belongs to its table's owner, and PostgreSQL refuses to change it
//! alone); so are indexes and identity sequences, which follow their table.

use pggit_core::model::{Object, Ownership};
use postgres::GenericClient;

use super::{grants::oids_by_prefix, Reader};
use crate::PgError;

/// `(catalog key prefix, catalog, oid column, owner column)`.
const CATALOGS: &[(&str, &str, &str)] = &[
    ("nsp", "pg_namespace", "nspowner"),
    ("rel", "pg_class", "relowner"),
    ("typ", "pg_type", "typowner"),
    ("proc", "pg_proc", "proowner"),
    ("coll", "pg_collation", "collowner"),
    ("stx", "pg_statistic_ext", "stxowner"),
    ("pub", "pg_publication", "pubowner"),
    ("evt", "pg_event_trigger", "evtowner"),
    ("fdw", "pg_foreign_data_wrapper", "fdwowner"),
    ("srv", "pg_foreign_server", "srvowner"),
    ("opr", "pg_operator", "oprowner"),
    ("opc", "pg_opclass", "opcowner"),
    ("opf", "pg_opfamily", "opfowner"),
    ("tsdict", "pg_ts_dict", "dictowner"),
    ("tscfg", "pg_ts_config", "cfgowner"),
];

impl<C: GenericClient> Reader<'_, C> {
    /// Read the owner of every object read so far.
    pub(super) fn owners(&mut self) -> Result<(), PgError> {
        let by_prefix = oids_by_prefix(self.entries.keys().cloned());
        // One round trip: a branch per catalog that has objects read, each
        // with its own array of oids (catalog and column names are the
        // constants above; the oids are bind parameters).
        let mut parts = Vec::new();
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = Vec::new();
        for (prefix, catalog, column) in CATALOGS {
            let Some(oids) = by_prefix.get(*prefix) else {
                continue;
            };
            params.push(oids);
            parts.push(format!(
                "SELECT '{prefix}', oid, pg_get_userbyid({column})::text FROM pg_catalog.{catalog} WHERE oid = ANY(${})",
                params.len()
            ));
        }
        if parts.is_empty() {
            return Ok(());
        }
        let mut found = Vec::new();
        for r in self.tx.query(parts.join(" UNION ALL ").as_str(), &params)? {
            let (prefix, oid): (&str, u32) = (r.get(0), r.get(1));
            found.push((format!("{prefix}:{oid}"), r.get::<_, String>(2)));
        }
        for (key, role) in found {
            let Some(target) = self.entries.get(&key) else {
                continue;
            };
            if matches!(
                target.object,
                Object::Sequence {
                    owned_by: Some(_),
                    ..
                } | Object::Extension { .. }
            ) {
                continue;
            }
            let owner = Ownership {
                target: key.clone(),
                role,
            };
            self.add(format!("own:{key}"), Object::Owner(owner), vec![key]);
        }
        Ok(())
    }
}
