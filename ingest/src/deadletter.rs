//! The dead-letter sink: the original bytes, plus headers saying why and where from.
//!
//! A dead letter is acknowledged before the batch holding its offset is handed over, so no
//! committed offset ever passes a message that is neither applied nor dead-lettered. What
//! the broker refuses is sorted here:
//! - too large: sent again as a truncated copy, with the original size and its SHA-256;
//! - retryable (outage, timeout, leader change): sent again after a backoff, for as long
//!   as it takes, while ingest waits;
//! - never going to succeed (missing topic, denied access): ingest stops and says so; the
//!   process and its API stay up.

use crate::error::IngestError;
use childstat_core::Rejection;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use sha2::{Digest, Sha256};

/// Header names on every dead-lettered message.
pub mod headers {
    pub const REASON: &str = "reason";
    pub const DETAIL: &str = "detail";
    pub const FIELD: &str = "field";
    pub const SOURCE_TOPIC: &str = "source_topic";
    pub const SOURCE_PARTITION: &str = "source_partition";
    pub const SOURCE_OFFSET: &str = "source_offset";
    /// On a truncated copy only: "true", the original's length and its SHA-256 (hex).
    pub const TRUNCATED: &str = "truncated";
    pub const ORIGINAL_SIZE: &str = "original_size";
    pub const ORIGINAL_SHA256: &str = "original_sha256";
}

/// Bytes of the original kept in a truncated copy: enough to see what was wrong with it.
pub const TRUNCATED_KEEP: usize = 16 * 1024;

/// librdkafka's producer default for `message.max.bytes`.
const PRODUCER_MAX_BYTES_DEFAULT: usize = 1_000_000;

/// Room left under the producer's size limit for key, headers and record framing.
const HEADROOM: usize = 32 * 1024;

#[derive(Clone)]
pub struct DeadLetterSink {
    producer: FutureProducer,
    topic: String,
    /// A payload above this is sent truncated without first trying it whole.
    whole_limit: usize,
}

/// One rejected message, owned, as it waits for the dead-letter topic's acknowledgement.
#[derive(Clone, Debug)]
pub struct DeadLetter {
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub rejection: Rejection,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// Set once the broker has refused the whole message for its size.
    pub truncate: bool,
}

/// How a failed send is handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Send a truncated copy instead.
    TooLarge,
    /// Try again after a backoff.
    Retry,
    /// Will never succeed without an operator.
    Permanent,
}

/// Sorts a producer error. Anything not known to be hopeless is retried: an outage that
/// outlives `message.timeout.ms` must stall ingest, not stop it.
pub fn classify(e: &KafkaError) -> Failure {
    use RDKafkaErrorCode as C;
    match e.rdkafka_error_code() {
        Some(C::MessageSizeTooLarge | C::MessageBatchTooLarge) => Failure::TooLarge,
        Some(
            C::UnknownTopic
            | C::UnknownTopicOrPartition
            | C::TopicAuthorizationFailed
            | C::ClusterAuthorizationFailed
            | C::InvalidTopic
            | C::Authentication
            | C::SaslAuthenticationFailed
            | C::PolicyViolation
            | C::UnsupportedForMessageFormat
            | C::Fatal,
        ) => Failure::Permanent,
        _ => Failure::Retry,
    }
}

