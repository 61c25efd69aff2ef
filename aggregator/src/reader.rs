//! The read side: a small pool of DuckDB connections of their own, the serving index, and
//! what the writer publishes (counters, generation, folded batches past the checkpoint).
//!
//! Current values and histories come from the serving index where it holds what they need.
//! Everything else runs SQL in one DuckDB transaction per read, whose snapshot never waits
//! for the writer, over the checkpointed tables plus the batches folded after them
//! (`delta_tables.rs`).

use crate::buckets::HistoryPoint;
use crate::delta_tables::DeltaKey;
use crate::error::Result;
use crate::outcome::Counters;
use crate::published::Published;
use crate::queries::{caseload_on, current_on};
use crate::serving::ServingIndex;
use crate::settings::StoreSettings;
use crate::snapshot::SnapshotInfo;
use crate::snapshot_read::SnapshotValue;
use childstat_core::candidates::{Candidate, Criterion};
use childstat_core::{Caseload, Dur, Indicator, IndicatorValue, Step, Ts};
use chrono::NaiveDate;
use duckdb::Connection;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Condvar, Mutex, RwLock, RwLockReadGuard};

struct ReaderConn {
    conn: Connection,
    /// What its delta tables hold, if known.
    delta: Option<DeltaKey>,
}

pub struct ReadPool {
    idle: Mutex<Vec<ReaderConn>>,
    available: Condvar,
    settings: StoreSettings,
    published: Arc<Published>,
    serving: Option<Arc<RwLock<ServingIndex>>>,
}

/// A connection borrowed from the pool; returned on drop.
pub struct PooledConn<'a> {
    pool: &'a ReadPool,
    conn: Option<ReaderConn>,
}

impl std::ops::Deref for PooledConn<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn.as_ref().expect("present until drop").conn
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

