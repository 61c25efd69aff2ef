//! Folded batches that DuckDB's derived tables do not hold yet, as the readers see them.
//!
//! Each folded batch becomes a segment: its ledger rows, caseload deltas, the new states of
//! the workers and investigations it touched. The serving index applies each segment as it
//! comes. SQL reads, which see only the last checkpoint, add the segments after it
//! (`delta_tables.rs`): a reader takes the list first, then reads `derived_through` inside
//! its DuckDB snapshot, and uses the segments past it. The writer drops segments only after
//! the checkpoint that covers them commits, so the list always holds every batch past any
//! checkpoint a reader can see.

use crate::fold::LedgerRow;
use childstat_core::{InvState, Ts, WorkerState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct Segment {
    pub batch_id: i64,
    pub ledger: Vec<LedgerRow>,
    /// (worker, at, delta).
    pub caseload: Vec<(String, Ts, i64)>,
    pub workers: Vec<(String, WorkerState)>,
    /// New states of the investigations the batch touched: kept only while SQL readers
    /// exist (`Segments::keep_states`).
    pub invs: Vec<(String, InvState)>,
}

#[derive(Default)]
pub struct Segments {
    list: Mutex<Vec<Arc<Segment>>>,
    /// Whether any SQL reader exists; without one (a replay) segments are not kept.
    keep: AtomicBool,
}

impl Segments {
    pub fn keep(&self) {
        self.keep.store(true, Ordering::Release);
    }

    pub fn keeping(&self) -> bool {
        self.keep.load(Ordering::Acquire)
    }

    pub fn push(&self, s: Arc<Segment>) {
        if self.keeping() {
            self.list.lock().unwrap_or_else(|p| p.into_inner()).push(s);
        }
    }

    /// Drops segments a committed checkpoint covers.
    pub fn drop_through(&self, batch_id: i64) {
        self.list
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|s| s.batch_id > batch_id);
    }

    /// Every segment past the last committed checkpoint, oldest first.
    pub fn snapshot(&self) -> Vec<Arc<Segment>> {
        self.list.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
