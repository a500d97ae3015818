//! Changes follow renames, as git applies a change to a moved file.
//!
//! When one side renames a column and the other adds or changes an object
//! whose definition names that column (an index expression, a check, a
//! trigger's `WHEN`, a policy, a column default or generation expression
//! of the same table), the merge must see the definition with the new name.
//! Before merging, every definition in the base and on each side is
//! rewritten with the *other* side's column renames (PostgreSQL already did
//! it on the renaming side), so the merge sees only real changes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::lex::{name_of, tokens};
use crate::model::{Id, Object};
use crate::sql::ident;
use crate::tree::{Entry, Tree};

/// Column renames per table: table id → old name → new name.
type Renames = HashMap<Id, HashMap<String, String>>;

fn column_renames(base: &Tree, side: &Tree) -> Renames {
    let mut out = Renames::new();
    for (id, e) in &base.entries {
        let (Object::Table(b), Some(Object::Table(s))) = (&e.object, side.get(id)) else {
            continue;
        };
        for c in &b.columns {
            if let Some(n) = s.columns.iter().find(|n| n.id == c.id && n.name != c.name) {
                out.entry(id.clone())
                    .or_default()
                    .insert(c.name.clone(), n.name.clone());
            }
        }
    }
    out
}

/// `base`, `target` and `source` with each definition rewritten by the
/// column renames of the side it did not come from (a column renamed on
/// both sides is left alone: that is a conflict of its own).
pub(crate) fn follow(base: &Tree, target: &Tree, source: &Tree) -> Option<(Tree, Tree, Tree)> {
    let mut by_target = column_renames(base, target);
    let mut by_source = column_renames(base, source);
    if by_target.is_empty() && by_source.is_empty() {
        return None;
    }
    for (table, cols) in by_target.iter_mut() {
        if let Some(other) = by_source.get_mut(table) {
            let shared: Vec<String> = cols
                .keys()
                .filter(|old| other.contains_key(*old))
                .cloned()
                .collect();
            for old in &shared {
                cols.remove(old);
                other.remove(old);
            }
        }
    }
    by_target.retain(|_, c| !c.is_empty());
    by_source.retain(|_, c| !c.is_empty());
    let mut both = by_target.clone();
    for (t, c) in &by_source {
        both.entry(t.clone()).or_default().extend(c.clone());
    }
    Some((
        rewrite_tree(base, &both),
        rewrite_tree(target, &by_source),
        rewrite_tree(source, &by_target),
    ))
}

fn rewrite_tree(tree: &Tree, renames: &Renames) -> Tree {
    if renames.is_empty() {
        return tree.clone();
    }
    let mut out = tree.clone();
    let entries: BTreeMap<Id, Arc<Entry>> = tree
        .entries
        .iter()
        .map(|(id, e)| {
            let mut object = e.object.clone();
            rewrite_object(id, &mut object, tree, renames);
            let entry = if object == e.object {
                e.clone()
            } else {
                Arc::new(Entry {
                    object,
                    deps: e.deps.clone(),
                })
            };
            (id.clone(), entry)
        })
        .collect();
    out.entries = entries;
    out
}

fn rewrite_object(id: &Id, object: &mut Object, tree: &Tree, renames: &Renames) {
    let table_of = object.parent_table().cloned();
    let key = match (&*object, table_of) {
        (Object::Table(_), _) => id.clone(),
        (_, Some(t)) => t,
        _ => return,
    };
    let Some(map) = renames.get(&key) else {
        return;
    };
    let table_name = match tree.get(&key) {
        Some(Object::Table(t)) => t.name.clone(),
        _ => String::new(),
    };
    let fix = |s: &mut String| *s = rename_columns(s, map, &table_name);
    match object {
        Object::Index { definition, .. }
        | Object::Constraint { definition, .. }
        | Object::Trigger { definition, .. }
        | Object::Statistics { definition, .. } => fix(definition),
        Object::Policy { using, check, .. } => {
            using.as_mut().map(fix);
            check.as_mut().map(fix);
        }
        Object::Table(t) => {
            for c in &mut t.columns {
                c.default.as_mut().map(fix);
                c.generated.as_mut().map(fix);
            }
        }
        _ => {}
    }
}

/// `text` with every reference to a column in `renames` (old → new)
/// spelled with the new name. A reference is a name token that is not a
/// function name (followed by `(`), not a type (after `::`), not a
/// qualifier (followed by `.`), and, when qualified, qualified by the
/// table itself or by `OLD` / `NEW` (a trigger's `WHEN`).
pub fn rename_columns(text: &str, renames: &HashMap<String, String>, table: &str) -> String {
    let Some(toks) = tokens(text) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (i, tok) in toks.iter().enumerate() {
        let Some(name) = name_of(tok.text) else {
            continue;
        };
        let Some(new) = renames.get(&name) else {
            continue;
        };
        let prev = i.checked_sub(1).map(|p| toks[p].text);
        let next = toks.get(i + 1).map(|t| t.text);
        if next == Some("(") || next == Some(".") || prev == Some("::") {
            continue;
        }
        if prev == Some(".") {
            let qualifier = i.checked_sub(2).and_then(|q| name_of(toks[q].text));
            let ok = qualifier
                .as_deref()
                .is_some_and(|q| q == "old" || q == "new" || q == table);
            if !ok {
                continue;
            }
        }
        out.push_str(&text[copied..tok.start]);
        out.push_str(&ident(new));
        copied = tok.end;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn renames_references_and_nothing_else() {
        let m = map(&[("name", "full_name"), ("lower", "x")]);
        assert_eq!(
            rename_columns(
                "USING btree (lower(name)) WHERE (name IS NOT NULL)",
                &m,
                "users"
            ),
            "USING btree (lower(full_name)) WHERE (full_name IS NOT NULL)"
        );
        assert_eq!(
            rename_columns("CHECK ((name <> 'name'::text))", &m, "users"),
            "CHECK ((full_name <> 'name'::text))"
        );
        assert_eq!(
            rename_columns(
                "BEFORE UPDATE ON public.users FOR EACH ROW WHEN ((old.name IS DISTINCT FROM new.name)) EXECUTE FUNCTION public.f()",
                &m,
                "users"
            ),
            "BEFORE UPDATE ON public.users FOR EACH ROW WHEN ((old.full_name IS DISTINCT FROM new.full_name)) EXECUTE FUNCTION public.f()"
        );
        // Qualified by another relation, or a type: left alone.
        assert_eq!(
            rename_columns(
                "(other.name = users.name) AND (x)::name IS NULL",
                &m,
                "users"
            ),
            "(other.name = users.full_name) AND (x)::name IS NULL"
        );
        // Quoted names, and a new name that needs quoting.
        let q = map(&[("Odd Col", "new\"one")]);
        assert_eq!(
            rename_columns("(\"Odd Col\" > 0)", &q, "t"),
            "(\"new\"\"one\" > 0)"
        );
    }
}
