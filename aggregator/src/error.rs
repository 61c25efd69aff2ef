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
    #[error("the fold of a logged batch panicked; restart to fold it again from the log")]
    FoldPanicked,
    #[error("DuckDB could not commit: {0}")]
    Commit(duckdb::Error),
    #[error("the writer is poisoned by an earlier failure; restart to reload state")]
    Poisoned,
    #[error("the snapshot for {0} already exists and snapshots are never rewritten; pass --force to retake it (the retake is recorded)")]
    SnapshotExists(String),
    #[error("injected crash at {0:?} (test hook)")]
    InjectedCrash(CrashPoint),
    #[error("recovery cannot fold the logged batches again: {0}")]
    Recovery(String),
}

/// Places where a test can make the writer stop as if the process died there. Before the
/// log commits, the open transaction is dropped; after it, the fold never runs; within a
/// checkpoint, its transaction is dropped; during recovery, the re-fold stops part way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// The raw events are appended, the batch row and offsets not yet.
    AfterRawEvents,
    /// Everything of the batch is written; the commit has not run.
    BeforeCommit,
    /// The log committed; the batch was never folded.
    AfterLogCommit,
    /// A checkpoint wrote its states and ledger rows, not its sums, counters or offsets.
    MidCheckpoint,
    /// The start-up re-fold stopped before its last batch.
    DuringRecovery,
}

pub type Result<T, E = AggError> = std::result::Result<T, E>;
