//! The checkpoint: one transaction that writes everything folded since the previous one, in
//! bulk, and records the last batch it covers (`checkpoints.derived_through`).
//!
//! It writes the dirty investigation and worker states, the net ledger and caseload rows,
//! their day, month and caseload-epoch sums, the counters, and folds the batches' offsets
//! into `kafka_offsets`. A crash before its commit leaves the previous checkpoint, and the
//! re-fold at the next start covers the difference (`recovery.rs`).

use crate::error::{AggError, CrashPoint, Result};
use crate::fold_state::FoldState;
use crate::since_checkpoint::SinceCheckpoint;
use childstat_core::{Calendar, Ts};
use duckdb::{params, Connection, Transaction};
use std::collections::BTreeMap;
use std::time::Instant;

pub(crate) const CREATE_STAGING: &str = "
    CREATE TEMP TABLE IF NOT EXISTS stage_investigations AS SELECT * FROM investigations LIMIT 0;
    CREATE TEMP TABLE IF NOT EXISTS stage_workers AS SELECT * FROM workers LIMIT 0;
    CREATE TEMP TABLE IF NOT EXISTS stage_counters AS SELECT * FROM pipeline_counters LIMIT 0;";
const MERGE_INVESTIGATIONS: &str =
    "INSERT OR REPLACE INTO investigations SELECT * FROM stage_investigations";
const CLEAR_STAGE_INVESTIGATIONS: &str = "DELETE FROM stage_investigations";
const DELETE_WORKER_SPANS: &str =
    "DELETE FROM worker_spans WHERE worker_id IN (SELECT worker_id FROM stage_workers)";
const MERGE_WORKERS: &str = "INSERT OR REPLACE INTO workers SELECT * FROM stage_workers";
const CLEAR_STAGE_WORKERS: &str = "DELETE FROM stage_workers";
// The sums are appended to the pending tables (migration 6) and merged into the keyed ones
// by one `ON CONFLICT` statement each; the pending tables are empty between checkpoints.
const MERGE_DAY_AGG: &str = "
    INSERT INTO day_agg
    SELECT indicator, zone, day, sum(num)::BIGINT, sum(den)::BIGINT
    FROM day_agg_pending
    GROUP BY ALL
    ON CONFLICT (indicator, zone, day) DO UPDATE
    SET num = num + excluded.num, den = den + excluded.den";
const MERGE_MONTH_AGG: &str = "
    INSERT INTO month_agg
    SELECT indicator, zone, month, sum(num)::BIGINT, sum(den)::BIGINT
    FROM month_agg_pending
    GROUP BY ALL
    ON CONFLICT (indicator, zone, month) DO UPDATE
    SET num = num + excluded.num, den = den + excluded.den";
const CLEAR_DAY_AGG_PENDING: &str = "DELETE FROM day_agg_pending";
const MERGE_CASELOAD_EPOCH: &str = "
    INSERT INTO caseload_epoch
    SELECT worker_id, epoch, sum(delta)::BIGINT
    FROM caseload_epoch_pending
    GROUP BY ALL
    ON CONFLICT (worker_id, epoch) DO UPDATE SET delta = delta + excluded.delta";
const CLEAR_CASELOAD_EPOCH_PENDING: &str = "DELETE FROM caseload_epoch_pending";
/// The counters are totals: each checkpoint sets them (a key never disappears).
const MERGE_COUNTERS: &str = "
    INSERT INTO pipeline_counters SELECT * FROM stage_counters
    ON CONFLICT (name, label) DO UPDATE SET value = excluded.value";
const CLEAR_STAGE_COUNTERS: &str = "DELETE FROM stage_counters";
const MERGE_OFFSETS: &str = "
    INSERT INTO kafka_offsets
    SELECT topic, kafka_partition, max(next_offset) FROM batch_offsets
    WHERE batch_id <= ?
    GROUP BY ALL
    ON CONFLICT (topic, kafka_partition) DO UPDATE
    SET next_offset = greatest(kafka_offsets.next_offset, excluded.next_offset)";
const CLEAR_BATCH_OFFSETS: &str = "DELETE FROM batch_offsets WHERE batch_id <= ?";
const INSERT_CHECKPOINT: &str = "INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?)";
pub(crate) const DERIVED_THROUGH: &str =
    "SELECT coalesce(max(derived_through), 0) FROM checkpoints";

/// Width of a caseload epoch, as a shift: 2^51 ns is about 26 days (migration 5).
pub const EPOCH_SHIFT: u32 = 51;

fn run(tx: &Transaction<'_>, statements: &[&str]) -> Result<()> {
    for sql in statements {
        tx.prepare_cached(sql)?.execute([])?;
    }
    Ok(())
}

