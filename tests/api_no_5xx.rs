//! No input from outside gets a 5xx or a panic: random path segments and query values on
//! every route, as a reviewer (so every handler runs), through `Router::oneshot`.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use childstat_aggregator::IsoWeek;
use childstat_config::{Config, Role};
use childstat_core::Ts;
use common::api::{fixture_with, Fixture, NOW};
use proptest::prelude::*;
use tower::ServiceExt;

type App = (tokio::runtime::Runtime, Fixture, String);

/// One fixture for all cases of a test, with a reviewer token so every handler runs.
fn make_app() -> App {
    let reviewer = childstat::token::from_bytes("fuzz", Role::Reviewer, [7; 32]).expect("token");
    let mut cfg = Config::embedded_defaults();
    cfg.access.tokens = vec![reviewer.entry];
    let f = fixture_with(cfg, |store, cfg| {
        let zones: Vec<String> = cfg.zone_set().codes().map(str::to_string).collect();
        let week = IsoWeek::parse("2026-W44").expect("week");
        store
            .take_snapshot(week, &zones, Ts::parse_rfc3339(NOW).expect("ts"), false)
            .expect("snapshot");
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    (rt, f, reviewer.token)
}

thread_local! {
    static APP: App = make_app();
}

/// Percent-encodes everything but unreserved characters, so any string makes a valid URI.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Plausible values, near misses, and junk.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Z01".to_string()),
        Just("citywide".to_string()),
        Just("Z01,Z07".to_string()),
        Just("intakes".to_string()),
        Just("caseload_max".to_string()),
        Just("2026-W44".to_string()),
        Just("2026-W53".to_string()),
        Just("0000-W01".to_string()),
        Just("2026-10-01".to_string()),
        Just("9999-12-31".to_string()),
        Just("0001-01-01".to_string()),
        Just("2262-04-11T23:47:16.854775807Z".to_string()),
        Just("1677-09-21T00:12:43.145224192Z".to_string()),
        Just("2026-11-01T00:00:00-04:00".to_string()),
        Just("7d".to_string()),
        Just("day".to_string()),
        Just("month".to_string()),
        Just("csv".to_string()),
        Just("parquet".to_string()),
        Just("true".to_string()),
        Just("firing".to_string()),
        Just(String::new()),
        "[ -~]{0,24}",
        "\\PC{0,8}",
        "[0-9]{1,20}",
        "-?[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}",
    ]
}

const TEMPLATES: &[&str] = &[
    "/api/v1/zones/{0}/indicators?window={1}&as_of={2}",
    "/api/v1/zones/{0}/indicators/{1}/history?from={2}&to={3}&step={4}&as_of={5}&format={6}",
    "/api/v1/zones/citywide/indicators/{0}/history?from={1}&to={2}&step={3}",
    "/api/v1/compare?zones={0}&window={1}&as_of={2}&format={3}&suppress={4}",
    "/api/v1/session?zones={0}&week={1}",
    "/api/v1/zones/{0}/case-candidates?week={1}",
    "/api/v1/snapshots/{0}",
    "/api/v1/snapshots/{0}/export?format={1}&suppress={2}",
    "/api/v1/alerts?state={0}&zone={1}",
    "/api/v1/{0}?{1}={2}",
    "/api/v1/zones/{0}/{1}",
];

fn fill(template: &str, vals: &[String]) -> String {
    vals.iter()
        .enumerate()
        .fold(template.to_string(), |uri, (i, v)| {
            uri.replace(&format!("{{{i}}}"), &enc(v))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn no_input_gets_a_5xx(t in 0..TEMPLATES.len(), vals in prop::collection::vec(value(), 7)) {
        let uri = fill(TEMPLATES[t], &vals);
        let (status, body) = APP.with(|(rt, f, token)| rt.block_on(async {
            let resp = f
                .app
                .clone()
                .oneshot(
                    Request::builder()
                        .uri(&uri)
                        .header("authorization", format!("Bearer {token}"))
                        .body(Body::empty())
                        .expect("request"),
                )
                .await
                .expect("response");
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), 1 << 26).await.expect("body");
            (status, body)
        }));
        prop_assert!(status.as_u16() < 500, "{uri}: {status} {}", String::from_utf8_lossy(&body));
        if status != StatusCode::OK {
            let v: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|e| TestCaseError::fail(format!("{uri}: error body is not JSON: {e}")))?;
            prop_assert!(v["error"].is_string() && v["message"].is_string(), "{uri}: {v}");
        }
    }
}

#[test]
fn every_metric_has_help_text() {
    let text = APP.with(|(rt, f, _)| {
        rt.block_on(async {
            let resp = f
                .app
                .clone()
                .oneshot(
                    Request::builder()
                        .uri("/metrics")
                        .body(Body::empty())
                        .expect("request"),
                )
                .await
                .expect("response");
            String::from_utf8(
                axum::body::to_bytes(resp.into_body(), 1 << 24)
                    .await
                    .expect("body")
                    .to_vec(),
            )
            .expect("utf-8")
        })
    });
    let typed: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(typed.len() >= 8, "{text}");
    for name in typed {
        let help = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("# HELP {name} ")))
            .unwrap_or_default();
        assert!(help.trim().len() > 10, "{name} has no HELP text");
    }
}
