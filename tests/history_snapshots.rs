//! Hand-worked cases for caseload, history buckets across a DST change, and snapshot
//! immutability, on a real DuckDB file.

mod common;

use childstat::settings::store_settings;
use childstat_aggregator::{AggError, IsoWeek, Store};
use childstat_config::Config;
use childstat_core::event::{Body, Role, WorkerStatus};
use childstat_core::{Event, Indicator, Step};
use chrono::NaiveDate;
use common::events::{batch, opened, ts};

fn worker(id: &str, zone: &str, at: &str, status: WorkerStatus) -> Event {
    Event {
        event_id: format!("w-{id}-{at}"),
        occurred_at: ts(at),
        recorded_at: ts(at),
        zone: zone.into(),
        body: Body::WorkerStatusChanged {
            worker_id: id.into(),
            role: Role::Cps,
            status,
        },
    }
}

fn assigned(mut e: Event, worker_id: &str) -> Event {
    if let Body::InvestigationOpened(o) = &mut e.body {
        o.worker_id = worker_id.into();
    }
    e
}

fn open_store(dir: &tempfile::TempDir) -> Store {
    Store::open(
        &dir.path().join("h.duckdb"),
        store_settings(&Config::embedded_defaults()),
    )
    .expect("store")
}

fn value(
    v: &[childstat_core::IndicatorValue],
    name: &str,
) -> (Option<f64>, Option<i64>, Option<i64>) {
    let i = v.iter().find(|i| i.name == name).expect("present");
    (i.value, i.numerator, i.denominator)
}

#[test]
fn caseload_counts_active_cps_and_their_open_investigations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = open_store(&dir);
    let events = vec![
        worker("W1", "Z01", "2026-03-01T00:00:00Z", WorkerStatus::Active),
        worker("W2", "Z01", "2026-03-01T00:00:00Z", WorkerStatus::Active),
        worker("W3", "Z02", "2026-03-01T00:00:00Z", WorkerStatus::Active),
        worker("W3", "Z02", "2026-03-05T00:00:00Z", WorkerStatus::OnLeave),
        assigned(opened("o1", "I1", "Z01", "2026-03-02T10:00:00Z"), "W1"),
        assigned(opened("o2", "I2", "Z01", "2026-03-03T10:00:00Z"), "W1"),
        assigned(opened("o3", "I3", "Z02", "2026-03-02T10:00:00Z"), "W3"),
    ];
    s.apply_batch(&batch(events, 0), ts("2026-03-10T00:00:00Z"))
        .expect("apply");
    let pool = s.read_pool(1).expect("pool");
    let t = ts("2026-03-10T00:00:00Z");
    let z1 = pool
        .current(Some("Z01"), childstat_core::Dur::days(28), t)
        .expect("query");
    assert_eq!(value(&z1, "active_cps"), (Some(2.0), Some(2), None));
    assert_eq!(value(&z1, "caseload_avg"), (Some(1.0), Some(2), Some(2)));
    assert_eq!(value(&z1, "caseload_max"), (Some(2.0), Some(2), None));
    assert_eq!(value(&z1, "cps_over_threshold"), (Some(0.0), Some(0), None));
    // W3 is on leave: Z02 has no active CPS, so average and maximum are null.
    let z2 = pool
        .current(Some("Z02"), childstat_core::Dur::days(28), t)
        .expect("query");
    assert_eq!(value(&z2, "active_cps").1, Some(0));
    assert_eq!(value(&z2, "caseload_avg").0, None);
    assert_eq!(value(&z2, "caseload_max").0, None);
    // Before the leave, W3 carried I3.
    let z2 = pool
        .current(
            Some("Z02"),
            childstat_core::Dur::days(28),
            ts("2026-03-04T00:00:00Z"),
        )
        .expect("query");
    assert_eq!(value(&z2, "caseload_max"), (Some(1.0), Some(1), None));
    // Citywide: W1 (2) and W2 (0); the maximum is over all active CPS.
    let city = pool
        .current(None, childstat_core::Dur::days(28), t)
        .expect("query");
    assert_eq!(value(&city, "caseload_avg"), (Some(1.0), Some(2), Some(2)));
}

