//! One investigation's whole life, planned at intake: who holds it, which tasks get done
//! and when, and how late each progress note is entered.

use crate::dist::{self, days, hours, minutes, SimRng};
use crate::intake::Family;
use crate::lateness::{self, Entry};
use crate::tasks::{self, Case};
use crate::workers::Workforce;
use crate::zones::ZoneProfile;
use childstat_core::event::{Finding, SafetyResult};
use childstat_core::{Body, Opened, Ts};

/// A report as it reaches the zone.
pub(crate) struct Intake {
    pub id: String,
    pub received_at: Ts,
    pub zone: usize,
    pub after_hours: bool,
    pub family: Family,
}

/// An event ready for an id: `zone` indexes the zone profiles.
pub(crate) struct Planned {
    pub occurred_at: Ts,
    pub recorded_at: Ts,
    pub zone: usize,
    pub body: Body,
}

pub(crate) struct Plan {
    pub events: Vec<Planned>,
    pub indicated: bool,
}

/// Who holds the case from `from` on.
struct Holder {
    from: Ts,
    zone: usize,
    worker: String,
    supervisor: String,
}

/// A move of the case planned ahead: to another zone, or to another worker in the same one.
struct Move {
    at: Ts,
    zone: Option<usize>,
}

const TRANSFER_SHARE: f64 = 0.04;
const RANDOM_REASSIGN_SHARE: f64 = 0.006;
const HEIGHTENED_SHARE: f64 = 0.03;

pub(crate) struct Planner<'a> {
    pub rng: &'a mut SimRng,
    pub workers: &'a mut Workforce,
    pub zones: &'a [ZoneProfile],
}

