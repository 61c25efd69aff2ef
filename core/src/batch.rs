//! What ingest hands the aggregator: one consumed batch, already validated.

use crate::decode::DeadLetterReason;
use crate::event::Event;
use std::collections::BTreeMap;

/// Where a message came from, kept with the raw event for audit and replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub event: Event,
    /// The original message value (valid UTF-8: it decoded as JSON).
    pub payload: String,
    pub source: Source,
}

/// One batch. Every message from its partitions up to `next_offsets` is either accepted
/// here or was already acknowledged by the dead-letter topic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    pub accepted: Vec<Accepted>,
    pub dead_letters: BTreeMap<DeadLetterReason, u64>,
    /// (topic, partition) → the next offset to read.
    pub next_offsets: BTreeMap<(String, i32), i64>,
    /// Messages consumed, valid or not.
    pub messages: u64,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.messages == 0
    }
}
