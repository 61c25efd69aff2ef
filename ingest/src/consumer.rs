//! The consume loop: read, validate, dead-letter the bad, hand batches to the writer.
//!
//! A batch is handed over only after every dead letter in it is acknowledged, so the
//! offsets the writer commits never pass an unacknowledged message.

use crate::context::{IngestContext, OffsetLookup};
use crate::deadletter::{DeadLetter, DeadLetterSink};
use crate::error::IngestError;
use childstat_core::{decode, Accepted, Batch, DecodeLimits, Source, Ts, ZoneSet};
use childstat_telemetry::Metrics;
use futures::future::try_join_all;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::FutureProducer;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug)]
pub struct IngestSettings {
    pub brokers: String,
    pub topic: String,
    pub dlq_topic: String,
    pub group_id: String,
    pub auto_offset_reset: String,
    pub batch_size: usize,
    pub batch_linger: Duration,
    pub limits: DecodeLimits,
    /// librdkafka properties for every client (consumer and dead-letter producer).
    pub properties: BTreeMap<String, String>,
    /// Consumer-only properties, applied unless `properties` sets the same key.
    pub consumer_defaults: BTreeMap<String, String>,
}

/// Offsets the writer has committed to DuckDB, passed back so the consumer can mirror them
/// to Kafka for lag tools.
pub type Committed = BTreeMap<(String, i32), i64>;

pub struct Ingest {
    consumer: StreamConsumer<IngestContext>,
    dlq: DeadLetterSink,
    settings: IngestSettings,
    zones: Arc<ZoneSet>,
}

pub fn client_config(brokers: &str, properties: &BTreeMap<String, String>) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    for (k, v) in properties {
        c.set(k, v);
    }
    c
}

impl Ingest {
    pub fn new(
        settings: IngestSettings,
        zones: Arc<ZoneSet>,
        lookup: OffsetLookup,
        metrics: Metrics,
    ) -> Result<Ingest, IngestError> {
        let ctx = IngestContext {
            lookup,
            metrics,
            failure: Mutex::new(None),
        };
        let mut consumer_config = client_config(&settings.brokers, &settings.properties);
        for (k, v) in &settings.consumer_defaults {
            if !settings.properties.contains_key(k) {
                consumer_config.set(k, v);
            }
        }
        let consumer: StreamConsumer<IngestContext> = consumer_config
            .set("group.id", &settings.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", &settings.auto_offset_reset)
            .set("statistics.interval.ms", "1000")
            .set("enable.partition.eof", "false")
            .create_with_context(ctx)?;
        consumer.subscribe(&[&settings.topic])?;
        let producer: FutureProducer = client_config(&settings.brokers, &settings.properties)
            .set("acks", "all")
            .set("message.timeout.ms", "30000")
            .create()?;
        let dlq = DeadLetterSink::new(producer, settings.dlq_topic.clone());
        Ok(Ingest {
            consumer,
            dlq,
            settings,
            zones,
        })
    }

    /// Whether the broker answers a metadata request within `timeout`.
    pub fn probe_broker(&self, timeout: Duration) -> bool {
        self.consumer
            .fetch_metadata(Some(&self.settings.topic), timeout)
            .is_ok()
    }

    /// Runs until `shutdown`, the writer goes away, or a fatal error.
    ///
    /// Batches are handed over as a group commit: while the writer is busy, events gather
    /// (up to `batch_size`); once it signals `writer_ready`, the gathered batch goes at its
    /// linger deadline. A batch's fixed transaction cost is thus paid once per writer cycle,
    /// not once per linger period, and no batch waits queued behind another while newer events
    /// could have joined it.
    pub async fn run(
        &self,
        batches: mpsc::Sender<Batch>,
        mut committed: mpsc::Receiver<Committed>,
        writer_ready: Arc<Notify>,
        shutdown: CancellationToken,
    ) -> Result<(), IngestError> {
        let mut batch = Batch::default();
        let mut pending_dl = Vec::new();
        let mut deadline: Option<Instant> = None;
        // The writer starts idle; afterwards it says so after each batch it finishes.
        let mut ready = true;
        loop {
            if let Some(e) = self
                .consumer
                .context()
                .failure
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
            {
                return Err(IngestError::Offsets(e));
            }
            let linger = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Ok(()),
                Some(c) = committed.recv() => self.mirror_commit(&c),
                _ = writer_ready.notified(), if !ready => ready = true,
                _ = linger, if ready => {
                    self.flush(&mut batch, &mut pending_dl, &batches).await?;
                    deadline = None;
                    ready = false;
                }
                msg = self.consumer.recv() => {
                    let msg = match msg {
                        Ok(m) => m,
                        // librdkafka reconnects and retries on its own; only a fatal error
                        // (say, a fenced or misconfigured consumer) stops ingest.
                        Err(e @ KafkaError::MessageConsumptionFatal(_)) => return Err(e.into()),
                        Err(e) => {
                            tracing::warn!(error = %e, "transient Kafka consumer error; retrying");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            continue;
                        }
                    };
                    self.take(&msg, &mut batch, &mut pending_dl);
                    if deadline.is_none() {
                        deadline = Some(Instant::now() + self.settings.batch_linger);
                    }
                    if batch.messages as usize >= self.settings.batch_size {
                        self.flush(&mut batch, &mut pending_dl, &batches).await?;
                        deadline = None;
                        ready = false;
                    }
                }
            }
        }
    }

