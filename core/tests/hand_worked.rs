//! Hand-worked cases for one investigation's contributions: deadlines on and just past the
//! boundary, the members defined by the earliest determination, removals and conferences,
//! the investigation-based counts, and duplicate openings. Every expected number is derived
//! in a comment from `shared/indicators.md`.

mod support;

use childstat_core::event::{ConferenceKind, Finding};
use childstat_core::{Event, Indicator as I, Ts};
use support::*;

/// `received_at` of most cases. April 2026 has no DST change.
const R: &str = "2026-04-01T09:00:00Z";

fn just_before(t: &str) -> Ts {
    Ts(ts(t).0 - 1)
}

/// A clock done exactly at its deadline, and one second after it.
fn boundary(task: fn(&str) -> Event, rate: I, overdue: I, deadline: &str, late: &str) {
    let met = View::of(&[opening(R), task(deadline)]);
    // Done at the deadline: occurred_at ≤ deadline is met, attributed at the deadline.
    assert_eq!(met.flow(rate), vec![member("Z01", deadline, 1, 1)]);
    // Due at the deadline, but already done by then: never overdue.
    assert_eq!(met.at(overdue, "Z01", ts(deadline)), 0);

    let missed = View::of(&[opening(R), task(late)]);
    // Done one second after the deadline: occurred_at > deadline is missed.
    assert_eq!(missed.flow(rate), vec![member("Z01", deadline, 0, 1)]);
    // Not yet due a nanosecond before the deadline.
    assert_eq!(missed.at(overdue, "Z01", just_before(deadline)), 0);
    // Due (deadline ≤ as_of) with no task event yet: overdue.
    assert_eq!(missed.at(overdue, "Z01", ts(deadline)), 1);
    // Done late: a task event with occurred_at ≤ as_of stops it being overdue.
    assert_eq!(missed.at(overdue, "Z01", ts(late)), 0);
}

#[test]
fn contact_24h_on_the_boundary_is_met_and_one_second_late_is_missed() {
    // 2026-04-01T09:00Z + 86,400 s = 2026-04-02T09:00Z.
    boundary(
        |at| contact(at, 2, false),
        I::Contact24hRate,
        I::OverdueContact,
        "2026-04-02T09:00:00Z",
        "2026-04-02T09:00:01Z",
    );
}

#[test]
fn safety_assessment_7d_on_the_boundary_is_met_and_one_second_late_is_missed() {
    // 2026-04-01T09:00Z + 7 × 86,400 s = 2026-04-08T09:00Z.
    boundary(
        safety_assessment,
        I::SafetyAssessment7dRate,
        I::OverdueSafetyAssessment,
        "2026-04-08T09:00:00Z",
        "2026-04-08T09:00:01Z",
    );
}

#[test]
fn determination_60d_on_the_boundary_is_met_and_one_second_late_is_missed() {
    // 2026-04-01T09:00Z + 60 × 86,400 s = 2026-05-31T09:00Z (29 days left in April, 31 in May).
    boundary(
        |at| determination(at, Finding::Unfounded),
        I::Determination60dRate,
        I::OverdueDetermination,
        "2026-05-31T09:00:00Z",
        "2026-05-31T09:00:01Z",
    );
}

#[test]
fn a_task_never_done_is_overdue_until_the_investigation_closes() {
    let v = View::of(&[opening(R), closed("2026-04-10T00:00:00Z")]);
    // No contact at all: the member at the deadline is missed.
    assert_eq!(
        v.flow(I::Contact24hRate),
        vec![member("Z01", "2026-04-02T09:00:00Z", 0, 1)]
    );
    // Open, due since Apr 2 09:00 and not done: overdue.
    assert_eq!(
        v.at(
            I::OverdueContact,
            "Z01",
            just_before("2026-04-10T00:00:00Z")
        ),
        1
    );
    // Closed at Apr 10 00:00: no longer open, so no longer counted.
    assert_eq!(
        v.at(I::OverdueContact, "Z01", ts("2026-04-10T00:00:00Z")),
        0
    );
    // The 7d assessment fell due on Apr 8 09:00 while still open: overdue from then to the close.
    assert_eq!(
        v.at(
            I::OverdueSafetyAssessment,
            "Z01",
            ts("2026-04-08T09:00:00Z")
        ),
        1
    );
    assert_eq!(
        v.at(
            I::OverdueSafetyAssessment,
            "Z01",
            ts("2026-04-10T00:00:00Z")
        ),
        0
    );
    // The 60d determination deadline (May 31) comes after the close: never overdue.
    assert_eq!(
        v.at(I::OverdueDetermination, "Z01", ts("2026-06-01T00:00:00Z")),
        0
    );
    // Its flow member still exists, at the deadline, missed: the clock runs regardless of closing.
    assert_eq!(
        v.flow(I::Determination60dRate),
        vec![member("Z01", "2026-05-31T09:00:00Z", 0, 1)]
    );
}

