//! The durable log, one transaction per batch: the batch's fresh raw events (Arrow, column
//! by column), its batch row and its next offsets. Plain appends: no key is matched and
//! nothing else is written, so the transaction's cost follows the batch, not the history.
//! Offsets move here, with the events they cover: that is the exactly-once guarantee.

use crate::error::{AggError, CrashPoint, Result};
use crate::outcome::{BatchOutcome, Stopwatch};
use childstat_core::{Accepted, Batch, Ts};
use duckdb::{params, Connection};
use std::collections::HashMap;

const SELECT_OFFSETS: &str =
    "SELECT kafka_partition, next_offset FROM committed_offsets WHERE topic = ?";
const INSERT_BATCH: &str = "INSERT INTO batches
    (batch_id, committed_at, messages, applied, max_occurred, duplicates, dead_letters)
    VALUES (?, ?, ?, ?, ?, ?, ?)";

fn check(crash: Option<CrashPoint>, here: CrashPoint) -> Result<()> {
    if crash == Some(here) {
        Err(AggError::InjectedCrash(here))
    } else {
        Ok(())
    }
}

/// Appends and commits batch `out.batch_id`. On error nothing of it is stored.
pub(crate) fn append(
    conn: &mut Connection,
    batch: &Batch,
    fresh: &[&Accepted],
    out: &mut BatchOutcome,
    now: Ts,
    crash: Option<CrashPoint>,
) -> Result<()> {
    let mut watch = Stopwatch::start();
    let tx = conn.transaction()?;
    {
        let mut app = tx.appender("raw_events")?;
        app.append_record_batch(crate::columns::raw_events(fresh, now, out.batch_id)?)?;
        app.flush()?;
    }
    check(crash, CrashPoint::AfterRawEvents)?;
    let dead_letters = serde_json::to_string(&out.dead_letters)
        .map_err(|e| AggError::Columns(format!("dead-letter counts: {e}")))?;
    tx.prepare_cached(INSERT_BATCH)?.execute(params![
        out.batch_id,
        now.0,
        out.messages as i64,
        out.applied as i64,
        out.max_occurred.map(|t| t.0),
        out.duplicates as i64,
        dead_letters
    ])?;
    {
        let mut app = tx.appender("batch_offsets")?;
        for ((topic, partition), next) in &batch.next_offsets {
            app.append_row(params![out.batch_id, topic, partition, next])?;
        }
        app.flush()?;
    }
    out.phases.append = watch.lap();
    check(crash, CrashPoint::BeforeCommit)?;
    tx.commit().map_err(AggError::Commit)?;
    out.phases.commit = watch.lap();
    Ok(())
}

/// The next offset to read for each partition of `topic`, as the log has committed it.
pub fn stored_offsets(conn: &Connection, topic: &str) -> Result<HashMap<i32, i64>> {
    let mut stmt = conn.prepare_cached(SELECT_OFFSETS)?;
    let rows = stmt.query_map([topic], |r| Ok((r.get::<_, i32>(0)?, r.get::<_, i64>(1)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
