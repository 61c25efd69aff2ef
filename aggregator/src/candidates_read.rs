//! Case candidates: open investigations decoded from their stored state and judged by the
//! pure core. Only the reviewer-facing API reads this. Reads `investigations_now`, so
//! states changed since the last checkpoint count (`delta_tables.rs`).

use crate::error::Result;
use childstat_core::candidates::{candidate, rank, Candidate, Criterion};
use childstat_core::{Clocks, InvState, Ts};
use duckdb::Connection;
use std::collections::BTreeMap;

const OPEN_INVESTIGATIONS: &str = include_str!("../sql/open_investigations.sql");

/// Open investigations in each of `zones` at `as_of` meeting any of `criteria`, best first,
/// in one scan of the investigations open then.
pub(crate) fn candidates_on(
    conn: &Connection,
    clocks: &Clocks,
    zones: &[&str],
    as_of: Ts,
    criteria: &[Criterion],
) -> Result<BTreeMap<String, Vec<Candidate>>> {
    let mut out: BTreeMap<String, Vec<Candidate>> =
        zones.iter().map(|z| (z.to_string(), Vec::new())).collect();
    let mut stmt = conn.prepare_cached(OPEN_INVESTIGATIONS)?;
    let mut rows = stmt.query([as_of.0])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let state = decode_inv_state(&r.get::<_, Vec<u8>>(1)?)?;
        let Some(zone) = state.zone_at(as_of) else {
            continue;
        };
        if let Some(list) = out.get_mut(zone) {
            if let Some(c) = candidate(&id, &state, zone, as_of, clocks, criteria) {
                list.push(c);
            }
        }
    }
    out.values_mut().for_each(|l| rank(l));
    Ok(out)
}

/// An investigation's stored state (`core::state_codec`).
pub(crate) fn decode_inv_state(stored: &[u8]) -> Result<InvState> {
    Ok(childstat_core::decode_inv_state(stored)?)
}
