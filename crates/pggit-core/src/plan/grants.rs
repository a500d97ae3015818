//! Privileges: the `GRANT` and `REVOKE` statements that turn the
//! privileges of each object in tree `old` into those in tree `new`.
//!
//! An object without an [`Object::Grants`] holds what PostgreSQL gives a
//! new object of its kind ([`Grants::default_for`]). A created or re-created
//! object starts from that default; a kept one from its old privileges.
//! Privileges of the owner are not tracked (they follow the owner).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::model::{DefaultGrants, Grants, Id, Object, Privilege};
use crate::plan::PlanError;
use crate::sql::{ident, Statement, Writer};
use crate::tree::Tree;

/// `(grantee, privilege) -> grantable`
type Set = BTreeMap<(String, String), bool>;

fn set(list: &[Privilege]) -> Set {
    list.iter()
        .map(|p| ((p.grantee.clone(), p.privilege.clone()), p.grantable))
        .collect()
}

fn grants_of(tree: &Tree) -> BTreeMap<&Id, (&Id, &Grants)> {
    tree.entries
        .iter()
        .filter_map(|(id, e)| match &e.object {
            Object::Grants(g) => Some((&g.target, (id, g))),
            _ => None,
        })
        .collect()
}

/// Statements for every object whose privileges differ, with the id each
/// is about. `recreated`: objects this migration drops and creates again
/// (they come back with the default privileges of their kind).
pub(crate) fn sync(
    old: &Tree,
    new: &Tree,
    recreated: &HashSet<Id>,
) -> Result<Vec<(Statement, Id)>, PlanError> {
    let (before, after) = (grants_of(old), grants_of(new));
    let mut targets: BTreeSet<&Id> = before.keys().chain(after.keys()).copied().collect();
    // Objects created while default privileges are set may have been given
    // some: they are checked too.
    let defaults_set = old
        .entries
        .values()
        .any(|e| matches!(e.object, Object::DefaultGrants(_)));
    if defaults_set {
        targets.extend(
            new.entries
                .iter()
                .filter(|(id, e)| {
                    (!old.entries.contains_key(*id) || recreated.contains(*id))
                        && !applicable_defaults(old, &e.object).is_empty()
                })
                .map(|(id, _)| id),
        );
    }
    let mut out = Vec::new();
    out.extend(identity_sequences(old, new, recreated, defaults_set)?);
    for target in targets {
        let Some(object) = new.get(target) else {
            continue; // dropped: its privileges go with it
        };
        let kept = old.get(target).is_some() && !recreated.contains(target);
        let from = match (kept, before.get(target)) {
            (true, Some((_, g))) => set(&g.privileges),
            (true, None) => set(&Grants::default_for(old.get(target).unwrap_or(object))),
            // `CREATE SCHEMA public` gives only the owner privileges.
            (false, _) if matches!(object, Object::Schema { name, .. } if name == "public") => {
                Set::new()
            }
            (false, _) => set(&Grants::default_for(object)),
        };
        let to = match after.get(target) {
            Some((_, g)) => set(&g.privileges),
            None => set(&Grants::default_for(object)),
        };
        let owner = after
            .get(target)
            .or(before.get(target))
            .map(|(id, _)| (*id).clone())
            .unwrap_or_else(|| target.clone());
        let (kw, name) = on_target(new, object);
        let statements = if kept {
            changes(&from, &to, kw, &name, None)?
        } else {
            // A new object may also have been given the default privileges
            // the database had when it was created (`ALTER DEFAULT
            // PRIVILEGES`, for whichever role creates it): revoke what the
            // new tree does not have, grant all it has.
            created(&from, &applicable_defaults(old, object), &to, kw, &name)?
        };
        for s in statements {
            out.push((s, owner.clone()));
        }
        // Column privileges (only columns the new table has).
        let cols = |g: Option<&(&Id, &Grants)>| -> BTreeMap<Id, Set> {
            g.map(|(_, g)| g.columns.iter().map(|(c, p)| (c.clone(), set(p))).collect())
                .unwrap_or_default()
        };
        let (old_cols, new_cols) = (
            if kept {
                cols(before.get(target))
            } else {
                BTreeMap::new()
            },
            cols(after.get(target)),
        );
        let Object::Table(t) = object else {
            continue;
        };
        let names: Vec<(&Id, &str)> = t.columns.iter().map(|c| (&c.id, c.name.as_str())).collect();
        for (col, name_of) in &names {
            let empty = Set::new();
            let (a, b) = (
                old_cols.get(*col).unwrap_or(&empty),
                new_cols.get(*col).unwrap_or(&empty),
            );
            for s in changes(a, b, kw, &name, Some(name_of))? {
                out.push((s, owner.clone()));
            }
        }
    }
    Ok(out)
}

