//! The assembled childstat service. `main.rs` is a thin CLI over this library, which the
//! integration tests in `tests/` drive directly.

pub mod alerting;
pub mod cli;
pub mod error;
pub mod gauges;
pub mod ingest_watch;
pub mod logging;
pub mod pipeline;
pub mod prom_rules;
pub mod replay;
pub mod scheduler;
pub mod settings;
pub mod simulate;
pub mod store_thread;
pub mod token;
pub mod writer;

pub use error::AppError;
pub use pipeline::{Pipeline, StartOptions};
