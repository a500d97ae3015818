//! PostgreSQL's settled form of a deparsed expression.
//!
//! Some expressions do not survive a replay unchanged: `status IN ('a',
//! 'b')` on a `varchar` column deparses as
//! `((status)::text = ANY ((ARRAY['a'::character varying, ...])::text[]))`,
//! and creating an object from that text makes the parser push the array
//! cast into the elements, so the server then prints
//! `ARRAY[('a'::character varying)::text, ...]`. A definition stored in the
//! first form would never match its own replay. [`settle`] rewrites such
//! text into the form the server prints after one replay (a fixpoint), using
//! PostgreSQL's own lexer (`pg_query::scan`) so string literals, quoted
//! names and dollar-quoted bodies are never touched.

use crate::lex::{tokens, Tok};

/// The settled form of `text` (an expression, an index definition, a
/// constraint definition or a view query), or `text` itself.
pub fn settle(text: &str) -> String {
    // Cheap filter: the unstable forms all contain an ARRAY constructor.
    if !text.contains("ARRAY[") {
        return text.to_string();
    }
    let Some(toks) = tokens(text) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len() + 32);
    let mut copied = 0;
    let mut i = 0;
    while i < toks.len() {
        if let Some((from, to, replacement)) = rewrite_at(text, &toks, i) {
            out.push_str(&text[copied..toks[from].start]);
            out.push_str(&replacement);
            copied = toks[to].end;
            i = to + 1;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// If an array-cast form starts at token `i` (`ARRAY`), the token range it
/// covers and its settled text.
fn rewrite_at(text: &str, toks: &[Tok<'_>], i: usize) -> Option<(usize, usize, String)> {
    let t = |k: usize| toks.get(k).map(|t| t.text);
    if !t(i)?.eq_ignore_ascii_case("ARRAY") || t(i + 1)? != "[" {
        return None;
    }
    // Elements up to the matching `]`, split at top-level commas.
    let mut depth = 0i32;
    let mut elements: Vec<(usize, usize)> = Vec::new();
    let mut elem_start = i + 2;
    let mut close = None;
    for (k, tok) in toks.iter().enumerate().skip(i + 2) {
        match tok.text {
            "[" | "(" => depth += 1,
            "]" | ")" if depth > 0 => depth -= 1,
            "]" => {
                if k > elem_start {
                    elements.push((elem_start, k - 1));
                }
                close = Some(k);
                break;
            }
            "," if depth == 0 => {
                elements.push((elem_start, k - 1));
                elem_start = k + 1;
            }
            _ => {}
        }
    }
    let close = close?;
    if elements.is_empty() {
        return None;
    }
    // `(ARRAY[...])::T[]` (plain deparse) or `ARRAY[...]::T[]` (pretty).
    let wrapped = i > 0 && t(i - 1)? == "(" && t(close + 1)? == ")" && t(close + 2)? == "::";
    let pretty = t(close + 1)? == "::";
    if !wrapped && !pretty {
        return None;
    }
    let type_start = if wrapped { close + 3 } else { close + 2 };
    // The type name ends with a single `[]` at parenthesis depth 0.
    let mut depth = 0i32;
    let mut bracket = None;
    for (k, tok) in toks.iter().enumerate().skip(type_start) {
        match tok.text {
            "(" => depth += 1,
            ")" if depth > 0 => depth -= 1,
            "[" if depth == 0 => {
                bracket = Some(k);
                break;
            }
            ")" | "," | "]" | "::" => return None,
            _ => {}
        }
    }
    let bracket = bracket?;
    if bracket == type_start || t(bracket + 1)? != "]" || t(bracket + 2) == Some("[") {
        return None;
    }
    let element_type = &text[toks[type_start].start..toks[bracket - 1].end];
    let span = |(a, b): (usize, usize)| &text[toks[a].start..toks[b].end];
    let mut parts = Vec::with_capacity(elements.len());
    for e in &elements {
        if wrapped {
            parts.push(format!("({})::{element_type}", span(*e)));
        } else if simple(toks, *e) {
            parts.push(format!("{}::{element_type}", span(*e)));
        } else {
            return None;
        }
    }
    let from = if wrapped { i - 1 } else { i };
    Some((from, bracket + 1, format!("ARRAY[{}]", parts.join(", "))))
}

/// A literal, optionally signed and cast: what pretty deparse prints
/// without parentheses before another cast.
fn simple(toks: &[Tok<'_>], (a, b): (usize, usize)) -> bool {
    let mut k = a;
    if toks[k].text == "-" {
        k += 1;
    }
    if k > b {
        return false;
    }
    let first = toks[k].text;
    let literal = first.starts_with('\'')
        || first.starts_with(|c: char| c.is_ascii_digit())
        || first.eq_ignore_ascii_case("NULL");
    literal && (k == b || toks[k + 1].text == "::")
}

/// Settle every expression an object holds, in place.
pub fn settle_object(object: &mut crate::model::Object) {
    use crate::model::Object;
    let fix = |s: &mut String| {
        let settled = settle(s);
        if settled != *s {
            *s = settled;
        }
    };
    let fix_opt = |s: &mut Option<String>| {
        if let Some(s) = s {
            fix(s);
        }
    };
    match object {
        Object::Table(t) => {
            for c in &mut t.columns {
                fix_opt(&mut c.default);
                fix_opt(&mut c.generated);
            }
        }
        Object::Domain {
            default, checks, ..
        } => {
            fix_opt(default);
            for c in checks {
                fix(&mut c.definition);
            }
        }
        Object::Constraint { definition, .. }
        | Object::Index { definition, .. }
        | Object::Trigger { definition, .. }
        | Object::Statistics { definition, .. } => fix(definition),
        Object::View { query, .. } => fix(query),
        Object::Policy { using, check, .. } => {
            fix_opt(using);
            fix_opt(check);
        }
        _ => {}
    }
}

/// `tree` with every object settled: what a checkout of a commit made
/// before settling existed builds and snapshots back.
pub fn settle_tree(tree: &crate::tree::Tree) -> crate::tree::Tree {
    let mut out = tree.clone();
    for e in out.entries.values_mut() {
        let mut object = e.object.clone();
        settle_object(&mut object);
        if object != e.object {
            *e = std::sync::Arc::new(crate::tree::Entry {
                object,
                deps: e.deps.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::settle;

    #[test]
    fn plain_deparse_of_in_list_on_varchar() {
        assert_eq!(
            settle("((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))"),
            "((status)::text = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text]))"
        );
        assert_eq!(
            settle("USING btree (id) WHERE (b = ANY ((ARRAY[1, 2])::bigint[]))"),
            "USING btree (id) WHERE (b = ANY (ARRAY[(1)::bigint, (2)::bigint]))"
        );
    }

    #[test]
    fn pretty_deparse_of_in_list_on_varchar() {
        assert_eq!(
            settle(" SELECT t.id\n   FROM t\n  WHERE t.status::text = ANY (ARRAY['a'::character varying, 'b'::character varying]::text[])"),
            " SELECT t.id\n   FROM t\n  WHERE t.status::text = ANY (ARRAY['a'::character varying::text, 'b'::character varying::text])"
        );
    }

    #[test]
    fn settled_and_unrelated_text_is_unchanged() {
        for s in [
            "((status)::text = ANY (ARRAY[('a'::character varying)::text]))",
            "CHECK ((x = ANY (ARRAY[1, 2])))",
            "'{}'::text[]",
            "ARRAY[]::text[]",
            "(ARRAY[1, 2])::character varying(3)[][]",
            "'ARRAY[1]::int[]'",
            "(ARRAY[a + 1, 2]::bigint[])",
        ] {
            assert_eq!(settle(s), s, "{s}");
        }
    }

    #[test]
    fn type_with_modifier() {
        assert_eq!(
            settle("(ARRAY['a'::text])::character varying(5)[]"),
            "ARRAY[('a'::text)::character varying(5)]"
        );
    }
}