/// The earliest determination of most cases below.
const D: &str = "2026-04-20T15:00:00Z";

#[test]
fn supervisory_review_counts_only_at_or_before_the_determination() {
    let det = || determination(D, Finding::Unfounded);
    let after = View::of(&[opening(R), det(), review("2026-04-20T15:00:01Z")]);
    // The review is one second after the determination: not reviewed, 0 of 1.
    assert_eq!(
        after.flow(I::SupervisoryReviewRate),
        vec![member("Z01", D, 0, 1)]
    );
    let same = View::of(&[opening(R), det(), review(D)]);
    // Review at the same instant: "at or before" is inclusive, 1 of 1.
    assert_eq!(
        same.flow(I::SupervisoryReviewRate),
        vec![member("Z01", D, 1, 1)]
    );
    let before = View::of(&[opening(R), det(), review("2026-04-19T15:00:00Z")]);
    // A day before: 1 of 1.
    assert_eq!(
        before.flow(I::SupervisoryReviewRate),
        vec![member("Z01", D, 1, 1)]
    );
    let none = View::of(&[opening(R), review("2026-04-19T15:00:00Z")]);
    // No determination: not a member at all, so no denominator.
    assert!(none.flow(I::SupervisoryReviewRate).is_empty());
}

#[test]
fn all_children_seen_needs_one_contact_seeing_every_child_by_the_determination() {
    let three = || with_opened(opening(R), |o| o.children = 3);
    let det = || determination(D, Finding::Indicated);
    let case = |contacts: Vec<Event>| {
        let mut events = vec![three(), det()];
        events.extend(contacts);
        View::of(&events).flow(I::AllChildrenSeenRate)
    };
    // children_seen 3 ≥ children 3, a day before the determination: 1 of 1.
    assert_eq!(
        case(vec![contact("2026-04-19T15:00:00Z", 3, false)]),
        vec![member("Z01", D, 1, 1)]
    );
    // children_seen 2 < 3: 0 of 1.
    assert_eq!(
        case(vec![contact("2026-04-19T15:00:00Z", 2, false)]),
        vec![member("Z01", D, 0, 1)]
    );
    // All 3 seen, but one second after the determination: 0 of 1.
    assert_eq!(
        case(vec![contact("2026-04-20T15:00:01Z", 3, false)]),
        vec![member("Z01", D, 0, 1)]
    );
    // 4 ≥ 3 at the determination's own instant (inclusive): 1 of 1.
    assert_eq!(
        case(vec![contact(D, 4, false)]),
        vec![member("Z01", D, 1, 1)]
    );
    // 2 then 1: no single contact has children_seen ≥ 3, so 0 of 1.
    assert_eq!(
        case(vec![
            contact("2026-04-18T15:00:00Z", 2, false),
            contact("2026-04-19T15:00:00Z", 1, false)
        ]),
        vec![member("Z01", D, 0, 1)]
    );
}

#[test]
fn indication_uses_the_earliest_determination_and_ignores_later_ones() {
    let d2 = "2026-04-25T15:00:00Z";
    let events = [
        opening(R),
        determination(D, Finding::Unfounded),
        determination(d2, Finding::Indicated),
        review("2026-04-22T15:00:00Z"),
        contact("2026-04-22T15:00:00Z", 2, false),
    ];
    let v = View::of(&events);
    // The earliest finding is unfounded, attributed at D: 0 of 1; the indicated one is ignored.
    assert_eq!(v.flow(I::IndicationRate), vec![member("Z01", D, 0, 1)]);
    // Review and contact fall between D and d2: after "that determination", so 0 of 1 each.
    assert_eq!(
        v.flow(I::SupervisoryReviewRate),
        vec![member("Z01", D, 0, 1)]
    );
    assert_eq!(v.flow(I::AllChildrenSeenRate), vec![member("Z01", D, 0, 1)]);
    // D (Apr 20) ≤ the 60d deadline (May 31 09:00): met, 1 of 1.
    assert_eq!(
        v.flow(I::Determination60dRate),
        vec![member("Z01", "2026-05-31T09:00:00Z", 1, 1)]
    );
    // Delivered in reverse order, the same facts: the fold keeps the earliest.
    let mut reversed = events.to_vec();
    reversed.reverse();
    assert_eq!(View::of(&reversed).c, v.c);

    let flipped = View::of(&[
        opening(R),
        determination(D, Finding::Indicated),
        determination(d2, Finding::Unfounded),
    ]);
    // Earliest indicated, later unfounded: 1 of 1.
    assert_eq!(
        flipped.flow(I::IndicationRate),
        vec![member("Z01", D, 1, 1)]
    );

    // Same occurred_at: the earlier recorded_at is earliest, whatever the event_ids say.
    let tie = View::of(&[
        opening(R),
        with_id(recorded(determination(D, Finding::Indicated), d2), "a"),
        with_id(determination(D, Finding::Unfounded), "b"),
    ]);
    // "b" was recorded at D, "a" only at d2: b's unfounded decides, 0 of 1.
    assert_eq!(tie.flow(I::IndicationRate), vec![member("Z01", D, 0, 1)]);
}

