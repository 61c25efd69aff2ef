//! The aggregator: exactly-once DuckDB state for the ChildStat indicators.
//!
//! A thin adapter around the pure core: `fold` computes what a batch changes, `apply`
//! commits it with the Kafka offsets in one transaction, `reader` serves queries.

pub mod apply;
pub mod error;
pub mod fold;
pub mod memory;
pub mod rawrow;
pub mod reader;
pub mod schema;
pub mod store;

pub use apply::{BatchOutcome, CrashPoint, LATE_BUCKETS};
pub use error::AggError;
pub use reader::{Counters, ReadPool};
pub use store::{Store, StoreSettings};
