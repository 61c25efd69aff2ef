//! The writer task: owns the `Store` (the only write connection) and commits batches.

use crate::error::AppError;
use crate::store_thread::{StoreThread, WRITER_NICENESS};
use childstat_aggregator::{BatchOutcome, Counter, CrashPoint, IsoWeek, SnapshotInfo, Store};
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
                _ = shutdown.cancelled() => {
                    // A last checkpoint, so the next start has nothing to fold again. If it
                    // fails the log still holds every batch, and the next start re-folds.
                    if let Err(e) = store.run(|s| s.checkpoint()).await? {
                        tracing::warn!(error = %e, "the checkpoint at shutdown failed; the next start folds the batches since the last one again");
                    }
                    return Ok(());
                }
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
                _ = tick.tick() => {
                    // An idle pipeline still checkpoints within its interval.
                    store.run(|s| s.checkpoint_if_due()).await??;
                    self.health.beat(Ts::now());
                }
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

/// Adds `n` to the metric that mirrors counter `c` (the stored counters and the metrics
/// share [`BatchOutcome::counts`]'s names and labels).
pub fn add_count(m: &Metrics, c: Counter, label: &str, n: u64) {
    match c {
        Counter::Consumed => m.consumed.inc_by(n),
        Counter::Applied => m.applied.inc_by(n),
        Counter::Duplicate => m.duplicate.inc_by(n),
        Counter::IgnoredOpening => m.openings_ignored.inc_by(n),
        Counter::Late => m.late.with_label_values(&[label]).inc_by(n),
        Counter::Held => m.orphaned.with_label_values(&[label]).inc_by(n),
        Counter::DeadLettered => m.dead_lettered.with_label_values(&[label]).inc_by(n),
    }
}

/// Metrics move only after a batch is folded, so they count what is durably applied.
pub fn record(m: &Metrics, o: &BatchOutcome, health: &Health) {
    for (c, label, n) in o.counts() {
        add_count(m, c, label, n);
    }
    m.batch_events.observe(o.messages as f64);
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
