//! `branch`, `checkout` and `tag`.

use pggit_core::identity::assign;
use pggit_core::plan::plan;
use pggit_core::progress::Phase;
use pggit_pg::introspect::snapshot_in;
use pggit_pg::scratch::{create_database_with, drop_database};
use pggit_pg::store;
use pggit_pg::workspace::{self, database_name};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::names::validate;
use crate::repo::{Repository, WorkspaceHealth};

/// One branch as listed by `branch`.
#[derive(Debug, Clone, Serialize)]
pub struct BranchInfo {
    pub name: String,
    pub commit: String,
    pub current: bool,
    /// Connection URL of its workspace, when it has one.
    pub workspace: Option<String>,
}

/// One tag.
#[derive(Debug, Clone, Serialize)]
pub struct TagInfo {
    pub name: String,
    pub commit: String,
}

/// What `checkout` did.
#[derive(Debug, Clone, Serialize)]
pub struct CheckoutOutcome {
    pub branch: String,
    pub commit: String,
    pub created_branch: bool,
    pub created_workspace: bool,
    pub workspace: String,
    pub url: String,
}

impl Repository {
    pub fn branches(&mut self) -> Result<Vec<BranchInfo>> {
        let current = self.current_branch()?;
        let workspaces = workspace::list(&mut self.client)?;
        Ok(store::list_refs(&mut self.client, "branch")?
            .into_iter()
            .map(|r| BranchInfo {
                current: r.name == current,
                workspace: workspaces
                    .iter()
                    .find(|w| w.branch == r.name && w.state == "ready")
                    .map(|w| self.workspace_url(&w.dbname)),
                name: r.name,
                commit: r.commit,
            })
            .collect())
    }

    /// Create a branch at `start` (default HEAD).
    pub fn create_branch(&mut self, name: &str, start: Option<&str>) -> Result<BranchInfo> {
        validate("branch", name)?;
        let commit = self.resolve(start.unwrap_or("HEAD"))?;
        let mut tx = self.client.transaction()?;
        if !store::create_ref(
            &mut tx,
            name,
            "branch",
            &commit.id,
            &format!("branch: created from {}", start.unwrap_or("HEAD")),
        )? {
            return Err(Error::RefExists(name.to_string()));
        }
        tx.commit()?;
        Ok(BranchInfo {
            name: name.to_string(),
            commit: commit.id,
            current: false,
            workspace: None,
        })
    }

    /// Delete a branch. Refuses `main`, the current branch, and (without
    /// `force`) a branch whose tip is not in the current branch's history.
    /// Its workspace database is dropped only with `drop_workspace`.
    pub fn delete_branch(
        &mut self,
        name: &str,
        force: bool,
        drop_workspace: bool,
    ) -> Result<Option<String>> {
        self.branch_ref(name)?;
        if name == "main" {
            return Err(Error::Refused("cannot delete branch 'main'".into()));
        }
        let current = self.current_branch()?;
        if name == current {
            return Err(Error::Refused(format!(
                "cannot delete the current branch '{name}'; check out another branch first"
            )));
        }
        self.with_branch_lock(name, |repo| {
            // Read under the lock: a commit landing meanwhile counts.
            let target = repo.branch_ref(name)?;
            if !force {
                let head = repo.branch_ref(&current)?;
                let merged = store::ancestors(&mut repo.client, &head.id, None)?
                    .iter()
                    .any(|c| c.id == target.id);
                if !merged {
                    return Err(Error::Refused(format!(
                        "branch '{name}' is not merged into '{current}'; use --force to delete it anyway"
                    )));
                }
                if drop_workspace {
                    repo.check_workspace_droppable(name, &target)?;
                }
            }
            repo.delete_branch_locked(name, drop_workspace)
        })
    }

