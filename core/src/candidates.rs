//! Case candidates for the weekly ChildStat review: open investigations that meet agreed
//! criteria, ranked for Quality Improvement to pick two.
//!
//! Everything is judged at one instant `as_of`, from events with `occurred_at ≤ as_of`, with
//! the same clock rules as the indicators (`indicators.md`): due once `deadline ≤ as_of`,
//! met when the task's earliest event is at or before the deadline.

use crate::clocks::Clocks;
use crate::state::InvState;
use crate::time::{Dur, Ts};
use serde::{Deserialize, Serialize};

/// A criterion an investigation can meet. Configured by name in `[case_candidates]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Contact, safety-assessment or determination deadline passed with the task not done.
    Overdue,
    /// Opened with `heightened_oversight`.
    HeightenedOversight,
    /// An emergency removal whose 72-hour conference deadline passed without a Child Safety
    /// Conference in `[removal, deadline]`.
    RemovalWithoutConference,
    /// After-hours intake or a contact made by Emergency Children's Services.
    EcsInvolved,
}

impl Criterion {
    pub const ALL: [Criterion; 4] = [
        Criterion::Overdue,
        Criterion::HeightenedOversight,
        Criterion::RemovalWithoutConference,
        Criterion::EcsInvolved,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Criterion::Overdue => "overdue",
            Criterion::HeightenedOversight => "heightened_oversight",
            Criterion::RemovalWithoutConference => "removal_without_conference",
            Criterion::EcsInvolved => "ecs_involved",
        }
    }
}

/// Where one regulatory clock stands at `as_of`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    /// Done at or before the deadline.
    Met,
    /// Done, but after the deadline.
    MetLate,
    /// Deadline passed, not done: what makes a case overdue.
    Overdue,
    /// Deadline still ahead, not done yet.
    Running,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockState {
    pub deadline: Ts,
    pub done_at: Option<Ts>,
    pub status: ClockStatus,
}

impl ClockState {
    fn new(deadline: Ts, done: Option<Ts>, as_of: Ts) -> ClockState {
        let done_at = done.filter(|&t| t <= as_of);
        let status = match done_at {
            Some(t) if t <= deadline => ClockStatus::Met,
            Some(_) => ClockStatus::MetLate,
            None if deadline <= as_of => ClockStatus::Overdue,
            None => ClockStatus::Running,
        };
        ClockState {
            deadline,
            done_at,
            status,
        }
    }
}

/// One investigation's review facts: only what is needed to choose, nothing that names a
/// family, child or worker.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub zone: String,
    pub received_at: Ts,
    pub age: Dur,
    pub met: Vec<Criterion>,
    pub contact: ClockState,
    pub safety_assessment: ClockState,
    pub determination: ClockState,
    /// One per emergency removal at or before `as_of`, in time order.
    pub safety_conferences: Vec<ClockState>,
}

/// The investigation as a candidate in `zone` at `as_of`, when it is open there and meets at
/// least one of `criteria`.
pub fn candidate(
    id: &str,
    s: &InvState,
    zone: &str,
    as_of: Ts,
    clocks: &Clocks,
    criteria: &[Criterion],
) -> Option<Candidate> {
    let o = s.opening.as_ref()?;
    // Open at as_of by the indicators' definition, judged from events at or before as_of.
    if o.received_at > as_of || o.occurred_at > as_of {
        return None;
    }
    if s.first_closed.is_some_and(|t| t <= as_of) || s.zone_at(as_of) != Some(zone) {
        return None;
    }
    let r = o.received_at;
    let contact = ClockState::new(r.plus(clocks.contact), s.first_contact(), as_of);
    let safety_assessment = ClockState::new(
        r.plus(clocks.safety_assessment),
        s.first_safety_assessment,
        as_of,
    );
    let determination = ClockState::new(
        r.plus(clocks.determination),
        s.first_determination.as_ref().map(|(k, _)| k.occurred_at),
        as_of,
    );
    let safety_conferences: Vec<ClockState> = s
        .removals
        .iter()
        .filter(|rem| rem.emergency && rem.occurred_at <= as_of)
        .map(|rem| {
            let deadline = rem.occurred_at.plus(clocks.safety_conference);
            let held = s
                .safety_conferences
                .iter()
                .copied()
                .find(|&t| rem.occurred_at <= t && t <= as_of);
            // The earliest conference since the removal: after the deadline it is late.
            ClockState::new(deadline, held, as_of)
        })
        .collect();

    let ecs = o.after_hours
        || s.contacts
            .iter()
            .any(|c| c.by_ecs && c.occurred_at <= as_of);
    let mut met: Vec<Criterion> = criteria
        .iter()
        .copied()
        .filter(|c| match c {
            Criterion::Overdue => [&contact, &safety_assessment, &determination]
                .iter()
                .any(|k| k.status == ClockStatus::Overdue),
            Criterion::HeightenedOversight => o.heightened_oversight,
            Criterion::RemovalWithoutConference => safety_conferences
                .iter()
                .any(|k| matches!(k.status, ClockStatus::Overdue | ClockStatus::MetLate)),
            Criterion::EcsInvolved => ecs,
        })
        .collect();
    met.sort();
    met.dedup();
    if met.is_empty() {
        return None;
    }
    Some(Candidate {
        id: id.to_string(),
        zone: zone.to_string(),
        received_at: r,
        age: as_of.since(r),
        met,
        contact,
        safety_assessment,
        determination,
        safety_conferences,
    })
}

/// Most criteria first, then the oldest; the id breaks ties so the order is stable.
pub fn rank(candidates: &mut [Candidate]) {
    candidates.sort_by(|a, b| {
        b.met
            .len()
            .cmp(&a.met.len())
            .then(a.received_at.cmp(&b.received_at))
            .then(a.id.cmp(&b.id))
    });
}
