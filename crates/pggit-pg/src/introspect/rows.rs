//! Reference data: the rows of migration tools' bookkeeping tables
//! (`django_migrations`, `schema_migrations`, ...) and of tables a user
//! marked, read into [`Object::Rows`] so that they are versioned with the
//! schema and a branch's workspace carries them.
//!
//! Values are read as text under fixed settings (ISO dates in UTC, shortest
//! exact floats, hex bytea), which is what their types read back exactly.

use std::collections::{HashMap, HashSet};

use pggit_core::model::{Object, Rows};
use pggit_core::sql::{ident, qname};
use postgres::GenericClient;

use super::Reader;
use crate::PgError;

/// A migration tool's bookkeeping table: its name and, where the primary
/// key is a surrogate (`serial`) that two branches would both assign, the
/// natural key its rows are matched by instead.
struct Bookkeeping {
    name: &'static str,
    key: &'static [&'static str],
}

/// Bookkeeping tables of the migration tools teams use, found by name in
/// any tracked schema.
const BOOKKEEPING: &[Bookkeeping] = &[
    // Django
    Bookkeeping {
        name: "django_migrations",
        key: &["app", "name"],
    },
    // Rails (and golang-migrate's schema_migrations)
    Bookkeeping {
        name: "schema_migrations",
        key: &[],
    },
    Bookkeeping {
        name: "ar_internal_metadata",
        key: &[],
    },
    // Flyway
    Bookkeeping {
        name: "flyway_schema_history",
        key: &[],
    },
    // Alembic
    Bookkeeping {
        name: "alembic_version",
        key: &[],
    },
    // Entity Framework
    Bookkeeping {
        name: "__EFMigrationsHistory",
        key: &[],
    },
    // Knex
    Bookkeeping {
        name: "knex_migrations",
        key: &["name"],
    },
    Bookkeeping {
        name: "knex_migrations_lock",
        key: &[],
    },
    // goose
    Bookkeeping {
        name: "goose_db_version",
        key: &[],
    },
    // Prisma
    Bookkeeping {
        name: "_prisma_migrations",
        key: &[],
    },
    // Atlas
    Bookkeeping {
        name: "atlas_schema_revisions",
        key: &[],
    },
    // Sequelize
    Bookkeeping {
        name: "SequelizeMeta",
        key: &[],
    },
    // sqlx
    Bookkeeping {
        name: "_sqlx_migrations",
        key: &[],
    },
    // Diesel
    Bookkeeping {
        name: "__diesel_schema_migrations",
        key: &[],
    },
    // Liquibase (no primary key on the changelog)
    Bookkeeping {
        name: "databasechangelog",
        key: &["id", "author", "filename"],
    },
    Bookkeeping {
        name: "databasechangeloglock",
        key: &[],
    },
];

/// Whether a table name is a known migration tool's bookkeeping table.
pub fn is_bookkeeping(name: &str) -> bool {
    BOOKKEEPING.iter().any(|b| b.name == name)
}

/// A table the user marked as reference data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Marked {
    pub schema: String,
    pub name: String,
    /// Key columns; empty means the primary key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key: Vec<String>,
}

/// Which tables' rows a snapshot reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reference {
    /// Read the bookkeeping tables of migration tools, found by name.
    #[serde(default)]
    pub bookkeeping: bool,
    /// Tables marked as reference data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marked: Vec<Marked>,
    /// Bookkeeping tables not to read (`schema`, `name`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<(String, String)>,
}

impl Reference {
    /// Exactly the tables whose rows `tree` holds, keyed as there: what a
    /// database built from `tree` must be compared with.
    pub fn of_tree(tree: &pggit_core::Tree) -> Reference {
        let mut marked = Vec::new();
        for e in tree.entries.values() {
            let Object::Rows(r) = &e.object else { continue };
            let Some(Object::Table(t)) = tree.get(&r.table) else {
                continue;
            };
            let key = r
                .key
                .iter()
                .filter_map(|k| t.columns.iter().find(|c| &c.id == k))
                .map(|c| c.name.clone())
                .collect();
            marked.push(Marked {
                schema: t.schema.clone(),
                name: t.name.clone(),
                key,
            });
        }
        marked.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        Reference {
            bookkeeping: false,
            marked,
            excluded: Vec::new(),
        }
    }

    /// The key a table is read with: `Some(names)` (empty for the primary
    /// key) when the table is reference data, `None` otherwise.
    fn key_for(&self, schema: &str, name: &str) -> Option<Vec<String>> {
        if let Some(m) = self
            .marked
            .iter()
            .find(|m| m.schema == schema && m.name == name)
        {
            return Some(m.key.clone());
        }
        if !self.bookkeeping || self.excluded.iter().any(|(s, n)| s == schema && n == name) {
            return None;
        }
        BOOKKEEPING
            .iter()
            .find(|b| b.name == name)
            .map(|b| b.key.iter().map(|k| k.to_string()).collect())
    }
}

/// One column of a candidate table.
struct Col {
    attnum: i32,
    name: String,
    not_null: bool,
    /// Identity, or a default drawn from a sequence.
    sequenced: bool,
    generated: bool,
    primary: bool,
}

