//! Catalog introspection: read the live schema into a [`Tree`] keyed by
//! catalog keys (`rel:OID`, `col:OID:ATTNUM`, ...). Definitions come from
//! PostgreSQL's own deparsers (`pg_get_*def`, `format_type`, `pg_get_expr`)
//! under an empty `search_path`, so every user name is schema-qualified.
//!
//! Everything is read in one REPEATABLE READ transaction, so the snapshot is
//! consistent even while DDL runs concurrently.

use std::collections::{BTreeMap, HashMap, HashSet};

use pggit_core::model::{Attribute, Column, Identity, NamedDef, Object, Table};
use pggit_core::{Entry, Tree};
use postgres::{GenericClient, Row};

use crate::PgError;

/// Which schemas to read.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Schema names to track; empty means every non-system schema.
    pub schemas: Vec<String>,
}

/// A raw snapshot: objects keyed by catalog key.
pub type RawTree = Tree;

const SYSTEM_FILTER: &str =
    "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND n.nspname <> 'pggit'";

/// Read the schema. Runs its own READ ONLY REPEATABLE READ transaction.
pub fn snapshot(client: &mut postgres::Client, scope: &Scope) -> Result<RawTree, PgError> {
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let tree = snapshot_in(&mut tx, scope)?;
    tx.commit()?;
    Ok(tree)
}

/// Read the schema inside an existing transaction (sets `search_path`
/// locally).
pub fn snapshot_in(tx: &mut impl GenericClient, scope: &Scope) -> Result<RawTree, PgError> {
    tx.batch_execute("SET LOCAL search_path = ''")?;
    let mut r = Reader {
        tx,
        entries: BTreeMap::new(),
        class_key: HashMap::new(),
        partitions: HashSet::new(),
        type_key: HashMap::new(),
        ext_members: HashSet::new(),
    };
    let nsps = r.schemas(scope)?;
    r.extensions()?;
    r.types(&nsps)?;
    r.sequences(&nsps)?;
    r.tables(&nsps)?;
    r.views(&nsps)?;
    r.constraints()?;
    r.indexes()?;
    r.functions(&nsps)?;
    r.triggers()?;
    r.policies()?;
    r.dependencies()?;
    Ok(Tree { entries: r.entries })
}

struct Reader<'a, C: GenericClient> {
    tx: &'a mut C,
    entries: BTreeMap<String, Entry>,
    /// pg_class oid -> key of the object that stands for it.
    class_key: HashMap<u32, String>,
    /// Partitions: their columns are the parent's.
    partitions: HashSet<u32>,
    /// pg_type oid -> key (tracked types, row types of relations).
    type_key: HashMap<u32, String>,
    /// (catalog, oid) pairs that belong to extensions.
    ext_members: HashSet<(String, u32)>,
}

fn opt(row: &Row, i: usize) -> Option<String> {
    row.get::<_, Option<String>>(i)
}

