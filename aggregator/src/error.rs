use thiserror::Error;

#[derive(Debug, Error)]
pub enum AggError {
    #[error("DuckDB: {0}")]
    Db(#[from] duckdb::Error),
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("schema migration {version} ({name}) failed: {source}")]
    Migration {
        version: i32,
        name: &'static str,
        source: duckdb::Error,
    },
    #[error(
        "the database was built with {key} = `{stored}` but the configuration says `{configured}`; \
         the stored aggregates depend on it. Point storage.path at a new file and run `childstat replay`, \
         or restore the previous setting"
    )]
    SettingChanged {
        key: &'static str,
        stored: String,
        configured: String,
    },
    #[error("stored state for a row of `{table}` is unreadable: {source}")]
    CorruptState {
        table: &'static str,
        source: serde_json::Error,
    },
    #[error("stored state of investigation row is unreadable: {0}")]
    CorruptInvState(#[from] childstat_core::StateCodecError),
    #[error("a batch's columns could not be built: {0}")]
    Columns(String),
    #[error("the writer is poisoned by an earlier failure; restart to reload state")]
    Poisoned,
    #[error("the snapshot for {0} already exists and snapshots are never rewritten; pass --force to retake it (the retake is recorded)")]
    SnapshotExists(String),
    #[error("injected crash at {0:?} (test hook)")]
    InjectedCrash(crate::apply::CrashPoint),
}

pub type Result<T, E = AggError> = std::result::Result<T, E>;
