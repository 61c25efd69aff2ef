//! `GET /api/v1/status`: how the pipeline is doing, for the health view and for operators.
//! Counters come from DuckDB, committed with the state, so they survive restarts; lag,
//! orphans and the broker's reachability are live gauges of this process.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use childstat_core::Ts;
use prometheus::core::Collector;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

#[derive(Serialize, utoipa::ToSchema)]
pub struct StatusOut {
    pub as_of: String,
    pub broker_up: bool,
    /// Set when this process runs the embedded broker (demo mode).
    pub embedded_broker: Option<String>,
    pub last_commit: Option<LastCommit>,
    /// occurred_at of the newest applied event.
    pub newest_event: Option<String>,
    /// Seconds from the newest applied event to now: how far behind the indicators are.
    pub freshness_seconds: Option<f64>,
    /// Messages on the broker not yet committed to DuckDB, from the broker's high watermarks.
    pub consumer_lag: Lag,
    /// Why ingest is not moving (stalled, or dead letters refused), while it is not.
    pub ingest_problem: Option<String>,
    /// Partitions of the event topic assigned to this instance.
    pub assigned_partitions: i64,
    /// Next offset to apply per partition of the event topic, as committed to DuckDB with the
    /// state: every message below it is visible in every figure.
    pub committed_offsets: Vec<CommittedOffset>,
    /// Committed pipeline counters since the database was created.
    pub counters: BTreeMap<String, i64>,
    /// Investigations' events held for an opening longer than the orphan TTL, by zone.
    pub orphans_waiting: BTreeMap<String, i64>,
    pub dead_letters: Vec<ReasonCount>,
    pub late_events: Vec<ReasonCount>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LastCommit {
    pub batch_id: i64,
    pub committed_at: String,
    pub age_seconds: f64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Lag {
    /// Messages not yet committed, over all partitions; null before the broker first answered.
    pub total: Option<i64>,
    pub partitions: Vec<PartitionLag>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PartitionLag {
    pub partition: String,
    pub lag: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CommittedOffset {
    pub partition: i32,
    pub next_offset: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReasonCount {
    pub reason: String,
    pub count: i64,
}

/// Labelled integer gauge values by their single label.
fn gauge_by_label(c: &dyn Collector) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for fam in c.collect() {
        for m in fam.get_metric() {
            let label = m
                .get_label()
                .first()
                .map(|l| l.value().to_string())
                .unwrap_or_default();
            out.insert(label, m.get_gauge().get_value() as i64);
        }
    }
    out
}

fn seconds_between(later: Ts, earlier: Ts) -> f64 {
    (later.0 - earlier.0) as f64 / 1e9
}

/// Pipeline status: lag, freshness, last commit, counters, orphans, dead letters by reason.
#[utoipa::path(
    get,
    path = "/api/v1/status",
    tag = "pipeline",
    responses((status = 200, description = "Pipeline status", body = StatusOut))
)]
pub async fn status(State(st): State<AppState>) -> Result<Json<StatusOut>, ApiError> {
    let now = st.now();
    let pool = st.pool.clone();
    let topic = st.config.kafka.topic.clone();
    // Counters, offsets and the newest event time come from one read per commit: the status
    // is polled many times a second.
    let counters = tokio::task::spawn_blocking(move || pool.counters()).await??;
    let newest = counters.newest_event;
    let mut committed_offsets: Vec<CommittedOffset> = counters
        .offsets
        .iter()
        .filter(|(t, _, _)| *t == topic)
        .map(|(_, partition, next_offset)| CommittedOffset {
            partition: *partition,
            next_offset: *next_offset,
        })
        .collect();
    committed_offsets.sort_by_key(|c| c.partition);
    let mut plain = BTreeMap::new();
    let mut dead = Vec::new();
    let mut late = Vec::new();
    for ((name, label), v) in &counters.values {
        match name.as_str() {
            "dead_lettered" => dead.push(ReasonCount {
                reason: label.clone(),
                count: *v,
            }),
            "late" => late.push(ReasonCount {
                reason: label.clone(),
                count: *v,
            }),
            // Held events by zone: summed here; the by-zone view is the live orphan gauge.
            _ => *plain.entry(name.clone()).or_insert(0) += *v,
        }
    }
    dead.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
    late.sort_by(|a, b| a.reason.cmp(&b.reason));
    let partitions: Vec<PartitionLag> = gauge_by_label(&st.metrics.consumer_lag)
        .into_iter()
        .map(|(partition, lag)| PartitionLag { partition, lag })
        .collect();
    let total = (!partitions.is_empty()).then(|| partitions.iter().map(|p| p.lag).sum());
    Ok(Json(StatusOut {
        as_of: now.to_rfc3339(),
        broker_up: st.health.broker_up.load(Ordering::Relaxed),
        embedded_broker: st.health.embedded_broker.get().cloned(),
        last_commit: counters.last_batch.map(|(batch_id, at)| LastCommit {
            batch_id,
            committed_at: at.to_rfc3339(),
            age_seconds: seconds_between(now, at),
        }),
        newest_event: newest.map(|t| t.to_rfc3339()),
        freshness_seconds: newest.map(|t| seconds_between(now, t)),
        consumer_lag: Lag { total, partitions },
        ingest_problem: st.health.ingest_problem(),
        assigned_partitions: st.metrics.assigned_partitions.get(),
        committed_offsets,
        counters: plain,
        orphans_waiting: gauge_by_label(&st.metrics.orphans_waiting),
        dead_letters: dead,
        late_events: late,
    }))
}
