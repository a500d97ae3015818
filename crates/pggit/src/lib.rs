//! The porcelain library of pggit: a [`Repository`] with one method per
//! user-level operation. The CLI and the HTTP server both call this; it
//! holds no printing and no argument parsing.
#![forbid(unsafe_code)]

mod branch;
mod commit;
mod compare;
mod diff;
mod doctor;
mod error;
mod failpoint;
mod history;
mod lock;
mod merge;
mod names;
mod reference;
mod repo;
mod reset;
mod scratch;
mod timetravel;

pub use branch::{BranchInfo, CheckoutOutcome, TagInfo};
pub use commit::{CommitOptions, CommitOutcome, Status};
pub use diff::{diff_databases, DiffResult, Side};
pub use doctor::{DoctorReport, Finding};
pub use error::{Error, Result};
pub use history::{BlameLine, LogEntry, Shown, ShownObject};
pub use merge::{
    ConflictFilter, Counts, FastForward, MergeOptions, MergeOutcome, PickOutcome, Resolution,
    ResolveOutcome, Stats, Strategy,
};
pub use names::validate as validate_ref_name;
pub use reference::{bookkeeping_scope, ReferenceTable};
pub use repo::{InitOptions, InitOutcome, Repository, Signature};
pub use reset::MoveOutcome;
pub use timetravel::{
    parse_duration, AsOf, Changed, Doc, FilterPolicy, Moment, Pruned, RestoreTarget, Restored,
    RowChange, Snapshot, Tracked, TrackedInfo,
};

pub use pggit_core as core;
pub use pggit_pg as pg;
