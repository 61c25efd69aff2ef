//! The aggregator: exactly-once DuckDB state for the ChildStat indicators.
//!
//! A thin adapter around the pure core: `fold` computes what a batch changes, `apply`
//! commits it with the Kafka offsets in one transaction, `reader` serves queries.

pub mod apply;
pub mod candidates_read;
pub mod caseload_read;
mod columns;
pub mod error;
pub mod fold;
pub mod history;
pub mod memory;
mod pending_sums;
pub mod queries;
pub mod rawrow;
pub mod reader;
pub mod schema;
mod seen_filter;
pub mod serving;
mod serving_read;
pub mod snapshot;
pub mod snapshot_read;
pub mod store;
mod working_set;
mod write_batch;

pub use apply::{BatchOutcome, CrashPoint, IndexUpdate, WriterPhases, LATE_BUCKETS};
pub use error::AggError;
pub use history::HistoryPoint;
pub use pending_sums::MERGE_PENDING_AFTER;
pub use reader::{Counters, ReadPool};
pub use snapshot::{IsoWeek, SnapshotInfo};
pub use snapshot_read::SnapshotValue;
pub use store::{Store, StoreSettings};
