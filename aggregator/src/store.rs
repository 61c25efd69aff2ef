//! The write side: one `Store` owns the only write connection, the fold state in memory and
//! the checkpoint accumulators.
//!
//! A batch is applied in three steps: its fresh events are appended to the log with its
//! offsets in one transaction (`log.rs`); then folded in memory (`apply.rs`), after which
//! readers see it; and every so often a checkpoint writes the derived tables in bulk
//! (`checkpoint.rs`). Opening the file loads the last checkpoint and folds again what was
//! logged after it (`recovery.rs`).

use crate::apply::{install, IndexUpdate};
use crate::error::{AggError, CrashPoint, Result};
use crate::fold::fold_batch;
use crate::fold_state::FoldState;
use crate::outcome::BatchOutcome;
use crate::outcome::Stopwatch;
use crate::published::Published;
use crate::reader::ReadPool;
use crate::serving::{ServingIndex, DETAIL_DAYS};
use crate::settings::{CheckpointPolicy, StoreSettings};
use crate::since_checkpoint::SinceCheckpoint;
use crate::snapshot::{IsoWeek, SnapshotInfo};
use childstat_core::{Batch, DayNum, Dur, Ts};
use duckdb::{Config, Connection};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

pub struct Store {
    conn: Connection,
    st: FoldState,
    since: SinceCheckpoint,
    settings: StoreSettings,
    published: Arc<Published>,
    /// Set when a commit failed in a way that leaves memory and file possibly apart.
    poisoned: bool,
    serving_detail_days: Option<u32>,
    path: PathBuf,
    /// Batches and events the last open folded again.
    recovered: (u64, u64),
}

const SELECT_META: &str = "SELECT value FROM meta WHERE key = ?";
const INSERT_META: &str = "INSERT INTO meta VALUES (?, ?)";
/// DuckDB checkpoints (folds the WAL into the file) once the WAL passes this size. Data not
/// yet checkpointed stays pinned in memory, outside `storage.memory_limit`'s reach, so the
/// threshold bounds memory as much as it sets speed; the log is appends only, whose
/// checkpoints cost little.
const WRITER_SETTINGS: &str = "SET checkpoint_threshold = '64MB'";
/// DuckDB's own account of its memory, by what holds it (`ART_INDEX`, `BASE_TABLE`, ...).
const MEMORY_BY_TAG: &str = "SELECT tag, memory_usage_bytes FROM duckdb_memory()
    WHERE memory_usage_bytes > 0 ORDER BY memory_usage_bytes DESC";

impl Store {
    /// Opens (creating if needed) the database file, migrates it, loads the last checkpoint
    /// and folds again the batches logged after it.
    pub fn open(path: &Path, settings: StoreSettings) -> Result<Store> {
        Store::open_inner(path, settings, None)
    }

    /// As `open`, but the re-fold stops after `batches` batches as if the process died
    /// (test hook for crash safety during recovery).
    pub fn open_crashing_in_recovery(
        path: &Path,
        settings: StoreSettings,
        batches: u64,
    ) -> Result<Store> {
        Store::open_inner(path, settings, Some(batches))
    }

