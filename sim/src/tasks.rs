//! The practice tasks of one investigation and when they happen, or fail to.
//!
//! Each zone's `Performance` sets how often a deadline is met; misses are mostly late and
//! sometimes never done at all, which is what the overdue counts are for.

use crate::dist::{self, days, hours, SimRng};
use crate::zones::Performance;
use childstat_core::event::{ConferenceKind, ContactKind, SafetyResult};
use childstat_core::{Body, Dur, Ts};

/// The fixed facts of a case that its tasks are planned around.
pub(crate) struct Case<'a> {
    pub id: &'a str,
    pub received: Ts,
    pub determined: Ts,
    pub closed: Ts,
    pub children: u32,
    pub after_hours: bool,
}

pub(crate) type Tasks = Vec<(Ts, Body)>;

impl Case<'_> {
    /// Fieldwork feeds the determination, so it is done by then.
    fn before_determination(&self, t: Ts) -> Ts {
        t.min(self.determined.minus(hours(1.0)))
    }

    /// An instant `share` of the way from receipt to determination.
    fn during(&self, share: f64) -> Ts {
        let span = self.determined.since(self.received).0 as f64;
        self.received.plus(Dur((share * span) as i64))
    }

    fn contact(&self, kind: ContactKind, children_seen: u32, by_ecs: bool) -> Body {
        Body::ContactMade {
            investigation_id: self.id.to_string(),
            kind,
            children_seen,
            by_ecs,
        }
    }

    fn conference(&self, kind: ConferenceKind) -> Body {
        Body::ConferenceHeld {
            investigation_id: self.id.to_string(),
            kind,
        }
    }
}

/// The initial contact (by ECS for many after-hours reports), then home visits,
/// collateral contacts and follow-ups. In a zone's "all children seen" share of cases some
/// contact sees every child; in the rest none does.
pub(crate) fn contacts(rng: &mut SimRng, case: &Case, perf: &Performance, tasks: &mut Tasks) {
    let r = case.received;
    let children = case.children;
    let all_seen = dist::chance(rng, perf.all_children_seen);
    let partial = |rng: &mut SimRng| dist::index(rng, children as usize) as u32;
    let initial = if dist::chance(rng, perf.contact_24h) {
        if case.after_hours && dist::chance(rng, 0.65) {
            let h = dist::lognormal(rng, 3.0, 0.6).clamp(0.3, 14.0);
            Some((r.plus(hours(h)), true))
        } else {
            let h = dist::lognormal(rng, 7.0, 0.7).clamp(0.3, 23.9);
            Some((r.plus(hours(h)), false))
        }
    } else if dist::chance(rng, 0.85) {
        let h = 24.0 + dist::exponential(rng, 20.0).min(24.0 * 14.0);
        Some((r.plus(hours(h.max(24.01))), false))
    } else {
        None
    };
    let mut saw_all = false;
    if let Some((at, by_ecs)) = initial {
        let seen = if all_seen && dist::chance(rng, 0.75) {
            children
        } else {
            partial(rng)
        };
        saw_all = seen >= children;
        let body = case.contact(ContactKind::Initial, seen, by_ecs);
        tasks.push((case.before_determination(at), body));
    }
    let first = initial.map_or(r.plus(days(1.0)), |(t, _)| t);
    let span = case.determined.since(first).0.max(0) as f64;
    for _ in 0..dist::poisson(rng, 3.6) {
        let kinds = [
            ContactKind::HomeVisit,
            ContactKind::Collateral,
            ContactKind::FollowUp,
        ];
        let kind = kinds[dist::weighted(rng, &[0.45, 0.35, 0.20])];
        let at = first.plus(Dur((dist::unit(rng) * span) as i64));
        let seen = match kind {
            ContactKind::Collateral => 0,
            _ if all_seen && (!saw_all || dist::chance(rng, 0.6)) => children,
            _ => partial(rng),
        };
        saw_all |= seen >= children;
        // ECS also makes night-time follow-ups on cases received in business hours.
        let by_ecs = kind == ContactKind::FollowUp && dist::chance(rng, 0.08);
        tasks.push((
            case.before_determination(at),
            case.contact(kind, seen, by_ecs),
        ));
    }
    if all_seen && !saw_all {
        let at = first.plus(days(dist::uniform(rng, 0.5, 10.0)));
        let body = case.contact(ContactKind::HomeVisit, children, false);
        tasks.push((case.before_determination(at), body));
    }
}

