//! Objects attached to a table: constraints, indexes, triggers, policies.

use std::collections::HashSet;

use pggit_core::model::Object;
use postgres::GenericClient;

use super::ahead::Ahead;
use super::{opt, Reader};
use crate::PgError;

/// A key's definition with its index's storage parameters (`WITH (...)`),
/// placed before the constraint attributes as the grammar wants them.
fn with_index_options(definition: String, options: Option<String>) -> String {
    let Some(options) = options.filter(|o| !o.is_empty()) else {
        return definition;
    };
    let with = format!(" WITH ({options})");
    let at = [" DEFERRABLE", " NOT DEFERRABLE", " INITIALLY"]
        .iter()
        .filter_map(|k| definition.find(k))
        .min()
        .unwrap_or(definition.len());
    format!("{}{with}{}", &definition[..at], &definition[at..])
}

impl<C: GenericClient> Reader<'_, C> {
    pub(super) fn constraints(&mut self) -> Result<(), PgError> {
        let rels: HashSet<u32> = self.tracked_relations().into_iter().collect();
        let nsps = self.nsps.clone();
        let rows = self.rows(Ahead::Constraints, CONSTRAINTS_SQL, &[&nsps])?;
        for row in rows {
            let oid: u32 = row.get(0);
            let rel: u32 = row.get(1);
            if !rels.contains(&rel) {
                continue;
            }
            let index: u32 = row.get(5);
            let key = format!("con:{oid}");
            let definition = with_index_options(row.get(3), opt(&row, 7));
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
                    index_comment: opt(&row, 6),
                    clustered: row.get(8),
                },
                vec![],
            );
        }
        Ok(())
    }

    pub(super) fn indexes(&mut self) -> Result<(), PgError> {
        let rels: HashSet<u32> = self.tracked_relations().into_iter().collect();
        let nsps = self.nsps.clone();
        let rows = self.rows(Ahead::Indexes, INDEXES_SQL, &[&nsps])?;
        for row in rows {
            let oid: u32 = row.get(0);
            let rel: u32 = row.get(1);
            if !rels.contains(&rel) {
                continue;
            }
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
                    clustered: row.get(7),
                    statistics: row
                        .get::<_, Vec<i32>>(8)
                        .into_iter()
                        .zip(row.get::<_, Vec<i32>>(9))
                        .collect(),
                },
                vec![],
            );
        }
        Ok(())
    }

    pub(super) fn triggers(&mut self) -> Result<(), PgError> {
        let rels = self.tracked_relations();
        let rows = self.tx.query(
            "SELECT t.oid, t.tgrelid, t.tgname::text, pg_get_triggerdef(t.oid), t.tgconstraint <> 0,
                    'CREATE ' || CASE WHEN t.tgconstraint <> 0 THEN 'CONSTRAINT ' ELSE '' END || 'TRIGGER '
                      || quote_ident(t.tgname) || ' ',
                    obj_description(t.oid, 'pg_trigger'),
                    CASE t.tgenabled WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica'
                                     WHEN 'A' THEN 'always' END
               FROM pg_trigger t
              WHERE t.tgrelid = ANY($1) AND NOT t.tgisinternal AND t.tgparentid = 0
                -- pggit's own row-history triggers are not part of the user's schema
                AND NOT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                                 WHERE p.oid = t.tgfoid AND n.nspname = 'pggit')
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
                    enabled: row.get(7),
                    comment: opt(&row, 6),
                },
                vec![],
            );
        }
        Ok(())
    }

    pub(super) fn policies(&mut self) -> Result<(), PgError> {
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

    /// Extended statistics (`CREATE STATISTICS`) on tracked relations, in
    /// tracked schemas. The definition is `pg_get_statisticsobjdef`'s text
    /// between the qualified name and ` FROM table` (both always qualified:
    /// `search_path` is empty here).
    pub(super) fn statistics(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        let rels = self.tracked_relations();
        let rows = self.tx.query(
            "SELECT s.oid, s.stxrelid, n.nspname::text, s.stxname::text, pg_get_statisticsobjdef(s.oid),
                    'CREATE STATISTICS ' || quote_ident(n.nspname) || '.' || quote_ident(s.stxname),
                    ' FROM ' || quote_ident(tn.nspname) || '.' || quote_ident(t.relname),
                    nullif(s.stxstattarget, -1)::int,
                    obj_description(s.oid, 'pg_statistic_ext')
               FROM pg_statistic_ext s
               JOIN pg_namespace n ON n.oid = s.stxnamespace
               JOIN pg_class t ON t.oid = s.stxrelid
               JOIN pg_namespace tn ON tn.oid = t.relnamespace
              WHERE s.stxrelid = ANY($1) AND s.stxnamespace = ANY($2)
              ORDER BY s.oid",
            &[&rels, &nsps],
        )?;
        for row in rows {
            let oid: u32 = row.get(0);
            if self.member("pg_statistic_ext", oid) {
                continue;
            }
            let rel: u32 = row.get(1);
            let def: String = row.get(4);
            let (head, tail): (String, String) = (row.get(5), row.get(6));
            let Some(definition) = def.strip_prefix(&head).and_then(|d| d.strip_suffix(&tail))
            else {
                return Err(PgError::Unexpected(format!(
                    "statistics definition is not of the form {head} ...{tail}: {def}"
                )));
            };
            self.add(
                format!("stx:{oid}"),
                Object::Statistics {
                    table: format!("rel:{rel}"),
                    schema: row.get(2),
                    name: row.get(3),
                    definition: definition.trim().to_string(),
                    target: row.get(7),
                    comment: opt(&row, 8),
                },
                vec![],
            );
        }
        Ok(())
    }
}

