//! Operator families and classes, read into [`Object::OperatorFamily`] and
//! [`Object::OperatorClass`]: those in tracked schemas that are not an
//! extension's. A member (`pg_amop`, `pg_amproc`) belongs to the class that
//! `pg_depend` binds it to, else it is a loose member of its family, as
//! `pg_dump` splits them.

use std::collections::HashMap;

use pggit_core::model::{Object, OpMember};
use postgres::GenericClient;

use super::{opt, Reader};
use crate::PgError;

/// Who a member belongs to: a class or (loose) a family.
#[derive(PartialEq, Eq, Hash)]
enum Owner {
    Class(u32),
    Family(u32),
}

impl<C: GenericClient> Reader<'_, C> {
    pub(super) fn operator_classes(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let families = self.tx.query(
            "SELECT f.oid, n.nspname::text, f.opfname::text, a.amname::text, f.opfnamespace,
                    obj_description(f.oid, 'pg_opfamily')
               FROM pg_catalog.pg_opfamily f
               JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace
               JOIN pg_catalog.pg_am a ON a.oid = f.opfmethod
              WHERE f.opfnamespace = ANY($1)
              ORDER BY f.oid",
            &[&nsps],
        )?;
        let families: Vec<_> = families
            .into_iter()
            .filter(|r| !self.member("pg_opfamily", r.get(0)))
            .collect();
        if families.is_empty() {
            return Ok(());
        }
        let family_oids: Vec<u32> = families.iter().map(|r| r.get(0)).collect();
        let members = self.tx.query(
            "SELECT CASE WHEN d.refclassid = 'pg_catalog.pg_opclass'::regclass THEN d.refobjid END,
                    o.amopfamily, 'OPERATOR', o.amopstrategy,
                    format_type(o.amoplefttype, NULL), format_type(o.amoprighttype, NULL),
                    o.amopopr::regoperator::text,
                    CASE WHEN o.amoppurpose = 'o' THEN
                      quote_ident(sn.nspname) || '.' || quote_ident(sf.opfname) END,
                    o.amopopr::oid
               FROM pg_catalog.pg_amop o
               JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amop'::regclass
                AND d.objid = o.oid
                AND d.refclassid IN ('pg_catalog.pg_opclass'::regclass, 'pg_catalog.pg_opfamily'::regclass)
               LEFT JOIN pg_catalog.pg_opfamily sf ON sf.oid = o.amopsortfamily
               LEFT JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace
              WHERE o.amopfamily = ANY($1)
             UNION ALL
             SELECT CASE WHEN d.refclassid = 'pg_catalog.pg_opclass'::regclass THEN d.refobjid END,
                    p.amprocfamily, 'FUNCTION', p.amprocnum,
                    format_type(p.amproclefttype, NULL), format_type(p.amprocrighttype, NULL),
                    p.amproc::regprocedure::text, NULL, p.amproc::oid
               FROM pg_catalog.pg_amproc p
               JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amproc'::regclass
                AND d.objid = p.oid
                AND d.refclassid IN ('pg_catalog.pg_opclass'::regclass, 'pg_catalog.pg_opfamily'::regclass)
              WHERE p.amprocfamily = ANY($1)
              ORDER BY 2, 3 DESC, 4, 5, 6",
            &[&family_oids],
        )?;
        let mut by_owner: HashMap<Owner, (Vec<OpMember>, Vec<String>)> = HashMap::new();
        for m in &members {
            let owner = match m.get::<_, Option<u32>>(0) {
                Some(class) => Owner::Class(class),
                None => Owner::Family(m.get(1)),
            };
            let kind: &str = m.get(2);
            let target_oid: u32 = m.get(8);
            let (list, deps) = by_owner.entry(owner).or_default();
            let dep = if kind == "OPERATOR" {
                format!("opr:{target_oid}")
            } else {
                format!("proc:{target_oid}")
            };
            deps.push(dep);
            list.push(OpMember {
                kind: kind.to_string(),
                number: m.get(3),
                types: (m.get(4), m.get(5)),
                target: m.get(6),
                order_by: opt(m, 7),
            });
        }
        for f in &families {
            let oid: u32 = f.get(0);
            let nsp: u32 = f.get(4);
            let (members, member_deps) = by_owner.remove(&Owner::Family(oid)).unwrap_or_default();
            let deps = self.member_deps(nsp, member_deps);
            self.add(
                format!("opf:{oid}"),
                Object::OperatorFamily {
                    schema: f.get(1),
                    name: f.get(2),
                    method: f.get(3),
                    members,
                    comment: opt(f, 5),
                },
                deps,
            );
        }
        let classes = self.tx.query(
            "SELECT c.oid, n.nspname::text, c.opcname::text, a.amname::text, c.opcnamespace,
                    format_type(c.opcintype, NULL), c.opcdefault, c.opcfamily,
                    CASE WHEN c.opckeytype <> 0 THEN format_type(c.opckeytype, NULL) END,
                    obj_description(c.oid, 'pg_opclass'), c.opcintype, c.opckeytype
               FROM pg_catalog.pg_opclass c
               JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace
               JOIN pg_catalog.pg_am a ON a.oid = c.opcmethod
              WHERE c.opcfamily = ANY($1)
              ORDER BY c.oid",
            &[&family_oids],
        )?;
        for c in &classes {
            let oid: u32 = c.get(0);
            if self.member("pg_opclass", oid) || !nsps.contains(&c.get::<_, u32>(4)) {
                continue;
            }
            let family = format!("opf:{}", c.get::<_, u32>(7));
            let (members, mut member_deps) =
                by_owner.remove(&Owner::Class(oid)).unwrap_or_default();
            member_deps.push(family.clone());
            for t in [c.get::<_, u32>(10), c.get::<_, u32>(11)] {
                if let Some(k) = self.type_key.get(&t) {
                    member_deps.push(k.clone());
                }
            }
            let deps = self.member_deps(c.get(4), member_deps);
            self.add(
                format!("opc:{oid}"),
                Object::OperatorClass {
                    schema: c.get(1),
                    name: c.get(2),
                    method: c.get(3),
                    for_type: c.get(5),
                    default: c.get(6),
                    family,
                    storage: opt(c, 8),
                    members,
                    comment: opt(c, 9),
                },
                deps,
            );
        }
        Ok(())
    }

    /// The schema plus those of `candidates` that are tracked (a member's
    /// operator or function, a sort family, a type).
    fn member_deps(&self, nsp: u32, candidates: Vec<String>) -> Vec<String> {
        let mut deps = vec![format!("nsp:{nsp}")];
        deps.extend(
            candidates
                .into_iter()
                .filter(|k| self.entries.contains_key(k)),
        );
        deps.sort();
        deps.dedup();
        deps
    }
}
