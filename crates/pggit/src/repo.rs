//! Opening and initialising a repository, and the helpers every operation
//! shares: revision resolution, the repository lock, workspace connections
//! and live snapshots.

use pggit_core::identity::{assign, Assigned};
use pggit_core::{rev, Tree};
use pggit_pg::connect::{connect, url, with_dbname};
use pggit_pg::introspect::{snapshot_in_with, snapshot_shared, Reference, Scope};
use pggit_pg::schema::{self, Capture, Installed, SCHEMA_VERSION};
use pggit_pg::store::{self, Commit};
use pggit_pg::trace;
use pggit_pg::workspace::{self, Workspace};
use postgres::{Client, Config, GenericClient};
use serde::Serialize;

use crate::error::{Error, Result};

/// Advisory lock key that serialises repository-changing operations.
const LOCK_KEY: i64 = 0x7067_6769_7400; // "pggit"

/// An open repository: a connection to the repository database.
pub struct Repository {
    pub(crate) config: Config,
    pub(crate) client: Client,
    pub(crate) repo_db: String,
    pub(crate) branch_override: Option<String>,
    pub(crate) lock_wait: std::time::Duration,
    pub(crate) filters: crate::timetravel::FilterPolicy,
    /// Where long operations report how far they got (nowhere by default).
    pub(crate) progress: std::sync::Arc<dyn pggit_core::progress::Progress>,
}

/// Who and when, for commits.
#[derive(Debug, Clone, Default)]
pub struct Signature {
    /// Defaults to the database role.
    pub author: Option<String>,
    /// RFC 3339 time; defaults to now.
    pub at: Option<String>,
}

/// Options of `init`.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// Schemas to track; empty = every non-system schema.
    pub schemas: Vec<String>,
    pub signature: Signature,
    /// Leave privileges (`GRANT`/`REVOKE`) out of every snapshot (for
    /// teams whose roles differ between environments).
    pub skip_privileges: bool,
}

/// What `init` did.
#[derive(Debug, Clone, Serialize)]
pub struct InitOutcome {
    pub database: String,
    pub commit: String,
    /// Objects imported (owner entries not counted).
    pub objects: usize,
    pub capture: bool,
    /// Why capture is off, when it is.
    pub capture_note: Option<String>,
    pub server_version: String,
}

impl Repository {
    /// Where long operations (workspace builds, migrations applied to a
    /// workspace) report their progress, statement by statement.
    pub fn set_progress(&mut self, progress: std::sync::Arc<dyn pggit_core::progress::Progress>) {
        self.progress = progress;
    }

    /// Install pggit into the database `config` points at and import its
    /// schema as the root commit of `main`.
    pub fn init(config: &Config, opts: &InitOptions) -> Result<(Repository, InitOutcome)> {
        Repository::init_with(config, opts, &pggit_core::progress::Silent)
    }