/// Emergency removal instant of the removal cases; its 72h deadline is Apr 6 12:00.
const X: &str = "2026-04-03T12:00:00Z";

#[test]
fn a_child_safety_conference_at_72h_is_met_and_at_73h_is_missed() {
    let case = |extra: Vec<Event>| {
        let mut events = vec![opening(R), removal(X, 2, true)];
        events.extend(extra);
        View::of(&events)
    };
    let met = case(vec![conference(
        "2026-04-06T12:00:00Z",
        ConferenceKind::ChildSafety,
    )]);
    // X + 72 × 3,600 s = Apr 6 12:00; a conference at exactly that instant is in [X, deadline].
    assert_eq!(
        met.flow(I::SafetyConferenceRate),
        vec![member("Z01", "2026-04-06T12:00:00Z", 1, 1)]
    );
    // children_removed sums the removal's children at its occurred_at: 2.
    assert_eq!(met.flow(I::ChildrenRemoved), vec![member("Z01", X, 2, 0)]);
    let late = case(vec![conference(
        "2026-04-06T13:00:00Z",
        ConferenceKind::ChildSafety,
    )]);
    // 73h after the removal is past the deadline: 0 of 1.
    assert_eq!(
        late.flow(I::SafetyConferenceRate),
        vec![member("Z01", "2026-04-06T12:00:00Z", 0, 1)]
    );
    let family_team = case(vec![conference(
        "2026-04-03T13:00:00Z",
        ConferenceKind::FamilyTeam,
    )]);
    // Only a child_safety conference meets the clock: 0 of 1.
    assert_eq!(
        family_team.flow(I::SafetyConferenceRate),
        vec![member("Z01", "2026-04-06T12:00:00Z", 0, 1)]
    );
    let early = case(vec![conference(
        "2026-04-03T11:00:00Z",
        ConferenceKind::ChildSafety,
    )]);
    // An hour before the removal is outside [removal, deadline]: 0 of 1.
    assert_eq!(
        early.flow(I::SafetyConferenceRate),
        vec![member("Z01", "2026-04-06T12:00:00Z", 0, 1)]
    );
}

#[test]
fn a_non_emergency_removal_counts_children_but_has_no_conference_clock() {
    let v = View::of(&[opening(R), removal(X, 1, false)]);
    // 1 child removed at X.
    assert_eq!(v.flow(I::ChildrenRemoved), vec![member("Z01", X, 1, 0)]);
    // Only emergency removals are members of the conference rate.
    assert!(v.flow(I::SafetyConferenceRate).is_empty());

    let two = View::of(&[
        opening(R),
        removal(X, 2, true),
        removal("2026-04-04T12:00:00Z", 1, true),
        conference("2026-04-06T20:00:00Z", ConferenceKind::ChildSafety),
    ]);
    // The conference at Apr 6 20:00 is 80h after the first removal (missed, deadline Apr 6
    // 12:00) and 56h after the second (met, deadline Apr 7 12:00): one member each.
    assert_eq!(
        two.flow(I::SafetyConferenceRate),
        vec![
            member("Z01", "2026-04-06T12:00:00Z", 0, 1),
            member("Z01", "2026-04-07T12:00:00Z", 1, 1)
        ]
    );
    // 2 + 1 children over the two removals, each at its own instant.
    assert_eq!(
        two.window(
            I::ChildrenRemoved,
            Some("Z01"),
            ts(R),
            ts("2026-04-08T00:00:00Z")
        ),
        (3, 0)
    );
}

