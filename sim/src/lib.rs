//! A deterministic generator of realistic case-status events for ChildStat.
//!
//! Same seed, same stream, byte for byte. Messages come out in publish order (the time
//! each entry reaches the case-management system), while the events' `occurred_at` lags
//! behind: notes are typed up late, so tasks arrive out of order and sometimes before the
//! investigation they belong to. Nothing here reads the clock or does I/O, apart from
//! [`write_ndjson`] writing to the sink it is given.
//!
//! Only a bounded window is held in memory: the workforce, last year's families, and
//! events planned but not yet published.

mod calendar;
mod dist;
mod faults;
mod intake;
mod investigation;
mod lateness;
mod render;
mod tasks;
mod workers;
mod zones;

use childstat_core::event::{Role, WorkerStatus};
use childstat_core::{Body, Event, Ts, ZoneSet};
use dist::SimRng;
use faults::Faults;
use intake::{Arrivals, Families};
use investigation::{Intake, Planned, Planner};
use lateness::Entry;
use rand::SeedableRng;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fmt;
use workers::Workforce;
use zones::ZoneProfile;

/// Share of investigations about a family reported in the previous 12 months.
const REPEAT_SHARE: f64 = 0.17;

#[derive(Clone, Debug)]
pub struct SimConfig {
    pub seed: u64,
    pub zones: ZoneSet,
    /// The simulation starts here; the initial roster is entered just before it.
    pub start: Ts,
    pub investigations_per_year: u32,
    /// Share of all messages that are exact re-sends of a recent valid message.
    pub duplicate_fraction: f64,
    /// Share of all messages that the contract rejects.
    pub invalid_fraction: f64,
}

impl Default for SimConfig {
    /// Citywide volumes from fiscal year 2026 (starting 2025-07-01, New York midnight).
    fn default() -> SimConfig {
        SimConfig {
            seed: 1,
            zones: ZoneSet::standard(),
            start: Ts(1_751_342_400 * 1_000_000_000),
            investigations_per_year: 60_000,
            duplicate_fraction: 0.01,
            invalid_fraction: 0.002,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum SimConfigError {
    NoZones,
    /// A fraction outside `[0, 1]`, or duplicate plus invalid above 1.
    BadFraction(&'static str),
}

impl fmt::Display for SimConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimConfigError::NoZones => f.write_str("the simulator needs at least one zone"),
            SimConfigError::BadFraction(which) => {
                write!(
                    f,
                    "{which} must be in [0, 1], and the two fractions must sum to at most 1"
                )
            }
        }
    }
}

impl std::error::Error for SimConfigError {}

#[derive(Clone, Debug, PartialEq)]
pub enum SimMessage {
    /// A good event: `payload` decodes to `event`.
    Valid {
        key: String,
        payload: Vec<u8>,
        event: Event,
    },
    /// A byte-identical re-send of an earlier `Valid` message.
    Duplicate {
        key: String,
        payload: Vec<u8>,
        event: Event,
        published_at: Ts,
    },
    /// A message the contract rejects, and the dead-letter reason it must get.
    Invalid {
        key: String,
        payload: Vec<u8>,
        reason: &'static str,
        published_at: Ts,
    },
}

impl SimMessage {
    pub fn publish_time(&self) -> Ts {
        match self {
            SimMessage::Valid { event, .. } => event.recorded_at,
            SimMessage::Duplicate { published_at, .. }
            | SimMessage::Invalid { published_at, .. } => *published_at,
        }
    }

    pub fn key(&self) -> &str {
        match self {
            SimMessage::Valid { key, .. }
            | SimMessage::Duplicate { key, .. }
            | SimMessage::Invalid { key, .. } => key,
        }
    }

    pub fn payload(&self) -> &[u8] {
        match self {
            SimMessage::Valid { payload, .. }
            | SimMessage::Duplicate { payload, .. }
            | SimMessage::Invalid { payload, .. } => payload,
        }
    }

