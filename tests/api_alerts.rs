//! Compliance alerts end to end, short of the timer: events in a real DuckDB file, the
//! evaluator's `evaluate_once`, then `GET /api/v1/alerts` and `/metrics` through the router.

mod common;

use axum::http::StatusCode;
use childstat::alerting::evaluate_once;
use childstat_config::{AlertConfig, Config};
use childstat_core::alerts::{Op, Severity, Window};
use common::api::{fixture_with, get, Fixture};
use common::events::{batch, contact, opened, ts};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

fn json(s: &str) -> Value {
    serde_json::from_str(s).expect("JSON body")
}

fn alert(name: &str, indicator: &str, op: Op, threshold: f64, window: Window) -> AlertConfig {
    AlertConfig {
        name: name.into(),
        indicator: indicator.into(),
        op,
        threshold,
        window,
        hold: Duration::from_secs(3600),
        severity: Severity::Critical,
        runbook: format!("What to do about {name}."),
        zones: BTreeMap::new(),
    }
}

/// Contact within 24h: Z07 met one of two (50%), Z01 missed its only one (0%), citywide
/// 1 of 3. Z07's own threshold is 40%, so it is the one zone in data not in breach.
/// Every investigation is still open, so `open_high` (open > 0, no `for`) fires at once.
fn alerting_fixture() -> Fixture {
    let mut contact_low = alert("contact_low", "contact_24h_rate", Op::Lt, 0.9, Window::D28);
    contact_low.zones.insert("Z07".into(), 0.4);
    let mut open_high = alert("open_high", "open_investigations", Op::Gt, 0.0, Window::D7);
    open_high.hold = Duration::ZERO;
    open_high.severity = Severity::Warning;
    let cfg = Config {
        alerts: vec![contact_low, open_high],
        ..Config::embedded_defaults()
    };
    cfg.validate().expect("valid test configuration");
    fixture_with(cfg, |store, _| {
        let events = vec![
            opened("e1", "I1", "Z07", "2026-10-20T09:00:00Z"),
            contact("e2", "I1", "Z07", "2026-10-20T11:00:00Z"),
            opened("e3", "I2", "Z07", "2026-10-20T09:30:00Z"),
            opened("e4", "I3", "Z01", "2026-10-21T08:00:00Z"),
        ];
        store
            .apply_batch(&batch(events, 0), ts("2026-11-01T00:00:00Z"))
            .expect("apply");
    })
}

fn evaluate(f: &Fixture, at: &str) {
    let st = &f.state;
    evaluate_once(&st.pool, &st.alerts, &st.metrics, ts(at)).expect("evaluate");
}

fn zone<'a>(body: &'a Value, alert: &str, zone: &str) -> &'a Value {
    body["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .find(|a| a["name"] == alert)
        .and_then(|a| a["zones"].as_array())
        .and_then(|zs| zs.iter().find(|z| z["zone"] == zone))
        .unwrap_or_else(|| panic!("{alert}/{zone} in {body}"))
}

#[tokio::test]
async fn alerts_move_from_pending_to_firing_after_for() {
    let f = alerting_fixture();
    let (s, body) = get(&f.app, "/api/v1/alerts").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v = json(&body);
    assert!(v["evaluated_at"].is_null(), "not evaluated yet");
    assert_eq!(v["interval"], "30s");
    assert_eq!(zone(&v, "contact_low", "Z01")["state"], "inactive");

    evaluate(&f, "2026-11-02T10:00:00Z");
    let v = json(&get(&f.app, "/api/v1/alerts").await.1);
    assert_eq!(v["evaluated_at"], "2026-11-02T10:00:00Z");
    let rule = &v["alerts"][0];
    assert_eq!(rule["name"], "contact_low");
    assert_eq!(rule["indicator"], "contact_24h_rate");
    assert_eq!(rule["op"], "<");
    assert_eq!(rule["threshold"], 0.9);
    assert_eq!(rule["zone_thresholds"]["Z07"], 0.4);
    assert_eq!(rule["window"], "28d");
    assert_eq!(
        (rule["for"].as_str(), rule["for_seconds"].as_i64()),
        (Some("1h"), Some(3600))
    );
    assert_eq!(rule["severity"], "critical");
    assert_eq!(rule["runbook"], "What to do about contact_low.");
    assert_eq!(
        rule["zones"].as_array().expect("zones").len(),
        22,
        "21 zones and citywide"
    );

    let z01 = zone(&v, "contact_low", "Z01");
    assert_eq!(z01["state"], "pending");
    assert_eq!(z01["value"], 0.0);
    assert_eq!(z01["threshold"], 0.9);
    assert_eq!(z01["pending_since"], "2026-11-02T10:00:00Z");
    assert!(z01["firing_since"].is_null());
    let z07 = zone(&v, "contact_low", "Z07");
    assert_eq!(
        (z07["state"].as_str(), z07["value"].as_f64()),
        (Some("inactive"), Some(0.5))
    );
    assert_eq!(z07["threshold"], 0.4);
    let city = zone(&v, "contact_low", "citywide");
    assert_eq!(city["state"], "pending");
    assert!((city["value"].as_f64().expect("value") - 1.0 / 3.0).abs() < 1e-12);
    let z02 = zone(&v, "contact_low", "Z02");
    assert_eq!(z02["state"], "inactive");
    assert!(z02["value"].is_null(), "no members is no data, not 0");
    assert_eq!(zone(&v, "open_high", "Z07")["state"], "firing", "for = 0");
    assert_eq!(zone(&v, "open_high", "Z07")["value"], 2.0);

    evaluate(&f, "2026-11-02T10:59:59Z");
    let v = json(&get(&f.app, "/api/v1/alerts").await.1);
    assert_eq!(zone(&v, "contact_low", "Z01")["state"], "pending");

    evaluate(&f, "2026-11-02T11:00:00Z");
    let v = json(&get(&f.app, "/api/v1/alerts").await.1);
    let z01 = zone(&v, "contact_low", "Z01");
    assert_eq!(z01["state"], "firing");
    assert_eq!(z01["pending_since"], "2026-11-02T10:00:00Z");
    assert_eq!(z01["firing_since"], "2026-11-02T11:00:00Z");
}

