//! End-to-end ingest throughput beside its physical limit: simulator events on the embedded
//! broker, read by a bare rdkafka consumer that discards every message, and by childstat
//! until every event is committed to DuckDB. Both read the same events from topics of their
//! own, one after the other, in every run, fed at most `MAX_AHEAD` messages ahead of them.

use crate::sys::{machine, peak_rss_bytes, save, summary};
use anyhow::{anyhow, bail, Context, Result};
use childstat::pipeline::{Pipeline, StartOptions};
use childstat_config::Config;
use childstat_core::{Dur, Ts};
use childstat_ingest::EmbeddedBroker;
use childstat_sim::{SimConfig, Simulator};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// The embedded broker (librdkafka's mock cluster) keeps at most 5 MB or 100,000 message
/// sets per partition and drops the oldest beyond that, so a topic cannot hold millions of
/// events at once. The feeder produces the same events for every consumer but stays at most
/// this many messages ahead of what the consumer has read (about 2.5 MB a partition).
const MAX_AHEAD: u64 = 60_000;

/// Feeds `messages` to `topic`, never more than [`MAX_AHEAD`] beyond `progress`, until all
/// are acknowledged or `stop` is set.
fn feed(
    brokers: &str,
    topic: &str,
    messages: &[(String, Vec<u8>)],
    progress: &AtomicU64,
    stop: &AtomicBool,
) -> Result<()> {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "5")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "500000")
        .create()?;
    for (i, (key, payload)) in messages.iter().enumerate() {
        while i as u64 >= progress.load(Ordering::Acquire) + MAX_AHEAD {
            if stop.load(Ordering::Acquire) {
                return Ok(());
            }
            producer.poll(Duration::from_millis(1));
        }
        let mut rec = BaseRecord::to(topic).key(key).payload(payload);
        loop {
            match producer.send(rec) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    rec = r;
                    producer.poll(Duration::from_millis(1));
                }
                Err((e, _)) => return Err(e.into()),
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer
        .flush(Duration::from_secs(300))
        .context("waiting for the feed to be acknowledged")?;
    Ok(())
}

/// Runs `consume` (which reports how many messages it has read through `progress`) beside a
/// feeder of `messages` on a fresh topic; returns the seconds from the first send to the
/// end of `consume`.
fn fed<F>(
    broker: &EmbeddedBroker,
    topic: &str,
    messages: &[(String, Vec<u8>)],
    partitions: i32,
    consume: F,
) -> Result<f64>
where
    F: FnOnce(&AtomicU64) -> Result<()>,
{
    broker.create_topic(topic, partitions)?;
    let brokers = broker.bootstrap_servers();
    let progress = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let started = Instant::now();
        let feeder = scope.spawn(|| feed(&brokers, topic, messages, &progress, &stop));
        let consumed = consume(&progress);
        stop.store(true, Ordering::Release);
        let secs = started.elapsed().as_secs_f64();
        feeder
            .join()
            .map_err(|_| anyhow!("the feeder thread panicked"))??;
        consumed.map(|()| secs)
    })
}

/// The limit: read every message of `topic` from the start with a plain consumer, touch each
/// payload, and discard it.
fn bare_consumer(
    brokers: &str,
    topic: &str,
    total: u64,
    group: &str,
    progress: &AtomicU64,
) -> Result<()> {
    let started = Instant::now();
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "false")
        .create()?;
    c.subscribe(&[topic])?;
    let mut seen = 0u64;
    let mut sum = 0u64;
    while seen < total {
        match c.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                seen += 1;
                sum = sum.wrapping_add(m.payload().map_or(0, |p| p.len() as u64));
                if seen.is_multiple_of(1024) {
                    progress.store(seen, Ordering::Release);
                }
            }
            Some(Err(e)) => eprintln!("  bare consumer: {e}"),
            None if started.elapsed() > Duration::from_secs(600) => {
                bail!("bare consumer saw {seen} of {total} messages in 10 minutes")
            }
            None => progress.store(seen, Ordering::Release),
        }
    }
    std::hint::black_box(sum);
    Ok(())
}

