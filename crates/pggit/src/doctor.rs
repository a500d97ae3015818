//! `pggit doctor`: check the repository's invariants and repair what can be
//! repaired safely.
//!
//! Checked: every commit hashes to its id and its parents exist; every tree
//! hashes to its name (which covers its objects); no journal entry is left
//! by an operation whose owner is gone; every workspace database exists, is
//! the one pggit built, and is not half-built; no scratch database of a
//! killed merge is left; DDL capture and the capture of tracked tables are
//! in place. Repaired (`--repair`): interrupted operations (finished or
//! discarded as the next command would), half-built workspaces (dropped;
//! `checkout` builds them again), leaked scratch databases (dropped).
//! A workspace whose database is gone is forgotten (`checkout` builds it
//! again). Reported only: corrupt commits or trees, a foreign workspace
//! database, missing capture.

use pggit_pg::store::{self, Commit};
use pggit_pg::workspace;
use serde::Serialize;

use crate::error::Result;
use crate::repo::{Repository, WorkspaceHealth};

/// One thing `doctor` found.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// `commit`, `tree`, `merge`, `journal`, `workspace`, `scratch`, `capture`.
    pub check: &'static str,
    pub subject: String,
    pub problem: String,
    /// Set when `--repair` fixed it.
    pub repaired: bool,
}

/// What `doctor` found, and what it repaired.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    pub commits: usize,
    pub trees: usize,
    pub workspaces: usize,
    pub findings: Vec<Finding>,
    /// Findings left unrepaired.
    pub problems: usize,
}

impl Repository {
    /// Check the repository; with `repair`, fix what can be fixed safely.
    pub fn doctor(&mut self, repair: bool) -> Result<DoctorReport> {
        let mut findings = Vec::new();
        let commits = store::all_commits(&mut self.client)?;
        self.check_commits(&commits, &mut findings);
        let trees = store::all_tree_hashes(&mut self.client)?;
        for hash in &trees {
            let tree = self.tree(hash)?;
            let hashed = tree.hashed();
            if hashed.hash != *hash {
                findings.push(Finding {
                    check: "tree",
                    subject: hash.clone(),
                    problem: format!("its contents hash to {}", hashed.hash),
                    repaired: false,
                });
                continue;
            }
            // The packed index a diff chooses its slice from must say what
            // the entries say; rebuilt from them on repair.
            if let Some(stored) = store::read_packed(&mut self.client, hash)? {
                let want = pggit_core::packed::pack(&tree, &hashed)
                    .map_err(|e| pggit_pg::PgError::Unexpected(e.to_string()))?;
                if stored != want {
                    if repair {
                        store::write_packed(&mut self.client, hash, &want)?;
                    }
                    findings.push(Finding {
                        check: "tree",
                        subject: hash.clone(),
                        problem: "its packed index does not match its entries".into(),
                        repaired: repair,
                    });
                }
            }
        }
        let workspaces = workspace::list(&mut self.client)?;
        for w in &workspaces {
            self.check_workspace(w, repair, &mut findings)?;
        }
        let leaked = self.leaked_scratch()?;
        if !leaked.is_empty() {
            let dropped = if repair {
                self.sweep_scratch()?
            } else {
                Vec::new()
            };
            for name in leaked {
                findings.push(Finding {
                    check: "scratch",
                    repaired: dropped.contains(&name),
                    subject: name,
                    problem: "scratch database left by a merge that was killed".into(),
                });
            }
        }
        let problems = findings.iter().filter(|f| !f.repaired).count();
        Ok(DoctorReport {
            commits: commits.len(),
            trees: trees.len(),
            workspaces: workspaces.len(),
            findings,
            problems,
        })
    }

