//! The serving index: the committed aggregates, mirrored in memory for the reads a ChildStat
//! session makes all day (current values and histories).
//!
//! DuckDB stays the record. The index is loaded from the last checkpoint when a read pool is
//! first asked for (`serving_load.rs`), and each folded batch's own ledger rows are applied
//! to it before the commit generation moves, so a read through the index sees exactly the
//! folded state. Every
//! whole-day sum is kept for all time (a few hundred bytes per zone and day); single ledger
//! rows, needed only to cut a day at an instant, are kept from `detail_from` on. A read that
//! would need rows older than that goes to SQL (`queries.rs`, `history.rs`), which the
//! property tests check against the same recomputation.
//!
//! Why: on five years of history a current read is five DuckDB statements, each scanning
//! row groups of a ledger that is not ordered by time (about 25 ms); here it is a walk over
//! a few thousand in-memory cells (see `docs/benchmarks.md`).

use crate::delta::Segment;
use childstat_core::event::{Role, WorkerStatus};
use childstat_core::{DayNum, Indicator, Ts, WorkerState};
use std::collections::{BTreeMap, HashMap};

pub(crate) const N: usize = Indicator::ALL.len();
pub(crate) type Sums = [(i64, i64); N];

/// Ledger rows are kept for days no older than this many days before the newest `now`.
/// The longest window is 91 days, so current values with `as_of` up to a month back are
/// answered from memory.
pub const DETAIL_DAYS: u32 = 124;
/// The horizon moves in steps, so that rows are dropped a week at a time, not every batch.
const DETAIL_STEP: DayNum = 7;

/// The key under which every zone's rows are pooled again: citywide reads touch one set of
/// cells, not twenty-one. No zone code is empty.
pub(crate) const CITY: &str = "";

