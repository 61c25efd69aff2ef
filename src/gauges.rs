//! Background refresh of the per-zone indicator gauges and freshness.

use crate::error::AppError;
use childstat_aggregator::ReadPool;
use childstat_core::{Ts, ZoneSet, CITYWIDE};
use childstat_telemetry::Metrics;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub const GAUGE_WINDOWS: [(&str, childstat_core::Dur); 3] = [
    ("7d", childstat_core::Dur::days(7)),
    ("28d", childstat_core::Dur::days(28)),
    ("91d", childstat_core::Dur::days(91)),
];

pub async fn refresh_indicator_gauges(
    pool: Arc<ReadPool>,
    zones: Arc<ZoneSet>,
    m: Metrics,
    every: Duration,
    shutdown: CancellationToken,
) -> Result<(), AppError> {
    let mut tick = tokio::time::interval(every);
    let mut fresh = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = fresh.tick() => {
                let newest = m.newest_event_timestamp.get();
                if newest > 0.0 {
                    m.freshness_seconds.set(Ts::now().0 as f64 / 1e9 - newest);
                }
            }
            _ = tick.tick() => {
                let (p, mm, z) = (pool.clone(), m.clone(), zones.clone());
                let r = tokio::task::spawn_blocking(move || refresh_once(&p, &z, &mm)).await;
                match r {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "refreshing indicator gauges failed; will retry"),
                    Err(e) => tracing::warn!(error = %e, "indicator gauge task panicked; will retry"),
                }
            }
        }
    }
}

pub fn refresh_once(pool: &ReadPool, zone_set: &ZoneSet, m: &Metrics) -> Result<(), AppError> {
    let now = Ts::now();
    if let Some(bytes) = pool.serving_index_bytes() {
        m.serving_index_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }
    let zones: Vec<Option<String>> = std::iter::once(None)
        .chain(zone_set.codes().map(|c| Some(c.to_string())))
        .collect();
    for zone in &zones {
        let label = zone.as_deref().unwrap_or(CITYWIDE);
        for (wname, w) in GAUGE_WINDOWS {
            for v in pool.current(zone.as_deref(), w, now)? {
                let labels = [label, v.name, wname];
                match v.value {
                    Some(x) => m.indicator.with_label_values(&labels).set(x),
                    None => {
                        let _ = m.indicator.remove_label_values(&labels);
                    }
                }
                if let Some(n) = v.numerator {
                    m.indicator_numerator.with_label_values(&labels).set(n);
                }
                if let Some(d) = v.denominator {
                    m.indicator_denominator.with_label_values(&labels).set(d);
                }
            }
        }
    }
    Ok(())
}
