//! Starting from the file: load the last checkpoint into memory, then fold again the batches
//! logged after it, from `raw_events` (not from Kafka), in the order they were first folded.
//! The re-fold is bounded by the checkpoint policy: at most `checkpoint.events` events, or
//! `checkpoint.interval` of ingest, plus the batch that crossed the bound.

use crate::apply::fold_and_install;
use crate::bloom::id_hash;
use crate::checkpoint::derived_through;
use crate::error::{AggError, Result};
use crate::fold_state::FoldState;
use crate::outcome::BatchOutcome;
use crate::published::Published;
use crate::rawrow::StoredEvent;
use crate::settings::StoreSettings;
use crate::since_checkpoint::SinceCheckpoint;
use childstat_core::{Accepted, Source, Ts, WorkerState};
use duckdb::{params, Connection};
use std::collections::BTreeMap;
use std::sync::Arc;

const MISSING_INTAKE_ZONES: &str =
    "SELECT investigation_id, state FROM investigations WHERE opened AND intake_zone IS NULL";
const CREATE_INTAKE_STAGE: &str =
    "CREATE TEMP TABLE IF NOT EXISTS stage_intake (id VARCHAR, zone VARCHAR)";
const SET_INTAKE_ZONES: &str = "
    UPDATE investigations SET intake_zone = s.zone
    FROM stage_intake s WHERE investigations.investigation_id = s.id";
const DROP_INTAKE_STAGE: &str = "DROP TABLE stage_intake";
const FAMILIES: &str = "
    SELECT family_id, investigation_id, received_at, intake_zone FROM investigations
    WHERE opened";
/// Open and not-yet-opened investigations stay in memory; closed ones are read back when
/// an event touches them.
const IN_MEMORY_STATES: &str = "
    SELECT investigation_id, state FROM investigations WHERE NOT opened OR closed_at IS NULL";
const EVICTED_IDS: &str =
    "SELECT investigation_id FROM investigations WHERE opened AND closed_at IS NOT NULL";
const WORKERS: &str = "SELECT worker_id, state FROM workers";
const COUNTERS: &str = "SELECT name, label, value FROM pipeline_counters";
const OFFSETS: &str =
    "SELECT topic, kafka_partition, next_offset FROM committed_offsets ORDER BY ALL";
const WATERMARK: &str = "SELECT max(occurred_at) FROM raw_events WHERE batch_id <= ?";
const LAST_BATCH: &str =
    "SELECT batch_id, committed_at FROM batches WHERE batch_id <= ? ORDER BY batch_id DESC LIMIT 1";
const NEXT_BATCH: &str = "SELECT coalesce(max(batch_id), 0) + 1 FROM batches";
const ALL_HASHES: &str = "SELECT id_hash FROM raw_events";
const BATCHES_AFTER: &str = "
    SELECT batch_id, committed_at, messages, duplicates, dead_letters FROM batches
    WHERE batch_id > ? ORDER BY batch_id";
const EVENTS_OF_BATCH: &str = "
    SELECT batch_id, event_id, event_type, zone, occurred_at, recorded_at, investigation_id,
           worker_id, supervisor_id, family_id, received_at, children, children_seen, kind,
           outcome, role, status, flag_heightened, flag_after_hours, flag_by_ecs,
           flag_emergency, payload, source_topic, source_partition, source_offset
    FROM raw_events WHERE batch_id = ? ORDER BY batch_seq";

/// What a start leaves in memory: the fold state as of the last logged batch, the
/// accumulators since the checkpoint, and how many batches and events it folded again.
pub(crate) struct Recovered {
    pub st: FoldState,
    pub since: SinceCheckpoint,
    pub refolded_batches: u64,
    pub refolded_events: u64,
}

/// Fills `intake_zone` for rows written before migration 8, from their states.
fn backfill_intake_zones(conn: &mut Connection) -> Result<()> {
    let mut fill: Vec<(String, String)> = Vec::new();
    {
        let mut stmt = conn.prepare(MISSING_INTAKE_ZONES)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let s = childstat_core::decode_inv_state(&r.get::<_, Vec<u8>>(1)?)?;
            if let Some((_, zone)) = childstat_core::contrib::intake(&s) {
                fill.push((id, zone.to_string()));
            }
        }
    }
    if fill.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    tx.execute_batch(CREATE_INTAKE_STAGE)?;
    {
        let mut app = tx.appender("stage_intake")?;
        for (id, zone) in &fill {
            app.append_row(params![id, zone])?;
        }
        app.flush()?;
    }
    tx.execute_batch(SET_INTAKE_ZONES)?;
    tx.execute_batch(DROP_INTAKE_STAGE)?;
    tx.commit()?;
    Ok(())
}

/// The fold state as of the last checkpoint.
fn load_checkpoint(conn: &Connection, through: i64) -> Result<FoldState> {
    let mut st = FoldState::new();
    let mut stmt = conn.prepare(FAMILIES)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (family, id): (String, String) = (r.get(0)?, r.get(1)?);
        let zone: Option<String> = r.get(3)?;
        st.add_member(
            &family,
            &id,
            Ts(r.get(2)?),
            zone.as_deref().unwrap_or_default(),
        );
    }
    let mut stmt = conn.prepare(IN_MEMORY_STATES)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let state = childstat_core::decode_inv_state(&r.get::<_, Vec<u8>>(1)?)?;
        st.insert_loaded(r.get(0)?, state);
    }
    let mut stmt = conn.prepare(EVICTED_IDS)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        st.note_evicted(&r.get::<_, String>(0)?);
    }
    let mut stmt = conn.prepare(WORKERS)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let json: String = r.get(1)?;
        let w: WorkerState =
            serde_json::from_str(&json).map_err(|source| AggError::CorruptState {
                table: "workers",
                source,
            })?;
        st.workers.insert(r.get(0)?, w);
    }
    let mut stmt = conn.prepare(COUNTERS)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        st.counters.values.insert((r.get(0)?, r.get(1)?), r.get(2)?);
    }
    st.watermark = conn
        .query_row(WATERMARK, [through], |r| r.get::<_, Option<i64>>(0))?
        .map(Ts);
    st.counters.newest_event = st.watermark;
    st.counters.last_batch = conn
        .query_row(LAST_BATCH, [through], |r| Ok((r.get(0)?, Ts(r.get(1)?))))
        .map(Some)
        .or_else(|e| match e {
            duckdb::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    let mut stmt = conn.prepare(ALL_HASHES)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        st.seen.insert(r.get::<_, u64>(0)?);
    }
    Ok(st)
}

