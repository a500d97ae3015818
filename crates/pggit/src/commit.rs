//! `status` and `commit`.

use pggit_core::diff::Change;
use pggit_pg::store::{self, Commit, DdlEvent};
use pggit_pg::{trace, workspace};
use serde::Serialize;

use crate::compare::Stamped;
use crate::error::{Error, Result};
use crate::repo::{Repository, Signature};

/// Attempts before a commit whose branch keeps being moved (outside pggit's
/// lock) gives up.
const MAX_ATTEMPTS: u32 = 8;

/// What `status` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub branch: String,
    pub head: String,
    pub workspace: String,
    pub capture: bool,
    /// DDL captured since the last commit.
    pub captured: Vec<DdlEvent>,
    /// Structural difference between HEAD and the live workspace.
    pub changes: Vec<Change>,
}

/// Options of `commit`.
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    pub message: Option<String>,
    pub signature: Signature,
}

/// What `commit` did.
#[derive(Debug, Clone, Serialize)]
pub struct CommitOutcome {
    pub branch: String,
    pub commit: Commit,
    pub changes: Vec<Change>,
    pub attempts: u32,
}

impl Repository {
    /// Captured DDL and the structural difference since HEAD.
    pub fn status(&mut self) -> Result<Status> {
        let branch = self.current_branch()?;
        // An operation interrupted on this branch is settled first.
        self.recover(&branch)?;
        let head = self.branch_ref(&branch)?;
        let w = self.workspace(&branch)?;
        let mut wc = self.connect_workspace(&w)?;
        let (mut head_tree, live) = self.head_and_live(&mut wc, &branch, &head.tree, &head.id)?;
        let stamped = Stamped::of(&live.tree)?;
        let changes = if stamped.hashed.hash == head.tree {
            Vec::new()
        } else {
            self.compare_head(&mut head_tree, &live.tree, &stamped)?
        };
        Ok(Status {
            capture: pggit_pg::schema::capture_active(&mut wc)?,
            captured: store::ddl_since(&mut wc, w.ddl_seen)?,
            changes,
            branch,
            head: head.id,
            workspace: w.dbname,
        })
    }

    /// Snapshot the current branch's workspace into a new commit. Concurrent
    /// committers (and merges, resets, ...) on the branch wait for each other
    /// on the branch lock.
    pub fn commit_workspace(&mut self, opts: &CommitOptions) -> Result<CommitOutcome> {
        let branch = self.current_branch()?;
        self.with_branch_lock(&branch.clone(), |repo| repo.commit_locked(&branch, opts))
    }

    /// `commit` under the branch lock: no other pggit operation moves the
    /// branch meanwhile, so the compare-and-swap below fails only if
    /// something outside pggit rewrote the ref.
    fn commit_locked(&mut self, branch: &str, opts: &CommitOptions) -> Result<CommitOutcome> {
        let branch = branch.to_string();
        for attempt in 1..=MAX_ATTEMPTS {
            let t = trace::span("prepare (head, recovery, workspace connection)");
            let head = self.branch_ref(&branch)?;
            // Finish or discard an interrupted reset/revert first.
            self.recover(&branch)?;
            let w = self.workspace(&branch)?;
            let mut wc = self.connect_workspace(&w)?;
            drop(t);
            let (mut head_tree, live) =
                self.head_and_live(&mut wc, &branch, &head.tree, &head.id)?;
            let t = trace::span("read captured DDL");
            let captured: Vec<DdlEvent> = store::ddl_since(&mut wc, w.ddl_seen)?
                .into_iter()
                .filter(|e| e.id <= live.ddl_high)
                .collect();
            drop(t);
            let stamped = Stamped::of(&live.tree)?;
            let tree_hash = stamped.hashed.hash.clone();
            if tree_hash == head.tree {
                return Err(Error::NothingToCommit(short(&head.id)));
            }
            let changes = self.compare_head(&mut head_tree, &live.tree, &stamped)?;
            let message = match &opts.message {
                Some(m) => m.clone(),
                None => default_message(&captured, &changes),
            };
            let commit = self.new_commit(tree_hash, &head, message, &opts.signature)?;
            let mut tx = self.client.transaction()?;
            {
                let _t = trace::span("write tree");
                let stored = head_tree.stores();
                store::write_hashed(&mut tx, &stamped.hashed, &stamped.packed, &stored)?;
            }
            store::write_commit(&mut tx, &commit)?;
            let subject = commit
                .message
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            if !store::cas_ref(
                &mut tx,
                &branch,
                &head.id,
                &commit.id,
                &format!("commit: {subject}"),
            )? {
                tx.rollback()?;
                continue;
            }
            let t = trace::span("write identities, commit");
            store::write_identities(&mut tx, &branch, Some(&live.known), &live.map)?;
            workspace::set_ddl_seen(&mut tx, &branch, live.ddl_high)?;
            crate::failpoint::hit("commit.before_commit");
            tx.commit()?;
            drop(t);
            return Ok(CommitOutcome {
                branch,
                commit,
                changes,
                attempts: attempt,
            });
        }
        Err(Error::Contended(branch, MAX_ATTEMPTS))
    }
}

