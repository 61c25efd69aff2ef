//! Hand-worked clocks across New York's 2026 DST changes (spring forward on Mar 8, fall back
//! on Nov 1): clocks and rolling windows are exact durations, day buckets are local days.

mod support;

use childstat_core::event::ConferenceKind;
use childstat_core::{Calendar, Dur, Indicator as I};
use chrono::NaiveDate;
use support::*;

fn ny() -> Calendar {
    Calendar::new(chrono_tz::America::New_York)
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

#[test]
fn a_24h_contact_clock_across_spring_forward_is_86400_seconds() {
    let received = "2026-03-07T12:00:00-05:00";
    // 17:00Z + 86,400 s = Mar 8 17:00Z, which is 13:00 EDT, not the wall-clock 12:00.
    let deadline = "2026-03-08T13:00:00-04:00";
    assert_eq!(ts(deadline).since(ts(received)), Dur::secs(86_400));
    let case =
        |at: &str| View::of(&[opening(received), contact(at, 2, false)]).flow(I::Contact24hRate);
    // 12:30 EDT is 23.5 h after receipt: met, though a wall-clock day would have ended at 12:00.
    assert_eq!(
        case("2026-03-08T12:30:00-04:00"),
        vec![member("Z01", deadline, 1, 1)]
    );
    // Exactly 86,400 s: met.
    assert_eq!(case(deadline), vec![member("Z01", deadline, 1, 1)]);
    // 86,401 s: missed.
    assert_eq!(
        case("2026-03-08T13:00:01-04:00"),
        vec![member("Z01", deadline, 0, 1)]
    );
}

#[test]
fn a_24h_contact_clock_across_fall_back_is_86400_seconds() {
    let received = "2026-10-31T12:00:00-04:00";
    // 16:00Z + 86,400 s = Nov 1 16:00Z, which is 11:00 EST, not the wall-clock 12:00.
    let deadline = "2026-11-01T11:00:00-05:00";
    assert_eq!(ts(deadline).since(ts(received)), Dur::secs(86_400));
    let case =
        |at: &str| View::of(&[opening(received), contact(at, 2, false)]).flow(I::Contact24hRate);
    // 11:30 EST is 24.5 h after receipt: missed, though a wall-clock day would still run.
    assert_eq!(
        case("2026-11-01T11:30:00-05:00"),
        vec![member("Z01", deadline, 0, 1)]
    );
    // Exactly 86,400 s: met.
    assert_eq!(case(deadline), vec![member("Z01", deadline, 1, 1)]);
    // Overdue from 11:00 EST (due) until the 11:30 contact, in exact time.
    let late = View::of(&[
        opening(received),
        contact("2026-11-01T11:30:00-05:00", 2, false),
    ]);
    assert_eq!(
        late.at(I::OverdueContact, "Z01", ts("2026-11-01T10:59:59-05:00")),
        0
    );
    assert_eq!(late.at(I::OverdueContact, "Z01", ts(deadline)), 1);
    assert_eq!(
        late.at(I::OverdueContact, "Z01", ts("2026-11-01T11:30:00-05:00")),
        0
    );
}

#[test]
fn longer_clocks_across_dst_are_exact_too() {
    let received = "2026-03-05T09:00:00-05:00";
    // 14:00Z + 7 × 86,400 s = Mar 12 14:00Z = 10:00 EDT.
    let sa_deadline = "2026-03-12T10:00:00-04:00";
    let sa = View::of(&[
        opening(received),
        safety_assessment("2026-03-12T09:30:00-04:00"),
    ]);
    // 09:30 EDT is before 10:00 EDT: met, though it is past the wall-clock 09:00.
    assert_eq!(
        sa.flow(I::SafetyAssessment7dRate),
        vec![member("Z01", sa_deadline, 1, 1)]
    );
    // 14:00Z + 60 × 86,400 s = May 4 14:00Z = 10:00 EDT; no determination, so 0 of 1.
    assert_eq!(
        sa.flow(I::Determination60dRate),
        vec![member("Z01", "2026-05-04T10:00:00-04:00", 0, 1)]
    );

    let removal_at = "2026-10-31T12:00:00-04:00";
    let conf = View::of(&[
        opening("2026-10-30T12:00:00-04:00"),
        removal(removal_at, 1, true),
        conference("2026-11-03T11:30:00-05:00", ConferenceKind::ChildSafety),
    ]);
    // 16:00Z + 72 × 3,600 s = Nov 3 16:00Z = 11:00 EST; a conference at 11:30 EST is missed.
    assert_eq!(
        conf.flow(I::SafetyConferenceRate),
        vec![member("Z01", "2026-11-03T11:00:00-05:00", 0, 1)]
    );
}

#[test]
fn dst_days_are_23_and_25_hour_buckets() {
    let c = ny();
    let len = |d: &str| {
        let d = date(d);
        c.start_of_date(d.succ_opt().expect("next day"))
            .since(c.start_of_date(d))
    };
    // Spring forward skips 02:00–03:00 EST: 23 h.
    assert_eq!(len("2026-03-08"), Dur::hours(23));
    // Fall back repeats 01:00–02:00: 25 h.
    assert_eq!(len("2026-11-01"), Dur::hours(25));
    for (at, day) in [
        // 23:30 EDT on the short day is still that day.
        ("2026-03-08T23:30:00-04:00", "2026-03-08"),
        // 00:30 the next morning is the next day.
        ("2026-03-09T00:30:00-04:00", "2026-03-09"),
        // The second 01:30 (EST) on the long day is still Nov 1.
        ("2026-11-01T01:30:00-05:00", "2026-11-01"),
        // 23:30 EST on the long day, 24.5 h after its midnight: still Nov 1.
        ("2026-11-01T23:30:00-05:00", "2026-11-01"),
        ("2026-11-02T00:30:00-05:00", "2026-11-02"),
    ] {
        assert_eq!(c.local_date(ts(at)), date(day), "{at}");
    }
}

#[test]
fn a_rolling_window_across_spring_forward_is_seven_exact_days() {
    let as_of = ts("2026-03-09T00:00:00-04:00");
    // as_of − 7 × 86,400 s = Mar 2 04:00Z = Mar 1 23:00 EST: an hour before local Mar 2.
    let lo = as_of.minus(Dur::days(7));
    assert_eq!(lo, ts("2026-03-01T23:00:00-05:00"));
    let v = View::of(&[opening("2026-03-01T23:30:00-05:00")]);
    // Mar 1 23:30 EST is inside (lo, as_of]: counted, though not in the local days Mar 2–8.
    assert_eq!(v.window(I::Intakes, Some("Z01"), lo, as_of), (1, 0));
    let v = View::of(&[opening("2026-03-01T23:00:00-05:00")]);
    // Exactly at lo: the window is open at its lower end, 0.
    assert_eq!(v.window(I::Intakes, Some("Z01"), lo, as_of), (0, 0));
}
