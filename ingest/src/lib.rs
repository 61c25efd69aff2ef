//! Kafka ingest: a consumer-group member that validates events, dead-letters bad ones and
//! hands batches to the aggregator's writer; stall detection from the broker's watermarks;
//! and the embedded broker for `run`/`demo`.

pub mod consumer;
pub mod context;
pub mod deadletter;
pub mod embedded;
pub mod error;
pub mod stall;

pub use consumer::{client_config, high_watermarks, Committed, Ingest, IngestSettings};
pub use context::{OffsetLookup, StartAt};
pub use embedded::{EmbeddedBroker, EMBEDDED_CONSUMER_PROPERTIES};
pub use error::IngestError;
pub use stall::{Observation, StallWatch, Verdict};
