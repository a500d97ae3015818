//! Catalog introspection: read the live schema into a [`Tree`] keyed by
//! catalog keys (`rel:OID`, `col:OID:ATTNUM`, ...). Definitions come from
//! PostgreSQL's own deparsers (`pg_get_*def`, `format_type`, `pg_get_expr`)
//! under an empty `search_path`, so every user name is schema-qualified.
//!
//! Everything is read in one REPEATABLE READ transaction, so the snapshot is
//! consistent even while DDL runs concurrently.

use std::collections::{BTreeMap, HashMap, HashSet};

use pggit_core::model::Object;
use pggit_core::progress::{Phase, Progress, Silent};
use pggit_core::{Entry, Tree};
use postgres::{GenericClient, Row};

mod aggregates;
mod ahead;
mod attached;
mod casts;
mod collations;
mod deps;
mod event_triggers;
mod foreign;
mod grants;
mod opclasses;
mod operators;
mod owners;
mod publications;
mod relations;
mod rows;
mod text_search;
mod types;

pub use rows::{is_bookkeeping, Marked, Reference};

use crate::PgError;

/// Which schemas to read.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Schema names to track; empty means every non-system schema.
    pub schemas: Vec<String>,
    /// Tables whose rows are read too (reference data).
    pub reference: Reference,
    /// Leave owners and privileges (`GRANT`) out, for teams whose roles
    /// differ between environments.
    pub skip_privileges: bool,
}

impl Scope {
    /// This scope, reading the rows of exactly the tables whose rows
    /// `tree` holds: what a database built from `tree` is compared with.
    pub fn for_tree(&self, tree: &Tree) -> Scope {
        Scope {
            schemas: self.schemas.clone(),
            reference: Reference::of_tree(tree),
            skip_privileges: self.skip_privileges,
        }
    }
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
    snapshot_in_with(tx, scope, &Silent)
}