/// A worker's folded state as stored: JSON (a few thousand rows, rewritten only when a
/// worker's status changes).
fn worker_json(state: &childstat_core::WorkerState) -> Result<String> {
    serde_json::to_string(state).map_err(|source| AggError::CorruptState {
        table: "workers",
        source,
    })
}

/// Writes and commits a checkpoint through `through`, the last batch `since` covers.
/// Nothing in memory changes here; the caller marks the state clean after it returns.
pub(crate) fn write(
    conn: &mut Connection,
    st: &FoldState,
    since: &SinceCheckpoint,
    through: i64,
    cal: &Calendar,
    crash: Option<CrashPoint>,
) -> Result<()> {
    let started = Instant::now();
    let tx = conn.transaction()?;
    let states = st.dirty_states();
    if !states.is_empty() {
        let mut app = tx.appender("stage_investigations")?;
        app.append_record_batch(crate::columns::investigations(&states)?)?;
        app.flush()?;
        drop(app);
        run(&tx, &[MERGE_INVESTIGATIONS, CLEAR_STAGE_INVESTIGATIONS])?;
    }
    let workers = st.dirty_workers();
    if !workers.is_empty() {
        let mut app = tx.appender("stage_workers")?;
        for (id, w) in &workers {
            app.append_row(params![id, worker_json(w)?])?;
        }
        app.flush()?;
        drop(app);
        run(&tx, &[DELETE_WORKER_SPANS])?;
        let mut app = tx.appender("worker_spans")?;
        for (id, w) in &workers {
            crate::columns::append_worker_spans(&mut app, id, w)?;
        }
        app.flush()?;
        drop(app);
        run(&tx, &[MERGE_WORKERS, CLEAR_STAGE_WORKERS])?;
    }

    let ledger = since.ledger_rows(cal);
    let mut app = tx.appender("contrib_ledger")?;
    app.append_record_batch(crate::columns::ledger(&ledger, through)?)?;
    app.flush()?;
    drop(app);
    let caseload = since.caseload_rows();
    let mut app = tx.appender("caseload_ledger")?;
    for (worker, at, delta) in &caseload {
        app.append_row(params![worker, at.0, delta, through])?;
    }
    app.flush()?;
    drop(app);
    if crash == Some(CrashPoint::MidCheckpoint) {
        return Err(AggError::InjectedCrash(CrashPoint::MidCheckpoint));
    }

    let mut days: BTreeMap<(&str, &str, i32), (i64, i64)> = BTreeMap::new();
    for r in &ledger {
        let e = days
            .entry((r.indicator.name(), r.zone, r.day))
            .or_insert((0, 0));
        e.0 += r.num;
        e.1 += r.den;
    }
    let mut app = tx.appender("day_agg_pending")?;
    for ((indicator, zone, day), (num, den)) in &days {
        app.append_row(params![indicator, zone, day, num, den])?;
    }
    app.flush()?;
    drop(app);
    let mut epochs: BTreeMap<(&str, i64), i64> = BTreeMap::new();
    for (worker, at, delta) in &caseload {
        *epochs.entry((worker, at.0 >> EPOCH_SHIFT)).or_insert(0) += delta;
    }
    let mut app = tx.appender("caseload_epoch_pending")?;
    for ((worker, epoch), delta) in &epochs {
        app.append_row(params![worker, epoch, delta])?;
    }
    app.flush()?;
    drop(app);
    run(
        &tx,
        &[
            MERGE_DAY_AGG,
            MERGE_MONTH_AGG,
            CLEAR_DAY_AGG_PENDING,
            MERGE_CASELOAD_EPOCH,
            CLEAR_CASELOAD_EPOCH_PENDING,
        ],
    )?;
    let mut app = tx.appender("stage_counters")?;
    for ((name, label), value) in &st.counters.values {
        app.append_row(params![name, label, value])?;
    }
    app.flush()?;
    drop(app);
    run(&tx, &[MERGE_COUNTERS, CLEAR_STAGE_COUNTERS])?;
    tx.prepare_cached(MERGE_OFFSETS)?.execute([through])?;
    tx.prepare_cached(CLEAR_BATCH_OFFSETS)?.execute([through])?;
    tx.prepare_cached(INSERT_CHECKPOINT)?.execute(params![
        through,
        Ts::now().0,
        since.batches as i64,
        since.events as i64,
        started.elapsed().as_millis() as i64
    ])?;
    tx.commit().map_err(AggError::Commit)?;
    Ok(())
}

/// The last batch the stored derived tables cover.
pub(crate) fn derived_through(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(DERIVED_THROUGH, [], |r| r.get(0))?)
}