    fn check_commits(&mut self, commits: &[Commit], findings: &mut Vec<Finding>) {
        let ids: std::collections::HashSet<&str> = commits.iter().map(|c| c.id.as_str()).collect();
        for c in commits {
            let id = Commit::compute_id(
                &c.tree,
                &c.parents,
                &c.author,
                &c.committer,
                &c.message,
                &c.authored_at,
                &c.committed_at,
            );
            if id != c.id {
                findings.push(Finding {
                    check: "commit",
                    subject: c.id.clone(),
                    problem: format!("its contents hash to {id}"),
                    repaired: false,
                });
            }
            for p in &c.parents {
                if !ids.contains(p.as_str()) {
                    findings.push(Finding {
                        check: "commit",
                        subject: c.id.clone(),
                        problem: format!("parent {p} does not exist"),
                        repaired: false,
                    });
                }
            }
        }
    }

    fn check_workspace(
        &mut self,
        w: &workspace::Workspace,
        repair: bool,
        findings: &mut Vec<Finding>,
    ) -> Result<()> {
        // Only what no live operation is working on.
        if !self.try_branch_lock(&w.branch)? {
            return Ok(());
        }
        let out = self.check_workspace_locked(w, repair, findings);
        self.release_branch(&w.branch)?;
        out
    }

    fn check_workspace_locked(
        &mut self,
        w: &workspace::Workspace,
        repair: bool,
        findings: &mut Vec<Finding>,
    ) -> Result<()> {
        let subject = format!("{} ({})", w.branch, w.dbname);
        if w.state != "ready" {
            if repair
                && w.dbname != self.repo_db
                && !self.discard_interrupted_checkout(&w.branch)?
            {
                pggit_pg::scratch::drop_database(&mut self.client, &w.dbname)?;
                self.forget_workspace(&w.branch)?;
            }
            findings.push(Finding {
                check: "workspace",
                subject,
                problem: "half-built by an interrupted checkout".into(),
                repaired: repair,
            });
            return Ok(());
        }
        if let Some(rec) = pggit_pg::merges::open_for(&mut self.client, &w.branch)? {
            if rec.status == "in-progress"
                && rec.error.is_none()
                && self.merge_lock_free(&w.branch)?
            {
                let repaired = repair && self.reconcile_merge(&w.branch).is_ok();
                findings.push(Finding {
                    check: "merge",
                    subject: format!("merge #{} into '{}'", rec.id, w.branch),
                    problem: "interrupted: the process running it stopped".into(),
                    repaired,
                });
            }
        }
        let w = &workspace::get(&mut self.client, &w.branch)?.unwrap_or_else(|| w.clone());
        if w.pending.is_some() {
            let repaired = repair && self.recover(&w.branch).is_ok();
            findings.push(Finding {
                check: "journal",
                subject: subject.clone(),
                problem: "an operation was interrupted (its owner is gone)".into(),
                repaired,
            });
        }
        match self.open_workspace(w)? {
            (WorkspaceHealth::Missing, _) => {
                // Nothing is left to lose: forget it, and `checkout` builds
                // it again.
                if repair {
                    self.forget_workspace(&w.branch)?;
                }
                findings.push(Finding {
                    check: "workspace",
                    subject,
                    problem: format!(
                        "the database no longer exists (`pggit checkout {}` builds it again)",
                        w.branch
                    ),
                    repaired: repair,
                })
            }
            (WorkspaceHealth::Foreign, _) => findings.push(Finding {
                check: "workspace",
                subject,
                problem: "the database is not the workspace pggit built (dropped and re-created?)"
                    .into(),
                repaired: false,
            }),
            (WorkspaceHealth::Ok, Some(mut wc)) => {
                let repo_capture = pggit_pg::checks::capture_triggers(&mut self.client)?;
                if repo_capture && !pggit_pg::checks::capture_triggers(&mut wc)? {
                    findings.push(Finding {
                        check: "capture",
                        subject: subject.clone(),
                        problem: "DDL capture event triggers are missing or disabled".into(),
                        repaired: false,
                    });
                }
                for (table, missing) in pggit_pg::checks::broken_tracking(&mut wc)? {
                    findings.push(Finding {
                        check: "capture",
                        subject: format!("{subject}: {table}"),
                        problem: format!("tracked table lacks its {missing}"),
                        repaired: false,
                    });
                }
            }
            (WorkspaceHealth::Ok, None) => {}
        }
        Ok(())
    }
}
