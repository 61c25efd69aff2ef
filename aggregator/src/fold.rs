//! Folding a batch into new states and the ledger rows that bring the aggregates up to date.
//! Pure: reads the fold state, returns what the batch changes; `FoldState::install` takes it.
//!
//! For each investigation the batch touches, its contributions to every indicator are
//! computed from its old and new state (`core::contrib`), and the difference becomes ledger
//! rows. The repeat-within-12-months flag of an intake also depends on the family's other
//! intakes, so when a family gains, loses or moves an intake, each untouched relative's
//! flag is recomputed from the family index (receipt and intake zone), without its state.

use crate::fold_state::{FoldState, Member};
use childstat_core::contrib::Contribs;
use childstat_core::contrib::{intake, investigation_contribs, is_repeat, CaseloadContribs};
use childstat_core::state::OrderKey;
use childstat_core::time::{NANOS_PER_DAY, NANOS_PER_HOUR};
use childstat_core::{
    Accepted, Applied, Body, Calendar, Clocks, DayNum, Indicator, InvState, Ts, WorkerChange,
    WorkerState,
};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerRow {
    pub indicator: Indicator,
    pub zone: String,
    pub at: Ts,
    pub day: DayNum,
    pub num: i64,
    pub den: i64,
}

#[derive(Default)]
pub struct Folded {
    /// New states of the investigations the batch touched.
    pub invs: BTreeMap<String, InvState>,
    pub workers: BTreeMap<String, WorkerState>,
    pub ledger: Vec<LedgerRow>,
    pub caseload: CaseloadContribs,
    /// Events held for a missing opening, by the zone they carried.
    pub held: BTreeMap<String, u64>,
    pub ignored_openings: u64,
    /// Events by how far behind the watermark they were (`outcome::LATE_BUCKETS`).
    pub late: [u64; 4],
    /// The watermark after the batch.
    pub watermark: Option<Ts>,
    pub max_occurred: Option<Ts>,
}

fn family_of(s: Option<&InvState>) -> Option<&str> {
    s.and_then(|s| s.opening.as_ref())
        .map(|o| o.family_id.as_str())
}

/// One family's intakes after the batch: (id, receipt, intake zone).
type NewView<'a> = Vec<(&'a str, Ts, &'a str)>;

pub fn fold_batch(
    st: &FoldState,
    fresh: &[&Accepted],
    clocks: &Clocks,
    cal: &Calendar,
    now: Ts,
) -> Folded {
    let mut out = Folded {
        watermark: st.watermark,
        ..Folded::default()
    };
    for a in fresh {
        let e = &a.event;
        lateness(&mut out, e.occurred_at);
        match &e.body {
            Body::WorkerStatusChanged {
                worker_id,
                role,
                status,
            } => {
                let w = out
                    .workers
                    .entry(worker_id.clone())
                    .or_insert_with(|| st.workers.get(worker_id).cloned().unwrap_or_default());
                w.apply(WorkerChange {
                    key: OrderKey::of(e),
                    role: *role,
                    status: *status,
                    zone: e.zone.clone(),
                });
            }
            body => {
                let Some(id) = body.investigation_id() else {
                    continue;
                };
                let s = out
                    .invs
                    .entry(id.to_string())
                    .or_insert_with(|| st.invs.get(id).cloned().unwrap_or_default());
                match s.apply(e, now) {
                    Applied::Applied => {}
                    Applied::Held => *out.held.entry(e.zone.clone()).or_insert(0) += 1,
                    Applied::IgnoredOpening => out.ignored_openings += 1,
                }
            }
        }
    }

    let mut ledger = Vec::new();
    let mut load_diff = CaseloadContribs::default();
    let (old_view, new_view) = family_views(st, &out.invs);
    for (f, old) in &old_view {
        let new = &new_view[f];
        for m in old.iter().filter(|m| !out.invs.contains_key(&*m.id)) {
            let others_old = old.iter().filter(|o| o.id != m.id).map(|o| o.received_at);
            let others_new = new.iter().filter(|o| o.0 != &*m.id).map(|o| o.1);
            let (before, after) = (
                is_repeat(m.received_at, others_old),
                is_repeat(m.received_at, others_new),
            );
            if before != after {
                ledger.push(LedgerRow {
                    indicator: Indicator::RepeatWithin12mRate,
                    zone: m.zone.to_string(),
                    at: m.received_at,
                    day: cal.day_of(m.received_at),
                    num: i64::from(after) - i64::from(before),
                    den: 0,
                });
            }
        }
    }
    for (id, new) in &out.invs {
        let old = st.invs.get(id);
        let others_old: Vec<Ts> = family_of(old)
            .and_then(|f| old_view.get(f))
            .map(|m| {
                m.iter()
                    .filter(|m| &*m.id != id)
                    .map(|m| m.received_at)
                    .collect()
            })
            .unwrap_or_default();
        let others_new: Vec<Ts> = family_of(Some(new))
            .and_then(|f| new_view.get(f))
            .map(|m| m.iter().filter(|m| m.0 != id).map(|m| m.1).collect())
            .unwrap_or_default();
        let (old_c, old_l) = match old {
            Some(s) => investigation_contribs(s, &others_old, clocks),
            None => Default::default(),
        };
        let (new_c, new_l) = investigation_contribs(new, &others_new, clocks);
        push_diff(&mut ledger, &old_c, &new_c, cal);
        for ((w, at), n) in &new_l.map {
            load_diff.add(w, *at, *n);
        }
        for ((w, at), n) in &old_l.map {
            load_diff.add(w, *at, -n);
        }
    }
    for (id, w) in &out.workers {
        let old = st
            .workers
            .get(id)
            .map(WorkerState::contribs)
            .unwrap_or_default();
        push_diff(&mut ledger, &old, &w.contribs(), cal);
    }
    out.ledger = ledger;
    out.caseload = load_diff;
    out
}