    /// [`Repository::init`], reporting the catalog read to `progress`.
    pub fn init_with(
        config: &Config,
        opts: &InitOptions,
        progress: &dyn pggit_core::progress::Progress,
    ) -> Result<(Repository, InitOutcome)> {
        let mut client = connect(config)?;
        let (version_num, version): (i32, String) = {
            let r = client.query_one(
                "SELECT current_setting('server_version_num')::int, current_setting('server_version')",
                &[],
            )?;
            (r.get(0), r.get(1))
        };
        if version_num < 130000 {
            return Err(Error::ServerTooOld(version));
        }
        let db: String = client
            .query_one("SELECT current_database()::text", &[])?
            .get(0);
        opts.signature.check()?;
        match schema::installed(&mut client)? {
            Installed::None => {}
            _ => return Err(Error::AlreadyInitialized(db)),
        }
        let stray: bool = client
            .query_one("SELECT to_regnamespace('pggit') IS NOT NULL", &[])?
            .get(0);
        if stray {
            return Err(Error::Refused(format!(
                "database \"{db}\" already has a schema named pggit that is not a pggit repository; rename or drop it first"
            )));
        }
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])?;
        let capture = schema::install_repository(&mut tx)?;
        tx.execute(
            "INSERT INTO pggit.config (key, value) VALUES ('track_schemas', $1)",
            &[&serde_json::json!(opts.schemas)],
        )?;
        if opts.skip_privileges {
            tx.execute(
                "INSERT INTO pggit.config (key, value) VALUES ('track_privileges', 'false')",
                &[],
            )?;
        }
        let scope = Scope {
            schemas: opts.schemas.clone(),
            reference: Reference {
                bookkeeping: true,
                ..Reference::default()
            },
            skip_privileges: opts.skip_privileges,
        };
        let raw = snapshot_in_with(&mut tx, &scope, progress)?;
        let Assigned { tree, map } = assign(&raw, &Default::default(), None, &format!("root:{db}"));
        let tree_hash = store::write_tree(&mut tx, &tree)?;
        let author = match &opts.signature.author {
            Some(a) => a.clone(),
            None => tx.query_one("SELECT current_user::text", &[])?.get(0),
        };
        let at = timestamp(&opts.signature);
        let message = format!("Import schema of database \"{db}\"");
        let commit = Commit {
            id: Commit::compute_id(&tree_hash, &[], &author, &author, &message, &at, &at),
            tree: tree_hash,
            parents: vec![],
            generation: 1,
            author: author.clone(),
            committer: author,
            message,
            authored_at: at.clone(),
            committed_at: at,
        };
        store::write_commit(&mut tx, &commit)?;
        store::create_ref(&mut tx, "main", "branch", &commit.id, "init")?;
        store::set_head(&mut tx, "main")?;
        workspace::register(&mut tx, "main", &db, true)?;
        store::write_identities(&mut tx, "main", None, &map)?;
        tx.commit()?;
        let outcome = InitOutcome {
            database: db.clone(),
            commit: commit.id,
            // Owners are facts about objects, not objects.
            objects: tree
                .entries
                .values()
                .filter(|e| !matches!(e.object, pggit_core::model::Object::Owner(_)))
                .count(),
            capture: capture == Capture::Installed,
            capture_note: match capture {
                Capture::Installed => None,
                Capture::Unavailable(why) => Some(format!(
                    "DDL capture is off (event triggers could not be created: {why}); pggit works from snapshots alone"
                )),
            },
            server_version: version,
        };
        Ok((
            Repository {
                config: config.clone(),
                client,
                repo_db: db,
                branch_override: None,
                lock_wait: crate::lock::default_lock_wait(),
                filters: crate::timetravel::FilterPolicy::from_env(),
                progress: std::sync::Arc::new(pggit_core::progress::Silent),
            },
            outcome,
        ))
    }

    /// Open the repository behind `config`. A workspace database leads to
    /// its repository, with its branch as the current one.
    pub fn open(config: &Config, branch: Option<String>) -> Result<Repository> {
        let _t = trace::span("open repository");
        let mut client = connect(config)?;
        let db: String = client
            .query_one("SELECT current_database()::text", &[])?
            .get(0);
        match schema::installed(&mut client)? {
            Installed::None => Err(Error::NotARepository(db)),
            Installed::Repository { version } => {
                if version > SCHEMA_VERSION {
                    return Err(Error::TooNew {
                        found: version,
                        supported: SCHEMA_VERSION,
                    });
                }
                if version < SCHEMA_VERSION {
                    let mut tx = client.transaction()?;
                    schema::upgrade(&mut tx, version)?;
                    tx.commit()?;
                }
                let mut repo = Repository {
                    config: config.clone(),
                    client,
                    repo_db: db,
                    branch_override: branch.clone(),
                    lock_wait: crate::lock::default_lock_wait(),
                    filters: crate::timetravel::FilterPolicy::from_env(),
                    progress: std::sync::Arc::new(pggit_core::progress::Silent),
                };
                if let Some(b) = &branch {
                    repo.branch_ref(b)?;
                }
                Ok(repo)
            }
            Installed::Workspace {
                repository,
                branch: ws_branch,
            } => {
                let repo_config = with_dbname(config, &repository);
                Repository::open(&repo_config, Some(branch.unwrap_or(ws_branch)))
            }
        }
    }

    /// Name of the repository database.
    pub fn database(&self) -> &str {
        &self.repo_db
    }

    /// The branch commands act on: the one selected for this session
    /// (`--branch`, a workspace's URL, a checkout made through this value,
    /// or [`Repository::select_branch`]), else the branch whose workspace is
    /// the repository database itself (`main`). Never shared state: one
    /// user's checkout does not move another's.
    pub fn current_branch(&mut self) -> Result<String> {
        if let Some(b) = &self.branch_override {
            return Ok(b.clone());
        }
        let own = self.client.query_opt(
            "SELECT branch FROM pggit.workspaces WHERE dbname = $1",
            &[&self.repo_db],
        )?;
        match own {
            Some(r) => Ok(r.get(0)),
            None => Ok(store::head_branch(&mut self.client)?),
        }
    }

    /// Whether this session's branch was chosen explicitly (`--branch` or
    /// a workspace's URL) rather than defaulting to the repository
    /// database's own branch.
    pub fn branch_is_explicit(&self) -> bool {
        self.branch_override.is_some()
    }

    /// Act on `branch` from now on (it must exist).
    pub fn select_branch(&mut self, branch: &str) -> Result<()> {
        self.branch_ref(branch)?;
        self.branch_override = Some(branch.to_string());
        Ok(())
    }

    /// A key naming this repository for per-user local state: server,
    /// port, role and repository database.
    pub fn local_key(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => String::new(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let user = self.config.get_user().unwrap_or_default();
        format!("{user}@{host}:{port}/{}", self.repo_db)
    }

    /// The commit a branch points at.
    pub(crate) fn branch_ref(&mut self, branch: &str) -> Result<Commit> {
        let r = store::read_ref(&mut self.client, branch)?
            .filter(|r| r.kind == "branch")
            .ok_or_else(|| Error::NoSuchBranch(branch.to_string()))?;
        self.commit(&r.commit)
    }

    pub(crate) fn commit(&mut self, id: &str) -> Result<Commit> {
        store::read_commit(&mut self.client, id)?
            .ok_or_else(|| Error::UnknownRevision(id.to_string()))
    }

    /// Resolve a revision expression to a commit.
    pub fn resolve(&mut self, spec: &str) -> Result<Commit> {
        let parsed = rev::parse(spec).map_err(|_| Error::UnknownRevision(spec.to_string()))?;
        let mut commit = if parsed.base == "HEAD" {
            let b = self.current_branch()?;
            self.branch_ref(&b)?
        } else if let Some(r) = store::read_ref(&mut self.client, &parsed.base)? {
            self.commit(&r.commit)?
        } else if parsed.base.len() >= 4 && parsed.base.chars().all(|c| c.is_ascii_hexdigit()) {
            let ids =
                store::commits_by_prefix(&mut self.client, &parsed.base.to_ascii_lowercase())?;
            match ids.as_slice() {
                [one] => self.commit(one)?,
                [] => return Err(Error::UnknownRevision(spec.to_string())),
                _ => return Err(Error::AmbiguousRevision(spec.to_string())),
            }
        } else {
            return Err(Error::UnknownRevision(spec.to_string()));
        };
        for step in parsed.steps {
            let parent = commit
                .parents
                .get(step - 1)
                .cloned()
                .ok_or_else(|| Error::UnknownRevision(spec.to_string()))?;
            commit = self.commit(&parent)?;
        }
        Ok(commit)
    }

    /// The schema tree at a revision.
    pub fn tree_of(&mut self, rev: &str) -> Result<Tree> {
        let c = self.resolve(rev)?;
        self.tree(&c.tree)
    }

    pub(crate) fn tree(&mut self, hash: &str) -> Result<Tree> {
        Ok(store::read_tree(&mut self.client, hash)?)
    }

    pub(crate) fn scope(&mut self) -> Result<Scope> {
        let row = self.client.query_opt(
            "SELECT value FROM pggit.config WHERE key = 'track_schemas'",
            &[],
        )?;
        let schemas = match row {
            Some(r) => serde_json::from_value(r.get::<_, serde_json::Value>(0)).unwrap_or_default(),
            None => Vec::new(),
        };
        let skip_privileges = self
            .client
            .query_opt(
                "SELECT value = 'false'::jsonb FROM pggit.config WHERE key = 'track_privileges'",
                &[],
            )?
            .is_some_and(|r| r.get::<_, bool>(0));
        Ok(Scope {
            schemas,
            reference: self.reference_settings()?,
            skip_privileges,
        })
    }

    /// The ready workspace of a branch.
    pub(crate) fn workspace(&mut self, branch: &str) -> Result<Workspace> {
        match workspace::get(&mut self.client, branch)? {
            Some(w) if w.state == "ready" => Ok(w),
            _ => Err(Error::Refused(format!(
                "branch '{branch}' has no workspace; run `pggit checkout {branch}` to create it"
            ))),
        }
    }

    /// Where a snapshot of `branch`'s workspace opens its helper connection.
    pub(crate) fn helper_config(&mut self, branch: &str) -> Option<Config> {
        let w = workspace::get(&mut self.client, branch).ok()??;
        Some(self.workspace_config(&w))
    }

    pub(crate) fn workspace_config(&self, w: &Workspace) -> Config {
        with_dbname(&self.config, &w.dbname)
    }

    /// Connection URL of a workspace (password omitted).
    pub fn workspace_url(&self, dbname: &str) -> String {
        url(&with_dbname(&self.config, dbname))
    }

    /// Unregister a branch's workspace (its database is gone or never was
    /// pggit's); `checkout` builds a new one.
    pub(crate) fn forget_workspace(&mut self, branch: &str) -> Result<()> {
        let mut tx = self.client.transaction()?;
        workspace::unregister(&mut tx, branch)?;
        tx.commit()?;
        Ok(())
    }

    /// A connection to a branch's workspace database, checked to still be
    /// that workspace: a dropped database, or another one re-created under
    /// its name, is refused (so nothing reads it as "every table removed").
    pub(crate) fn connect_workspace(&self, w: &Workspace) -> Result<Client> {
        match self.open_workspace(w)? {
            (WorkspaceHealth::Ok, Some(c)) => Ok(c),
            (WorkspaceHealth::Missing, _) => Err(Error::Refused(format!(
                "the workspace database \"{}\" of branch '{}' no longer exists; run `pggit checkout {}` to rebuild it",
                w.dbname, w.branch, w.branch
            ))),
            _ => Err(Error::Refused(format!(
                "database \"{}\" is no longer the workspace of branch '{}' (was it dropped and re-created?); drop or rename it, then run `pggit checkout {}` to rebuild the workspace",
                w.dbname, w.branch, w.branch
            ))),
        }
    }

    /// Connect to a workspace and tell whether it is still the one pggit
    /// built (upgrading its capture functions if it is).
    pub(crate) fn open_workspace(
        &self,
        w: &Workspace,
    ) -> Result<(WorkspaceHealth, Option<Client>)> {
        let mut client = match connect(&self.workspace_config(w)) {
            Ok(c) => c,
            Err(pggit_pg::PgError::Db(e))
                if e.code() == Some(&postgres::error::SqlState::INVALID_CATALOG_NAME) =>
            {
                return Ok((WorkspaceHealth::Missing, None))
            }
            Err(e) => return Err(e.into()),
        };
        if w.state != "ready" {
            // Being built (under the branch lock): no marker yet.
            return Ok((WorkspaceHealth::Ok, Some(client)));
        }
        let ours = match schema::installed(&mut client)? {
            Installed::Repository { .. } => w.dbname == self.repo_db,
            Installed::Workspace { repository, branch } => {
                repository == self.repo_db && branch == w.branch
            }
            Installed::None => false,
        };
        if !ours {
            return Ok((WorkspaceHealth::Foreign, Some(client)));
        }
        schema::ensure_current(&mut client)?;
        Ok((WorkspaceHealth::Ok, Some(client)))
    }

    /// Snapshot a workspace and give it stable ids, using its identity map
    /// and `reference` for name matches.
    pub(crate) fn live_tree(
        &mut self,
        wclient: &mut Client,
        branch: &str,
        reference: &Tree,
        salt: &str,
    ) -> Result<Live> {
        let scope = self.scope()?;
        let helper = self.helper_config(branch);
        let (raw, ddl_high) = live_snapshot(wclient, helper, &scope, &*self.progress)?;
        let known = store::read_identities(&mut self.client, branch)?;
        let Assigned { tree, map } = assign(&raw, &known, Some(reference), salt);
        Ok(Live {
            tree,
            map,
            known,
            ddl_high,
        })
    }

    /// Take the repository lock for the rest of `tx`.
    pub(crate) fn lock(tx: &mut impl GenericClient) -> Result<()> {
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])?;
        Ok(())
    }

    /// A new commit on top of `parent` (author from `sig` or the role,
    /// committer the role, time from `sig` or now).
    pub(crate) fn new_commit(
        &mut self,
        tree: String,
        parent: &Commit,
        message: String,
        sig: &Signature,
    ) -> Result<Commit> {
        sig.check()?;
        let committer = self.role()?;
        let author = sig.author.clone().unwrap_or_else(|| committer.clone());
        let at = timestamp(sig);
        let parents = vec![parent.id.clone()];
        Ok(Commit {
            id: Commit::compute_id(&tree, &parents, &author, &committer, &message, &at, &at),
            tree,
            parents,
            generation: parent.generation + 1,
            author,
            committer,
            message,
            authored_at: at.clone(),
            committed_at: at,
        })
    }

    pub(crate) fn role(&mut self) -> Result<String> {
        Ok(self
            .client
            .query_one("SELECT current_user::text", &[])?
            .get(0))
    }
}

