//! The consume loop: read, validate, dead-letter the bad, hand batches to the writer.
//!
//! A batch is handed over only after every dead letter in it is acknowledged, so the
//! offsets the writer commits never pass an unacknowledged message.

use crate::context::{IngestContext, OffsetLookup, StartAt};
use crate::deadletter::{DeadLetter, DeadLetterSink};
use crate::error::IngestError;
use childstat_core::{decode, Accepted, Batch, DecodeLimits, Source, Ts, ZoneSet};
use childstat_telemetry::Metrics;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::FutureProducer;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant as StdInstant};
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug)]
pub struct IngestSettings {
    pub brokers: String,
    pub topic: String,
    pub dlq_topic: String,
    pub group_id: String,
    /// Static membership (`group.instance.id`); `None` for dynamic.
    pub group_instance_id: Option<String>,
    /// Reads every partition itself (`assign`) instead of joining the group (`subscribe`);
    /// partitions are then assigned by [`Ingest::assign_partitions`].
    pub manual_assignment: bool,
    pub auto_offset_reset: String,
    pub batch_size: usize,
    /// Payload bytes after which a batch is handed over, whatever its count.
    pub batch_max_bytes: usize,
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

/// The dead-letter producer's settings unless `kafka.properties` says otherwise: every
/// replica acknowledges, and a send gives up (to be retried by ingest) after 30 s.
const DEAD_LETTER_PRODUCER_DEFAULTS: &[(&str, &str)] =
    &[("acks", "all"), ("message.timeout.ms", "30000")];

/// The first wait before a failed dead letter is sent again; it doubles up to the cap.
const DEAD_LETTER_BACKOFF: Duration = Duration::from_millis(250);
const DEAD_LETTER_BACKOFF_CAP: Duration = Duration::from_secs(30);

pub struct Ingest {
    consumer: StreamConsumer<IngestContext>,
    dlq: DeadLetterSink,
    settings: IngestSettings,
    zones: Arc<ZoneSet>,
    metrics: Metrics,
    /// Why dead letters are not being delivered right now; `None` while they are.
    dead_letter_problem: Mutex<Option<String>>,
}

/// What gathers between two hand-overs.
#[derive(Default)]
struct Gathering {
    batch: Batch,
    dead_letters: Vec<DeadLetter>,
    bytes: usize,
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
        let start_at = StartAt::from_reset(&settings.auto_offset_reset);
        let ctx = IngestContext::new(lookup, metrics.clone(), start_at);
        let mut consumer_config = client_config(&settings.brokers, &settings.properties);
        for (k, v) in &settings.consumer_defaults {
            if !settings.properties.contains_key(k) {
                consumer_config.set(k, v);
            }
        }
        if let Some(id) = &settings.group_instance_id {
            consumer_config.set("group.instance.id", id);
        }
        let consumer: StreamConsumer<IngestContext> = consumer_config
            .set("group.id", &settings.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", &settings.auto_offset_reset)
            .set("enable.partition.eof", "false")
            .create_with_context(ctx)?;
        if !settings.manual_assignment {
            consumer.subscribe(&[&settings.topic])?;
        }
        let mut producer_config = client_config(&settings.brokers, &settings.properties);
        for (k, v) in DEAD_LETTER_PRODUCER_DEFAULTS {
            if !settings.properties.contains_key(*k) {
                producer_config.set(*k, *v);
            }
        }
        let producer: FutureProducer = producer_config.create()?;
        let producer_max = settings
            .properties
            .get("message.max.bytes")
            .and_then(|v| v.parse().ok());
        let dlq = DeadLetterSink::new(producer, settings.dlq_topic.clone(), producer_max);
        Ok(Ingest {
            consumer,
            dlq,
            settings,
            zones,
            metrics,
            dead_letter_problem: Mutex::new(None),
        })
    }

    /// Whether the broker answers a metadata request within `timeout`.
    pub fn probe_broker(&self, timeout: Duration) -> bool {
        self.consumer
            .fetch_metadata(Some(&self.settings.topic), timeout)
            .is_ok()
    }

