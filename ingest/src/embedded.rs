//! The embedded Kafka-protocol broker: librdkafka's mock cluster, in-process, on loopback.
//! Any Kafka client (kcat included) can produce to its bootstrap address.
//!
//! It is for demos and tests, not a store: it keeps at most 5 MB (or 100,000 message sets) per
//! partition, dropping the oldest beyond that (a constant in librdkafka), and nothing survives
//! the process. A reader more than about 20,000 events behind on a partition loses events.

use crate::error::IngestError;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use std::time::Duration;

pub struct EmbeddedBroker {
    cluster: MockCluster<'static, DefaultProducerContext>,
}

// The mock cluster is a handle to librdkafka's own broker threads; librdkafka's mock API is
// thread-safe, and the handle is only used to create topics and read the address.
unsafe impl Send for EmbeddedBroker {}
unsafe impl Sync for EmbeddedBroker {}

/// Consumer properties a client of the embedded broker needs, unless configured otherwise.
/// The mock broker answers a fetch that finds no data only after the full
/// `fetch.wait.max.ms` (`rdkafka_mock_handlers.c`: `rkbuf_ts_retry = now + MaxWait`), and is
/// not woken when data arrives as a real broker is; at librdkafka's default of 500 ms every
/// event would wait up to half a second before it is even read. Ten milliseconds costs about
/// a hundred empty fetches a second while idle.
pub const EMBEDDED_CONSUMER_PROPERTIES: &[(&str, &str)] = &[("fetch.wait.max.ms", "10")];

impl EmbeddedBroker {
    /// Starts a one-broker cluster and creates `topics` with `partitions` each.
    pub fn start(topics: &[&str], partitions: i32) -> Result<EmbeddedBroker, IngestError> {
        EmbeddedBroker::start_cluster(1, topics, partitions)
    }

    /// A cluster of `brokers` brokers, ids 1 to `brokers`.
    pub fn start_cluster(
        brokers: i32,
        topics: &[&str],
        partitions: i32,
    ) -> Result<EmbeddedBroker, IngestError> {
        let cluster = MockCluster::new(brokers).map_err(IngestError::Embedded)?;
        for t in topics {
            cluster
                .create_topic(t, partitions, 1)
                .map_err(IngestError::Embedded)?;
        }
        Ok(EmbeddedBroker { cluster })
    }

    pub fn bootstrap_servers(&self) -> String {
        self.cluster.bootstrap_servers()
    }

    pub fn create_topic(&self, topic: &str, partitions: i32) -> Result<(), IngestError> {
        self.cluster
            .create_topic(topic, partitions, 1)
            .map_err(IngestError::Embedded)
    }

    /// Fault injection (tests and `childstat-mock-broker`): broker `id` (1-based) stops
    /// accepting connections and drops the ones it has, until [`EmbeddedBroker::broker_up`].
    pub fn broker_down(&self, id: i32) -> Result<(), IngestError> {
        self.cluster.broker_down(id).map_err(IngestError::Embedded)
    }

    pub fn broker_up(&self, id: i32) -> Result<(), IngestError> {
        self.cluster.broker_up(id).map_err(IngestError::Embedded)
    }

    /// Adds `delay` to every response of broker `id`.
    pub fn broker_delay(&self, id: i32, delay: Duration) -> Result<(), IngestError> {
        self.cluster
            .broker_round_trip_time(id, delay)
            .map_err(IngestError::Embedded)
    }

    /// The next `errors.len()` requests of kind `api` fail with these errors, in order.
    pub fn request_errors(&self, api: RDKafkaApiKey, errors: &[RDKafkaRespErr]) {
        self.cluster.request_errors(api, errors);
    }

    pub fn clear_request_errors(&self, api: RDKafkaApiKey) {
        self.cluster.clear_request_errors(api);
    }
}
