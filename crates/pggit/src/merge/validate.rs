//! Checks against a real database before the target is touched: the
//! merge's migration is applied to a scratch copy of the target's schema,
//! and hand-written definitions are turned into objects by running them.

use std::collections::HashMap;
use std::sync::Arc;

use pggit_core::identity::assign;
use pggit_core::plan::{plan_attributed, render};
use pggit_core::{Entry, Id, Tree};
use pggit_pg::apply::{replay, PREAMBLE};
use pggit_pg::format_db_error;
use pggit_pg::introspect::snapshot;
use pggit_pg::scratch::ScratchDb;

use crate::error::{Error, Result};
use crate::repo::Repository;

/// Outcome of [`Repository::check_builds`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Validity {
    Builds,
    /// The database refused a statement about object `id` (or the
    /// migration could not be planned at all: `id` is `None`).
    Fails {
        id: Option<Id>,
        message: String,
    },
}

impl Repository {
    /// Apply the migration `from → to` to a scratch database holding `from`.
    pub(crate) fn check_builds(&mut self, from: &Tree, to: &Tree) -> Result<Validity> {
        let (statements, owners) = match plan_attributed(from, to) {
            Ok(x) => x,
            Err(e) => {
                return Ok(Validity::Fails {
                    id: None,
                    message: e.to_string(),
                })
            }
        };
        if statements.is_empty() {
            return Ok(Validity::Builds);
        }
        let scope = self.scope()?;
        self.with_scratch("merge_check", |_, scratch| {
            crate::failpoint::hit("merge.validating");
            let mut c = scratch.connect()?;
            replay(&mut c, from, &scope)?;
            // The scratch database is thrown away: batches may commit.
            let pairs: Vec<_> = statements.iter().zip(owners).collect();
            for chunk in pairs.chunks(pggit_pg::apply::BATCH) {
                let mut tx = c.transaction()?;
                tx.batch_execute(PREAMBLE)?;
                for (s, owner) in chunk {
                    if let Err(e) = tx.batch_execute(&s.sql) {
                        return Ok(Validity::Fails {
                            id: Some(owner.clone()),
                            message: format!("{}\n  statement: {}", format_db_error(&e), s.sql),
                        });
                    }
                }
                tx.commit()?;
            }
            Ok(Validity::Builds)
        })
    }

    /// Turn custom definitions into objects: build `provisional` in a
    /// scratch database, replace each object by running its definition,
    /// and read the objects back with the ids they have in `provisional`.
    pub(crate) fn materialize(
        &mut self,
        provisional: &Tree,
        customs: &[(Id, String)],
    ) -> Result<HashMap<Id, Arc<Entry>>> {
        if customs.is_empty() {
            return Ok(HashMap::new());
        }
        let scope = self.scope()?;
        self.with_scratch("merge_custom", |_, scratch| {
            materialize_in(scratch, provisional, customs, &scope)
        })
    }
}

fn materialize_in(
    scratch: &ScratchDb,
    provisional: &Tree,
    customs: &[(Id, String)],
    scope: &pggit_pg::introspect::Scope,
) -> Result<HashMap<Id, Arc<Entry>>> {
    let mut c = scratch.connect()?;
    replay(&mut c, provisional, scope).map_err(|e| {
        Error::Refused(format!(
            "cannot build the merge result to try the custom definitions: {e}"
        ))
    })?;
    for (id, sql) in customs {
        let name = provisional.display_name(id);
        let mut tx = c.transaction()?;
        if let Some(o) = provisional.get(id) {
            let drop = render::drop(provisional, o, &|s| s.to_string());
            tx.batch_execute(&format!("{} CASCADE", drop.sql))?;
        }
        tx.batch_execute("SET LOCAL search_path = public")?;
        tx.batch_execute(sql).map_err(|e| {
            Error::Refused(format!(
                "the custom definition of {name} fails: {}",
                format_db_error(&e)
            ))
        })?;
        tx.commit()?;
    }
    let raw = snapshot(&mut c, scope)?;
    let tree = assign(&raw, &HashMap::new(), Some(provisional), "custom").tree;
    let mut out = HashMap::new();
    for (id, _) in customs {
        let e = tree.entries.get(id).ok_or_else(|| {
            Error::Refused(format!(
                "the custom definition did not create {}",
                provisional.display_name(id)
            ))
        })?;
        out.insert(id.clone(), e.clone());
    }
    Ok(out)
}