    /// Dropping a workspace loses what only it holds: uncommitted schema
    /// changes and every row (data is not versioned), and it disconnects its
    /// users. Without `--force` any of those refuses, saying which.
    fn check_workspace_droppable(
        &mut self,
        name: &str,
        head: &pggit_pg::store::Commit,
    ) -> Result<()> {
        let Some(w) = workspace::get(&mut self.client, name)? else {
            return Ok(());
        };
        if w.state != "ready" || w.dbname == self.repo_db {
            return Ok(());
        }
        let mut reasons = Vec::new();
        let mut wc = match self.open_workspace(&w)? {
            (WorkspaceHealth::Ok, Some(c)) => c,
            // Gone already: nothing to lose (and nothing is dropped).
            (WorkspaceHealth::Missing, _) => return Ok(()),
            _ => {
                return Err(Error::Refused(format!(
                "database \"{}\" is no longer the workspace of '{name}'; pggit will not drop it",
                w.dbname
            )))
            }
        };
        let head_tree = self.tree(&head.tree)?;
        let live = self.live_tree(&mut wc, name, &head_tree, &head.id)?;
        let changed = pggit_core::diff::diff(&head_tree, &live.tree).len();
        if changed > 0 {
            reasons.push(format!("{changed} uncommitted schema change(s)"));
        }
        let with_rows = workspace::tables_with_rows(&mut wc, 20)?;
        if !with_rows.is_empty() {
            reasons.push(format!("rows in {}", with_rows.join(", ")));
        }
        drop(wc);
        let sessions = workspace::other_sessions(&mut self.client, &w.dbname)?;
        if sessions > 0 {
            reasons.push(format!("{sessions} other connected session(s)"));
        }
        if reasons.is_empty() {
            return Ok(());
        }
        Err(Error::Refused(format!(
            "the workspace database \"{}\" of '{name}' holds {}; use --force to drop it anyway",
            w.dbname,
            reasons.join("; ")
        )))
    }

    fn delete_branch_locked(&mut self, name: &str, drop_workspace: bool) -> Result<Option<String>> {
        let ws = workspace::get(&mut self.client, name)?;
        // Only a database pggit built (or is building) is ever dropped.
        let droppable = match &ws {
            Some(w) if w.state == "ready" => self.open_workspace(w)?.0 == WorkspaceHealth::Ok,
            Some(_) => true,
            None => false,
        };
        // A half-built workspace is pggit's own leftover: always dropped.
        let dropped = ws
            .as_ref()
            .filter(|w| droppable && (drop_workspace || w.state != "ready"))
            .filter(|w| w.dbname != self.repo_db)
            .map(|w| w.dbname.clone());
        // The database goes first: killed in between, the branch is still
        // there (its workspace missing) and `branch -d` can be run again,
        // rather than a database nothing refers to any more.
        if let Some(db) = &dropped {
            drop_database(&mut self.client, db)?;
        }
        let mut tx = self.client.transaction()?;
        Repository::lock(&mut tx)?;
        store::delete_ref(&mut tx, name, "branch: deleted")?;
        if ws.is_some() {
            workspace::unregister(&mut tx, name)?;
        }
        tx.commit()?;
        Ok(dropped)
    }

    /// Switch to a branch, building its workspace database on first use.
    /// The workspace counts as ready only once its schema is replayed,
    /// verified against the commit and capture is installed; an interrupted
    /// build is discarded and redone.
    pub fn checkout(
        &mut self,
        name: &str,
        create_from: Option<Option<&str>>,
    ) -> Result<CheckoutOutcome> {
        let created_branch = create_from.is_some();
        if let Some(start) = create_from {
            // A `checkout -b` of this name killed half-way left nothing
            // the user asked to keep: clear it first.
            self.with_branch_lock(name, |repo| repo.discard_interrupted_checkout(name))?;
            self.create_branch(name, start)?;
        }
        let out = self.with_branch_lock(name, |repo| repo.checkout_locked(name, created_branch));
        if created_branch && matches!(&out, Err(e) if !matches!(e, Error::Busy(_))) {
            // `checkout -b` that failed leaves nothing behind: no branch,
            // no half-built workspace — but only what this call made (busy:
            // another session took the new branch; leave it alone).
            let _ = self.with_branch_lock(name, |repo| {
                if !repo.discard_interrupted_checkout(name)?
                    && workspace::get(&mut repo.client, name)?.is_none()
                {
                    let mut tx = repo.client.transaction()?;
                    store::delete_ref(&mut tx, name, "branch: checkout -b failed")?;
                    tx.commit()?;
                }
                Ok(())
            });
        }
        out
    }