    /// The event topic's (low, high) watermarks by partition, asked of the broker (blocks up
    /// to `timeout` per request).
    pub fn watermarks(&self, timeout: Duration) -> Result<BTreeMap<i32, (i64, i64)>, KafkaError> {
        let topic = &self.settings.topic;
        let md = self.consumer.fetch_metadata(Some(topic), timeout)?;
        let mut out = BTreeMap::new();
        for t in md.topics() {
            if let Some(e) = t.error() {
                return Err(KafkaError::MetadataFetch(e.into()));
            }
            for p in t.partitions() {
                out.insert(
                    p.id(),
                    self.consumer.fetch_watermarks(topic, p.id(), timeout)?,
                );
            }
        }
        Ok(out)
    }

    /// Partitions assigned now, and since when none has been (while none is).
    pub fn assigned(&self) -> (usize, Option<StdInstant>) {
        self.consumer.context().assigned()
    }

    /// Whether this process assigns itself every partition rather than joining the group.
    pub fn manual_assignment(&self) -> bool {
        self.settings.manual_assignment
    }

    /// Under manual assignment, reads `partitions` (the event topic's, from the broker's
    /// metadata), each from where this process or DuckDB says; true when the assignment
    /// changed. Does nothing while the set is unchanged, or when the group assigns.
    pub fn assign_partitions(&self, partitions: &[i32]) -> Result<bool, IngestError> {
        let topic = &self.settings.topic;
        let ctx = self.consumer.context();
        if !self.settings.manual_assignment || ctx.is_assigned(topic, partitions) {
            return Ok(false);
        }
        let mut tpl = TopicPartitionList::new();
        for p in partitions {
            tpl.add_partition(topic, *p);
        }
        // Partitions already being read resume after what was taken, so replacing the
        // whole assignment re-reads nothing.
        ctx.set_start_offsets(&mut tpl);
        self.consumer.assign(&tpl)?;
        ctx.note_assigned(&tpl, false);
        tracing::info!(
            partitions = partitions.len(),
            "reading every partition of the event topic (manual assignment)"
        );
        Ok(true)
    }

    /// Leaves the group and joins it again: the way out of a coordinator that stopped
    /// handing this member partitions. Safe at any moment: partitions assigned again start
    /// after what this process already took (see `context.rs`). Nothing to do under manual
    /// assignment, where the watch assigns partitions as soon as the broker lists them.
    pub fn rejoin(&self) -> Result<(), IngestError> {
        if self.settings.manual_assignment {
            return Ok(());
        }
        self.consumer.unsubscribe();
        self.consumer.subscribe(&[&self.settings.topic])?;
        Ok(())
    }

    /// Why dead letters are not being delivered, while they are not.
    pub fn dead_letter_problem(&self) -> Option<String> {
        self.lock_problem().clone()
    }