impl DeadLetterSink {
    /// `producer_max_bytes`: the producer's `message.max.bytes`, if configured.
    pub fn new(
        producer: FutureProducer,
        topic: String,
        producer_max_bytes: Option<usize>,
    ) -> DeadLetterSink {
        let max = producer_max_bytes.unwrap_or(PRODUCER_MAX_BYTES_DEFAULT);
        DeadLetterSink {
            producer,
            topic,
            whole_limit: max.saturating_sub(HEADROOM).max(TRUNCATED_KEEP),
        }
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Sends one dead letter and waits for the broker's acknowledgement.
    pub async fn send(&self, dl: &DeadLetter) -> Result<(), KafkaError> {
        let truncated = dl.truncate || dl.payload.len() > self.whole_limit;
        let partition = dl.partition.to_string();
        let offset = dl.offset.to_string();
        let mut h = OwnedHeaders::new()
            .insert(header(headers::REASON, dl.rejection.reason.as_str()))
            .insert(header(headers::DETAIL, &dl.rejection.detail));
        if let Some(field) = dl.rejection.field {
            h = h.insert(header(headers::FIELD, field));
        }
        h = h
            .insert(header(headers::SOURCE_TOPIC, &dl.topic))
            .insert(header(headers::SOURCE_PARTITION, &partition))
            .insert(header(headers::SOURCE_OFFSET, &offset));
        let payload: &[u8] = if truncated {
            let size = dl.payload.len().to_string();
            let sha = hex::encode(Sha256::digest(&dl.payload));
            h = h
                .insert(header(headers::TRUNCATED, "true"))
                .insert(header(headers::ORIGINAL_SIZE, &size))
                .insert(header(headers::ORIGINAL_SHA256, &sha));
            &dl.payload[..dl.payload.len().min(TRUNCATED_KEEP)]
        } else {
            &dl.payload
        };
        let mut record: FutureRecord<'_, [u8], [u8]> =
            FutureRecord::to(&self.topic).payload(payload).headers(h);
        if let Some(k) = &dl.key {
            record = record.key(k.as_slice());
        }
        self.producer
            .send(record, Timeout::Never)
            .await
            .map(|_| ())
            .map_err(|(e, _)| e)
    }

    /// Sends every dead letter in `pending`, all at once, and sorts the failures: a refused
    /// size is retried at once as a truncated copy; a retryable failure is returned as
    /// `Ok(Some(..))` with the letters still pending; a permanent one is an error. `Ok(None)`
    /// when all are acknowledged and `pending` is empty.
    pub async fn send_all(
        &self,
        pending: &mut Vec<DeadLetter>,
    ) -> Result<Option<KafkaError>, IngestError> {
        let mut retry_error = None;
        while !pending.is_empty() {
            let results = futures::future::join_all(pending.iter().map(|d| self.send(d))).await;
            let mut still = Vec::new();
            let mut resend_now = false;
            for (mut d, r) in std::mem::take(pending).into_iter().zip(results) {
                let Err(e) = r else { continue };
                match classify(&e) {
                    Failure::TooLarge if !d.truncate => {
                        d.truncate = true;
                        resend_now = true;
                    }
                    Failure::Retry => retry_error = Some(e),
                    Failure::TooLarge | Failure::Permanent => {
                        return Err(IngestError::DeadLetterBlocked {
                            topic: self.topic.clone(),
                            source: e,
                        })
                    }
                }
                still.push(d);
            }
            *pending = still;
            if !resend_now {
                break;
            }
        }
        Ok(if pending.is_empty() {
            None
        } else {
            retry_error
        })
    }
}

fn header<'a>(key: &'a str, value: &'a str) -> Header<'a, &'a str> {
    Header {
        key,
        value: Some(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_sorted_into_truncate_retry_and_stop() {
        let produce = |c| KafkaError::MessageProduction(c);
        assert_eq!(
            classify(&produce(RDKafkaErrorCode::MessageSizeTooLarge)),
            Failure::TooLarge
        );
        for c in [
            RDKafkaErrorCode::MessageTimedOut,
            RDKafkaErrorCode::AllBrokersDown,
            RDKafkaErrorCode::NotLeaderForPartition,
            RDKafkaErrorCode::QueueFull,
            RDKafkaErrorCode::NotEnoughReplicas,
        ] {
            assert_eq!(classify(&produce(c)), Failure::Retry, "{c:?}");
        }
        for c in [
            RDKafkaErrorCode::UnknownTopicOrPartition,
            RDKafkaErrorCode::UnknownTopic,
            RDKafkaErrorCode::TopicAuthorizationFailed,
        ] {
            assert_eq!(classify(&produce(c)), Failure::Permanent, "{c:?}");
        }
    }
}
