//! The workforce: per-zone rosters, leave and turnover, and case assignment.
//!
//! Each position ("slot") is held by one worker at a time. A separation leaves the slot
//! vacant until a replacement is hired under a new id, so the roster stays bounded however
//! long the simulation runs.

use crate::dist::{self, SimRng};
use childstat_core::event::{Role, WorkerStatus};
use childstat_core::Ts;

pub(crate) struct Slot {
    pub zone: usize,
    pub role: Role,
    /// For a CPS, the slot of their unit supervisor.
    pub unit: usize,
    pub id: String,
    pub status: WorkerStatus,
    /// When the status next changes, and to what. Planned one step ahead so that
    /// assignment can avoid handing a case to someone about to leave.
    pub next_change: Ts,
    pub next_status: WorkerStatus,
    /// Assignment spans `[from, to)`, pruned once over; the caseload is those covering now.
    spans: Vec<(Ts, Ts)>,
}

/// A status change to publish.
pub(crate) struct Change {
    pub at: Ts,
    pub id: String,
    pub zone: usize,
    pub role: Role,
    pub status: WorkerStatus,
}

pub(crate) struct Workforce {
    pub slots: Vec<Slot>,
    /// CPS slots per zone.
    cps: Vec<Vec<usize>>,
    supervisors: Vec<Vec<usize>>,
    id_salt: u64,
    hired: u64,
}

/// Annual hazards (separation, leave) by role. CPS turnover in big-city child protection
/// runs high; supervisors and managers stay longer.
fn hazards(role: Role) -> (f64, f64) {
    match role {
        Role::Cps => (0.18, 0.10),
        Role::Supervisor => (0.10, 0.06),
        Role::Manager => (0.08, 0.04),
    }
}

