//! End-to-end ingest throughput beside its physical limit: a topic of simulator events on the
//! embedded broker, read by a bare rdkafka consumer that discards every message, and by
//! childstat until every event is committed to DuckDB. Both run in the same process, one
//! after the other, in every run.

use crate::sys::{machine, peak_rss_bytes, save, summary};
use anyhow::{anyhow, bail, Context, Result};
use childstat::pipeline::{Pipeline, StartOptions};
use childstat_config::Config;
use childstat_core::{Dur, Ts};
use childstat_ingest::{high_watermarks, EmbeddedBroker};
use childstat_sim::{SimConfig, Simulator};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const TOPIC: &str = "bench.events";
pub const DLQ: &str = "bench.events.dlq";

pub struct Args<'a> {
    pub events: u64,
    pub partitions: i32,
    pub runs: usize,
    pub batch_size: Option<usize>,
    pub work: &'a Path,
    pub out: &'a Path,
}

/// A simulator over the last `years`, seeded so that separate scenarios never share ids.
pub fn simulator(seed: u64, years: i64, dup: f64, invalid: f64) -> Result<Simulator> {
    let cfg = Config::embedded_defaults();
    Simulator::try_new(SimConfig {
        seed,
        zones: cfg.zone_set(),
        start: Ts::now().minus(Dur::days(365 * years)),
        investigations_per_year: 60_000,
        duplicate_fraction: dup,
        invalid_fraction: invalid,
    })
    .map_err(|e| anyhow!("simulator: {e}"))
}

/// Produces `n` simulator messages, keyed as the case system would (by investigation), and
/// waits for every acknowledgement. Returns the bytes produced.
pub fn prefill(brokers: &str, topic: &str, sim: &mut Simulator, n: u64) -> Result<u64> {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "20")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "500000")
        .set("queue.buffering.max.kbytes", "1048576")
        .create()?;
    let mut bytes = 0u64;
    for _ in 0..n {
        let m = sim.next_message();
        bytes += m.payload().len() as u64;
        let mut rec = BaseRecord::to(topic).key(m.key()).payload(m.payload());
        loop {
            match producer.send(rec) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    rec = r;
                    producer.poll(Duration::from_millis(5));
                }
                Err((e, _)) => return Err(e.into()),
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer
        .flush(Duration::from_secs(300))
        .context("waiting for the prefill to be acknowledged")?;
    Ok(bytes)
}

/// The limit: read every message of `topic` from the start with a plain consumer, touch each
/// payload, and discard it.
fn bare_consumer(brokers: &str, total: u64, group: &str) -> Result<f64> {
    let started = Instant::now();
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "false")
        .create()?;
    c.subscribe(&[TOPIC])?;
    let mut seen = 0u64;
    let mut sum = 0u64;
    while seen < total {
        match c.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                seen += 1;
                sum = sum.wrapping_add(m.payload().map_or(0, |p| p.len() as u64));
            }
            Some(Err(e)) => eprintln!("  bare consumer: {e}"),
            None if started.elapsed() > Duration::from_secs(600) => {
                bail!("bare consumer saw {seen} of {total} messages in 10 minutes")
            }
            None => {}
        }
    }
    std::hint::black_box(sum);
    Ok(started.elapsed().as_secs_f64())
}

/// childstat from start until every partition's committed offset reaches its high watermark.
async fn childstat_run(
    brokers: &str,
    broker: Arc<EmbeddedBroker>,
    db: &Path,
    group: &str,
    batch_size: Option<usize>,
    timeout: Duration,
) -> Result<f64> {
    for ext in ["", ".wal", ".deadletters.ndjson"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let mut cfg = Config::embedded_defaults();
    cfg.kafka.brokers = brokers.to_string();
    cfg.kafka.topic = TOPIC.into();
    cfg.kafka.dlq_topic = Some(DLQ.into());
    cfg.kafka.group_id = group.into();
    if let Some(b) = batch_size {
        cfg.kafka.batch_size = b;
    }
    cfg.storage.path = db.to_path_buf();
    cfg.http.bind = "127.0.0.1:0".parse()?;
    let high = high_watermarks(brokers, TOPIC, Duration::from_secs(10))?;
    let started = Instant::now();
    let p = Pipeline::start(
        &cfg,
        Some((brokers.to_string(), Some(broker))),
        StartOptions::default(),
    )
    .await
    .map_err(|e| anyhow!("pipeline: {e}"))?;
    loop {
        let stored = p.pool.stored_offsets(TOPIC)?;
        if high
            .iter()
            .all(|(part, h)| *h == 0 || stored.get(part) == Some(h))
        {
            break;
        }
        if started.elapsed() > timeout {
            p.shutdown.cancel();
            bail!("childstat not caught up after {timeout:?}: high {high:?}, committed {stored:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    p.shutdown.cancel();
    p.wait()
        .await
        .map_err(|e| anyhow!("pipeline stopped with: {e}"))?;
    Ok(secs)
}

pub fn run(a: Args<'_>) -> Result<()> {
    std::fs::create_dir_all(a.work)?;
    let broker = Arc::new(EmbeddedBroker::start(&[TOPIC, DLQ], a.partitions)?);
    let brokers = broker.bootstrap_servers();
    let mut sim = simulator(11, 5, 0.01, 0.005)?;
    let t = Instant::now();
    let bytes = prefill(&brokers, TOPIC, &mut sim, a.events)?;
    eprintln!(
        "prefilled {} messages ({:.0} bytes each) on {} partitions in {:.1} s",
        a.events,
        bytes as f64 / a.events as f64,
        a.partitions,
        t.elapsed().as_secs_f64()
    );
    let rt = tokio::runtime::Runtime::new()?;
    let (mut bare, mut ours, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..a.runs {
        let b = bare_consumer(&brokers, a.events, &format!("bench-bare-{run}"))?;
        let db = a.work.join(format!("ingest-{run}.duckdb"));
        let c = rt.block_on(childstat_run(
            &brokers,
            broker.clone(),
            &db,
            &format!("bench-childstat-{run}"),
            a.batch_size,
            Duration::from_secs(3600),
        ))?;
        let (b_rate, c_rate) = (a.events as f64 / b, a.events as f64 / c);
        eprintln!(
            "run {}: bare consumer {b_rate:.0} events/s, childstat {c_rate:.0} events/s, ratio {:.3}",
            run + 1,
            c_rate / b_rate
        );
        bare.push(b_rate);
        ours.push(c_rate);
        ratio.push(c_rate / b_rate);
        for ext in ["", ".wal", ".deadletters.ndjson"] {
            let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
        }
    }
    save(
        a.out,
        "ingest",
        serde_json::json!({
            "scenario": "ingest",
            "machine": machine(),
            "events": a.events,
            "partitions": a.partitions,
            "payload_bytes_avg": bytes as f64 / a.events as f64,
            "duplicate_fraction": 0.01,
            "invalid_fraction": 0.005,
            "batch_size": a.batch_size.unwrap_or(Config::embedded_defaults().kafka.batch_size),
            "bare_consumer_events_per_sec": summary(&bare),
            "childstat_events_per_sec": summary(&ours),
            "ratio": summary(&ratio),
            "peak_rss_bytes_harness": peak_rss_bytes(),
            "targets": {"ratio": 0.7, "childstat_events_per_sec": 200000.0},
        }),
    )
}
