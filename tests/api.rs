//! The HTTP API through `Router::oneshot`: status codes, JSON error bodies, and metrics text.

mod common;

use axum::http::StatusCode;
use common::api::{fixture, get};

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).expect("JSON body")
}

#[tokio::test]
async fn indicators_for_a_zone_and_citywide() {
    let f = fixture(|_, _| {});
    let (s, body) = get(
        &f.app,
        "/api/v1/zones/Z01/indicators?window=7d&as_of=2026-11-01T00:00:00-04:00",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v = json(&body);
    assert_eq!(v["zone"], "Z01");
    assert_eq!(v["window"], "7d");
    assert_eq!(v["as_of"], "2026-11-01T04:00:00Z");
    let inds = v["indicators"].as_array().expect("array");
    let rate = inds
        .iter()
        .find(|i| i["name"] == "contact_24h_rate")
        .expect("rate");
    assert!(
        rate["value"].is_null(),
        "an empty denominator gives null, not 0"
    );
    assert_eq!(rate["denominator"], 0);
    let (s, body) = get(&f.app, "/api/v1/zones/citywide/indicators").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&body)["window"], "28d");
    assert_eq!(json(&body)["as_of"], "2026-11-02T12:00:00Z");
}

#[tokio::test]
async fn zones_lists_every_configured_zone() {
    let f = fixture(|_, _| {});
    let (s, body) = get(&f.app, "/api/v1/zones").await;
    assert_eq!(s, StatusCode::OK);
    let v = json(&body);
    let zones = v.as_array().expect("array");
    assert_eq!(zones.len(), 21);
    assert!(zones.iter().any(|z| z["code"] == "OSI"));
    assert!(zones
        .iter()
        .all(|z| z["name"].is_string() && z["borough"].is_string()));
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let f = fixture(|_, _| {});
    for (uri, param) in [
        ("/api/v1/zones/Z01/indicators?window=30d", "window"),
        ("/api/v1/zones/Z01/indicators?window=", "window"),
        ("/api/v1/zones/Z01/indicators?as_of=yesterday", "as_of"),
        (
            "/api/v1/zones/Z01/indicators?as_of=2026-11-01T00:00:00",
            "as_of",
        ),
        (
            "/api/v1/zones/Z01/indicators?as_of=2026-13-01T00:00:00Z",
            "as_of",
        ),
        ("/api/v1/zones/Z01/indicators?windw=7d", "query"),
    ] {
        let (s, body) = get(&f.app, uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {body}");
        let v = json(&body);
        assert_eq!(v["error"], "bad_request");
        assert_eq!(v["parameter"], param, "{uri}");
        let msg = v["message"].as_str().expect("message");
        assert!(
            msg.contains(if param == "query" { "windw" } else { param }),
            "{uri}: {msg}"
        );
    }
}

#[tokio::test]
async fn unknown_zones_and_routes_are_404() {
    let f = fixture(|_, _| {});
    for uri in [
        "/api/v1/zones/Z99/indicators",
        "/api/v1/zones/z01/indicators",
        "/api/v1/nope",
        "/nope",
        "/assets/nope.js",
    ] {
        let (s, body) = get(&f.app, uri).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(json(&body)["error"], "not_found");
    }
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let f = fixture(|_, _| {});
    let (s, _) = get(&f.app, "/healthz").await;
    assert_eq!(s, StatusCode::OK);
    // No broker has answered and the writer has not turned: not ready.
    let (s, body) = get(&f.app, "/readyz").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let _ = get(&f.app, "/api/v1/zones/Z99/indicators").await;
    let (s, text) = get(&f.app, "/metrics").await;
    assert_eq!(s, StatusCode::OK);
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
    assert!(scrape
        .samples
        .iter()
        .any(|s| s.metric.starts_with("childstat_http_requests")
            && s.labels.get("route") == Some("/api/v1/zones/:zone/indicators")
            && s.labels.get("status") == Some("404")));
    assert!(!scrape.docs.is_empty(), "metrics carry HELP text");
    for name in scrape.samples.iter().map(|s| &s.metric) {
        assert!(name.starts_with("childstat_"), "{name}");
    }
}
