//! Scratch databases of merges (validity checks, custom definitions),
//! owned by a session advisory lock in the repository database: one left
//! behind by a killed process is recognised (its lock is free) and dropped
//! by the next merge, `merge --abort`, `merge --status` or `doctor`.

use pggit_pg::scratch::{drop_database, ScratchDb};

use crate::error::Result;
use crate::lock::Key;
use crate::repo::Repository;

impl Repository {
    /// Names of this repository's scratch databases start with
    /// `pggit_{kind}_{tag}_`: the tag keeps repositories on one server apart.
    fn scratch_tag(&self) -> String {
        pggit_core::hash::sha256_hex(self.repo_db.as_bytes())[..8].to_string()
    }

    /// Run `f` with a fresh scratch database of kind `kind`, dropped
    /// afterwards (also when `f` fails); held under its lock throughout.
    pub(crate) fn with_scratch<T>(
        &mut self,
        kind: &str,
        f: impl FnOnce(&mut Repository, &ScratchDb) -> Result<T>,
    ) -> Result<T> {
        let name = ScratchDb::name_for(&format!("pggit_{kind}_{}", self.scratch_tag()));
        self.lock_key(Key::Scratch(&name))?;
        let out = match ScratchDb::create_named(&self.config, &name) {
            Ok(db) => f(self, &db),
            Err(e) => Err(e.into()),
        };
        let _ = self.unlock(Key::Scratch(&name));
        out
    }

    fn scratch_databases(&mut self) -> Result<Vec<String>> {
        // Exactly the names `with_scratch` makes (kinds merge_check and
        // merge_custom), so that no workspace or user database can match.
        let tag = self.scratch_tag();
        let patterns: Vec<String> = ["merge\\_check", "merge\\_custom"]
            .iter()
            .map(|k| format!("pggit\\_{k}\\_{tag}\\_%"))
            .collect();
        Ok(self
            .client
            .query(
                "SELECT datname::text FROM pg_database WHERE datname LIKE ANY ($1) ORDER BY 1",
                &[&patterns],
            )?
            .into_iter()
            .map(|r| r.get(0))
            .collect())
    }

    /// This repository's scratch databases whose owner is gone.
    pub(crate) fn leaked_scratch(&mut self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for name in self.scratch_databases()? {
            if self.lock_free(Key::Scratch(&name))? {
                out.push(name);
            }
        }
        Ok(out)
    }

    /// Drop this repository's scratch databases whose owner is gone.
    /// Returns their names.
    pub fn sweep_scratch(&mut self) -> Result<Vec<String>> {
        let names = self.scratch_databases()?;
        let mut dropped = Vec::new();
        for name in names {
            if !self.try_lock(Key::Scratch(&name))? {
                continue;
            }
            let res = drop_database(&mut self.client, &name);
            self.unlock(Key::Scratch(&name))?;
            res?;
            dropped.push(name);
        }
        Ok(dropped)
    }
}
