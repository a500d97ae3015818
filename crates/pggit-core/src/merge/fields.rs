//! Objects as maps of independently mergeable fields.
//!
//! An object's canonical JSON is split into fields; keys that only make
//! sense together (a function's signature and body, a view's query and the
//! columns it produces, a column's type and collation) form one field. Two
//! branches that change different fields of one object merge cleanly.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// Keys that change together, by object kind tag (`column` for columns).
fn coupled(kind: &str) -> &'static [&'static [&'static str]] {
    match kind {
        "function" => &[&["definition", "routine", "identity_args", "result"]],
        "view" => &[&["query", "materialized", "columns"]],
        "index" => &[&["definition", "unique", "statistics"]],
        "trigger" => &[&["definition", "constraint"]],
        "domain" => &[&["base", "collation"]],
        "column" => &[&["data_type", "collation", "settings"]],
        "rows" => &[&["rows", "columns", "key"]],
        _ => &[],
    }
}

/// Keys that are not fields: the variant tag, a table's columns (merged
/// one by one) and a column's id.
fn structural(key: &str) -> bool {
    matches!(key, "kind" | "columns" | "id")
}

/// Split an object (or column) into fields. Absent keys are absent fields.
pub(crate) fn split(kind: &str, v: &Map<String, Value>, is_table: bool) -> BTreeMap<String, Value> {
    let groups = coupled(kind);
    let mut out = BTreeMap::new();
    for (k, val) in v {
        if k == "kind" || (is_table && k == "columns") || (kind == "column" && k == "id") {
            continue;
        }
        if groups.iter().any(|g| g.contains(&k.as_str())) {
            continue;
        }
        out.insert(k.clone(), val.clone());
    }
    for g in groups {
        let mut m = Map::new();
        for k in g.iter() {
            if let Some(val) = v.get(*k) {
                m.insert((*k).to_string(), val.clone());
            }
        }
        if !m.is_empty() {
            out.insert(g[0].to_string(), Value::Object(m));
        }
    }
    out
}

/// Reassemble fields split by [`split`].
pub(crate) fn join(kind: &str, fields: BTreeMap<String, Value>) -> Map<String, Value> {
    let groups = coupled(kind);
    let mut out = Map::new();
    for (k, v) in fields {
        if groups.iter().any(|g| g[0] == k) {
            if let Value::Object(m) = v {
                out.extend(m);
            }
        } else if !v.is_null() && !structural(&k) {
            out.insert(k, v);
        }
    }
    out
}

/// The kind tag of an object's JSON.
pub(crate) fn tag(v: &Map<String, Value>) -> &str {
    v.get("kind").and_then(Value::as_str).unwrap_or("")
}

/// Key under which a list item is matched between sides: a `name` for
/// named items, the option name for `key=value` options, else the item.
fn item_key(field: &str, item: &Value) -> String {
    match item {
        // Named items, or a publication's tables by table.
        Value::Object(m) => match m
            .get("name")
            .or_else(|| m.get("table"))
            .and_then(Value::as_str)
        {
            Some(n) => n.to_string(),
            None => item.to_string(),
        },
        Value::String(s) if field == "options" => s.split('=').next().unwrap_or(s).to_string(),
        other => other.to_string(),
    }
}

/// One item merged three ways (`None` inside: absent from the result);
/// `None` when both sides changed it differently.
fn three_way<'a, T: PartialEq>(
    b: Option<&'a T>,
    t: Option<&'a T>,
    s: Option<&'a T>,
) -> Option<Option<&'a T>> {
    if t == s || s == b {
        Some(t)
    } else if t == b {
        Some(s)
    } else {
        None
    }
}

/// Union merge of a list field (enum labels, options, roles, domain
/// checks, composite attributes): items are matched by key; additions and
/// removals from both sides are combined; an item changed differently on
/// both sides is a true overlap (`None`).
pub(crate) fn union_list(
    field: &str,
    b: Option<&Value>,
    t: Option<&Value>,
    s: Option<&Value>,
) -> Option<Value> {
    let as_list = |v: Option<&Value>| -> Option<Vec<Value>> {
        match v {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(a)) => Some(a.clone()),
            Some(_) => None,
        }
    };
    let (b, t, s) = (as_list(b)?, as_list(t)?, as_list(s)?);
    let keyed = |l: &[Value]| -> BTreeMap<String, Value> {
        l.iter().map(|i| (item_key(field, i), i.clone())).collect()
    };
    let (bm, tm, sm) = (keyed(&b), keyed(&t), keyed(&s));
    let base_order: Vec<String> = b.iter().map(|i| item_key(field, i)).collect();
    let t_order: Vec<String> = t.iter().map(|i| item_key(field, i)).collect();
    let s_order: Vec<String> = s.iter().map(|i| item_key(field, i)).collect();
    // Keep the order of the side that reordered, target first.
    let common = |o: &[String]| -> Vec<String> {
        o.iter().filter(|k| bm.contains_key(*k)).cloned().collect()
    };
    let (first, second) =
        if common(&t_order) == common(&base_order) && common(&s_order) != common(&base_order) {
            (s_order, t_order)
        } else {
            (t_order, s_order)
        };
    let mut order: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for k in first.into_iter().chain(second) {
        if seen.insert(k.clone()) {
            order.push(k);
        }
    }
    let mut out = Vec::new();
    for k in order {
        let v = three_way(bm.get(&k), tm.get(&k), sm.get(&k))?;
        if let Some(v) = v {
            out.push(v.clone());
        }
    }
    if out.is_empty() {
        Some(Value::Null)
    } else {
        Some(Value::Array(out))
    }
}

