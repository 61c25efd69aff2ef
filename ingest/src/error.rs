use thiserror::Error;

#[derive(Debug, Error)]
pub enum IngestError {
    #[error("Kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("could not start the embedded Kafka broker: {0}")]
    Embedded(rdkafka::error::KafkaError),
    /// A dead letter the broker will never accept: ingest cannot move past its message.
    #[error(
        "ingest stopped: the dead-letter topic `{topic}` refuses messages ({source}); \
         fix the topic or its access, then restart"
    )]
    DeadLetterBlocked {
        topic: String,
        source: rdkafka::error::KafkaError,
    },
    #[error("could not read stored offsets for the assignment: {0}")]
    Offsets(String),
    #[error("the writer stopped accepting batches")]
    WriterGone,
}
