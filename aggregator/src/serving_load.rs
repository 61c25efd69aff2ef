//! Loading the serving index (`serving.rs`) from the last checkpoint's tables. The store
//! writes a checkpoint before it loads one, so the tables hold everything folded.

use crate::error::Result;
use crate::serving::{parse_slot, Row, ServingIndex, ZoneSpan};
use childstat_core::{DayNum, Ts};
use duckdb::{params, Connection};

const LOAD_DAYS: &str = "SELECT zone, day, indicator, num, den FROM day_sums";
const LOAD_DETAIL: &str =
    "SELECT zone, day, indicator, at_ns, num, den FROM contrib_ledger WHERE day >= ?";
/// Rows exactly at a local midnight before the horizon: a point-in-time value at midnight
/// counts them. `$2` lists the midnights as a BIGINT[] literal.
const LOAD_AT_MIDNIGHT: &str = "
    SELECT zone, day, indicator, sum(num)::BIGINT, sum(den)::BIGINT
    FROM contrib_ledger
    WHERE day < $1 AND at_ns IN (SELECT unnest($2::BIGINT[]))
    GROUP BY ALL";
const LOAD_DAY_RANGE: &str = "SELECT min(day), max(day) FROM contrib_ledger WHERE day < ?";
const LOAD_LOADS: &str = "
    SELECT worker_id, at_ns, sum(delta)::BIGINT FROM caseload_ledger
    GROUP BY ALL ORDER BY worker_id, at_ns";
const LOAD_SPANS: &str = "
    SELECT worker_id, zone, start_ns, end_ns FROM worker_spans
    WHERE role = 'cps' AND status = 'active'";

/// Reads the checkpointed aggregates from `conn`.
pub(crate) fn load(
    conn: &Connection,
    cal: childstat_core::Calendar,
    detail_days: Option<u32>,
    detail_from: Option<DayNum>,
    now: Ts,
) -> Result<ServingIndex> {
    let mut ix = ServingIndex::empty(cal, detail_days, detail_from, now);
    let detail_from = ix.detail_from;
    let mut stmt = conn.prepare(LOAD_DAYS)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        if let Some(s) = parse_slot(&r.get::<_, String>(2)?) {
            let (n, d) = (r.get::<_, i64>(3)?, r.get::<_, i64>(4)?);
            ix.update(&r.get::<_, String>(0)?, r.get(1)?, |cell| {
                cell.sums[s].0 += n;
                cell.sums[s].1 += d;
            });
        }
    }
    let mut stmt = conn.prepare(LOAD_DETAIL)?;
    let mut rows = stmt.query([detail_from])?;
    while let Some(r) = rows.next()? {
        if let Some(s) = parse_slot(&r.get::<_, String>(2)?) {
            let (day, at) = (r.get::<_, DayNum>(1)?, Ts(r.get(3)?));
            let (num, den) = (r.get::<_, i64>(4)?, r.get::<_, i64>(5)?);
            let start = ix.cal.start_of_day(day);
            ix.update(&r.get::<_, String>(0)?, day, |cell| {
                cell.rows.push(Row {
                    at,
                    slot: s as u8,
                    num,
                    den,
                });
                if at == start {
                    let a = cell.at_start.get_or_insert_with(Box::default);
                    a[s].0 += num;
                    a[s].1 += den;
                }
            });
        }
    }
    let range: (Option<DayNum>, Option<DayNum>) =
        conn.query_row(LOAD_DAY_RANGE, [detail_from], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    if let (Some(lo), Some(hi)) = range {
        let list = format!(
            "[{}]",
            (lo..=hi)
                .map(|d| ix.cal.start_of_day(d).0.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut stmt = conn.prepare(LOAD_AT_MIDNIGHT)?;
        let mut rows = stmt.query(params![detail_from, list])?;
        while let Some(r) = rows.next()? {
            if let Some(s) = parse_slot(&r.get::<_, String>(2)?) {
                let (n, d) = (r.get::<_, i64>(3)?, r.get::<_, i64>(4)?);
                ix.update(&r.get::<_, String>(0)?, r.get(1)?, |cell| {
                    let a = cell.at_start.get_or_insert_with(Box::default);
                    a[s].0 += n;
                    a[s].1 += d;
                });
            }
        }
    }
    let mut stmt = conn.prepare(LOAD_LOADS)?;
    let mut rows = stmt.query([])?;
    let mut current: Option<(String, Vec<(Ts, i64)>)> = None;
    while let Some(r) = rows.next()? {
        let w: String = r.get(0)?;
        if current.as_ref().is_none_or(|c| c.0 != w) {
            if let Some((w, d)) = current.take() {
                ix.loads.entry(w).or_default().merge(&d);
            }
            current = Some((w, Vec::new()));
        }
        if let Some(c) = current.as_mut() {
            c.1.push((Ts(r.get(1)?), r.get(2)?));
        }
    }
    if let Some((w, d)) = current {
        ix.loads.entry(w).or_default().merge(&d);
    }
    let mut stmt = conn.prepare(LOAD_SPANS)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        ix.spans.entry(r.get(0)?).or_default().push(ZoneSpan {
            zone: r.get(1)?,
            start: Ts(r.get(2)?),
            end: Ts(r.get(3)?),
        });
    }
    Ok(ix)
}
