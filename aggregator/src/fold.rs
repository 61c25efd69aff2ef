//! Folding a batch into new states and the ledger rows that bring the aggregates up to date.
//! Pure: reads the current memory, returns what the batch changes.

use crate::memory::Memory;
use crate::store::StoreSettings;
use childstat_core::contrib::{investigation_contribs, CaseloadContribs, Contribs};
use childstat_core::state::OrderKey;
use childstat_core::{
    Accepted, Applied, Body, Calendar, DayNum, Indicator, InvState, Ts, WorkerChange, WorkerState,
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
}

fn family_of(s: Option<&InvState>) -> Option<&str> {
    s.and_then(|s| s.opening.as_ref())
        .map(|o| o.family_id.as_str())
}

pub fn fold_batch(
    mem: &Memory,
    fresh: &[&Accepted],
    settings: &crate::store::StoreSettings,
    now: Ts,
) -> Folded {
    let mut out = Folded::default();
    for a in fresh {
        let e = &a.event;
        match &e.body {
            Body::WorkerStatusChanged {
                worker_id,
                role,
                status,
            } => {
                let w = out
                    .workers
                    .entry(worker_id.clone())
                    .or_insert_with(|| mem.workers.get(worker_id).cloned().unwrap_or_default());
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
                    .or_insert_with(|| mem.invs.get(id).cloned().unwrap_or_default());
                match s.apply(e, now) {
                    Applied::Applied => {}
                    Applied::Held => *out.held.entry(e.zone.clone()).or_insert(0) += 1,
                    Applied::IgnoredOpening => out.ignored_openings += 1,
                }
            }
        }
    }

    let cal = &settings.calendar;
    let mut load_diff = CaseloadContribs::default();
    let (old_view, new_view) = family_views(mem, &out.invs);
    let mut recompute: BTreeSet<&str> = out.invs.keys().map(String::as_str).collect();
    for members in old_view.values().chain(new_view.values()) {
        recompute.extend(members.iter().map(|(id, _)| id.as_str()));
    }
    for id in recompute {
        let old = mem.invs.get(id);
        let new = out.invs.get(id).or(old);
        let (old_c, old_l) = contribs_in(old, id, &old_view, settings);
        let (new_c, new_l) = contribs_in(new, id, &new_view, settings);
        push_diff(&mut out.ledger, &old_c, &new_c, cal);
        for ((w, at), n) in &new_l.map {
            load_diff.add(w, *at, *n);
        }
        for ((w, at), n) in &old_l.map {
            load_diff.add(w, *at, -n);
        }
    }
    for (id, w) in &out.workers {
        let old = mem
            .workers
            .get(id)
            .map(WorkerState::contribs)
            .unwrap_or_default();
        push_diff(&mut out.ledger, &old, &w.contribs(), cal);
    }
    out.caseload = load_diff;
    out
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

type FamilyView<'a> = BTreeMap<&'a str, Vec<(String, Ts)>>;

/// Membership of every family the batch touches, before and after it.
fn family_views<'a>(
    mem: &'a Memory,
    changed: &'a BTreeMap<String, InvState>,
) -> (FamilyView<'a>, FamilyView<'a>) {
    // One pass over the changed investigations, grouped by family: a batch touches thousands
    // of investigations and families, so pairing every family with every change is too slow.
    let mut joined: BTreeMap<&str, Vec<(String, Ts)>> = BTreeMap::new();
    let mut families: BTreeSet<&str> = BTreeSet::new();
    for (id, new) in changed {
        families.extend(family_of(mem.invs.get(id)));
        if let Some(o) = new.opening.as_ref() {
            families.insert(o.family_id.as_str());
            joined
                .entry(o.family_id.as_str())
                .or_default()
                .push((id.clone(), o.received_at));
        }
    }
    let mut old_view = FamilyView::new();
    let mut new_view = FamilyView::new();
    for f in families {
        let before = mem.families.get(f).cloned().unwrap_or_default();
        let mut after: Vec<(String, Ts)> = before
            .iter()
            .filter(|(id, _)| !changed.contains_key(id))
            .cloned()
            .collect();
        after.extend(joined.remove(f).unwrap_or_default());
        old_view.insert(f, before);
        new_view.insert(f, after);
    }
    (old_view, new_view)
}

fn contribs_in(
    s: Option<&InvState>,
    id: &str,
    view: &FamilyView<'_>,
    settings: &StoreSettings,
) -> (Contribs, CaseloadContribs) {
    let Some(s) = s else {
        return Default::default();
    };
    let others: Vec<Ts> = family_of(Some(s))
        .and_then(|f| view.get(f))
        .map(|m| m.iter().filter(|(m, _)| m != id).map(|(_, t)| *t).collect())
        .unwrap_or_default();
    investigation_contribs(s, &others, &settings.clocks)
}
