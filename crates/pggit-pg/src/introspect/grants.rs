//! Privileges (`GRANT`) on schemas, tables, views, sequences, routines and
//! types, and on table columns, read into [`Object::Grants`].
//!
//! Each ACL is read with `aclexplode`; the owner's own entries are left
//! out (they follow the owner), as is who granted a privilege. An object
//! whose privileges equal what PostgreSQL gives a new object of its kind
//! gets no entry, so schemas without grants snapshot as before.

use std::collections::{BTreeMap, HashMap};

use pggit_core::model::{DefaultGrants, Grants, Object, Privilege};
use postgres::GenericClient;

use super::Reader;
use crate::PgError;

/// `(catalog key prefix, query)`: each query returns
/// `(oid, attnum or 0, grantee or '' for PUBLIC, privilege, grantable)`
/// for the objects of `$1`.
const QUERIES: &[(&str, &str)] = &[
    (
        "rel",
        "SELECT c.oid, 0, CASE WHEN a.grantee = 0 THEN '' ELSE pg_get_userbyid(a.grantee)::text END,
                a.privilege_type, a.is_grantable
           FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
          WHERE c.oid = ANY($1) AND c.relacl IS NOT NULL AND a.grantee <> c.relowner
         UNION ALL
         SELECT c.oid, t.attnum, CASE WHEN a.grantee = 0 THEN '' ELSE pg_get_userbyid(a.grantee)::text END,
                a.privilege_type, a.is_grantable
           FROM pg_class c JOIN pg_attribute t ON t.attrelid = c.oid
          CROSS JOIN LATERAL aclexplode(t.attacl) a
          WHERE c.oid = ANY($1) AND c.relkind IN ('r', 'p') AND t.attnum > 0 AND NOT t.attisdropped
            AND t.attacl IS NOT NULL AND a.grantee <> c.relowner",
    ),
    (
        "proc",
        "SELECT p.oid, 0, CASE WHEN a.grantee = 0 THEN '' ELSE pg_get_userbyid(a.grantee)::text END,
                a.privilege_type, a.is_grantable
           FROM pg_proc p CROSS JOIN LATERAL aclexplode(p.proacl) a
          WHERE p.oid = ANY($1) AND p.proacl IS NOT NULL AND a.grantee <> p.proowner",
    ),
    (
        "typ",
        "SELECT t.oid, 0, CASE WHEN a.grantee = 0 THEN '' ELSE pg_get_userbyid(a.grantee)::text END,
                a.privilege_type, a.is_grantable
           FROM pg_type t CROSS JOIN LATERAL aclexplode(t.typacl) a
          WHERE t.oid = ANY($1) AND t.typacl IS NOT NULL AND a.grantee <> t.typowner",
    ),
    (
        "nsp",
        "SELECT n.oid, 0, CASE WHEN a.grantee = 0 THEN '' ELSE pg_get_userbyid(a.grantee)::text END,
                a.privilege_type, a.is_grantable
           FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
          WHERE n.oid = ANY($1) AND n.nspacl IS NOT NULL AND a.grantee <> n.nspowner",
    ),
];

/// Objects that may carry an ACL, whose ACL is NULL (the default) unless
/// a `GRANT`/`REVOKE` ran: the keys read, by catalog.
pub(super) fn oids_by_prefix(keys: impl Iterator<Item = String>) -> HashMap<String, Vec<u32>> {
    let mut out: HashMap<String, Vec<u32>> = HashMap::new();
    for k in keys {
        if let Some((prefix, oid)) = k.split_once(':') {
            if let Ok(oid) = oid.parse::<u32>() {
                out.entry(prefix.to_string()).or_default().push(oid);
            }
        }
    }
    out
}

/// An object's privileges and its columns' (by attribute number).
type Found = (Vec<Privilege>, BTreeMap<i32, Vec<Privilege>>);