/// Longest subject line of a default message (as git recommends).
const SUBJECT_MAX: usize = 72;
/// Statements listed in a default message's body, and the length each is
/// cut to: a 5 MB function body does not become a 5 MB message.
const BODY_STATEMENTS: usize = 20;
const BODY_LINE_MAX: usize = 160;

/// `s` cut to at most `max` characters, marked with an ellipsis when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The captured statements (first line of each, clipped), or a summary of
/// the changes without capture.
fn default_message(captured: &[DdlEvent], changes: &[Change]) -> String {
    let mut statements: Vec<&str> = Vec::new();
    for e in captured {
        if let Some(s) = &e.statement {
            let s = s.trim();
            if !statements.contains(&s) {
                statements.push(s);
            }
        }
    }
    if let Some(first) = statements.first() {
        let first_line = first.lines().next().unwrap_or_default();
        let subject = clip(first_line, SUBJECT_MAX);
        if statements.len() == 1 && first.lines().count() == 1 && subject == first_line {
            return subject;
        }
        let more = statements.len() - 1;
        let subject = if more > 0 {
            clip(&format!("{subject} (+{more} more)"), SUBJECT_MAX + 12)
        } else {
            subject
        };
        let mut body: Vec<String> = statements
            .iter()
            .take(BODY_STATEMENTS)
            .map(|s| {
                let line = s.lines().next().unwrap_or_default();
                let cut = s.lines().nth(1).is_some() || line.chars().count() > BODY_LINE_MAX;
                if cut {
                    let mut l = clip(line, BODY_LINE_MAX);
                    if !l.ends_with('…') {
                        l.push_str(" …");
                    }
                    l
                } else {
                    line.to_string()
                }
            })
            .collect();
        if statements.len() > BODY_STATEMENTS {
            body.push(format!(
                "… and {} more statement(s)",
                statements.len() - BODY_STATEMENTS
            ));
        }
        return format!("{subject}\n\n{}", body.join("\n"));
    }
    let parts: Vec<String> = changes
        .iter()
        .take(5)
        .map(|c| format!("{:?} {} {}", c.status, c.kind_name, c.name).to_lowercase())
        .collect();
    let more = changes.len().saturating_sub(5);
    let mut m = format!("Update schema: {}", parts.join(", "));
    if more > 0 {
        m.push_str(&format!(" and {more} more"));
    }
    m
}

pub(crate) fn short(id: &str) -> String {
    id.chars().take(10).collect()
}

#[cfg(test)]
mod tests {
    use super::default_message;
    use pggit_pg::store::DdlEvent;

    fn ev(id: i64, sql: &str) -> DdlEvent {
        DdlEvent {
            id,
            at: String::new(),
            role: "r".into(),
            application_name: None,
            txid: 1,
            command_tag: "CREATE FUNCTION".into(),
            object_type: None,
            object_identity: None,
            statement: Some(sql.into()),
        }
    }

    #[test]
    fn default_message_is_bounded() {
        assert_eq!(
            default_message(&[ev(1, "CREATE TABLE t (id int)")], &[]),
            "CREATE TABLE t (id int)"
        );
        let huge = format!(
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 {} $$",
            " ".repeat(5_000_000)
        );
        let many: Vec<DdlEvent> = (0..100)
            .map(|i| ev(i, &format!("CREATE TABLE t{i} (id int)\n  -- line two")))
            .collect();
        for m in [
            default_message(&[ev(1, &huge)], &[]),
            default_message(&many, &[]),
        ] {
            assert!(m.len() < 8_000, "{} bytes", m.len());
            assert!(m.lines().next().unwrap().chars().count() <= 84, "{m}");
        }
        let m = default_message(&many, &[]);
        assert!(m.starts_with("CREATE TABLE t0 (id int) (+99 more)"), "{m}");
        assert!(m.ends_with("… and 80 more statement(s)"), "{m}");
    }
}
