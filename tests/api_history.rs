//! History and snapshot routes through `Router::oneshot`, every 4xx path included.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use childstat::settings::store_settings;
use childstat_aggregator::{IsoWeek, Store};
use childstat_api::{AppState, Health};
use childstat_config::Config;
use childstat_core::Ts;
use childstat_telemetry::Metrics;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

struct Fixture {
    _dir: tempfile::TempDir,
    _store: Store,
    app: axum::Router,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = Config::embedded_defaults();
    let mut store =
        Store::open(&dir.path().join("api.duckdb"), store_settings(&cfg)).expect("store");
    let zones: Vec<String> = cfg.zone_set().codes().map(str::to_string).collect();
    let week = IsoWeek::parse("2026-W44").expect("week");
    store
        .take_snapshot(
            week,
            &zones,
            Ts::parse_rfc3339("2026-11-02T12:00:00Z").expect("ts"),
            false,
        )
        .expect("snapshot");
    let pool = Arc::new(store.read_pool(2).expect("pool"));
    let state = AppState {
        pool,
        zones: Arc::new(cfg.zone_set()),
        metrics: Metrics::new(),
        health: Arc::new(Health::default()),
        clock: Arc::new(|| Ts::parse_rfc3339("2026-11-02T12:00:00Z").expect("ts")),
    };
    Fixture {
        _dir: dir,
        _store: store,
        app: childstat_api::router(state, Duration::from_secs(10)),
    }
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String, String) {
    let resp = app
        .clone()
        .oneshot(
            Request::builder()
                .uri(uri)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    let status = resp.status();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .expect("body");
    (status, ctype, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn history_points_cover_every_bucket() {
    let f = fixture();
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
    let f = fixture();
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
    let f = fixture();
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
    assert!(body.starts_with("iso_week,zone,window,indicator,value,numerator,denominator\n"));
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
