//! The fold and its contributions: order independence and hand-worked cases.

use childstat_core::contrib::investigation_contribs;
use childstat_core::event::{Body, ContactKind, Opened};
use childstat_core::{Clocks, Event, Indicator, InvState, Ts};
use proptest::prelude::*;

fn ts(s: &str) -> Ts {
    Ts::parse_rfc3339(s).expect("timestamp")
}

fn ev(id: &str, at: &str, zone: &str, body: Body) -> Event {
    Event {
        event_id: id.into(),
        occurred_at: ts(at),
        recorded_at: ts(at),
        zone: zone.into(),
        body,
    }
}

fn opened(id: &str, at: &str, received: &str, zone: &str) -> Event {
    ev(
        id,
        at,
        zone,
        Body::InvestigationOpened(Opened {
            investigation_id: "I1".into(),
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

fn contact(id: &str, at: &str) -> Event {
    ev(
        id,
        at,
        "Z01",
        Body::ContactMade {
            investigation_id: "I1".into(),
            kind: ContactKind::Initial,
            children_seen: 2,
            by_ecs: false,
        },
    )
}

fn transfer(id: &str, at: &str, zone: &str) -> Event {
    ev(
        id,
        at,
        zone,
        Body::InvestigationTransferred {
            investigation_id: "I1".into(),
            worker_id: "W2".into(),
            supervisor_id: "S2".into(),
        },
    )
}

fn closed(id: &str, at: &str) -> Event {
    ev(
        id,
        at,
        "Z01",
        Body::InvestigationClosed {
            investigation_id: "I1".into(),
        },
    )
}

fn fold(events: &[Event]) -> InvState {
    let mut s = InvState::default();
    for e in events {
        s.apply(e, Ts(0));
    }
    s.pending.clear();
    s
}

/// Sum of contributions for one indicator and zone at or before `t` (point in time).
fn pit(s: &InvState, ind: Indicator, zone: &str, t: Ts) -> i64 {
    let (c, _) = investigation_contribs(s, &[], &Clocks::default());
    c.map
        .iter()
        .filter(|(k, _)| k.indicator == ind && k.zone == zone && k.at <= t)
        .map(|(_, (n, _))| n)
        .sum()
}

fn flow(s: &InvState, ind: Indicator) -> Vec<(String, Ts, i64, i64)> {
    let (c, _) = investigation_contribs(s, &[], &Clocks::default());
    c.map
        .iter()
        .filter(|(k, _)| k.indicator == ind)
        .map(|(k, (n, d))| (k.zone.clone(), k.at, *n, *d))
        .collect()
}

#[test]
fn contact_exactly_at_the_deadline_is_met_and_one_second_late_is_not() {
    let on_time = fold(&[
        opened("o", "2026-03-01T10:00:00Z", "2026-03-01T09:00:00Z", "Z01"),
        contact("c", "2026-03-02T09:00:00Z"),
    ]);
    assert_eq!(
        flow(&on_time, Indicator::Contact24hRate),
        vec![("Z01".into(), ts("2026-03-02T09:00:00Z"), 1, 1)]
    );
    let late = fold(&[
        opened("o", "2026-03-01T10:00:00Z", "2026-03-01T09:00:00Z", "Z01"),
        contact("c", "2026-03-02T09:00:01Z"),
    ]);
    assert_eq!(
        flow(&late, Indicator::Contact24hRate),
        vec![("Z01".into(), ts("2026-03-02T09:00:00Z"), 0, 1)]
    );
    // Overdue from the deadline until the late contact.
    assert_eq!(
        pit(
            &late,
            Indicator::OverdueContact,
            "Z01",
            ts("2026-03-02T08:59:59Z")
        ),
        0
    );
    assert_eq!(
        pit(
            &late,
            Indicator::OverdueContact,
            "Z01",
            ts("2026-03-02T09:00:00Z")
        ),
        1
    );
    assert_eq!(
        pit(
            &late,
            Indicator::OverdueContact,
            "Z01",
            ts("2026-03-02T09:00:01Z")
        ),
        0
    );
}

#[test]
fn a_transfer_moves_point_in_time_counts_but_not_past_flow_members() {
    let s = fold(&[
        opened("o", "2026-03-01T09:00:00Z", "2026-03-01T09:00:00Z", "Z01"),
        transfer("t", "2026-03-03T00:00:00Z", "Z02"),
    ]);
    // The contact deadline (Mar 2, 09:00) was missed while in Z01: it stays in Z01.
    assert_eq!(
        flow(&s, Indicator::Contact24hRate),
        vec![("Z01".into(), ts("2026-03-02T09:00:00Z"), 0, 1)]
    );
    assert_eq!(
        pit(
            &s,
            Indicator::OpenInvestigations,
            "Z01",
            ts("2026-03-02T23:59:59Z")
        ),
        1
    );
    assert_eq!(
        pit(
            &s,
            Indicator::OpenInvestigations,
            "Z01",
            ts("2026-03-03T00:00:00Z")
        ),
        0
    );
    assert_eq!(
        pit(
            &s,
            Indicator::OpenInvestigations,
            "Z02",
            ts("2026-03-03T00:00:00Z")
        ),
        1
    );
    assert_eq!(
        pit(
            &s,
            Indicator::OverdueContact,
            "Z02",
            ts("2026-03-04T00:00:00Z")
        ),
        1
    );
}

#[test]
fn opening_is_visible_only_once_it_occurred_and_closing_ends_it() {
    // Received at 09:00, entered (occurred) at 11:00: open from 11:00.
    let s = fold(&[
        opened("o", "2026-03-01T11:00:00Z", "2026-03-01T09:00:00Z", "Z01"),
        closed("x", "2026-03-05T00:00:00Z"),
    ]);
    assert_eq!(
        pit(
            &s,
            Indicator::OpenInvestigations,
            "Z01",
            ts("2026-03-01T10:00:00Z")
        ),
        0
    );
    assert_eq!(
        pit(
            &s,
            Indicator::OpenInvestigations,
            "Z01",
            ts("2026-03-01T11:00:00Z")
        ),
        1
    );
    assert_eq!(
        pit(
            &s,
            Indicator::OpenInvestigations,
            "Z01",
            ts("2026-03-05T00:00:00Z")
        ),
        0
    );
    // The intake is attributed at received_at.
    assert_eq!(
        flow(&s, Indicator::Intakes),
        vec![("Z01".into(), ts("2026-03-01T09:00:00Z"), 1, 0)]
    );
}

#[test]
fn the_earliest_opening_defines_the_investigation() {
    let a = opened("o-b", "2026-03-01T09:00:00Z", "2026-03-01T09:00:00Z", "Z01");
    let b = opened("o-a", "2026-03-01T09:00:00Z", "2026-03-01T08:00:00Z", "Z02");
    let s1 = fold(&[a.clone(), b.clone()]);
    let s2 = fold(&[b, a]);
    assert_eq!(s1, s2);
    // Equal occurred_at: the smaller event_id wins.
    assert_eq!(s1.opening.as_ref().map(|o| o.zone.as_str()), Some("Z02"));
    assert_eq!(s1.ignored_openings, 1);
}

fn events() -> Vec<Event> {
    vec![
        opened("o1", "2026-03-01T10:00:00Z", "2026-03-01T09:00:00Z", "Z01"),
        opened("o2", "2026-03-01T12:00:00Z", "2026-03-01T09:30:00Z", "Z03"),
        contact("c1", "2026-03-02T12:00:00Z"),
        contact("c2", "2026-02-28T12:00:00Z"),
        transfer("t1", "2026-03-04T00:00:00Z", "Z02"),
        transfer("t2", "2026-03-04T00:00:00Z", "Z05"),
        transfer("t3", "2026-03-06T00:00:00Z", "Z01"),
        closed("x1", "2026-03-20T00:00:00Z"),
        closed("x2", "2026-03-18T00:00:00Z"),
    ]
}

proptest! {
    #[test]
    fn folding_is_order_independent(perm in Just(events()).prop_shuffle()) {
        let reference = fold(&events());
        let s = fold(&perm);
        prop_assert_eq!(&s, &reference);
        prop_assert_eq!(
            investigation_contribs(&s, &[], &Clocks::default()),
            investigation_contribs(&reference, &[], &Clocks::default())
        );
    }
}
