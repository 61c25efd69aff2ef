//! Replay: feed an NDJSON file through the same validation and writer as Kafka.
//!
//! The file's position is stored in `kafka_offsets` under the topic `file:<name>` (offset =
//! line number), committed with the state, so an interrupted replay resumes exactly.

use crate::error::AppError;
use crate::settings::{decode_limits, store_settings};
use childstat_aggregator::{BatchOutcome, Store};
use childstat_config::Config;
use childstat_core::{decode, Accepted, Batch, Source, Ts};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

#[derive(Debug, Default)]
pub struct ReplaySummary {
    pub lines: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub dead_lettered: u64,
    pub skipped: u64,
    pub seconds: f64,
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
    let mut store = Store::open(&cfg.storage.path, store_settings(cfg))?;
    let topic = format!(
        "file:{}",
        file.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    let resume_at = store.stored_offsets(&topic)?.get(&0).copied().unwrap_or(0);
    let dl_path = cfg.storage.path.with_extension("deadletters.ndjson");
    let mut dead = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&dl_path)
        .map_err(|source| AppError::File {
            path: dl_path.display().to_string(),
            source,
        })?;
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
    let mut sum = ReplaySummary::default();
    let mut batch = Batch::default();
    let mut reader = BufReader::with_capacity(1 << 20, f);
    let mut line = Vec::with_capacity(1024);
    let mut n: i64 = 0;
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(io_err)?;
        if read == 0 {
            break;
        }
        bar.inc(read as u64);
        let this = n;
        n += 1;
        sum.lines += 1;
        if this < resume_at {
            sum.skipped += 1;
            continue;
        }
        let payload = line.strip_suffix(b"\n").unwrap_or(&line);
        let payload = payload.strip_suffix(b"\r").unwrap_or(payload);
        batch.messages += 1;
        batch.next_offsets.insert((topic.clone(), 0), this + 1);
        match decode(payload, &zones, &limits, Ts::now()) {
            Ok(event) => batch.accepted.push(Accepted {
                event,
                payload: String::from_utf8_lossy(payload).into_owned(),
                source: Source {
                    topic: topic.clone(),
                    partition: 0,
                    offset: this,
                },
            }),
            Err(r) => {
                *batch.dead_letters.entry(r.reason).or_insert(0) += 1;
                let rec = serde_json::json!({
                    "reason": r.reason.as_str(), "detail": r.detail, "field": r.field,
                    "source_topic": topic, "source_partition": 0, "source_offset": this,
                    "payload": String::from_utf8_lossy(payload),
                });
                writeln!(dead, "{rec}").map_err(|source| AppError::File {
                    path: dl_path.display().to_string(),
                    source,
                })?;
            }
        }
        if batch.messages as usize >= batch_size {
            // Dead letters reach the file before the offset that passes them is committed.
            dead.flush().map_err(|source| AppError::File {
                path: dl_path.display().to_string(),
                source,
            })?;
            add(
                &mut sum,
                &store.apply_batch(&std::mem::take(&mut batch), Ts::now())?,
            );
        }
    }
    if !batch.is_empty() {
        dead.flush().map_err(|source| AppError::File {
            path: dl_path.display().to_string(),
            source,
        })?;
        add(&mut sum, &store.apply_batch(&batch, Ts::now())?);
    }
    bar.finish_and_clear();
    sum.seconds = started.elapsed().as_secs_f64();
    Ok(sum)
}

fn add(sum: &mut ReplaySummary, o: &BatchOutcome) {
    sum.applied += o.applied;
    sum.duplicates += o.duplicates;
    sum.dead_lettered += o.dead_letters.values().sum::<u64>();
}
