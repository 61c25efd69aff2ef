//! History by SQL: the read path for buckets the serving index cannot cut (single ledger
//! rows older than its horizon). Reads the `*_now` views (`delta_tables.rs`).

use crate::buckets::{bucket_sums, evaluations, flow_days, HistoryPoint};
use crate::error::Result;
use crate::settings::StoreSettings;
use childstat_core::indicator::{Kind, Value};
use childstat_core::{Calendar, DayNum, Indicator, IndicatorValue, Ts};
use chrono::NaiveDate;
use duckdb::{params, Connection};
use std::collections::HashMap;

const HISTORY_DAYS: &str = include_str!("../sql/history_days.sql");
const LEDGER_RANGE: &str = include_str!("../sql/history_ledger_range.sql");
const LEDGER_INSTANTS: &str = include_str!("../sql/history_ledger_instants.sql");

/// One indicator's history over the buckets `[starts[i], ends[i])`, by SQL.
pub(crate) fn history_on(
    conn: &Connection,
    settings: &StoreSettings,
    zone: Option<&str>,
    ind: Indicator,
    starts: &[NaiveDate],
    ends: &[NaiveDate],
    as_of: Ts,
) -> Result<Vec<HistoryPoint>> {
    let cal = settings.calendar;
    match (ind.kind(), ind.value()) {
        (Kind::Flow, _) => flow_history(conn, &cal, zone, ind, starts, ends, as_of),
        (Kind::PointInTime, Value::Caseload) => {
            let instants = evaluations(&cal, ends, as_of);
            let loads = crate::caseload_read::caseloads_on(conn, settings, zone, &instants)?;
            Ok(starts
                .iter()
                .zip(loads)
                .map(|(s, load)| HistoryPoint {
                    bucket_start: *s,
                    value: load
                        .value(ind)
                        .unwrap_or_else(|| IndicatorValue::from_sums(ind, 0, 0)),
                })
                .collect())
        }
        (Kind::PointInTime, _) => pit_history(conn, &cal, zone, ind, starts, ends, as_of),
    }
}

fn flow_history(
    conn: &Connection,
    cal: &Calendar,
    zone: Option<&str>,
    ind: Indicator,
    starts: &[NaiveDate],
    ends: &[NaiveDate],
    as_of: Ts,
) -> Result<Vec<HistoryPoint>> {
    let (Some(first), Some(last)) = (starts.first(), ends.last()) else {
        return Ok(Vec::new());
    };
    let days = flow_days(cal, ind, *first, *last, as_of);
    let (d0, day_end) = days.whole;
    let mut per_day: HashMap<DayNum, (i64, i64)> = HashMap::new();
    let mut stmt = conn.prepare_cached(HISTORY_DAYS)?;
    let mut rows = stmt.query(params![ind.name(), zone, d0, day_end])?;
    while let Some(r) = rows.next()? {
        per_day.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
    }
    if let Some(day) = days.partial {
        let mut stmt = conn.prepare_cached(LEDGER_RANGE)?;
        let part: (i64, i64) = stmt.query_row(
            params![ind.name(), zone, cal.start_of_day(day).0, as_of.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        per_day.insert(day, part);
    }
    let sums = bucket_sums(starts, per_day);
    Ok(starts
        .iter()
        .zip(sums)
        .map(|(s, (n, d))| HistoryPoint {
            bucket_start: *s,
            value: IndicatorValue::from_sums(ind, n, d),
        })
        .collect())
}

fn pit_history(
    conn: &Connection,
    cal: &Calendar,
    zone: Option<&str>,
    ind: Indicator,
    starts: &[NaiveDate],
    ends: &[NaiveDate],
    as_of: Ts,
) -> Result<Vec<HistoryPoint>> {
    let evals = evaluations(cal, ends, as_of);
    let Some(max_day) = evals.iter().map(|t| cal.day_of(*t)).max() else {
        return Ok(Vec::new());
    };
    // Everything before the last evaluation day, per day, then running sums.
    let mut per_day: Vec<(DayNum, i64)> = Vec::new();
    let mut stmt = conn.prepare_cached(HISTORY_DAYS)?;
    let mut rows = stmt.query(params![ind.name(), zone, DayNum::MIN, max_day])?;
    while let Some(r) = rows.next()? {
        per_day.push((r.get(0)?, r.get(1)?));
    }
    per_day.sort_unstable();
    let mut prefix = Vec::with_capacity(per_day.len());
    let mut acc = 0i64;
    for (d, n) in &per_day {
        acc += n;
        prefix.push((*d, acc));
    }
    let before = |day: DayNum| {
        let i = prefix.partition_point(|(d, _)| *d < day);
        i.checked_sub(1).map_or(0, |i| prefix[i].1)
    };
    // Midnight evaluations need the ledger exactly at that instant; as_of needs its day.
    let midnights: Vec<i64> = evals
        .iter()
        .filter(|t| cal.start_of_day(cal.day_of(**t)) == **t)
        .map(|t| t.0)
        .collect();
    let mut at_instant: HashMap<i64, i64> = HashMap::new();
    if !midnights.is_empty() {
        let list = format!(
            "[{}]",
            midnights
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut stmt = conn.prepare_cached(LEDGER_INSTANTS)?;
        let mut rows = stmt.query(params![ind.name(), zone, list])?;
        while let Some(r) = rows.next()? {
            at_instant.insert(r.get(0)?, r.get(1)?);
        }
    }
    let mut out = Vec::with_capacity(starts.len());
    for (s, t) in starts.iter().zip(&evals) {
        let day = cal.day_of(*t);
        let partial = if cal.start_of_day(day) == *t {
            at_instant.get(&t.0).copied().unwrap_or(0)
        } else {
            let mut stmt = conn.prepare_cached(LEDGER_RANGE)?;
            stmt.query_row(
                params![ind.name(), zone, cal.start_of_day(day).0, t.0],
                |r| r.get::<_, i64>(0),
            )?
        };
        out.push(HistoryPoint {
            bucket_start: *s,
            value: IndicatorValue::from_sums(ind, before(day) + partial, 0),
        });
    }
    Ok(out)
}