impl<C: GenericClient> Reader<'_, C> {
    /// Read the rows of reference-data tables among the tables read.
    pub(super) fn reference_rows(&mut self, reference: &Reference) -> Result<(), PgError> {
        let mut names: Vec<String> = reference.marked.iter().map(|m| m.name.clone()).collect();
        if reference.bookkeeping {
            names.extend(BOOKKEEPING.iter().map(|b| b.name.to_string()));
        }
        if names.is_empty() {
            return Ok(());
        }
        let tables = self.tx.query(
            "SELECT c.oid, n.nspname::text, c.relname::text, c.relkind = 'p'
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND c.relname = ANY($1)
              ORDER BY c.oid",
            &[&names],
        )?;
        let mut wanted: Vec<(u32, String, String, bool, Vec<String>)> = Vec::new();
        for t in &tables {
            let (oid, schema, name): (u32, String, String) = (t.get(0), t.get(1), t.get(2));
            if !self.entries.contains_key(&format!("rel:{oid}")) || self.partitions.contains(&oid) {
                continue; // outside the tracked schemas, or a partition
            }
            if let Some(key) = reference.key_for(&schema, &name) {
                wanted.push((oid, schema, name, t.get(3), key));
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let oids: Vec<u32> = wanted.iter().map(|w| w.0).collect();
        let cols = self.tx.query(
            "SELECT a.attrelid, a.attnum::int4, a.attname::text, a.attnotnull,
                    a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false),
                    a.attgenerated <> '',
                    EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary
                              AND a.attnum = ANY(i.indkey))
               FROM pg_attribute a
               LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
              WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attrelid, a.attnum",
            &[&oids],
        )?;
        let mut by_table: HashMap<u32, Vec<Col>> = HashMap::new();
        for c in cols {
            by_table.entry(c.get(0)).or_default().push(Col {
                attnum: c.get(1),
                name: c.get(2),
                not_null: c.get(3),
                sequenced: c.get(4),
                generated: c.get(5),
                primary: c.get(6),
            });
        }
        // Text forms that read back exactly, whatever the session had.
        let saved = self.tx.query_one(
            "SELECT current_setting('DateStyle'), current_setting('IntervalStyle'),
                    current_setting('TimeZone'), current_setting('extra_float_digits'),
                    current_setting('bytea_output')",
            &[],
        )?;
        self.tx.batch_execute(
            "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres';
             SET LOCAL TimeZone = 'UTC'; SET LOCAL extra_float_digits = 1;
             SET LOCAL bytea_output = 'hex'",
        )?;
        let read = self.read_tables(&wanted, &by_table);
        for (i, setting) in [
            "DateStyle",
            "IntervalStyle",
            "TimeZone",
            "extra_float_digits",
            "bytea_output",
        ]
        .iter()
        .enumerate()
        {
            let value: String = saved.get(i);
            self.tx.execute(
                "SELECT pg_catalog.set_config($1, $2, true)",
                &[setting, &value],
            )?;
        }
        read
    }

    fn read_tables(
        &mut self,
        wanted: &[(u32, String, String, bool, Vec<String>)],
        by_table: &HashMap<u32, Vec<Col>>,
    ) -> Result<(), PgError> {
        for (oid, schema, name, partitioned, key_names) in wanted {
            let Some(cols) = by_table.get(oid) else {
                continue;
            };
            let natural: Vec<&Col> = key_names
                .iter()
                .filter_map(|k| cols.iter().find(|c| &c.name == k))
                .collect();
            let (key, natural_key): (Vec<&Col>, bool) = if !natural.is_empty()
                && natural.len() == key_names.len()
                && natural.iter().all(|c| c.not_null)
            {
                (natural, true)
            } else {
                (cols.iter().filter(|c| c.primary).collect(), false)
            };
            if key.is_empty() {
                continue; // no key to match rows by
            }
            let key_nums: HashSet<i32> = key.iter().map(|c| c.attnum).collect();
            let tracked: Vec<&Col> = cols
                .iter()
                .filter(|c| !c.generated)
                .filter(|c| !(natural_key && c.sequenced && !key_nums.contains(&c.attnum)))
                .collect();
            let list: Vec<String> = tracked
                .iter()
                .map(|c| format!("{}::text", ident(&c.name)))
                .collect();
            let sql = format!(
                "SELECT ARRAY[{}]::text[] FROM {}{}",
                list.join(", "),
                if *partitioned { "" } else { "ONLY " },
                qname(schema, name)
            );
            let rows: Vec<Vec<Option<String>>> = self
                .tx
                .query(sql.as_str(), &[])?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let col_id = |c: &Col| format!("col:{oid}:{}", c.attnum);
            let mut r = Rows {
                table: format!("rel:{oid}"),
                columns: tracked.iter().map(|c| col_id(c)).collect(),
                key: key.iter().map(|c| col_id(c)).collect(),
                rows,
            };
            r.sort();
            let deps = vec![format!("rel:{oid}")];
            self.add(format!("rows:{oid}"), Object::Rows(r), deps);
        }
        Ok(())
    }
}
