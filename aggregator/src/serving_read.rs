//! Reads answered by the serving index, as functions of it. Each mirrors its SQL twin in `queries.rs`,
//! `history.rs` and `caseload_read.rs` statement for statement, and returns `None` where it
//! would need ledger rows older than the index keeps.

use crate::buckets::{bucket_sums, evaluations, flow_days, HistoryPoint};
use crate::serving::{slot, DayCell, ServingIndex, Sums, CITY, N};
use childstat_core::indicator::{Kind, Value};
use childstat_core::{Caseload, DayNum, Dur, Indicator, IndicatorValue, Ts};
use chrono::NaiveDate;
use std::collections::BTreeMap;

fn is_flow(s: usize) -> bool {
    Indicator::ALL[s].kind() == Kind::Flow
}

/// Slots of the flow and of the ledger point-in-time indicators, in two lists.
fn slots_by_kind() -> (Vec<usize>, Vec<usize>) {
    (0..N)
        .filter(|s| Indicator::ALL[*s].is_ledger())
        .partition(|s| is_flow(*s))
}

fn add_rows(sums: &mut Sums, cell: &DayCell, keep: impl Fn(usize, Ts) -> bool) {
    for r in &cell.rows {
        let s = usize::from(r.slot);
        if keep(s, r.at) {
            sums[s].0 += r.num;
            sums[s].1 += r.den;
        }
    }
}

/// The cells of `zone`, or the pooled citywide ones: at most one map, as an iterator so
/// that the reads below stay a sum over zones.
fn days_of<'a>(
    ix: &'a ServingIndex,
    zone: Option<&str>,
) -> impl Iterator<Item = &'a BTreeMap<DayNum, DayCell>> + 'a {
    ix.zones.get(zone.unwrap_or(CITY)).into_iter()
}

/// Every indicator for `zone` (`None` = citywide), as `queries::current_on` computes it.
pub(crate) fn current(
    ix: &ServingIndex,
    zone: Option<&str>,
    window: Dur,
    as_of: Ts,
    threshold: i64,
) -> Option<Vec<IndicatorValue>> {
    let lo = as_of.minus(window);
    let (d_lo, d_hi) = (ix.cal.day_of(lo), ix.cal.day_of(as_of));
    if d_lo.min(d_hi) < ix.detail_from {
        return None;
    }
    let mut sums: Sums = [(0, 0); N];
    let (flows, pits) = slots_by_kind();
    for days in days_of(ix, zone) {
        if d_lo < d_hi {
            for (_, c) in days.range(d_lo + 1..d_hi) {
                for &s in &flows {
                    sums[s].0 += c.sums[s].0;
                    sums[s].1 += c.sums[s].1;
                }
            }
            if let Some(c) = days.get(&d_lo) {
                add_rows(&mut sums, c, |s, at| is_flow(s) && at > lo);
            }
        }
        for (_, c) in days.range(..d_hi) {
            for &s in &pits {
                sums[s].0 += c.sums[s].0;
            }
        }
        if let Some(c) = days.get(&d_hi) {
            add_rows(&mut sums, c, |s, at| {
                at <= as_of && (!is_flow(s) || at > lo)
            });
        }
    }
    let load = caseloads(ix, zone, &[as_of], threshold)
        .pop()
        .unwrap_or_default();
    Some(
        Indicator::ALL
            .iter()
            .map(|&ind| {
                load.value(ind).unwrap_or_else(|| {
                    let (n, d) = sums[slot(ind)];
                    let d = if ind.kind() == Kind::Flow { d } else { 0 };
                    IndicatorValue::from_sums(ind, n, d)
                })
            })
            .collect(),
    )
}

/// One indicator's history over the buckets `[starts[i], ends[i])`, as
/// `ReadPool::history` computes it.
pub(crate) fn history(
    ix: &ServingIndex,
    zone: Option<&str>,
    ind: Indicator,
    starts: &[NaiveDate],
    ends: &[NaiveDate],
    as_of: Ts,
    threshold: i64,
) -> Option<Vec<HistoryPoint>> {
    let values: Vec<IndicatorValue> = match (ind.kind(), ind.value()) {
        (Kind::Flow, _) => flow_history(ix, zone, ind, starts, ends, as_of)?,
        (Kind::PointInTime, Value::Caseload) => {
            let instants = evaluations(&ix.cal, ends, as_of);
            caseloads(ix, zone, &instants, threshold)
                .into_iter()
                .map(|c| {
                    c.value(ind)
                        .unwrap_or_else(|| IndicatorValue::from_sums(ind, 0, 0))
                })
                .collect()
        }
        (Kind::PointInTime, _) => pit_history(ix, zone, ind, ends, as_of)?,
    };
    Some(
        starts
            .iter()
            .zip(values)
            .map(|(s, value)| HistoryPoint {
                bucket_start: *s,
                value,
            })
            .collect(),
    )
}

