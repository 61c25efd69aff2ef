//! Caseload figures at one or many instants: three small queries (active spans, per-worker
//! prefix by epoch, the ledger tail) and a pure sweep in the core.

use crate::error::Result;
use crate::settings::StoreSettings;
use childstat_core::caseload_sweep::{caseloads_at, ActiveSpan};
use childstat_core::{Caseload, Ts};
use duckdb::{params, Connection};
use std::collections::HashMap;

const SPANS: &str = include_str!("../sql/caseload_spans.sql");
const PREFIX: &str = include_str!("../sql/caseload_prefix.sql");
const TAIL: &str = include_str!("../sql/caseload_tail.sql");

/// Width of a caseload epoch, as a shift: 2^51 ns is about 26 days.
pub const EPOCH_SHIFT: u32 = 51;

/// Caseload figures for `zone` (`None` = citywide) at each of `instants` (ascending).
pub fn caseloads_on(
    conn: &Connection,
    settings: &StoreSettings,
    zone: Option<&str>,
    instants: &[Ts],
) -> Result<Vec<Caseload>> {
    let (Some(&first), Some(&last)) = (instants.first(), instants.last()) else {
        return Ok(Vec::new());
    };
    let epoch = first.0 >> EPOCH_SHIFT;
    let epoch_start = epoch << EPOCH_SHIFT;
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut idx = |w: String| {
        let n = index.len();
        *index.entry(w).or_insert(n)
    };

    let mut spans = Vec::new();
    let mut stmt = conn.prepare_cached(SPANS)?;
    let mut rows = stmt.query(params![zone, first.0, last.0])?;
    while let Some(r) = rows.next()? {
        spans.push(ActiveSpan {
            worker: idx(r.get(0)?),
            start: Ts(r.get(1)?),
            end: Ts(r.get(2)?),
        });
    }
    let mut prefix_rows = Vec::new();
    let mut stmt = conn.prepare_cached(PREFIX)?;
    let mut rows = stmt.query(params![zone, first.0, last.0, epoch])?;
    while let Some(r) = rows.next()? {
        prefix_rows.push((idx(r.get(0)?), r.get::<_, i64>(1)?));
    }
    let mut deltas = Vec::new();
    let mut stmt = conn.prepare_cached(TAIL)?;
    let mut rows = stmt.query(params![zone, first.0, last.0, epoch_start])?;
    while let Some(r) = rows.next()? {
        deltas.push((idx(r.get(0)?), Ts(r.get(1)?), r.get::<_, i64>(2)?));
    }
    let mut prefix = vec![0i64; index.len()];
    for (w, n) in prefix_rows {
        prefix[w] += n;
    }
    let threshold = i64::from(settings.caseload_threshold);
    Ok(caseloads_at(instants, &spans, &prefix, &deltas, threshold))
}