impl ReadPool {
    pub(crate) fn new(
        writer: &Connection,
        size: usize,
        settings: StoreSettings,
        published: Arc<Published>,
        serving: Option<Arc<RwLock<ServingIndex>>>,
    ) -> Result<ReadPool> {
        let conns = (0..size.max(1))
            .map(|_| {
                let c = writer.try_clone()?;
                c.set_prepared_statement_cache_capacity(crate::settings::STATEMENT_CACHE);
                c.execute_batch(crate::delta_tables::CREATE)?;
                Ok(ReaderConn {
                    conn: c,
                    delta: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ReadPool {
            idle: Mutex::new(conns),
            available: Condvar::new(),
            settings,
            published,
            serving,
        })
    }

    /// The serving index, if this pool has one. The writer holds it only to apply a folded
    /// batch's rows (well under a millisecond), never across a DuckDB statement.
    fn serving(&self) -> Option<RwLockReadGuard<'_, ServingIndex>> {
        self.serving
            .as_ref()
            .map(|ix| ix.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Heap bytes of the serving index, if the pool has one.
    pub fn serving_index_bytes(&self) -> Option<usize> {
        self.serving().map(|ix| ix.approx_bytes())
    }

    fn threshold(&self) -> i64 {
        i64::from(self.settings.caseload_threshold)
    }

    /// How many times the writer has published a batch or a checkpoint since it opened the
    /// file. Two reads at the same generation see the same state.
    pub fn generation(&self) -> u64 {
        self.published.generation()
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

    /// Runs `f` in one read transaction that sees the last checkpoint and every batch
    /// folded after it. The segment list is taken before the snapshot, so it holds every
    /// batch past whichever checkpoint the snapshot sees.
    fn sql<R>(&self, f: impl FnOnce(&Connection, &StoreSettings) -> Result<R>) -> Result<R> {
        let mut pooled = self.get();
        let segments = self.published.segments.snapshot();
        let rc = pooled.conn.as_mut().expect("present until drop");
        rc.conn.execute_batch("BEGIN TRANSACTION")?;
        let run = |rc: &mut ReaderConn| -> Result<(R, DeltaKey)> {
            let through = crate::checkpoint::derived_through(&rc.conn)?;
            let key = crate::delta_tables::key(&segments, through);
            if rc.delta != Some(key) {
                rc.delta = None;
                crate::delta_tables::fill(&rc.conn, &segments, through)?;
            }
            Ok((f(&rc.conn, &self.settings)?, key))
        };
        match run(rc) {
            Ok((r, key)) => {
                rc.conn.execute_batch("COMMIT")?;
                rc.delta = Some(key);
                Ok(r)
            }
            Err(e) => {
                let _ = rc.conn.execute_batch("ROLLBACK");
                rc.delta = None;
                Err(e)
            }
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
            .and_then(|ix| crate::serving_read::current(&ix, zone, window, as_of, self.threshold()))
        {
            return Ok(values);
        }
        self.sql(|c, s| current_on(c, s, zone, window, as_of))
    }

    /// Caseload figures at `t` for `zone` (`None` = citywide).
    pub fn caseload(&self, zone: Option<&str>, t: Ts) -> Result<Caseload> {
        if let Some(ix) = self.serving() {
            return Ok(
                crate::serving_read::caseloads(&ix, zone, &[t], self.threshold())
                    .pop()
                    .unwrap_or_default(),
            );
        }
        self.sql(|c, s| caseload_on(c, s, zone, t))
    }

    /// One indicator's history, one value per bucket of `step` from `from` to `to`.
    pub fn history(
        &self,
        zone: Option<&str>,
        ind: Indicator,
        from: NaiveDate,
        to: NaiveDate,
        step: Step,
        as_of: Ts,
    ) -> Result<Vec<HistoryPoint>> {
        let cal = self.settings.calendar;
        let starts = cal.buckets(from, to, step);
        let ends: Vec<NaiveDate> = starts
            .iter()
            .map(|s| cal.next_bucket_date(*s, step))
            .collect();
        if let Some(points) = self.serving().and_then(|ix| {
            crate::serving_read::history(&ix, zone, ind, &starts, &ends, as_of, self.threshold())
        }) {
            return Ok(points);
        }
        self.sql(|c, s| crate::history::history_on(c, s, zone, ind, &starts, &ends, as_of))
    }

    /// Open investigations in `zone` at `as_of` meeting any of `criteria`, best first.
    pub fn case_candidates(
        &self,
        zone: &str,
        as_of: Ts,
        criteria: &[Criterion],
    ) -> Result<Vec<Candidate>> {
        Ok(self
            .case_candidates_by_zone(&[zone], as_of, criteria)?
            .remove(zone)
            .unwrap_or_default())
    }

    /// As [`ReadPool::case_candidates`] for several zones, in one scan.
    pub fn case_candidates_by_zone(
        &self,
        zones: &[&str],
        as_of: Ts,
        criteria: &[Criterion],
    ) -> Result<BTreeMap<String, Vec<Candidate>>> {
        self.sql(|c, s| crate::candidates_read::candidates_on(c, &s.clocks, zones, as_of, criteria))
    }

    /// Stored next offsets for `topic`, by partition, read from DuckDB now: the consumer
    /// seeks to them on assignment.
    pub fn stored_offsets(&self, topic: &str) -> Result<HashMap<i32, i64>> {
        crate::log::stored_offsets(&self.get(), topic)
    }

    /// The newest applied event time.
    pub fn newest_event(&self) -> Result<Option<Ts>> {
        Ok(self.published.counters().newest_event)
    }

    /// Counters, offsets and the newest event time, as of the last published batch.
    pub fn counters(&self) -> Result<Counters> {
        Ok(Counters::clone(&self.published.counters()))
    }

    pub fn snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        crate::snapshot_read::snapshots_on(&self.get())
    }

    pub fn snapshot(&self, week: &str) -> Result<Option<(SnapshotInfo, Vec<SnapshotValue>)>> {
        crate::snapshot_read::snapshot_on(&self.get(), week)
    }

    /// The snapshot's values as a Parquet file.
    pub fn snapshot_parquet(&self, week: &str) -> Result<Vec<u8>> {
        crate::snapshot_read::snapshot_parquet_on(&self.get(), week)
    }
}
