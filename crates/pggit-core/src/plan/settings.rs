//! A column's planner and storage settings: `ALTER TABLE ONLY ... ALTER
//! COLUMN ... SET STATISTICS / SET (...) / RESET (...) / SET STORAGE /
//! SET COMPRESSION`, as `pg_dump` writes them.
//!
//! `ONLY`: each of these recurses to inheriting tables otherwise, and an
//! inheriting table's own settings are planned with that table.

use crate::model::{Column, ColumnSettings, Object};
use crate::sql::{Statement, Writer};
use crate::tree::Tree;

/// The statements that take column `name` of table `t` (quoted) from `was`
/// to `now`. `retyped`: the column's type was just changed, which gave it
/// its new type's storage and the default compression.
pub fn change(
    t: &str,
    foreign: bool,
    name: &str,
    was: &ColumnSettings,
    now: &ColumnSettings,
    retyped: bool,
) -> Vec<Statement> {
    let ac = || {
        Writer::new(if foreign {
            "ALTER FOREIGN TABLE ONLY"
        } else {
            "ALTER TABLE ONLY"
        })
        .quoted(t)
        .kw("ALTER COLUMN")
        .ident(name)
    };
    let mut out = Vec::new();
    if was.statistics != now.statistics {
        out.push(
            ac().kw("SET STATISTICS")
                .int(now.statistics.map_or(-1, i64::from))
                .build(),
        );
    }
    let key = |o: &String| o.split('=').next().unwrap_or_default().to_string();
    let removed: Vec<String> = was
        .options
        .iter()
        .map(key)
        .filter(|k| !now.options.iter().any(|n| key(n) == *k))
        .collect();
    if !removed.is_empty() {
        out.push(
            ac().kw("RESET (")
                .def(&removed.join(", "))
                .glue(")")
                .build(),
        );
    }
    if was.options != now.options && !now.options.is_empty() {
        out.push(
            ac().kw("SET (")
                .def(&now.options.join(", "))
                .glue(")")
                .build(),
        );
    }
    // A type change resets both: only what differs from that is set.
    let storage_was = if retyped { None } else { was.storage.as_ref() };
    if storage_was != now.storage.as_ref() {
        let mode = match (&now.storage, storage_was) {
            (Some(s), _) => Some(&s.mode),
            (None, Some(s)) => Some(&s.type_default),
            (None, None) => None,
        };
        if let Some(mode) = mode {
            out.push(ac().kw("SET STORAGE").ident(mode).build());
        }
    }
    let compression_was = if retyped {
        None
    } else {
        was.compression.as_ref()
    };
    if compression_was != now.compression.as_ref() {
        out.push(match &now.compression {
            Some(m) => ac().kw("SET COMPRESSION").ident(m).build(),
            None => ac().kw("SET COMPRESSION DEFAULT").build(),
        });
    }
    out
}

/// What a column of a table created with `INHERITS` or `PARTITION OF`
/// starts with: its parent column's storage and compression (PostgreSQL
/// copies those, not the statistics target or options).
pub fn inherited(parent: &Column) -> ColumnSettings {
    ColumnSettings {
        storage: parent.settings.storage.clone(),
        compression: parent.settings.compression.clone(),
        ..ColumnSettings::default()
    }
}

/// `CLUSTER ON` and expression-column statistics targets of an index (or
/// of the index behind a key), from `old` (none: just created) to `new`.
/// `tree` is the new tree: a table is only marked `SET WITHOUT CLUSTER`
/// when none of its other indexes is clustered there (`CLUSTER ON` moves
/// the mark by itself, whatever the order of the statements).
pub fn index(tree: &Tree, old: Option<&Object>, new: &Object) -> Vec<Statement> {
    let (table, name, clustered, statistics) = match new {
        Object::Index {
            table,
            name,
            clustered,
            statistics,
            ..
        } => (table, name, *clustered, statistics.as_slice()),
        Object::Constraint {
            table,
            name,
            clustered,
            ..
        } => (table, name, *clustered, &[][..]),
        _ => return Vec::new(),
    };
    let (was_clustered, was_statistics) = match old {
        Some(Object::Index {
            clustered,
            statistics,
            ..
        }) => (*clustered, statistics.as_slice()),
        Some(Object::Constraint { clustered, .. }) => (*clustered, &[][..]),
        _ => (false, &[][..]),
    };
    let mut out = Vec::new();
    let alter_table = || {
        let kw = match tree.get(table) {
            Some(Object::View { .. }) => "ALTER MATERIALIZED VIEW",
            _ => "ALTER TABLE",
        };
        Writer::new(kw).quoted(&tree.qualified(table))
    };
    if clustered && !was_clustered {
        out.push(alter_table().kw("CLUSTER ON").ident(name).build());
    }
    if was_clustered && !clustered && !clustered_elsewhere(tree, table, name) {
        out.push(alter_table().kw("SET WITHOUT CLUSTER").build());
    }
    let index = super::render::index_qname(tree, table, name);
    for (column, target) in statistics {
        if !was_statistics.contains(&(*column, *target)) {
            out.push(statistics_target(&index, *column, i64::from(*target)));
        }
    }
    for (column, _) in was_statistics {
        if !statistics.iter().any(|(c, _)| c == column) {
            out.push(statistics_target(&index, *column, -1));
        }
    }
    out
}

