//! Statistical sanity: the stream looks like a city's child-protection caseload.

use childstat_core::event::{Finding, Role, WorkerStatus};
use childstat_core::{Body, Dur, Event, Ts};
use childstat_sim::{SimConfig, SimMessage, Simulator};
use std::collections::{BTreeMap, HashMap};

#[derive(Default)]
struct Inv {
    zone: String,
    received: Ts,
    children: u32,
    first_contact: Option<Ts>,
    safety: Option<Ts>,
    determination: Option<(Ts, Finding)>,
    review: Option<Ts>,
    seen_all: Option<Ts>,
    removal: Option<(Ts, bool)>,
    conference: Vec<Ts>,
    transfers: Vec<String>,
    worker: String,
    closed: bool,
}

#[derive(Default)]
struct Tally {
    messages: usize,
    duplicates: usize,
    invalid: usize,
    valid: usize,
    after_hours: usize,
    heightened: usize,
    late_1d: usize,
    late_7d: usize,
    notes: usize,
    orphans_in_waiting: usize,
    invs: HashMap<String, Inv>,
    /// Tasks seen before their opening, waiting for it.
    waiting: HashMap<String, Vec<Event>>,
    workers: HashMap<String, (String, Role, WorkerStatus)>,
    last: Ts,
}

impl Tally {
    fn run(cfg: SimConfig, n: usize) -> Tally {
        let mut t = Tally::default();
        for msg in Simulator::new(cfg).take(n) {
            t.messages += 1;
            t.last = msg.publish_time();
            match msg {
                SimMessage::Valid { event, .. } => {
                    t.valid += 1;
                    t.apply(event);
                }
                SimMessage::Duplicate { .. } => t.duplicates += 1,
                SimMessage::Invalid { .. } => t.invalid += 1,
            }
        }
        t
    }

    fn apply(&mut self, e: Event) {
        let lag = e.recorded_at.since(e.occurred_at);
        if !matches!(
            e.body,
            Body::InvestigationOpened(_) | Body::WorkerStatusChanged { .. }
        ) {
            self.notes += 1;
            if lag >= Dur::days(1) {
                self.late_1d += 1;
            }
            if lag >= Dur::days(7) {
                self.late_7d += 1;
            }
        }
        match &e.body {
            Body::WorkerStatusChanged {
                worker_id,
                role,
                status,
            } => {
                self.workers
                    .insert(worker_id.clone(), (e.zone.clone(), *role, *status));
            }
            Body::InvestigationOpened(o) => {
                self.after_hours += usize::from(o.after_hours);
                self.heightened += usize::from(o.heightened_oversight);
                let inv = Inv {
                    zone: e.zone.clone(),
                    received: o.received_at,
                    children: o.children,
                    worker: o.worker_id.clone(),
                    ..Inv::default()
                };
                self.invs.insert(o.investigation_id.clone(), inv);
                for w in self.waiting.remove(&o.investigation_id).unwrap_or_default() {
                    self.task(w);
                }
            }
            _ => {
                let id = e.body.investigation_id().unwrap_or_default().to_string();
                if self.invs.contains_key(&id) {
                    self.task(e);
                } else {
                    self.orphans_in_waiting += 1;
                    self.waiting.entry(id).or_default().push(e);
                }
            }
        }
    }

    fn task(&mut self, e: Event) {
        let Some(inv) = e
            .body
            .investigation_id()
            .and_then(|id| self.invs.get_mut(id))
        else {
            return;
        };
        let t = e.occurred_at;
        let earliest = |slot: &mut Option<Ts>| *slot = Some(slot.map_or(t, |s| s.min(t)));
        match e.body {
            Body::ContactMade { children_seen, .. } => {
                earliest(&mut inv.first_contact);
                if children_seen >= inv.children {
                    earliest(&mut inv.seen_all);
                }
            }
            Body::SafetyAssessmentCompleted { .. } => earliest(&mut inv.safety),
            Body::SupervisoryReviewCompleted { .. } => earliest(&mut inv.review),
            Body::DeterminationMade { finding, .. }
                if inv.determination.is_none_or(|(d, _)| t < d) =>
            {
                inv.determination = Some((t, finding));
            }
            Body::Removal { emergency, .. } => inv.removal = Some((t, emergency)),
            Body::ConferenceHeld { kind, .. } if kind.as_str() == "child_safety" => {
                inv.conference.push(t)
            }
            Body::InvestigationTransferred { worker_id, .. } => {
                inv.transfers.push(e.zone.clone());
                inv.worker = worker_id;
            }
            Body::InvestigationClosed { .. } => inv.closed = true,
            _ => {}
        }
    }