fn flow_history(
    ix: &ServingIndex,
    zone: Option<&str>,
    ind: Indicator,
    starts: &[NaiveDate],
    ends: &[NaiveDate],
    as_of: Ts,
) -> Option<Vec<IndicatorValue>> {
    let (Some(first), Some(last)) = (starts.first(), ends.last()) else {
        return Some(Vec::new());
    };
    let s = slot(ind);
    let days = flow_days(&ix.cal, ind, *first, *last, as_of);
    let (d0, day_end) = days.whole;
    if days.partial.is_some_and(|d| d < ix.detail_from) {
        return None;
    }
    let mut per_day: Vec<(DayNum, (i64, i64))> = Vec::new();
    for cells in days_of(ix, zone) {
        if d0 < day_end {
            per_day.extend(cells.range(d0..day_end).map(|(d, c)| (*d, c.sums[s])));
        }
        if let Some(c) = days.partial.and_then(|d| cells.get(&d).map(|c| (d, c))) {
            let mut part: Sums = [(0, 0); N];
            add_rows(&mut part, c.1, |rs, at| rs == s && at <= as_of);
            per_day.push((c.0, part[s]));
        }
    }
    let sums = bucket_sums(starts, per_day);
    Some(
        sums.into_iter()
            .map(|(n, d)| IndicatorValue::from_sums(ind, n, d))
            .collect(),
    )
}

fn pit_history(
    ix: &ServingIndex,
    zone: Option<&str>,
    ind: Indicator,
    ends: &[NaiveDate],
    as_of: Ts,
) -> Option<Vec<IndicatorValue>> {
    let s = slot(ind);
    let evals = evaluations(&ix.cal, ends, as_of);
    let days: Vec<(DayNum, bool)> = evals
        .iter()
        .map(|t| {
            let d = ix.cal.day_of(*t);
            (d, ix.cal.start_of_day(d) == *t)
        })
        .collect();
    if days
        .iter()
        .any(|(d, midnight)| !midnight && *d < ix.detail_from)
    {
        return None;
    }
    let mut totals = vec![0i64; evals.len()];
    for cells in days_of(ix, zone) {
        // Evaluation days never decrease, so one walk over the cells gives every
        // "all whole days before" sum.
        let mut walk = cells.iter().peekable();
        let mut before = 0i64;
        for (k, (day, midnight)) in days.iter().enumerate() {
            while let Some((_, c)) = walk.next_if(|(d, _)| *d < day) {
                before += c.sums[s].0;
            }
            let partial = match cells.get(day) {
                None => 0,
                Some(c) if *midnight => c.at_start.as_ref().map_or(0, |a| a[s].0),
                Some(c) => {
                    let mut part: Sums = [(0, 0); N];
                    add_rows(&mut part, c, |rs, at| rs == s && at <= evals[k]);
                    part[s].0
                }
            };
            totals[k] += before + partial;
        }
    }
    Some(
        totals
            .into_iter()
            .map(|n| IndicatorValue::from_sums(ind, n, 0))
            .collect(),
    )
}

/// Caseload figures for `zone` at each of `instants` (ascending), with the semantics
/// of `childstat_core::caseload_sweep`: a worker counts once per instant if any of its
/// active-CPS spans in the zone covers it.
pub(crate) fn caseloads(
    ix: &ServingIndex,
    zone: Option<&str>,
    instants: &[Ts],
    threshold: i64,
) -> Vec<Caseload> {
    let mut out = vec![Caseload::default(); instants.len()];
    let (Some(&first), Some(&last)) = (instants.first(), instants.last()) else {
        return out;
    };
    for (worker, spans) in &ix.spans {
        let spans: Vec<(Ts, Ts)> = spans
            .iter()
            .filter(|s| zone.is_none_or(|z| z == s.zone) && s.start <= last && s.end > first)
            .map(|s| (s.start, s.end))
            .collect();
        let (Some(lo), Some(hi)) = (
            spans.iter().map(|s| s.0).min(),
            spans.iter().map(|s| s.1).max(),
        ) else {
            continue;
        };
        let from = instants.partition_point(|t| *t < lo);
        let to = instants.partition_point(|t| *t < hi);
        if from >= to {
            continue;
        }
        let steps = ix.loads.get(worker).map_or(&[][..], |l| &l.steps[..]);
        let mut next = steps.partition_point(|s| s.0 <= instants[from]);
        for k in from..to {
            let t = instants[k];
            if !spans.iter().any(|(s, e)| *s <= t && t < *e) {
                continue;
            }
            while steps.get(next).is_some_and(|s| s.0 <= t) {
                next += 1;
            }
            let n = next.checked_sub(1).map_or(0, |i| steps[i].1);
            let c = &mut out[k];
            c.active_cps += 1;
            c.total += n;
            c.max = Some(c.max.map_or(n, |m| m.max(n)));
            c.over_threshold += i64::from(n > threshold);
        }
    }
    out
}