    /// Under `name`'s lock: remove what a killed `checkout -b` left (its
    /// branch and half-built workspace, journalled as `checkout-b`).
    pub(crate) fn discard_interrupted_checkout(&mut self, name: &str) -> Result<bool> {
        let Some(w) = workspace::get(&mut self.client, name)? else {
            return Ok(false);
        };
        let journalled = w
            .pending
            .as_ref()
            .and_then(|p| p.get("op"))
            .and_then(|o| o.as_str())
            == Some("checkout-b");
        if w.state == "ready" || !journalled {
            return Ok(false);
        }
        self.discard_new_branch(name)?;
        Ok(true)
    }

    /// Remove a branch `checkout -b` just created, with its workspace.
    fn discard_new_branch(&mut self, name: &str) -> Result<()> {
        if let Some(w) = workspace::get(&mut self.client, name)? {
            if w.dbname != self.repo_db {
                drop_database(&mut self.client, &w.dbname)?;
            }
        }
        let mut tx = self.client.transaction()?;
        Repository::lock(&mut tx)?;
        workspace::unregister(&mut tx, name)?;
        store::delete_ref(&mut tx, name, "branch: checkout -b failed")?;
        tx.commit()?;
        Ok(())
    }

    fn checkout_locked(&mut self, name: &str, created_branch: bool) -> Result<CheckoutOutcome> {
        let commit = self.branch_ref(name)?;
        let mut existing = workspace::get(&mut self.client, name)?;
        if let Some(w) = existing.clone().filter(|w| w.state == "ready") {
            match self.open_workspace(&w)?.0 {
                WorkspaceHealth::Ok => {}
                WorkspaceHealth::Missing => {
                    // Dropped behind pggit's back: build it again.
                    self.forget_workspace(name)?;
                    existing = None;
                }
                WorkspaceHealth::Foreign => {
                    return Err(Error::Refused(format!(
                        "database \"{}\" is no longer the workspace of branch '{name}' (was it dropped and re-created?); drop or rename it, then run `pggit checkout {name}` again",
                        w.dbname
                    )))
                }
            }
        }
        if let Some(w) = &existing {
            if w.state == "ready" {
                self.branch_override = Some(name.to_string());
                return Ok(CheckoutOutcome {
                    branch: name.to_string(),
                    commit: commit.id,
                    created_branch,
                    created_workspace: false,
                    url: self.workspace_url(&w.dbname),
                    workspace: w.dbname.clone(),
                });
            }
            // Left over by an interrupted checkout: start again.
            drop_database(&mut self.client, &w.dbname)?;
            self.forget_workspace(name)?;
        }
        let dbname = database_name(&self.repo_db, name);
        let exists: bool = self
            .client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
                &[&dbname],
            )?
            .get(0);
        if exists {
            return Err(Error::Refused(format!(
                "database \"{dbname}\" already exists and is not a workspace of this repository"
            )));
        }
        let mut tx = self.client.transaction()?;
        Repository::lock(&mut tx)?;
        workspace::register(&mut tx, name, &dbname, false)?;
        if created_branch {
            // If this process dies before the workspace is ready, the
            // branch goes with it (see `discard_interrupted_checkout`).
            workspace::set_pending(
                &mut tx,
                name,
                Some(&serde_json::json!({"op": "checkout-b"})),
            )?;
        }
        tx.commit()?;
        crate::failpoint::hit("checkout.registered");

