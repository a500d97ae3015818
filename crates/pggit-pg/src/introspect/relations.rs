//! Sequences, tables (with partitions), views and routines.

use std::collections::HashMap;

use pggit_core::model::{
    Attribute, Column, ColumnSettings, Foreign, Identity, Object, Privilege, SequenceOptions,
    Storage, Table,
};
use postgres::GenericClient;

use super::ahead::Ahead;
use super::{opt, Reader};
use crate::PgError;

impl<C: GenericClient> Reader<'_, C> {
    pub(super) fn sequences(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let rows = self.tx.query(
            "SELECT c.oid, n.nspname::text, c.relname::text, n.oid, format_type(s.seqtypid, NULL),
                    s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache, s.seqcycle,
                    obj_description(c.oid, 'pg_class'),
                    (SELECT d.refobjid FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                        AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype = 'a'),
                    (SELECT d.refobjsubid FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                        AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype = 'a'),
                    c.relpersistence = 'u'
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
            self.add_relation(
                oid,
                nsp,
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
                    unlogged: row.get(14),
                    owned_by: owner
                        .zip(attnum)
                        .map(|(t, a)| (format!("rel:{t}"), format!("col:{t}:{a}"))),
                    comment: opt(&row, 11),
                },
            );
        }
        Ok(())
    }

    pub(super) fn tables(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let rows = self.tx.query(
            "SELECT c.oid, n.nspname::text, c.relname::text, n.oid, c.relpersistence = 'u',
                    CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
                    c.relispartition,
                    ARRAY(SELECT i.inhparent FROM pg_inherits i WHERE i.inhrelid = c.oid ORDER BY i.inhseqno),
                    pg_get_expr(c.relpartbound, c.oid),
                    -- the table's storage parameters, then its TOAST table's as toast.*
                    coalesce(c.reloptions, '{}')::text[]
                      || coalesce((SELECT array_agg('toast.' || o ORDER BY n)
                                     FROM pg_class tc CROSS JOIN LATERAL unnest(tc.reloptions) WITH ORDINALITY u(o, n)
                                    WHERE c.reltoastrelid <> 0 AND tc.oid = c.reltoastrelid), '{}')::text[],
                    c.relrowsecurity, c.relforcerowsecurity, cd.description,
                    CASE WHEN c.relkind = 'f' THEN NULL  -- foreign tables have none
                      WHEN c.relreplident = 'f' THEN 'full' WHEN c.relreplident = 'n' THEN 'nothing'
                      WHEN c.relreplident = 'i' THEN 'index:' || (SELECT i.relname::text FROM pg_index x
                                                   JOIN pg_class i ON i.oid = x.indexrelid
                                                  WHERE x.indrelid = c.oid AND x.indisreplident)
                    END,
                    c.reloftype, ft.ftserver, coalesce(ft.ftoptions, '{}')::text[]
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               LEFT JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
               LEFT JOIN pg_description cd ON cd.objoid = c.oid AND cd.classoid = 'pg_class'::regclass
                    AND cd.objsubid = 0
              WHERE c.relkind IN ('r', 'p', 'f') AND c.relnamespace = ANY($1)
              ORDER BY c.oid",
            &[&nsps],
        )?;
        let version = self.version;
        // Only PostgreSQL 18 names NOT NULL constraints: skip the lookup before.
        let named_not_null = version >= 180000;
        let cols = self
            .tx
            .query(&columns_sql(version), &[&nsps, &named_not_null])?;
        let mut columns: HashMap<u32, Vec<Column>> = HashMap::new();
        for c in cols {
            let rel: u32 = c.get(0);
            let attnum: i32 = c.get(1);
            let expr = opt(&c, 6);
            let identity: String = c.get(7);
            let generated: String = c.get(8);
            let data_type: String = c.get(3);
            let options = c.get::<_, Option<i64>>(11).map(|increment| {
                SequenceOptions {
                    increment,
                    min: c.get(12),
                    max: c.get(13),
                    start: c.get(14),
                    cache: c.get(15),
                    cycle: c.get(16),
                }
                .unless_default(&data_type)
            });
            let mut privileges: Vec<Privilege> = c
                .get::<_, Vec<String>>(18)
                .chunks(3)
                .filter_map(|p| match p {
                    [grantee, privilege, grantable] => Some(Privilege {
                        grantee: grantee.clone(),
                        privilege: privilege.clone(),
                        grantable: grantable == "true",
                    }),
                    _ => None,
                })
                .collect();
            privileges.sort();
            columns.entry(rel).or_default().push(Column {
                id: format!("col:{rel}:{attnum}"),
                name: c.get(2),
                data_type,
                inherited: !c.get::<_, bool>(19),
                collation: opt(&c, 4),
                not_null: c.get(5),
                not_null_name: opt(&c, 17),
                default: if generated.is_empty() {
                    expr.clone()
                } else {
                    None
                },
                identity: match (identity.as_str(), opt(&c, 10)) {
                    ("a", Some(s)) => Some(Identity {
                        always: true,
                        sequence: s,
                        options: options.flatten(),
                        privileges,
                    }),
                    ("d", Some(s)) => Some(Identity {
                        always: false,
                        sequence: s,
                        options: options.flatten(),
                        privileges,
                    }),
                    _ => None,
                },
                generated: if generated == "s" { expr } else { None },
                comment: opt(&c, 9),
                options: c.get(20),
                settings: ColumnSettings {
                    statistics: c.get(21),
                    storage: storage(c.get(22), c.get(23)),
                    options: c.get(24),
                    compression: opt(&c, 25).map(|m| compression(&m)),
                },
            });
        }
        let parents: HashMap<u32, Vec<u32>> = rows
            .iter()
            .filter(|r| !r.get::<_, bool>(6))
            .map(|r| (r.get(0), r.get(7)))
            .collect();
        settle_inherited_order(&mut columns, &parents);
        for row in rows {
            let oid: u32 = row.get(0);
            if self.member("pg_class", oid) {
                continue;
            }
            let nsp: u32 = row.get(3);
            let is_partition: bool = row.get(6);
            let parent_oids: Vec<u32> = row.get(7);
            let partition_of = match (is_partition, parent_oids.first(), opt(&row, 8)) {
                (true, Some(p), Some(bound)) => Some((format!("rel:{p}"), bound)),
                _ => None,
            };
            let inherits: Vec<String> = if is_partition {
                Vec::new()
            } else {
                parent_oids.iter().map(|p| format!("rel:{p}")).collect()
            };
            if is_partition {
                self.partitions.insert(oid);
            }
            self.add_relation(
                oid,
                nsp,
                Object::Table(Table {
                    schema: row.get(1),
                    name: row.get(2),
                    columns: columns.remove(&oid).unwrap_or_default(),
                    unlogged: row.get(4),
                    partition_key: opt(&row, 5),
                    partition_of,
                    inherits,
                    foreign: row.get::<_, Option<u32>>(15).map(|server| Foreign {
                        server: format!("srv:{server}"),
                        options: row.get(16),
                    }),
                    of_type: match row.get::<_, u32>(14) {
                        0 => None,
                        ty => Some(format!("typ:{ty}")),
                    },
                    options: row.get(9),
                    row_security: row.get(10),
                    force_row_security: row.get(11),
                    replica_identity: row.get(13),
                    comment: opt(&row, 12),
                }),
            );
        }
        Ok(())
    }

    pub(super) fn tracked_relations(&self) -> Vec<u32> {
        self.class_key
            .iter()
            .filter(|(_, k)| k.starts_with("rel:"))
            .map(|(oid, _)| *oid)
            .collect()
    }

    pub(super) fn views(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let rows = self.rows(Ahead::Views, VIEWS_SQL, &[&nsps])?;
        for row in rows {
            let oid: u32 = row.get(0);
            if self.member("pg_class", oid) {
                continue;
            }
            let nsp: u32 = row.get(3);
            let query: String = row.get(5);
            let names: Vec<String> = row.get(8);
            let types: Vec<String> = row.get(9);
            let comments: Vec<Option<String>> = row.get(10);
            self.add_relation(
                oid,
                nsp,
                Object::View {
                    schema: row.get(1),
                    name: row.get(2),
                    materialized: row.get(4),
                    query: query.trim_end().trim_end_matches(';').to_string(),
                    columns: names
                        .into_iter()
                        .zip(types)
                        .zip(comments)
                        .map(|((name, data_type), comment)| Attribute {
                            name,
                            data_type,
                            collation: None,
                            comment: comment.filter(|c| !c.is_empty()),
                        })
                        .collect(),
                    options: row.get(6),
                    comment: opt(&row, 7),
                },
            );
        }
        Ok(())
    }

    pub(super) fn functions(&mut self, nsps: &[u32]) -> Result<(), PgError> {
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
}

