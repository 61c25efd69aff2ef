//! Replay: feed an NDJSON file through the same validation and writer as Kafka.
//!
//! The file's position is stored in `kafka_offsets` under the topic `file:<name>` (offset =
//! line number), committed with the state, so an interrupted replay resumes exactly.

use crate::error::AppError;
use crate::settings::{decode_limits, store_settings};
use childstat_aggregator::{BatchOutcome, Store, WriterPhases};
use childstat_config::Config;
use childstat_core::{decode, Accepted, Batch, Source, Ts};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

/// The diagnostic lines `childstat replay` prints after its summary start with these; the
/// benchmark harness finds them by the same constants.
pub const WRITER_TIME_LINE: &str = "writer time by step: ";
pub const DUCKDB_MEMORY_PEAK_LINE: &str = "DuckDB memory at its highest: ";
pub const DUCKDB_MEMORY_END_LINE: &str = "DuckDB memory at the end: ";
pub const RECOVERY_LINE: &str = "recovery at open: ";

#[derive(Debug, Default)]
pub struct ReplaySummary {
    pub lines: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub dead_lettered: u64,
    pub skipped: u64,
    pub seconds: f64,
    /// The writer's time by step, summed over the batches.
    pub phases: WriterPhases,
    /// DuckDB's memory by tag after the last batch, largest first.
    pub duckdb_memory: Vec<(String, u64)>,
    /// DuckDB's memory by tag after the batch at which its total was highest.
    pub duckdb_memory_peak: Vec<(String, u64)>,
    /// Opening the file: (seconds, batches and events folded again from the log).
    pub recovery: (f64, u64, u64),
}

impl ReplaySummary {
    /// The writer's steps as shares of the replay's wall-clock time, e.g.
    /// `fold 9%, raw_events 21%, ...`: what bounds a replay's speed.
    pub fn phase_shares(&self) -> String {
        let total = self.seconds.max(1e-9);
        WriterPhases::NAMES
            .iter()
            .zip(self.phases.as_array())
            .map(|(name, d)| format!("{name} {:.0}%", 100.0 * d.as_secs_f64() / total))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// DuckDB's memory at the end, e.g. `BASE_TABLE 149 MB, ART_INDEX 8 MB`.
    pub fn duckdb_memory_line(&self) -> String {
        memory_line(&self.duckdb_memory)
    }

    /// How long opening the file took, and what it folded again from the log.
    pub fn recovery_line(&self) -> String {
        let (s, b, e) = self.recovery;
        format!("{s:.2} s, {b} batches and {e} events folded again from the log")
    }

    /// DuckDB's memory after the batch at which its total was highest.
    pub fn duckdb_memory_peak_line(&self) -> String {
        memory_line(&self.duckdb_memory_peak)
    }
}

fn memory_total(tags: &[(String, u64)]) -> u64 {
    tags.iter().map(|(_, b)| b).sum()
}

fn memory_line(tags: &[(String, u64)]) -> String {
    let total = memory_total(tags) as f64 / 1e6;
    let parts = tags
        .iter()
        .map(|(tag, bytes)| format!("{tag} {:.0} MB", *bytes as f64 / 1e6))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{total:.0} MB: {parts}")
}

pub fn replay(
    cfg: &Config,
    file: &Path,
    batch_size: usize,
    progress: bool,
) -> Result<ReplaySummary, AppError> {
    let io_err = |source| AppError::File {
        path: file.display().to_string(),
        source,
    };
    let f = std::fs::File::open(file).map_err(io_err)?;
    let total = f.metadata().map(|m| m.len()).unwrap_or(0);
    let opening = std::time::Instant::now();
    let mut store = Store::open(&cfg.storage.path, store_settings(cfg))?;
    let (batches, events) = store.recovered();
    let recovery = (opening.elapsed().as_secs_f64(), batches, events);
    let topic = format!(
        "file:{}",
        file.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    let resume_at = store.stored_offsets(&topic)?.get(&0).copied().unwrap_or(0);
    let dl_path = cfg.storage.path.with_extension("deadletters.ndjson");
    // Buffered: each batch flushes it before the offsets that pass its dead letters commit.
    let mut dead = std::io::BufWriter::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&dl_path)
            .map_err(|source| AppError::File {
                path: dl_path.display().to_string(),
                source,
            })?,
    );
    let zones = cfg.zone_set();
    let limits = decode_limits(cfg);
    let bar = if progress {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {per_sec} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let mut sum = ReplaySummary {
        recovery,
        ..ReplaySummary::default()
    };
    // Reading and validating run on their own thread, one batch ahead of the writer, so
    // JSON decoding overlaps the DuckDB transaction of the batch before.
    // A rendezvous channel: at most two batches exist, the one being written and the next.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(0);
    let read = std::thread::scope(|scope| -> Result<Result<(u64, u64), ReadError>, AppError> {
        let reader = scope.spawn(|| {
            let mut r = Reader {
                topic: &topic,
                zones: &zones,
                limits: &limits,
                dead: &mut dead,
                batch_size,
                resume_at,
            };
            r.run(BufReader::with_capacity(1 << 20, f), &bar, tx)
        });
        for batch in rx {
            add(&mut sum, &store.apply_batch(&batch, Ts::now())?);
            // One small query a batch: where the memory is when it is highest, not only at
            // the end.
            let now = store.duckdb_memory()?;
            if memory_total(&now) > memory_total(&sum.duckdb_memory_peak) {
                sum.duckdb_memory_peak = now.clone();
            }
            sum.duckdb_memory = now;
        }
        // The channel closed: the reader finished or failed; its result says which.
        reader
            .join()
            .map_err(|_| AppError::Invalid("the replay reader thread panicked".into()))
    })?;
    let (lines, skipped) = read.map_err(|e| match e {
        ReadError::Io(source) => io_err(source),
        ReadError::DeadLetters(source) => AppError::File {
            path: dl_path.display().to_string(),
            source,
        },
    })?;
    sum.lines = lines;
    sum.skipped = skipped;
    // The last checkpoint: the file holds every derived table, and a later start folds
    // nothing again.
    store.close()?;
    bar.finish_and_clear();
    sum.seconds = started.elapsed().as_secs_f64();
    Ok(sum)
}

enum ReadError {
    Io(std::io::Error),
    DeadLetters(std::io::Error),
}

struct Reader<'a> {
    topic: &'a str,
    zones: &'a childstat_core::ZoneSet,
    limits: &'a childstat_core::DecodeLimits,
    dead: &'a mut std::io::BufWriter<std::fs::File>,
    batch_size: usize,
    resume_at: i64,
}

