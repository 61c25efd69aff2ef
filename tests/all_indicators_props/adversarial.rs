//! Hand-shaped events the simulator never produces: deadlines, tasks and status changes that
//! land exactly on (or one nanosecond either side of) the query instants and the local
//! midnights around a DST change, transfers between zones (also before the opening), rival
//! openings, ties broken by `recorded_at` or `event_id`, a redelivered `event_id` with other
//! content, events that are never opened, and openings delivered after everything else.

use childstat_core::event::{
    Body, ConferenceKind, ContactKind, Finding, Opened, Role, SafetyResult, WorkerStatus,
};
use childstat_core::{Event, Ts};

#[path = "scenes.rs"]
mod scenes;

const NS: i64 = 1;
const MIN: i64 = 60_000_000_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
const CONTACT: i64 = DAY;
const SA: i64 = 7 * DAY;
const DET: i64 = 60 * DAY;
const CONF: i64 = 72 * HOUR;

/// Sampled zones twice as often as Z05, which no test reads directly.
const ZONES: [&str; 11] = [
    "Z01", "Z02", "Z07", "Z13", "OSI", "Z01", "Z02", "Z07", "Z13", "OSI", "Z05",
];
const FAMILIES: [&str; 5] = ["XF0", "XF1", "XF2", "XF3", "XF4"];

/// splitmix64: proptest supplies the seed, so cases shrink by seed only.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) < p * (1u64 << 53) as f64
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    /// Uniform in `[lo, hi)`.
    fn span(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo) as u64) as i64
    }

    /// On a boundary, or one nanosecond either side of it.
    fn edge(&mut self) -> i64 {
        self.pick(&[0, 0, NS, -NS])
    }
}

/// What to deliver: `events` in any order, then `last` (openings that arrive after their
/// investigation's other events).
pub struct Adversarial {
    pub events: Vec<Event>,
    pub last: Vec<Event>,
}

struct Gen<'a> {
    rng: Rng,
    tag: u64,
    n: u64,
    anchors: &'a [Ts],
    workers: Vec<String>,
    /// Whether `push` may also emit a same-id rival (off for the fixed scenes).
    rivals: bool,
    out: Adversarial,
}

