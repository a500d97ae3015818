//! Collations (`CREATE COLLATION`) in tracked schemas.
//!
//! `pg_collation` changed across versions (the ICU locale moved from
//! `collcollate` to `colliculocale` in 15, then to `colllocale` in 17; ICU
//! rules came in 16, the builtin provider in 17), so each row is read as
//! JSON and its definition written from whichever columns it has.

use pggit_core::model::Object;
use pggit_core::sql::literal;
use postgres::GenericClient;
use serde_json::{Map, Value};

use super::{opt, Reader};
use crate::PgError;

impl<C: GenericClient> Reader<'_, C> {
    pub(super) fn collations(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let rows = self.tx.query(
            "SELECT c.oid, n.nspname::text, c.collname::text, n.oid, to_jsonb(c)::text,
                    obj_description(c.oid, 'pg_collation')
               FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
              WHERE c.collnamespace = ANY($1)
              ORDER BY c.oid",
            &[&nsps],
        )?;
        for row in rows {
            let oid: u32 = row.get(0);
            if self.member("pg_collation", oid) {
                continue;
            }
            let json: String = row.get(4);
            let fields: Map<String, Value> = serde_json::from_str(&json)
                .map_err(|e| PgError::Unexpected(format!("pg_collation row: {e}")))?;
            let name: String = row.get(2);
            let definition = definition(&fields)
                .ok_or_else(|| PgError::Unexpected(format!("collation {name}: {json}")))?;
            let nsp: u32 = row.get(3);
            self.add(
                format!("coll:{oid}"),
                Object::Collation {
                    schema: row.get(1),
                    name,
                    definition,
                    comment: opt(&row, 5),
                },
                vec![format!("nsp:{nsp}")],
            );
        }
        Ok(())
    }
}

/// The options of `CREATE COLLATION name (...)` that give this row back.
fn definition(c: &Map<String, Value>) -> Option<String> {
    let text = |k: &str| c.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let provider = match text("collprovider")? {
        "c" => "libc",
        "i" => "icu",
        "b" => "builtin",
        _ => return None,
    };
    let mut parts = vec![format!("provider = {provider}")];
    if provider == "libc" {
        let (collate, ctype) = (text("collcollate")?, text("collctype")?);
        if collate == ctype {
            parts.push(format!("locale = {}", literal(collate)));
        } else {
            parts.push(format!("lc_collate = {}", literal(collate)));
            parts.push(format!("lc_ctype = {}", literal(ctype)));
        }
    } else {
        // 17+: colllocale; 15-16: colliculocale; 13-14: collcollate.
        let locale = text("colllocale")
            .or_else(|| text("colliculocale"))
            .or_else(|| text("collcollate"))?;
        parts.push(format!("locale = {}", literal(locale)));
    }
    if c.get("collisdeterministic") == Some(&Value::Bool(false)) {
        parts.push("deterministic = false".into());
    }
    if let Some(rules) = text("collicurules") {
        parts.push(format!("rules = {}", literal(rules)));
    }
    Some(parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(json: &str) -> Option<String> {
        definition(&serde_json::from_str(json).unwrap())
    }

    #[test]
    fn definitions_of_every_catalog_shape() {
        // PostgreSQL 13: the ICU locale is in collcollate.
        assert_eq!(
            def(r#"{"collprovider":"i","collisdeterministic":false,"collcollate":"und-u-ks-level2","collctype":"und-u-ks-level2"}"#).as_deref(),
            Some("provider = icu, locale = 'und-u-ks-level2', deterministic = false")
        );
        // 15: colliculocale; 16: rules.
        assert_eq!(
            def(r#"{"collprovider":"i","collisdeterministic":true,"collcollate":null,"collctype":null,"colliculocale":"de","collicurules":"&a < b"}"#).as_deref(),
            Some("provider = icu, locale = 'de', rules = '&a < b'")
        );
        // 17: colllocale, builtin provider.
        assert_eq!(
            def(r#"{"collprovider":"b","collisdeterministic":true,"colllocale":"C.UTF-8"}"#)
                .as_deref(),
            Some("provider = builtin, locale = 'C.UTF-8'")
        );
        assert_eq!(
            def(r#"{"collprovider":"c","collisdeterministic":true,"collcollate":"C","collctype":"POSIX"}"#).as_deref(),
            Some("provider = libc, lc_collate = 'C', lc_ctype = 'POSIX'")
        );
        assert_eq!(def(r#"{"collprovider":"d"}"#), None);
    }
}
