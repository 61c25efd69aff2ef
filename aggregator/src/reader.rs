//! The read side: a small pool of DuckDB connections of their own. DuckDB's MVCC gives each
//! query a committed snapshot, so a read never waits for the writer and never sees half a batch.

use crate::error::Result;
use crate::queries::{caseload_on, current_on};
use crate::serving::ServingIndex;
use crate::store::StoreSettings;
use childstat_core::{Caseload, Dur, IndicatorValue, Ts};
use duckdb::Connection;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock, RwLockReadGuard};

const COUNTERS: &str = include_str!("../sql/status.sql");
const LAST_BATCH: &str =
    "SELECT batch_id, committed_at FROM batches ORDER BY batch_id DESC LIMIT 1";
const NEWEST_EVENT: &str = "SELECT max(max_occurred) FROM batches";
const ALL_OFFSETS: &str =
    "SELECT topic, kafka_partition, next_offset FROM kafka_offsets ORDER BY topic, kafka_partition";

pub struct ReadPool {
    idle: Mutex<Vec<Connection>>,
    available: Condvar,
    settings: StoreSettings,
    commits: Arc<AtomicU64>,
    serving: Option<Arc<RwLock<ServingIndex>>>,
    /// The committed counters, offsets and newest event, with the generation they were read
    /// at: the status endpoint is polled many times a second and they change only on commit.
    committed: Mutex<Option<(u64, Arc<Counters>)>>,
}

/// A connection borrowed from the pool; returned on drop.
pub struct PooledConn<'a> {
    pool: &'a ReadPool,
    conn: Option<Connection>,
}

impl std::ops::Deref for PooledConn<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("present until drop")
    }
}

impl Drop for PooledConn<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            if let Ok(mut idle) = self.pool.idle.lock() {
                idle.push(c);
                self.pool.available.notify_one();
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// (name, label) → value, committed with the state.
    pub values: HashMap<(String, String), i64>,
    pub last_batch: Option<(i64, Ts)>,
    pub offsets: Vec<(String, i32, i64)>,
    /// The newest applied event time.
    pub newest_event: Option<Ts>,
}

impl Counters {
    pub fn get(&self, name: &str, label: &str) -> i64 {
        self.values
            .get(&(name.to_string(), label.to_string()))
            .copied()
            .unwrap_or(0)
    }
}

impl ReadPool {
    pub(crate) fn new(
        writer: &Connection,
        size: usize,
        settings: StoreSettings,
        commits: Arc<AtomicU64>,
        serving: Option<Arc<RwLock<ServingIndex>>>,
    ) -> Result<ReadPool> {
        let conns = (0..size.max(1))
            .map(|_| {
                let c = writer.try_clone()?;
                c.set_prepared_statement_cache_capacity(crate::store::STATEMENT_CACHE);
                Ok(c)
            })
            .collect::<Result<Vec<_>, duckdb::Error>>()?;
        Ok(ReadPool {
            idle: Mutex::new(conns),
            available: Condvar::new(),
            settings,
            commits,
            serving,
            committed: Mutex::new(None),
        })
    }

    /// The serving index, if this pool has one. The writer holds it only to apply a
    /// committed batch's rows (milliseconds), never across a DuckDB statement.
    pub(crate) fn serving(&self) -> Option<RwLockReadGuard<'_, ServingIndex>> {
        self.serving
            .as_ref()
            .map(|ix| ix.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Heap bytes of the serving index, if the pool has one.
    pub fn serving_index_bytes(&self) -> Option<usize> {
        self.serving().map(|ix| ix.approx_bytes())
    }

    pub(crate) fn threshold(&self) -> i64 {
        i64::from(self.settings.caseload_threshold)
    }

    /// How many transactions the writer has committed since it opened the file. Two reads
    /// at the same generation see the same state.
    pub fn generation(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    pub fn settings(&self) -> &StoreSettings {
        &self.settings
    }

    pub fn get(&self) -> PooledConn<'_> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = idle.pop() {
                return PooledConn {
                    pool: self,
                    conn: Some(conn),
                };
            }
            idle = self.available.wait(idle).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Every indicator for `zone` (`None` = citywide): flows over `(as_of - window, as_of]`,
    /// point-in-time ones at `as_of`.
    pub fn current(
        &self,
        zone: Option<&str>,
        window: Dur,
        as_of: Ts,
    ) -> Result<Vec<IndicatorValue>> {
        if let Some(values) = self
            .serving()
            .and_then(|ix| ix.current(zone, window, as_of, self.threshold()))
        {
            return Ok(values);
        }
        current_on(&self.get(), &self.settings, zone, window, as_of)
    }

    /// Caseload figures at `t` for `zone` (`None` = citywide).
    pub fn caseload(&self, zone: Option<&str>, t: Ts) -> Result<Caseload> {
        if let Some(ix) = self.serving() {
            return Ok(ix
                .caseloads(zone, &[t], self.threshold())
                .pop()
                .unwrap_or_default());
        }
        caseload_on(&self.get(), &self.settings, zone, t)
    }

    /// Stored next offsets for `topic`, by partition, read from DuckDB now: the consumer
    /// seeks to them on assignment, so they are never taken from the per-generation cache.
    pub fn stored_offsets(&self, topic: &str) -> Result<HashMap<i32, i64>> {
        crate::store::stored_offsets(&self.get(), topic)
    }

    /// The newest applied event time.
    pub fn newest_event(&self) -> Result<Option<Ts>> {
        Ok(self.committed()?.newest_event)
    }

    pub fn counters(&self) -> Result<Counters> {
        Ok(Counters::clone(&*self.committed()?))
    }

    /// Counters, offsets and newest event time at the current generation: read from DuckDB
    /// once per commit. The generation is taken before the read, so what is cached under it
    /// is at least that new.
    fn committed(&self) -> Result<Arc<Counters>> {
        let generation = self.generation();
        if let Some((g, c)) = &*self.committed.lock().unwrap_or_else(|p| p.into_inner()) {
            if *g == generation {
                return Ok(c.clone());
            }
        }
        let fresh = Arc::new(self.read_counters()?);
        let mut slot = self.committed.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_none_or(|(g, _)| *g < generation) {
            *slot = Some((generation, fresh.clone()));
        }
        Ok(fresh)
    }

    fn read_counters(&self) -> Result<Counters> {
        let conn = self.get();
        let mut out = Counters::default();
        let mut stmt = conn.prepare_cached(COUNTERS)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            out.values.insert((r.get(0)?, r.get(1)?), r.get(2)?);
        }
        let mut stmt = conn.prepare_cached(LAST_BATCH)?;
        let mut rows = stmt.query([])?;
        if let Some(r) = rows.next()? {
            out.last_batch = Some((r.get(0)?, Ts(r.get(1)?)));
        }
        let mut stmt = conn.prepare_cached(ALL_OFFSETS)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            out.offsets.push((r.get(0)?, r.get(1)?, r.get(2)?));
        }
        out.newest_event = conn
            .prepare_cached(NEWEST_EVENT)?
            .query_row([], |r| r.get::<_, Option<i64>>(0))?
            .map(Ts);
        Ok(out)
    }
}
