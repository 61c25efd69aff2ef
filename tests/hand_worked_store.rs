//! Hand-worked windowed and bucketed cases through a real DuckDB file: DST day buckets, a
//! transfer mid-window, caseloads around the threshold, the 365-day repeat, and a duplicate
//! opening. Every expected number is derived in a comment from `shared/indicators.md`.

mod common;

use childstat::settings::store_settings;
use childstat_aggregator::{ReadPool, Store};
use childstat_config::Config;
use childstat_core::event::{Role, WorkerStatus};
use childstat_core::{Dur, Event, Indicator, IndicatorValue, Step, Ts};
use chrono::NaiveDate;
use common::events::{batch, closed, contact, opened, ts};
use common::more_events::{assigned, entered_at, in_family, transfer, worker_status};

/// A store fed with `batches` in order, at wall-clock `now`, and a pool to read it.
fn store_with(dir: &tempfile::TempDir, batches: Vec<Vec<Event>>, now: &str) -> (Store, ReadPool) {
    let mut s = Store::open(
        &dir.path().join("h.duckdb"),
        store_settings(&Config::embedded_defaults()),
    )
    .expect("store");
    let mut offset = 0;
    for events in batches {
        let n = events.len() as i64;
        s.apply_batch(&batch(events, offset), ts(now))
            .expect("apply");
        offset += n;
    }
    let pool = s.read_pool(1).expect("pool");
    (s, pool)
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// (value, numerator, denominator) of one indicator.
type Parts = (Option<f64>, Option<i64>, Option<i64>);

fn current(pool: &ReadPool, zone: Option<&str>, window: Dur, as_of: Ts) -> Vec<IndicatorValue> {
    pool.current(zone, window, as_of).expect("current")
}

fn get(v: &[IndicatorValue], ind: Indicator) -> Parts {
    let i = v.iter().find(|i| i.name == ind.name()).expect("present");
    (i.value, i.numerator, i.denominator)
}

/// (value, numerator, denominator) per bucket.
fn history(
    pool: &ReadPool,
    zone: Option<&str>,
    ind: Indicator,
    from: &str,
    to: &str,
    as_of: &str,
) -> Vec<Parts> {
    pool.history(zone, ind, d(from), d(to), Step::Day, ts(as_of))
        .expect("history")
        .iter()
        .map(|p| (p.value.value, p.value.numerator, p.value.denominator))
        .collect()
}

fn count(n: i64) -> Parts {
    (Some(n as f64), Some(n), None)
}

fn rate(num: i64, den: i64) -> Parts {
    (
        (den != 0).then(|| num as f64 / den as f64),
        Some(num),
        Some(den),
    )
}

#[test]
fn dst_days_are_23_and_25_hour_buckets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = vec![
        opened("a", "A", "Z01", "2026-03-08T00:30:00-05:00"),
        opened("b", "B", "Z01", "2026-03-08T23:30:00-04:00"),
        opened("c", "C", "Z01", "2026-03-09T00:30:00-04:00"),
        opened("d", "D", "Z01", "2026-11-01T00:30:00-04:00"),
        opened("e", "E", "Z01", "2026-11-01T01:30:00-04:00"),
        opened("f", "F", "Z01", "2026-11-01T01:30:00-05:00"),
        opened("g", "G", "Z01", "2026-11-01T23:30:00-05:00"),
        opened("h", "H", "Z01", "2026-11-02T00:30:00-05:00"),
        closed("xd", "D", "Z01", "2026-11-01T23:45:00-05:00"),
        closed("xe", "E", "Z01", "2026-11-02T00:00:00-05:00"),
        // 24h clocks across each change, in Z02.
        opened("p", "P", "Z02", "2026-03-07T12:00:00-05:00"),
        contact("cp", "P", "Z02", "2026-03-08T12:30:00-04:00"),
        opened("q", "Q", "Z02", "2026-10-31T12:00:00-04:00"),
        contact("cq", "Q", "Z02", "2026-11-01T11:30:00-05:00"),
        // Either side of the lower end of a 7d window ending Mar 9 00:00 EDT, in Z03.
        opened("r", "R", "Z03", "2026-03-01T23:00:00-05:00"),
        opened("s", "S", "Z03", "2026-03-01T23:30:00-05:00"),
    ];
    let now = "2026-12-01T00:00:00Z";
    let (_s, pool) = store_with(&dir, vec![events], now);
    let intakes = |from, to| history(&pool, Some("Z01"), Indicator::Intakes, from, to, now);
    // Mar 8 runs 23 h, 00:00 EST to 00:00 EDT: a (00:30 EST) and b (23:30 EDT) are in it,
    // c (00:30 the next day) is not.
    assert_eq!(
        intakes("2026-03-07", "2026-03-09"),
        vec![count(0), count(2), count(1)]
    );
    // Nov 1 runs 25 h: d, both 01:30s (e EDT, f EST) and g (23:30 EST) are in it, h is not.
    assert_eq!(
        intakes("2026-10-31", "2026-11-02"),
        vec![count(0), count(4), count(1)]
    );
    let open = history(
        &pool,
        Some("Z01"),
        Indicator::OpenInvestigations,
        "2026-10-31",
        "2026-11-02",
        now,
    );
    // At each day's end (next local midnight): Oct 31 → a, b, c = 3. Nov 1 ends at Nov 2
    // 00:00 EST: 3 + d, e, f, g − d (closed 23:45) − e (closed at that instant) = 5.
    // Nov 2 → 5 + h = 6.
    assert_eq!(open, vec![count(3), count(5), count(6)]);

    let contacts = |from, to| history(&pool, Some("Z02"), Indicator::Contact24hRate, from, to, now);
    // P: 86,400 s after 12:00 EST is Mar 8 13:00 EDT; a contact at 12:30 EDT is met, in Mar 8.
    assert_eq!(
        contacts("2026-03-07", "2026-03-09"),
        vec![rate(0, 0), rate(1, 1), rate(0, 0)]
    );
    // Q: deadline 86,400 s after 12:00 EDT = Nov 1 11:00 EST; contact at 11:30 EST is missed.
    assert_eq!(
        contacts("2026-10-31", "2026-11-02"),
        vec![rate(0, 0), rate(0, 1), rate(0, 0)]
    );
    let q_deadline = ts("2026-11-01T11:00:00-05:00");
    // Due once deadline ≤ as_of: a nanosecond before it, Q is not yet a member, 0 of 0.
    let before = current(&pool, Some("Z02"), Dur::days(7), Ts(q_deadline.0 - 1));
    assert_eq!(get(&before, Indicator::Contact24hRate), rate(0, 0));
    // At the deadline it is due and missed: 0 of 1, and overdue until the 11:30 contact.
    let at = current(&pool, Some("Z02"), Dur::days(7), q_deadline);
    assert_eq!(get(&at, Indicator::Contact24hRate), rate(0, 1));
    assert_eq!(get(&at, Indicator::OverdueContact), count(1));
    let after = current(
        &pool,
        Some("Z02"),
        Dur::days(7),
        ts("2026-11-01T11:30:00-05:00"),
    );
    assert_eq!(get(&after, Indicator::OverdueContact), count(0));
    // History judges "due" at the query's as_of: a nanosecond early, Nov 1 has no member yet.
    let early = Ts(q_deadline.0 - 1).to_rfc3339();
    assert_eq!(
        history(
            &pool,
            Some("Z02"),
            Indicator::Contact24hRate,
            "2026-11-01",
            "2026-11-01",
            &early
        ),
        vec![rate(0, 0)]
    );

    let week = current(
        &pool,
        Some("Z03"),
        Dur::days(7),
        ts("2026-03-09T00:00:00-04:00"),
    );
    // as_of − 7 × 86,400 s = Mar 1 23:00 EST, an hour before local Mar 2 because Mar 8 is
    // short: s (23:30) is inside (lo, as_of], r (exactly lo) is not, so 1.
    assert_eq!(get(&week, Indicator::Intakes), count(1));
}