/// Privileges on identity sequences, which are not objects of their own
/// here but part of their column's identity. One kept is changed from its
/// old privileges; one the migration creates (with a new or re-created
/// table, or a column made identity) starts from what default privileges
/// for sequences give it.
fn identity_sequences(
    old: &Tree,
    new: &Tree,
    recreated: &HashSet<Id>,
    defaults_set: bool,
) -> Result<Vec<(Statement, Id)>, PlanError> {
    let mut out = Vec::new();
    for (id, e) in &new.entries {
        let Object::Table(t) = &e.object else {
            continue;
        };
        let before = match old.get(id) {
            Some(Object::Table(o)) if !recreated.contains(id) => Some(o),
            _ => None,
        };
        for c in &t.columns {
            let Some(identity) = &c.identity else {
                continue;
            };
            let to = set(&identity.privileges);
            let kept = before
                .and_then(|o| o.columns.iter().find(|x| x.id == c.id))
                .and_then(|x| x.identity.as_ref());
            // The qualified name, as the catalog spells it.
            let name = &identity.sequence;
            let statements = match kept {
                Some(was) => changes(&set(&was.privileges), &to, "SEQUENCE", name, None)?,
                None => {
                    let given = if defaults_set {
                        defaults_for(old, "sequences", Some(&t.schema))
                    } else {
                        Vec::new()
                    };
                    created(&Set::new(), &given, &to, "SEQUENCE", name)?
                }
            };
            out.extend(statements.into_iter().map(|s| (s, id.clone())));
        }
    }
    Ok(out)
}

/// Statements for an object the migration creates: it starts with `from`
/// (its kind's default) and whatever default privileges `given` it; what
/// `to` lacks is revoked, what `from` lacks is granted.
fn created(
    from: &Set,
    given: &[Privilege],
    to: &Set,
    kw: &'static str,
    name: &str,
) -> Result<Vec<Statement>, PlanError> {
    let mut with_defaults = from.clone();
    for p in given {
        with_defaults
            .entry((p.grantee.clone(), p.privilege.clone()))
            .or_insert(p.grantable);
    }
    let mut s: Vec<Statement> = changes(&with_defaults, to, kw, name, None)?
        .into_iter()
        .filter(|s| s.sql.starts_with("REVOKE"))
        .collect();
    s.extend(
        changes(from, to, kw, name, None)?
            .into_iter()
            .filter(|s| s.sql.starts_with("GRANT")),
    );
    Ok(s)
}

/// Privileges that `ALTER DEFAULT PRIVILEGES` in `tree` gives a new object
/// like `object` (for any role).
fn applicable_defaults(tree: &Tree, object: &Object) -> Vec<Privilege> {
    let Some(objects) = default_kind(object) else {
        return Vec::new();
    };
    defaults_for(tree, objects, object.schema())
}

/// The kind of object `ALTER DEFAULT PRIVILEGES` names for `object`.
fn default_kind(object: &Object) -> Option<&'static str> {
    Some(match object {
        Object::Table(_) | Object::View { .. } => "tables",
        Object::Sequence { .. } => "sequences",
        Object::Function { .. } => "functions",
        Object::Enum { .. }
        | Object::Composite { .. }
        | Object::Domain { .. }
        | Object::Range { .. } => "types",
        Object::Schema { .. } => "schemas",
        _ => return None,
    })
}