impl Workforce {
    /// `cps_per_zone[z]` case-carrying workers in zone `z`; supervisors at one per 5–6.
    pub fn new(rng: &mut SimRng, seed: u64, cps_per_zone: &[u32], start: Ts) -> Workforce {
        let mut w = Workforce {
            slots: Vec::new(),
            cps: vec![Vec::new(); cps_per_zone.len()],
            supervisors: vec![Vec::new(); cps_per_zone.len()],
            id_salt: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) % 10_000_000,
            hired: 0,
        };
        for (zone, &n) in cps_per_zone.iter().enumerate() {
            let managers = if n > 40 && dist::chance(rng, 0.5) {
                2
            } else {
                1
            };
            for _ in 0..managers {
                w.add(rng, zone, Role::Manager, 0, start);
            }
            let span = dist::uniform(rng, 5.0, 6.0);
            let units = ((f64::from(n) / span).ceil() as usize).max(1);
            let sups: Vec<usize> = (0..units)
                .map(|_| w.add(rng, zone, Role::Supervisor, 0, start))
                .collect();
            for i in 0..n as usize {
                let unit = sups[i % units];
                w.add(rng, zone, Role::Cps, unit, start);
            }
        }
        w
    }

    fn add(&mut self, rng: &mut SimRng, zone: usize, role: Role, unit: usize, now: Ts) -> usize {
        let slot = self.slots.len();
        let id = self.new_id();
        self.slots.push(Slot {
            zone,
            role,
            unit,
            id,
            status: WorkerStatus::Active,
            next_change: now,
            next_status: WorkerStatus::Active,
            spans: Vec::new(),
        });
        self.plan_next(rng, slot, now);
        match role {
            Role::Cps => self.cps[zone].push(slot),
            Role::Supervisor => self.supervisors[zone].push(slot),
            Role::Manager => {}
        }
        slot
    }

    /// Pseudonymous ids: a bijection of a counter mod 10^7 (the multiplier is coprime to
    /// 10), so ids are unique but reveal neither hiring order nor anything about the person.
    fn new_id(&mut self) -> String {
        self.hired += 1;
        let n = (self.hired.wrapping_mul(7_919_243) + self.id_salt) % 10_000_000;
        format!("W{n:07}")
    }

    fn plan_next(&mut self, rng: &mut SimRng, slot: usize, now: Ts) {
        let s = &mut self.slots[slot];
        let (sep, leave) = hazards(s.role);
        let (wait, next) = match s.status {
            WorkerStatus::Active => {
                let to_sep = dist::exponential(rng, 365.0 / sep);
                let to_leave = dist::exponential(rng, 365.0 / leave);
                if to_sep < to_leave {
                    (to_sep, WorkerStatus::Separated)
                } else {
                    (to_leave, WorkerStatus::OnLeave)
                }
            }
            WorkerStatus::OnLeave => {
                let back = if dist::chance(rng, 0.1) {
                    WorkerStatus::Separated
                } else {
                    WorkerStatus::Active
                };
                (dist::lognormal(rng, 28.0, 0.6).clamp(5.0, 180.0), back)
            }
            // Vacancy until a replacement starts.
            WorkerStatus::Separated => (dist::uniform(rng, 14.0, 60.0), WorkerStatus::Active),
        };
        s.next_change = dist::floor_ms(now.plus(dist::days(wait.max(0.01))));
        s.next_status = next;
    }

    /// Applies the slot's planned change (due at its `next_change`) and plans the one after.
    pub fn advance(&mut self, rng: &mut SimRng, slot: usize) -> Change {
        let at = self.slots[slot].next_change;
        let hire = self.slots[slot].status == WorkerStatus::Separated;
        if hire {
            self.slots[slot].id = self.new_id();
            self.slots[slot].spans.clear();
        }
        let s = &mut self.slots[slot];
        s.status = s.next_status;
        let change = Change {
            at,
            id: s.id.clone(),
            zone: s.zone,
            role: s.role,
            status: s.status,
        };
        self.plan_next(rng, slot, at);
        change
    }

    /// Every slot's current state, for the roster published at the start.
    pub fn roster(&self) -> impl Iterator<Item = &Slot> {
        self.slots.iter()
    }

    fn caseload(&mut self, slot: usize, now: Ts) -> usize {
        let spans = &mut self.slots[slot].spans;
        spans.retain(|(_, to)| *to > now);
        spans.iter().filter(|(from, _)| *from <= now).count()
    }

    /// Chooses a CPS in `zone` for a case from `from` (at or after `now`), other than
    /// `except`. Prefers workers known to be active at `from`, and of two such the one with
    /// the lighter caseload, as unit supervisors balance assignments.
    pub fn pick_cps(
        &mut self,
        rng: &mut SimRng,
        zone: usize,
        now: Ts,
        from: Ts,
        except: Option<usize>,
    ) -> Option<usize> {
        let pool = self.cps.get(zone)?;
        if pool.is_empty() {
            return None;
        }
        let eligible = |s: &Slot, i: usize| {
            s.status == WorkerStatus::Active && s.next_change > from && Some(i) != except
        };
        let mut found: [Option<usize>; 2] = [None, None];
        let mut n = 0;
        for _ in 0..12 {
            let i = pool[dist::index(rng, pool.len())];
            if eligible(&self.slots[i], i) && found[0] != Some(i) {
                found[n] = Some(i);
                n += 1;
                if n == 2 {
                    break;
                }
            }
        }
        if n == 0 {
            found[0] = pool.iter().copied().find(|&i| eligible(&self.slots[i], i));
        }
        match found {
            [Some(a), Some(b)] => {
                if self.caseload(b, now) < self.caseload(a, now) {
                    Some(b)
                } else {
                    Some(a)
                }
            }
            [Some(a), None] => Some(a),
            // Nobody is free: the case still has to go somewhere, as in real life.
            _ => pool
                .iter()
                .copied()
                .find(|&i| Some(i) != except)
                .or(Some(pool[0])),
        }
    }

    pub fn assign(&mut self, slot: usize, from: Ts, to: Ts) {
        self.slots[slot].spans.push((from, to));
    }

    /// The supervisor of a CPS's unit, or another active supervisor in the zone while that
    /// post is vacant or its holder is on leave.
    pub fn supervisor_of(&self, cps: usize) -> &str {
        let s = &self.slots[cps];
        let unit = &self.slots[s.unit];
        if unit.status == WorkerStatus::Active {
            return &unit.id;
        }
        self.supervisors[s.zone]
            .iter()
            .map(|&i| &self.slots[i])
            .find(|x| x.status == WorkerStatus::Active)
            .map_or(unit.id.as_str(), |x| x.id.as_str())
    }

    pub fn next_change(&self, slot: usize) -> Ts {
        let s = &self.slots[slot];
        if s.status == WorkerStatus::Active {
            s.next_change
        } else {
            // Already away: the case should move at once.
            Ts::MIN
        }
    }
}