/// One catalog reader: schema oids in, objects into the reader.
type Step<C> = fn(&mut Reader<'_, C>, &[u32]) -> Result<(), PgError>;

/// [`snapshot_in`], advancing `progress` by one after each catalog reader.
pub fn snapshot_in_with<C: GenericClient>(
    tx: &mut C,
    scope: &Scope,
    progress: &dyn Progress,
) -> Result<RawTree, PgError> {
    read(
        tx,
        scope,
        progress,
        None,
        &std::sync::atomic::AtomicUsize::new(0),
    )
}

/// [`snapshot_in_with`] with a second connection to the same database (from
/// `helper`, opened on the helper's thread; `None`: read alone), reading the heaviest catalogs ahead in the same snapshot
/// ([`ahead`]). `tx` must be a REPEATABLE READ transaction. Returns the
/// tree and how many of the reader's queries the helper answered.
pub fn snapshot_shared<C: GenericClient>(
    tx: &mut C,
    helper: impl FnOnce() -> Option<postgres::Client> + Send + 'static,
    scope: &Scope,
    progress: &dyn Progress,
) -> Result<(RawTree, usize), PgError> {
    let helper = ahead::export(tx)?.map(|snapshot| ahead::Helper::start(helper, snapshot));
    let served = std::sync::atomic::AtomicUsize::new(0);
    let tree = read(tx, scope, progress, helper, &served)?;
    Ok((tree, served.into_inner()))
}

fn server_version(tx: &mut impl GenericClient) -> Result<i32, PgError> {
    Ok(tx
        .query_one("SELECT current_setting('server_version_num')::int", &[])?
        .get(0))
}

fn read<C: GenericClient>(
    tx: &mut C,
    scope: &Scope,
    progress: &dyn Progress,
    helper: Option<ahead::Helper>,
    served: &std::sync::atomic::AtomicUsize,
) -> Result<RawTree, PgError> {
    // JIT only slows catalog queries down: their cost estimates (correlated
    // subqueries) pass its threshold, and compiling takes longer than running.
    tx.batch_execute("SET LOCAL search_path = ''; SET LOCAL jit = off")?;
    let version = server_version(tx)?;
    let mut r = Reader {
        helper,
        served,
        nsps: Vec::new(),
        tx,
        entries: BTreeMap::new(),
        class_key: HashMap::new(),
        partitions: HashSet::new(),
        type_key: HashMap::new(),
        ext_members: HashSet::new(),
        version,
    };
    // In dependency order: a reader finds what earlier ones read.
    let steps: [Step<C>; 22] = [
        |r, _| r.extensions(),
        |r, n| r.collations(n),
        |r, n| r.text_search(n),
        |r, n| r.types(n),
        |r, n| r.sequences(n),
        |r, n| r.tables(n),
        |r, n| r.views(n),
        |r, _| r.constraints(),
        |r, _| r.indexes(),
        |r, n| r.functions(n),
        |r, n| r.aggregates(n),
        |r, n| r.casts(n),
        |r, n| r.operators(n),
        |r, n| r.operator_classes(n),
        |r, _| r.triggers(),
        |r, _| r.policies(),
        |r, n| r.statistics(n),
        |r, _| r.dependencies(),
        |r, _| r.publications(),
        |r, n| r.event_triggers(n),
        |r, _| r.foreign_data(),
        |r, _| {
            r.owners()?;
            r.grants()
        },
    ];
    let phase = Phase::begin(progress, "reading catalog", steps.len() + 3);
    let nsps = r.schemas(scope)?;
    r.nsps = nsps.clone();
    if let Some(h) = &mut r.helper {
        h.schemas(&nsps);
    }
    phase.advance(1);
    const NAMES: [&str; 22] = [
        "catalog: extensions",
        "catalog: collations",
        "catalog: text search",
        "catalog: types",
        "catalog: sequences",
        "catalog: tables",
        "catalog: views",
        "catalog: constraints",
        "catalog: indexes",
        "catalog: functions",
        "catalog: aggregates",
        "catalog: casts",
        "catalog: operators",
        "catalog: operator classes",
        "catalog: triggers",
        "catalog: policies",
        "catalog: statistics",
        "catalog: dependencies",
        "catalog: publications",
        "catalog: event triggers",
        "catalog: foreign data",
        "catalog: owners and privileges",
    ];
    for (i, (step, name)) in steps.iter().zip(NAMES).enumerate() {
        // Owners and privileges last, unless the repository leaves them out.
        if i + 1 == steps.len() && scope.skip_privileges {
            phase.advance(1);
            continue;
        }
        let _t = crate::trace::span(name);
        step(&mut r, &nsps)?;
        phase.advance(1);
    }
    if !scope.skip_privileges {
        let _t = crate::trace::span("catalog: default privileges");
        r.default_grants(&nsps)?;
    }
    phase.advance(1);
    {
        let _t = crate::trace::span("catalog: reference rows");
        r.reference_rows(&scope.reference)?;
    }
    phase.advance(1);
    let _t = crate::trace::span("catalog: settle");
    Ok(Tree {
        entries: r
            .entries
            .into_iter()
            .map(|(k, mut e)| {
                // Store what a replay of the object gives back.
                pggit_core::settle::settle_object(&mut e.object);
                if scope.skip_privileges {
                    if let Object::Table(t) = &mut e.object {
                        for c in &mut t.columns {
                            if let Some(i) = &mut c.identity {
                                i.privileges.clear();
                            }
                        }
                    }
                }
                (k, std::sync::Arc::new(e))
            })
            .collect(),
    })
}

struct Reader<'a, C: GenericClient> {
    tx: &'a mut C,
    /// A second connection reading the heaviest catalogs ahead.
    helper: Option<ahead::Helper>,
    /// Queries the helper answered.
    served: &'a std::sync::atomic::AtomicUsize,
    /// The schemas read.
    nsps: Vec<u32>,
    entries: BTreeMap<String, Entry>,
    /// pg_class oid -> key of the object that stands for it.
    class_key: HashMap<u32, String>,
    /// Partitions: their columns are the parent's.
    partitions: HashSet<u32>,
    /// pg_type oid -> key (tracked types, row types of relations).
    type_key: HashMap<u32, String>,
    /// (catalog, oid) pairs that belong to extensions.
    ext_members: HashSet<(String, u32)>,
    /// `server_version_num`, read once: some catalogs differ by version.
    version: i32,
}

fn opt(row: &Row, i: usize) -> Option<String> {
    row.get::<_, Option<String>>(i)
}

impl<C: GenericClient> Reader<'_, C> {
    /// Rows of a query the helper may have read ahead (`sql` and `params`
    /// are what it ran), else of `sql` on the reader's connection.
    fn rows(
        &mut self,
        what: ahead::Ahead,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, PgError> {
        if let Some(rows) = self.helper.as_mut().and_then(|h| h.take(what)) {
            self.served
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(rows);
        }
        Ok(self.tx.query(sql, params)?)
    }

    fn add(&mut self, key: String, object: Object, deps: Vec<String>) {
        self.entries.insert(key, Entry { object, deps });
    }

    /// Add a relation (table, view, sequence) in schema `nsp`.
    fn add_relation(&mut self, oid: u32, nsp: u32, object: Object) {
        let key = format!("rel:{oid}");
        self.class_key.insert(oid, key.clone());
        self.add(key, object, vec![format!("nsp:{nsp}")]);
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
}
