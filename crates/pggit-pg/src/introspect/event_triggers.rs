//! Event triggers (`CREATE EVENT TRIGGER`), read into
//! [`Object::EventTrigger`]. They are database-wide; one is read when its
//! function lives in a tracked schema (so pggit's own, whose functions are
//! in `pggit`, never are) and it does not belong to an extension.

use pggit_core::model::Object;
use postgres::GenericClient;

use super::{opt, Reader};
use crate::PgError;

impl<C: GenericClient> Reader<'_, C> {
    pub(super) fn event_triggers(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let rows = self.tx.query(
            "SELECT e.oid, e.evtname::text, e.evtevent::text, COALESCE(e.evttags, '{}')::text[],
                    e.evtfoid::regprocedure::text, e.evtenabled::text,
                    obj_description(e.oid, 'pg_event_trigger'), e.evtfoid
               FROM pg_catalog.pg_event_trigger e JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid
              WHERE p.pronamespace = ANY($1)
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                                 WHERE d.classid = 'pg_catalog.pg_event_trigger'::regclass
                                   AND d.objid = e.oid AND d.deptype = 'e')",
            &[&nsps],
        )?;
        for r in rows {
            let oid: u32 = r.get(0);
            let function: u32 = r.get(7);
            let enabled = match r.get::<_, String>(5).as_str() {
                "D" => Some("disabled".to_string()),
                "R" => Some("replica".to_string()),
                "A" => Some("always".to_string()),
                _ => None,
            };
            self.add(
                format!("evt:{oid}"),
                Object::EventTrigger {
                    name: r.get(1),
                    event: r.get(2),
                    tags: r.get(3),
                    function: r.get(4),
                    enabled,
                    comment: opt(&r, 6),
                },
                vec![format!("proc:{function}")],
            );
        }
        Ok(())
    }
}