/// Whether a registered workspace database is still the one pggit built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WorkspaceHealth {
    Ok,
    /// The database is gone.
    Missing,
    /// A database of that name exists but is not this branch's workspace.
    Foreign,
}

/// A workspace's live schema with stable ids.
pub(crate) struct Live {
    pub tree: Tree,
    /// Identity map after this snapshot.
    pub map: pggit_core::identity::IdentityMap,
    /// Identity map as stored before it.
    pub known: pggit_core::identity::IdentityMap,
    /// Highest captured DDL id visible to the snapshot.
    pub ddl_high: i64,
}

/// RFC 3339 time of a signature (now by default).
pub(crate) fn timestamp(sig: &Signature) -> String {
    sig.at
        .clone()
        .unwrap_or_else(|| chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Size of `pg_attribute` (about 0.5 MB in an empty database, 6 MB with
/// 10,000 columns and 4,000 indexes) from which a snapshot opens a helper
/// connection. Its file size is current where row estimates wait for a
/// vacuum.
const HELPER_MIN_ATTRIBUTE_BYTES: i64 = 2 << 20;

/// A workspace's snapshot with its captured-DDL high-water mark, read in
/// the snapshot's own transaction so that a commit covers exactly the
/// statements it saw.
/// `helper` connects to the workspace again: a second connection reads the
/// heaviest catalogs in the same snapshot meanwhile.
pub(crate) fn live_snapshot(
    wclient: &mut Client,
    helper: Option<Config>,
    scope: &Scope,
    progress: &dyn pggit_core::progress::Progress,
) -> Result<(pggit_pg::introspect::RawTree, i64)> {
    let mut tx = wclient
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let ddl_high = store::ddl_high_water(&mut tx)?;
    // A small catalog is read before a second connection would be open:
    // the helper is worth its connection slot only for a big one.
    let attributes: Option<i64> = tx
        .query_one(
            "SELECT pg_catalog.pg_relation_size('pg_catalog.pg_attribute'::pg_catalog.regclass)",
            &[],
        )?
        .get(0);
    let helper = helper.filter(|_| attributes.is_none_or(|b| b >= HELPER_MIN_ATTRIBUTE_BYTES));
    let raw = match helper {
        Some(mut config) => {
            // A helper that cannot connect soon is given up on (the reader
            // stops waiting for it after a few seconds anyway).
            if config.get_connect_timeout().is_none() {
                config.connect_timeout(std::time::Duration::from_secs(5));
            }
            snapshot_shared(&mut tx, move || connect(&config).ok(), scope, progress)?.0
        }
        None => snapshot_in_with(&mut tx, scope, progress)?,
    };
    tx.commit()?;
    Ok((raw, ddl_high))
}
