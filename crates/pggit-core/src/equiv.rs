//! Rename-aware comparison of definitions.
//!
//! PostgreSQL re-deparses constraints, indexes and triggers with the current
//! names of the tables and columns they use, so renaming a column changes the
//! text of every index on it. Such a definition has not really changed and
//! must not be dropped and rebuilt. This module decides that with
//! PostgreSQL's own scanner (`pg_query`): the old definition's tokens, with
//! the renames applied to identifiers in the right scope, must equal the new
//! definition's tokens.

use std::collections::HashMap;

use pg_query::protobuf::{KeywordKind, Token};

use crate::model::{Id, Object};
use crate::tree::Tree;

/// Renames between two trees: relations and schemas by qualified name,
/// columns per table.
#[derive(Debug, Default)]
pub struct Renames {
    /// (schema, name) before -> after, for tables (and other relations).
    relations: HashMap<(String, String), (String, String)>,
    schemas: HashMap<String, String>,
    /// Table id -> old column name -> new column name.
    columns: HashMap<Id, HashMap<String, String>>,
    /// New qualified name -> table id (to find a referenced table).
    by_new_name: HashMap<(String, String), Id>,
}

impl Renames {
    /// Collect the renames from `old` to `new`.
    pub fn between(old: &Tree, new: &Tree) -> Renames {
        let mut r = Renames::default();
        for (id, e) in &new.entries {
            if let Object::Table(t) = &e.object {
                r.by_new_name
                    .insert((t.schema.clone(), t.name.clone()), id.clone());
            }
            let Some(o) = old.entries.get(id) else {
                continue;
            };
            match (&o.object, &e.object) {
                (Object::Schema { name: a, .. }, Object::Schema { name: b, .. }) if a != b => {
                    r.schemas.insert(a.clone(), b.clone());
                }
                (Object::Table(a), Object::Table(b)) => {
                    if (&a.schema, &a.name) != (&b.schema, &b.name) {
                        r.relations.insert(
                            (a.schema.clone(), a.name.clone()),
                            (b.schema.clone(), b.name.clone()),
                        );
                    }
                    let cols: HashMap<String, String> = a
                        .columns
                        .iter()
                        .filter_map(|c| {
                            let n = b.columns.iter().find(|n| n.id == c.id)?;
                            (n.name != c.name).then(|| (c.name.clone(), n.name.clone()))
                        })
                        .collect();
                    if !cols.is_empty() {
                        r.columns.insert(id.clone(), cols);
                    }
                }
                _ => {}
            }
        }
        r
    }

    pub fn is_empty(&self) -> bool {
        self.relations.is_empty() && self.schemas.is_empty() && self.columns.is_empty()
    }

    /// Whether `old_def` (a definition on table `table`) equals `new_def`
    /// once the renames are applied.
    pub fn same(&self, table: &str, old_def: &str, new_def: &str) -> bool {
        if old_def == new_def {
            return true;
        }
        if self.is_empty() {
            return false;
        }
        let (Some(mut old), Some(new)) = (tokens(old_def), tokens(new_def)) else {
            return false;
        };
        self.apply(table, &mut old);
        old == new
    }

