//! Merging a table's columns: by column id, then field by field.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::{Map, Value};

use super::fields::{join, split};
use super::tree_merge::Cx;
use super::{Classification as C, Key, Side};
use crate::model::Id;

impl Cx<'_> {
    /// Merge a table's columns by id; the order is the target's, then the
    /// source's additions.
    pub(super) fn columns(&mut self, id: &Id, b: &[Value], t: &[Value], s: &[Value]) -> Vec<Value> {
        let cid = |v: &Value| {
            v.get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let by_id = |l: &[Value]| -> HashMap<String, Value> {
            l.iter().map(|v| (cid(v), v.clone())).collect()
        };
        let (bm, tm, sm) = (by_id(b), by_id(t), by_id(s));
        let mut order: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for c in t.iter().chain(s).chain(b).map(cid) {
            if seen.insert(c.clone()) {
                order.push(c);
            }
        }
        let mut out = Vec::new();
        for c in order {
            let (bc, tc, sc) = (bm.get(&c), tm.get(&c), sm.get(&c));
            let name = [tc, sc, bc]
                .into_iter()
                .flatten()
                .find_map(|v| v.get("name").and_then(Value::as_str))
                .unwrap_or("?")
                .to_string();
            let part = format!("column {c}");
            let label = format!("column {name}");
            let kept = if tc == sc {
                if bc != tc {
                    self.change(Key::new(id, &part), C::NoConflict);
                }
                tc.cloned()
            } else if bc == tc || bc == sc {
                let from_source = bc == tc;
                let (kind, v) = match (from_source, sc.is_none(), tc.is_none()) {
                    (true, true, _) => (C::DeletedSource, sc),
                    (true, false, _) => (C::SourceModified, sc),
                    (false, _, true) => (C::DeletedTarget, tc),
                    (false, _, false) => (C::TargetModified, tc),
                };
                if self.opts.manual {
                    let side = self.settle(
                        Key::new(id, &part),
                        kind,
                        label,
                        bc.cloned(),
                        tc.cloned(),
                        sc.cloned(),
                        None,
                    );
                    pick(side, bc, tc, sc)
                } else {
                    self.change(Key::new(id, &part), kind);
                    v.cloned()
                }
            } else {
                match (bc, tc, sc) {
                    (Some(bv), Some(tv), Some(sv)) => {
                        Some(self.column_fields(id, &c, &name, bv, tv, sv))
                    }
                    _ => {
                        let kind = match (bc, tc) {
                            (None, _) => C::BothAdded,
                            (_, None) => C::DeletedTarget,
                            _ => C::DeletedSource,
                        };
                        let side = self.settle(
                            Key::new(id, &part),
                            kind,
                            label,
                            bc.cloned(),
                            tc.cloned(),
                            sc.cloned(),
                            None,
                        );
                        pick(side, bc, tc, sc)
                    }
                }
            };
            out.extend(kept);
        }
        out
    }

    fn column_fields(
        &mut self,
        id: &Id,
        cid: &str,
        name: &str,
        b: &Value,
        t: &Value,
        s: &Value,
    ) -> Value {
        let empty = Map::new();
        let obj = |v: &Value| v.as_object().cloned().unwrap_or_else(|| empty.clone());
        let [bf, tf, sf] = [b, t, s].map(|v| split("column", &obj(v), false));
        let names: BTreeSet<&String> = bf.keys().chain(tf.keys()).chain(sf.keys()).collect();
        let mut merged = BTreeMap::new();
        for f in names {
            let key = Key::new(id, &format!("column {cid}.{f}"));
            let v = self.field(
                key,
                format!("column {name}: {f}"),
                bf.get(f),
                tf.get(f),
                sf.get(f),
            );
            if let Some(v) = v {
                merged.insert(f.clone(), v);
            }
        }
        let mut m = join("column", merged);
        m.insert("id".into(), Value::String(cid.to_string()));
        // Keep the key order of the canonical form (id first).
        let mut ordered = Map::new();
        if let Some(v) = m.remove("id") {
            ordered.insert("id".into(), v);
        }
        ordered.extend(m);
        Value::Object(ordered)
    }
}

fn pick(
    side: Option<Side>,
    b: Option<&Value>,
    t: Option<&Value>,
    s: Option<&Value>,
) -> Option<Value> {
    match side {
        Some(Side::Source) => s.cloned(),
        Some(Side::Base) => b.cloned(),
        _ => t.cloned(),
    }
}
