//! The aggregator: exactly-once ChildStat indicators, folded in memory and kept in DuckDB.
//!
//! Pure parts (no DuckDB): `fold` and `fold_state` (the fold and what it folds into),
//! `since_checkpoint` and `delta` (what was folded after the last checkpoint), `serving` and
//! `serving_read` (the in-memory read index), `buckets`, `outcome`, `bloom`, `settings`.
//! DuckDB parts: `log` (the per-batch transaction), `checkpoint`, `recovery`,
//! `state_load`, `schema`, and the readers above them (`reader` and the SQL it runs).
//! `store` ties the write side together.

pub mod apply;
mod bloom;
pub mod buckets;
mod candidates_read;
mod caseload_read;
mod checkpoint;
mod columns;
mod delta;
mod delta_tables;
pub mod error;
pub mod fold;
pub mod fold_state;
mod history;
mod log;
pub mod outcome;
mod published;
mod queries;
pub mod rawrow;
pub mod reader;
mod recovery;
pub mod schema;
pub mod serving;
mod serving_load;
mod serving_read;
pub mod settings;
mod since_checkpoint;
pub mod snapshot;
mod snapshot_read;
mod state_load;
pub mod store;

pub use apply::IndexUpdate;
pub use buckets::HistoryPoint;
pub use error::{AggError, CrashPoint};
pub use outcome::{BatchOutcome, Counter, Counters, WriterPhases, LATE_BUCKETS};
pub use reader::ReadPool;
pub use settings::{CheckpointPolicy, StoreSettings};
pub use snapshot::{IsoWeek, SnapshotInfo};
pub use snapshot_read::SnapshotValue;
pub use store::Store;