    /// Runs until `shutdown`, the writer goes away, or a fatal error.
    ///
    /// Batches are handed over as a group commit: while the writer is busy, events gather
    /// (up to `batch_size` messages or `batch_max_bytes`); once it signals `writer_ready`,
    /// the gathered batch goes at its linger deadline. A batch's fixed transaction cost is
    /// thus paid once per writer cycle, not once per linger period.
    pub async fn run(
        &self,
        batches: mpsc::Sender<Batch>,
        mut committed: mpsc::Receiver<Committed>,
        writer_ready: Arc<Notify>,
        shutdown: CancellationToken,
    ) -> Result<(), IngestError> {
        let mut g = Gathering::default();
        let mut deadline: Option<Instant> = None;
        // The writer starts idle; afterwards it says so after each batch it finishes.
        let mut ready = true;
        loop {
            self.check_offsets()?;
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
                    if !self.flush(&mut g, &batches, &shutdown).await? {
                        return Ok(());
                    }
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
                    // The assignment that delivered it may have failed to read DuckDB's
                    // offsets: then the message's position is not to be trusted.
                    self.check_offsets()?;
                    self.take(&msg, &mut g);
                    if deadline.is_none() {
                        deadline = Some(Instant::now() + self.settings.batch_linger);
                    }
                    let full = g.batch.messages as usize >= self.settings.batch_size
                        || g.bytes >= self.settings.batch_max_bytes;
                    if full {
                        if !self.flush(&mut g, &batches, &shutdown).await? {
                            return Ok(());
                        }
                        deadline = None;
                        ready = false;
                    }
                }
            }
        }
    }

    fn check_offsets(&self) -> Result<(), IngestError> {
        match self.consumer.context().take_failure() {
            Some(e) => Err(IngestError::Offsets(e)),
            None => Ok(()),
        }
    }

    fn take(&self, msg: &BorrowedMessage<'_>, g: &mut Gathering) {
        let (topic, partition, offset) = (msg.topic(), msg.partition(), msg.offset());
        if !self.consumer.context().take(topic, partition, offset) {
            tracing::debug!(
                partition,
                offset,
                "skipped a message this process already took"
            );
            return;
        }
        let payload = msg.payload().unwrap_or_default();
        g.bytes += payload.len();
        g.batch.messages += 1;
        g.batch
            .next_offsets
            .insert((topic.to_string(), partition), offset + 1);
        match decode(payload, &self.zones, &self.settings.limits, Ts::now()) {
            Ok(event) => g.batch.accepted.push(Accepted {
                event,
                // decode accepted it as JSON, so it is UTF-8.
                payload: String::from_utf8_lossy(payload).into_owned(),
                source: Source {
                    topic: topic.to_string(),
                    partition,
                    offset,
                },
            }),
            Err(rejection) => {
                *g.batch.dead_letters.entry(rejection.reason).or_insert(0) += 1;
                g.dead_letters.push(DeadLetter {
                    key: msg.key().map(<[u8]>::to_vec),
                    payload: payload.to_vec(),
                    rejection,
                    topic: topic.to_string(),
                    partition,
                    offset,
                    truncate: false,
                });
            }
        }
    }

    /// Hands the gathered batch over once its dead letters are acknowledged. False when
    /// shutdown came first (nothing is handed over; the batch is read again next time).
    async fn flush(
        &self,
        g: &mut Gathering,
        batches: &mpsc::Sender<Batch>,
        shutdown: &CancellationToken,
    ) -> Result<bool, IngestError> {
        if g.batch.is_empty() {
            return Ok(true);
        }
        if !self
            .deliver_dead_letters(&mut g.dead_letters, shutdown)
            .await?
        {
            return Ok(false);
        }
        let batch = std::mem::take(&mut g.batch);
        g.bytes = 0;
        batches
            .send(batch)
            .await
            .map_err(|_| IngestError::WriterGone)?;
        Ok(true)
    }

    /// Sends the dead letters, retrying what may yet succeed with a growing backoff for as
    /// long as it takes. False on shutdown; an error when the topic will never take them.
    async fn deliver_dead_letters(
        &self,
        pending: &mut Vec<DeadLetter>,
        shutdown: &CancellationToken,
    ) -> Result<bool, IngestError> {
        // Nothing to deliver means nothing can be failing: a problem clears only by delivery.
        if pending.is_empty() {
            return Ok(true);
        }
        let mut backoff = DEAD_LETTER_BACKOFF;
        loop {
            let problem = match self.dlq.send_all(pending).await {
                Ok(None) => {
                    self.set_dead_letter_problem(None);
                    return Ok(true);
                }
                Ok(Some(e)) => format!(
                    "dead letters cannot be delivered to `{}` ({e}); ingest waits and retries",
                    self.dlq.topic()
                ),
                Err(e) => {
                    // The caller logs it: one line for the one reason ingest stopped.
                    *self.lock_problem() = Some(e.to_string());
                    self.metrics.dead_letter_blocked.set(1);
                    return Err(e);
                }
            };
            self.set_dead_letter_problem(Some(problem));
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(false),
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(DEAD_LETTER_BACKOFF_CAP);
        }
    }

    fn lock_problem(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.dead_letter_problem
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn set_dead_letter_problem(&self, problem: Option<String>) {
        let mut p = self.lock_problem();
        if *p != problem {
            match &problem {
                Some(why) => tracing::warn!("{why}"),
                None => tracing::info!("dead letters are being delivered again"),
            }
        }
        self.metrics
            .dead_letter_blocked
            .set(i64::from(problem.is_some()));
        *p = problem;
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
