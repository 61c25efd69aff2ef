//! What the fold derived since the last checkpoint and DuckDB does not hold yet: ledger and
//! caseload contributions summed by key, and how much has gathered. The checkpoint writes
//! them in bulk and starts a new one.
//!
//! Summing by key is exact (every reader sums the ledger) and shrinks the write: an
//! investigation touched five times between checkpoints retracts and re-adds its deadline
//! contributions each time, and only the net change reaches the ledger.

use crate::fold::LedgerRow;
use childstat_core::{Calendar, CaseloadContribs, DayNum, Indicator, Ts};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

#[derive(Default)]
pub struct SinceCheckpoint {
    zones: Vec<String>,
    zone_ix: HashMap<String, u16>,
    ledger: HashMap<(Indicator, u16, Ts), (i64, i64)>,
    caseload: HashMap<String, BTreeMap<Ts, i64>>,
    /// Events and batches folded since the last checkpoint.
    pub events: u64,
    pub batches: u64,
    /// The last batch folded, if any since the checkpoint.
    pub through: Option<i64>,
    /// When the first batch since the checkpoint was folded.
    pub since: Option<Instant>,
}

/// One summed ledger key, ready to write.
pub struct SummedRow<'a> {
    pub indicator: Indicator,
    pub zone: &'a str,
    pub at: Ts,
    pub day: DayNum,
    pub num: i64,
    pub den: i64,
}

impl SinceCheckpoint {
    fn zone(&mut self, z: &str) -> u16 {
        if let Some(i) = self.zone_ix.get(z) {
            return *i;
        }
        let i = self.zones.len() as u16;
        self.zones.push(z.to_string());
        self.zone_ix.insert(z.to_string(), i);
        i
    }

    /// Adds one folded batch.
    pub fn add(
        &mut self,
        batch_id: i64,
        events: u64,
        ledger: &[LedgerRow],
        caseload: &CaseloadContribs,
    ) {
        for r in ledger {
            let z = self.zone(&r.zone);
            let e = self.ledger.entry((r.indicator, z, r.at)).or_insert((0, 0));
            e.0 += r.num;
            e.1 += r.den;
        }
        for ((w, at), d) in &caseload.map {
            let per = match self.caseload.get_mut(w.as_str()) {
                Some(p) => p,
                None => self.caseload.entry(w.clone()).or_default(),
            };
            *per.entry(*at).or_insert(0) += d;
        }
        self.events += events;
        self.batches += 1;
        self.through = Some(batch_id);
        self.since.get_or_insert_with(Instant::now);
    }

    pub fn is_empty(&self) -> bool {
        self.batches == 0
    }

    /// The ledger's net rows, zeros left out, in key order (so a checkpoint's rows are
    /// written in time order within each series).
    pub fn ledger_rows(&self, cal: &Calendar) -> Vec<SummedRow<'_>> {
        let mut rows: Vec<SummedRow<'_>> = self
            .ledger
            .iter()
            .filter(|(_, v)| **v != (0, 0))
            .map(|(&(indicator, z, at), &(num, den))| SummedRow {
                indicator,
                zone: &self.zones[usize::from(z)],
                at,
                day: cal.day_of(at),
                num,
                den,
            })
            .collect();
        rows.sort_unstable_by(|a, b| {
            (a.day, a.at, a.indicator, a.zone).cmp(&(b.day, b.at, b.indicator, b.zone))
        });
        rows
    }

    /// The caseload deltas, zeros left out: (worker, at, delta) by worker and time.
    pub fn caseload_rows(&self) -> Vec<(&str, Ts, i64)> {
        let mut out: Vec<(&str, Ts, i64)> = self
            .caseload
            .iter()
            .flat_map(|(w, m)| {
                m.iter()
                    .filter(|(_, d)| **d != 0)
                    .map(move |(at, d)| (w.as_str(), *at, *d))
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// Whether the policy says a checkpoint is due now.
    pub fn due(&self, policy: &crate::settings::CheckpointPolicy) -> bool {
        !self.is_empty()
            && (self.events >= policy.events
                || self.since.is_some_and(|s| s.elapsed() >= policy.interval))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use childstat_core::Calendar;

    fn row(at: i64, num: i64) -> LedgerRow {
        LedgerRow {
            indicator: Indicator::Intakes,
            zone: "Z01".into(),
            at: Ts(at),
            day: 0,
            num,
            den: 0,
        }
    }

    #[test]
    fn retractions_cancel_and_keys_sum() {
        let cal = Calendar::new(chrono_tz::UTC);
        let mut s = SinceCheckpoint::default();
        s.add(1, 2, &[row(5, 1), row(7, 1)], &CaseloadContribs::default());
        s.add(2, 1, &[row(5, -1), row(7, 2)], &CaseloadContribs::default());
        let rows = s.ledger_rows(&cal);
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].at, rows[0].num), (Ts(7), 3));
        assert_eq!((s.events, s.batches, s.through), (3, 2, Some(2)));
    }
}