/// Privileges that `ALTER DEFAULT PRIVILEGES` in `tree` gives a new object
/// of kind `objects` (`tables`, `sequences`, ...) in `schema`.
fn defaults_for(tree: &Tree, objects: &str, schema: Option<&str>) -> Vec<Privilege> {
    tree.entries
        .values()
        .filter_map(|e| match &e.object {
            Object::DefaultGrants(d)
                if d.objects == objects
                    && (d.schema.is_none() || d.schema.as_deref() == schema) =>
            {
                Some(d.privileges.iter().cloned())
            }
            _ => None,
        })
        .flatten()
        .collect()
}

/// `ALTER DEFAULT PRIVILEGES` statements for every role, schema and kind
/// of object whose default privileges differ, with the id each is about.
/// Defaults in a schema that the new tree no longer has went with it.
pub(crate) fn sync_defaults(old: &Tree, new: &Tree) -> Result<Vec<(Statement, Id)>, PlanError> {
    let of = |tree: &Tree| -> BTreeMap<(String, Option<String>, String), (Id, DefaultGrants)> {
        tree.entries
            .iter()
            .filter_map(|(id, e)| match &e.object {
                Object::DefaultGrants(d) => Some((
                    (d.role.clone(), d.schema.clone(), d.objects.clone()),
                    (id.clone(), d.clone()),
                )),
                _ => None,
            })
            .collect()
    };
    let (before, after) = (of(old), of(new));
    let schemas: HashSet<&str> = new
        .entries
        .values()
        .filter_map(|e| match &e.object {
            Object::Schema { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let keys: BTreeSet<_> = before.keys().chain(after.keys()).cloned().collect();
    let mut out = Vec::new();
    for key in keys {
        if key.1.as_deref().is_some_and(|s| !schemas.contains(s)) {
            continue;
        }
        let (id, any) = after
            .get(&key)
            .or_else(|| before.get(&key))
            .map(|(id, d)| (id.clone(), d.clone()))
            .expect("the key came from one of the maps");
        let from = set(&before
            .get(&key)
            .map(|(_, d)| d.privileges.clone())
            .unwrap_or_else(|| any.baseline()));
        let to = set(&after
            .get(&key)
            .map(|(_, d)| d.privileges.clone())
            .unwrap_or_else(|| any.baseline()));
        let objects: &'static str = match any.objects.as_str() {
            "tables" => "TABLES",
            "sequences" => "SEQUENCES",
            "functions" => "FUNCTIONS",
            "types" => "TYPES",
            "schemas" => "SCHEMAS",
            other => {
                return Err(PlanError::Unsupported(format!(
                    "unknown kind of default privileges {other:?}"
                )))
            }
        };
        let mut prefix = format!("FOR ROLE {}", ident(&any.role));
        if let Some(s) = &any.schema {
            prefix.push_str(&format!(" IN SCHEMA {}", ident(s)));
        }
        for s in changes(&from, &to, objects, "", None)? {
            // `GRANT p ON TABLES TO r` as an ALTER DEFAULT PRIVILEGES clause.
            out.push((
                Writer::new("ALTER DEFAULT PRIVILEGES")
                    .quoted(&prefix)
                    .quoted(&s.sql)
                    .build(),
                id.clone(),
            ));
        }
    }
    Ok(out)
}

/// The `ON ...` keyword and name of a grant's object.
fn on_target(tree: &Tree, object: &Object) -> (&'static str, String) {
    let (kw, name) = crate::plan::render::comment_target(tree, object);
    match kw {
        "VIEW" | "MATERIALIZED VIEW" | "FOREIGN TABLE" => ("TABLE", name),
        // `GRANT ... ON FUNCTION` names aggregates too; one without
        // arguments is `name()` there, not `name(*)`.
        "AGGREGATE" => match name.strip_suffix("(*)") {
            Some(base) => ("FUNCTION", format!("{base}()")),
            None => ("FUNCTION", name),
        },
        other => (other, name),
    }
}

/// A privilege name from the catalog as a keyword.
fn keyword(privilege: &str) -> Result<&'static str, PlanError> {
    Ok(match privilege {
        "SELECT" => "SELECT",
        "INSERT" => "INSERT",
        "UPDATE" => "UPDATE",
        "DELETE" => "DELETE",
        "TRUNCATE" => "TRUNCATE",
        "REFERENCES" => "REFERENCES",
        "TRIGGER" => "TRIGGER",
        "EXECUTE" => "EXECUTE",
        "USAGE" => "USAGE",
        "CREATE" => "CREATE",
        "MAINTAIN" => "MAINTAIN",
        other => {
            return Err(PlanError::Unsupported(format!(
                "unknown privilege {other:?}"
            )))
        }
    })
}

fn grantee(name: &str) -> String {
    if name.is_empty() {
        "PUBLIC".into()
    } else {
        ident(name)
    }
}

/// GRANT/REVOKE statements from `from` to `to` on `kw name` (a column of
/// it when `column` is given).
fn changes(
    from: &Set,
    to: &Set,
    kw: &'static str,
    name: &str,
    column: Option<&str>,
) -> Result<Vec<Statement>, PlanError> {
    let mut out = Vec::new();
    let privilege = |w: Writer, p: &str| -> Result<Writer, PlanError> {
        let w = w.kw(keyword(p)?);
        Ok(match column {
            Some(c) => w.glue(" (").quoted(&ident(c)).glue(")"),
            None => w,
        })
    };
    for ((who, p), grantable) in from {
        match to.get(&(who.clone(), p.clone())) {
            None => out.push(
                privilege(Writer::new("REVOKE"), p)?
                    .kw("ON")
                    .kw(kw)
                    .quoted(name)
                    .kw("FROM")
                    .quoted(&grantee(who))
                    .build(),
            ),
            Some(false) if *grantable => out.push(
                privilege(Writer::new("REVOKE GRANT OPTION FOR"), p)?
                    .kw("ON")
                    .kw(kw)
                    .quoted(name)
                    .kw("FROM")
                    .quoted(&grantee(who))
                    .build(),
            ),
            _ => {}
        }
    }
    for ((who, p), grantable) in to {
        let had = from.get(&(who.clone(), p.clone()));
        if had.is_some() && (had == Some(grantable) || !*grantable) {
            continue;
        }
        let w = privilege(Writer::new("GRANT"), p)?
            .kw("ON")
            .kw(kw)
            .quoted(name)
            .kw("TO")
            .quoted(&grantee(who));
        out.push(if *grantable {
            w.kw("WITH GRANT OPTION").build()
        } else {
            w.build()
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_and_revoke_between_sets() {
        let from = set(&[
            Privilege::new("", "EXECUTE"),
            Privilege::new("app", "USAGE"),
        ]);
        let mut reader = Privilege::new("app", "USAGE");
        reader.grantable = true;
        let to = set(&[reader, Privilege::new("Odd \"role\"", "EXECUTE")]);
        let sql: Vec<String> = changes(&from, &to, "FUNCTION", "public.f(integer)", None)
            .unwrap()
            .into_iter()
            .map(|s| s.sql)
            .collect();
        assert_eq!(
            sql,
            vec![
                "REVOKE EXECUTE ON FUNCTION public.f(integer) FROM PUBLIC",
                "GRANT EXECUTE ON FUNCTION public.f(integer) TO \"Odd \"\"role\"\"\"",
                "GRANT USAGE ON FUNCTION public.f(integer) TO app WITH GRANT OPTION",
            ]
        );
        let back: Vec<String> = changes(&to, &from, "FUNCTION", "public.f(integer)", None)
            .unwrap()
            .into_iter()
            .map(|s| s.sql)
            .collect();
        assert!(back.contains(
            &"REVOKE GRANT OPTION FOR USAGE ON FUNCTION public.f(integer) FROM app".to_string()
        ));
        assert!(keyword("DROP TABLE x").is_err());
    }
}
