//! The ingest watch: every `ingest.watch_interval`, asks the broker for the event topic's
//! watermarks, compares them with the offsets committed to DuckDB, and publishes lag,
//! broker reachability, stalls and dead-letter trouble to the metrics and to `/readyz`.

use crate::error::AppError;
use childstat_aggregator::ReadPool;
use childstat_api::Health;
use childstat_core::Ts;
use childstat_ingest::{Ingest, Observation, StallWatch};
use childstat_telemetry::Metrics;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long one watermark request may take before the broker counts as unreachable.
const BROKER_TIMEOUT: Duration = Duration::from_secs(3);

pub struct IngestWatch {
    pub ingest: Arc<Ingest>,
    pub pool: Arc<ReadPool>,
    pub metrics: Metrics,
    pub health: Arc<Health>,
    pub topic: String,
    pub from_beginning: bool,
    pub stall_after: Duration,
    pub every: Duration,
}

impl IngestWatch {
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), AppError> {
        let mut watch = StallWatch::new(self.stall_after, Instant::now());
        let mut tick = tokio::time::interval(self.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut was_stalled = false;
        let mut last_rejoin: Option<Instant> = None;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tick.tick() => {}
            }
            let Some(obs) = self.observe().await? else {
                continue;
            };
            let verdict = watch.observe(&obs);
            let up = obs.watermarks.is_some();
            self.health.broker_up.store(up, Ordering::Relaxed);
            self.metrics.broker_up.set(i64::from(up));
            if up {
                self.metrics.consumer_lag.reset();
                for (p, lag) in &verdict.lag {
                    self.metrics
                        .consumer_lag
                        .with_label_values(&[&p.to_string()])
                        .set(*lag);
                }
            }
            let stalled = verdict.stalled.is_some();
            self.metrics.ingest_stalled.set(i64::from(stalled));
            if stalled != was_stalled {
                match &verdict.stalled {
                    Some(why) => tracing::error!("{why}"),
                    None => tracing::info!("ingest is moving again"),
                }
                was_stalled = stalled;
            }
            if stalled && obs.assigned == 0 {
                self.rejoin_if_due(&obs, &mut last_rejoin);
            }
            // Refused dead letters say more than the stall they cause.
            let problem = self.ingest.dead_letter_problem().or(verdict.stalled);
            self.health.set_ingest_problem(problem);
        }
    }

    /// With nothing assigned for twice `stall_after`, and no rejoin for as long, leaves the
    /// group and joins again: a coordinator can lose a member after a broker pause (tansu
    /// does; docs/brokers.md) and never hand it partitions again.
    fn rejoin_if_due(&self, obs: &Observation, last: &mut Option<Instant>) {
        if self.ingest.manual_assignment() {
            return;
        }
        let due = 2 * self.stall_after;
        let unassigned_long = obs
            .unassigned_since
            .is_some_and(|since| obs.at.saturating_duration_since(since) >= due);
        let quiet = last.is_none_or(|l| obs.at.saturating_duration_since(l) >= due);
        if unassigned_long && quiet {
            tracing::warn!(
                "no partition assigned for over {due:?}: leaving the group and joining again"
            );
            if let Err(e) = self.ingest.rejoin() {
                tracing::warn!(error = %e, "rejoining the group failed; the next turn tries again");
            }
            *last = Some(obs.at);
        }
    }

    /// `None` when DuckDB's offsets could not be read: lag is then unknown, and this turn
    /// judges nothing.
    async fn observe(&self) -> Result<Option<Observation>, AppError> {
        let ing = self.ingest.clone();
        let watermarks = tokio::task::spawn_blocking(move || {
            let w = ing.watermarks(BROKER_TIMEOUT)?;
            // Under manual assignment the watch is what finds the topic's partitions: at
            // start, after an outage, and when the topic grows.
            let partitions: Vec<i32> = w.keys().copied().collect();
            if let Err(e) = ing.assign_partitions(&partitions) {
                tracing::warn!(error = %e, "assigning the event topic's partitions failed; the next turn tries again");
            }
            Ok::<_, rdkafka::error::KafkaError>(w)
        })
            .await
            .map_err(|e| AppError::TaskFailed {
                task: "ingest watch",
                reason: e.to_string(),
            })?
            .map_err(|e| tracing::debug!(error = %e, "the broker did not answer for watermarks"))
            .ok();
        let (pool, topic) = (self.pool.clone(), self.topic.clone());
        let committed = tokio::task::spawn_blocking(move || pool.stored_offsets(&topic))
            .await
            .map_err(|e| AppError::TaskFailed {
                task: "ingest watch",
                reason: e.to_string(),
            })?;
        let committed = match committed {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "reading committed offsets failed; lag unknown this turn");
                return Ok(None);
            }
        };
        let (assigned, unassigned_since) = self.ingest.assigned();
        let at = Instant::now();
        Ok(Some(Observation {
            at,
            watermarks,
            committed,
            from_beginning: self.from_beginning,
            last_commit: last_commit_instant(&self.health, at),
            assigned,
            unassigned_since,
        }))
    }
}

/// The writer's last commit (wall clock) as an `Instant`, for the stall judge.
fn last_commit_instant(health: &Health, at: Instant) -> Option<Instant> {
    let ns = health.last_commit.load(Ordering::Relaxed);
    if ns == 0 {
        return None;
    }
    let ago = Ts::now().0.saturating_sub(ns).max(0) as u64;
    Some(at.checked_sub(Duration::from_nanos(ago)).unwrap_or(at))
}
