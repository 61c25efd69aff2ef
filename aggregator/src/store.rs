//! The write side: one `Store` owns the only write connection and the in-memory fold state.

use crate::error::{AggError, Result};
use crate::memory::Memory;
use crate::reader::ReadPool;
use crate::schema;
use crate::serving::{ServingIndex, DETAIL_DAYS};
use childstat_core::DayNum;
use childstat_core::{Calendar, Clocks, Dur, Ts};
use duckdb::{Config, Connection};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};

/// Settings the stored aggregates depend on.
#[derive(Clone, Debug)]
pub struct StoreSettings {
    pub clocks: Clocks,
    pub calendar: Calendar,
    pub memory_limit: Option<String>,
    /// Read-time only: caseloads above this count toward `cps_over_threshold`.
    pub caseload_threshold: u32,
}

pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) mem: Memory,
    pub(crate) settings: StoreSettings,
    pub(crate) poisoned: bool,
    /// Bumped after every commit: read-side caches key on it, so a committed batch is
    /// visible on the very next read.
    pub(crate) commits: Arc<AtomicU64>,
    /// Every serving index handed to a read pool; each committed batch is applied to all.
    pub(crate) serving: Vec<Arc<RwLock<ServingIndex>>>,
    serving_detail_days: Option<u32>,
    path: PathBuf,
}

const SELECT_META: &str = "SELECT value FROM meta WHERE key = ?";
const INSERT_META: &str = "INSERT INTO meta VALUES (?, ?)";
const SELECT_OFFSETS: &str =
    "SELECT kafka_partition, next_offset FROM kafka_offsets WHERE topic = ?";
const CREATE_STAGING: &str = "
    CREATE TEMP TABLE IF NOT EXISTS stage_investigations AS SELECT * FROM investigations LIMIT 0;
    CREATE TEMP TABLE IF NOT EXISTS stage_workers AS SELECT * FROM workers LIMIT 0;";
/// DuckDB checkpoints (folds the WAL into the file, rewriting touched row groups and every
/// index) once the WAL passes this size. Its default, 16 MB, is a few batches of events here,
/// and a checkpoint costs time in proportion to the tables, not the batch: replaying history
/// spent most of its time checkpointing. But data not yet checkpointed stays pinned in
/// memory, outside `storage.memory_limit`'s reach (at 1 GB a replay ran out of memory under a
/// 400 MB cap), so the threshold is a bound on memory as much as a speed setting.
const WRITER_SETTINGS: &str = "SET checkpoint_threshold = '256MB'";
/// Prepared statements kept per connection. The writer runs about 25 distinct statements a
/// batch and the readers about as many; duckdb-rs keeps 16 by default, and a statement evicted
/// is planned again (planning a small statement costs more than running it).
pub(crate) const STATEMENT_CACHE: usize = 128;
const UNOPENED_STATES: &str = "SELECT state FROM investigations WHERE NOT opened";
const COUNT_OPENED: &str = "SELECT count(*) FROM investigations WHERE opened";
/// DuckDB's own account of its memory, by what holds it (`ART_INDEX`, `BASE_TABLE`, ...).
const MEMORY_BY_TAG: &str = "SELECT tag, memory_usage_bytes FROM duckdb_memory()
    WHERE memory_usage_bytes > 0 ORDER BY memory_usage_bytes DESC";

