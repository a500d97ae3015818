//! Pure core of pggit: the schema model, content addressing, identity,
//! structural diff and migration planning. No I/O lives here; the
//! PostgreSQL layer produces and consumes these values.
#![forbid(unsafe_code)]

pub mod diff;
pub mod equiv;
pub mod filter;
pub mod hash;
pub mod identity;
mod lex;
pub mod merge;
pub mod model;
pub mod packed;
pub mod plan;
pub mod preflight;
pub mod progress;
pub mod rev;
pub mod rewrites;
pub mod settle;
pub mod slice;
pub mod sql;
pub mod tree;

pub use model::{Column, Id, Kind, Object, Table};
pub use tree::{Entry, Tree};