    fn open_inner(path: &Path, settings: StoreSettings, stop_after: Option<u64>) -> Result<Store> {
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
        conn.set_prepared_statement_cache_capacity(crate::settings::STATEMENT_CACHE);
        crate::schema::migrate(&mut conn)?;
        check_settings(&conn, &settings)?;
        conn.execute_batch(WRITER_SETTINGS)?;
        conn.execute_batch(crate::checkpoint::CREATE_STAGING)?;
        conn.execute_batch(crate::state_load::CREATE_WANTED)?;
        conn.execute_batch(crate::delta_tables::CREATE)?;
        let published = Arc::new(Published::default());
        let r = crate::recovery::recover(&mut conn, &published, &settings, stop_after)?;
        Ok(Store {
            conn,
            st: r.st,
            since: r.since,
            settings,
            published,
            poisoned: false,
            serving_detail_days: Some(DETAIL_DAYS),
            path: path.to_path_buf(),
            recovered: (r.refolded_batches, r.refolded_events),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Batches and events the last open folded again from the log.
    pub fn recovered(&self) -> (u64, u64) {
        self.recovered
    }

    pub fn apply_batch(&mut self, batch: &Batch, now: Ts) -> Result<BatchOutcome> {
        let (out, update) = self.apply_batch_deferring_index(batch, now, None)?;
        update.apply();
        Ok(out)
    }

    /// As `apply_batch`, but stops at `crash` as if the process died there (test hook).
    pub fn apply_batch_crashing(
        &mut self,
        batch: &Batch,
        now: Ts,
        crash: CrashPoint,
    ) -> Result<BatchOutcome> {
        let (out, update) = self.apply_batch_deferring_index(batch, now, Some(crash))?;
        update.apply();
        Ok(out)
    }

    /// As `apply_batch`, but leaves the folded batch's serving-index update to the caller:
    /// the writer runs it on a thread of normal priority, so readers never wait on the index
    /// lock behind the lower-priority writer thread. Until it is applied, the generation does
    /// not move, so no read is cached as if it saw this batch.
    pub fn apply_batch_deferring_index(
        &mut self,
        batch: &Batch,
        now: Ts,
        crash: Option<CrashPoint>,
    ) -> Result<(BatchOutcome, IndexUpdate)> {
        if self.poisoned {
            return Err(AggError::Poisoned);
        }
        let mut watch = Stopwatch::start();
        let fresh = crate::state_load::dedupe(&self.conn, &self.st, &batch.accepted)?;
        crate::state_load::load_evicted(&self.conn, &mut self.st, &fresh)?;
        let mut out = BatchOutcome {
            batch_id: self.st.next_batch_id,
            messages: batch.messages,
            applied: fresh.len() as u64,
            duplicates: (batch.accepted.len() - fresh.len()) as u64,
            dead_letters: batch
                .dead_letters
                .iter()
                .map(|(r, n)| (r.as_str().to_string(), *n))
                .collect(),
            max_occurred: fresh.iter().map(|a| a.event.occurred_at).max(),
            ..BatchOutcome::default()
        };
        out.phases.load = watch.lap();
        // The fold reads only the fold state, so it runs on the second core while this one
        // appends and commits the log; it is taken in only once the log has committed.
        let (st, conn, settings) = (&self.st, &mut self.conn, &self.settings);
        let (logged, folded) = std::thread::scope(|scope| {
            let fold = scope.spawn(|| {
                let t = std::time::Instant::now();
                let f = fold_batch(st, &fresh, &settings.clocks, &settings.calendar, now);
                (f, t.elapsed())
            });
            let logged = crate::log::append(conn, batch, &fresh, &mut out, now, crash);
            (logged, fold.join())
        });
        if let Err(e) = logged {
            // Only a failed commit can leave the file unsure; anything before it rolled back.
            self.poisoned |= matches!(e, AggError::Commit(_));
            return Err(e);
        }
        let Ok((folded, fold_time)) = folded else {
            // The log holds the batch and memory does not: only a restart can fold it.
            self.poisoned = true;
            return Err(AggError::FoldPanicked);
        };
        watch.lap();
        if crash == Some(CrashPoint::AfterLogCommit) {
            self.poisoned = true;
            return Err(AggError::InjectedCrash(CrashPoint::AfterLogCommit));
        }
        for a in &fresh {
            self.st
                .seen
                .insert(crate::bloom::id_hash(&a.event.event_id));
        }
        self.st.counters.advance_offsets(&batch.next_offsets);
        let update = install(
            &mut self.st,
            &mut self.since,
            &self.published,
            folded,
            &mut out,
            now,
        );
        out.phases.fold = fold_time;
        out.phases.index = watch.lap();
        if self.since.due(&self.settings.checkpoint) {
            if let Err(e) = self.checkpoint_with(crash) {
                // The batch is logged and folded, but its update is dropped with this error:
                // readers would never see it, so this store takes no more batches.
                self.poisoned = true;
                return Err(e);
            }
            out.phases.checkpoint = watch.lap();
        }
        Ok((out, update))
    }

    /// Writes a checkpoint if the policy says one is due (the writer asks every second, so
    /// an idle pipeline still checkpoints within its interval).
    pub fn checkpoint_if_due(&mut self) -> Result<bool> {
        if !self.since.due(&self.settings.checkpoint) {
            return Ok(false);
        }
        self.checkpoint()?;
        Ok(true)
    }

    /// Closes the store cleanly: a last checkpoint, so the next start folds nothing again.
    pub fn close(mut self) -> Result<()> {
        self.checkpoint()
    }

    /// Writes everything folded since the last checkpoint, now.
    pub fn checkpoint(&mut self) -> Result<()> {
        self.checkpoint_with(None)
    }

    /// As `checkpoint`, stopping at `crash` when it is `MidCheckpoint` (test hook).
    pub fn checkpoint_crashing(&mut self, crash: CrashPoint) -> Result<()> {
        self.checkpoint_with(Some(crash))
    }

    fn checkpoint_with(&mut self, crash: Option<CrashPoint>) -> Result<()> {
        if self.poisoned {
            return Err(AggError::Poisoned);
        }
        let Some(through) = self.since.through else {
            return Ok(());
        };
        let r = crate::checkpoint::write(
            &mut self.conn,
            &self.st,
            &self.since,
            through,
            &self.settings.calendar,
            crash,
        );
        if let Err(e) = r {
            // Memory still holds everything; but a failed commit leaves the file unsure, and
            // an injected crash stands for a process that is gone.
            self.poisoned |= crash.is_some() || matches!(e, AggError::Commit(_));
            return Err(e);
        }
        self.st.checkpointed();
        self.since = SinceCheckpoint::default();
        self.published.segments.drop_through(through);
        self.published.bump();
        Ok(())
    }

    /// A pool of read connections on the same database: reads never block this writer.
    /// Current values and histories go through the serving index (loaded on the first call,
    /// after a checkpoint, then shared), falling back to SQL where it lacks the rows a read
    /// needs.
    pub fn read_pool(&mut self, size: usize) -> Result<ReadPool> {
        self.prepare_readers()?;
        let serving = match self.published.serving().into_iter().next() {
            Some(ix) => ix,
            None => {
                let ix = self.load_serving(None)?;
                self.published.add_serving(ix.clone());
                ix
            }
        };
        self.pool(size, Some(serving))
    }

    /// A pool that answers everything by SQL: the property tests hold both paths to the
    /// same recomputation.
    pub fn read_pool_sql_only(&mut self, size: usize) -> Result<ReadPool> {
        self.prepare_readers()?;
        self.pool(size, None)
    }

    /// A pool with a serving index of its own that keeps ledger rows from `detail_from` on
    /// (tests: reads on both sides of the horizon), maintained like the shared one.
    pub fn read_pool_with_detail_from(
        &mut self,
        size: usize,
        detail_from: DayNum,
    ) -> Result<ReadPool> {
        self.prepare_readers()?;
        let ix = self.load_serving(Some(detail_from))?;
        self.published.add_serving(ix.clone());
        self.pool(size, Some(ix))
    }

    /// Readers see the checkpointed tables plus the segments past them: the segments are
    /// kept from here on, and a checkpoint now makes the tables hold everything before.
    fn prepare_readers(&mut self) -> Result<()> {
        self.published.segments.keep();
        self.checkpoint()
    }

    fn load_serving(&self, detail_from: Option<DayNum>) -> Result<Arc<RwLock<ServingIndex>>> {
        let days = if detail_from.is_some() {
            None
        } else {
            self.serving_detail_days
        };
        let ix = crate::serving_load::load(
            &self.conn,
            self.settings.calendar,
            days,
            detail_from,
            Ts::now(),
        )?;
        Ok(Arc::new(RwLock::new(ix)))
    }

    fn pool(&self, size: usize, serving: Option<Arc<RwLock<ServingIndex>>>) -> Result<ReadPool> {
        ReadPool::new(
            &self.conn,
            size,
            self.settings.clone(),
            self.published.clone(),
            serving,
        )
    }

    /// How many days of single ledger rows the serving index keeps (default
    /// [`DETAIL_DAYS`]; `None` keeps all). Takes effect for indexes loaded afterwards.
    pub fn serving_detail_days(&mut self, days: Option<u32>) {
        self.serving_detail_days = days;
    }

    /// When checkpoints are written (tests vary it: every batch, never, in between).
    pub fn set_checkpoint_policy(&mut self, policy: CheckpointPolicy) {
        self.settings.checkpoint = policy;
    }

    /// Bounds the closed investigations kept in memory past a checkpoint (default
    /// [`crate::fold_state::CLOSED_KEPT`]); 0 reads every closed one back from DuckDB when
    /// an event touches it, which the property tests use.
    pub fn keep_closed_investigations(&mut self, n: usize) {
        self.st.closed_kept = n;
    }

    /// Stored next offsets for `topic`, by partition.
    pub fn stored_offsets(&self, topic: &str) -> Result<HashMap<i32, i64>> {
        crate::log::stored_offsets(&self.conn, topic)
    }

    /// Held events waiting longer than `ttl` for their opening, by zone. Wall-clock based:
    /// reporting only, never part of the indicator math.
    pub fn orphans(&self, now: Ts, ttl: Dur) -> Result<BTreeMap<String, u64>> {
        Ok(self.st.orphans(now.minus(ttl)))
    }

    /// Opened investigations known.
    pub fn investigations(&self) -> Result<u64> {
        Ok(self.st.opened())
    }

    /// The memory DuckDB holds, by tag, largest first.
    pub fn duckdb_memory(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare(MEMORY_BY_TAG)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The instant a week's snapshot describes: local midnight starting the next week.
    pub fn week_end(&self, week: IsoWeek) -> Ts {
        week.end(&self.settings.calendar)
    }

    pub fn has_snapshot(&self, week: IsoWeek) -> Result<bool> {
        crate::snapshot::exists(&self.conn, week)
    }

    /// Freezes `week` for `zones` and citywide, after a checkpoint so the tables hold every
    /// folded batch. Refused if it exists, unless `force`.
    pub fn take_snapshot(
        &mut self,
        week: IsoWeek,
        zones: &[String],
        now: Ts,
        force: bool,
    ) -> Result<SnapshotInfo> {
        self.checkpoint()?;
        let info =
            crate::snapshot::freeze(&mut self.conn, &self.settings, week, zones, now, force)?;
        self.published.bump();
        Ok(info)
    }
}

fn clocks_fingerprint(c: &childstat_core::Clocks) -> String {
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