impl Planner<'_> {
    pub fn plan(&mut self, intake: Intake) -> Plan {
        let rng = &mut *self.rng;
        let r = intake.received_at;
        let z0 = intake.zone;
        let perf = self.zones[z0].perf.clone();
        let children = intake.family.children.max(1);
        let opened_at = r.plus(minutes(dist::lognormal(rng, 40.0, 0.9).clamp(2.0, 480.0)));
        let heightened = dist::chance(rng, HEIGHTENED_SHARE);

        let result = [
            SafetyResult::Safe,
            SafetyResult::SafeWithPlan,
            SafetyResult::Unsafe,
        ][dist::weighted(rng, &[0.72, 0.21, 0.07])];
        let det = if dist::chance(rng, perf.determination_60d) {
            r.plus(days(
                60.0 - dist::lognormal(rng, 12.0, 0.6).clamp(0.01, 38.0),
            ))
        } else {
            r.plus(days(
                60.0 + dist::lognormal(rng, 8.0, 0.9).clamp(0.01, 140.0),
            ))
        };
        let close = det.plus(days(dist::lognormal(rng, 3.0, 0.7).clamp(0.1, 30.0)));
        let case = Case {
            id: &intake.id,
            received: r,
            determined: det,
            closed: close,
            children,
            after_hours: intake.after_hours,
        };
        let mut tasks = Vec::new();
        tasks::contacts(rng, &case, &perf, &mut tasks);
        tasks::safety_assessment(rng, &case, &perf, result, &mut tasks);
        let removal_p = match result {
            SafetyResult::Unsafe => 0.6,
            _ => 0.02,
        } + if heightened { 0.15 } else { 0.0 };
        let removed = dist::chance(rng, removal_p);
        if removed {
            tasks::removal(rng, &case, &perf, &mut tasks);
        }
        let ftc = if removed {
            0.5
        } else {
            perf.family_team_conference
        };
        tasks::family_team_conference(rng, &case, ftc, &mut tasks);
        let review = tasks::review_time(rng, &case, &perf, opened_at);

        // Removal and an unsafe assessment go with substantiated reports, and so does a
        // family history.
        let p_indicated = if removed {
            0.85
        } else if result == SafetyResult::Unsafe {
            0.55
        } else if intake.family.indicated_before {
            0.33
        } else {
            0.17
        };
        let indicated = dist::chance(rng, p_indicated);
        let finding = if indicated {
            Finding::Indicated
        } else {
            Finding::Unfounded
        };
        let id = intake.id.clone();
        tasks.push((
            det,
            Body::DeterminationMade {
                investigation_id: id.clone(),
                finding,
            },
        ));
        tasks.push((
            close,
            Body::InvestigationClosed {
                investigation_id: id.clone(),
            },
        ));

        let moves = self.plan_moves(r, z0, det);
        let holders = self.assign(r, opened_at, z0, close, moves);
        let zone_at = |t: Ts| {
            holders
                .iter()
                .rev()
                .find(|h| h.from <= t)
                .unwrap_or(&holders[0])
        };

        if let Some(at) = review {
            let supervisor_id = zone_at(at).supervisor.clone();
            tasks.push((
                at,
                Body::SupervisoryReviewCompleted {
                    investigation_id: id.clone(),
                    supervisor_id,
                },
            ));
        }

        let rng = &mut *self.rng;
        let mut events = Vec::with_capacity(tasks.len() + holders.len() + 1);
        let first = &holders[0];
        let opened = Body::InvestigationOpened(Opened {
            investigation_id: id.clone(),
            received_at: dist::floor_ms(r),
            family_id: intake.family.id.clone(),
            children,
            worker_id: first.worker.clone(),
            supervisor_id: first.supervisor.clone(),
            heightened_oversight: heightened,
            after_hours: intake.after_hours,
        });
        events.push(planned(rng, opened_at, z0, opened, Entry::System));
        for h in &holders[1..] {
            let body = Body::InvestigationTransferred {
                investigation_id: id.clone(),
                worker_id: h.worker.clone(),
                supervisor_id: h.supervisor.clone(),
            };
            events.push(planned(rng, h.from, h.zone, body, Entry::System));
        }
        for (at, body) in tasks {
            events.push(planned(rng, at, zone_at(at).zone, body, Entry::Note));
        }
        Plan { events, indicated }
    }

    fn plan_moves(&mut self, r: Ts, z0: usize, det: Ts) -> Vec<Move> {
        let rng = &mut *self.rng;
        let mut moves = Vec::new();
        let latest = det.minus(days(1.0));
        if !self.zones[z0].osi && dist::chance(rng, TRANSFER_SHARE) {
            if let Some(to) = transfer_target(rng, self.zones, z0) {
                let at = r.plus(days(dist::uniform(rng, 1.0, 15.0))).min(latest);
                moves.push(Move { at, zone: Some(to) });
            }
        }
        if dist::chance(rng, RANDOM_REASSIGN_SHARE) {
            let at = r.plus(days(dist::uniform(rng, 2.0, 30.0))).min(latest);
            moves.push(Move { at, zone: None });
        }
        moves.sort_by_key(|m| m.at);
        moves
    }

    /// Chains holders from the opening to the close: planned moves, plus a reassignment
    /// whenever the current worker is about to go on leave or separate.
    fn assign(
        &mut self,
        now: Ts,
        opened_at: Ts,
        z0: usize,
        close: Ts,
        moves: Vec<Move>,
    ) -> Vec<Holder> {
        let rng = &mut *self.rng;
        let mut slots = Vec::new();
        let mut zone = z0;
        let mut at = opened_at;
        let mut worker = self.workers.pick_cps(rng, zone, now, at, None);
        let mut moves = moves.into_iter().peekable();
        loop {
            slots.push((at, zone, worker));
            if slots.len() > 8 {
                break;
            }
            let min_next = at.plus(hours(1.0));
            let leaves = worker.map_or(Ts::MAX, |w| self.workers.next_change(w));
            let forced = (leaves < close).then(|| {
                leaves
                    .minus(days(dist::uniform(rng, 0.0, 2.0)))
                    .max(min_next)
            });
            let planned = moves.peek().map(|m| m.at.max(min_next));
            let next = match (planned, forced) {
                (Some(p), f) if f.is_none_or(|f| p <= f) => {
                    let to = moves.next().and_then(|m| m.zone).unwrap_or(zone);
                    Some((p, to))
                }
                (_, f) => f.map(|f| (f, zone)),
            };
            let Some((next_at, next_zone)) = next else {
                break;
            };
            if next_at >= close {
                break;
            }
            at = next_at;
            zone = next_zone;
            worker = self.workers.pick_cps(rng, zone, now, at, worker);
        }
        let mut holders = Vec::with_capacity(slots.len());
        for (i, &(from, zone, worker)) in slots.iter().enumerate() {
            let to = slots.get(i + 1).map_or(close, |s| s.0);
            let (worker_id, supervisor) = match worker {
                Some(w) => {
                    self.workers.assign(w, from, to);
                    (
                        self.workers.slots[w].id.clone(),
                        self.workers.supervisor_of(w).to_string(),
                    )
                }
                None => (String::from("W0000000"), String::from("W0000000")),
            };
            holders.push(Holder {
                from,
                zone,
                worker: worker_id,
                supervisor,
            });
        }
        holders
    }
}

fn planned(rng: &mut SimRng, at: Ts, zone: usize, body: Body, entry: Entry) -> Planned {
    let occurred_at = dist::floor_ms(at);
    let recorded_at = dist::floor_ms(at.plus(lateness::delay(rng, entry)));
    Planned {
        occurred_at,
        recorded_at,
        zone,
        body,
    }
}

/// Another borough zone, usually in the same borough (a family moving nearby).
fn transfer_target(rng: &mut SimRng, zones: &[ZoneProfile], from: usize) -> Option<usize> {
    let same_borough = dist::chance(rng, 0.6);
    let candidates: Vec<usize> = (0..zones.len())
        .filter(|&z| z != from && !zones[z].osi)
        .filter(|&z| !same_borough || zones[z].borough == zones[from].borough)
        .collect();
    let candidates = if candidates.is_empty() {
        (0..zones.len())
            .filter(|&z| z != from && !zones[z].osi)
            .collect()
    } else {
        candidates
    };
    (!candidates.is_empty()).then(|| candidates[dist::index(rng, candidates.len())])
}
