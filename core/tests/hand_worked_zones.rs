//! Hand-worked cases for who and where: a transfer in the middle of a window, workers going
//! on leave and coming back, and the 365-day repeat look-back.

mod support;

use childstat_core::event::{Role, WorkerStatus};
use childstat_core::{Dur, Indicator as I, WorkerState};
use support::*;

const R: &str = "2026-04-01T09:00:00Z";
/// Mid-way between receipt and the contact deadline (Apr 2 09:00).
const T: &str = "2026-04-01T18:00:00Z";

#[test]
fn a_transfer_mid_window_keeps_flow_members_where_they_were_attributed() {
    let v = View::of(&[
        opening(R),
        transfer(T, "Z02", "W2"),
        transfer("2026-04-05T00:00:00Z", "Z01", "W1"),
    ]);
    // The intake is attributed at received_at, when the zone was Z01.
    assert_eq!(v.flow(I::Intakes), vec![member("Z01", R, 1, 0)]);
    // The contact deadline (Apr 2 09:00) falls after the move to Z02: missed there, and the
    // transfer back to Z01 on Apr 5 does not move it.
    assert_eq!(
        v.flow(I::Contact24hRate),
        vec![member("Z02", "2026-04-02T09:00:00Z", 0, 1)]
    );
    let (lo, hi) = (ts("2026-03-28T00:00:00Z"), ts("2026-04-04T00:00:00Z"));
    // A 7d window over both instants: Z01 has the intake and no contact member, Z02 the opposite.
    assert_eq!(v.window(I::Intakes, Some("Z01"), lo, hi), (1, 0));
    assert_eq!(v.window(I::Intakes, Some("Z02"), lo, hi), (0, 0));
    assert_eq!(v.window(I::Contact24hRate, Some("Z01"), lo, hi), (0, 0));
    assert_eq!(v.window(I::Contact24hRate, Some("Z02"), lo, hi), (0, 1));
    // Citywide pools both zones: 1 intake, 0 of 1 contacts.
    assert_eq!(v.window(I::Intakes, None, lo, hi), (1, 0));
    assert_eq!(v.window(I::Contact24hRate, None, lo, hi), (0, 1));

    // Point in time moves with the transfer: in Z01 until 18:00, in Z02 from 18:00.
    let before = ts("2026-04-01T17:59:59Z");
    assert_eq!(v.at(I::OpenInvestigations, "Z01", before), 1);
    assert_eq!(v.at(I::OpenInvestigations, "Z02", before), 0);
    assert_eq!(v.at(I::OpenInvestigations, "Z01", ts(T)), 0);
    assert_eq!(v.at(I::OpenInvestigations, "Z02", ts(T)), 1);
    // Overdue from the deadline, in the zone it is in at as_of: Z02 on Apr 3, Z01 on Apr 5.
    assert_eq!(
        v.at(I::OverdueContact, "Z02", ts("2026-04-03T00:00:00Z")),
        1
    );
    assert_eq!(
        v.at(I::OverdueContact, "Z01", ts("2026-04-03T00:00:00Z")),
        0
    );
    assert_eq!(
        v.at(I::OverdueContact, "Z02", ts("2026-04-05T00:00:00Z")),
        0
    );
    assert_eq!(
        v.at(I::OverdueContact, "Z01", ts("2026-04-05T00:00:00Z")),
        1
    );
    // The assigned worker follows the transfers: W1, then W2 from 18:00, then W1 from Apr 5.
    assert_eq!(v.load_at("W1", before), 1);
    assert_eq!((v.load_at("W1", ts(T)), v.load_at("W2", ts(T))), (0, 1));
    let apr5 = ts("2026-04-05T00:00:00Z");
    assert_eq!((v.load_at("W1", apr5), v.load_at("W2", apr5)), (1, 0));
}

#[test]
fn the_assigned_worker_is_the_latest_of_opening_and_transfers() {
    // Received 09:00 but entered at 12:00; a transfer to W2 occurred at 10:00, before it.
    let v = View::of(&[
        occurred(opening(R), "2026-04-01T12:00:00Z"),
        transfer("2026-04-01T10:00:00Z", "Z02", "W2"),
    ]);
    // The zone is the latest transfer's, with no condition on the opening's time: Z02.
    assert_eq!(
        v.at(I::OpenInvestigations, "Z02", ts("2026-04-01T12:00:00Z")),
        1
    );
    // The worker is the latest of the opening (12:00) and the transfer (10:00): W1.
    assert_eq!(v.load_at("W1", ts("2026-04-01T12:00:00Z")), 1);
    assert_eq!(v.load_at("W2", ts("2026-04-01T12:00:00Z")), 0);

    let noon = "2026-04-01T12:00:00Z";
    let tie = |opening_recorded: &str, transfer_recorded: &str| {
        View::of(&[
            recorded(occurred(opening(R), noon), opening_recorded),
            recorded(transfer(noon, "Z02", "W2"), transfer_recorded),
        ])
    };
    // Same occurred_at, transfer recorded later: the transfer is latest, W2.
    let v = tie(noon, "2026-04-01T12:05:00Z");
    assert_eq!(
        (v.load_at("W1", ts(noon)), v.load_at("W2", ts(noon))),
        (0, 1)
    );
    // Same occurred_at, opening recorded later: the opening is latest, W1.
    let v = tie("2026-04-01T12:05:00Z", noon);
    assert_eq!(
        (v.load_at("W1", ts(noon)), v.load_at("W2", ts(noon))),
        (1, 0)
    );
}