/// Puts the columns of each inheriting table in the order a replay gives
/// them when that order is forced on it: `CREATE TABLE ... INHERITS` places
/// the parents' columns first, in the parents' order, then the table's own.
/// A table that has a column only by inheritance cannot be replayed any
/// other way (PostgreSQL has no statement that makes a local column
/// inherited-only), so its columns are stored in that order; other
/// inheriting tables keep their physical order (a replay creates them
/// alone and then runs `INHERIT`).
fn settle_inherited_order(
    columns: &mut HashMap<u32, Vec<Column>>,
    parents: &HashMap<u32, Vec<u32>>,
) {
    fn order(
        rel: u32,
        columns: &mut HashMap<u32, Vec<Column>>,
        parents: &HashMap<u32, Vec<u32>>,
        done: &mut std::collections::HashSet<u32>,
    ) {
        if !done.insert(rel) {
            return;
        }
        let ps = parents.get(&rel).cloned().unwrap_or_default();
        if ps.is_empty() {
            return;
        }
        let mut names: Vec<String> = Vec::new();
        for p in &ps {
            order(*p, columns, parents, done);
            for c in columns.get(p).into_iter().flatten() {
                if !names.contains(&c.name) {
                    names.push(c.name.clone());
                }
            }
        }
        let Some(cols) = columns.get_mut(&rel) else {
            return;
        };
        if !cols.iter().any(|c| c.inherited) {
            return;
        }
        let rank = |c: &Column| {
            names
                .iter()
                .position(|n| *n == c.name)
                .unwrap_or(usize::MAX)
        };
        // A stable sort keeps the table's own columns in attnum order.
        cols.sort_by_key(rank);
    }
    let mut done = std::collections::HashSet::new();
    let rels: Vec<u32> = parents.keys().copied().collect();
    for rel in rels {
        order(rel, columns, parents, &mut done);
    }
}