impl Reader<'_> {
    /// Reads, validates and batches every line; returns (lines, lines skipped as already
    /// applied). Stops early, without error, if the writer has gone (its error is reported).
    fn run(
        &mut self,
        mut reader: impl BufRead,
        bar: &ProgressBar,
        tx: std::sync::mpsc::SyncSender<Batch>,
    ) -> Result<(u64, u64), ReadError> {
        let mut batch = Batch::default();
        let mut line = Vec::with_capacity(1024);
        let (mut n, mut skipped): (i64, u64) = (0, 0);
        loop {
            line.clear();
            let read = reader.read_until(b'\n', &mut line).map_err(ReadError::Io)?;
            if read == 0 {
                break;
            }
            bar.inc(read as u64);
            let this = n;
            n += 1;
            if this < self.resume_at {
                skipped += 1;
                continue;
            }
            let payload = line.strip_suffix(b"\n").unwrap_or(&line);
            let payload = payload.strip_suffix(b"\r").unwrap_or(payload);
            self.take(payload, this, &mut batch)?;
            if batch.messages as usize >= self.batch_size {
                // Dead letters reach the file before the offset that passes them is committed.
                self.dead.flush().map_err(ReadError::DeadLetters)?;
                if tx.send(std::mem::take(&mut batch)).is_err() {
                    return Ok((n as u64, skipped));
                }
            }
        }
        if !batch.is_empty() {
            self.dead.flush().map_err(ReadError::DeadLetters)?;
            let _ = tx.send(batch);
        }
        Ok((n as u64, skipped))
    }

    fn take(&mut self, payload: &[u8], offset: i64, batch: &mut Batch) -> Result<(), ReadError> {
        batch.messages += 1;
        batch
            .next_offsets
            .insert((self.topic.to_string(), 0), offset + 1);
        match decode(payload, self.zones, self.limits, Ts::now()) {
            Ok(event) => batch.accepted.push(Accepted {
                event,
                payload: String::from_utf8_lossy(payload).into_owned(),
                source: Source {
                    topic: self.topic.to_string(),
                    partition: 0,
                    offset,
                },
            }),
            Err(r) => {
                *batch.dead_letters.entry(r.reason).or_insert(0) += 1;
                let rec = serde_json::json!({
                    "reason": r.reason.as_str(), "detail": r.detail, "field": r.field,
                    "source_topic": self.topic, "source_partition": 0, "source_offset": offset,
                    "payload": String::from_utf8_lossy(payload),
                });
                writeln!(self.dead, "{rec}").map_err(ReadError::DeadLetters)?;
            }
        }
        Ok(())
    }
}

fn add(sum: &mut ReplaySummary, o: &BatchOutcome) {
    sum.applied += o.applied;
    sum.duplicates += o.duplicates;
    sum.dead_lettered += o.dead_letters.values().sum::<u64>();
    sum.phases.add(&o.phases);
}