#[test]
fn a_worker_on_leave_is_not_active_until_they_return() {
    let mut w1 = WorkerState::default();
    // Applied out of order: the state is sorted by the contract's order.
    for (at, status) in [
        ("2026-04-20T00:00:00Z", WorkerStatus::Active),
        ("2026-04-01T00:00:00Z", WorkerStatus::Active),
        ("2026-04-10T00:00:00Z", WorkerStatus::OnLeave),
    ] {
        w1.apply(worker_change("W1", at, "Z01", Role::Cps, status));
    }
    let v = View {
        c: w1.contribs(),
        load: Default::default(),
    };
    // Active CPS in Z01 from Apr 1: 1.
    assert_eq!(v.at(I::ActiveCps, "Z01", ts("2026-04-09T23:59:59Z")), 1);
    // Latest change at or before Apr 10 is on_leave: 0.
    assert_eq!(v.at(I::ActiveCps, "Z01", ts("2026-04-10T00:00:00Z")), 0);
    assert_eq!(
        w1.state_at(ts("2026-04-15T00:00:00Z")).map(|c| c.status),
        Some(WorkerStatus::OnLeave)
    );
    // Back to active on Apr 20: 1 again.
    assert_eq!(v.at(I::ActiveCps, "Z01", ts("2026-04-20T00:00:00Z")), 1);
    // Before the first change there is no state: not counted.
    assert_eq!(w1.state_at(ts("2026-03-31T00:00:00Z")), None);
    assert_eq!(v.at(I::ActiveCps, "Z01", ts("2026-03-31T00:00:00Z")), 0);
}

#[test]
fn roles_and_zones_of_workers() {
    let one = |role: Role| {
        let mut w = WorkerState::default();
        w.apply(worker_change(
            "X",
            "2026-04-01T00:00:00Z",
            "Z01",
            role,
            WorkerStatus::Active,
        ));
        View {
            c: w.contribs(),
            load: Default::default(),
        }
    };
    let t = ts("2026-04-02T00:00:00Z");
    // An active supervisor is an active supervisor, not an active CPS.
    let sup = one(Role::Supervisor);
    assert_eq!(
        (
            sup.at(I::ActiveSupervisors, "Z01", t),
            sup.at(I::ActiveCps, "Z01", t)
        ),
        (1, 0)
    );
    // A manager counts as neither.
    assert!(one(Role::Manager).c.is_empty());

    let mut moved = WorkerState::default();
    moved.apply(worker_change(
        "W2",
        "2026-04-01T00:00:00Z",
        "Z01",
        Role::Cps,
        WorkerStatus::Active,
    ));
    moved.apply(worker_change(
        "W2",
        "2026-04-15T00:00:00Z",
        "Z02",
        Role::Cps,
        WorkerStatus::Active,
    ));
    let v = View {
        c: moved.contribs(),
        load: Default::default(),
    };
    // The latest change gives the zone: Z01 before Apr 15, Z02 from then.
    let apr15 = ts("2026-04-15T00:00:00Z");
    assert_eq!(v.at(I::ActiveCps, "Z01", ts("2026-04-14T00:00:00Z")), 1);
    assert_eq!(
        (
            v.at(I::ActiveCps, "Z01", apr15),
            v.at(I::ActiveCps, "Z02", apr15)
        ),
        (0, 1)
    );
}

#[test]
fn a_repeat_at_365_days_counts_and_at_366_days_does_not() {
    let r = "2027-04-01T09:00:00Z";
    // No Feb 29 between 2026-04-01 and 2027-04-01: r − 365d is 2026-04-01T09:00Z.
    let d365 = ts("2026-04-01T09:00:00Z");
    assert_eq!(ts(r).minus(Dur::days(365)), d365);
    let rate = |family: &[_]| View::with_family(&[opening(r)], family).flow(I::RepeatWithin12mRate);
    // r − 365d is the closed end of [r − 365d, r): a repeat, 1 of 1.
    assert_eq!(rate(&[d365]), vec![member("Z01", r, 1, 1)]);
    // r − 366d = 2026-03-31T09:00Z is before that range: 0 of 1.
    assert_eq!(
        rate(&[ts("2026-03-31T09:00:00Z")]),
        vec![member("Z01", r, 0, 1)]
    );
    // One nanosecond before r − 365d: still outside, 0 of 1.
    assert_eq!(
        rate(&[ts(r).minus(Dur(Dur::days(365).0 + 1))]),
        vec![member("Z01", r, 0, 1)]
    );
    // Another received at r itself: the range is open at r, 0 of 1.
    assert_eq!(rate(&[ts(r)]), vec![member("Z01", r, 0, 1)]);
    // A later investigation of the family does not make this one a repeat: 0 of 1.
    assert_eq!(
        rate(&[ts("2027-05-01T09:00:00Z")]),
        vec![member("Z01", r, 0, 1)]
    );
    // Every investigation is a member, with or without family: 0 of 1.
    assert_eq!(rate(&[]), vec![member("Z01", r, 0, 1)]);
}