pub(crate) fn slot(ind: Indicator) -> usize {
    ind as usize
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Row {
    pub at: Ts,
    pub slot: u8,
    pub num: i64,
    pub den: i64,
}

#[derive(Default)]
pub(crate) struct DayCell {
    pub sums: Sums,
    /// Contributions exactly at the day's first instant.
    pub at_start: Option<Box<Sums>>,
    /// Every row of the day, from `detail_from` on.
    pub rows: Vec<Row>,
}

/// A worker's caseload as steps: from `at` on, the load is the step's value.
#[derive(Default)]
pub(crate) struct WorkerLoad {
    pub steps: Vec<(Ts, i64)>,
}

impl WorkerLoad {
    /// Merges time-ordered deltas into the steps in one pass.
    pub(crate) fn merge(&mut self, deltas: &[(Ts, i64)]) {
        let mut out: Vec<(Ts, i64)> = Vec::with_capacity(self.steps.len() + deltas.len());
        let (mut i, mut j, mut old, mut added) = (0, 0, 0i64, 0i64);
        loop {
            let t = match (self.steps.get(i), deltas.get(j)) {
                (None, None) => break,
                (Some(s), None) => s.0,
                (None, Some(d)) => d.0,
                (Some(s), Some(d)) => s.0.min(d.0),
            };
            if let Some(s) = self.steps.get(i).filter(|s| s.0 == t) {
                old = s.1;
                i += 1;
            }
            while let Some(d) = deltas.get(j).filter(|d| d.0 == t) {
                added += d.1;
                j += 1;
            }
            let v = old + added;
            if out.last().map_or(0, |l| l.1) != v {
                out.push((t, v));
            }
        }
        self.steps = out;
    }

    #[cfg(test)]
    fn at(&self, t: Ts) -> i64 {
        let i = self.steps.partition_point(|s| s.0 <= t);
        i.checked_sub(1).map_or(0, |i| self.steps[i].1)
    }
}

/// An active-CPS span `[start, end)` in `zone`.
pub(crate) struct ZoneSpan {
    pub zone: String,
    pub start: Ts,
    pub end: Ts,
}

pub struct ServingIndex {
    pub(crate) cal: childstat_core::Calendar,
    pub(crate) detail_from: DayNum,
    /// `None` keeps every row: the property tests use it.
    detail_days: Option<u32>,
    pub(crate) zones: BTreeMap<String, BTreeMap<DayNum, DayCell>>,
    pub(crate) loads: HashMap<String, WorkerLoad>,
    pub(crate) spans: HashMap<String, Vec<ZoneSpan>>,
}

impl ServingIndex {
    /// An empty index keeping single rows from `detail_from` on (`None`: `detail_days`
    /// before `now`).
    pub(crate) fn empty(
        cal: childstat_core::Calendar,
        detail_days: Option<u32>,
        detail_from: Option<DayNum>,
        now: Ts,
    ) -> ServingIndex {
        ServingIndex {
            cal,
            detail_from: detail_from.unwrap_or_else(|| horizon(&cal, detail_days, now)),
            detail_days,
            zones: BTreeMap::new(),
            loads: HashMap::new(),
            spans: HashMap::new(),
        }
    }

    /// Applies `f` to the zone's cell for `day` and to the citywide one.
    pub(crate) fn update(&mut self, zone: &str, day: DayNum, f: impl Fn(&mut DayCell)) {
        for key in [zone, CITY] {
            let days = match self.zones.get_mut(key) {
                Some(days) => days,
                None => self.zones.entry(key.to_string()).or_default(),
            };
            f(days.entry(day).or_default());
        }
    }

    /// Applies one folded batch: its ledger rows, caseload deltas and the new spans of the
    /// workers it touched.
    pub(crate) fn apply(&mut self, seg: &Segment, now: Ts) {
        // A batch's rows fall on few days: one time-zone conversion per day, not per row.
        let mut day_starts: HashMap<DayNum, Ts> = HashMap::new();
        for r in &seg.ledger {
            let s = slot(r.indicator);
            let cal = self.cal;
            let start = *day_starts
                .entry(r.day)
                .or_insert_with(|| cal.start_of_day(r.day));
            let keep_row = r.day >= self.detail_from;
            self.update(&r.zone, r.day, |cell| {
                cell.sums[s].0 += r.num;
                cell.sums[s].1 += r.den;
                if r.at == start {
                    let a = cell.at_start.get_or_insert_with(Box::default);
                    a[s].0 += r.num;
                    a[s].1 += r.den;
                }
                if keep_row {
                    cell.rows.push(Row {
                        at: r.at,
                        slot: s as u8,
                        num: r.num,
                        den: r.den,
                    });
                }
            });
        }
        // Ordered by (worker, at): each worker's deltas arrive in time order.
        let mut deltas: Vec<(Ts, i64)> = Vec::new();
        let mut iter = seg.caseload.iter().peekable();
        while let Some((w, at, d)) = iter.next() {
            deltas.push((*at, *d));
            if iter.peek().is_none_or(|(next, _, _)| next != w) {
                self.loads.entry(w.clone()).or_default().merge(&deltas);
                deltas.clear();
            }
        }
        for (id, w) in &seg.workers {
            self.set_spans(id, w);
        }
        self.advance(now);
    }

    /// Replaces a worker's active-CPS spans with those of its state `w`.
    pub(crate) fn set_spans(&mut self, id: &str, w: &WorkerState) {
        let spans: Vec<ZoneSpan> = w
            .spans()
            .filter(|(ch, _, _)| ch.role == Role::Cps && ch.status == WorkerStatus::Active)
            .map(|(ch, start, end)| ZoneSpan {
                zone: ch.zone.clone(),
                start,
                end,
            })
            .collect();
        if spans.is_empty() {
            self.spans.remove(id);
        } else {
            self.spans.insert(id.to_string(), spans);
        }
    }

    /// Heap bytes the index holds (cells, rows, load steps and spans), without allocator
    /// overhead.
    pub fn approx_bytes(&self) -> usize {
        use std::mem::size_of;
        let cells: usize = self
            .zones
            .values()
            .flat_map(|days| days.values())
            .map(|c| {
                size_of::<(DayNum, DayCell)>()
                    + c.at_start.as_ref().map_or(0, |_| size_of::<Sums>())
                    + c.rows.capacity() * size_of::<Row>()
            })
            .sum();
        let loads: usize = self
            .loads
            .iter()
            .map(|(w, l)| w.len() + size_of::<WorkerLoad>() + l.steps.capacity() * 16)
            .sum();
        let spans: usize = self
            .spans
            .iter()
            .map(|(w, s)| {
                w.len()
                    + s.iter()
                        .map(|z| size_of::<ZoneSpan>() + z.zone.len())
                        .sum::<usize>()
            })
            .sum();
        cells + loads + spans
    }

    /// Drops single rows of days that fell behind the horizon; their sums stay.
    fn advance(&mut self, now: Ts) {
        let want = horizon(&self.cal, self.detail_days, now);
        if want < self.detail_from.saturating_add(DETAIL_STEP) {
            return;
        }
        for days in self.zones.values_mut() {
            for (_, cell) in days.range_mut(self.detail_from..want) {
                cell.rows = Vec::new();
            }
        }
        self.detail_from = want;
    }
}

fn horizon(cal: &childstat_core::Calendar, detail_days: Option<u32>, now: Ts) -> DayNum {
    match detail_days {
        None => DayNum::MIN,
        Some(d) => cal.day_of(now).saturating_sub(d as DayNum),
    }
}

pub(crate) fn parse_slot(name: &str) -> Option<usize> {
    Indicator::parse(name).map(slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_steps_equal_summed_deltas() {
        let mut w = WorkerLoad::default();
        w.merge(&[(Ts(10), 1), (Ts(20), 1), (Ts(30), -1)]);
        w.merge(&[(Ts(5), 2), (Ts(20), -1), (Ts(40), 3)]);
        let expect = |t: i64| -> i64 {
            [(5, 2), (10, 1), (20, 1), (30, -1), (20, -1), (40, 3)]
                .iter()
                .filter(|(a, _)| *a <= t)
                .map(|(_, d)| d)
                .sum()
        };
        for t in 0..50 {
            assert_eq!(w.at(Ts(t)), expect(t), "at {t}");
        }
        // Steps that change nothing are not kept.
        assert!(w.steps.windows(2).all(|p| p[0].1 != p[1].1));
    }
}
