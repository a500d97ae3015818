//! Command-line arguments (the only thing this module knows about).

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Git for PostgreSQL schemas: version, branch, diff and migrate databases.
#[derive(Debug, Parser)]
#[command(name = "pggit", version, about, disable_help_subcommand = true)]
pub struct Cli {
    /// Connection URL (else PGGIT_DATABASE_URL, DATABASE_URL, then PGHOST/PGPORT/PGUSER/PGDATABASE...).
    #[arg(long, global = true, value_name = "URL")]
    pub db: Option<String>,
    /// Act on this branch instead of the checked-out one.
    #[arg(long, global = true, value_name = "NAME")]
    pub branch: Option<String>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
    /// When to use color.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install pggit into the database and import its schema as the root commit on main.
    Init {
        /// Track only these schemas (repeatable); default: every non-system schema.
        #[arg(long = "schema", value_name = "SCHEMA")]
        schemas: Vec<String>,
        /// Do not version privileges (GRANT/REVOKE), for teams whose roles
        /// differ between environments.
        #[arg(long)]
        no_privileges: bool,
    },
    /// Show captured DDL and the difference between the workspace and HEAD.
    Status,
    /// Check the repository's invariants (exit 1 when problems remain).
    Doctor {
        /// Repair what can be repaired safely: interrupted operations,
        /// half-built workspaces, leaked scratch databases.
        #[arg(long)]
        repair: bool,
    },
    /// Snapshot the workspace schema into a new commit.
    Commit {
        /// Commit message (default: the captured DDL statements).
        #[arg(short, long)]
        message: Option<String>,
    },
    /// Show commit history.
    Log(LogArgs),
    /// Show a commit (changes and migration) or one object's definition at a commit.
    Show {
        #[arg(default_value = "HEAD")]
        rev: String,
        /// An object name, e.g. public.users or public.f(integer).
        object: Option<String>,
    },
    /// Compare commits, the workspace, or two live databases.
    Diff(DiffArgs),
    /// List, create or delete branches.
    Branch(BranchArgs),
    /// Switch branches, creating the branch's workspace database on first use.
    Checkout {
        /// Create the branch first (from START or HEAD).
        #[arg(short = 'b')]
        create: bool,
        name: String,
        start: Option<String>,
    },
    /// List, create or delete tags.
    Tag {
        /// Delete the tag.
        #[arg(short = 'd', long = "delete")]
        delete: bool,
        name: Option<String>,
        rev: Option<String>,
    },
    /// Bring the branch and its workspace to REV (only --hard is supported).
    Reset {
        #[arg(long, required = true)]
        hard: bool,
        #[arg(default_value = "HEAD")]
        rev: String,
        /// Apply destructive steps.
        #[arg(long)]
        force: bool,
    },
    /// Record a commit that undoes REV and apply it to the workspace.
    Revert {
        rev: String,
        /// For a merge commit: the parent to go back to (1: the branch merged into).
        #[arg(short = 'm', long = "mainline", value_name = "PARENT")]
        mainline: Option<usize>,
        #[arg(long)]
        force: bool,
    },
    /// Best common ancestor(s) of two revisions.
    MergeBase {
        a: String,
        b: String,
        /// Print every best common ancestor (criss-cross histories have several).
        #[arg(long)]
        all: bool,
    },
    /// Merge a branch into the current one (or --into), or manage the open merge.
    Merge(MergeArgs),
    /// List the conflicts of a merge (default: the open or latest merge into the branch).
    Conflicts {
        merge_id: Option<i64>,
        /// Only this kind (BOTH_MODIFIED, DELETED_TARGET, ...).
        #[arg(long)]
        kind: Option<String>,
        /// Only this object type (table, view, function, ...).
        #[arg(long)]
        object_type: Option<String>,
        /// Only conflicts without a decision.
        #[arg(long)]
        unresolved: bool,
    },
    /// Settle conflicts of the open merge: all named ones in one transaction, or none.
    Resolve(ResolveArgs),
    /// Apply the changes a commit made to the current branch as a new commit.
    CherryPick { rev: String },
    /// Which commit last changed each part of an object.
    Blame { object: String },
    /// Start row history for tables (time travel on their data).
    Track {
        /// Tables, e.g. public.orders.
        tables: Vec<String>,
        /// Every table of this schema.
        #[arg(long)]
        schema: Option<String>,
        /// List tracked tables instead.
        #[arg(long, conflicts_with_all = ["tables", "schema"])]
        list: bool,
    },
    /// Stop row history for a table (its history is kept unless --drop-history).
    Untrack {
        table: String,
        #[arg(long)]
        drop_history: bool,
    },
    /// A tracked table as it was at a time, snapshot, commit or tag.
    Asof {
        table: String,
        #[arg(long)]
        at: String,
        /// Only rows matching this SQL condition.
        #[arg(long = "where", value_name = "CONDITION")]
        filter: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Columns as the table has them now, or as it had them then (dropped columns included).
        #[arg(long, value_enum, default_value_t = Shape::Current)]
        shape: Shape,
    },
    /// Every change of one row (--key), or `history prune --older-than 90d`.
    History {
        /// A tracked table, or `prune`.
        target: String,
        /// Primary key value (or a JSON object for a composite key).
        #[arg(long)]
        key: Option<String>,
        /// With prune: forget history older than this (90d, 12h, 2w, 30m).
        #[arg(long)]
        older_than: Option<String>,
        /// With prune: also drop snapshots inside the pruned window.
        #[arg(long)]
        force: bool,
        /// With prune: only count what would go.
        #[arg(long)]
        dry_run: bool,
    },
    /// Rows inserted, deleted and updated between two moments.
    Changes {
        table: String,
        #[arg(long)]
        from: String,
        /// Default: now.
        #[arg(long, default_value = "now")]
        to: String,
    },
    /// Bring a table back to a moment: into a new table or in place.
    Restore {
        table: String,
        #[arg(long)]
        at: String,
        /// Write the restored rows into this new table.
        #[arg(
            long,
            required_unless_present = "in_place",
            conflicts_with = "in_place"
        )]
        into: Option<String>,
        /// Change the table itself (only rows that differ), in one transaction.
        #[arg(long)]
        in_place: bool,
        #[arg(long = "where", value_name = "CONDITION")]
        filter: Option<String>,
    },
    /// Named moments usable wherever a time is accepted.
    Snapshot {
        #[command(subcommand)]
        action: SnapshotAction,
    },
    /// Tables whose rows are versioned with the schema (reference data):
    /// migration tools' bookkeeping (found by name) and marked tables.
    Reference {
        #[command(subcommand)]
        action: Option<ReferenceAction>,
    },
    /// Analyse migration SQL (files, `-` for standard input, or the migration
    /// of a commit or range): the locks each statement takes, tables it
    /// rewrites or scans, changes that break running clients, lint rules
    /// (docs/LINT.md) and a risk score; with `--db`, graded by the target's
    /// rows, size and write traffic.
    Lint(LintArgs),
    /// Run a guided tour on a throwaway database.
    Demo {
        /// Keep the throwaway cluster's data directory (for inspection).
        #[arg(long)]
        keep: bool,
    },
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// SQL files; `-` reads standard input.
    #[arg(required_unless_present = "calibration", value_name = "FILE")]
    pub files: Vec<String>,
    /// Report how well the risk predicted the recorded outcomes of the
    /// migrations pggit applied (needs a repository).
    #[arg(long, conflicts_with_all = ["fix", "trace", "files"])]
    pub calibration: bool,
    /// Major version of the target server (default: the `--db` server's, else 18).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(13..=18))]
    pub pg_version: Option<u32>,
    /// The migration tool runs each file in one transaction (Django, Rails, Flyway, Alembic do).
    #[arg(long)]
    pub assume_in_transaction: bool,
    /// Turn on an opt-in rule (repeatable; `all` turns on every rule).
    #[arg(long = "enable", value_name = "RULE")]
    pub enable: Vec<String>,
    /// Turn off a rule (repeatable).
    #[arg(long = "disable", value_name = "RULE")]
    pub disable: Vec<String>,
    /// Output format (`--json` is the same as `--format json`).
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    pub format: LintFormat,
    /// Exit 1 when a finding is at least this severe (`none`: never).
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    /// Print the safe rewrite of the file (CONCURRENTLY, NOT VALID then
    /// VALIDATE, backfill in batches, timeouts; see docs/LINT.md).
    #[arg(long)]
    pub fix: bool,
    /// With --fix: replace the files with their rewrites.
    #[arg(long, requires = "fix")]
    pub write: bool,
    /// Run the migration on a scratch copy of the target's schema (`--db`),
    /// in one transaction rolled back, and report the locks and rewrites
    /// that really happened beside the prediction.
    #[arg(long, conflicts_with = "fix")]
    pub trace: bool,
    /// With --trace: copy up to N rows of each table into the copy.
    #[arg(long, value_name = "N", requires = "trace", default_value_t = 0)]
    pub trace_rows: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LintFormat {
    Human,
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions annotations.
    Github,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FailOn {
    Low,
    Medium,
    High,
    Critical,
    None,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Branch (or revision) to merge.
    #[arg(required_unless_present_any = ["status", "cont", "abort"])]
    pub source: Option<String>,
    /// Merge into this branch instead of the current one.
    #[arg(long, value_name = "BRANCH")]
    pub into: Option<String>,
    #[arg(long, value_enum, default_value_t = StrategyArg::Auto)]
    pub strategy: StrategyArg,
    /// Show what would happen (changes, conflicts, migration, validity) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: leave out `pggit lint`'s findings on the migration.
    #[arg(long)]
    pub no_lint: bool,
    /// Record a merge commit even when a fast-forward is possible.
    #[arg(long, conflicts_with = "ff_only")]
    pub no_ff: bool,
    /// Refuse unless the merge is a fast-forward.
    #[arg(long)]
    pub ff_only: bool,
    /// Record the result as an ordinary commit with one parent.
    #[arg(long)]
    pub squash: bool,
    /// Merge commit message.
    #[arg(short, long)]
    pub message: Option<String>,
    /// Apply even if the merge drops tables or columns that hold data in the target (listed otherwise).
    #[arg(long)]
    pub force: bool,
    /// Show a merge's status and counts (default: the open or latest merge into the branch).
    #[arg(long, value_name = "MERGE_ID", num_args = 0..=1, conflicts_with_all = ["cont", "abort", "source"])]
    pub status: Option<Option<i64>>,
    /// Finish the open merge once its conflicts are resolved.
    #[arg(long = "continue", id = "cont", conflicts_with_all = ["abort", "source"])]
    pub cont: bool,
    /// Close the open merge; the target is left exactly as it was.
    #[arg(long, conflicts_with = "source")]
    pub abort: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum StrategyArg {
    Auto,
    Ours,
    Theirs,
    Union,
    Manual,
    AbortOnConflict,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("how").required(true).args(["ours", "theirs", "base", "sql"])))]