        let tree = self.tree(&commit.tree)?;
        let scope = self.scope()?;
        // On the connection that holds the branch lock: if this process is
        // killed meanwhile, the lock is released only once the server has
        // finished creating the database, so whoever cleans up next sees it.
        if let Err(e) = create_database_with(&mut self.client, &dbname) {
            // Not created: whatever holds the name is not ours to drop.
            self.forget_workspace(name)?;
            return Err(match &e {
                pggit_pg::PgError::Db(db)
                    if db.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) =>
                {
                    Error::Refused(format!(
                        "cannot create the workspace database \"{dbname}\": this role may not create databases (it needs CREATEDB)"
                    ))
                }
                _ => e.into(),
            });
        }
        crate::failpoint::hit("checkout.created");
        let w = workspace::get(&mut self.client, name)?.ok_or_else(|| {
            Error::Refused(format!("workspace of '{name}' vanished during checkout"))
        })?;
        let mut wc = self.connect_workspace(&w)?;
        let empty = pggit_pg::introspect::snapshot(&mut wc, &scope)?;
        let empty = assign(&empty, &Default::default(), Some(&tree), "empty").tree;
        let statements = plan(&empty, &tree)?;
        // In batches (a schema of thousands of tables does not fit the
        // server's lock table in one transaction); the workspace counts
        // only once verified below, so a build cut short is redone.
        {
            let phase = Phase::begin(&*self.progress, "building workspace", statements.len());
            pggit_pg::apply::apply_batched_with(&mut wc, &statements, &mut |_| {}, &*self.progress)
                .map_err(|(_, e)| e)?;
            drop(phase);
        }
        let mut wtx = wc.transaction()?;
        pggit_pg::schema::install_workspace(&mut wtx, &self.repo_db, name)?;
        // Exactly the reference data the commit holds (the repository's
        // marks may have changed since).
        let built = snapshot_in(&mut wtx, &scope.for_tree(&tree))?;
        let built = assign(&built, &Default::default(), Some(&tree), &commit.id);
        // A commit made before definitions were stored settled replays
        // into its settled form, which is the same schema.
        if built.tree.hash() != commit.tree && built.tree != pggit_core::settle::settle_tree(&tree)
        {
            return Err(Error::Refused(format!(
                "the replayed workspace of '{name}' does not match commit {}; workspace left unfinished:\n{}",
                crate::commit::short(&commit.id),
                pggit_core::diff::summary(&tree, &built.tree, 20)
            )));
        }
        wtx.commit()?;
        crate::failpoint::hit("checkout.replayed");
        let high = store::ddl_high_water(&mut wc)?;

        let mut tx = self.client.transaction()?;
        store::write_identities(&mut tx, name, None, &built.map)?;
        workspace::mark_ready(&mut tx, name, high)?;
        workspace::set_pending(&mut tx, name, None)?;
        tx.commit()?;
        self.branch_override = Some(name.to_string());
        Ok(CheckoutOutcome {
            branch: name.to_string(),
            commit: commit.id,
            created_branch,
            created_workspace: true,
            url: self.workspace_url(&dbname),
            workspace: dbname,
        })
    }

    pub fn tags(&mut self) -> Result<Vec<TagInfo>> {
        Ok(store::list_refs(&mut self.client, "tag")?
            .into_iter()
            .map(|r| TagInfo {
                name: r.name,
                commit: r.commit,
            })
            .collect())
    }

    pub fn create_tag(&mut self, name: &str, rev: Option<&str>) -> Result<TagInfo> {
        validate("tag", name)?;
        let commit = self.resolve(rev.unwrap_or("HEAD"))?;
        let mut tx = self.client.transaction()?;
        if !store::create_ref(&mut tx, name, "tag", &commit.id, "tag: created")? {
            return Err(Error::RefExists(name.to_string()));
        }
        tx.commit()?;
        Ok(TagInfo {
            name: name.to_string(),
            commit: commit.id,
        })
    }

    pub fn delete_tag(&mut self, name: &str) -> Result<TagInfo> {
        match store::read_ref(&mut self.client, name)? {
            Some(r) if r.kind == "tag" => {
                let mut tx = self.client.transaction()?;
                store::delete_ref(&mut tx, name, "tag: deleted")?;
                tx.commit()?;
                Ok(TagInfo {
                    name: r.name,
                    commit: r.commit,
                })
            }
            _ => Err(Error::NoSuchTag(name.to_string())),
        }
    }
}