impl Store {
    /// Opens (creating if needed) the database file, migrates it and loads the fold state.
    pub fn open(path: &Path, settings: StoreSettings) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| AggError::CreateDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let mut config = Config::default();
        if let Some(limit) = &settings.memory_limit {
            config = config.max_memory(limit)?;
        }
        let mut conn = Connection::open_with_flags(path, config)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        schema::migrate(&mut conn)?;
        check_settings(&conn, &settings)?;
        conn.execute_batch(WRITER_SETTINGS)?;
        conn.execute_batch(CREATE_STAGING)?;
        conn.execute_batch(crate::working_set::CREATE_WANTED)?;
        let mem = Memory::load(&conn)?;
        Ok(Store {
            conn,
            mem,
            settings,
            poisoned: false,
            commits: Arc::new(AtomicU64::new(0)),
            serving: Vec::new(),
            serving_detail_days: Some(DETAIL_DAYS),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A pool of read connections on the same database: reads never block this writer.
    /// Current values and histories go through the serving index (loaded on the first call,
    /// then shared), falling back to SQL where it lacks the ledger rows a read needs.
    pub fn read_pool(&mut self, size: usize) -> Result<ReadPool> {
        if self.serving.is_empty() {
            let ix = ServingIndex::load(
                &self.conn,
                self.settings.calendar,
                self.serving_detail_days,
                None,
                Ts::now(),
            )?;
            self.serving.push(Arc::new(RwLock::new(ix)));
        }
        let serving = self.serving.first().cloned();
        ReadPool::new(
            &self.conn,
            size,
            self.settings.clone(),
            self.commits.clone(),
            serving,
        )
    }

    /// A pool that answers everything by SQL: the property tests hold both paths to the
    /// same recomputation.
    pub fn read_pool_sql_only(&self, size: usize) -> Result<ReadPool> {
        ReadPool::new(
            &self.conn,
            size,
            self.settings.clone(),
            self.commits.clone(),
            None,
        )
    }

    /// A pool with a serving index of its own that keeps ledger rows from `detail_from` on
    /// (tests: reads on both sides of the horizon), maintained like the shared one.
    pub fn read_pool_with_detail_from(
        &mut self,
        size: usize,
        detail_from: DayNum,
    ) -> Result<ReadPool> {
        let ix = ServingIndex::load(
            &self.conn,
            self.settings.calendar,
            None,
            Some(detail_from),
            Ts::now(),
        )?;
        let ix = Arc::new(RwLock::new(ix));
        self.serving.push(ix.clone());
        ReadPool::new(
            &self.conn,
            size,
            self.settings.clone(),
            self.commits.clone(),
            Some(ix),
        )
    }

    /// How many days of single ledger rows the serving index keeps (default
    /// [`DETAIL_DAYS`]; `None` keeps all). Takes effect for indexes loaded afterwards.
    pub fn serving_detail_days(&mut self, days: Option<u32>) {
        self.serving_detail_days = days;
    }

    /// Stored next offsets for `topic`, by partition.
    pub fn stored_offsets(&self, topic: &str) -> Result<HashMap<i32, i64>> {
        stored_offsets(&self.conn, topic)
    }

    /// Held events waiting longer than `ttl` for their opening, by zone. Wall-clock based:
    /// reporting only, never part of the indicator math.
    pub fn orphans(&self, now: Ts, ttl: Dur) -> Result<BTreeMap<String, u64>> {
        let cutoff = now.minus(ttl);
        let mut out = BTreeMap::new();
        let mut stmt = self.conn.prepare_cached(UNOPENED_STATES)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let s = crate::candidates_read::decode_inv_state(&r.get::<_, Vec<u8>>(0)?)?;
            for p in s.pending.iter().filter(|p| p.arrived_at <= cutoff) {
                *out.entry(p.zone.clone()).or_insert(0) += 1;
            }
        }
        Ok(out)
    }

    /// Bounds the writer's cache of investigation states (default
    /// [`crate::memory::INVESTIGATIONS_KEPT`]); 0 reads every state back from DuckDB on every
    /// batch, which the property tests use to check that cached and stored state agree.
    pub fn keep_investigations(&mut self, n: usize) {
        self.mem.kept = n;
    }

    /// Merges the pending day sums and caseload epochs into the keyed tables once at least
    /// `rows` have gathered (default [`crate::MERGE_PENDING_AFTER`]; 0 merges every batch).
    /// Reads give the same values either way; the property tests vary it.
    pub fn merge_pending_after(&mut self, rows: usize) {
        self.mem.merge_after = rows;
    }

    /// Opened investigations stored.
    pub fn investigations(&self) -> Result<u64> {
        Ok(self.conn.query_row(COUNT_OPENED, [], |r| r.get(0))?)
    }

    /// The memory DuckDB holds, by tag, largest first: which part of it grows with the data
    /// (primary-key indexes are `ART_INDEX`).
    pub fn duckdb_memory(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare(MEMORY_BY_TAG)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}

pub fn stored_offsets(conn: &Connection, topic: &str) -> Result<HashMap<i32, i64>> {
    let mut stmt = conn.prepare(SELECT_OFFSETS)?;
    let rows = stmt.query_map([topic], |r| Ok((r.get::<_, i32>(0)?, r.get::<_, i64>(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn clocks_fingerprint(c: &Clocks) -> String {
    format!(
        "contact={}ns safety_assessment={}ns determination={}ns safety_conference={}ns",
        c.contact.0, c.safety_assessment.0, c.determination.0, c.safety_conference.0
    )
}

/// Refuses to mix aggregates built under different clocks or time zones in one file.
fn check_settings(conn: &Connection, s: &StoreSettings) -> Result<()> {
    let wanted = [
        ("time_zone", s.calendar.tz.name().to_string()),
        ("clocks", clocks_fingerprint(&s.clocks)),
    ];
    for (key, configured) in wanted {
        let stored: Option<String> = conn
            .query_row(SELECT_META, [key], |r| r.get(0))
            .map(Some)
            .or_else(|e| match e {
                duckdb::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        match stored {
            None => {
                conn.execute(INSERT_META, [key, configured.as_str()])?;
            }
            Some(stored) if stored != configured => {
                return Err(AggError::SettingChanged {
                    key,
                    stored,
                    configured,
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}