impl Gen<'_> {
    fn push(&mut self, occurred_at: i64, zone: &str, body: Body, last: bool) {
        self.n += 1;
        let lag = match self.rng.below(4) {
            0 => -self.rng.span(1, HOUR),
            1 | 2 => 0,
            _ => self.rng.span(0, 3 * DAY),
        };
        let e = Event {
            event_id: format!("x{}-{}", self.tag, self.n),
            occurred_at: Ts(occurred_at),
            recorded_at: Ts(occurred_at + lag),
            zone: zone.to_string(),
            body,
        };
        // Now and then the same event_id again with other content: whichever is processed
        // first is the one in raw_events, and both sides must agree on it.
        if self.rivals && self.rng.chance(0.04) {
            let mut rival = e.clone();
            rival.occurred_at = Ts(occurred_at + self.rng.span(-DAY, DAY));
            rival.zone = self.rng.pick(&ZONES).to_string();
            self.out.events.push(rival);
        }
        if last {
            self.out.last.push(e);
        } else {
            self.out.events.push(e);
        }
    }

    fn anchor(&mut self) -> i64 {
        self.rng.pick(self.anchors).0
    }

    fn zone(&mut self) -> &'static str {
        self.rng.pick(&ZONES)
    }

    fn worker(&mut self) -> String {
        let i = self.rng.below(self.workers.len());
        self.workers[i].clone()
    }

    fn opening(&mut self, inv: &str, occ: i64, received: i64, family: &str, last: bool) {
        let zone = self.zone();
        let body = Body::InvestigationOpened(Opened {
            investigation_id: inv.to_string(),
            received_at: Ts(received),
            family_id: family.to_string(),
            children: self.rng.span(1, 5) as u32,
            worker_id: self.worker(),
            supervisor_id: "XS1".into(),
            heightened_oversight: self.rng.chance(0.3),
            after_hours: self.rng.chance(0.2),
        });
        self.push(occ, zone, body, last);
    }

    fn transfer(&mut self, inv: &str, at: i64) {
        let zone = self.zone();
        let worker_id = self.worker();
        let body = Body::InvestigationTransferred {
            investigation_id: inv.to_string(),
            worker_id,
            supervisor_id: "XS2".into(),
        };
        self.push(at, zone, body, false);
    }

    fn task(&mut self, inv: &str, at: i64, kind: usize) {
        let investigation_id = inv.to_string();
        let body = match kind {
            0 => Body::ContactMade {
                investigation_id,
                kind: self.rng.pick(ContactKind::ALL),
                children_seen: self.rng.span(0, 5) as u32,
                by_ecs: self.rng.chance(0.2),
            },
            1 => Body::SafetyAssessmentCompleted {
                investigation_id,
                result: self.rng.pick(SafetyResult::ALL),
            },
            2 => Body::DeterminationMade {
                investigation_id,
                finding: self.rng.pick(Finding::ALL),
            },
            3 => Body::SupervisoryReviewCompleted {
                investigation_id,
                supervisor_id: "XS1".into(),
            },
            4 => Body::Removal {
                investigation_id,
                children: self.rng.span(1, 4) as u32,
                emergency: self.rng.chance(0.6),
            },
            5 => Body::ConferenceHeld {
                investigation_id,
                kind: if self.rng.chance(0.8) {
                    ConferenceKind::ChildSafety
                } else {
                    ConferenceKind::FamilyTeam
                },
            },
            _ => Body::InvestigationClosed { investigation_id },
        };
        let zone = self.zone();
        self.push(at, zone, body, false);
    }

    /// One synthetic investigation around a random anchor.
    fn investigation(&mut self, inv: &str, received: Option<i64>, family: &str) {
        let anchor = self.anchor();
        let r = received.unwrap_or_else(|| {
            let off = [
                0,
                NS,
                -NS,
                -CONTACT,
                -CONTACT + NS,
                -CONTACT - NS,
                -SA,
                -SA - NS,
                -DET,
            ];
            match self.rng.below(off.len() + 3) {
                i if i < off.len() => anchor + off[i],
                _ => anchor + self.rng.span(-10 * DAY, 3 * DAY),
            }
        });
        let open_occ = r + self
            .rng
            .pick(&[0, 0, NS, 2 * MIN, 3 * HOUR, -HOUR, 2 * DAY]);
        let late = self.rng.chance(0.2);
        self.opening(inv, open_occ, r, family, late);
        if self.rng.chance(0.25) {
            // A rival opening: earlier (it then defines the investigation), tied, or later.
            let occ = open_occ + self.rng.pick(&[0, -NS, -HOUR, -DAY, HOUR]);
            let rec = r - self.rng.span(0, 2 * DAY);
            let fam = self.rng.pick(&FAMILIES);
            let last = self.rng.chance(0.5);
            self.opening(inv, occ, rec, fam, last);
        }
        for _ in 0..self.rng.pick(&[0, 0, 1, 1, 2, 3]) {
            let at = match self.rng.below(4) {
                0 => anchor + self.rng.edge(),
                1 => open_occ - self.rng.span(1, DAY),
                _ => r + self.rng.span(-2 * HOUR, 10 * DAY),
            };
            self.transfer(inv, at);
            if self.rng.chance(0.3) {
                // Same instant, so the order falls to recorded_at, then event_id.
                self.transfer(inv, at);
            }
        }
        for (kind, deadline, n) in [(0, r + CONTACT, 3), (1, r + SA, 2)] {
            let count = self.rng.below(n + 1);
            for _ in 0..count {
                let at = match self.rng.below(4) {
                    0 => deadline + self.rng.edge(),
                    1 => anchor + self.rng.edge(),
                    2 => r - HOUR,
                    _ => deadline + self.rng.span(-CONTACT, 2 * DAY),
                };
                self.task(inv, at, kind);
            }
        }
        let det = match self.rng.below(4) {
            0 => Some(r + DET + self.rng.edge()),
            1 => Some(anchor + self.rng.edge()),
            2 => Some(r + self.rng.span(DAY, 70 * DAY)),
            _ => None,
        };
        if let Some(at) = det {
            self.task(inv, at, 2);
            if self.rng.chance(0.3) {
                let again = at + self.rng.pick(&[0, NS, -NS]);
                self.task(inv, again, 2);
            }
        }
        if self.rng.chance(0.5) {
            let at = det.unwrap_or(anchor) + self.rng.pick(&[0, NS, -NS, -DAY, DAY]);
            self.task(inv, at, 3);
        }
        for _ in 0..self.rng.pick(&[0, 0, 0, 1, 1, 2]) {
            let at = match self.rng.below(3) {
                0 => anchor - CONF + self.rng.edge(),
                1 => anchor + self.rng.edge(),
                _ => r + self.rng.span(0, 5 * DAY),
            };
            self.task(inv, at, 4);
            for _ in 0..self.rng.below(3) {
                let off = self.rng.pick(&[0, CONF, CONF + NS, -NS, DAY]);
                self.task(inv, at + off, 5);
            }
        }
        if self.rng.chance(0.35) {
            let at = match self.rng.below(3) {
                0 => anchor + self.rng.edge(),
                1 => open_occ - HOUR,
                _ => r + self.rng.span(0, 10 * DAY),
            };
            self.task(inv, at, 6);
        }
    }

    fn worker_change(&mut self, id: &str, at: i64, zone: &str) {
        let role = self
            .rng
            .pick(&[Role::Cps, Role::Cps, Role::Supervisor, Role::Manager]);
        let status = self.rng.pick(&[
            WorkerStatus::Active,
            WorkerStatus::Active,
            WorkerStatus::OnLeave,
            WorkerStatus::Separated,
        ]);
        let body = Body::WorkerStatusChanged {
            worker_id: id.to_string(),
            role,
            status,
        };
        self.push(at, zone, body, false);
    }
}

