//! The writer's in-memory fold state, loaded from DuckDB at start.
//!
//! It is only changed after a batch's transaction commits, so it always equals what the
//! database holds.

use crate::error::{AggError, Result};
use childstat_core::{InvState, Ts, WorkerState};
use duckdb::Connection;
use std::collections::{HashMap, HashSet};

#[derive(Default)]
pub struct Memory {
    pub invs: HashMap<String, InvState>,
    /// family_id → (investigation_id, received_at) of its opened investigations.
    pub families: HashMap<String, Vec<(String, Ts)>>,
    pub workers: HashMap<String, WorkerState>,
    /// xxh3-64 of every accepted event_id; a hit is confirmed against `raw_events`.
    pub seen: HashSet<u64>,
    /// The newest occurred_at applied so far: lateness is measured against it.
    pub watermark: Option<Ts>,
    pub next_batch_id: i64,
}

const LOAD_INVESTIGATIONS: &str = "SELECT investigation_id, state FROM investigations";
const LOAD_WORKERS: &str = "SELECT worker_id, state FROM workers";
const LOAD_HASHES: &str = "SELECT id_hash FROM raw_events";
const LOAD_WATERMARK: &str = "SELECT max(occurred_at) FROM raw_events";
const LOAD_NEXT_BATCH: &str = "SELECT coalesce(max(batch_id), 0) + 1 FROM batches";

impl Memory {
    pub fn load(conn: &Connection) -> Result<Memory> {
        let mut mem = Memory::default();
        let mut stmt = conn.prepare(LOAD_INVESTIGATIONS)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let state = crate::candidates_read::decode_inv_state(&r.get::<_, String>(1)?)?;
            mem.index_family(&id, &state);
            mem.invs.insert(id, state);
        }
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
        let mut stmt = conn.prepare(LOAD_HASHES)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            mem.seen.insert(r.get::<_, u64>(0)?);
        }
        mem.watermark = conn
            .query_row(LOAD_WATERMARK, [], |r| r.get::<_, Option<i64>>(0))?
            .map(Ts);
        mem.next_batch_id = conn.query_row(LOAD_NEXT_BATCH, [], |r| r.get(0))?;
        Ok(mem)
    }

    pub fn index_family(&mut self, id: &str, state: &InvState) {
        if let Some(o) = &state.opening {
            self.families
                .entry(o.family_id.clone())
                .or_default()
                .push((id.to_string(), o.received_at));
        }
    }

    pub fn unindex_family(&mut self, id: &str, state: &InvState) {
        if let Some(o) = &state.opening {
            if let Some(members) = self.families.get_mut(&o.family_id) {
                members.retain(|(m, _)| m != id);
                if members.is_empty() {
                    self.families.remove(&o.family_id);
                }
            }
        }
    }
}

pub fn id_hash(event_id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(event_id.as_bytes())
}