fn lateness(out: &mut Folded, t: Ts) {
    if let Some(w) = out.watermark.filter(|w| t < *w) {
        let bucket = match w.since(t).0 {
            b if b < NANOS_PER_HOUR => 0,
            b if b < NANOS_PER_DAY => 1,
            b if b < 7 * NANOS_PER_DAY => 2,
            _ => 3,
        };
        out.late[bucket] += 1;
    }
    out.watermark = Some(out.watermark.map_or(t, |w| w.max(t)));
    out.max_occurred = Some(out.max_occurred.map_or(t, |m| m.max(t)));
}

/// Appends `new − old` to the ledger. Both are one investigation's or worker's few
/// contributions: summing a whole batch's differences into one map first (string keys, tens
/// of thousands of them) took a third of the fold. Rows of different investigations may share
/// a key; every reader sums.
fn push_diff(ledger: &mut Vec<LedgerRow>, old: &Contribs, new: &Contribs, cal: &Calendar) {
    ledger.extend(
        Contribs::changes(old, new).map(|(key, num, den)| LedgerRow {
            day: cal.day_of(key.at),
            indicator: key.indicator,
            zone: key.zone.clone(),
            at: key.at,
            num,
            den,
        }),
    );
}

/// Every family the batch touches, with its intakes before (the family index) and after.
fn family_views<'a>(
    st: &'a FoldState,
    changed: &'a BTreeMap<String, InvState>,
) -> (
    BTreeMap<&'a str, &'a [Member]>,
    BTreeMap<&'a str, NewView<'a>>,
) {
    let mut families: BTreeSet<&str> = BTreeSet::new();
    let mut joined: BTreeMap<&str, NewView<'a>> = BTreeMap::new();
    for (id, new) in changed {
        families.extend(family_of(st.invs.get(id)));
        if let (Some(f), Some((r, zone))) = (family_of(Some(new)), intake(new)) {
            families.insert(f);
            joined.entry(f).or_default().push((id.as_str(), r, zone));
        }
    }
    let mut old_view = BTreeMap::new();
    let mut new_view = BTreeMap::new();
    for f in families {
        let before: &[Member] = st.families.get(f).map_or(&[], Vec::as_slice);
        let mut after: NewView<'a> = before
            .iter()
            .filter(|m| !changed.contains_key(&*m.id))
            .map(|m| (&*m.id, m.received_at, &*m.zone))
            .collect();
        after.extend(joined.remove(f).unwrap_or_default());
        old_view.insert(f, before);
        new_view.insert(f, after);
    }
    (old_view, new_view)
}