pub(crate) fn safety_assessment(
    rng: &mut SimRng,
    case: &Case,
    perf: &Performance,
    result: SafetyResult,
    tasks: &mut Tasks,
) {
    let r = case.received;
    let at = if dist::chance(rng, perf.safety_7d) {
        Some(r.plus(days(dist::lognormal(rng, 3.5, 0.5).clamp(0.2, 6.99))))
    } else if dist::chance(rng, 0.8) {
        Some(r.plus(days(7.0 + dist::exponential(rng, 6.0).clamp(0.01, 60.0))))
    } else {
        None
    };
    if let Some(at) = at {
        let body = Body::SafetyAssessmentCompleted {
            investigation_id: case.id.to_string(),
            result,
        };
        tasks.push((case.before_determination(at), body));
    }
}

/// An emergency removal is followed by a Child Safety Conference, due within 72 hours; a
/// planned (court-ordered) removal is preceded by one.
pub(crate) fn removal(rng: &mut SimRng, case: &Case, perf: &Performance, tasks: &mut Tasks) {
    let emergency = dist::chance(rng, 0.85);
    let at = if emergency {
        let h = dist::lognormal(rng, 20.0, 1.0).clamp(1.0, 240.0);
        case.received.plus(hours(h))
    } else {
        case.received.plus(days(dist::uniform(rng, 5.0, 35.0)))
    }
    .min(case.determined.minus(days(1.0)));
    let removed = if dist::chance(rng, 0.6) {
        case.children
    } else {
        1 + dist::index(rng, case.children as usize) as u32
    };
    let body = Body::Removal {
        investigation_id: case.id.to_string(),
        children: removed,
        emergency,
    };
    tasks.push((at, body));
    let conference = if !emergency {
        dist::chance(rng, 0.9).then(|| at.minus(days(dist::uniform(rng, 1.0, 3.0))))
    } else if dist::chance(rng, perf.safety_conference_72h) {
        Some(at.plus(hours(dist::lognormal(rng, 30.0, 0.5).clamp(2.0, 71.9))))
    } else if dist::chance(rng, 0.6) {
        let h = 72.0 + dist::lognormal(rng, 30.0, 0.8).clamp(1.0, 24.0 * 14.0);
        Some(at.plus(hours(h)))
    } else {
        None
    };
    if let Some(c) = conference {
        tasks.push((c, case.conference(ConferenceKind::ChildSafety)));
    }
}

pub(crate) fn family_team_conference(rng: &mut SimRng, case: &Case, p: f64, tasks: &mut Tasks) {
    if dist::chance(rng, p) {
        let at = case.during(dist::uniform(rng, 0.05, 0.9));
        tasks.push((at, case.conference(ConferenceKind::FamilyTeam)));
    }
}

/// Usually a day or two before the determination; otherwise after it, or never.
pub(crate) fn review_time(
    rng: &mut SimRng,
    case: &Case,
    perf: &Performance,
    opened_at: Ts,
) -> Option<Ts> {
    let det = case.determined;
    if dist::chance(rng, perf.review_before_determination) {
        let back = hours(dist::lognormal(rng, 48.0, 0.8).clamp(0.5, 240.0));
        Some(det.minus(back).max(opened_at.plus(hours(1.0))))
    } else if dist::chance(rng, 0.5) {
        let share = dist::uniform(rng, 0.1, 0.95);
        Some(det.plus(Dur((share * case.closed.since(det).0 as f64) as i64)))
    } else {
        None
    }
}
