//! The compliance-alert evaluator: on every `alerting.interval` it reads each zone's current
//! values, moves every alert through inactive → pending → firing (`core::alerts`), and
//! publishes the result to `/api/v1/alerts`, the `childstat_alert_*` gauges and the log.

use crate::error::AppError;
use childstat_aggregator::ReadPool;
use childstat_api::alerts::SharedBoard;
use childstat_config::Config;
use childstat_core::alerts::{AlertBoard, AlertState, Transition, Window};
use childstat_core::{IndicatorValue, Ts, CITYWIDE};
use childstat_telemetry::Metrics;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

/// Every configured alert, inactive in every configured zone and citywide.
pub fn new_board(cfg: &Config) -> Result<SharedBoard, AppError> {
    let mut zones: Vec<String> = cfg.zone_set().codes().map(str::to_string).collect();
    zones.push(CITYWIDE.to_string());
    let board = AlertBoard::new(cfg.alert_rules()?, &zones);
    Ok(Arc::new(RwLock::new(board)))
}

/// Evaluates every `every` until `shutdown`. A failed read is logged and retried on the next
/// tick, leaving every alert where it was.
pub async fn run(
    pool: Arc<ReadPool>,
    board: SharedBoard,
    metrics: Metrics,
    every: Duration,
    shutdown: CancellationToken,
) -> Result<(), AppError> {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tick.tick() => {
                let (p, b, m) = (pool.clone(), board.clone(), metrics.clone());
                let r = tokio::task::spawn_blocking(move || evaluate_once(&p, &b, &m, Ts::now())).await;
                match r {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "evaluating compliance alerts failed; will retry"),
                    Err(e) => tracing::warn!(error = %e, "the compliance alert task panicked; will retry"),
                }
            }
        }
    }
}

/// One evaluation at `now`: read, step every alert, publish. Blocking (DuckDB reads).
pub fn evaluate_once(
    pool: &ReadPool,
    board: &SharedBoard,
    metrics: &Metrics,
    now: Ts,
) -> Result<(), AppError> {
    let (zones, windows) = {
        let b = read(board);
        (b.zones().to_vec(), b.windows())
    };
    // Read before taking the write lock, so API readers never wait on DuckDB.
    let readings = read_values(pool, &zones, &windows, now)?;
    let changes = {
        let mut b = board
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        b.evaluate(now, |zone, window, indicator| {
            readings
                .get(&(zone.to_string(), window))?
                .iter()
                .find(|v| v.name == indicator.name())?
                .value
        })
    };
    for change in &changes {
        log_transition(change);
    }
    publish_gauges(&read(board), metrics);
    Ok(())
}

fn read(board: &SharedBoard) -> std::sync::RwLockReadGuard<'_, AlertBoard> {
    board
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Every indicator for every (zone, window) the rules read.
fn read_values(
    pool: &ReadPool,
    zones: &[String],
    windows: &[Window],
    now: Ts,
) -> Result<HashMap<(String, Window), Vec<IndicatorValue>>, AppError> {
    let mut out = HashMap::new();
    for zone in zones {
        let filter = (zone != CITYWIDE).then_some(zone.as_str());
        for &w in windows {
            out.insert((zone.clone(), w), pool.current(filter, w.dur(), now)?);
        }
    }
    Ok(out)
}

fn publish_gauges(board: &AlertBoard, m: &Metrics) {
    for (rule, statuses) in board.iter() {
        for s in statuses {
            let labels = [s.zone.as_str(), rule.name.as_str()];
            let firing = s.state == AlertState::Firing;
            let pending = s.state == AlertState::Pending;
            m.alert_firing
                .with_label_values(&labels)
                .set(i64::from(firing));
            m.alert_pending
                .with_label_values(&labels)
                .set(i64::from(pending));
        }
    }
}

/// Zone, alert name and values only: never an investigation, family or worker id. A breach
/// that clears before `for` is logged at debug, so a rate hovering at its threshold does
/// not fill the log.
fn log_transition(c: &Transition) {
    let (alert, zone, indicator) = (c.alert.as_str(), c.zone.as_str(), c.indicator.name());
    let value = c
        .value
        .map_or_else(|| "none".to_string(), |v| v.to_string());
    let (threshold, severity) = (c.threshold, c.severity.as_str());
    match (c.from, c.to) {
        (_, AlertState::Firing) => tracing::warn!(
            alert, zone, indicator, %value, threshold, severity,
            "compliance alert firing"
        ),
        (_, AlertState::Pending) => tracing::info!(
            alert, zone, indicator, %value, threshold, severity,
            "compliance alert pending: threshold breached"
        ),
        (AlertState::Firing, AlertState::Inactive) => tracing::info!(
            alert, zone, indicator, %value, threshold, severity,
            "compliance alert resolved"
        ),
        (_, AlertState::Inactive) => tracing::debug!(
            alert, zone, indicator, %value, threshold, severity,
            "compliance alert no longer pending"
        ),
    }
}