#[test]
fn a_transfer_mid_window_moves_point_in_time_but_not_attributed_members() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Received Apr 1 09:00Z; contact deadline Apr 2 09:00Z (05:00 EDT); never contacted.
    let open = assigned(opened("o", "I1", "Z01", "2026-04-01T09:00:00Z"), "W1");
    let moved = transfer("t1", "I1", "Z02", "2026-04-01T18:00:00Z", "W2");
    let back = transfer("t2", "I1", "Z01", "2026-04-05T00:00:00Z", "W1");
    let as_of = ts("2026-04-03T00:00:00Z");
    let week = Dur::days(7);

    let (mut s, pool) = store_with(&dir, vec![vec![open]], "2026-04-06T00:00:00Z");
    let z1 = current(&pool, Some("Z01"), week, as_of);
    // Before the transfer arrives, the missed deadline is Z01's: 0 of 1.
    assert_eq!(get(&z1, Indicator::Contact24hRate), rate(0, 1));

    // The transfer arrives late: the member at the deadline is re-attributed to Z02.
    s.apply_batch(&batch(vec![moved], 1), ts("2026-04-06T00:00:00Z"))
        .expect("apply");
    let z1 = current(&pool, Some("Z01"), week, as_of);
    let z2 = current(&pool, Some("Z02"), week, as_of);
    let city = current(&pool, None, week, as_of);
    // Intake at received_at, while in Z01: Z01 1, Z02 0, citywide 1.
    assert_eq!(get(&z1, Indicator::Intakes), count(1));
    assert_eq!(get(&z2, Indicator::Intakes), count(0));
    assert_eq!(get(&city, Indicator::Intakes), count(1));
    // The deadline (Apr 2 09:00Z) is after the 18:00Z transfer: Z01 has no member (null),
    // Z02 has 0 of 1, citywide pools to 0 of 1.
    assert_eq!(get(&z1, Indicator::Contact24hRate), rate(0, 0));
    assert_eq!(get(&z2, Indicator::Contact24hRate), rate(0, 1));
    assert_eq!(get(&city, Indicator::Contact24hRate), rate(0, 1));
    // At as_of it is open, overdue and in Z02.
    assert_eq!(get(&z1, Indicator::OpenInvestigations), count(0));
    assert_eq!(get(&z2, Indicator::OpenInvestigations), count(1));
    assert_eq!(get(&z2, Indicator::OverdueContact), count(1));

    let now = "2026-04-06T00:00:00Z";
    // Local days: received Apr 1 05:00 EDT in Z01; moved Apr 1 14:00 EDT, so at Apr 1's end
    // (Apr 2 00:00 EDT) it is open in Z02; the deadline is Apr 2 05:00 EDT, in Z02.
    let h = |zone, ind| history(&pool, Some(zone), ind, "2026-04-01", "2026-04-02", now);
    assert_eq!(h("Z01", Indicator::Intakes), vec![count(1), count(0)]);
    assert_eq!(
        h("Z01", Indicator::OpenInvestigations),
        vec![count(0), count(0)]
    );
    assert_eq!(
        h("Z02", Indicator::OpenInvestigations),
        vec![count(1), count(1)]
    );
    assert_eq!(
        h("Z02", Indicator::Contact24hRate),
        vec![rate(0, 0), rate(0, 1)]
    );

    // Moving back to Z01 on Apr 5 changes the present, not the past miss.
    s.apply_batch(&batch(vec![back], 2), ts(now))
        .expect("apply");
    let later = ts("2026-04-06T00:00:00Z");
    let z1 = current(&pool, Some("Z01"), week, later);
    let z2 = current(&pool, Some("Z02"), week, later);
    // Still Z02's 0 of 1 in the window (Mar 30, Apr 6]; Z01 has no member.
    assert_eq!(get(&z2, Indicator::Contact24hRate), rate(0, 1));
    assert_eq!(get(&z1, Indicator::Contact24hRate), rate(0, 0));
    // Open and overdue in Z01 now.
    assert_eq!(get(&z1, Indicator::OpenInvestigations), count(1));
    assert_eq!(get(&z1, Indicator::OverdueContact), count(1));
    assert_eq!(get(&z2, Indicator::OpenInvestigations), count(0));
    // As of Apr 3, read again: the Apr 5 move is after as_of, so still Z02's.
    let z2 = current(&pool, Some("Z02"), week, as_of);
    assert_eq!(get(&z2, Indicator::OpenInvestigations), count(1));
}