/// A column's storage (`pg_attribute.attstorage`) when it is not its
/// type's (`pg_type.typstorage`), by name.
fn storage(column: String, of_type: String) -> Option<Storage> {
    let name = |c: &str| {
        match c {
            "p" => "plain",
            "e" => "external",
            "m" => "main",
            "x" => "extended",
            other => other,
        }
        .to_string()
    };
    (column != of_type).then(|| Storage {
        mode: name(&column),
        type_default: name(&of_type),
    })
}

/// A compression method (`pg_attribute.attcompression`) by name.
fn compression(code: &str) -> String {
    match code {
        "p" => "pglz",
        "l" => "lz4",
        other => other,
    }
    .to_string()
}

/// The columns of the tables in the schemas `$1`; `$2`: whether NOT NULL
/// constraints have names (PostgreSQL 18).
fn columns_sql(version: i32) -> String {
    // Column compression exists from PostgreSQL 14 (and cannot be
    // altered on a foreign table, whose data is elsewhere).
    let compression_col = if version >= 140000 {
        "CASE WHEN c.relkind <> 'f' THEN nullif(a.attcompression::text, '') END"
    } else {
        "NULL::text"
    };
    format!("SELECT a.attrelid, a.attnum::int4, a.attname::text, format_type(a.atttypid, a.atttypmod),
                    CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation
                         THEN a.attcollation::regcollation::text END,
                    a.attnotnull,
                    -- a default names no column: deparsed without opening the table
                    pg_get_expr(ad.adbin, CASE WHEN a.attgenerated <> '' THEN ad.adrelid ELSE 0 END),
                    a.attidentity::text, a.attgenerated::text, cd.description,
                    quote_ident(sqn.nspname) || '.' || quote_ident(sq.relname),
                    s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache, s.seqcycle,
                    -- PostgreSQL 18: NOT NULL constraints have names (none before)
                    CASE WHEN $2 THEN (SELECT n.conname::text FROM pg_constraint n
                      WHERE n.conrelid = a.attrelid AND n.contype = 'n' AND n.conkey[1] = a.attnum) END,
                    -- privileges on the identity sequence, flat: grantee ('' for PUBLIC),
                    -- privilege, grantable, grantee, ...
                    CASE WHEN sd.objid IS NULL THEN '{{}}'::text[] ELSE
                    ARRAY(SELECT u.v
                            FROM pg_class sc CROSS JOIN LATERAL aclexplode(sc.relacl) WITH ORDINALITY x
                           CROSS JOIN LATERAL unnest(ARRAY[
                                 CASE WHEN x.grantee = 0 THEN '' ELSE pg_get_userbyid(x.grantee)::text END,
                                 x.privilege_type, x.is_grantable::text]) WITH ORDINALITY u(v, n)
                           WHERE sc.oid = sd.objid AND sc.relacl IS NOT NULL AND x.grantee <> sc.relowner
                           ORDER BY x.ordinality, u.n) END,
                    a.attislocal, coalesce(a.attfdwoptions, '{{}}')::text[],
                    nullif(a.attstattarget::int4, -1), a.attstorage::text, ty.typstorage::text,
                    -- the options ALTER COLUMN SET (...) takes (a server may keep others)
                    CASE WHEN a.attoptions IS NULL THEN '{{}}'::text[] ELSE
                    ARRAY(SELECT o FROM unnest(a.attoptions) WITH ORDINALITY x(o, n)
                           WHERE split_part(o, '=', 1) IN ('n_distinct', 'n_distinct_inherited')
                           ORDER BY n) END,
                    {compression_col}
               FROM pg_attribute a
               JOIN pg_class c ON c.oid = a.attrelid
               JOIN pg_type ty ON ty.oid = a.atttypid
               LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
               LEFT JOIN pg_depend sd ON a.attidentity <> '' AND sd.refclassid = 'pg_class'::regclass
                    AND sd.refobjid = a.attrelid AND sd.refobjsubid = a.attnum AND sd.deptype = 'i'
                    AND sd.classid = 'pg_class'::regclass
               LEFT JOIN pg_sequence s ON s.seqrelid = sd.objid
               LEFT JOIN pg_class sq ON sq.oid = sd.objid
               LEFT JOIN pg_namespace sqn ON sqn.oid = sq.relnamespace
               LEFT JOIN pg_description cd ON cd.objoid = a.attrelid AND cd.classoid = 'pg_class'::regclass
                    AND cd.objsubid = a.attnum
              WHERE c.relkind IN ('r', 'p', 'f') AND c.relnamespace = ANY($1) AND NOT c.relispartition
                AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attrelid, a.attnum")
}

/// Views and materialized views in the schemas `$1`.
pub(super) const VIEWS_SQL: &str = "SELECT c.oid, n.nspname::text, c.relname::text, n.oid, c.relkind = 'm',
                    pg_get_viewdef(c.oid, true), coalesce(c.reloptions, '{}')::text[],
                    obj_description(c.oid, 'pg_class'),
                    (SELECT coalesce(array_agg(a.attname::text ORDER BY a.attnum), '{}') FROM pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                    (SELECT coalesce(array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum), '{}') FROM pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                    (SELECT coalesce(array_agg(col_description(c.oid, a.attnum) ORDER BY a.attnum), '{}') FROM pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('v', 'm') AND c.relnamespace = ANY($1)
              ORDER BY c.oid";
