//! The embedded Kafka-protocol broker: librdkafka's mock cluster, in-process, on loopback.
//! Any Kafka client (kcat included) can produce to its bootstrap address.
//!
//! It is for demos and tests, not a store: it keeps at most 5 MB (or 100,000 message sets) per
//! partition, dropping the oldest beyond that (a constant in librdkafka), and nothing survives
//! the process. A reader more than about 20,000 events behind on a partition loses events.

use crate::error::IngestError;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;

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
        let cluster = MockCluster::new(1).map_err(IngestError::Embedded)?;
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
}
