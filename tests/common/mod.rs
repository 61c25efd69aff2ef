//! Shared helpers for the integration tests: a real Kafka-protocol broker (librdkafka's mock
//! cluster, in-process), a real DuckDB file in a temporary directory, and the simulator.
#![allow(dead_code)]

pub mod api;
pub mod events;
pub mod more_events;
pub mod recompute;
pub mod routes;
pub mod snapshot;

use childstat::pipeline::{Pipeline, StartOptions};
use childstat_config::Config;
use childstat_core::Ts;
use childstat_ingest::{high_watermarks, EmbeddedBroker};
use childstat_sim::SimMessage;
use rdkafka::producer::FutureProducer;
use rdkafka::ClientConfig;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const TOPIC: &str = "childstat.events";
pub const DLQ: &str = "childstat.events.dlq";

pub struct Env {
    pub dir: tempfile::TempDir,
    pub broker: Arc<EmbeddedBroker>,
    pub brokers: String,
}

impl Env {
    pub fn new(partitions: i32) -> Env {
        let broker = EmbeddedBroker::start(&[TOPIC, DLQ], partitions).expect("embedded broker");
        let brokers = broker.bootstrap_servers();
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
            broker: Arc::new(broker),
            brokers,
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("childstat.duckdb")
    }

    pub fn config(&self) -> Config {
        let mut cfg = Config::embedded_defaults();
        cfg.kafka.brokers = self.brokers.clone();
        cfg.kafka.topic = TOPIC.into();
        cfg.kafka.dlq_topic = Some(DLQ.into());
        cfg.kafka.batch_size = 250;
        cfg.kafka.batch_linger = Duration::from_millis(20);
        cfg.storage.path = self.db_path();
        cfg.storage.read_connections = 2;
        cfg.http.bind = "127.0.0.1:0".parse().expect("addr");
        // Restarts rejoin the group quickly instead of waiting out a 45 s session.
        cfg.kafka
            .properties
            .insert("session.timeout.ms".into(), "6000".into());
        cfg.kafka
            .properties
            .insert("heartbeat.interval.ms".into(), "500".into());
        cfg
    }

    pub async fn start(&self, cfg: &Config, opts: StartOptions) -> Pipeline {
        Pipeline::start(
            cfg,
            Some((self.brokers.clone(), Some(self.broker.clone()))),
            opts,
        )
        .await
        .expect("pipeline starts")
    }

    pub fn producer(&self) -> FutureProducer {
        ClientConfig::new()
            .set("bootstrap.servers", &self.brokers)
            .set("linger.ms", "5")
            .create()
            .expect("producer")
    }

    /// Produces raw (key, payload) pairs in order and waits for every acknowledgement.
    pub async fn produce(&self, msgs: &[(String, Vec<u8>)]) {
        childstat_faults::stream::send_all(&self.producer(), TOPIC, None, msgs).await;
    }

    pub async fn produce_to_partition(&self, partition: i32, msgs: &[(String, Vec<u8>)]) {
        childstat_faults::stream::send_all(&self.producer(), TOPIC, Some(partition), msgs).await;
    }

    /// Waits until the offsets committed in DuckDB reach every partition's high watermark.
    pub async fn wait_caught_up(&self, p: &Pipeline, timeout: Duration) {
        let started = Instant::now();
        loop {
            let high =
                high_watermarks(&self.brokers, TOPIC, Duration::from_secs(5)).expect("watermarks");
            // Offsets as reads see them: a commit becomes visible to the pool's reads (counters,
            // indicators) once the writer has updated the serving indexes, a moment after
            // DuckDB has it. Waiting on DuckDB's own offsets let a test read counters from
            // before the commit it had just waited for, under load.
            let stored: HashMap<i32, i64> = p
                .pool
                .counters()
                .expect("counters")
                .offsets
                .iter()
                .filter(|(topic, _, _)| topic == TOPIC)
                .map(|(_, partition, next)| (*partition, *next))
                .collect();
            // An empty answer is metadata not yet known (seen under load), not "caught up".
            let done = !high.is_empty()
                && high
                    .iter()
                    .all(|(part, h)| *h == 0 || stored.get(part) == Some(h));
            if done {
                return;
            }
            assert!(
                started.elapsed() < timeout,
                "not caught up after {timeout:?}: high {high:?}, stored {stored:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[allow(unused_imports)]
pub use childstat_faults::stream::{as_kv, sim_start, simulator};

pub fn sim_messages(seed: u64, n: usize, dup: f64, invalid: f64) -> Vec<SimMessage> {
    childstat_faults::stream::simulated(seed, n, dup, invalid)
}

/// `n` simulated messages with `dup` duplicates, decoded as the validator accepts them, at
/// offsets 0.. of partition 0 of topic `t` (the few the validator rejects are left out).
pub fn sim_accepted(seed: u64, n: usize, dup: f64) -> Vec<childstat_core::Accepted> {
    let zones = Config::embedded_defaults().zone_set();
    let now = Ts::parse_rfc3339("2026-11-01T00:00:00Z").expect("ts");
    let limits = childstat_core::DecodeLimits::default();
    sim_messages(seed, n, dup, 0.0)
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let event = childstat_core::decode(m.payload(), &zones, &limits, now).ok()?;
            Some(childstat_core::Accepted {
                event,
                payload: String::from_utf8_lossy(m.payload()).into_owned(),
                source: childstat_core::Source {
                    topic: "t".into(),
                    partition: 0,
                    offset: i as i64,
                },
            })
        })
        .collect()
}

/// The programs the fault scenarios run: this build's binaries, and tansu where installed.
pub fn tools() -> childstat_faults::Tools {
    childstat_faults::Tools {
        childstat: env!("CARGO_BIN_EXE_childstat").into(),
        mock_broker: env!("CARGO_BIN_EXE_childstat-mock-broker").into(),
        tansu: childstat_faults::brokers::find_tansu(),
    }
}