/// `anchors` are the instants the test reads at and the local midnights around the DST
/// change; `sim` is the simulator's stream, for ids of its investigations and workers.
/// `pivot` is one of them (the DST instant), where `scenes::fixed` guarantees every indicator
/// a non-zero value.
pub fn generate(seed: u64, anchors: &[Ts], pivot: Ts, sim: &[Event]) -> Adversarial {
    let mut sim_cps = Vec::new();
    let mut sim_invs = Vec::new();
    for e in sim {
        match &e.body {
            Body::WorkerStatusChanged {
                worker_id,
                role: Role::Cps,
                ..
            } if sim_cps.len() < 3 => sim_cps.push(worker_id.clone()),
            Body::InvestigationOpened(o) => {
                sim_invs.push((o.investigation_id.clone(), o.received_at))
            }
            _ => {}
        }
    }
    let mut workers: Vec<String> = ["XW1", "XW1", "XW1", "XW2", "XW3"]
        .map(String::from)
        .to_vec();
    workers.extend(sim_cps.iter().cloned());
    let mut g = Gen {
        rng: Rng::new(seed),
        tag: seed % 1000,
        n: 0,
        anchors,
        workers,
        rivals: true,
        out: Adversarial {
            events: Vec::new(),
            last: Vec::new(),
        },
    };
    let first = anchors.iter().min().expect("anchors").0;
    g.rivals = false;
    scenes::fixed(&mut g, pivot.0, first);
    g.rivals = true;
    // A family on the 365-day look-back edge: the second counts the first, exactly 365d
    // before it; the third, 1 ns later, no longer does.
    for (k, off) in [-365 * DAY, 0, NS, 365 * DAY].into_iter().enumerate() {
        let inv = format!("XE{}-{k}", g.tag);
        g.investigation(&inv, Some(first + off), "XF-edge");
    }
    for k in 0..56 {
        let inv = format!("XI{}-{k}", g.tag);
        let family = g.rng.pick(&FAMILIES);
        g.investigation(&inv, None, family);
    }
    // Events for investigations that are never opened count nowhere.
    for k in 0..4 {
        let at = g.anchor();
        let kind = g.rng.below(7);
        g.task(&format!("XO{}-{k}", g.tag), at, kind);
    }
    // The simulator's own investigations: moved between zones, closed, worked, re-opened earlier.
    for _ in 0..12.min(sim_invs.len()) {
        let (inv, r) = sim_invs[g.rng.below(sim_invs.len())].clone();
        let at = match g.rng.below(2) {
            0 => g.anchor() + g.rng.edge(),
            _ => r.0 + g.rng.span(HOUR, 3 * DAY),
        };
        g.transfer(&inv, at);
        let kind = g.rng.pick(&[0, 1, 2, 3, 4, 6]);
        let at = g.anchor() + g.rng.edge();
        g.task(&inv, at, kind);
        if g.rng.chance(0.2) {
            let occ = r.0 - g.rng.span(1, HOUR);
            let received = r.0 + g.rng.span(-HOUR, HOUR);
            g.opening(&inv, occ, received, "XF0", false);
        }
    }
    for (i, id) in ["XW1", "XW2", "XW3"].into_iter().enumerate() {
        let body = Body::WorkerStatusChanged {
            worker_id: id.to_string(),
            role: Role::Cps,
            status: WorkerStatus::Active,
        };
        g.push(first - 3 * DAY, ["Z01", "Z02", "OSI"][i], body, false);
        let changes = g.rng.below(4);
        for _ in 0..changes {
            let at = g.anchor() + g.rng.edge();
            let zone = g.zone();
            g.worker_change(id, at, zone);
            if g.rng.chance(0.3) {
                g.worker_change(id, at, zone);
            }
        }
    }
    for id in &sim_cps {
        let at = g.anchor() + g.rng.edge();
        let zone = g.zone();
        g.worker_change(id, at, zone);
    }
    g.out
}
