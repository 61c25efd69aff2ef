//! The SQL read path's view of batches folded after the last checkpoint: each connection's
//! own temporary tables, filled from the published segments (`delta.rs`), and views that put
//! them together with the checkpointed tables. Every SQL read statement reads the `*_now`
//! views, so it sees exactly what the serving index sees.
//!
//! A read runs in one DuckDB transaction: it reads `derived_through` in its snapshot and
//! takes the segments past it, so a checkpoint committing meanwhile is counted once.

use crate::delta::Segment;
use crate::error::Result;
use childstat_core::{InvState, WorkerState};
use duckdb::{params, Connection};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) const CREATE: &str = "
    CREATE TEMP TABLE IF NOT EXISTS delta_ledger (
        indicator VARCHAR, zone VARCHAR, at_ns BIGINT, day INTEGER, num BIGINT, den BIGINT);
    CREATE TEMP TABLE IF NOT EXISTS delta_caseload (worker_id VARCHAR, at_ns BIGINT, delta BIGINT);
    CREATE TEMP TABLE IF NOT EXISTS delta_workers (worker_id VARCHAR);
    CREATE TEMP TABLE IF NOT EXISTS delta_spans (
        worker_id VARCHAR, role VARCHAR, status VARCHAR, zone VARCHAR,
        start_ns BIGINT, end_ns BIGINT);
    CREATE TEMP TABLE IF NOT EXISTS delta_investigations (
        investigation_id VARCHAR, received_at BIGINT, opened BOOLEAN, closed_at BIGINT,
        state BLOB);
    CREATE OR REPLACE TEMP VIEW ledger_now AS
        SELECT indicator, zone, at_ns, day, num, den FROM contrib_ledger
        UNION ALL SELECT indicator, zone, at_ns, day, num, den FROM delta_ledger;
    CREATE OR REPLACE TEMP VIEW day_sums_now AS
        SELECT indicator, zone, day, num, den FROM day_sums
        UNION ALL SELECT indicator, zone, day, num, den FROM delta_ledger;
    CREATE OR REPLACE TEMP VIEW month_sums_now AS
        SELECT indicator, zone, month, num, den FROM month_sums
        UNION ALL
        SELECT indicator, zone,
               (year(DATE '1970-01-01' + day) * 12 + month(DATE '1970-01-01' + day) - 1)::INTEGER,
               num, den
        FROM delta_ledger;
    CREATE OR REPLACE TEMP VIEW caseload_ledger_now AS
        SELECT worker_id, at_ns, delta FROM caseload_ledger
        UNION ALL SELECT worker_id, at_ns, delta FROM delta_caseload;
    CREATE OR REPLACE TEMP VIEW caseload_epoch_now AS
        SELECT worker_id, epoch, delta FROM caseload_epoch_sums
        UNION ALL SELECT worker_id, at_ns >> 51, delta FROM delta_caseload;
    CREATE OR REPLACE TEMP VIEW worker_spans_now AS
        SELECT worker_id, role, status, zone, start_ns, end_ns FROM worker_spans
        WHERE worker_id NOT IN (SELECT worker_id FROM delta_workers)
        UNION ALL SELECT worker_id, role, status, zone, start_ns, end_ns FROM delta_spans;
    CREATE OR REPLACE TEMP VIEW investigations_now AS
        SELECT investigation_id, received_at, opened, closed_at, state FROM investigations
        WHERE investigation_id NOT IN (SELECT investigation_id FROM delta_investigations)
        UNION ALL
        SELECT investigation_id, received_at, opened, closed_at, state FROM delta_investigations;";

const CLEAR: &str = "
    DELETE FROM delta_ledger; DELETE FROM delta_caseload; DELETE FROM delta_workers;
    DELETE FROM delta_spans; DELETE FROM delta_investigations;";

/// What a connection's delta tables hold: the checkpoint they extend and the last segment.
pub(crate) type DeltaKey = (i64, i64);

/// The key for `segments` past `through`.
pub(crate) fn key(segments: &[Arc<Segment>], through: i64) -> DeltaKey {
    let last = segments
        .iter()
        .map(|s| s.batch_id)
        .filter(|b| *b > through)
        .max()
        .unwrap_or(through);
    (through, last)
}

/// Replaces the connection's delta tables with the segments past `through`. Runs inside the
/// reader's transaction.
pub(crate) fn fill(conn: &Connection, segments: &[Arc<Segment>], through: i64) -> Result<()> {
    conn.execute_batch(CLEAR)?;
    let past: Vec<&Segment> = segments
        .iter()
        .filter(|s| s.batch_id > through)
        .map(|s| &**s)
        .collect();
    if past.is_empty() {
        return Ok(());
    }
    let mut app = conn.appender("delta_ledger")?;
    for r in past.iter().flat_map(|s| &s.ledger) {
        app.append_row(params![
            r.indicator.name(),
            r.zone,
            r.at.0,
            r.day,
            r.num,
            r.den
        ])?;
    }
    app.flush()?;
    drop(app);
    let mut app = conn.appender("delta_caseload")?;
    for (w, at, d) in past.iter().flat_map(|s| &s.caseload) {
        app.append_row(params![w, at.0, d])?;
    }
    app.flush()?;
    drop(app);
    // A later segment's state of a worker or investigation replaces an earlier one's.
    let workers: BTreeMap<&str, &WorkerState> = past
        .iter()
        .flat_map(|s| s.workers.iter().map(|(id, w)| (id.as_str(), w)))
        .collect();
    let mut ids = conn.appender("delta_workers")?;
    let mut spans = conn.appender("delta_spans")?;
    for (id, w) in &workers {
        ids.append_row([id])?;
        crate::columns::append_worker_spans(&mut spans, id, w)?;
    }
    ids.flush()?;
    spans.flush()?;
    drop((ids, spans));
    let invs: BTreeMap<&str, &InvState> = past
        .iter()
        .flat_map(|s| s.invs.iter().map(|(id, st)| (id.as_str(), st)))
        .collect();
    let mut app = conn.appender("delta_investigations")?;
    let mut encoded = Vec::with_capacity(256);
    for (id, s) in &invs {
        encoded.clear();
        childstat_core::encode_inv_state_into(s, &mut encoded)?;
        let o = s.opening.as_ref();
        app.append_row(params![
            id,
            o.map(|o| o.received_at.0),
            o.is_some(),
            s.first_closed.map(|t| t.0),
            encoded.as_slice()
        ])?;
    }
    app.flush()?;
    Ok(())
}