#[tokio::test]
async fn filters_by_state_and_zone() {
    let f = alerting_fixture();
    evaluate(&f, "2026-11-02T10:00:00Z");

    let v = json(&get(&f.app, "/api/v1/alerts?state=firing").await.1);
    let alerts = v["alerts"].as_array().expect("alerts");
    assert_eq!(alerts.len(), 1, "no contact_low zone fires yet: {v}");
    let zones: Vec<&str> = alerts[0]["zones"]
        .as_array()
        .expect("zones")
        .iter()
        .map(|z| z["zone"].as_str().expect("zone"))
        .collect();
    assert_eq!(zones, ["Z01", "Z07", "citywide"]);

    let v = json(&get(&f.app, "/api/v1/alerts?state=pending").await.1);
    let zones: Vec<&Value> = v["alerts"][0]["zones"]
        .as_array()
        .expect("zones")
        .iter()
        .collect();
    assert_eq!(v["alerts"].as_array().map(Vec::len), Some(1));
    assert_eq!(zones.len(), 2, "Z01 and citywide");

    let (s, body) = get(&f.app, "/api/v1/alerts?zone=Z07&state=inactive").await;
    assert_eq!(s, StatusCode::OK);
    let v = json(&body);
    assert_eq!(v["alerts"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["alerts"][0]["name"], "contact_low");
    assert_eq!(v["alerts"][0]["zones"][0]["zone"], "Z07");

    let v = json(&get(&f.app, "/api/v1/alerts?zone=citywide").await.1);
    assert_eq!(v["alerts"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn bad_filters_are_400_or_404() {
    let f = alerting_fixture();
    for (uri, status, param) in [
        (
            "/api/v1/alerts?state=resolved",
            StatusCode::BAD_REQUEST,
            Some("state"),
        ),
        (
            "/api/v1/alerts?state=",
            StatusCode::BAD_REQUEST,
            Some("state"),
        ),
        (
            "/api/v1/alerts?severity=critical",
            StatusCode::BAD_REQUEST,
            Some("query"),
        ),
        ("/api/v1/alerts?zone=Z99", StatusCode::NOT_FOUND, None),
        ("/api/v1/alerts?zone=", StatusCode::NOT_FOUND, None),
    ] {
        let (s, body) = get(&f.app, uri).await;
        assert_eq!(s, status, "{uri}: {body}");
        let v = json(&body);
        assert!(v["message"].is_string(), "{uri}: {body}");
        match param {
            Some(p) => {
                assert_eq!(v["error"], "bad_request");
                assert_eq!(v["parameter"], p, "{uri}");
            }
            None => assert_eq!(v["error"], "not_found"),
        }
    }
}

#[tokio::test]
async fn metrics_carry_the_alert_states() {
    let f = alerting_fixture();
    evaluate(&f, "2026-11-02T10:00:00Z");
    evaluate(&f, "2026-11-02T11:00:00Z");
    let (s, text) = get(&f.app, "/metrics").await;
    assert_eq!(s, StatusCode::OK);
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("Prometheus text format");
    let sample = |metric: &str, zone: &str, alert: &str| {
        scrape
            .samples
            .iter()
            .find(|s| {
                s.metric == metric
                    && s.labels.get("zone") == Some(zone)
                    && s.labels.get("alert") == Some(alert)
            })
            .map(|s| match s.value {
                prometheus_parse::Value::Gauge(v) => v,
                _ => f64::NAN,
            })
    };
    assert_eq!(
        sample("childstat_alert_firing", "Z01", "contact_low"),
        Some(1.0)
    );
    assert_eq!(
        sample("childstat_alert_pending", "Z01", "contact_low"),
        Some(0.0)
    );
    assert_eq!(
        sample("childstat_alert_firing", "Z07", "contact_low"),
        Some(0.0)
    );
    assert_eq!(
        sample("childstat_alert_firing", "Z02", "open_high"),
        Some(0.0)
    );
    for name in ["childstat_alert_firing", "childstat_alert_pending"] {
        assert!(
            scrape.docs.get(name).is_some_and(|h| !h.is_empty()),
            "{name} has HELP"
        );
    }
}

/// The shipped defaults build a board covering every zone, OSI and citywide.
#[tokio::test]
async fn default_alerts_are_listed() {
    let f = common::api::fixture(|_, _| {});
    let v = json(&get(&f.app, "/api/v1/alerts").await.1);
    let alerts = v["alerts"].as_array().expect("alerts");
    assert_eq!(alerts.len(), Config::embedded_defaults().alerts.len());
    let det = alerts
        .iter()
        .find(|a| a["name"] == "determination_60d_low")
        .expect("determination alert");
    let osi = det["zones"]
        .as_array()
        .expect("zones")
        .iter()
        .find(|z| z["zone"] == "OSI")
        .expect("OSI");
    assert_eq!(osi["threshold"], 0.75);
    assert!(alerts
        .iter()
        .all(|a| a["runbook"].as_str().is_some_and(|r| r.len() > 40)));
}
