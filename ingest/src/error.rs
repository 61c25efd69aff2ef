use thiserror::Error;

#[derive(Debug, Error)]
pub enum IngestError {
    #[error("Kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("could not start the embedded Kafka broker: {0}")]
    Embedded(rdkafka::error::KafkaError),
    #[error("the dead-letter topic `{topic}` did not acknowledge a message: {source}")]
    DeadLetter {
        topic: String,
        source: rdkafka::error::KafkaError,
    },
    #[error("could not read stored offsets for the assignment: {0}")]
    Offsets(String),
    #[error("the writer stopped accepting batches")]
    WriterGone,
}
