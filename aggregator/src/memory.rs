//! The writer's fold state: a cache of the `investigations` table, the workers, and the
//! position counters.
//!
//! Only what a batch needs is brought into memory: before each fold, the investigations the
//! batch touches, the members of their families, and which of its event ids were seen before
//! are read from DuckDB (`working_set.rs`). Memory is therefore bounded by the working set, not
//! by the years of history kept. It is only changed after a batch's transaction commits (or
//! loaded from what is committed), so every entry always equals what the database holds.

use crate::error::{AggError, Result};
use crate::seen_filter::SeenFilter;
use childstat_core::{InvState, Ts, WorkerState};
use duckdb::Connection;
use std::collections::HashMap;

/// Past this many cached investigations, closed ones are dropped; past it again, all are.
/// Dropped entries are read back from DuckDB when an event touches them.
pub const INVESTIGATIONS_KEPT: usize = 100_000;

#[derive(Default)]
pub struct Memory {
    /// Investigations touched recently, and everything the current batch needs.
    pub invs: HashMap<String, InvState>,
    /// family_id → (investigation_id, received_at) of its opened investigations, for the
    /// families the current batch touches only.
    pub families: HashMap<String, Vec<(String, Ts)>>,
    pub workers: HashMap<String, WorkerState>,
    /// The newest occurred_at applied so far: lateness is measured against it.
    pub watermark: Option<Ts>,
    pub next_batch_id: i64,
    /// The cache's size bound (see [`Memory::trim`]).
    pub kept: usize,
    /// Every applied event id's hash, as a Bloom filter: clears most ids as new without a
    /// query.
    pub seen: SeenFilter,
    /// Rows in the pending sum tables, and how many are merged at once (see
    /// `pending_sums.rs`).
    pub pending_rows: usize,
    pub merge_after: usize,
}

const LOAD_WORKERS: &str = "SELECT worker_id, state FROM workers";
const LOAD_WATERMARK: &str = "SELECT max(occurred_at) FROM raw_events";
const LOAD_NEXT_BATCH: &str = "SELECT coalesce(max(batch_id), 0) + 1 FROM batches";

impl Memory {
    pub fn load(conn: &Connection) -> Result<Memory> {
        let mut mem = Memory {
            kept: INVESTIGATIONS_KEPT,
            seen: SeenFilter::load(conn)?,
            invs: HashMap::new(),
            families: HashMap::new(),
            workers: HashMap::new(),
            watermark: None,
            next_batch_id: 0,
            pending_rows: crate::pending_sums::count_pending(conn)?,
            merge_after: crate::pending_sums::MERGE_PENDING_AFTER,
        };
        let mut stmt = conn.prepare(LOAD_WORKERS)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let json: String = r.get(1)?;
            let state: WorkerState =
                serde_json::from_str(&json).map_err(|source| AggError::CorruptState {
                    table: "workers",
                    source,
                })?;
            mem.workers.insert(id, state);
        }
        mem.watermark = conn
            .query_row(LOAD_WATERMARK, [], |r| r.get::<_, Option<i64>>(0))?
            .map(Ts);
        mem.next_batch_id = conn.query_row(LOAD_NEXT_BATCH, [], |r| r.get(0))?;
        Ok(mem)
    }

    /// Keeps the cache within `kept`: open investigations are the likeliest
    /// to see more events, so closed ones go first.
    pub fn trim(&mut self) {
        self.families.clear();
        if self.invs.len() <= self.kept {
            return;
        }
        self.invs
            .retain(|_, s| s.is_opened() && s.first_closed.is_none());
        if self.invs.len() > self.kept / 2 {
            self.invs.clear();
        }
    }
}

pub fn id_hash(event_id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(event_id.as_bytes())
}
