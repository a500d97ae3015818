//! Text search dictionaries and configurations (`CREATE TEXT SEARCH
//! DICTIONARY / CONFIGURATION`, with the configuration's mappings), read
//! into [`Object::TextSearchDictionary`] and
//! [`Object::TextSearchConfiguration`]. Parsers and templates (C code, made
//! by extensions) are referenced by name, not tracked.

use std::collections::HashMap;

use pggit_core::model::Object;
use postgres::GenericClient;

use super::{opt, Reader};
use crate::PgError;

impl<C: GenericClient> Reader<'_, C> {
    pub(super) fn text_search(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let dicts = self.tx.query(
            "SELECT d.oid, n.nspname::text, d.dictname::text, n.oid,
                    quote_ident(tn.nspname) || '.' || quote_ident(t.tmplname), d.dictinitoption,
                    obj_description(d.oid, 'pg_ts_dict')
               FROM pg_catalog.pg_ts_dict d
               JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace
               JOIN pg_catalog.pg_ts_template t ON t.oid = d.dicttemplate
               JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace
              WHERE d.dictnamespace = ANY($1)",
            &[&nsps],
        )?;
        for r in dicts {
            let oid: u32 = r.get(0);
            if self.member("pg_ts_dict", oid) {
                continue;
            }
            let nsp: u32 = r.get(3);
            self.add(
                format!("tsdict:{oid}"),
                Object::TextSearchDictionary {
                    schema: r.get(1),
                    name: r.get(2),
                    template: r.get(4),
                    options: opt(&r, 5),
                    comment: opt(&r, 6),
                },
                vec![format!("nsp:{nsp}")],
            );
        }
        // Mappings in the parser's token order, dictionaries in lookup order.
        let mut mappings: HashMap<u32, Vec<(String, Vec<String>)>> = HashMap::new();
        // The dictionaries each configuration uses (created before it).
        let mut uses: HashMap<u32, Vec<String>> = HashMap::new();
        for r in self.tx.query(
            "SELECT c.oid, t.alias::text,
                    array_agg(m.mapdict::regdictionary::text ORDER BY m.mapseqno),
                    array_agg(m.mapdict ORDER BY m.mapseqno)
               FROM pg_catalog.pg_ts_config c
               CROSS JOIN LATERAL pg_catalog.ts_token_type(c.cfgparser) t
               JOIN pg_catalog.pg_ts_config_map m ON m.mapcfg = c.oid AND m.maptokentype = t.tokid
              WHERE c.cfgnamespace = ANY($1)
              GROUP BY c.oid, t.tokid, t.alias
              ORDER BY c.oid, t.tokid",
            &[&nsps],
        )? {
            let cfg: u32 = r.get(0);
            for dict in r.get::<_, Vec<u32>>(3) {
                let key = format!("tsdict:{dict}");
                if self.entries.contains_key(&key) {
                    uses.entry(cfg).or_default().push(key);
                }
            }
            mappings.entry(cfg).or_default().push((r.get(1), r.get(2)));
        }
        let configs = self.tx.query(
            "SELECT c.oid, n.nspname::text, c.cfgname::text, n.oid,
                    quote_ident(pn.nspname) || '.' || quote_ident(p.prsname),
                    obj_description(c.oid, 'pg_ts_config')
               FROM pg_catalog.pg_ts_config c
               JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
               JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser
               JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace
              WHERE c.cfgnamespace = ANY($1)",
            &[&nsps],
        )?;
        for r in configs {
            let oid: u32 = r.get(0);
            if self.member("pg_ts_config", oid) {
                continue;
            }
            let nsp: u32 = r.get(3);
            let mut deps = vec![format!("nsp:{nsp}")];
            deps.extend(uses.remove(&oid).unwrap_or_default());
            deps.sort();
            deps.dedup();
            self.add(
                format!("tscfg:{oid}"),
                Object::TextSearchConfiguration {
                    schema: r.get(1),
                    name: r.get(2),
                    parser: r.get(4),
                    mappings: mappings.remove(&oid).unwrap_or_default(),
                    comment: opt(&r, 5),
                },
                deps,
            );
        }
        Ok(())
    }
}
