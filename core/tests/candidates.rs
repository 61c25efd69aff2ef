//! Case candidates, hand-worked: which open investigations qualify, with which clock states,
//! and in what order.

mod support;

use childstat_core::candidates::{candidate, rank, ClockStatus, Criterion};
use childstat_core::event::{ConferenceKind, Finding};
use childstat_core::Clocks;
use support::*;

const ALL: [Criterion; 4] = Criterion::ALL;

#[test]
fn overdue_contact_qualifies_once_the_deadline_passes() {
    let s = fold(&[opening("2026-03-02T09:00:00-05:00")]);
    let c = Clocks::default();
    // Exactly at the deadline the clock is due and not met: overdue.
    let at_deadline = ts("2026-03-03T09:00:00-05:00");
    let k = candidate("I1", &s, "Z01", at_deadline, &c, &ALL).expect("overdue at the deadline");
    assert_eq!(k.met, vec![Criterion::Overdue]);
    assert_eq!(k.contact.status, ClockStatus::Overdue);
    assert_eq!(k.safety_assessment.status, ClockStatus::Running);
    // One second earlier nothing is due yet and nothing else applies.
    let before = ts("2026-03-03T08:59:59-05:00");
    assert!(candidate("I1", &s, "Z01", before, &c, &ALL).is_none());
}

#[test]
fn a_late_contact_ends_overdue_but_shows_as_met_late() {
    let s = fold(&[
        opening("2026-03-02T09:00:00-05:00"),
        contact("2026-03-04T10:00:00-05:00", 2, false),
    ]);
    let c = Clocks::default();
    let during = ts("2026-03-04T09:00:00-05:00");
    assert_eq!(
        candidate("I1", &s, "Z01", during, &c, &ALL).map(|k| k.contact.status),
        Some(ClockStatus::Overdue)
    );
    // After the late contact nothing is overdue: not a candidate on that criterion.
    let after = ts("2026-03-05T09:00:00-05:00");
    assert!(candidate("I1", &s, "Z01", after, &c, &ALL).is_none());
    let heightened = fold(&[
        with_opened(opening("2026-03-02T09:00:00-05:00"), |o| {
            o.heightened_oversight = true
        }),
        contact("2026-03-04T10:00:00-05:00", 2, false),
    ]);
    let k = candidate("I1", &heightened, "Z01", after, &c, &ALL).expect("heightened");
    assert_eq!(k.met, vec![Criterion::HeightenedOversight]);
    assert_eq!(k.contact.status, ClockStatus::MetLate);
}

#[test]
fn emergency_removal_conference_at_72h_is_met_and_at_73h_is_not() {
    let base = [
        opening("2026-03-02T09:00:00-05:00"),
        contact("2026-03-02T10:00:00-05:00", 2, false),
        removal("2026-03-02T12:00:00-05:00", 1, true),
    ];
    let c = Clocks::default();
    let as_of = ts("2026-03-06T12:00:00-05:00");
    let mut on_time = base.to_vec();
    on_time.push(conference(
        "2026-03-05T12:00:00-05:00",
        ConferenceKind::ChildSafety,
    ));
    assert!(candidate("I1", &fold(&on_time), "Z01", as_of, &c, &ALL).is_none());

    let mut late = base.to_vec();
    late.push(conference(
        "2026-03-05T13:00:00-05:00",
        ConferenceKind::ChildSafety,
    ));
    let k = candidate("I1", &fold(&late), "Z01", as_of, &c, &ALL).expect("late conference");
    assert_eq!(k.met, vec![Criterion::RemovalWithoutConference]);
    assert_eq!(k.safety_conferences[0].status, ClockStatus::MetLate);

    let k = candidate("I1", &fold(&base), "Z01", as_of, &c, &ALL).expect("no conference");
    assert_eq!(k.safety_conferences[0].status, ClockStatus::Overdue);
}

#[test]
fn only_open_investigations_in_the_zone_at_as_of_qualify() {
    let events = [
        with_opened(opening("2026-03-02T09:00:00-05:00"), |o| {
            o.after_hours = true
        }),
        transfer("2026-03-10T09:00:00-05:00", "Z07", "W2"),
        determination("2026-03-20T09:00:00-05:00", Finding::Unfounded),
        closed("2026-03-25T09:00:00-05:00"),
    ];
    let s = fold(&events);
    let c = Clocks::default();
    let only_ecs = [Criterion::EcsInvolved];
    let before_transfer = ts("2026-03-05T00:00:00-05:00");
    assert!(candidate("I1", &s, "Z01", before_transfer, &c, &only_ecs).is_some());
    assert!(candidate("I1", &s, "Z07", before_transfer, &c, &only_ecs).is_none());
    let after_transfer = ts("2026-03-15T00:00:00-04:00");
    assert!(candidate("I1", &s, "Z01", after_transfer, &c, &only_ecs).is_none());
    assert!(candidate("I1", &s, "Z07", after_transfer, &c, &only_ecs).is_some());
    // Closed at as_of: never a candidate, whatever it met.
    let closed_at = ts("2026-03-25T09:00:00-05:00");
    assert!(candidate("I1", &s, "Z07", closed_at, &c, &ALL).is_none());
    // Before the intake was received it is not open either.
    let before = ts("2026-03-01T00:00:00-05:00");
    assert!(candidate("I1", &s, "Z01", before, &c, &ALL).is_none());
}

#[test]
fn unconfigured_criteria_are_not_applied() {
    let s = fold(&[with_opened(opening("2026-03-02T09:00:00-05:00"), |o| {
        o.heightened_oversight = true
    })]);
    let as_of = ts("2026-03-02T10:00:00-05:00");
    let c = Clocks::default();
    assert!(candidate("I1", &s, "Z01", as_of, &c, &[Criterion::Overdue]).is_none());
    assert!(candidate(
        "I1",
        &s,
        "Z01",
        as_of,
        &c,
        &[Criterion::HeightenedOversight]
    )
    .is_some());
}

#[test]
fn ranking_is_by_criteria_met_then_age_then_id() {
    let c = Clocks::default();
    let as_of = ts("2026-04-30T12:00:00-04:00");
    let old_one = fold(&[opening("2026-03-01T09:00:00-05:00")]);
    let young_two = fold(&[with_opened(opening("2026-04-01T09:00:00-04:00"), |o| {
        o.heightened_oversight = true
    })]);
    let young_one = fold(&[opening("2026-04-01T09:00:00-04:00")]);
    let mut all: Vec<_> = [("C", &young_one), ("A", &old_one), ("B", &young_two)]
        .into_iter()
        .filter_map(|(id, s)| candidate(id, s, "Z01", as_of, &c, &ALL))
        .collect();
    rank(&mut all);
    let order: Vec<&str> = all.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(order, ["B", "A", "C"]);
    assert_eq!(all[0].met.len(), 2);
}