#[test]
fn day_buckets_follow_local_midnight_across_spring_forward() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = open_store(&dir);
    // New York springs forward on 2026-03-08: that local day is 23 hours long.
    let events = vec![
        opened("a", "A", "Z01", "2026-03-08T00:30:00-05:00"),
        opened("b", "B", "Z01", "2026-03-08T23:30:00-04:00"),
        opened("c", "C", "Z01", "2026-03-09T00:30:00-04:00"),
        opened("d", "D", "Z01", "2026-03-07T23:59:59.999999999-05:00"),
    ];
    s.apply_batch(&batch(events, 0), ts("2026-04-01T00:00:00Z"))
        .expect("apply");
    let pool = s.read_pool(1).expect("pool");
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    let as_of = ts("2026-04-01T00:00:00Z");
    let h = pool
        .history(
            Some("Z01"),
            Indicator::Intakes,
            d("2026-03-07"),
            d("2026-03-09"),
            Step::Day,
            as_of,
        )
        .expect("history");
    let counts: Vec<(String, Option<i64>)> = h
        .iter()
        .map(|p| (p.bucket_start.to_string(), p.value.numerator))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("2026-03-07".into(), Some(1)),
            ("2026-03-08".into(), Some(2)),
            ("2026-03-09".into(), Some(1))
        ]
    );
    // ISO weeks start on Monday: the 7th and 8th are in the week of Mar 2, the 9th starts a new one.
    let w = pool
        .history(
            Some("Z01"),
            Indicator::Intakes,
            d("2026-03-07"),
            d("2026-03-09"),
            Step::Week,
            as_of,
        )
        .expect("history");
    let weeks: Vec<(String, Option<i64>)> = w
        .iter()
        .map(|p| (p.bucket_start.to_string(), p.value.numerator))
        .collect();
    assert_eq!(
        weeks,
        vec![
            ("2026-03-02".into(), Some(3)),
            ("2026-03-09".into(), Some(1))
        ]
    );
    // Open investigations at each day's end (the next local midnight).
    let o = pool
        .history(
            Some("Z01"),
            Indicator::OpenInvestigations,
            d("2026-03-07"),
            d("2026-03-09"),
            Step::Day,
            as_of,
        )
        .expect("history");
    let open: Vec<Option<i64>> = o.iter().map(|p| p.value.numerator).collect();
    assert_eq!(open, vec![Some(1), Some(3), Some(4)]);
}

#[test]
fn snapshots_are_frozen_and_late_events_change_history_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = open_store(&dir);
    let zones: Vec<String> = Config::embedded_defaults()
        .zone_set()
        .codes()
        .map(str::to_string)
        .collect();
    s.apply_batch(
        &batch(
            vec![opened("a", "A", "Z04", "2026-11-17T10:00:00-05:00")],
            0,
        ),
        ts("2026-11-24T00:00:00Z"),
    )
    .expect("apply");
    let week = IsoWeek::parse("2026-W47").expect("week");
    let info = s
        .take_snapshot(week, &zones, ts("2026-11-24T00:00:00Z"), false)
        .expect("snapshot");
    assert_eq!(info.as_of, ts("2026-11-23T00:00:00-05:00"));
    // A second attempt is refused.
    assert!(matches!(
        s.take_snapshot(week, &zones, ts("2026-11-24T01:00:00Z"), false),
        Err(AggError::SnapshotExists(_))
    ));
    // A late event inside the week changes history...
    s.apply_batch(
        &batch(
            vec![opened("b", "B", "Z04", "2026-11-18T10:00:00-05:00")],
            1,
        ),
        ts("2026-11-25T00:00:00Z"),
    )
    .expect("late event");
    let pool = s.read_pool(1).expect("pool");
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    let h = pool
        .history(
            Some("Z04"),
            Indicator::Intakes,
            d("2026-11-16"),
            d("2026-11-22"),
            Step::Week,
            ts("2026-11-25T00:00:00Z"),
        )
        .expect("history");
    assert_eq!(h[0].value.numerator, Some(2));
    // ...but not the snapshot.
    let (_, values) = pool.snapshot("2026-W47").expect("read").expect("exists");
    let intakes = values
        .iter()
        .find(|v| v.zone == "Z04" && v.window == "7d" && v.indicator == "intakes")
        .expect("value");
    assert_eq!(intakes.numerator, Some(1));
    assert_eq!(values.len(), 22 * 3 * Indicator::ALL.len());
    // A forced retake sees the late event and is recorded as forced.
    let again = s
        .take_snapshot(week, &zones, ts("2026-11-26T00:00:00Z"), true)
        .expect("forced");
    assert!(again.forced);
    let (head, values) = pool.snapshot("2026-W47").expect("read").expect("exists");
    assert!(head.forced);
    let intakes = values
        .iter()
        .find(|v| v.zone == "Z04" && v.window == "7d" && v.indicator == "intakes")
        .expect("value");
    assert_eq!(intakes.numerator, Some(2));
    // Parquet export is a real Parquet file.
    let bytes = pool.snapshot_parquet("2026-W47").expect("parquet");
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
}