/// `n` investigations in `zone` assigned to `worker`, received a minute apart from Apr 2 10:00Z.
fn cases(worker: &str, zone: &str, n: usize) -> Vec<Event> {
    (0..n)
        .map(|i| {
            let id = format!("{worker}-{zone}-{i}");
            let at = format!("2026-04-02T10:{i:02}:00Z");
            assigned(opened(&format!("o-{id}"), &id, zone, &at), worker)
        })
        .collect()
}

#[test]
fn caseloads_around_the_threshold_of_12_and_a_worker_on_leave() {
    let dir = tempfile::tempdir().expect("tempdir");
    let start = "2026-04-01T00:00:00Z";
    let cps = |w, at, st| worker_status(w, "Z01", at, Role::Cps, st);
    let mut events = vec![
        cps("W1", start, WorkerStatus::Active),
        cps("W2", start, WorkerStatus::Active),
        cps("W3", start, WorkerStatus::Active),
        cps("W3", "2026-04-10T00:00:00Z", WorkerStatus::OnLeave),
        cps("W3", "2026-04-20T00:00:00Z", WorkerStatus::Active),
        worker_status("S1", "Z01", start, Role::Supervisor, WorkerStatus::Active),
        worker_status("M1", "Z01", start, Role::Manager, WorkerStatus::Active),
        // W1's first case closes on Apr 15 08:00 EDT.
        closed("x", "W1-Z01-0", "Z01", "2026-04-15T12:00:00Z"),
    ];
    events.extend(cases("W1", "Z01", 13));
    events.extend(cases("W2", "Z01", 10));
    // A caseload counts investigations in any zone.
    events.extend(cases("W2", "Z02", 2));
    events.extend(cases("W3", "Z01", 5));
    let (_s, pool) = store_with(&dir, vec![events], "2026-05-01T00:00:00Z");
    let at = |zone, t: &str| current(&pool, zone, Dur::days(7), ts(t));

    let v = at(Some("Z01"), "2026-04-05T00:00:00Z");
    // W1, W2, W3 active in Z01: 3 CPS. S1 is a supervisor; M1, a manager, is neither.
    assert_eq!(get(&v, Indicator::ActiveCps), count(3));
    assert_eq!(get(&v, Indicator::ActiveSupervisors), count(1));
    // (13 + 12 + 5) ÷ 3 = 10.
    assert_eq!(
        get(&v, Indicator::CaseloadAvg),
        (Some(10.0), Some(30), Some(3))
    );
    assert_eq!(get(&v, Indicator::CaseloadMax), count(13));
    // 13 > 12 is over; W2's 12 is not.
    assert_eq!(get(&v, Indicator::CpsOverThreshold), count(1));

    let v = at(Some("Z01"), "2026-04-12T00:00:00Z");
    // W3 on leave: 2 CPS, (13 + 12) ÷ 2 = 12.5; W3's 5 cases drop out of the sum.
    assert_eq!(get(&v, Indicator::ActiveCps), count(2));
    assert_eq!(
        get(&v, Indicator::CaseloadAvg),
        (Some(12.5), Some(25), Some(2))
    );
    assert_eq!(get(&v, Indicator::CaseloadMax), count(13));
    assert_eq!(get(&v, Indicator::CpsOverThreshold), count(1));
    // Still open in Z01: 13 + 10 + 5 = 28; W2's other 2 are in Z02.
    assert_eq!(get(&v, Indicator::OpenInvestigations), count(28));
    let z2 = at(Some("Z02"), "2026-04-12T00:00:00Z");
    // Z02 has 2 open investigations but no active CPS: average and maximum null, 0 over.
    assert_eq!(get(&z2, Indicator::OpenInvestigations), count(2));
    assert_eq!(get(&z2, Indicator::CaseloadAvg), (None, Some(0), Some(0)));
    assert_eq!(get(&z2, Indicator::CaseloadMax), (None, None, None));
    assert_eq!(get(&z2, Indicator::CpsOverThreshold), count(0));
    let city = at(None, "2026-04-12T00:00:00Z");
    // Citywide: the same two active CPS, 25 cases, maximum 13.
    assert_eq!(
        get(&city, Indicator::CaseloadAvg),
        (Some(12.5), Some(25), Some(2))
    );
    assert_eq!(get(&city, Indicator::CaseloadMax), count(13));

    let v = at(Some("Z01"), "2026-04-16T00:00:00Z");
    // W1 closed one: 12 is not over 12. (12 + 12) ÷ 2 = 12.
    assert_eq!(
        get(&v, Indicator::CaseloadAvg),
        (Some(12.0), Some(24), Some(2))
    );
    assert_eq!(get(&v, Indicator::CaseloadMax), count(12));
    assert_eq!(get(&v, Indicator::CpsOverThreshold), count(0));

    let v = at(Some("Z01"), "2026-04-20T00:00:00Z");
    // W3 back from leave at that instant: 3 CPS, 12 + 12 + 5 = 29.
    assert_eq!(get(&v, Indicator::ActiveCps), count(3));
    assert_eq!(
        get(&v, Indicator::CaseloadAvg),
        (Some(29.0 / 3.0), Some(29), Some(3))
    );

    let now = "2026-05-01T00:00:00Z";
    let h = |ind| history(&pool, Some("Z01"), ind, "2026-04-14", "2026-04-15", now);
    // At Apr 14's end (Apr 15 00:00 EDT) W1 still has 13; at Apr 15's end, 12.
    assert_eq!(h(Indicator::CaseloadMax), vec![count(13), count(12)]);
    assert_eq!(h(Indicator::CpsOverThreshold), vec![count(1), count(0)]);
}