/// childstat from start until every partition's committed offset reaches its high watermark.
/// Where one childstat run reads from and writes to.
struct RunTarget<'a> {
    brokers: &'a str,
    topic: &'a str,
    total: u64,
    db: &'a Path,
    group: &'a str,
    batch_size: Option<usize>,
}

async fn childstat_run(t: RunTarget<'_>, timeout: Duration, progress: &AtomicU64) -> Result<()> {
    let RunTarget {
        brokers,
        topic,
        total,
        db,
        group,
        batch_size,
    } = t;
    for ext in ["", ".wal", ".deadletters.ndjson"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let mut cfg = Config::embedded_defaults();
    cfg.kafka.brokers = brokers.to_string();
    cfg.kafka.topic = topic.into();
    cfg.kafka.dlq_topic = Some(DLQ.into());
    cfg.kafka.group_id = group.into();
    if let Some(b) = batch_size {
        cfg.kafka.batch_size = b;
    }
    cfg.storage.path = db.to_path_buf();
    cfg.http.bind = "127.0.0.1:0".parse()?;
    let started = Instant::now();
    let p = Pipeline::start(
        &cfg,
        Some((brokers.to_string(), None)),
        StartOptions::default(),
    )
    .await
    .map_err(|e| anyhow!("pipeline: {e}"))?;
    // Offsets start at 0 on a fresh topic, so the committed next offsets sum to the events
    // committed.
    loop {
        let stored = p.pool.stored_offsets(topic)?;
        let committed = stored.values().map(|o| *o as u64).sum::<u64>();
        progress.store(committed, Ordering::Release);
        if committed >= total {
            break;
        }
        if started.elapsed() > timeout {
            p.shutdown.cancel();
            bail!("childstat not caught up after {timeout:?}: committed {committed} of {total}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    p.shutdown.cancel();
    p.wait()
        .await
        .map_err(|e| anyhow!("pipeline stopped with: {e}"))?;
    Ok(())
}

pub fn run(a: Args<'_>) -> Result<()> {
    std::fs::create_dir_all(a.work)?;
    let broker = EmbeddedBroker::start(&[DLQ], a.partitions)?;
    let brokers = broker.bootstrap_servers();
    let mut sim = simulator(11, 5, 0.01, 0.005)?;
    let messages: Vec<(String, Vec<u8>)> = (0..a.events)
        .map(|_| {
            let m = sim.next_message();
            (m.key().to_string(), m.payload().to_vec())
        })
        .collect();
    let bytes: u64 = messages.iter().map(|m| m.1.len() as u64).sum();
    eprintln!(
        "generated {} messages ({:.0} bytes each), fed to {} partitions at most {MAX_AHEAD} ahead",
        a.events,
        bytes as f64 / a.events as f64,
        a.partitions,
    );
    let rt = tokio::runtime::Runtime::new()?;
    let (mut bare, mut ours, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..a.runs {
        let topic = format!("{TOPIC}.{run}.bare");
        let b = fed(&broker, &topic, &messages, a.partitions, |progress| {
            bare_consumer(
                &brokers,
                &topic,
                a.events,
                &format!("bench-bare-{run}"),
                progress,
            )
        })?;
        let db = a.work.join(format!("ingest-{run}.duckdb"));
        let topic = format!("{TOPIC}.{run}.childstat");
        let c = fed(&broker, &topic, &messages, a.partitions, |progress| {
            let group = format!("bench-childstat-{run}");
            let target = RunTarget {
                brokers: &brokers,
                topic: &topic,
                total: a.events,
                db: &db,
                group: &group,
                batch_size: a.batch_size,
            };
            rt.block_on(childstat_run(target, Duration::from_secs(3600), progress))
        })?;
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
            "max_ahead": MAX_AHEAD,
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