    fn opened(&self) -> usize {
        self.invs.len()
    }

    /// Per zone (met, due) for a clock, over investigations old enough to have settled.
    fn rate_by_zone(
        &self,
        deadline: Dur,
        settle: Dur,
        done: impl Fn(&Inv) -> Option<Ts>,
    ) -> BTreeMap<String, (usize, usize)> {
        let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for inv in self.invs.values() {
            if inv.received.plus(deadline).plus(settle) > self.last {
                continue;
            }
            let e = out.entry(inv.zone.clone()).or_default();
            e.1 += 1;
            if done(inv).is_some_and(|t| t <= inv.received.plus(deadline)) {
                e.0 += 1;
            }
        }
        out
    }
}

fn share(a: usize, b: usize) -> f64 {
    a as f64 / b.max(1) as f64
}

fn spread(rates: &BTreeMap<String, (usize, usize)>, min_due: usize) -> (f64, f64) {
    let r: Vec<f64> = rates
        .values()
        .filter(|(_, d)| *d >= min_due)
        .map(|(m, d)| share(*m, *d))
        .collect();
    let lo = r.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo, hi)
}

#[test]
fn a_hundred_thousand_messages_look_realistic() {
    let cfg = SimConfig {
        seed: 2026,
        duplicate_fraction: 0.01,
        invalid_fraction: 0.005,
        ..SimConfig::default()
    };
    let t = Tally::run(cfg, 100_000);

    let after = share(t.after_hours, t.opened());
    assert!((0.4..0.6).contains(&after), "after-hours share {after}");
    let dup = share(t.duplicates, t.messages);
    assert!((0.007..0.013).contains(&dup), "duplicate share {dup}");
    let inv = share(t.invalid, t.messages);
    assert!((0.003..0.007).contains(&inv), "invalid share {inv}");
    assert!(
        t.orphans_in_waiting > 20,
        "orphans in waiting {}",
        t.orphans_in_waiting
    );
    let ho = share(t.heightened, t.opened());
    assert!((0.015..0.045).contains(&ho), "heightened oversight {ho}");

    let late = share(t.late_1d, t.notes);
    assert!((0.07..0.14).contains(&late), "notes a day late {late}");
    let very_late = share(t.late_7d, t.notes);
    assert!(
        (0.003..0.02).contains(&very_late),
        "notes a week late {very_late}"
    );

    let contact = t.rate_by_zone(Dur::hours(24), Dur::days(8), |i| i.first_contact);
    let (lo, hi) = spread(&contact, 100);
    assert!(
        lo >= 0.7 && hi <= 1.0 && hi - lo > 0.05,
        "contact 24h rates {lo}..{hi}"
    );

    let active_cps = t
        .workers
        .values()
        .filter(|(_, r, s)| *r == Role::Cps && *s == WorkerStatus::Active)
        .count();
    assert!(
        (900..1_400).contains(&active_cps),
        "active CPS {active_cps}"
    );
}

#[test]
fn repeat_reports_spread_over_many_small_families() {
    let mut sizes: HashMap<String, usize> = HashMap::new();
    let mut opened = 0usize;
    for msg in Simulator::new(SimConfig {
        seed: 7,
        ..SimConfig::default()
    })
    .take(200_000)
    {
        if let SimMessage::Valid { event, .. } = msg {
            if let Body::InvestigationOpened(o) = event.body {
                opened += 1;
                *sizes.entry(o.family_id).or_default() += 1;
            }
        }
    }
    let largest = sizes.values().copied().max().unwrap_or(0);
    let repeats = opened - sizes.len();
    // About a fifth of reports are repeats, and no family collects a large share of them.
    assert!(
        share(repeats, opened) > 0.05,
        "repeats {repeats} of {opened}"
    );
    assert!(
        largest <= 30,
        "one family has {largest} of {opened} reports"
    );
}