impl<C: GenericClient> Reader<'_, C> {
    /// Read the privileges of every object read so far.
    pub(super) fn grants(&mut self) -> Result<(), PgError> {
        let by_prefix = oids_by_prefix(self.entries.keys().cloned());
        let mut found: BTreeMap<String, Found> = BTreeMap::new();
        for (prefix, sql) in QUERIES {
            let Some(oids) = by_prefix.get(*prefix) else {
                continue;
            };
            for r in self.tx.query(*sql, &[oids])? {
                let oid: u32 = r.get(0);
                let attnum: i32 = r.get(1);
                let p = Privilege {
                    grantee: r.get(2),
                    privilege: r.get(3),
                    grantable: r.get(4),
                };
                let e = found.entry(format!("{prefix}:{oid}")).or_default();
                if attnum == 0 {
                    e.0.push(p);
                } else {
                    e.1.entry(attnum).or_default().push(p);
                }
            }
        }
        // Objects with an ACL that holds only the owner's entries: nothing
        // for other roles, which is not the default for routines and types.
        for (prefix, acl) in [("proc", "proacl"), ("typ", "typacl"), ("nsp", "nspacl")] {
            let Some(oids) = by_prefix.get(prefix) else {
                continue;
            };
            let (table, also) = match prefix {
                "proc" => ("pg_proc", ""),
                "typ" => ("pg_type", ""),
                // A public schema created anew has no ACL: only its owner.
                _ => ("pg_namespace", " OR nspname = 'public'"),
            };
            let sql = format!(
                "SELECT oid FROM pg_catalog.{table} WHERE oid = ANY($1) AND ({acl} IS NOT NULL{also})"
            );
            for r in self.tx.query(sql.as_str(), &[oids])? {
                let oid: u32 = r.get(0);
                found.entry(format!("{prefix}:{oid}")).or_default();
            }
        }
        for (key, (mut privileges, columns)) in found {
            let Some(target) = self.entries.get(&key) else {
                continue;
            };
            privileges.sort();
            let mut default = Grants::default_for(&target.object);
            default.sort();
            if privileges == default && columns.is_empty() {
                continue;
            }
            let columns = columns
                .into_iter()
                .map(|(attnum, mut p)| {
                    p.sort();
                    let oid = key.trim_start_matches("rel:");
                    (format!("col:{oid}:{attnum}"), p)
                })
                .collect();
            let grants = Grants {
                target: key.clone(),
                privileges,
                columns,
            };
            self.add(format!("acl:{key}"), Object::Grants(grants), vec![key]);
        }
        Ok(())
    }
}

impl<C: GenericClient> Reader<'_, C> {
    /// `ALTER DEFAULT PRIVILEGES`: database-wide entries and those of the
    /// schemas read. The role's own privileges are left out.
    pub(super) fn default_grants(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let rows = self.tx.query(
            "SELECT d.oid, pg_get_userbyid(d.defaclrole)::text, n.nspname::text,
                    CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences'
                      WHEN 'f' THEN 'functions' WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' END,
                    CASE WHEN a.grantee = 0 THEN '' ELSE pg_get_userbyid(a.grantee)::text END,
                    a.privilege_type, a.is_grantable
               FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
               LEFT JOIN LATERAL aclexplode(d.defaclacl) a ON a.grantee <> d.defaclrole
              WHERE d.defaclnamespace = 0 OR d.defaclnamespace = ANY($1)",
            &[&nsps],
        )?;
        let mut found: BTreeMap<u32, DefaultGrants> = BTreeMap::new();
        for r in rows {
            let Some(objects) = r.get::<_, Option<String>>(3) else {
                continue; // a kind this version of pggit does not know
            };
            let d = found.entry(r.get(0)).or_insert_with(|| DefaultGrants {
                role: r.get(1),
                schema: r.get(2),
                objects,
                privileges: Vec::new(),
            });
            if let (Some(grantee), Some(privilege)) =
                (r.get::<_, Option<String>>(4), r.get::<_, Option<String>>(5))
            {
                d.privileges.push(Privilege {
                    grantee,
                    privilege,
                    grantable: r.get::<_, Option<bool>>(6).unwrap_or(false),
                });
            }
        }
        for (oid, mut d) in found {
            d.privileges.sort();
            let mut baseline = d.baseline();
            baseline.sort();
            if d.privileges == baseline {
                continue;
            }
            self.add(
                format!("defacl:{oid}"),
                Object::DefaultGrants(d),
                Vec::new(),
            );
        }
        Ok(())
    }
}
