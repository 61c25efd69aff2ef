//! The writer task: owns the `Store` (the only write connection) and commits batches.

use crate::error::AppError;
use crate::store_thread::{StoreThread, WRITER_NICENESS};
use childstat_aggregator::{BatchOutcome, CrashPoint, IsoWeek, SnapshotInfo, Store, LATE_BUCKETS};
use childstat_api::Health;
use childstat_core::{Batch, Dur, Ts};
use childstat_ingest::Committed;
use childstat_telemetry::Metrics;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_util::sync::CancellationToken;

/// A test hook: abandon batch number `batch` (1-based, counted in this process) at `point`,
/// as if the process died there.
#[derive(Clone, Copy, Debug)]
pub struct CrashPlan {
    pub batch: u64,
    pub point: CrashPoint,
}

/// Requests other than batches, served by the writer because it owns the write connection.
pub enum WriterCommand {
    Snapshot {
        week: IsoWeek,
        force: bool,
        reply: oneshot::Sender<Result<SnapshotInfo, String>>,
    },
}

pub struct WriterTask {
    pub store: Store,
    pub batches: mpsc::Receiver<Batch>,
    pub commands: mpsc::Receiver<WriterCommand>,
    pub zones: Vec<String>,
    pub committed: Option<mpsc::Sender<Committed>>,
    /// Told after each batch when no other is queued: ingest hands over what it gathered.
    pub ready: Arc<Notify>,
    pub metrics: Metrics,
    pub health: Arc<Health>,
    pub orphan_ttl: Dur,
    pub crash: Option<CrashPlan>,
}

impl WriterTask {
    pub async fn run(mut self, shutdown: CancellationToken) -> Result<(), AppError> {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut orphan_check = tokio::time::interval(Duration::from_secs(30));
        let mut report = tokio::time::interval(Duration::from_secs(10));
        report.tick().await;
        let (mut window_msgs, mut window_start) = (0u64, Instant::now());
        let mut seen = 0u64;
        // Ingest may stop for good (a dead-letter topic that refuses messages) while the
        // process stays up: the writer then goes on serving snapshots and orphan counts.
        let mut batches_open = true;
        let store = StoreThread::start(self.store, WRITER_NICENESS)?;
        loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Ok(()),
                b = self.batches.recv(), if batches_open => {
                    let Some(batch) = b else {
                        batches_open = false;
                        continue;
                    };
                    seen += 1;
                    let crash = self.crash.filter(|c| c.batch == seen).map(|c| c.point);
                    let started = Instant::now();
                    let (result, batch) = store
                        .run(move |s| {
                            let r = s.apply_batch_deferring_index(&batch, Ts::now(), crash);
                            (r, batch)
                        })
                        .await?;
                    let (outcome, update) = result?;
                    // On a thread of normal priority: readers wait on the index lock while
                    // it is applied (see `store_thread.rs`).
                    tokio::task::spawn_blocking(move || update.apply())
                        .await
                        .map_err(|e| AppError::TaskFailed { task: "writer", reason: e.to_string() })?;
                    self.metrics.batch_commit_seconds.observe(started.elapsed().as_secs_f64());
                    record(&self.metrics, &outcome, &self.health);
                    window_msgs += outcome.messages;
                    if let Some(tx) = &self.committed {
                        // The consumer may be gone during shutdown; mirroring is informational.
                        let _ = tx.try_send(batch.next_offsets.clone());
                    }
                    if self.batches.is_empty() {
                        self.ready.notify_one();
                    }
                }
                Some(cmd) = self.commands.recv() => {
                    let WriterCommand::Snapshot { week, force, reply } = cmd;
                    let zones = self.zones.clone();
                    let r = store
                        .run(move |s| s.take_snapshot(week, &zones, Ts::now(), force))
                        .await?;
                    // A refused or failed snapshot is the requester's answer, not a writer failure.
                    let _ = reply.send(r.map_err(|e| e.to_string()));
                }
                _ = tick.tick() => self.health.beat(Ts::now()),
                _ = report.tick() => {
                    if window_msgs > 0 {
                        let secs = window_start.elapsed().as_secs_f64();
                        tracing::info!(
                            events_per_sec = format!("{:.0}", window_msgs as f64 / secs),
                            events = window_msgs,
                            "ingest throughput over the last {secs:.0} s"
                        );
                    }
                    (window_msgs, window_start) = (0, Instant::now());
                }
                _ = orphan_check.tick() => {
                    let ttl = self.orphan_ttl;
                    // A failed count leaves the last reported one; the next turn retries.
                    match store.run(move |s| s.orphans(Ts::now(), ttl)).await? {
                        Ok(by_zone) => {
                            self.metrics.orphans_waiting.reset();
                            for (zone, n) in by_zone {
                                self.metrics.orphans_waiting.with_label_values(&[&zone]).set(n as i64);
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "counting waiting orphans failed"),
                    }
                }
            }
        }
    }
}

/// Metrics move only after a commit, so they count what is durably applied.
pub fn record(m: &Metrics, o: &BatchOutcome, health: &Health) {
    m.consumed.inc_by(o.messages);
    m.applied.inc_by(o.applied);
    m.duplicate.inc_by(o.duplicates);
    m.openings_ignored.inc_by(o.ignored_openings);
    m.batch_events.observe(o.messages as f64);
    for (i, label) in LATE_BUCKETS.iter().enumerate() {
        if o.late[i] > 0 {
            m.late.with_label_values(&[label]).inc_by(o.late[i]);
        }
    }
    for (zone, n) in &o.held {
        m.orphaned.with_label_values(&[zone]).inc_by(*n);
    }
    for (reason, n) in &o.dead_letters {
        m.dead_lettered.with_label_values(&[reason]).inc_by(*n);
    }
    if let Some(t) = o.max_occurred {
        let newest = t.0 as f64 / 1e9;
        if newest > m.newest_event_timestamp.get() {
            m.newest_event_timestamp.set(newest);
        }
    }
    let now = Ts::now();
    m.last_commit_timestamp.set(now.0 as f64 / 1e9);
    health
        .last_commit
        .store(now.0, std::sync::atomic::Ordering::Relaxed);
    health.beat(now);
}
