//! History and snapshot routes through `Router::oneshot`, every 4xx path included.

mod common;

use axum::http::StatusCode;
use childstat_aggregator::IsoWeek;
use childstat_core::Ts;
use common::api::{fixture, get_full as get, NOW};

fn with_snapshot() -> common::api::Fixture {
    fixture(|store, cfg| {
        let zones: Vec<String> = cfg.zone_set().codes().map(str::to_string).collect();
        let week = IsoWeek::parse("2026-W44").expect("week");
        store
            .take_snapshot(week, &zones, Ts::parse_rfc3339(NOW).expect("ts"), false)
            .expect("snapshot");
    })
}

#[tokio::test]
async fn history_points_cover_every_bucket() {
    let f = with_snapshot();
    let (s, _, body) = get(&f.app, "/api/v1/zones/Z02/indicators/contact_24h_rate/history?from=2026-10-01&to=2026-10-31&step=week").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["indicator"], "contact_24h_rate");
    assert_eq!(v["step"], "week");
    let points = v["points"].as_array().expect("points");
    // From the week containing Oct 1 (Mon Sep 28) to the week containing Oct 31 (Mon Oct 26).
    assert_eq!(points.len(), 5);
    assert_eq!(points[0]["bucket_start"], "2026-09-28");
    assert!(points[0]["value"].is_null());
    let (s, _, body) = get(&f.app, "/api/v1/zones/citywide/indicators/open_investigations/history?from=2026-01-01&to=2026-12-31&step=month").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["points"].as_array().expect("points").len(), 12);
}

#[tokio::test]
async fn history_rejects_bad_ranges_and_names() {
    let f = with_snapshot();
    let base = "/api/v1/zones/Z02/indicators/intakes/history";
    for (q, param) in [
        ("", "from"),
        ("?from=2026-01-01", "to"),
        ("?from=2026-1-1&to=2026-02-01", "from"),
        ("?from=2026-01-01&to=2026-02-30", "to"),
        ("?from=2026-02-01&to=2026-01-01", "to"),
        ("?from=2010-01-01&to=2026-01-01", "to"),
        ("?from=2026-01-01&to=2026-02-01&step=hour", "step"),
        ("?from=2026-01-01&to=2026-02-01&as_of=noon", "as_of"),
        ("?from=2026-01-01&to=2026-02-01&window=7d", "query"),
    ] {
        let (s, _, body) = get(&f.app, &format!("{base}{q}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["parameter"], param, "{q}: {body}");
    }
    // More than 4,000 points.
    let (s, _, body) = get(
        &f.app,
        &format!("{base}?from=2016-01-01&to=2026-12-31&step=day"),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (s, _, _) = get(
        &f.app,
        "/api/v1/zones/Z02/indicators/no_such_thing/history?from=2026-01-01&to=2026-01-02",
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = get(
        &f.app,
        "/api/v1/zones/Z99/indicators/intakes/history?from=2026-01-01&to=2026-01-02",
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn snapshots_list_read_and_export() {
    let f = with_snapshot();
    let (s, _, body) = get(&f.app, "/api/v1/snapshots").await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v[0]["iso_week"], "2026-W44");
    assert_eq!(v[0]["as_of"], "2026-11-02T05:00:00Z");
    let (s, _, body) = get(&f.app, "/api/v1/snapshots/2026-W44").await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["values"].as_array().expect("values").len(), 22 * 3 * 21);
    let (s, ctype, body) = get(&f.app, "/api/v1/snapshots/2026-W44/export?format=csv").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ctype.starts_with("text/csv"));
    assert!(body.starts_with("iso_week,zone,window,indicator,value,numerator,denominator\r\n"));
    assert_eq!(body.lines().count(), 1 + 22 * 3 * 21);
    let (s, ctype, _) = get(&f.app, "/api/v1/snapshots/2026-W44/export?format=parquet").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ctype, "application/vnd.apache.parquet");
    for (uri, want) in [
        ("/api/v1/snapshots/2026-W45", StatusCode::NOT_FOUND),
        ("/api/v1/snapshots/2026-47", StatusCode::BAD_REQUEST),
        (
            "/api/v1/snapshots/2026-W44/export?format=xlsx",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/snapshots/2026-W44/export?fmt=csv",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/v1/snapshots/2026-W45/export", StatusCode::NOT_FOUND),
    ] {
        let (s, _, body) = get(&f.app, uri).await;
        assert_eq!(s, want, "{uri}: {body}");
    }
}
