//! History: one value per local day, ISO week or month bucket.
//!
//! Flow indicators take the bucket as their range (deadline-based members only once due at
//! `as_of`); point-in-time indicators are evaluated at the bucket's end, or at `as_of` when
//! that end is later.

use crate::error::Result;
use crate::reader::ReadPool;
use childstat_core::calendar::day_num;
use childstat_core::indicator::{Kind, Value};
use childstat_core::{Calendar, DayNum, Indicator, IndicatorValue, Step, Ts};
use chrono::NaiveDate;
use duckdb::params;
use std::collections::HashMap;

const HISTORY_DAYS: &str = include_str!("../sql/history_days.sql");
const LEDGER_RANGE: &str = include_str!("../sql/history_ledger_range.sql");
const LEDGER_INSTANTS: &str = include_str!("../sql/history_ledger_instants.sql");

#[derive(Clone, Debug, PartialEq)]
pub struct HistoryPoint {
    pub bucket_start: NaiveDate,
    pub value: IndicatorValue,
}

/// Which days a flow history reads: whole days `[whole.0, whole.1)` from the day sums, and,
/// for deadline-based members (which exist only once due), `as_of`'s own day cut at `as_of`.
pub(crate) struct FlowDays {
    pub whole: (DayNum, DayNum),
    pub partial: Option<DayNum>,
}

pub(crate) fn flow_days(
    cal: &Calendar,
    ind: Indicator,
    first: NaiveDate,
    last: NaiveDate,
    as_of: Ts,
) -> FlowDays {
    let (d0, d1) = (day_num(first), day_num(last));
    let d_asof = cal.day_of(as_of);
    if ind.is_due_based() {
        FlowDays {
            whole: (d0, d1.min(d_asof)),
            partial: (d0 <= d_asof && d_asof < d1).then_some(d_asof),
        }
    } else {
        FlowDays {
            whole: (d0, d1),
            partial: None,
        }
    }
}

/// Per-day sums added into the buckets that start at `starts`.
pub(crate) fn bucket_sums(
    starts: &[NaiveDate],
    per_day: impl IntoIterator<Item = (DayNum, (i64, i64))>,
) -> Vec<(i64, i64)> {
    let start_days: Vec<DayNum> = starts.iter().map(|d| day_num(*d)).collect();
    let mut sums = vec![(0i64, 0i64); starts.len()];
    for (day, (n, d)) in per_day {
        let i = start_days.partition_point(|s| *s <= day);
        if let Some(slot) = i.checked_sub(1).and_then(|i| sums.get_mut(i)) {
            slot.0 += n;
            slot.1 += d;
        }
    }
    sums
}

/// Where each bucket's point-in-time value is taken: its end, or `as_of` when that is earlier.
pub(crate) fn evaluations(cal: &Calendar, ends: &[NaiveDate], as_of: Ts) -> Vec<Ts> {
    ends.iter()
        .map(|e| cal.start_of_date(*e).min(as_of))
        .collect()
}

impl ReadPool {
    pub fn history(
        &self,
        zone: Option<&str>,
        ind: Indicator,
        from: NaiveDate,
        to: NaiveDate,
        step: Step,
        as_of: Ts,
    ) -> Result<Vec<HistoryPoint>> {
        let cal = self.settings().calendar;
        let starts = cal.buckets(from, to, step);
        let ends: Vec<NaiveDate> = starts
            .iter()
            .map(|s| cal.next_bucket_date(*s, step))
            .collect();
        if let Some(points) = self
            .serving()
            .and_then(|ix| ix.history(zone, ind, &starts, &ends, as_of, self.threshold()))
        {
            return Ok(points);
        }
        match (ind.kind(), ind.value()) {
            (Kind::Flow, _) => self.flow_history(zone, ind, &starts, &ends, as_of),
            (Kind::PointInTime, Value::Caseload) => {
                let instants = evaluations(&cal, &ends, as_of);
                let loads = crate::caseload_read::caseloads_on(
                    &self.get(),
                    self.settings(),
                    zone,
                    &instants,
                )?;
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
            (Kind::PointInTime, _) => self.pit_history(zone, ind, &starts, &ends, as_of),
        }
    }

    fn flow_history(
        &self,
        zone: Option<&str>,
        ind: Indicator,
        starts: &[NaiveDate],
        ends: &[NaiveDate],
        as_of: Ts,
    ) -> Result<Vec<HistoryPoint>> {
        let cal = self.settings().calendar;
        let (Some(first), Some(last)) = (starts.first(), ends.last()) else {
            return Ok(Vec::new());
        };
        let days = flow_days(&cal, ind, *first, *last, as_of);
        let (d0, day_end) = days.whole;
        let conn = self.get();
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
        &self,
        zone: Option<&str>,
        ind: Indicator,
        starts: &[NaiveDate],
        ends: &[NaiveDate],
        as_of: Ts,
    ) -> Result<Vec<HistoryPoint>> {
        let cal = self.settings().calendar;
        let evals = evaluations(&cal, ends, as_of);
        let Some(max_day) = evals.iter().map(|t| cal.day_of(*t)).max() else {
            return Ok(Vec::new());
        };
        let conn = self.get();
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
}
