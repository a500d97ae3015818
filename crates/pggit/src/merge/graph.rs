//! The commit graph read from the repository, lazily, in windows of
//! generation numbers: a walk that stops at the merge base never reads
//! history below it.

use std::collections::HashMap;

use pggit_core::merge::bases::{self, Graph};
use pggit_core::merge::virtual_base;
use pggit_core::{Id, Tree};
use pggit_pg::{merges, PgError};

use crate::error::{Error, Result};
use crate::repo::Repository;

pub(crate) struct DbGraph<'a> {
    client: &'a mut postgres::Client,
    cache: HashMap<Id, (Vec<Id>, i64)>,
    /// Every commit with a generation at or above this one is cached.
    loaded_down_to: Option<i64>,
    window: i64,
    pub queries: usize,
}

impl<'a> DbGraph<'a> {
    pub(crate) fn new(client: &'a mut postgres::Client) -> Self {
        DbGraph {
            client,
            cache: HashMap::new(),
            loaded_down_to: None,
            window: 64,
            queries: 0,
        }
    }

    fn load_ids(&mut self, ids: &[&str]) -> Result<(), PgError> {
        self.queries += 1;
        for (id, parents, generation) in merges::generations(self.client, ids)? {
            self.cache.insert(id, (parents, i64::from(generation)));
        }
        Ok(())
    }

    /// Load the next window of generations below what is cached.
    fn load_below(&mut self, top: i64) -> Result<bool, PgError> {
        let hi = self.loaded_down_to.map_or(top, |l| l.min(top + 1) - 1);
        if hi < 0 {
            return Ok(false);
        }
        let lo = (hi - self.window + 1).max(0);
        self.queries += 1;
        for (id, parents, generation) in merges::commits_in_generations(
            self.client,
            i32::try_from(lo).unwrap_or(0),
            i32::try_from(hi).unwrap_or(i32::MAX),
        )? {
            self.cache.insert(id, (parents, i64::from(generation)));
        }
        self.loaded_down_to = Some(lo);
        self.window = (self.window * 2).min(65_536);
        Ok(true)
    }

    fn get(&mut self, id: &str) -> Result<&(Vec<Id>, i64), PgError> {
        if !self.cache.contains_key(id) {
            self.load_ids(&[id])?;
        }
        self.cache.get(id).ok_or_else(|| {
            PgError::Unexpected(format!("commit {id} is missing from the repository"))
        })
    }
}

impl Graph for DbGraph<'_> {
    type Error = PgError;

    fn parents(&mut self, id: &str) -> Result<Vec<Id>, PgError> {
        let (parents, generation) = self.get(id)?.clone();
        // Parents sit below their child: fetch windows until all are known.
        while parents.iter().any(|p| !self.cache.contains_key(p)) {
            if !self.load_below(generation - 1)? {
                break;
            }
        }
        Ok(parents)
    }

    fn generation(&mut self, id: &str) -> Result<i64, PgError> {
        Ok(self.get(id)?.1)
    }
}

impl Repository {
    /// Best common ancestors of two commits.
    pub fn merge_bases(&mut self, a: &str, b: &str) -> Result<Vec<Id>> {
        let mut g = DbGraph::new(&mut self.client);
        Ok(bases::merge_bases(&mut g, a, b)?)
    }

    /// `pggit merge-base A B [--all]`: revisions in, commit ids out.
    pub fn merge_base(&mut self, a: &str, b: &str) -> Result<Vec<Id>> {
        let a = self.resolve(a)?;
        let b = self.resolve(b)?;
        self.merge_bases(&a.id, &b.id)
    }

    pub(crate) fn is_ancestor(&mut self, ancestor: &str, descendant: &str) -> Result<bool> {
        let mut g = DbGraph::new(&mut self.client);
        Ok(bases::is_ancestor(&mut g, ancestor, descendant)?)
    }

    /// The tree to merge against: the merge base's, or for several bases
    /// (criss-cross histories) a virtual base merged from them recursively.
    pub(crate) fn base_tree(&mut self, bases: &[Id]) -> Result<Tree> {
        match bases {
            [] => Err(Error::Refused(
                "the branches share no history; there is nothing to merge against".into(),
            )),
            [one] => {
                let c = self.commit(one)?;
                self.tree(&c.tree)
            }
            [first, rest @ ..] => {
                let mut acc_commit = first.clone();
                let mut acc = {
                    let c = self.commit(first)?;
                    self.tree(&c.tree)?
                };
                for next in rest {
                    let inner_bases = self.merge_bases(&acc_commit, next)?;
                    let inner = self.base_tree(&inner_bases)?;
                    let c = self.commit(next)?;
                    let other = self.tree(&c.tree)?;
                    acc = virtual_base(&inner, &acc, &other);
                    acc_commit = next.clone();
                }
                Ok(acc)
            }
        }
    }
}
