//! A steady producer and a running pipeline, shared by the freshness and API-load scenarios.

use crate::ingest::{simulator, DLQ, TOPIC};
use anyhow::{anyhow, Result};
use childstat::pipeline::{Pipeline, StartOptions};
use childstat_config::Config;
use childstat_ingest::EmbeddedBroker;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// One produced message: where it landed and when the producer was asked to send it.
#[derive(Clone, Copy, Debug)]
pub struct Sent {
    pub partition: i32,
    pub offset: i64,
    pub at: Instant,
}

/// Starts childstat's pipeline (writer, ingest, API) on `db` against `broker`.
pub async fn start_pipeline(broker: &Arc<EmbeddedBroker>, db: &Path) -> Result<Pipeline> {
    let brokers = broker.bootstrap_servers();
    let mut cfg = Config::embedded_defaults();
    cfg.kafka.brokers = brokers.clone();
    cfg.kafka.topic = TOPIC.into();
    cfg.kafka.dlq_topic = Some(DLQ.into());
    cfg.storage.path = db.to_path_buf();
    cfg.http.bind = "127.0.0.1:0".parse()?;
    Pipeline::start(
        &cfg,
        Some((brokers, Some(broker.clone()))),
        StartOptions::default(),
    )
    .await
    .map_err(|e| anyhow!("pipeline: {e}"))
}

/// Produces `rate` simulator events a second in 10 ms ticks until `stop`, recording each
/// acknowledged message.
pub async fn steady_producer(
    brokers: String,
    seed: u64,
    rate: u32,
    stop: CancellationToken,
    sent: Arc<Mutex<Vec<Sent>>>,
) -> Result<u64> {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("linger.ms", "5")
        .create()?;
    let mut sim = simulator(seed, 2, 0.0, 0.0)?;
    let per_tick = (rate / 100).max(1);
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut acks = tokio::task::JoinSet::new();
    let mut n = 0u64;
    while !stop.is_cancelled() {
        tick.tick().await;
        for _ in 0..per_tick {
            let m = sim.next_message();
            let (key, payload) = (m.key().to_string(), m.payload().to_vec());
            let p = producer.clone();
            let sent = sent.clone();
            let at = Instant::now();
            n += 1;
            acks.spawn(async move {
                let rec = FutureRecord::to(TOPIC).key(&key).payload(&payload);
                if let Ok(d) = p.send(rec, Timeout::After(Duration::from_secs(30))).await {
                    sent.lock().unwrap_or_else(|p| p.into_inner()).push(Sent {
                        partition: d.partition,
                        offset: d.offset,
                        at,
                    });
                }
            });
        }
        while acks.try_join_next().is_some() {}
    }
    while acks.join_next().await.is_some() {}
    Ok(n)
}