#[test]
fn a_repeat_at_365_days_counts_and_at_366_days_does_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fam = |id: &str, family, received| in_family(opened(id, id, "Z01", received), family);
    // 2026-04-01 → 2027-04-01 crosses no Feb 29: exactly 365 days.
    let recent = vec![
        fam("A2", "FA", "2027-04-01T09:00:00Z"),
        fam("B2", "FB", "2027-04-01T09:00:00Z"),
    ];
    let earlier = vec![
        fam("A1", "FA", "2026-04-01T09:00:00Z"),
        fam("B1", "FB", "2026-03-31T09:00:00Z"),
    ];
    let now = "2027-04-02T00:00:00Z";
    let (mut s, pool) = store_with(&dir, vec![recent], now);
    let as_of = ts("2027-04-02T00:00:00Z");
    let v = current(&pool, Some("Z01"), Dur::days(7), as_of);
    // Only A2 and B2 known: neither family has another investigation, 0 of 2.
    assert_eq!(get(&v, Indicator::RepeatWithin12mRate), rate(0, 2));

    // The earlier ones arrive late and rewrite A2's membership.
    s.apply_batch(&batch(earlier, 2), ts(now)).expect("apply");
    let v = current(&pool, Some("Z01"), Dur::days(7), as_of);
    // A2: A1 at r − 365d is in [r − 365d, r), a repeat. B2: B1 at r − 366d is not. 1 of 2.
    assert_eq!(get(&v, Indicator::RepeatWithin12mRate), rate(1, 2));
    let h = history(
        &pool,
        Some("Z01"),
        Indicator::RepeatWithin12mRate,
        "2027-04-01",
        "2027-04-01",
        now,
    );
    // The same two members in the Apr 1 2027 day bucket.
    assert_eq!(h, vec![rate(1, 2)]);
    let v = current(&pool, Some("Z01"), Dur::days(7), ts("2026-04-02T00:00:00Z"));
    // A1 and B1 have no earlier family investigation (A2, B2 are later): 0 of 2.
    assert_eq!(get(&v, Indicator::RepeatWithin12mRate), rate(0, 2));
}