/// One logged batch past the checkpoint, as the re-fold needs it.
struct LoggedBatch {
    id: i64,
    committed_at: Ts,
    messages: u64,
    duplicates: u64,
    dead_letters: BTreeMap<String, u64>,
}

fn logged_batches(conn: &Connection, through: i64) -> Result<Vec<LoggedBatch>> {
    let mut stmt = conn.prepare(BATCHES_AFTER)?;
    let mut rows = stmt.query([through])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let dl: Option<String> = r.get(4)?;
        let dead_letters = match dl {
            None => BTreeMap::new(),
            Some(j) => serde_json::from_str(&j).map_err(|e| {
                AggError::Recovery(format!(
                    "batch {id}'s dead-letter counts are unreadable: {e}"
                ))
            })?,
        };
        out.push(LoggedBatch {
            id,
            committed_at: Ts(r.get(1)?),
            messages: r.get::<_, i64>(2)?.max(0) as u64,
            duplicates: r.get::<_, Option<i64>>(3)?.unwrap_or(0).max(0) as u64,
            dead_letters,
        });
    }
    Ok(out)
}

fn stored_event(r: &duckdb::Row<'_>) -> duckdb::Result<(StoredEvent, String, Source)> {
    let e = StoredEvent {
        event_id: r.get(1)?,
        event_type: r.get(2)?,
        zone: r.get(3)?,
        occurred_at: r.get(4)?,
        recorded_at: r.get(5)?,
        investigation_id: r.get(6)?,
        worker_id: r.get(7)?,
        supervisor_id: r.get(8)?,
        family_id: r.get(9)?,
        received_at: r.get(10)?,
        children: r.get(11)?,
        children_seen: r.get(12)?,
        kind: r.get(13)?,
        outcome: r.get(14)?,
        role: r.get(15)?,
        status: r.get(16)?,
        heightened: r.get(17)?,
        after_hours: r.get(18)?,
        by_ecs: r.get(19)?,
        emergency: r.get(20)?,
    };
    let source = Source {
        topic: r.get(22)?,
        partition: r.get(23)?,
        offset: r.get(24)?,
    };
    Ok((e, r.get(21)?, source))
}

/// A logged batch's fresh events, in the order they were folded.
fn logged_events(conn: &Connection, batch_id: i64) -> Result<Vec<Accepted>> {
    let mut stmt = conn.prepare_cached(EVENTS_OF_BATCH)?;
    let mut rows = stmt.query([batch_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let (stored, payload, source) = stored_event(r)?;
        let event = stored.to_event().map_err(|why| {
            AggError::Recovery(format!(
                "a raw event of batch {batch_id} is unreadable: {why}"
            ))
        })?;
        out.push(Accepted {
            event,
            payload,
            source,
        });
    }
    Ok(out)
}

/// Test hook: stop the re-fold after this many batches, as if the process died there.
pub type StopAfter = Option<u64>;

/// Loads the checkpoint and folds every logged batch past it.
pub(crate) fn recover(
    conn: &mut Connection,
    published: &Arc<Published>,
    settings: &StoreSettings,
    stop_after: StopAfter,
) -> Result<Recovered> {
    backfill_intake_zones(conn)?;
    let through = derived_through(conn)?;
    let mut st = load_checkpoint(conn, through)?;
    let mut since = SinceCheckpoint::default();
    let batches = logged_batches(conn, through)?;
    let (mut refolded_batches, mut refolded_events) = (0u64, 0u64);
    for b in &batches {
        if stop_after.is_some_and(|n| refolded_batches >= n) {
            return Err(AggError::InjectedCrash(
                crate::error::CrashPoint::DuringRecovery,
            ));
        }
        let events = logged_events(conn, b.id)?;
        let fresh: Vec<&Accepted> = events.iter().collect();
        crate::state_load::load_evicted(conn, &mut st, &fresh)?;
        for a in &fresh {
            st.seen.insert(id_hash(&a.event.event_id));
        }
        st.next_batch_id = b.id;
        let mut out = BatchOutcome {
            batch_id: b.id,
            messages: b.messages,
            applied: fresh.len() as u64,
            duplicates: b.duplicates,
            dead_letters: b.dead_letters.clone(),
            ..BatchOutcome::default()
        };
        let update = fold_and_install(
            &mut st,
            &mut since,
            published,
            &fresh,
            &mut out,
            settings,
            b.committed_at,
        );
        update.apply();
        refolded_batches += 1;
        refolded_events += fresh.len() as u64;
    }
    st.next_batch_id = conn.query_row(NEXT_BATCH, [], |r| r.get(0))?;
    let mut stmt = conn.prepare(OFFSETS)?;
    let offsets = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    st.counters.offsets = offsets;
    published.set_counters(Arc::new(st.counters.clone()));
    Ok(Recovered {
        st,
        since,
        refolded_batches,
        refolded_events,
    })
}
