//! The writer's three large appends built column by column, as Arrow record batches.
//!
//! Appending row by row binds each value through duckdb-rs's parameter machinery (a vector
//! of `ToSql` outputs and owned containers per row, then one C call per value): for
//! `raw_events`' 27 columns that was a measurable share of the writer's time. Columns are
//! built here in one pass over the batch and handed to DuckDB a chunk at a time.
//!
//! Each function's columns follow its table's declared order and types exactly (migrations
//! 1 and 7), so DuckDB takes the chunks without casting.

use crate::bloom::id_hash;
use crate::error::{AggError, Result};
use crate::rawrow::RawRow;
use crate::since_checkpoint::SummedRow;
use childstat_core::{Accepted, InvState, Ts};
use duckdb::arrow::array::{
    Array, ArrayRef, BinaryBuilder, BooleanBuilder, Int32Builder, Int64Builder, StringBuilder,
    UInt64Builder,
};
use duckdb::arrow::record_batch::RecordBatch;
use std::sync::Arc;

fn col(name: &'static str, values: impl Array + 'static) -> (&'static str, ArrayRef) {
    (name, Arc::new(values))
}

fn finish(columns: Vec<(&'static str, ArrayRef)>) -> Result<RecordBatch> {
    RecordBatch::try_from_iter(columns).map_err(|e| AggError::Columns(e.to_string()))
}

fn int32(column: &'static str, v: Option<u32>) -> Result<Option<i32>> {
    v.map(|v| {
        i32::try_from(v).map_err(|_| AggError::Columns(format!("{column} = {v} overflows INTEGER")))
    })
    .transpose()
}

/// Strings of a column: capacity for `rows` values of about `bytes_each`.
fn strings(rows: usize, bytes_each: usize) -> StringBuilder {
    StringBuilder::with_capacity(rows, rows * bytes_each)
}

/// The `raw_events` rows of a batch's fresh events.
pub(crate) fn raw_events(fresh: &[&Accepted], now: Ts, batch_id: i64) -> Result<RecordBatch> {
    let n = fresh.len();
    let mut event_id = strings(n, 40);
    let mut hash = UInt64Builder::with_capacity(n);
    let mut event_type = strings(n, 24);
    let mut zone = strings(n, 4);
    let mut occurred_at = Int64Builder::with_capacity(n);
    let mut recorded_at = Int64Builder::with_capacity(n);
    let mut investigation_id = strings(n, 24);
    let mut worker_id = strings(n, 12);
    let mut supervisor_id = strings(n, 4);
    let mut family_id = strings(n, 4);
    let mut received_at = Int64Builder::with_capacity(n);
    let mut children = Int32Builder::with_capacity(n);
    let mut children_seen = Int32Builder::with_capacity(n);
    let mut kind = strings(n, 8);
    let mut outcome = strings(n, 4);
    let mut role = strings(n, 0);
    let mut status = strings(n, 0);
    let mut heightened = BooleanBuilder::with_capacity(n);
    let mut after_hours = BooleanBuilder::with_capacity(n);
    let mut by_ecs = BooleanBuilder::with_capacity(n);
    let mut emergency = BooleanBuilder::with_capacity(n);
    let mut payload = strings(n, 360);
    let mut source_topic = strings(n, 16);
    let mut source_partition = Int32Builder::with_capacity(n);
    let mut source_offset = Int64Builder::with_capacity(n);
    let mut arrived_at = Int64Builder::with_capacity(n);
    let mut batch = Int64Builder::with_capacity(n);
    let mut seq = Int32Builder::with_capacity(n);
    for (i, a) in fresh.iter().enumerate() {
        let r = RawRow::of(a);
        let e = &a.event;
        event_id.append_value(&e.event_id);
        hash.append_value(id_hash(&e.event_id));
        event_type.append_value(e.event_type().as_str());
        zone.append_value(&e.zone);
        occurred_at.append_value(e.occurred_at.0);
        recorded_at.append_value(e.recorded_at.0);
        investigation_id.append_option(r.investigation_id);
        worker_id.append_option(r.worker_id);
        supervisor_id.append_option(r.supervisor_id);
        family_id.append_option(r.family_id);
        received_at.append_option(r.received_at);
        children.append_option(int32("children", r.children)?);
        children_seen.append_option(int32("children_seen", r.children_seen)?);
        kind.append_option(r.kind);
        outcome.append_option(r.outcome);
        role.append_option(r.role);
        status.append_option(r.status);
        heightened.append_option(r.heightened);
        after_hours.append_option(r.after_hours);
        by_ecs.append_option(r.by_ecs);
        emergency.append_option(r.emergency);
        payload.append_value(&a.payload);
        source_topic.append_value(&a.source.topic);
        source_partition.append_value(a.source.partition);
        source_offset.append_value(a.source.offset);
        arrived_at.append_value(now.0);
        batch.append_value(batch_id);
        seq.append_value(
            i32::try_from(i).map_err(|_| AggError::Columns("batch too large".into()))?,
        );
    }
    finish(vec![
        col("event_id", event_id.finish()),
        col("id_hash", hash.finish()),
        col("event_type", event_type.finish()),
        col("zone", zone.finish()),
        col("occurred_at", occurred_at.finish()),
        col("recorded_at", recorded_at.finish()),
        col("investigation_id", investigation_id.finish()),
        col("worker_id", worker_id.finish()),
        col("supervisor_id", supervisor_id.finish()),
        col("family_id", family_id.finish()),
        col("received_at", received_at.finish()),
        col("children", children.finish()),
        col("children_seen", children_seen.finish()),
        col("kind", kind.finish()),
        col("outcome", outcome.finish()),
        col("role", role.finish()),
        col("status", status.finish()),
        col("flag_heightened", heightened.finish()),
        col("flag_after_hours", after_hours.finish()),
        col("flag_by_ecs", by_ecs.finish()),
        col("flag_emergency", emergency.finish()),
        col("payload", payload.finish()),
        col("source_topic", source_topic.finish()),
        col("source_partition", source_partition.finish()),
        col("source_offset", source_offset.finish()),
        col("arrived_at", arrived_at.finish()),
        col("batch_id", batch.finish()),
        col("batch_seq", seq.finish()),
    ])
}

/// The `investigations` rows (staged, then merged) of a checkpoint's dirty states.
pub(crate) fn investigations(invs: &[(&str, &InvState)]) -> Result<RecordBatch> {
    let n = invs.len();
    let mut id = strings(n, 24);
    let mut family_id = strings(n, 12);
    let mut zone = strings(n, 4);
    let mut received_at = Int64Builder::with_capacity(n);
    let mut opened = BooleanBuilder::with_capacity(n);
    let mut state = BinaryBuilder::with_capacity(n, n * 160);
    let mut closed_at = Int64Builder::with_capacity(n);
    let mut intake_zone = strings(n, 4);
    let mut encoded = Vec::with_capacity(256);
    for (inv, s) in invs {
        let o = s.opening.as_ref();
        id.append_value(inv);
        family_id.append_option(o.map(|o| o.family_id.as_str()));
        zone.append_option(s.zone_at(Ts::MAX));
        received_at.append_option(o.map(|o| o.received_at.0));
        opened.append_value(o.is_some());
        encoded.clear();
        childstat_core::encode_inv_state_into(s, &mut encoded)?;
        state.append_value(&encoded);
        closed_at.append_option(s.first_closed.map(|t| t.0));
        intake_zone.append_option(childstat_core::contrib::intake(s).map(|(_, z)| z));
    }
    finish(vec![
        col("investigation_id", id.finish()),
        col("family_id", family_id.finish()),
        col("zone", zone.finish()),
        col("received_at", received_at.finish()),
        col("opened", opened.finish()),
        col("state", state.finish()),
        col("closed_at", closed_at.finish()),
        col("intake_zone", intake_zone.finish()),
    ])
}

/// The `contrib_ledger` rows of a checkpoint, tagged with the last batch it covers.
pub(crate) fn ledger(rows: &[SummedRow<'_>], batch_id: i64) -> Result<RecordBatch> {
    let n = rows.len();
    let mut indicator = strings(n, 24);
    let mut zone = strings(n, 4);
    let mut at = Int64Builder::with_capacity(n);
    let mut day = Int32Builder::with_capacity(n);
    let mut num = Int64Builder::with_capacity(n);
    let mut den = Int64Builder::with_capacity(n);
    let mut batch = Int64Builder::with_capacity(n);
    for r in rows {
        indicator.append_value(r.indicator.name());
        zone.append_value(r.zone);
        at.append_value(r.at.0);
        day.append_value(r.day);
        num.append_value(r.num);
        den.append_value(r.den);
        batch.append_value(batch_id);
    }
    finish(vec![
        col("indicator", indicator.finish()),
        col("zone", zone.finish()),
        col("at_ns", at.finish()),
        col("day", day.finish()),
        col("num", num.finish()),
        col("den", den.finish()),
        col("batch_id", batch.finish()),
    ])
}

/// Appends a worker's status spans as `worker_spans` rows (the table, or a reader's copy of
/// its shape).
pub(crate) fn append_worker_spans(
    app: &mut duckdb::Appender<'_>,
    id: &str,
    w: &childstat_core::WorkerState,
) -> Result<()> {
    for (ch, start, end) in w.spans() {
        app.append_row(duckdb::params![
            id,
            ch.role.as_str(),
            ch.status.as_str(),
            ch.zone,
            start.0,
            end.0
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use childstat_core::{decode, DecodeLimits, Indicator, Source, ZoneSet};
    use duckdb::arrow::datatypes::DataType;
    use duckdb::Connection;

    const OPENED: &str = r#"{"v":1,"event_id":"e-1","type":"investigation_opened","occurred_at":"2026-03-01T09:30:00-05:00","zone":"Z07","investigation_id":"INV-1","received_at":"2026-03-01T14:00:00Z","family_id":"FAM-1","children":2,"worker_id":"W-1","supervisor_id":"S-1","heightened_oversight":true}"#;
    const CONTACT: &str = r#"{"v":1,"event_id":"e-2","type":"contact_made","occurred_at":"2026-03-02T09:30:00-05:00","zone":"Z07","investigation_id":"INV-1","kind":"home_visit","children_seen":1}"#;
    const REMOVAL: &str = r#"{"v":1,"event_id":"e-3","type":"removal","occurred_at":"2026-03-03T09:30:00-05:00","zone":"Z07","investigation_id":"INV-1","children":1,"emergency":true}"#;
    const WORKER: &str = r#"{"v":1,"event_id":"e-4","type":"worker_status_changed","occurred_at":"2026-03-04T09:30:00-05:00","zone":"Z07","worker_id":"W-1","role":"supervisor","status":"on_leave"}"#;

    fn accepted(json: &str, offset: i64) -> Accepted {
        let now = Ts::parse_rfc3339("2026-03-08T12:00:00Z").expect("instant");
        let event = decode(
            json.as_bytes(),
            &ZoneSet::standard(),
            &DecodeLimits::default(),
            now,
        )
        .expect("a valid fixture");
        Accepted {
            event,
            payload: json.to_string(),
            source: Source {
                topic: "case-events".into(),
                partition: 3,
                offset,
            },
        }
    }

    fn events() -> Vec<Accepted> {
        [OPENED, CONTACT, REMOVAL, WORKER]
            .iter()
            .enumerate()
            .map(|(i, j)| accepted(j, 100 + i as i64))
            .collect()
    }

    fn migrated() -> Connection {
        let mut conn = Connection::open_in_memory().expect("duckdb");
        crate::schema::migrate(&mut conn).expect("migrations");
        conn
    }

    fn duckdb_type(t: &DataType) -> &'static str {
        match t {
            DataType::Utf8 => "VARCHAR",
            DataType::UInt64 => "UBIGINT",
            DataType::Int64 => "BIGINT",
            DataType::Int32 => "INTEGER",
            DataType::Boolean => "BOOLEAN",
            DataType::Binary => "BLOB",
            other => panic!("no column of ours is {other}"),
        }
    }

    fn ledger_rows() -> Vec<SummedRow<'static>> {
        vec![SummedRow {
            indicator: Indicator::ALL[0],
            zone: "Z07",
            at: Ts(1_772_000_000_000_000_000),
            day: 20_510,
            num: -1,
            den: 1,
        }]
    }

    fn states() -> Vec<(&'static str, InvState)> {
        let fresh = events();
        let mut s = InvState::default();
        for a in &fresh[..3] {
            s.apply(&a.event, Ts(5));
        }
        vec![("INV-1", s), ("INV-2", InvState::default())]
    }

    fn state_refs<'a>(states: &'a [(&'static str, InvState)]) -> Vec<(&'static str, &'a InvState)> {
        states.iter().map(|(id, s)| (*id, s)).collect()
    }

    /// Each batch's columns have its table's names and types in the table's order, so
    /// DuckDB appends the chunks as they are, with no cast.
    #[test]
    fn columns_are_their_tables_own() {
        let conn = migrated();
        let fresh = events();
        let refs: Vec<&Accepted> = fresh.iter().collect();
        let batches = [
            ("raw_events", raw_events(&refs, Ts(7), 9).expect("raw")),
            (
                "investigations",
                investigations(&state_refs(&states())).expect("states"),
            ),
            ("contrib_ledger", ledger(&ledger_rows(), 9).expect("ledger")),
        ];
        for (table, batch) in batches {
            let mut stmt = conn
                .prepare(
                    "SELECT column_name, data_type FROM information_schema.columns \
                     WHERE table_name = ? ORDER BY ordinal_position",
                )
                .expect("prepare");
            let declared: Vec<(String, String)> = stmt
                .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            let ours: Vec<(String, String)> = batch
                .schema()
                .fields()
                .iter()
                .map(|f| (f.name().clone(), duckdb_type(f.data_type()).to_string()))
                .collect();
            assert_eq!(ours, declared, "{table}");
        }
    }

    /// What goes in comes back: values, NULLs where an event type lacks a field, the
    /// unsigned hash, and the binary state.
    #[test]
    fn appended_rows_read_back() {
        let conn = migrated();
        let fresh = events();
        let refs: Vec<&Accepted> = fresh.iter().collect();
        let mut app = conn.appender("raw_events").expect("appender");
        app.append_record_batch(raw_events(&refs, Ts(7), 9).expect("raw"))
            .expect("append");
        app.flush().expect("flush");
        drop(app);
        type Row = (
            String,
            u64,
            String,
            Option<String>,
            Option<i32>,
            Option<i32>,
            Option<bool>,
            Option<bool>,
            Option<String>,
            String,
            i32,
            i64,
            i64,
            i64,
        );
        let mut stmt = conn
            .prepare(
                "SELECT event_id, id_hash, event_type, worker_id, children, children_seen, \
                 flag_heightened, flag_emergency, role, payload, source_partition, source_offset, \
                 arrived_at, batch_id FROM raw_events ORDER BY source_offset",
            )
            .expect("prepare");
        let rows: Vec<Row> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                ))
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows.len(), 4);
        let (
            id,
            hash,
            ty,
            worker,
            children,
            seen,
            heightened,
            emergency,
            role,
            payload,
            p,
            o,
            at,
            b,
        ) = rows[0].clone();
        assert_eq!(
            (id.as_str(), hash, ty.as_str()),
            ("e-1", id_hash("e-1"), "investigation_opened")
        );
        assert_eq!(
            (worker.as_deref(), children, seen),
            (Some("W-1"), Some(2), None)
        );
        assert_eq!((heightened, emergency, role), (Some(true), None, None));
        assert_eq!((payload.as_str(), p, o, at, b), (OPENED, 3, 100, 7, 9));
        assert_eq!((rows[1].5, rows[1].4), (Some(1), None));
        assert_eq!((rows[2].4, rows[2].7), (Some(1), Some(true)));
        assert_eq!(
            (rows[3].3.as_deref(), rows[3].8.as_deref()),
            (Some("W-1"), Some("supervisor"))
        );

        let want = states();
        let mut app = conn.appender("investigations").expect("appender");
        app.append_record_batch(investigations(&state_refs(&want)).expect("states"))
            .expect("append");
        app.flush().expect("flush");
        drop(app);
        let mut stmt = conn
            .prepare("SELECT investigation_id, opened, zone, state FROM investigations ORDER BY 1")
            .expect("prepare");
        let got: Vec<(String, bool, Option<String>, Vec<u8>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].1, got[0].2.as_deref()), (true, Some("Z07")));
        assert_eq!((got[1].1, got[1].2.as_deref()), (false, None));
        for ((id, _, _, stored), (want_id, want_state)) in got.iter().zip(&want) {
            let decoded = childstat_core::decode_inv_state(stored).expect("decodes");
            assert_eq!((id.as_str(), &decoded), (*want_id, want_state));
        }
    }
}
