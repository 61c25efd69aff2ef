//! What a batch needs from DuckDB before it is folded: which of its event ids were applied
//! before (only those the duplicate filter cannot clear), and the checkpointed states of
//! evicted investigations it touches (only those the evicted filter cannot clear).

use crate::bloom::id_hash;
use crate::error::Result;
use crate::fold_state::FoldState;
use childstat_core::Accepted;
use duckdb::Connection;
use std::collections::HashSet;

pub(crate) const CREATE_WANTED: &str = "
    CREATE TEMP TABLE IF NOT EXISTS wanted_ids (id VARCHAR);
    CREATE TEMP TABLE IF NOT EXISTS wanted_hashes (h UBIGINT);";
const CLEAR_IDS: &str = "DELETE FROM wanted_ids";
const CLEAR_HASHES: &str = "DELETE FROM wanted_hashes";
/// A hash match is confirmed by the exact id, so a collision never drops an event.
const SEEN_BEFORE: &str = "
    SELECT r.event_id FROM raw_events r JOIN wanted_hashes w ON r.id_hash = w.h";
const LOAD_STATES: &str = "
    SELECT i.investigation_id, i.state
    FROM investigations i JOIN wanted_ids w ON i.investigation_id = w.id";

/// Drops event ids seen before (in earlier batches or earlier in this one): the first
/// delivery is the one applied.
pub(crate) fn dedupe<'a>(
    conn: &Connection,
    st: &FoldState,
    accepted: &'a [Accepted],
) -> Result<Vec<&'a Accepted>> {
    let mut in_batch: HashSet<&str> = HashSet::with_capacity(accepted.len());
    let mut keep = Vec::with_capacity(accepted.len());
    for (i, a) in accepted.iter().enumerate() {
        if in_batch.insert(a.event.event_id.as_str()) {
            keep.push(i);
        }
    }
    let ids: Vec<&str> = keep
        .iter()
        .map(|&i| accepted[i].event.event_id.as_str())
        .filter(|id| st.seen.may_contain(id_hash(id)))
        .collect();
    let known = seen_before(conn, &ids)?;
    if !known.is_empty() {
        keep.retain(|&i| !known.contains(&accepted[i].event.event_id));
    }
    Ok(keep.into_iter().map(|i| &accepted[i]).collect())
}

/// The ids among `ids` that earlier batches applied.
fn seen_before(conn: &Connection, ids: &[&str]) -> Result<HashSet<String>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    conn.prepare_cached(CLEAR_HASHES)?.execute([])?;
    {
        let mut app = conn.appender("wanted_hashes")?;
        for id in ids {
            app.append_row([id_hash(id)])?;
        }
        app.flush()?;
    }
    let mut stmt = conn.prepare_cached(SEEN_BEFORE)?;
    let known = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<HashSet<_>, _>>()?;
    Ok(known)
}

/// Reads back the checkpointed state of every evicted investigation `fresh` touches.
pub(crate) fn load_evicted(
    conn: &Connection,
    st: &mut FoldState,
    fresh: &[&Accepted],
) -> Result<()> {
    let missing = st.missing(fresh.iter().filter_map(|a| a.event.body.investigation_id()));
    if missing.is_empty() {
        return Ok(());
    }
    conn.prepare_cached(CLEAR_IDS)?.execute([])?;
    {
        let mut app = conn.appender("wanted_ids")?;
        for id in &missing {
            app.append_row([id])?;
        }
        app.flush()?;
    }
    let mut stmt = conn.prepare_cached(LOAD_STATES)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let state = childstat_core::decode_inv_state(&r.get::<_, Vec<u8>>(1)?)?;
        st.insert_loaded(id, state);
    }
    Ok(())
}
