//! Owners: the `ALTER ... OWNER TO` statements that give each object of
//! tree `new` the owner [`Object::Owner`] records for it.
//!
//! A kept object whose owner changed gets one; so does every object the
//! migration creates or re-creates (it starts out owned by whoever runs the
//! migration). An object that `new` records no owner for (privileges and
//! owners not tracked) is left as it is. These statements run before the
//! privileges are set: changing an owner moves its privileges with it.

use std::collections::{BTreeMap, HashSet};

use crate::model::{Id, Object, Ownership};
use crate::plan::render::comment_target;
use crate::sql::{Statement, Writer};
use crate::tree::Tree;

fn owners_of(tree: &Tree) -> BTreeMap<&Id, (&Id, &Ownership)> {
    tree.entries
        .iter()
        .filter_map(|(id, e)| match &e.object {
            Object::Owner(o) => Some((&o.target, (id, o))),
            _ => None,
        })
        .collect()
}

/// Statements for every object whose owner must be set, with the id of
/// the owner entry each is about. `recreated`: objects this migration drops
/// and creates again.
pub(crate) fn sync(old: &Tree, new: &Tree, recreated: &HashSet<Id>) -> Vec<(Statement, Id)> {
    let before = owners_of(old);
    let mut out = Vec::new();
    for (target, (id, owner)) in owners_of(new) {
        let Some(object) = new.get(target) else {
            continue;
        };
        let kept = old.get(target).is_some() && !recreated.contains(target);
        if kept && before.get(target).map(|(_, o)| &o.role) == Some(&owner.role) {
            continue;
        }
        out.push((owner_to(new, object, &owner.role), id.clone()));
    }
    out
}

/// `ALTER <kind> <object> OWNER TO <role>`.
pub fn owner_to(tree: &Tree, object: &Object, role: &str) -> Statement {
    let (kw, name) = comment_target(tree, object);
    Writer::new("ALTER")
        .kw(kw)
        .quoted(&name)
        .kw("OWNER TO")
        .ident(role)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Object;

    fn tree(objects: Vec<(&str, Object)>) -> Tree {
        Tree::from_objects(objects)
    }

    fn schema(name: &str) -> Object {
        Object::Schema {
            name: name.into(),
            comment: None,
        }
    }

    fn owner(target: &str, role: &str) -> Object {
        Object::Owner(Ownership {
            target: target.into(),
            role: role.into(),
        })
    }

    #[test]
    fn changed_created_and_recreated_objects_get_their_owner() {
        let old = tree(vec![
            ("s1", schema("a")),
            ("o1", owner("s1", "alice")),
            ("s2", schema("b")),
            ("o2", owner("s2", "alice")),
        ]);
        let new = tree(vec![
            ("s1", schema("a")),
            ("o1", owner("s1", "bob")),
            ("s2", schema("b")),
            ("o2", owner("s2", "alice")),
            ("s3", schema("weird\"name")),
            ("o3", owner("s3", "x\"; drop table y; --")),
        ]);
        let sql = |recreated: &HashSet<Id>| -> Vec<String> {
            sync(&old, &new, recreated)
                .into_iter()
                .map(|(s, _)| s.sql)
                .collect()
        };
        assert_eq!(
            sql(&HashSet::new()),
            vec![
                "ALTER SCHEMA a OWNER TO bob",
                "ALTER SCHEMA \"weird\"\"name\" OWNER TO \"x\"\"; drop table y; --\"",
            ]
        );
        let recreated: HashSet<Id> = ["s2".to_string()].into();
        assert_eq!(sql(&recreated).len(), 3);
        // Unchanged: nothing.
        assert!(sync(&new, &new, &HashSet::new()).is_empty());
    }
}
