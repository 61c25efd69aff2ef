//! Writing one folded batch inside the open transaction: raw events, states, ledgers,
//! pending sums, counters and offsets. Nothing here commits; `apply.rs` does.

use crate::apply::{BatchOutcome, CrashPoint, Stopwatch, LATE_BUCKETS};
use crate::error::{AggError, Result};
use crate::fold::Folded;
use childstat_core::{Accepted, Batch, Ts};
use duckdb::types::Value;
use duckdb::{params, Transaction};
use std::collections::BTreeMap;

// Every statement is prepared once per connection and cached: planning a statement took
// longer than running it on a small batch (the freshness profile was DuckDB's optimizer
// matchers and the allocations they make). Staged rows are merged by one statement per table
// and the staging table emptied by another.
const MERGE_INVESTIGATIONS: &str =
    "INSERT OR REPLACE INTO investigations SELECT * FROM stage_investigations";
const CLEAR_STAGE_INVESTIGATIONS: &str = "DELETE FROM stage_investigations";
const DELETE_WORKER_SPANS: &str =
    "DELETE FROM worker_spans WHERE worker_id IN (SELECT worker_id FROM stage_workers)";
const MERGE_WORKERS: &str = "INSERT OR REPLACE INTO workers SELECT * FROM stage_workers";
const CLEAR_STAGE_WORKERS: &str = "DELETE FROM stage_workers";
/// Offsets and counters are a handful of rows: one upsert with a `VALUES` row each, rather
/// than staging (a separate upsert per row cost more than all of a batch's ledger rows, and
/// staging costs three statements).
const UPSERT_OFFSETS: ValuesUpsert = ValuesUpsert {
    head: "INSERT INTO kafka_offsets VALUES ",
    row: "(?, ?, ?)",
    // Offsets only move forward, whatever order batches of a partition come in.
    tail: " ON CONFLICT (topic, kafka_partition) DO UPDATE \
           SET next_offset = greatest(kafka_offsets.next_offset, excluded.next_offset)",
    columns: 3,
};
const UPSERT_COUNTERS: ValuesUpsert = ValuesUpsert {
    head: "INSERT INTO pipeline_counters VALUES ",
    row: "(?, ?, ?)",
    tail: " ON CONFLICT (name, label) DO UPDATE SET value = value + excluded.value",
    columns: 3,
};

/// An upsert statement over a number of `VALUES` rows: the text depends only on the row
/// count, so each count is prepared once and cached.
struct ValuesUpsert {
    head: &'static str,
    row: &'static str,
    tail: &'static str,
    columns: usize,
}

impl ValuesUpsert {
    fn sql(&self, rows: usize) -> String {
        let mut sql = String::from(self.head);
        for i in 0..rows {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(self.row);
        }
        sql.push_str(self.tail);
        sql
    }
}

/// Runs `upsert` on `values`, a row's columns after another; nothing for no values.
fn upsert_values(tx: &Transaction<'_>, upsert: &ValuesUpsert, values: &[Value]) -> Result<()> {
    if values.is_empty() {
        return Ok(());
    }
    let rows = values.len() / upsert.columns;
    tx.prepare_cached(&upsert.sql(rows))?
        .execute(duckdb::params_from_iter(values))?;
    Ok(())
}

const INSERT_BATCH: &str = "INSERT INTO batches VALUES (?, ?, ?, ?, ?)";

/// A worker's folded state as stored: JSON (a few thousand rows, rewritten only when a
/// worker's status changes, so the binary form of investigations is not worth it here).
fn state_json(table: &'static str, state: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(state).map_err(|source| AggError::CorruptState { table, source })
}

/// Runs each statement through the connection's prepared-statement cache.
pub(crate) fn run(tx: &Transaction<'_>, statements: &[&str]) -> Result<()> {
    for sql in statements {
        tx.prepare_cached(sql)?.execute([])?;
    }
    Ok(())
}

fn check(crash: Option<CrashPoint>, here: CrashPoint) -> Result<()> {
    if crash == Some(here) {
        Err(AggError::InjectedCrash(here))
    } else {
        Ok(())
    }
}

