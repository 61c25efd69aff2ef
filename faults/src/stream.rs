//! Producing to and reading from an out-of-process broker, and what a stream should count.

use childstat_sim::SimMessage;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// One record per batch. tansu 0.6.0 cannot serve a read that starts inside a batch of
/// several records: its fetch skips to the next batch, so a consumer resuming there loses the
/// rest of the batch, and its high watermark is the last batch's first offset plus one, so
/// with no later batch the rest cannot be read at all (docs/brokers.md). Kafka serves the
/// batch that holds the offset. Batches of one keep our fault runs about childstat.
pub fn producer(bootstrap: &str) -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("batch.num.messages", "1")
        .set("linger.ms", "20")
        .set("message.max.bytes", "4000000")
        .create()
        .expect("producer")
}

/// Produces in order and waits for every acknowledgement; returns, by partition, the offset
/// after the last message written. (tansu's ListOffsets answers "latest" with the base
/// offset of the last batch plus one, so its watermarks cannot say when a reader is done;
/// the acknowledgements can.)
pub async fn produce(bootstrap: &str, topic: &str, msgs: &[(String, Vec<u8>)]) -> Ends {
    send_all(&producer(bootstrap), topic, None, msgs).await
}

/// Enqueues every message, in order, before waiting for any acknowledgement, so none waits
/// on the one before. (`FutureProducer::send` enqueues only when first polled: awaiting its
/// futures one by one sent one message per `linger.ms`, 8,000 events in close to three
/// minutes.) `partition`: the one to write to, else the key's.
pub async fn send_all(
    p: &FutureProducer,
    topic: &str,
    partition: Option<i32>,
    msgs: &[(String, Vec<u8>)],
) -> Ends {
    let mut ends = Ends::new();
    for chunk in msgs.chunks(10_000) {
        let mut acks = Vec::with_capacity(chunk.len());
        for (k, v) in chunk {
            let mut record = FutureRecord::to(topic).key(k).payload(v);
            record.partition = partition;
            loop {
                match p.send_result(record) {
                    Ok(ack) => break acks.push(ack),
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                        record = r;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    Err((e, _)) => panic!("producing to {topic}: {e}"),
                }
            }
        }
        for ack in acks {
            let d = ack
                .await
                .expect("producer alive")
                .unwrap_or_else(|(e, _)| panic!("producing to {topic}: {e}"));
            let end = ends.entry(d.partition).or_insert(0);
            *end = (*end).max(d.offset + 1);
        }
    }
    ends
}

/// The offset after the last message written, by partition.
pub type Ends = HashMap<i32, i64>;

/// What the stream itself says the counters must end at.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StreamCounts {
    pub messages: i64,
    pub valid: i64,
    pub duplicates: i64,
    pub invalid_by_reason: BTreeMap<String, i64>,
}

impl StreamCounts {
    pub fn of(msgs: &[SimMessage]) -> StreamCounts {
        let mut c = StreamCounts::default();
        for m in msgs {
            c.messages += 1;
            match m {
                SimMessage::Valid { .. } => c.valid += 1,
                SimMessage::Duplicate { .. } => c.duplicates += 1,
                SimMessage::Invalid { reason, .. } => {
                    *c.invalid_by_reason
                        .entry((*reason).to_string())
                        .or_insert(0) += 1
                }
            }
        }
        c
    }

    pub fn invalid(&self) -> i64 {
        self.invalid_by_reason.values().sum()
    }
}

/// One message read back from a topic.
#[derive(Debug, Clone)]
pub struct Read {
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub headers: BTreeMap<String, String>,
}

/// Every message on `topic`, from the beginning, read until `expect` have arrived or no new
/// one has for `quiet`.
pub fn read_all(bootstrap: &str, topic: &str, expect: usize, quiet: Duration) -> Vec<Read> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", format!("reader-{}", std::process::id()))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("reader");
    c.subscribe(&[topic]).expect("subscribe");
    let mut out = Vec::new();
    let mut last = Instant::now();
    loop {
        // Once `expect` are in, a short quiet spell shows whether there are more (copies).
        let wait = if out.len() >= expect {
            Duration::from_millis(500)
        } else {
            quiet
        };
        if last.elapsed() > wait {
            break;
        }
        match c.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                let headers = m
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| {
                                let v = h.value.map(|v| String::from_utf8_lossy(v).into_owned());
                                (h.key.to_string(), v.unwrap_or_default())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.push(Read {
                    key: m.key().map(<[u8]>::to_vec),
                    payload: m.payload().unwrap_or_default().to_vec(),
                    headers,
                });
                last = Instant::now();
            }
            Some(Err(e)) => panic!("reading {topic}: {e}"),
            None => {}
        }
    }
    out
}

/// Dead letters by source (partition, offset), and how many copies of each.
pub fn dead_letter_copies(reads: &[Read]) -> BTreeMap<(i32, i64), usize> {
    let mut by_source = BTreeMap::new();
    for r in reads {
        let p = r.headers["source_partition"]
            .parse()
            .expect("partition header");
        let o = r.headers["source_offset"].parse().expect("offset header");
        *by_source.entry((p, o)).or_insert(0) += 1;
    }
    by_source
}

/// Where the tests' simulated streams start.
pub fn sim_start() -> childstat_core::Ts {
    childstat_core::Ts::parse_rfc3339("2026-03-02T00:00:00-05:00").expect("ts")
}

/// The simulator as the tests use it: 60,000 investigations a year from [`sim_start`].
pub fn simulator(seed: u64, dup: f64, invalid: f64) -> childstat_sim::Simulator {
    childstat_sim::Simulator::new(childstat_sim::SimConfig {
        seed,
        zones: childstat_config::Config::embedded_defaults().zone_set(),
        start: sim_start(),
        investigations_per_year: 60_000,
        duplicate_fraction: dup,
        invalid_fraction: invalid,
    })
}

pub fn simulated(seed: u64, n: usize, dup: f64, invalid: f64) -> Vec<SimMessage> {
    simulator(seed, dup, invalid).take(n).collect()
}

pub fn as_kv(msgs: &[SimMessage]) -> Vec<(String, Vec<u8>)> {
    msgs.iter()
        .map(|m| (m.key().to_string(), m.payload().to_vec()))
        .collect()
}
