//! The weekly snapshot scheduler: once an ISO week has ended in local time and the data has
//! reached past its end, ask the writer to freeze it.

use crate::error::AppError;
use crate::writer::WriterCommand;
use childstat_aggregator::{IsoWeek, ReadPool};
use childstat_core::{Calendar, Step, Ts};
use childstat_telemetry::Metrics;
use chrono_tz::Tz;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// The most recent ISO week that has ended at `now`, and the instant it ended.
pub fn last_ended_week(cal: &Calendar, now: Ts) -> (IsoWeek, Ts) {
    let this_monday = cal.bucket_start_date(cal.local_date(now), Step::Week);
    let week = IsoWeek::of(this_monday - chrono::Days::new(7));
    (week, cal.start_of_date(this_monday))
}

pub async fn run(
    pool: Arc<ReadPool>,
    metrics: Metrics,
    tz: Tz,
    commands: mpsc::Sender<WriterCommand>,
    shutdown: CancellationToken,
) -> Result<(), AppError> {
    let cal = Calendar::new(tz);
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tick.tick() => {}
        }
        let (week, ended) = last_ended_week(&cal, Ts::now());
        // Wait for the stream to pass the week's end, so the freeze holds the whole week.
        let newest = metrics.newest_event_timestamp.get();
        if newest * 1e9 < ended.0 as f64 {
            continue;
        }
        let p = pool.clone();
        let name = week.to_string();
        let taken = tokio::task::spawn_blocking(move || p.snapshot(&name).map(|s| s.is_some()))
            .await
            .map_err(|e| AppError::TaskFailed {
                task: "snapshot scheduler",
                reason: e.to_string(),
            })??;
        if taken {
            continue;
        }
        let (reply, answer) = oneshot::channel();
        if commands
            .send(WriterCommand::Snapshot {
                week,
                force: false,
                reply,
            })
            .await
            .is_err()
        {
            return Ok(());
        }
        match answer.await {
            Ok(Ok(info)) => {
                tracing::info!(week = %info.iso_week, took_ms = info.took_ms, "weekly snapshot frozen")
            }
            Ok(Err(e)) => tracing::warn!(week = %week, error = %e, "weekly snapshot not taken"),
            Err(_) => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_ended_week_is_the_previous_iso_week() {
        let cal = Calendar::new(chrono_tz::America::New_York);
        // Sunday 23:59 local: week 47 has not ended yet.
        let (w, _) = last_ended_week(
            &cal,
            Ts::parse_rfc3339("2026-11-22T23:59:00-05:00").expect("ts"),
        );
        assert_eq!(w.to_string(), "2026-W46");
        // Monday 00:00 local: week 47 has just ended.
        let (w, end) = last_ended_week(
            &cal,
            Ts::parse_rfc3339("2026-11-23T00:00:00-05:00").expect("ts"),
        );
        assert_eq!(w.to_string(), "2026-W47");
        assert_eq!(end, Ts::parse_rfc3339("2026-11-23T05:00:00Z").expect("ts"));
    }
}
