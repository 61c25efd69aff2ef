//! Driving the simulator: into Kafka at an accelerated pace, or into an NDJSON file.

use crate::error::AppError;
use childstat_core::{Dur, Ts, ZoneSet};
use childstat_ingest::client_config;
use childstat_sim::{SimConfig, Simulator};
use futures::stream::{FuturesUnordered, StreamExt};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::future_producer::OwnedDeliveryResult;
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug)]
pub struct Pace {
    /// Simulated time at the start.
    pub start: Ts,
    /// Simulated seconds per wall second until the simulation reaches the wall clock.
    pub speed: f64,
}

impl Pace {
    /// Simulated "now": accelerated, but never ahead of the wall clock, so that no event
    /// is from the future. Once caught up it runs in real time.
    pub fn sim_now(&self, started: Instant) -> Ts {
        let elapsed = started.elapsed().as_secs_f64() * self.speed;
        let t = self
            .start
            .plus(Dur((elapsed * 1e9).min(i64::MAX as f64) as i64));
        t.min(Ts::now())
    }
}

pub fn simulator(
    seed: u64,
    zones: ZoneSet,
    start: Ts,
    per_year: u32,
    dup: f64,
    invalid: f64,
) -> Result<Simulator, AppError> {
    Simulator::try_new(SimConfig {
        seed,
        zones,
        start,
        investigations_per_year: per_year,
        duplicate_fraction: dup,
        invalid_fraction: invalid,
    })
    .map_err(|e| AppError::Invalid(format!("simulator: {e}")))
}

/// Produces messages whose publish time has come, until `limit` messages or shutdown.
/// Returns how many were produced.
pub async fn produce(
    mut sim: Simulator,
    pace: Pace,
    brokers: &str,
    topic: &str,
    limit: Option<u64>,
    shutdown: CancellationToken,
) -> Result<u64, AppError> {
    let producer: FutureProducer = client_config(brokers, &BTreeMap::new())
        .set("linger.ms", "20")
        .set("message.timeout.ms", "60000")
        .create()?;
    let started = Instant::now();
    let mut sent = 0u64;
    let mut in_flight = FuturesUnordered::new();
    let mut last_log = Instant::now();
    loop {
        if shutdown.is_cancelled() || limit.is_some_and(|l| sent >= l) {
            break;
        }
        let now = pace.sim_now(started);
        let mut produced_any = false;
        while sim.peek_time() <= now && limit.is_none_or(|l| sent < l) {
            let msg = sim.next_message();
            loop {
                match producer.send_result(
                    FutureRecord::to(topic)
                        .key(msg.key())
                        .payload(msg.payload()),
                ) {
                    Ok(delivery) => {
                        in_flight.push(delivery);
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                        // librdkafka's queue is full: wait for a delivery, then retry.
                        match in_flight.next().await {
                            Some(r) => check(r)?,
                            None => tokio::time::sleep(Duration::from_millis(10)).await,
                        }
                    }
                    Err((e, _)) => return Err(AppError::Kafka(e)),
                }
            }
            sent += 1;
            produced_any = true;
            while in_flight.len() >= 10_000 {
                if let Some(r) = in_flight.next().await {
                    check(r)?;
                }
            }
        }
        while let Some(Some(r)) = futures::FutureExt::now_or_never(in_flight.next()) {
            check(r)?;
        }
        if last_log.elapsed() > Duration::from_secs(10) {
            tracing::info!(sent, simulated_now = %now, "simulator progress");
            last_log = Instant::now();
        }
        if !produced_any {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    }
    while let Some(r) = in_flight.next().await {
        check(r)?;
    }
    Ok(sent)
}

fn check(
    r: Result<OwnedDeliveryResult, futures::channel::oneshot::Canceled>,
) -> Result<(), AppError> {
    match r {
        Ok(Ok(_)) => Ok(()),
        Ok(Err((e, _))) => Err(AppError::Kafka(e)),
        Err(_) => Err(AppError::Invalid(
            "the Kafka producer was dropped before delivery".into(),
        )),
    }
}

/// Writes `n` messages as NDJSON.
pub fn to_file(mut sim: Simulator, n: usize, path: &std::path::Path) -> Result<(), AppError> {
    let file = std::fs::File::create(path).map_err(|source| AppError::File {
        path: path.display().to_string(),
        source,
    })?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    childstat_sim::write_ndjson(&mut sim, n, &mut w)
        .and_then(|_| std::io::Write::flush(&mut w))
        .map_err(|source| AppError::File {
            path: path.display().to_string(),
            source,
        })
}
