//! What the writer publishes to readers, shared between the `Store` and its read pools: the
//! commit generation, the counters as of it, the folded batches past the last checkpoint,
//! and the serving indexes to keep up to date.

use crate::delta::Segments;
use crate::outcome::Counters;
use crate::serving::ServingIndex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

#[derive(Default)]
pub struct Published {
    /// Moves after every folded batch and checkpoint: read-side caches key on it, so a
    /// batch is visible on the very next read.
    commits: AtomicU64,
    counters: Mutex<Arc<Counters>>,
    pub(crate) segments: Segments,
    serving: Mutex<Vec<Arc<RwLock<ServingIndex>>>>,
}

impl Published {
    pub fn generation(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    pub(crate) fn bump(&self) {
        self.commits.fetch_add(1, Ordering::Release);
    }

    pub fn counters(&self) -> Arc<Counters> {
        self.counters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn set_counters(&self, c: Arc<Counters>) {
        *self.counters.lock().unwrap_or_else(|p| p.into_inner()) = c;
    }

    pub(crate) fn add_serving(&self, ix: Arc<RwLock<ServingIndex>>) {
        self.serving
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(ix);
    }

    pub(crate) fn serving(&self) -> Vec<Arc<RwLock<ServingIndex>>> {
        self.serving
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
