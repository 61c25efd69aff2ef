//! The dead-letter sink: the original bytes, plus headers saying why and where from.

use crate::error::IngestError;
use childstat_core::Rejection;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;

/// Header names on every dead-lettered message.
pub mod headers {
    pub const REASON: &str = "reason";
    pub const DETAIL: &str = "detail";
    pub const FIELD: &str = "field";
    pub const SOURCE_TOPIC: &str = "source_topic";
    pub const SOURCE_PARTITION: &str = "source_partition";
    pub const SOURCE_OFFSET: &str = "source_offset";
}

#[derive(Clone)]
pub struct DeadLetterSink {
    producer: FutureProducer,
    topic: String,
}

pub struct DeadLetter<'a> {
    pub key: Option<&'a [u8]>,
    pub payload: &'a [u8],
    pub rejection: &'a Rejection,
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
}

impl DeadLetterSink {
    pub fn new(producer: FutureProducer, topic: String) -> DeadLetterSink {
        DeadLetterSink { producer, topic }
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Sends one dead letter and waits for the broker's acknowledgement.
    pub async fn send(&self, dl: DeadLetter<'_>) -> Result<(), IngestError> {
        let partition = dl.partition.to_string();
        let offset = dl.offset.to_string();
        let mut h = OwnedHeaders::new()
            .insert(Header {
                key: headers::REASON,
                value: Some(dl.rejection.reason.as_str()),
            })
            .insert(Header {
                key: headers::DETAIL,
                value: Some(dl.rejection.detail.as_str()),
            });
        if let Some(field) = dl.rejection.field {
            h = h.insert(Header {
                key: headers::FIELD,
                value: Some(field),
            });
        }
        let h = h
            .insert(Header {
                key: headers::SOURCE_TOPIC,
                value: Some(dl.topic),
            })
            .insert(Header {
                key: headers::SOURCE_PARTITION,
                value: Some(&partition),
            })
            .insert(Header {
                key: headers::SOURCE_OFFSET,
                value: Some(&offset),
            });
        let mut record: FutureRecord<'_, [u8], [u8]> =
            FutureRecord::to(&self.topic).payload(dl.payload).headers(h);
        if let Some(k) = dl.key {
            record = record.key(k);
        }
        self.producer
            .send(record, Timeout::Never)
            .await
            .map(|_| ())
            .map_err(|(source, _)| IngestError::DeadLetter {
                topic: self.topic.clone(),
                source,
            })
    }
}
