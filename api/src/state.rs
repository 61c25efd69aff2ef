//! Shared state for handlers: the read pool, zones, metrics and pipeline health.

use childstat_aggregator::ReadPool;
use childstat_config::Config;
use childstat_core::{Ts, ZoneSet};
use childstat_telemetry::Metrics;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Liveness signals written by the pipeline tasks and read by `/readyz`.
#[derive(Debug, Default)]
pub struct Health {
    pub broker_up: AtomicBool,
    /// Wall-clock ns of the writer's last loop turn (it turns at least once a second).
    pub writer_heartbeat: AtomicI64,
    pub last_commit: AtomicI64,
    pub embedded_broker: std::sync::OnceLock<String>,
    /// Why ingest is not moving (stalled, dead letters refused, stopped), while it is not.
    pub ingest_problem: Mutex<Option<String>>,
}

impl Health {
    pub fn beat(&self, now: Ts) {
        self.writer_heartbeat.store(now.0, Ordering::Relaxed);
    }

    pub fn set_ingest_problem(&self, problem: Option<String>) {
        *self
            .ingest_problem
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = problem;
    }

    pub fn ingest_problem(&self) -> Option<String> {
        self.ingest_problem
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Ready when the broker answered recently, the writer is turning, and ingest is moving.
    pub fn readiness(&self, now: Ts, stale_after: Duration) -> Result<(), String> {
        if !self.broker_up.load(Ordering::Relaxed) {
            return Err("the Kafka broker is not reachable".into());
        }
        if let Some(why) = self.ingest_problem() {
            return Err(why);
        }
        let beat = Ts(self.writer_heartbeat.load(Ordering::Relaxed));
        if beat.0 == 0 || now.since(beat).0 > stale_after.as_nanos() as i64 {
            return Err("the writer has not turned recently".into());
        }
        Ok(())
    }
}

/// What every handler reads. Axum clones the state for each extractor and middleware layer
/// of every request, so it is one `Arc`: cloning the parts themselves (the metrics alone are
/// dozens of handles) cost about 10% of the server's CPU under load, in atomic reference
/// counts bounced between the cores.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

pub struct AppParts {
    pub pool: Arc<ReadPool>,
    pub zones: Arc<ZoneSet>,
    pub metrics: Metrics,
    pub health: Arc<Health>,
    /// The loaded configuration: thresholds, case-candidate criteria, access tokens.
    pub config: Arc<Config>,
    /// Compliance alerts and their state per zone, written by the evaluator task.
    pub alerts: crate::alerts::SharedBoard,
    /// Injectable clock so tests can pin "now".
    pub clock: Arc<dyn Fn() -> Ts + Send + Sync>,
}

impl From<AppParts> for AppState {
    fn from(parts: AppParts) -> AppState {
        AppState(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

impl AppParts {
    pub fn now(&self) -> Ts {
        (self.clock)()
    }
}
