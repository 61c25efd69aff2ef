//! Contributions: what one investigation (or one worker) adds to each indicator series.
//!
//! The aggregator keeps the sum of all contributions per (series, zone, local day). When an
//! event changes an investigation, the old contributions are retracted and the new ones
//! added, so the aggregate always equals a recomputation from all events.

use crate::clocks::{Clocks, REPEAT_LOOKBACK};
use crate::event::{Finding, Role, WorkerStatus};
use crate::indicator::Indicator;
use crate::state::InvState;
use crate::time::Ts;
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContribKey {
    pub indicator: Indicator,
    pub zone: String,
    pub at: Ts,
}

/// Summed contributions. Zero entries are removed, so equal maps mean equal aggregates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contribs {
    pub map: BTreeMap<ContribKey, (i64, i64)>,
}

impl Contribs {
    pub fn add(&mut self, indicator: Indicator, zone: &str, at: Ts, num: i64, den: i64) {
        if num == 0 && den == 0 {
            return;
        }
        let key = ContribKey {
            indicator,
            zone: zone.to_string(),
            at,
        };
        match self.map.entry(key) {
            Entry::Vacant(v) => {
                v.insert((num, den));
            }
            Entry::Occupied(mut o) => {
                let slot = o.get_mut();
                slot.0 += num;
                slot.1 += den;
                if *slot == (0, 0) {
                    o.remove();
                }
            }
        }
    }

    pub fn merge(&mut self, other: &Contribs, sign: i64) {
        for (k, (n, d)) in &other.map {
            self.add(k.indicator, &k.zone, k.at, n * sign, d * sign);
        }
    }