/// Statistics targets of the indexes of `table` after a column type change,
/// which rebuilds them without their targets (it keeps `CLUSTER ON`);
/// `skip`: indexes created or re-created by the migration anyway.
pub fn after_rebuild(tree: &Tree, table: &str, skip: &dyn Fn(&str) -> bool) -> Vec<Statement> {
    let mut out = Vec::new();
    for (id, e) in &tree.entries {
        if let Object::Index {
            table: t,
            name,
            statistics,
            ..
        } = &e.object
        {
            if t == table && !statistics.is_empty() && !skip(id) {
                let index = super::render::index_qname(tree, table, name);
                for (column, target) in statistics {
                    out.push(statistics_target(&index, *column, i64::from(*target)));
                }
            }
        }
    }
    out
}

fn statistics_target(index: &str, column: i32, target: i64) -> Statement {
    Writer::new("ALTER INDEX")
        .quoted(index)
        .kw("ALTER COLUMN")
        .int(i64::from(column))
        .kw("SET STATISTICS")
        .int(target)
        .build()
}

/// Whether another index or key of `table` is clustered in `tree`.
fn clustered_elsewhere(tree: &Tree, table: &str, this: &str) -> bool {
    tree.entries.values().any(|e| match &e.object {
        Object::Index {
            table: t,
            name,
            clustered,
            ..
        }
        | Object::Constraint {
            table: t,
            name,
            clustered,
            ..
        } => t == table && name != this && *clustered,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Storage;

    fn sql(s: Vec<Statement>) -> Vec<String> {
        s.into_iter().map(|s| s.sql).collect()
    }

    fn external() -> Option<Storage> {
        Some(Storage {
            mode: "external".into(),
            type_default: "extended".into(),
        })
    }

    #[test]
    fn each_setting_set_and_reset() {
        let set = ColumnSettings {
            statistics: Some(500),
            storage: external(),
            options: vec!["n_distinct=-1".into(), "n_distinct_inherited=5".into()],
            compression: Some("pglz".into()),
        };
        let none = ColumnSettings::default();
        assert_eq!(
            sql(change("public.t", false, "v", &none, &set, false)),
            [
                "ALTER TABLE ONLY public.t ALTER COLUMN v SET STATISTICS 500",
                "ALTER TABLE ONLY public.t ALTER COLUMN v SET (n_distinct=-1, n_distinct_inherited=5)",
                "ALTER TABLE ONLY public.t ALTER COLUMN v SET STORAGE external",
                "ALTER TABLE ONLY public.t ALTER COLUMN v SET COMPRESSION pglz",
            ]
        );
        assert_eq!(
            sql(change("public.t", false, "v", &set, &none, false)),
            [
                "ALTER TABLE ONLY public.t ALTER COLUMN v SET STATISTICS -1",
                "ALTER TABLE ONLY public.t ALTER COLUMN v RESET (n_distinct, n_distinct_inherited)",
                "ALTER TABLE ONLY public.t ALTER COLUMN v SET STORAGE extended",
                "ALTER TABLE ONLY public.t ALTER COLUMN v SET COMPRESSION DEFAULT",
            ]
        );
        assert!(change("public.t", false, "v", &set, &set, false).is_empty());
    }

    #[test]
    fn a_type_change_resets_storage_and_compression() {
        let set = ColumnSettings {
            storage: external(),
            compression: Some("pglz".into()),
            ..ColumnSettings::default()
        };
        let none = ColumnSettings::default();
        // Back to the defaults: the type change did it.
        assert!(change("public.t", false, "v", &set, &none, true).is_empty());
        // Kept: set again after the type change.
        assert_eq!(
            sql(change("public.t", false, "v", &set, &set, true)),
            [
                "ALTER TABLE ONLY public.t ALTER COLUMN v SET STORAGE external",
                "ALTER TABLE ONLY public.t ALTER COLUMN v SET COMPRESSION pglz",
            ]
        );
    }

    #[test]
    fn hostile_names_are_quoted() {
        let set = ColumnSettings {
            statistics: Some(1),
            ..ColumnSettings::default()
        };
        let out = sql(change(
            "\"a\"\"; drop table x; --\"",
            true,
            "c\"; drop",
            &ColumnSettings::default(),
            &set,
            false,
        ));
        assert_eq!(
            out,
            ["ALTER FOREIGN TABLE ONLY \"a\"\"; drop table x; --\" ALTER COLUMN \"c\"\"; drop\" SET STATISTICS 1"]
        );
    }
}
