//! What the stored aggregates depend on, and how the writer checkpoints them.

use childstat_core::{Calendar, Clocks};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct StoreSettings {
    pub clocks: Clocks,
    pub calendar: Calendar,
    pub memory_limit: Option<String>,
    /// Read-time only: caseloads above this count toward `cps_over_threshold`.
    pub caseload_threshold: u32,
    pub checkpoint: CheckpointPolicy,
}

/// When the derived tables are written: after `interval` of wall-clock time with anything
/// folded since the last checkpoint, or once `events` events have been folded since it,
/// whichever comes first. Both bound the recovery re-fold after a crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckpointPolicy {
    pub interval: Duration,
    pub events: u64,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        CheckpointPolicy {
            interval: Duration::from_secs(10),
            events: 200_000,
        }
    }
}

/// Prepared statements kept per DuckDB connection: duckdb-rs keeps 16 by default, and a
/// statement evicted is planned again (planning a small statement costs more than running it).
pub const STATEMENT_CACHE: usize = 128;