pub(crate) fn write_batch(
    tx: &Transaction<'_>,
    batch: &Batch,
    fresh: &[&Accepted],
    folded: &Folded,
    out: &mut BatchOutcome,
    now: Ts,
    crash: Option<CrashPoint>,
) -> Result<usize> {
    let batch_id = out.batch_id;
    let mut watch = Stopwatch::start();
    {
        let mut app = tx.appender("raw_events")?;
        app.append_record_batch(crate::columns::raw_events(fresh, now, batch_id)?)?;
        app.flush()?;
    }
    out.phases.raw_events = watch.lap();
    check(crash, CrashPoint::AfterRawEvents)?;

    // Most batches change no worker and some no investigation: their statements are skipped.
    if !folded.invs.is_empty() {
        let mut app = tx.appender("stage_investigations")?;
        app.append_record_batch(crate::columns::investigations(&folded.invs)?)?;
        app.flush()?;
        drop(app);
        run(tx, &[MERGE_INVESTIGATIONS, CLEAR_STAGE_INVESTIGATIONS])?;
    }
    if !folded.workers.is_empty() {
        let mut app = tx.appender("stage_workers")?;
        for (id, w) in &folded.workers {
            let json = state_json("workers", w)?;
            app.append_row(params![id, json])?;
        }
        app.flush()?;
        drop(app);
        run(tx, &[DELETE_WORKER_SPANS])?;
        let mut app = tx.appender("worker_spans")?;
        for (id, w) in &folded.workers {
            for (ch, start, end) in w.spans() {
                app.append_row(params![
                    id,
                    ch.role.as_str(),
                    ch.status.as_str(),
                    ch.zone,
                    start.0,
                    end.0
                ])?;
            }
        }
        app.flush()?;
        drop(app);
        run(tx, &[MERGE_WORKERS, CLEAR_STAGE_WORKERS])?;
    }
    out.phases.states = watch.lap();
    check(crash, CrashPoint::AfterState)?;

    {
        let mut app = tx.appender("contrib_ledger")?;
        app.append_record_batch(crate::columns::ledger(&folded.ledger, batch_id)?)?;
        app.flush()?;
        let mut app = tx.appender("caseload_ledger")?;
        for ((worker, at), delta) in &folded.caseload.map {
            app.append_row(params![worker, at.0, delta, batch_id])?;
        }
        app.flush()?;
    }
    out.phases.ledgers = watch.lap();
    check(crash, CrashPoint::AfterLedger)?;

    // The batch's day sums and caseload epochs, summed in memory from its own rows and
    // appended to the pending tables (`pending_sums.rs` merges them later).
    let mut pending = 0;
    if !folded.caseload.map.is_empty() {
        let mut epochs: BTreeMap<(&str, i64), i64> = BTreeMap::new();
        for ((worker, at), delta) in &folded.caseload.map {
            *epochs.entry((worker.as_str(), at.0 >> 51)).or_insert(0) += delta;
        }
        let mut app = tx.appender("caseload_epoch_pending")?;
        for ((worker, epoch), delta) in &epochs {
            app.append_row(params![worker, epoch, delta])?;
        }
        app.flush()?;
        pending += epochs.len();
    }
    if !folded.ledger.is_empty() {
        let mut days: BTreeMap<(&str, &str, i32), (i64, i64)> = BTreeMap::new();
        for r in &folded.ledger {
            let e = days
                .entry((r.indicator.name(), r.zone.as_str(), r.day))
                .or_insert((0, 0));
            e.0 += r.num;
            e.1 += r.den;
        }
        let mut app = tx.appender("day_agg_pending")?;
        for ((indicator, zone, day), (num, den)) in &days {
            app.append_row(params![indicator, zone, day, num, den])?;
        }
        app.flush()?;
        pending += days.len();
    }
    check(crash, CrashPoint::AfterAggregates)?;

    let offsets: Vec<Value> = batch
        .next_offsets
        .iter()
        .flat_map(|((topic, partition), next)| {
            [
                Value::Text(topic.clone()),
                Value::Int(*partition),
                Value::BigInt(*next),
            ]
        })
        .collect();
    upsert_values(tx, &UPSERT_OFFSETS, &offsets)?;
    let mut counters: Vec<(&str, &str, u64)> = vec![
        ("consumed", "", out.messages),
        ("applied", "", out.applied),
        ("duplicate", "", out.duplicates),
        ("ignored_opening", "", out.ignored_openings),
    ];
    for (zone, n) in &out.held {
        counters.push(("held", zone, *n));
    }
    for (i, label) in LATE_BUCKETS.iter().enumerate() {
        counters.push(("late", label, out.late[i]));
    }
    for (reason, n) in &out.dead_letters {
        counters.push(("dead_lettered", reason, *n));
    }
    let counters: Vec<Value> = counters
        .into_iter()
        .filter(|c| c.2 > 0)
        .flat_map(|(name, label, value)| {
            [
                Value::Text(name.to_string()),
                Value::Text(label.to_string()),
                Value::BigInt(value as i64),
            ]
        })
        .collect();
    upsert_values(tx, &UPSERT_COUNTERS, &counters)?;
    tx.prepare_cached(INSERT_BATCH)?.execute(params![
        batch_id,
        now.0,
        out.messages as i64,
        out.applied as i64,
        out.max_occurred.map(|t| t.0)
    ])?;
    out.phases.sums = watch.lap();
    Ok(pending)
}
