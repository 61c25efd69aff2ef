use thiserror::Error;

/// Errors of the assembled service. `main` turns them into a message and a non-zero exit.
#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] childstat_config::ConfigError),
    #[error(transparent)]
    Store(#[from] childstat_aggregator::AggError),
    #[error(transparent)]
    Ingest(#[from] childstat_ingest::IngestError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("HTTP server failed: {0}")]
    Http(std::io::Error),
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("Kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("task `{task}` stopped unexpectedly: {reason}")]
    TaskFailed { task: &'static str, reason: String },
    #[error("{0}")]
    Invalid(String),
}