/// Three-way merge of an enum's labels, as git merges lines: each side
/// may insert labels between the base's labels, and insertions into
/// different gaps combine, each run of new labels kept next to the base
/// label it was placed by. `None` (a conflict) when a side removed or
/// reordered base labels, when both sides inserted different labels into
/// one gap (their relative order is unknowable), or when one label was
/// added at different places.
pub(crate) fn merge_labels(
    b: Option<&Value>,
    t: Option<&Value>,
    s: Option<&Value>,
) -> Option<Value> {
    let labels = |v: Option<&Value>| -> Option<Vec<String>> {
        match v {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(a)) => a.iter().map(|l| l.as_str().map(str::to_string)).collect(),
            Some(_) => None,
        }
    };
    let (b, t, s) = (labels(b)?, labels(t)?, labels(s)?);
    let base: BTreeSet<&str> = b.iter().map(String::as_str).collect();
    // Gap g holds what a side inserted after base label g-1 (0: before all).
    let gaps = |side: &[String]| -> Option<Vec<Vec<String>>> {
        let mut gaps = vec![Vec::new(); b.len() + 1];
        let mut at = 0;
        for l in side {
            if base.contains(l.as_str()) {
                if b.get(at) != Some(l) {
                    return None; // removed or reordered
                }
                at += 1;
            } else {
                gaps[at].push(l.clone());
            }
        }
        (at == b.len()).then_some(gaps)
    };
    let (tg, sg) = (gaps(&t)?, gaps(&s)?);
    let gap_of = |g: &[Vec<String>]| -> BTreeMap<String, usize> {
        g.iter()
            .enumerate()
            .flat_map(|(i, ls)| ls.iter().map(move |l| (l.clone(), i)))
            .collect()
    };
    let (tpos, spos) = (gap_of(&tg), gap_of(&sg));
    if tpos
        .iter()
        .any(|(l, g)| spos.get(l).is_some_and(|h| h != g))
    {
        return None;
    }
    let mut out = Vec::new();
    for (i, (ti, si)) in tg.into_iter().zip(sg).enumerate() {
        if i > 0 {
            out.push(Value::String(b[i - 1].clone()));
        }
        let run = match (ti.is_empty(), si.is_empty()) {
            (_, true) => ti,
            (true, false) => si,
            (false, false) if ti == si => ti,
            _ => return None,
        };
        out.extend(run.into_iter().map(Value::String));
    }
    Some(if out.is_empty() {
        Value::Null
    } else {
        Value::Array(out)
    })
}