pub struct ResolveArgs {
    /// Conflict ids (see `pggit conflicts`).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub ids: Vec<i64>,
    /// Every open conflict of the open merge (narrow with --kind / --object-type).
    #[arg(long)]
    pub all: bool,
    #[arg(long, requires = "all")]
    pub kind: Option<String>,
    #[arg(long, requires = "all")]
    pub object_type: Option<String>,
    /// Keep the target's version ("ours").
    #[arg(long)]
    pub ours: bool,
    /// Take the source's version ("theirs").
    #[arg(long)]
    pub theirs: bool,
    /// Go back to the merge base's version.
    #[arg(long)]
    pub base: bool,
    /// Use this definition of the object (one CREATE statement).
    #[arg(long, value_name = "FILE", conflicts_with = "all")]
    pub sql: Option<std::path::PathBuf>,
    /// Why (recorded with the resolution).
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    #[arg(default_value = "HEAD")]
    pub rev: String,
    #[arg(long)]
    pub oneline: bool,
    #[arg(short = 'n', long = "max-count")]
    pub max_count: Option<usize>,
    /// Only commits that changed this object (followed across renames).
    #[arg(long)]
    pub object: Option<String>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Old side (default HEAD).
    pub from: Option<String>,
    /// New side (default: the live workspace).
    pub to: Option<String>,
    /// Print only the migration SQL.
    #[arg(long, conflicts_with = "stat")]
    pub sql: bool,
    /// Print only the list of changed objects.
    #[arg(long)]
    pub stat: bool,
    /// Swap the sides.
    #[arg(long)]
    pub reverse: bool,
    /// Exit with 1 when there are differences.
    #[arg(long)]
    pub exit_code: bool,
    /// Leave out `pggit lint`'s findings (comments before the statements).
    #[arg(long)]
    pub no_lint: bool,
    /// Compare two live databases (objects matched by name).
    #[arg(long, requires = "to_db", value_name = "URL")]
    pub from_db: Option<String>,
    #[arg(long, requires = "from_db", value_name = "URL")]
    pub to_db: Option<String>,
}

#[derive(Debug, Args)]
pub struct BranchArgs {
    /// Delete the branch.
    #[arg(short = 'd', long = "delete")]
    pub delete: bool,
    /// Delete even if unmerged.
    #[arg(long, short = 'D')]
    pub force: bool,
    /// With -d: also drop the branch's workspace database.
    #[arg(long)]
    pub drop_workspace: bool,
    pub name: Option<String>,
    pub start: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum SnapshotAction {
    /// Name a moment (default now).
    Create {
        name: String,
        #[arg(long)]
        at: Option<String>,
    },
    List,
    Drop {
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReferenceAction {
    /// List reference-data tables (the default).
    List,
    /// Version a table's rows from the next commit on.
    Add {
        table: String,
        /// Columns the rows are matched by (comma-separated; default: the
        /// primary key). A serial/identity column outside the key is left
        /// to the database.
        #[arg(long, value_delimiter = ',')]
        key: Vec<String>,
    },
    /// Stop versioning a table's rows (the rows stay in the table).
    Remove { table: String },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Shape {
    Current,
    Then,
}