    /// `new − old` per key, in key order, leaving out keys whose sums did not change: the
    /// rows the ledger must gain. One ordered walk over both maps, with no map built.
    pub fn changes<'a>(
        old: &'a Contribs,
        new: &'a Contribs,
    ) -> impl Iterator<Item = (&'a ContribKey, i64, i64)> + 'a {
        use std::cmp::Ordering;
        let mut o = old.map.iter().peekable();
        let mut n = new.map.iter().peekable();
        std::iter::from_fn(move || loop {
            let side = match (o.peek(), n.peek()) {
                (None, None) => return None,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some((ko, _)), Some((kn, _))) => ko.cmp(kn),
            };
            let (key, num, den) = match side {
                Ordering::Less => o.next().map(|(k, v)| (k, -v.0, -v.1))?,
                Ordering::Greater => n.next().map(|(k, v)| (k, v.0, v.1))?,
                Ordering::Equal => {
                    let (_, vo) = o.next()?;
                    n.next().map(|(k, vn)| (k, vn.0 - vo.0, vn.1 - vo.1))?
                }
            };
            if (num, den) != (0, 0) {
                return Some((key, num, den));
            }
        })
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Per-worker caseload deltas: +1 when an open investigation is assigned, -1 when it stops.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseloadContribs {
    pub map: BTreeMap<(String, Ts), i64>,
}

impl CaseloadContribs {
    pub fn add(&mut self, worker: &str, at: Ts, delta: i64) {
        if delta == 0 {
            return;
        }
        match self.map.entry((worker.to_string(), at)) {
            Entry::Vacant(v) => {
                v.insert(delta);
            }
            Entry::Occupied(mut o) => {
                *o.get_mut() += delta;
                if *o.get() == 0 {
                    o.remove();
                }
            }
        }
    }

    pub fn diff(old: &CaseloadContribs, new: &CaseloadContribs) -> CaseloadContribs {
        let mut out = new.clone();
        for ((w, at), d) in &old.map {
            out.add(w, *at, -d);
        }
        out
    }
}

/// An opened investigation's receipt and the zone it was in then: where its intake and
/// repeat-report contributions are attributed. The fold keeps these for every family member,
/// so a new intake in a family can move its members' repeat flags without their states.
pub fn intake(s: &InvState) -> Option<(Ts, &str)> {
    let o = s.opening.as_ref()?;
    let r = o.received_at;
    Some((r, s.zone_at(r).unwrap_or(o.zone.as_str())))
}

/// Whether an intake received at `r` is a repeat report: another intake of the same family
/// was received in the twelve months before it.
pub fn is_repeat(r: Ts, others_received: impl IntoIterator<Item = Ts>) -> bool {
    let lookback = r.minus(REPEAT_LOOKBACK);
    others_received.into_iter().any(|t| lookback <= t && t < r)
}

/// Everything an investigation contributes. `family_received` holds the `received_at` of
/// the family's *other* investigations, for the repeat indicator.
pub fn investigation_contribs(
    s: &InvState,
    family_received: &[Ts],
    clocks: &Clocks,
) -> (Contribs, CaseloadContribs) {
    let mut c = Contribs::default();
    let mut load = CaseloadContribs::default();
    let Some(o) = s.opening.as_ref() else {
        return (c, load);
    };
    let zone_at = |t: Ts| s.zone_at(t).unwrap_or(o.zone.as_str()).to_string();
    let r = o.received_at;

    // Flow members attributed at received_at.
    let z = zone_at(r);
    c.add(Indicator::Intakes, &z, r, 1, 0);
    let repeat = is_repeat(r, family_received.iter().copied());
    c.add(Indicator::RepeatWithin12mRate, &z, r, i64::from(repeat), 1);
    if o.after_hours || s.contacts.iter().any(|x| x.by_ecs) {
        c.add(Indicator::EcsInvolved, &z, r, 1, 0);
    }

    // Deadline clocks, attributed at the deadline.
    let first_contact = s.first_contact();
    for (ind, len, done) in [
        (Indicator::Contact24hRate, clocks.contact, first_contact),
        (
            Indicator::SafetyAssessment7dRate,
            clocks.safety_assessment,
            s.first_safety_assessment,
        ),
        (
            Indicator::Determination60dRate,
            clocks.determination,
            s.first_determination.as_ref().map(|(k, _)| k.occurred_at),
        ),
    ] {
        let deadline = r.plus(len);
        let met = done.is_some_and(|t| t <= deadline);
        c.add(ind, &zone_at(deadline), deadline, i64::from(met), 1);
    }

    // Members defined by the earliest determination.
    if let Some((key, finding)) = &s.first_determination {
        let at = key.occurred_at;
        let z = zone_at(at);
        c.add(
            Indicator::IndicationRate,
            &z,
            at,
            i64::from(*finding == Finding::Indicated),
            1,
        );
        let reviewed = s.first_supervisory_review.is_some_and(|t| t <= at);
        c.add(
            Indicator::SupervisoryReviewRate,
            &z,
            at,
            i64::from(reviewed),
            1,
        );
        let all_seen = s
            .contacts
            .iter()
            .any(|x| x.occurred_at <= at && x.children_seen >= o.children);
        c.add(
            Indicator::AllChildrenSeenRate,
            &z,
            at,
            i64::from(all_seen),
            1,
        );
    }

    for rem in &s.removals {
        c.add(
            Indicator::ChildrenRemoved,
            &zone_at(rem.occurred_at),
            rem.occurred_at,
            i64::from(rem.children),
            0,
        );
        if rem.emergency {
            let deadline = rem.occurred_at.plus(clocks.safety_conference);
            let met = s
                .safety_conferences
                .iter()
                .any(|&t| rem.occurred_at <= t && t <= deadline);
            c.add(
                Indicator::SafetyConferenceRate,
                &zone_at(deadline),
                deadline,
                i64::from(met),
                1,
            );
        }
    }

    // Point-in-time spans, each split where the zone changes.
    if let Some((open_start, open_end)) = s.open_span() {
        span(
            &mut c,
            s,
            Indicator::OpenInvestigations,
            open_start,
            open_end,
        );
        if o.heightened_oversight {
            span(
                &mut c,
                s,
                Indicator::HeightenedOversightOpen,
                open_start,
                open_end,
            );
        }
        for (ind, len, done) in [
            (Indicator::OverdueContact, clocks.contact, first_contact),
            (
                Indicator::OverdueSafetyAssessment,
                clocks.safety_assessment,
                s.first_safety_assessment,
            ),
            (
                Indicator::OverdueDetermination,
                clocks.determination,
                s.first_determination.as_ref().map(|(k, _)| k.occurred_at),
            ),
        ] {
            let start = open_start.max(r.plus(len));
            let end = open_end.min(done.unwrap_or(Ts::MAX));
            span(&mut c, s, ind, start, end);
        }
        caseload_spans(&mut load, s, open_start, open_end);
    }
    (c, load)
}

/// Adds +1 at the start and -1 at the end of `[start, end)`, per zone segment.
fn span(c: &mut Contribs, s: &InvState, ind: Indicator, start: Ts, end: Ts) {
    if start >= end {
        return;
    }
    let mut seg_start = start;
    let mut zone = s.zone_at(start).unwrap_or_default().to_string();
    for t in s.transfers.iter().map(|t| t.key.occurred_at) {
        if t <= start || t >= end {
            continue;
        }
        let next = s.zone_at(t).unwrap_or_default();
        if next != zone {
            c.add(ind, &zone, seg_start, 1, 0);
            c.add(ind, &zone, t, -1, 0);
            seg_start = t;
            zone = next.to_string();
        }
    }
    c.add(ind, &zone, seg_start, 1, 0);
    if end != Ts::MAX {
        c.add(ind, &zone, end, -1, 0);
    }
}

fn caseload_spans(load: &mut CaseloadContribs, s: &InvState, start: Ts, end: Ts) {
    let mut seg_start = start;
    let mut worker = s.worker_at(start).map(str::to_string);
    for t in s.transfers.iter().map(|t| t.key.occurred_at) {
        if t <= start || t >= end {
            continue;
        }
        let next = s.worker_at(t).map(str::to_string);
        if next != worker {
            if let Some(w) = &worker {
                load.add(w, seg_start, 1);
                load.add(w, t, -1);
            }
            seg_start = t;
            worker = next;
        }
    }
    if let Some(w) = &worker {
        load.add(w, seg_start, 1);
        if end != Ts::MAX {
            load.add(w, end, -1);
        }
    }
}

/// One worker's status history, sorted by the contract's order.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkerState {
    pub changes: Vec<WorkerChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkerChange {
    pub key: crate::state::OrderKey,
    pub role: Role,
    pub status: WorkerStatus,
    pub zone: String,
}

impl WorkerState {
    pub fn apply(&mut self, change: WorkerChange) {
        let at = self.changes.partition_point(|c| c.key <= change.key);
        self.changes.insert(at, change);
    }

    /// The worker's latest change at or before `t`.
    pub fn state_at(&self, t: Ts) -> Option<&WorkerChange> {
        let idx = self.changes.partition_point(|c| c.key.occurred_at <= t);
        idx.checked_sub(1).map(|i| &self.changes[i])
    }

    /// `[start, end)` intervals between consecutive changes, with the state in force.
    pub fn spans(&self) -> impl Iterator<Item = (&WorkerChange, Ts, Ts)> {
        self.changes.iter().enumerate().filter_map(|(i, ch)| {
            let start = ch.key.occurred_at;
            let end = self
                .changes
                .get(i + 1)
                .map_or(Ts::MAX, |n| n.key.occurred_at);
            (start < end).then_some((ch, start, end))
        })
    }

    /// Active CPS and supervisor counts, as spans between consecutive changes.
    pub fn contribs(&self) -> Contribs {
        let mut c = Contribs::default();
        for (i, ch) in self.changes.iter().enumerate() {
            let ind = match (ch.role, ch.status) {
                (Role::Cps, WorkerStatus::Active) => Indicator::ActiveCps,
                (Role::Supervisor, WorkerStatus::Active) => Indicator::ActiveSupervisors,
                _ => continue,
            };
            let start = ch.key.occurred_at;
            let end = self
                .changes
                .get(i + 1)
                .map_or(Ts::MAX, |n| n.key.occurred_at);
            if start < end {
                c.add(ind, &ch.zone, start, 1, 0);
                if end != Ts::MAX {
                    c.add(ind, &ch.zone, end, -1, 0);
                }
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_equal_new_minus_old() {
        let t = |h: i64| Ts(h * 3_600_000_000_000);
        let mut old = Contribs::default();
        old.add(Indicator::Intakes, "Z01", t(1), 1, 0);
        old.add(Indicator::Intakes, "Z02", t(1), 1, 0);
        old.add(Indicator::Contact24hRate, "Z01", t(2), 1, 1);
        let mut new = Contribs::default();
        new.add(Indicator::Intakes, "Z01", t(1), 1, 0);
        new.add(Indicator::Contact24hRate, "Z01", t(2), 0, 1);
        new.add(Indicator::Contact24hRate, "Z03", t(5), 1, 1);
        let mut expected = new.clone();
        expected.merge(&old, -1);
        let got: Vec<(ContribKey, (i64, i64))> = Contribs::changes(&old, &new)
            .map(|(k, n, d)| (k.clone(), (n, d)))
            .collect();
        assert_eq!(got, expected.map.into_iter().collect::<Vec<_>>());
        assert_eq!(got.len(), 3, "the unchanged Z01 intake is left out");
    }
}