/// Constraints of the relations in the schemas `$1` (the caller keeps those of
/// tracked relations).
pub(super) const CONSTRAINTS_SQL: &str = "SELECT k.oid, k.conrelid, k.conname::text, pg_get_constraintdef(k.oid), kd.description, k.conindid,
                    CASE WHEN k.contype <> 'f' AND k.conindid <> 0 THEN id.description END,
                    -- storage parameters of the key's index: pg_get_constraintdef leaves them out
                    CASE WHEN k.contype IN ('p', 'u') AND k.conindid <> 0 THEN
                      (SELECT array_to_string(i.reloptions, ', ') FROM pg_class i WHERE i.oid = k.conindid) END,
                    k.contype IN ('p', 'u', 'x') AND coalesce((SELECT x.indisclustered FROM pg_index x
                                                              WHERE x.indexrelid = k.conindid), false)
               FROM pg_constraint k
               LEFT JOIN pg_description kd ON kd.objoid = k.oid AND kd.classoid = 'pg_constraint'::regclass
                    AND kd.objsubid = 0
               LEFT JOIN pg_description id ON id.objoid = k.conindid AND id.classoid = 'pg_class'::regclass
                    AND id.objsubid = 0
              WHERE k.conrelid IN (SELECT r.oid FROM pg_class r WHERE r.relnamespace = ANY($1))
                AND k.contype IN ('c', 'f', 'p', 'u', 'x')
                AND k.conparentid = 0 AND k.conislocal
              ORDER BY k.oid";

/// Indexes of the relations in the schemas `$1` that back no constraint (the
/// caller keeps those of tracked relations).
pub(super) const INDEXES_SQL: &str = "SELECT i.oid, x.indrelid, i.relname::text, x.indisunique, pg_get_indexdef(i.oid),
                    'CREATE ' || CASE WHEN x.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX '
                      || quote_ident(i.relname) || ' ON ' || CASE WHEN i.relkind = 'I' THEN 'ONLY ' ELSE '' END
                      || quote_ident(n.nspname) || '.' || quote_ident(t.relname) || ' ',
                    d.description, x.indisclustered,
                    -- statistics targets set on expression columns (PostgreSQL 17: NULL when unset)
                    coalesce((SELECT array_agg(a.attnum::int4 ORDER BY a.attnum) FROM pg_attribute a
                               WHERE a.attrelid = i.oid AND a.attstattarget <> -1), '{}'),
                    coalesce((SELECT array_agg(a.attstattarget::int4 ORDER BY a.attnum) FROM pg_attribute a
                               WHERE a.attrelid = i.oid AND a.attstattarget <> -1), '{}')
               FROM pg_index x
               JOIN pg_class i ON i.oid = x.indexrelid
               JOIN pg_class t ON t.oid = x.indrelid
               JOIN pg_namespace n ON n.oid = t.relnamespace
               LEFT JOIN pg_description d ON d.objoid = i.oid AND d.classoid = 'pg_class'::regclass
                    AND d.objsubid = 0
              WHERE t.relnamespace = ANY($1) AND NOT i.relispartition
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid
                                 AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u', 'x'))
              ORDER BY i.oid";