    fn apply(&self, table: &str, toks: &mut [Tok]) {
        // Qualified names: schema . name.
        let mut i = 0;
        while i < toks.len() {
            if let (Some(Tok::Word(s)), Some(Tok::Punct(p)), Some(Tok::Word(n))) =
                (toks.get(i), toks.get(i + 1), toks.get(i + 2))
            {
                if p == "." && !matches!(toks.get(i + 3), Some(Tok::Punct(p)) if p == ".") {
                    let key = (s.clone(), n.clone());
                    if let Some((ns, nn)) = self.relations.get(&key) {
                        toks[i] = Tok::Word(ns.clone());
                        toks[i + 2] = Tok::Word(nn.clone());
                    } else if let Some(ns) = self.schemas.get(s) {
                        toks[i] = Tok::Word(ns.clone());
                    }
                    i += 3;
                    continue;
                }
            }
            i += 1;
        }
        // Column names: the own table's, and after REFERENCES the referenced
        // table's (a foreign key's column list).
        let mut scope: Option<&HashMap<String, String>> = self.columns.get(table);
        let mut i = 0;
        while i < toks.len() {
            if matches!(&toks[i], Tok::Word(w) if w == "references") {
                if let (Some(Tok::Word(s)), Some(Tok::Word(n))) = (toks.get(i + 1), toks.get(i + 3))
                {
                    scope = self
                        .by_new_name
                        .get(&(s.clone(), n.clone()))
                        .and_then(|id| self.columns.get(id));
                }
                i += 4;
                continue;
            }
            let qualified_before = i > 0 && matches!(&toks[i - 1], Tok::Punct(p) if p == ".");
            let qualifier_after = matches!(toks.get(i + 1), Some(Tok::Punct(p)) if p == ".");
            let row_ref = qualified_before
                && matches!(toks.get(i.wrapping_sub(2)), Some(Tok::Word(q)) if q == "old" || q == "new");
            if let (Tok::Word(w), Some(map)) = (&toks[i], scope) {
                if !qualifier_after && (!qualified_before || row_ref) {
                    if let Some(n) = map.get(w) {
                        toks[i] = Tok::Word(n.clone());
                    }
                }
            }
            i += 1;
        }
    }
}

/// A token: an identifier or keyword (by its name), or anything else (by
/// its exact text).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Punct(String),
}

fn tokens(sql: &str) -> Option<Vec<Tok>> {
    let scanned = pg_query::scan_tokens(sql).ok()?;
    let mut out = Vec::with_capacity(scanned.len());
    for t in scanned {
        let text = sql.get(t.start as usize..t.end as usize)?;
        let word =
            t.token == Token::Ident as i32 || t.keyword_kind != KeywordKind::NoKeyword as i32;
        out.push(if word {
            Tok::Word(
                match text.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                    Some(quoted) => quoted.replace("\"\"", "\""),
                    None => text.to_lowercase(),
                },
            )
        } else {
            Tok::Punct(text.to_string())
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renames() -> Renames {
        let mut r = Renames::default();
        r.columns
            .insert("t".into(), HashMap::from([("email".into(), "mail".into())]));
        r.columns
            .insert("u".into(), HashMap::from([("id".into(), "uid".into())]));
        r.relations.insert(
            ("public".into(), "users".into()),
            ("public".into(), "people".into()),
        );
        r.by_new_name
            .insert(("public".into(), "people".into()), "u".into());
        r
    }

    #[test]
    fn column_and_table_renames() {
        let r = renames();
        assert!(r.same("t", "USING btree (email)", "USING btree (mail)"));
        assert!(r.same(
            "t",
            "USING btree (lower(email)) WHERE (email IS NOT NULL)",
            "USING btree (lower(mail)) WHERE (mail IS NOT NULL)"
        ));
        assert!(!r.same("t", "USING btree (email)", "USING btree (other)"));
        assert!(!r.same("t", "USING btree (email)", "USING hash (mail)"));
        assert!(r.same(
            "t",
            "FOREIGN KEY (email) REFERENCES public.users(id) ON DELETE CASCADE",
            "FOREIGN KEY (mail) REFERENCES public.people(uid) ON DELETE CASCADE"
        ));
        assert!(!r.same(
            "t",
            "FOREIGN KEY (email) REFERENCES public.users(id)",
            "FOREIGN KEY (mail) REFERENCES public.people(id)"
        ));
        assert!(r.same(
            "t",
            "BEFORE UPDATE ON public.t FOR EACH ROW WHEN ((old.email IS DISTINCT FROM new.email)) EXECUTE FUNCTION public.f()",
            "BEFORE UPDATE ON public.t FOR EACH ROW WHEN ((old.mail IS DISTINCT FROM new.mail)) EXECUTE FUNCTION public.f()"
        ));
        // A function of the same name is not a column.
        assert!(!r.same("t", "CHECK (public.email(x))", "CHECK (public.mail(x))"));
    }

    #[test]
    fn quoted_identifiers() {
        let mut r = Renames::default();
        r.columns
            .insert("t".into(), HashMap::from([("Día".into(), "select".into())]));
        assert!(r.same("t", "USING btree (\"Día\")", "USING btree (\"select\")"));
    }
}
