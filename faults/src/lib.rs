//! Fault scenarios with exact accounting, shared by the integration tests (small runs, in
//! `cargo test`) and `childstat-bench faults` (full size, into docs/reliability.md).
//!
//! Every scenario runs `childstat run` as a process of its own against a Kafka-protocol
//! broker in another process (tansu, or librdkafka's mock cluster in
//! `childstat-mock-broker`), so that childstat can be killed while the broker, its log and
//! its group state live on. Each ends by comparing the faulted database with a run of the same
//! log without faults, table by table, and the counters with the stream's own counts.

pub mod brokers;
pub mod digest;
pub mod process;
pub mod scenarios;
pub mod stream;

pub use brokers::{ExternalBroker, Kind, Tools};
pub use process::{Childstat, Setup};
pub use scenarios::Outcome;

pub const TOPIC: &str = "childstat.events";
pub const DLQ: &str = "childstat.events.dlq";
