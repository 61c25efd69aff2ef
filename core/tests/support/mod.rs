//! Builders for the hand-worked cases, and the sums a reader takes over contributions.
//!
//! Every investigation event is for "I1" and carries zone "Z01" unless a case says
//! otherwise, so a case only spells out the facts its expected numbers depend on.
#![allow(dead_code)]

use childstat_core::contrib::{investigation_contribs, CaseloadContribs, Contribs, WorkerChange};
use childstat_core::event::{
    Body, ConferenceKind, ContactKind, Finding, Opened, Role, SafetyResult, WorkerStatus,
};
use childstat_core::state::OrderKey;
use childstat_core::{Clocks, Event, Indicator, InvState, Ts};

pub fn ts(s: &str) -> Ts {
    Ts::parse_rfc3339(s).expect("test timestamp")
}

fn ev(kind: &str, at: &str, zone: &str, body: Body) -> Event {
    Event {
        event_id: format!("{kind}@{at}"),
        occurred_at: ts(at),
        recorded_at: ts(at),
        zone: zone.into(),
        body,
    }
}

fn inv() -> String {
    "I1".into()
}

/// An opening in Z01 that occurred at its receipt: 2 children, worker W1, family F1.
pub fn opening(received: &str) -> Event {
    ev(
        "open",
        received,
        "Z01",
        Body::InvestigationOpened(Opened {
            investigation_id: inv(),
            received_at: ts(received),
            family_id: "F1".into(),
            children: 2,
            worker_id: "W1".into(),
            supervisor_id: "S1".into(),
            heightened_oversight: false,
            after_hours: false,
        }),
    )
}

pub fn with_opened(mut e: Event, f: impl FnOnce(&mut Opened)) -> Event {
    if let Body::InvestigationOpened(o) = &mut e.body {
        f(o);
    }
    e
}

/// The event entered at `at` (both `occurred_at` and `recorded_at`).
pub fn occurred(mut e: Event, at: &str) -> Event {
    e.occurred_at = ts(at);
    e.recorded_at = ts(at);
    e
}

pub fn recorded(mut e: Event, at: &str) -> Event {
    e.recorded_at = ts(at);
    e
}

pub fn with_id(mut e: Event, id: &str) -> Event {
    e.event_id = id.into();
    e
}

pub fn in_zone(mut e: Event, zone: &str) -> Event {
    e.zone = zone.into();
    e
}

pub fn contact(at: &str, children_seen: u32, by_ecs: bool) -> Event {
    ev(
        "contact",
        at,
        "Z01",
        Body::ContactMade {
            investigation_id: inv(),
            kind: ContactKind::HomeVisit,
            children_seen,
            by_ecs,
        },
    )
}

pub fn safety_assessment(at: &str) -> Event {
    ev(
        "sa",
        at,
        "Z01",
        Body::SafetyAssessmentCompleted {
            investigation_id: inv(),
            result: SafetyResult::Safe,
        },
    )
}

pub fn review(at: &str) -> Event {
    ev(
        "review",
        at,
        "Z01",
        Body::SupervisoryReviewCompleted {
            investigation_id: inv(),
            supervisor_id: "S1".into(),
        },
    )
}

pub fn determination(at: &str, finding: Finding) -> Event {
    ev(
        "det",
        at,
        "Z01",
        Body::DeterminationMade {
            investigation_id: inv(),
            finding,
        },
    )
}

pub fn closed(at: &str) -> Event {
    ev(
        "close",
        at,
        "Z01",
        Body::InvestigationClosed {
            investigation_id: inv(),
        },
    )
}

pub fn transfer(at: &str, zone: &str, worker: &str) -> Event {
    ev(
        "transfer",
        at,
        zone,
        Body::InvestigationTransferred {
            investigation_id: inv(),
            worker_id: worker.into(),
            supervisor_id: "S2".into(),
        },
    )
}

pub fn removal(at: &str, children: u32, emergency: bool) -> Event {
    ev(
        "removal",
        at,
        "Z01",
        Body::Removal {
            investigation_id: inv(),
            children,
            emergency,
        },
    )
}

pub fn conference(at: &str, kind: ConferenceKind) -> Event {
    ev(
        "conf",
        at,
        "Z01",
        Body::ConferenceHeld {
            investigation_id: inv(),
            kind,
        },
    )
}

pub fn worker_change(
    worker: &str,
    at: &str,
    zone: &str,
    role: Role,
    status: WorkerStatus,
) -> WorkerChange {
    WorkerChange {
        key: OrderKey {
            occurred_at: ts(at),
            recorded_at: ts(at),
            event_id: format!("w-{worker}@{at}"),
        },
        role,
        status,
        zone: zone.into(),
    }
}

pub fn fold(events: &[Event]) -> InvState {
    let mut s = InvState::default();
    for e in events {
        s.apply(e, Ts(0));
    }
    s
}

/// The contributions of one investigation, read the way the aggregator's queries read them.
pub struct View {
    pub c: Contribs,
    pub load: CaseloadContribs,
}

impl View {
    pub fn of(events: &[Event]) -> View {
        View::of_state(&fold(events), &[])
    }

    /// `family` holds the `received_at` of the family's other investigations.
    pub fn with_family(events: &[Event], family: &[Ts]) -> View {
        View::of_state(&fold(events), family)
    }

    pub fn of_state(s: &InvState, family: &[Ts]) -> View {
        View::with_clocks(s, family, &Clocks::default())
    }

    pub fn with_clocks(s: &InvState, family: &[Ts], clocks: &Clocks) -> View {
        let (c, load) = investigation_contribs(s, family, clocks);
        View { c, load }
    }

    /// Every contribution to a flow indicator: (zone, attribution instant, num, den).
    pub fn flow(&self, ind: Indicator) -> Vec<(String, Ts, i64, i64)> {
        self.c
            .map
            .iter()
            .filter(|(k, _)| k.indicator == ind)
            .map(|(k, (n, d))| (k.zone.clone(), k.at, *n, *d))
            .collect()
    }

    /// A flow indicator over `(lo, hi]`, in `zone` or citywide (`None`).
    pub fn window(&self, ind: Indicator, zone: Option<&str>, lo: Ts, hi: Ts) -> (i64, i64) {
        self.c
            .map
            .iter()
            .filter(|(k, _)| k.indicator == ind && zone.is_none_or(|z| z == k.zone))
            .filter(|(k, _)| lo < k.at && k.at <= hi)
            .fold((0, 0), |(n, d), (_, (dn, dd))| (n + dn, d + dd))
    }

    /// A point-in-time count at `t`: every +1/-1 at or before `t`.
    pub fn at(&self, ind: Indicator, zone: &str, t: Ts) -> i64 {
        self.c
            .map
            .iter()
            .filter(|(k, _)| k.indicator == ind && k.zone == zone && k.at <= t)
            .map(|(_, (n, _))| n)
            .sum()
    }

    /// The investigation's contribution to `worker`'s caseload at `t`.
    pub fn load_at(&self, worker: &str, t: Ts) -> i64 {
        self.load
            .map
            .iter()
            .filter(|((w, at), _)| w == worker && *at <= t)
            .map(|(_, d)| d)
            .sum()
    }
}

/// One flow member: (zone, attribution instant, num, den).
pub fn member(zone: &str, at: &str, num: i64, den: i64) -> (String, Ts, i64, i64) {
    (zone.into(), ts(at), num, den)
}