    fn take(
        &self,
        msg: &BorrowedMessage<'_>,
        batch: &mut Batch,
        pending_dl: &mut Vec<PendingDeadLetter>,
    ) {
        let payload = msg.payload().unwrap_or_default();
        batch.messages += 1;
        batch
            .next_offsets
            .insert((msg.topic().to_string(), msg.partition()), msg.offset() + 1);
        match decode(payload, &self.zones, &self.settings.limits, Ts::now()) {
            Ok(event) => batch.accepted.push(Accepted {
                event,
                // decode accepted it as JSON, so it is UTF-8.
                payload: String::from_utf8_lossy(payload).into_owned(),
                source: Source {
                    topic: msg.topic().to_string(),
                    partition: msg.partition(),
                    offset: msg.offset(),
                },
            }),
            Err(rejection) => {
                *batch.dead_letters.entry(rejection.reason).or_insert(0) += 1;
                pending_dl.push(PendingDeadLetter {
                    key: msg.key().map(<[u8]>::to_vec),
                    payload: payload.to_vec(),
                    rejection,
                    topic: msg.topic().to_string(),
                    partition: msg.partition(),
                    offset: msg.offset(),
                });
            }
        }
    }

    async fn flush(
        &self,
        batch: &mut Batch,
        pending_dl: &mut Vec<PendingDeadLetter>,
        batches: &mpsc::Sender<Batch>,
    ) -> Result<(), IngestError> {
        if batch.is_empty() {
            return Ok(());
        }
        try_join_all(pending_dl.iter().map(|d| {
            self.dlq.send(DeadLetter {
                key: d.key.as_deref(),
                payload: &d.payload,
                rejection: &d.rejection,
                topic: &d.topic,
                partition: d.partition,
                offset: d.offset,
            })
        }))
        .await?;
        pending_dl.clear();
        batches
            .send(std::mem::take(batch))
            .await
            .map_err(|_| IngestError::WriterGone)
    }

    /// Mirrors DuckDB-committed offsets to Kafka, for lag tools only.
    fn mirror_commit(&self, c: &Committed) {
        let mut tpl = TopicPartitionList::new();
        for ((topic, partition), next) in c {
            let _ = tpl.add_partition_offset(topic, *partition, Offset::Offset(*next));
        }
        if let Err(e) = self.consumer.commit(&tpl, CommitMode::Async) {
            tracing::debug!(error = %e, "mirroring offsets to Kafka failed; they are informational");
        }
    }
}

struct PendingDeadLetter {
    key: Option<Vec<u8>>,
    payload: Vec<u8>,
    rejection: childstat_core::Rejection,
    topic: String,
    partition: i32,
    offset: i64,
}

/// High watermarks per partition of `topic`, for "caught up" checks.
pub fn high_watermarks(
    brokers: &str,
    topic: &str,
    timeout: Duration,
) -> Result<HashMap<i32, i64>, IngestError> {
    let c: rdkafka::consumer::BaseConsumer = client_config(brokers, &BTreeMap::new()).create()?;
    let md = c.fetch_metadata(Some(topic), timeout)?;
    let mut out = HashMap::new();
    for t in md.topics() {
        for p in t.partitions() {
            let (_, high) = c.fetch_watermarks(topic, p.id(), timeout)?;
            out.insert(p.id(), high);
        }
    }
    Ok(out)
}