#[test]
fn an_earlier_duplicate_opening_replaces_the_first_in_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = entered_at(
        opened("o-first", "I1", "Z01", "2026-04-02T08:00:00Z"),
        "2026-04-02T10:00:00Z",
    );
    let earlier = entered_at(
        opened("o-earlier", "I1", "Z03", "2026-04-01T08:00:00Z"),
        "2026-04-01T10:00:00Z",
    );
    let (_s, pool) = store_with(
        &dir,
        vec![vec![first], vec![earlier]],
        "2026-04-05T00:00:00Z",
    );
    let as_of = ts("2026-04-03T00:00:00Z");
    let z1 = current(&pool, Some("Z01"), Dur::days(7), as_of);
    let z3 = current(&pool, Some("Z03"), Dur::days(7), as_of);
    // The first opening's intake is retracted from Z01 ...
    assert_eq!(get(&z1, Indicator::Intakes), count(0));
    assert_eq!(get(&z1, Indicator::OpenInvestigations), count(0));
    // ... and the earlier one defines it: 1 intake in Z03, open there.
    assert_eq!(get(&z3, Indicator::Intakes), count(1));
    assert_eq!(get(&z3, Indicator::OpenInvestigations), count(1));
    // Its clock runs from Apr 1 08:00: due Apr 2 08:00, missed, in Z03.
    assert_eq!(get(&z3, Indicator::Contact24hRate), rate(0, 1));
    let city = current(&pool, None, Dur::days(7), as_of);
    // One investigation citywide, not two.
    assert_eq!(get(&city, Indicator::Intakes), count(1));
}