#[test]
fn open_and_heightened_oversight_run_from_receipt_to_closing() {
    let c = "2026-04-15T12:00:00Z";
    let v = View::of(&[
        with_opened(opening(R), |o| o.heightened_oversight = true),
        closed(c),
    ]);
    for ind in [I::OpenInvestigations, I::HeightenedOversightOpen] {
        // Open at t when received_at ≤ t: not yet a nanosecond before R, open at R.
        assert_eq!(v.at(ind, "Z01", just_before(R)), 0, "{ind}");
        assert_eq!(v.at(ind, "Z01", ts(R)), 1, "{ind}");
        // Still open a nanosecond before the closing, not at it (closed occurred_at ≤ t).
        assert_eq!(v.at(ind, "Z01", just_before(c)), 1, "{ind}");
        assert_eq!(v.at(ind, "Z01", ts(c)), 0, "{ind}");
    }
    let plain = View::of(&[opening(R)]);
    // Without heightened_oversight it is open but not counted there.
    assert_eq!(plain.at(I::OpenInvestigations, "Z01", ts(c)), 1);
    assert_eq!(plain.at(I::HeightenedOversightOpen, "Z01", ts(c)), 0);
}

#[test]
fn ecs_involved_counts_after_hours_or_any_by_ecs_contact_at_receipt() {
    let after_hours = View::of(&[with_opened(opening(R), |o| o.after_hours = true)]);
    // after_hours: counted once, at received_at.
    assert_eq!(
        after_hours.flow(I::EcsInvolved),
        vec![member("Z01", R, 1, 0)]
    );
    let by_ecs = View::of(&[opening(R), contact("2026-04-09T09:00:00Z", 0, true)]);
    // A by_ecs contact eight days later still counts, attributed at received_at.
    assert_eq!(by_ecs.flow(I::EcsInvolved), vec![member("Z01", R, 1, 0)]);
    let both = View::of(&[
        with_opened(opening(R), |o| o.after_hours = true),
        contact("2026-04-01T10:00:00Z", 2, true),
    ]);
    // Both reasons: still one investigation, 1.
    assert_eq!(both.flow(I::EcsInvolved), vec![member("Z01", R, 1, 0)]);
    let neither = View::of(&[opening(R), contact("2026-04-01T10:00:00Z", 2, false)]);
    // Neither: not counted.
    assert!(neither.flow(I::EcsInvolved).is_empty());
    // Every investigation is an intake at received_at, ECS or not: 1.
    assert_eq!(neither.flow(I::Intakes), vec![member("Z01", R, 1, 0)]);
}

#[test]
fn an_earlier_duplicate_opening_replaces_the_first() {
    let first = with_id(
        occurred(
            in_zone(opening("2026-04-02T08:00:00Z"), "Z01"),
            "2026-04-02T10:00:00Z",
        ),
        "o-first",
    );
    let earlier = with_id(
        occurred(
            in_zone(
                with_opened(opening("2026-04-01T08:00:00Z"), |o| {
                    o.worker_id = "W3".into()
                }),
                "Z03",
            ),
            "2026-04-01T10:00:00Z",
        ),
        "o-earlier",
    );
    let s = fold(&[first.clone(), earlier.clone()]);
    // The second arrival occurred a day earlier, so it defines the investigation; one ignored.
    assert_eq!(
        s.opening.as_ref().map(|o| o.event_id.as_str()),
        Some("o-earlier")
    );
    assert_eq!(s.ignored_openings, 1);
    let v = View::of_state(&s, &[]);
    // One intake, in Z03 at the earlier opening's received_at (Apr 1 08:00), none in Z01.
    assert_eq!(
        v.flow(I::Intakes),
        vec![member("Z03", "2026-04-01T08:00:00Z", 1, 0)]
    );
    // Its clock starts at that received_at: deadline Apr 2 08:00, in Z03, missed.
    assert_eq!(
        v.flow(I::Contact24hRate),
        vec![member("Z03", "2026-04-02T08:00:00Z", 0, 1)]
    );
    // Visible from its occurred_at, Apr 1 10:00 (readings: the opening must have occurred).
    assert_eq!(
        v.at(I::OpenInvestigations, "Z03", ts("2026-04-01T10:00:00Z")),
        1
    );
    assert_eq!(
        v.at(I::OpenInvestigations, "Z01", ts("2026-04-03T00:00:00Z")),
        0
    );
    // W3, from the defining opening, carries it; W1 from the ignored one never does.
    assert_eq!(v.load_at("W3", ts("2026-04-01T10:00:00Z")), 1);
    assert_eq!(v.load_at("W1", ts("2026-04-03T00:00:00Z")), 0);
    // Exactly as if the first had never arrived, whatever the arrival order.
    assert_eq!(v.c, View::of(std::slice::from_ref(&earlier)).c);
    assert_eq!(fold(&[earlier, first]).opening, s.opening);
}