    /// The event a consumer should end up with, for `Valid` and `Duplicate`.
    pub fn event(&self) -> Option<&Event> {
        match self {
            SimMessage::Valid { event, .. } | SimMessage::Duplicate { event, .. } => Some(event),
            SimMessage::Invalid { .. } => None,
        }
    }
}

/// An event waiting for its publish time. Ties go to the one planned first. The key sits
/// inline and the event is boxed: the heap holds ~10^5 entries, and sifting through large
/// entries or chasing pointers to compare them dominated the run time.
struct Queued {
    at: Ts,
    seq: u64,
    event: Box<Event>,
}

impl Queued {
    fn key(&self) -> (Ts, u64) {
        (self.at, self.seq)
    }
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

pub struct Simulator {
    seed: u64,
    world: SimRng,
    render_rng: SimRng,
    zones: Vec<ZoneProfile>,
    zone_weights: Vec<f64>,
    workers: Workforce,
    /// Every slot's next status change, one entry per slot.
    changes: BinaryHeap<Reverse<(Ts, usize)>>,
    arrivals: Arrivals,
    families: Families,
    investigations: u64,
    events: u64,
    queue: BinaryHeap<Reverse<Queued>>,
    faults: Faults,
    next: Option<SimMessage>,
}

/// Independent random streams, so one subsystem's draws never shift another's.
const STREAM_WORLD: u64 = 1;
const STREAM_RENDER: u64 = 2;
const STREAM_FAULTS: u64 = 3;

fn stream(seed: u64, n: u64) -> SimRng {
    let mut rng = SimRng::seed_from_u64(seed);
    rng.set_stream(n);
    rng
}

impl Simulator {
    /// # Panics
    /// On a configuration [`Simulator::try_new`] rejects: no zones, or a fraction outside
    /// `[0, 1]`.
    pub fn new(cfg: SimConfig) -> Simulator {
        match Simulator::try_new(cfg) {
            Ok(sim) => sim,
            Err(e) => panic!("invalid simulator configuration: {e}"),
        }
    }

    pub fn try_new(cfg: SimConfig) -> Result<Simulator, SimConfigError> {
        if cfg.zones.is_empty() {
            return Err(SimConfigError::NoZones);
        }
        let fraction_ok = |f: f64| f.is_finite() && (0.0..=1.0).contains(&f);
        if !fraction_ok(cfg.duplicate_fraction) {
            return Err(SimConfigError::BadFraction("duplicate_fraction"));
        }
        if !fraction_ok(cfg.invalid_fraction) || cfg.duplicate_fraction + cfg.invalid_fraction > 1.0
        {
            return Err(SimConfigError::BadFraction("invalid_fraction"));
        }
        let start = dist::floor_ms(cfg.start);
        let mut world = stream(cfg.seed, STREAM_WORLD);
        let zones = zones::profiles(&mut world, &cfg.zones);
        let staff: Vec<u32> = zones.iter().map(|z| z.cps).collect();
        let workers = Workforce::new(&mut world, cfg.seed, &staff, start);
        let mut sim = Simulator {
            seed: cfg.seed,
            render_rng: stream(cfg.seed, STREAM_RENDER),
            zone_weights: zones.iter().map(|z| z.weight).collect(),
            zones,
            workers,
            changes: BinaryHeap::new(),
            arrivals: Arrivals::new(start, cfg.investigations_per_year),
            families: Families::new(cfg.seed, REPEAT_SHARE),
            investigations: 0,
            events: 0,
            queue: BinaryHeap::new(),
            faults: Faults::new(
                stream(cfg.seed, STREAM_FAULTS),
                cfg.seed,
                cfg.duplicate_fraction,
                cfg.invalid_fraction,
                &cfg.zones,
            ),
            next: None,
            world,
        };
        sim.publish_roster(start);
        Ok(sim)
    }

    /// Everyone on staff at the start, entered during the two days before it.
    fn publish_roster(&mut self, start: Ts) {
        let roster: Vec<(String, usize, Role, Ts)> = self
            .workers
            .roster()
            .map(|s| (s.id.clone(), s.zone, s.role, s.next_change))
            .collect();
        for (slot, (id, zone, role, next_change)) in roster.into_iter().enumerate() {
            let occurred_at =
                dist::floor_ms(start.minus(dist::hours(dist::uniform(&mut self.world, 0.1, 48.0))));
            let delay = dist::minutes(dist::lognormal(&mut self.world, 20.0, 1.0));
            let recorded_at = occurred_at.plus(delay).min(start);
            let body = Body::WorkerStatusChanged {
                worker_id: id,
                role,
                status: WorkerStatus::Active,
            };
            self.enqueue(Planned {
                occurred_at,
                recorded_at,
                zone,
                body,
            });
            self.changes.push(Reverse((next_change, slot)));
        }
    }