/// Three-way merge of a reference-data table's rows (the coupled field
/// `rows` of [`crate::model::Rows`]: columns, key and rows), row by row
/// by key: rows added, changed or removed on either side combine. `None`
/// (a conflict) when the sides track different columns or keys, or when
/// one row was changed differently on both sides (or changed on one and
/// removed on the other).
pub(crate) fn merge_rows(b: Option<&Value>, t: Option<&Value>, s: Option<&Value>) -> Option<Value> {
    type Row = Vec<Option<String>>;
    let parse = |v: Option<&Value>| -> Option<(Value, Value, BTreeMap<Row, Row>)> {
        let m = v?.as_object()?;
        let columns = m.get("columns").cloned().unwrap_or(Value::Null);
        let key = m.get("key").cloned().unwrap_or(Value::Null);
        let names: Vec<&str> = columns
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let pos: Vec<usize> = key
            .as_array()?
            .iter()
            .filter_map(|k| names.iter().position(|n| Some(*n) == k.as_str()))
            .collect();
        let rows: Vec<Row> = match m.get("rows") {
            None | Some(Value::Null) => Vec::new(),
            Some(r) => serde_json::from_value(r.clone()).ok()?,
        };
        let keyed = rows
            .into_iter()
            .map(|r| {
                (
                    pos.iter().map(|p| r.get(*p).cloned().flatten()).collect(),
                    r,
                )
            })
            .collect();
        Some((columns, key, keyed))
    };
    let (t, s) = (parse(t)?, parse(s)?);
    let b = match b {
        None => (t.0.clone(), t.1.clone(), BTreeMap::new()),
        Some(_) => parse(b)?,
    };
    if b.0 != t.0 || t.0 != s.0 || b.1 != t.1 || t.1 != s.1 {
        return None;
    }
    let keys: BTreeSet<&Row> = b.2.keys().chain(t.2.keys()).chain(s.2.keys()).collect();
    let mut out: Vec<Value> = Vec::new();
    for k in keys {
        let v = three_way(b.2.get(k), t.2.get(k), s.2.get(k))?;
        if let Some(v) = v {
            out.push(serde_json::to_value(v).ok()?);
        }
    }
    let mut m = Map::new();
    m.insert("columns".into(), t.0);
    m.insert("key".into(), t.1);
    if !out.is_empty() {
        m.insert("rows".into(), Value::Array(out));
    }
    Some(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn split_join_round_trip() {
        let v = json!({"kind":"function","schema":"public","name":"f","routine":"function",
            "identity_args":"","definition":"x","comment":"c"});
        let m = v.as_object().unwrap();
        let f = split("function", m, false);
        assert_eq!(f.len(), 4);
        let mut back = join("function", f);
        back.insert("kind".into(), json!("function"));
        assert_eq!(&back, m);
    }

    #[test]
    fn union_of_labels_and_overlap() {
        let b = json!(["a", "b"]);
        let t = json!(["a", "b", "c"]);
        let s = json!(["a", "b", "d"]);
        assert_eq!(
            union_list("labels", Some(&b), Some(&t), Some(&s)),
            Some(json!(["a", "b", "c", "d"]))
        );
        let bo = json!(["fillfactor=70"]);
        let to = json!(["fillfactor=80"]);
        let so = json!(["fillfactor=90"]);
        assert_eq!(union_list("options", Some(&bo), Some(&to), Some(&so)), None);
    }

    #[test]
    fn labels_inserted_in_different_gaps_combine() {
        let b = json!(["new", "paid", "shipped"]);
        let t = json!(["new", "paid", "disputed", "shipped"]);
        let s = json!(["new", "paid", "shipped", "refunded"]);
        assert_eq!(
            merge_labels(Some(&b), Some(&t), Some(&s)),
            Some(json!(["new", "paid", "disputed", "shipped", "refunded"]))
        );
        // Runs of new labels stay together, before the first label too.
        let t = json!(["draft", "pre", "new", "paid", "shipped"]);
        let s = json!(["new", "paid", "x", "y", "shipped"]);
        assert_eq!(
            merge_labels(Some(&b), Some(&t), Some(&s)),
            Some(json!(["draft", "pre", "new", "paid", "x", "y", "shipped"]))
        );
        // The same label added at the same place on both sides is one label.
        let t = json!(["new", "paid", "lost", "shipped"]);
        assert_eq!(merge_labels(Some(&b), Some(&t), Some(&t)), Some(t.clone()));
    }

    #[test]
    fn rows_merge_by_key() {
        let v = |rows: Value| json!({"columns": ["a", "b"], "key": ["a"], "rows": rows});
        let b = v(json!([["1", "x"], ["2", "y"]]));
        let t = v(json!([["1", "x"], ["2", "y"], ["3", "t"]]));
        let s = v(json!([["1", "X"], ["4", null]]));
        assert_eq!(
            merge_rows(Some(&b), Some(&t), Some(&s)),
            Some(v(json!([["1", "X"], ["3", "t"], ["4", null]])))
        );
        // Added on both sides with different values: a conflict.
        let s2 = v(json!([["1", "x"], ["2", "y"], ["3", "s"]]));
        assert_eq!(merge_rows(Some(&b), Some(&t), Some(&s2)), None);
        // Changed on one side, removed on the other: a conflict.
        let t3 = v(json!([["1", "x"]]));
        let s3 = v(json!([["1", "x"], ["2", "z"]]));
        assert_eq!(merge_rows(Some(&b), Some(&t3), Some(&s3)), None);
        // Different tracked columns: a conflict.
        let s4 = json!({"columns": ["a"], "key": ["a"], "rows": [["1"]]});
        assert_eq!(merge_rows(Some(&b), Some(&t), Some(&s4)), None);
    }

    #[test]
    fn labels_that_overlap_conflict() {
        let b = json!(["new", "paid", "shipped"]);
        // One gap, different labels: their order is unknowable.
        let t = json!(["new", "paid", "a", "shipped"]);
        let s = json!(["new", "paid", "b", "shipped"]);
        assert_eq!(merge_labels(Some(&b), Some(&t), Some(&s)), None);
        // One label placed differently.
        let t = json!(["new", "lost", "paid", "shipped"]);
        let s = json!(["new", "paid", "shipped", "lost"]);
        assert_eq!(merge_labels(Some(&b), Some(&t), Some(&s)), None);
        // A label removed (or moved) on one side.
        let t = json!(["new", "shipped"]);
        let s = json!(["new", "paid", "x", "shipped"]);
        assert_eq!(merge_labels(Some(&b), Some(&t), Some(&s)), None);
        let t = json!(["paid", "new", "shipped"]);
        assert_eq!(merge_labels(Some(&b), Some(&t), Some(&s)), None);
    }
}