impl<C: GenericClient> Reader<'_, C> {
    fn add(&mut self, key: String, object: Object, deps: Vec<String>) {
        self.entries.insert(key, Entry { object, deps });
    }

    fn member(&self, catalog: &str, oid: u32) -> bool {
        self.ext_members.contains(&(catalog.to_string(), oid))
    }

    fn schemas(&mut self, scope: &Scope) -> Result<Vec<u32>, PgError> {
        let rows = self.tx.query(
            &format!(
                "SELECT n.oid, n.nspname::text, obj_description(n.oid, 'pg_namespace')
                   FROM pg_namespace n
                  WHERE {SYSTEM_FILTER}
                    AND (cardinality($1::text[]) = 0 OR n.nspname = ANY($1))
                    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                                     AND d.objid = n.oid AND d.deptype = 'e')"
            ),
            &[&scope.schemas],
        )?;
        let members = self.tx.query(
            "SELECT classid::regclass::text, objid FROM pg_depend WHERE deptype = 'e'",
            &[],
        )?;
        self.ext_members = members.iter().map(|m| (m.get(0), m.get(1))).collect();
        let mut out = Vec::new();
        for row in rows {
            let oid: u32 = row.get(0);
            out.push(oid);
            self.add(
                format!("nsp:{oid}"),
                Object::Schema {
                    name: row.get(1),
                    comment: opt(&row, 2),
                },
                vec![],
            );
        }
        Ok(out)
    }

    fn extensions(&mut self) -> Result<(), PgError> {
        let rows = self.tx.query(
            "SELECT e.oid, e.extname::text, n.nspname::text, e.extversion, n.oid
               FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace",
            &[],
        )?;
        for row in rows {
            let oid: u32 = row.get(0);
            let nsp: u32 = row.get(4);
            self.add(
                format!("ext:{oid}"),
                Object::Extension {
                    name: row.get(1),
                    schema: row.get(2),
                    version: row.get(3),
                },
                vec![format!("nsp:{nsp}")],
            );
        }
        Ok(())
    }

    fn types(&mut self, nsps: &[u32]) -> Result<(), PgError> {
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
                            "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
                              WHERE contypid = $1 AND contype = 'c' ORDER BY conname",
                            &[&oid],
                        )?
                        .iter()
                        .map(|c| NamedDef {
                            name: c.get(0),
                            definition: c.get(1),
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
                                     THEN r.rngcollation::regcollation::text END
                           FROM pg_range r WHERE r.rngtypid = $1",
                        &[&oid],
                    )?;
                    let mut options = vec![format!("subtype = {}", r.get::<_, String>(0))];
                    if let Some(d) = opt(&r, 1) {
                        options.push(format!("subtype_diff = {d}"));
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
                                         THEN a.attcollation::regcollation::text END
                               FROM pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
                              ORDER BY a.attnum",
                            &[&relid],
                        )?
                        .iter()
                        .map(|a| Attribute {
                            name: a.get(0),
                            data_type: a.get(1),
                            collation: opt(a, 2),
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

    fn sequences(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let rows = self.tx.query(
            "SELECT c.oid, n.nspname::text, c.relname::text, n.oid, format_type(s.seqtypid, NULL),
                    s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache, s.seqcycle,
                    obj_description(c.oid, 'pg_class'),
                    (SELECT d.refobjid FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                        AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype = 'a'),
                    (SELECT d.refobjsubid FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                        AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype = 'a')
               FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               JOIN pg_sequence s ON s.seqrelid = c.oid
              WHERE c.relkind = 'S' AND c.relnamespace = ANY($1)
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                 AND d.objid = c.oid AND d.deptype = 'i')",
            &[&nsps],
        )?;
        for row in rows {
            let oid: u32 = row.get(0);
            if self.member("pg_class", oid) {
                continue;
            }
            let nsp: u32 = row.get(3);
            let owner: Option<u32> = row.get(12);
            let attnum: Option<i32> = row.get(13);
            self.class_key.insert(oid, format!("rel:{oid}"));
            self.add(
                format!("rel:{oid}"),
                Object::Sequence {
                    schema: row.get(1),
                    name: row.get(2),
                    data_type: row.get(4),
                    increment: row.get(5),
                    min: row.get(6),
                    max: row.get(7),
                    start: row.get(8),
                    cache: row.get(9),
                    cycle: row.get(10),
                    owned_by: owner
                        .zip(attnum)
                        .map(|(t, a)| (format!("rel:{t}"), format!("col:{t}:{a}"))),
                    comment: opt(&row, 11),
                },
                vec![format!("nsp:{nsp}")],
            );
        }
        Ok(())
    }

    fn tables(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let rows = self.tx.query(
            "SELECT c.oid, n.nspname::text, c.relname::text, n.oid, c.relpersistence = 'u',
                    CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
                    c.relispartition,
                    (SELECT i.inhparent FROM pg_inherits i WHERE i.inhrelid = c.oid),
                    pg_get_expr(c.relpartbound, c.oid),
                    coalesce(c.reloptions, '{}')::text[],
                    c.relrowsecurity, c.relforcerowsecurity,
                    obj_description(c.oid, 'pg_class')
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND c.relnamespace = ANY($1)
              ORDER BY c.oid",
            &[&nsps],
        )?;
        let cols = self.tx.query(
            "SELECT a.attrelid, a.attnum::int4, a.attname::text, format_type(a.atttypid, a.atttypmod),
                    CASE WHEN a.attcollation <> 0 AND a.attcollation <> (SELECT typcollation FROM pg_type WHERE oid = a.atttypid)
                         THEN a.attcollation::regcollation::text END,
                    a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attidentity::text, a.attgenerated::text,
                    col_description(a.attrelid, a.attnum),
                    CASE WHEN a.attidentity <> '' THEN pg_get_serial_sequence(a.attrelid::regclass::text, a.attname) END
               FROM pg_attribute a
               JOIN pg_class c ON c.oid = a.attrelid
               LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
              WHERE c.relkind IN ('r', 'p') AND c.relnamespace = ANY($1) AND NOT c.relispartition
                AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attrelid, a.attnum",
            &[&nsps],
        )?;
        let mut columns: HashMap<u32, Vec<Column>> = HashMap::new();
        for c in cols {
            let rel: u32 = c.get(0);
            let attnum: i32 = c.get(1);
            let expr = opt(&c, 6);
            let identity: String = c.get(7);
            let generated: String = c.get(8);
            columns.entry(rel).or_default().push(Column {
                id: format!("col:{rel}:{attnum}"),
                name: c.get(2),
                data_type: c.get(3),
                collation: opt(&c, 4),
                not_null: c.get(5),
                default: if generated.is_empty() {
                    expr.clone()
                } else {
                    None
                },
                identity: match (identity.as_str(), opt(&c, 10)) {
                    ("a", Some(s)) => Some(Identity {
                        always: true,
                        sequence: s,
                    }),
                    ("d", Some(s)) => Some(Identity {
                        always: false,
                        sequence: s,
                    }),
                    _ => None,
                },
                generated: if generated == "s" { expr } else { None },
                comment: opt(&c, 9),
            });
        }
        for row in rows {
            let oid: u32 = row.get(0);
            if self.member("pg_class", oid) {
                continue;
            }
            let nsp: u32 = row.get(3);
            let is_partition: bool = row.get(6);
            let parent: Option<u32> = row.get(7);
            let partition_of = match (is_partition, parent, opt(&row, 8)) {
                (true, Some(p), Some(bound)) => Some((format!("rel:{p}"), bound)),
                _ => None,
            };
            if is_partition {
                self.partitions.insert(oid);
            }
            self.class_key.insert(oid, format!("rel:{oid}"));
            self.add(
                format!("rel:{oid}"),
                Object::Table(Table {
                    schema: row.get(1),
                    name: row.get(2),
                    columns: columns.remove(&oid).unwrap_or_default(),
                    unlogged: row.get(4),
                    partition_key: opt(&row, 5),
                    partition_of,
                    options: row.get(9),
                    row_security: row.get(10),
                    force_row_security: row.get(11),
                    comment: opt(&row, 12),
                }),
                vec![format!("nsp:{nsp}")],
            );
        }
        Ok(())
    }

    fn tracked_relations(&self) -> Vec<u32> {
        self.class_key
            .iter()
            .filter(|(_, k)| k.starts_with("rel:"))
            .map(|(oid, _)| *oid)
            .collect()
    }

    fn constraints(&mut self) -> Result<(), PgError> {
        let rels = self.tracked_relations();
        let rows = self.tx.query(
            "SELECT oid, conrelid, conname::text, pg_get_constraintdef(oid), obj_description(oid, 'pg_constraint'), conindid
               FROM pg_constraint
              WHERE conrelid = ANY($1) AND contype IN ('c', 'f', 'p', 'u', 'x')
                AND conparentid = 0 AND conislocal
              ORDER BY oid",
            &[&rels],
        )?;
        for row in rows {
            let oid: u32 = row.get(0);
            let rel: u32 = row.get(1);
            let index: u32 = row.get(5);
            let key = format!("con:{oid}");
            let definition: String = row.get(3);
            if index != 0 && !definition.starts_with("FOREIGN KEY") {
                self.class_key.insert(index, key.clone());
            }
            self.add(
                key,
                Object::Constraint {
                    table: format!("rel:{rel}"),
                    name: row.get(2),
                    definition,
                    comment: opt(&row, 4),
                },
                vec![],
            );
        }
        Ok(())
    }

    fn indexes(&mut self) -> Result<(), PgError> {
        let rels = self.tracked_relations();
        let rows = self.tx.query(
            "SELECT i.oid, x.indrelid, i.relname::text, x.indisunique, pg_get_indexdef(i.oid),
                    'CREATE ' || CASE WHEN x.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX '
                      || quote_ident(i.relname) || ' ON ' || CASE WHEN i.relkind = 'I' THEN 'ONLY ' ELSE '' END
                      || quote_ident(n.nspname) || '.' || quote_ident(t.relname) || ' ',
                    obj_description(i.oid, 'pg_class')
               FROM pg_index x
               JOIN pg_class i ON i.oid = x.indexrelid
               JOIN pg_class t ON t.oid = x.indrelid
               JOIN pg_namespace n ON n.oid = t.relnamespace
              WHERE x.indrelid = ANY($1) AND NOT i.relispartition
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid
                                 AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u', 'x'))
              ORDER BY i.oid",
            &[&rels],
        )?;
        for row in rows {
            let oid: u32 = row.get(0);
            let rel: u32 = row.get(1);
            let def: String = row.get(4);
            let prefix: String = row.get(5);
            let Some(definition) = def.strip_prefix(&prefix) else {
                return Err(PgError::Unexpected(format!(
                    "index definition does not start with its header: {def}"
                )));
            };
            let key = format!("idx:{oid}");
            self.class_key.insert(oid, key.clone());
            self.add(
                key,
                Object::Index {
                    table: format!("rel:{rel}"),
                    name: row.get(2),
                    unique: row.get(3),
                    definition: definition.to_string(),
                    comment: opt(&row, 6),
                },
                vec![],
            );
        }
        Ok(())
    }

    fn views(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let rows = self.tx.query(
            "SELECT c.oid, n.nspname::text, c.relname::text, n.oid, c.relkind = 'm',
                    pg_get_viewdef(c.oid, true), coalesce(c.reloptions, '{}')::text[],
                    obj_description(c.oid, 'pg_class'),
                    (SELECT coalesce(array_agg(a.attname::text ORDER BY a.attnum), '{}') FROM pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                    (SELECT coalesce(array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum), '{}') FROM pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('v', 'm') AND c.relnamespace = ANY($1)
              ORDER BY c.oid",
            &[&nsps],
        )?;
        for row in rows {
            let oid: u32 = row.get(0);
            if self.member("pg_class", oid) {
                continue;
            }
            let nsp: u32 = row.get(3);
            let query: String = row.get(5);
            let names: Vec<String> = row.get(8);
            let types: Vec<String> = row.get(9);
            self.class_key.insert(oid, format!("rel:{oid}"));
            self.add(
                format!("rel:{oid}"),
                Object::View {
                    schema: row.get(1),
                    name: row.get(2),
                    materialized: row.get(4),
                    query: query.trim_end().trim_end_matches(';').to_string(),
                    columns: names
                        .into_iter()
                        .zip(types)
                        .map(|(name, data_type)| Attribute {
                            name,
                            data_type,
                            collation: None,
                        })
                        .collect(),
                    options: row.get(6),
                    comment: opt(&row, 7),
                },
                vec![format!("nsp:{nsp}")],
            );
        }
        Ok(())
    }

    fn functions(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let rows = self.tx.query(
            "SELECT p.oid, n.nspname::text, p.proname::text, n.oid, p.prokind::text,
                    pg_get_function_identity_arguments(p.oid),
                    CASE WHEN p.prokind <> 'p' THEN pg_get_function_result(p.oid) END,
                    pg_get_functiondef(p.oid),
                    'CREATE OR REPLACE ' || CASE WHEN p.prokind = 'p' THEN 'PROCEDURE ' ELSE 'FUNCTION ' END
                      || quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(',
                    obj_description(p.oid, 'pg_proc')
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE p.pronamespace = ANY($1) AND p.prokind IN ('f', 'p', 'w')
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                                 AND d.objid = p.oid AND d.deptype = 'i')
              ORDER BY p.oid",
            &[&nsps],
        )?;
        for row in rows {
            let oid: u32 = row.get(0);
            if self.member("pg_proc", oid) {
                continue;
            }
            let nsp: u32 = row.get(3);
            let prokind: String = row.get(4);
            let def: String = row.get(7);
            let prefix: String = row.get(8);
            let Some(definition) = def.strip_prefix(&prefix) else {
                return Err(PgError::Unexpected(format!(
                    "function definition does not start with its header: {prefix}"
                )));
            };
            self.add(
                format!("proc:{oid}"),
                Object::Function {
                    schema: row.get(1),
                    name: row.get(2),
                    routine: match prokind.as_str() {
                        "p" => "procedure",
                        "w" => "window",
                        _ => "function",
                    }
                    .to_string(),
                    identity_args: row.get(5),
                    result: opt(&row, 6),
                    definition: definition.to_string(),
                    comment: opt(&row, 9),
                },
                vec![format!("nsp:{nsp}")],
            );
        }
        Ok(())
    }

    fn triggers(&mut self) -> Result<(), PgError> {
        let rels = self.tracked_relations();
        let rows = self.tx.query(
            "SELECT t.oid, t.tgrelid, t.tgname::text, pg_get_triggerdef(t.oid), t.tgconstraint <> 0,
                    'CREATE ' || CASE WHEN t.tgconstraint <> 0 THEN 'CONSTRAINT ' ELSE '' END || 'TRIGGER '
                      || quote_ident(t.tgname) || ' ',
                    obj_description(t.oid, 'pg_trigger')
               FROM pg_trigger t
              WHERE t.tgrelid = ANY($1) AND NOT t.tgisinternal AND t.tgparentid = 0
              ORDER BY t.oid",
            &[&rels],
        )?;
        for row in rows {
            let oid: u32 = row.get(0);
            let rel: u32 = row.get(1);
            let def: String = row.get(3);
            let prefix: String = row.get(5);
            let Some(definition) = def.strip_prefix(&prefix) else {
                return Err(PgError::Unexpected(format!(
                    "trigger definition does not start with its header: {def}"
                )));
            };
            self.add(
                format!("trg:{oid}"),
                Object::Trigger {
                    table: format!("rel:{rel}"),
                    name: row.get(2),
                    definition: definition.to_string(),
                    constraint: row.get(4),
                    comment: opt(&row, 6),
                },
                vec![],
            );
        }
        Ok(())
    }

    fn policies(&mut self) -> Result<(), PgError> {
        let rels = self.tracked_relations();
        let rows = self.tx.query(
            "SELECT p.oid, p.polrelid, p.polname::text, p.polpermissive,
                    CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                  WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                    ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END
                            FROM unnest(p.polroles) r ORDER BY 1),
                    pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid),
                    obj_description(p.oid, 'pg_policy')
               FROM pg_policy p WHERE p.polrelid = ANY($1) ORDER BY p.oid",
            &[&rels],
        )?;
        for row in rows {
            let oid: u32 = row.get(0);
            let rel: u32 = row.get(1);
            self.add(
                format!("pol:{oid}"),
                Object::Policy {
                    table: format!("rel:{rel}"),
                    name: row.get(2),
                    permissive: row.get(3),
                    command: row.get(4),
                    roles: row.get(5),
                    using: opt(&row, 6),
                    check: opt(&row, 7),
                    comment: opt(&row, 8),
                },
                vec![],
            );
        }
        Ok(())
    }

    /// Map one pg_depend endpoint to a tracked key.
    fn key_of(&self, catalog: &str, oid: u32, sub: i32, referenced: bool) -> Option<String> {
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
            "pg_namespace" => format!("nsp:{oid}"),
            "pg_extension" => format!("ext:{oid}"),
            _ => return None,
        };
        (self.entries.contains_key(&key) || key.starts_with("col:")).then_some(key)
    }

    fn dependencies(&mut self) -> Result<(), PgError> {
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
        let rows = self.tx.query(
            "SELECT d.classid::regclass::text,
                    CASE d.classid WHEN 'pg_rewrite'::regclass THEN (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = d.objid)
                                   WHEN 'pg_attrdef'::regclass THEN (SELECT a.adrelid FROM pg_attrdef a WHERE a.oid = d.objid)
                                   ELSE d.objid END,
                    CASE WHEN d.classid IN ('pg_rewrite'::regclass, 'pg_attrdef'::regclass) THEN 'pg_class'
                         ELSE d.classid::regclass::text END,
                    d.objsubid, d.refclassid::regclass::text, d.refobjid, d.refobjsubid
               FROM pg_depend d
              WHERE d.deptype IN ('n', 'a')
                AND d.classid IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass,
                                  'pg_constraint'::regclass, 'pg_trigger'::regclass, 'pg_policy'::regclass,
                                  'pg_rewrite'::regclass, 'pg_attrdef'::regclass)
                AND d.refclassid IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass,
                                     'pg_constraint'::regclass, 'pg_namespace'::regclass, 'pg_extension'::regclass)",
            &[],
        )?;
        let mut deps: HashMap<String, Vec<String>> = HashMap::new();
        for row in rows {
            let catalog: String = row.get(2);
            let objid: Option<u32> = row.get(1);
            let Some(objid) = objid else { continue };
            let Some(from) = self.key_of(&catalog, objid, 0, false) else {
                continue;
            };
            let refcat: String = row.get(4);
            let Some(to) = self.key_of(&refcat, row.get(5), row.get(6), true) else {
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
