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
    },
    /// Show captured DDL and the difference between the workspace and HEAD.
    Status,
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
        #[arg(long)]
        force: bool,
    },
    /// Which commit last changed each part of an object.
    Blame { object: String },
    /// Run a guided tour on a throwaway database.
    Demo {
        /// Keep the throwaway cluster's data directory (for inspection).
        #[arg(long)]
        keep: bool,
    },
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
