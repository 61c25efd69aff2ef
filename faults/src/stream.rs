//! Producing to and reading from an out-of-process broker, and what a stream should count.

use childstat_sim::SimMessage;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use rdkafka::ClientConfig;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

pub fn producer(bootstrap: &str) -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
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
    let p = producer(bootstrap);
    let mut ends = Ends::new();
    for chunk in msgs.chunks(2_000) {
        let futs: Vec<_> = chunk
            .iter()
            .map(|(k, v)| p.send(FutureRecord::to(topic).key(k).payload(v), Timeout::Never))
            .collect();
        for f in futs {
            let d = f.await.expect("produce acknowledged");
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