#[test]
fn a_transfer_before_the_opening_was_entered_does_not_take_the_caseload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let start = "2026-04-01T00:00:00Z";
    let events = vec![
        worker_status("W9", "Z05", start, Role::Cps, WorkerStatus::Active),
        worker_status("W8", "Z06", start, Role::Cps, WorkerStatus::Active),
        // Received 09:00, entered 12:00; a transfer to Z06/W8 occurred at 10:00.
        entered_at(
            assigned(opened("o", "I1", "Z05", "2026-04-01T09:00:00Z"), "W9"),
            "2026-04-01T12:00:00Z",
        ),
        transfer("t", "I1", "Z06", "2026-04-01T10:00:00Z", "W8"),
    ];
    let (_s, pool) = store_with(&dir, vec![events], "2026-04-02T00:00:00Z");
    let t = ts("2026-04-01T13:00:00Z");
    let z5 = current(&pool, Some("Z05"), Dur::days(7), t);
    let z6 = current(&pool, Some("Z06"), Dur::days(7), t);
    // Zone: the latest transfer, whatever the opening's time, so it is open in Z06.
    assert_eq!(get(&z6, Indicator::OpenInvestigations), count(1));
    // Worker: the latest of opening (12:00) and transfer (10:00) is the opening, so W9 carries it.
    assert_eq!(get(&z5, Indicator::CaseloadMax), count(1));
    assert_eq!(get(&z6, Indicator::CaseloadMax), count(0));
}