    fn enqueue(&mut self, p: Planned) {
        self.events += 1;
        let event = Event {
            event_id: format!("e-{}-{}", self.seed, self.events),
            occurred_at: p.occurred_at,
            recorded_at: p.recorded_at,
            zone: self.zones[p.zone].code.clone(),
            body: p.body,
        };
        self.queue.push(Reverse(Queued {
            at: event.recorded_at,
            seq: self.events,
            event: Box::new(event),
        }));
    }

    /// When the next driving process (a report, a staff change) happens. Everything a
    /// driver produces is published at or after its own time, which is what lets queued
    /// events earlier than it go out first.
    fn next_driver(&mut self) -> Option<(Ts, bool)> {
        let report = self.arrivals.peek(&mut self.world);
        let change = self.changes.peek().map(|Reverse((t, _))| *t);
        match (report, change) {
            (Some(r), Some(c)) if r < c => Some((r, true)),
            (_, Some(c)) => Some((c, false)),
            (Some(r), None) => Some((r, true)),
            (None, None) => None,
        }
    }

    fn drive(&mut self, report: bool) {
        if report {
            if let Some(t) = self.arrivals.pop() {
                self.receive(t);
            }
        } else if let Some(Reverse((_, slot))) = self.changes.pop() {
            let c = self.workers.advance(&mut self.world, slot);
            let delay = lateness::delay(&mut self.world, Entry::Personnel);
            let recorded_at = dist::floor_ms(c.at.plus(delay));
            let body = Body::WorkerStatusChanged {
                worker_id: c.id,
                role: c.role,
                status: c.status,
            };
            self.enqueue(Planned {
                occurred_at: c.at,
                recorded_at,
                zone: c.zone,
                body,
            });
            self.changes
                .push(Reverse((self.workers.slots[slot].next_change, slot)));
        }
    }

    fn receive(&mut self, received_at: Ts) {
        let zone = dist::weighted(&mut self.world, &self.zone_weights);
        let family = self.families.pick(&mut self.world, received_at);
        self.investigations += 1;
        let intake = Intake {
            id: format!("I{}-{}", self.seed, self.investigations),
            received_at,
            zone,
            after_hours: calendar::is_after_hours(received_at),
            family: family.clone(),
        };
        let plan = Planner {
            rng: &mut self.world,
            workers: &mut self.workers,
            zones: &self.zones,
        }
        .plan(intake);
        self.families.record(received_at, family, plan.indicated);
        for p in plan.events {
            debug_assert!(p.recorded_at >= received_at, "published before its driver");
            self.enqueue(p);
        }
    }

    /// The publish time of the next valid event, driving the world forward until nothing
    /// still to be generated could come before it.
    fn next_valid_time(&mut self) -> Option<Ts> {
        loop {
            let head = self.queue.peek().map(|Reverse(q)| q.at);
            match (head, self.next_driver()) {
                (Some(h), Some((d, _))) if h <= d => return Some(h),
                (Some(h), None) => return Some(h),
                (_, Some((_, report))) => self.drive(report),
                (None, None) => return None,
            }
        }
    }

    fn produce(&mut self) -> Option<SimMessage> {
        let at = self.next_valid_time()?;
        if let Some(fault) = self.faults.inject(at) {
            return Some(fault);
        }
        let Reverse(q) = self.queue.pop()?;
        let payload = render::render(&mut self.render_rng, &q.event);
        let key = q.event.body.key().to_string();
        self.faults.remember(&key, &payload, &q.event);
        Some(SimMessage::Valid {
            key,
            payload,
            event: *q.event,
        })
    }

    fn fill(&mut self) -> Option<&SimMessage> {
        if self.next.is_none() {
            self.next = self.produce();
        }
        self.next.as_ref()
    }

    /// Publish time of the next message (when the case-management system would send it).
    pub fn peek_time(&mut self) -> Ts {
        self.fill().map_or(Ts::MAX, SimMessage::publish_time)
    }

    /// The next message in publish-time order. The stream never ends: every zone has
    /// staff, and staff changes go on for ever.
    pub fn next_message(&mut self) -> SimMessage {
        self.fill();
        self.next
            .take()
            .expect("the workforce is never empty, so there is always a next staff change")
    }
}

impl Iterator for Simulator {
    type Item = SimMessage;

    fn next(&mut self) -> Option<SimMessage> {
        self.fill();
        self.next.take()
    }
}

/// Writes the next `n` payloads, one per line. Payloads never contain a raw newline.
pub fn write_ndjson(
    sim: &mut Simulator,
    n: usize,
    out: impl std::io::Write,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(out);
    for msg in sim.by_ref().take(n) {
        out.write_all(msg.payload())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
