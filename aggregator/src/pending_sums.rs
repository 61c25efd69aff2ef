//! Merging the pending day sums and caseload epochs into the keyed aggregate tables.
//!
//! Each batch appends its own sums to `day_agg_pending` and `caseload_epoch_pending`
//! (`write_batch.rs`); reads sum the keyed and the pending rows together through the
//! `day_sums`, `month_sums` and `caseload_epoch_sums` views (migration 6). A merge moves the
//! pending rows into `day_agg`, `month_agg` and `caseload_epoch` inside the transaction of the
//! batch that brought the pending count to the bound, so a read sees the same sums before and
//! after, and a crash leaves either both or neither.
//!
//! Why: an `ON CONFLICT` merge costs 5-7 ms per table however few its rows, and a small batch
//! of fresh events paid it three times; an append costs about 1 ms. The bound trades that
//! against the pending rows every SQL read also scans (unindexed, and few).

use crate::error::Result;
use crate::write_batch::run;
use duckdb::{Connection, Transaction};

/// Pending rows gathered before they are merged: at 2,000 events/s, a merge every 15-20 s;
/// in a replay's 50,000-event batches, about every third batch.
pub const MERGE_PENDING_AFTER: usize = 20_000;

const COUNT_PENDING: &str = "
    SELECT (SELECT count(*) FROM day_agg_pending) + (SELECT count(*) FROM caseload_epoch_pending)";
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

/// Pending rows stored now (at open: what the last run left).
pub(crate) fn count_pending(conn: &Connection) -> Result<usize> {
    let n: i64 = conn.query_row(COUNT_PENDING, [], |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Moves every pending row into the keyed tables, within `tx`.
pub(crate) fn merge_pending(tx: &Transaction<'_>) -> Result<()> {
    run(
        tx,
        &[
            MERGE_DAY_AGG,
            MERGE_MONTH_AGG,
            CLEAR_DAY_AGG_PENDING,
            MERGE_CASELOAD_EPOCH,
            CLEAR_CASELOAD_EPOCH_PENDING,
        ],
    )
}
