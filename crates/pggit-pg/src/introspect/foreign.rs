//! Foreign data wrappers and foreign servers (`CREATE FOREIGN DATA
//! WRAPPER`, `CREATE SERVER`), read into [`Object::ForeignDataWrapper`] and
//! [`Object::ForeignServer`]. Both are database-wide; those an extension
//! creates are the extension's. Foreign tables are tables (see
//! `relations.rs`). User mappings are not read: their options hold
//! passwords, which have no place in a repository.

use pggit_core::model::Object;
use postgres::GenericClient;

use super::{opt, Reader};
use crate::PgError;

impl<C: GenericClient> Reader<'_, C> {
    pub(super) fn foreign_data(&mut self) -> Result<(), PgError> {
        let wrappers = self.tx.query(
            "SELECT w.oid, w.fdwname::text,
                    CASE WHEN w.fdwhandler <> 0 THEN w.fdwhandler::regproc::text END,
                    CASE WHEN w.fdwvalidator <> 0 THEN w.fdwvalidator::regproc::text END,
                    coalesce(w.fdwoptions, '{}')::text[],
                    obj_description(w.oid, 'pg_foreign_data_wrapper'),
                    w.fdwhandler, w.fdwvalidator
               FROM pg_catalog.pg_foreign_data_wrapper w
              ORDER BY w.oid",
            &[],
        )?;
        for r in wrappers {
            let oid: u32 = r.get(0);
            if self.member("pg_foreign_data_wrapper", oid) {
                continue;
            }
            let deps = [r.get::<_, u32>(6), r.get::<_, u32>(7)]
                .into_iter()
                .filter(|f| *f != 0)
                .map(|f| format!("proc:{f}"))
                .collect();
            self.add(
                format!("fdw:{oid}"),
                Object::ForeignDataWrapper {
                    name: r.get(1),
                    handler: opt(&r, 2),
                    validator: opt(&r, 3),
                    options: r.get(4),
                    comment: opt(&r, 5),
                },
                deps,
            );
        }
        let servers = self.tx.query(
            "SELECT s.oid, s.srvname::text, w.fdwname::text, s.srvtype::text, s.srvversion::text,
                    coalesce(s.srvoptions, '{}')::text[],
                    obj_description(s.oid, 'pg_foreign_server'), s.srvfdw
               FROM pg_catalog.pg_foreign_server s
               JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
              ORDER BY s.oid",
            &[],
        )?;
        for r in servers {
            let oid: u32 = r.get(0);
            if self.member("pg_foreign_server", oid) {
                continue;
            }
            let fdw: u32 = r.get(7);
            self.add(
                format!("srv:{oid}"),
                Object::ForeignServer {
                    name: r.get(1),
                    wrapper: r.get(2),
                    server_type: opt(&r, 3),
                    version: opt(&r, 4),
                    options: r.get(5),
                    comment: opt(&r, 6),
                },
                vec![format!("fdw:{fdw}")],
            );
        }
        Ok(())
    }
}
