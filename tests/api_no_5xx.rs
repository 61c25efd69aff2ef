//! No input from outside gets a 5xx or a panic: random path segments and query values,
//! undecodable percent-encodings and wrong methods on every route, as a reviewer (so every
//! handler runs) and as the `public` role (so every suppression path runs), through
//! `Router::oneshot`. Every refusal is a JSON `{error, message}`.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use childstat_config::{Config, Role};
use common::api::{fixture_with, review_setup, Fixture};
use proptest::prelude::*;
use tower::ServiceExt;

struct App {
    rt: tokio::runtime::Runtime,
    f: Fixture,
    reviewer: String,
    public: String,
}

/// One fixture for all cases of a test, with events to count and suppress, and a reviewer
/// and a public token.
fn make_app() -> App {
    let reviewer = childstat::token::from_bytes("fuzz", Role::Reviewer, [7; 32]).expect("token");
    let public = childstat::token::from_bytes("fuzz-public", Role::Public, [9; 32]).expect("token");
    let mut cfg = Config::embedded_defaults();
    cfg.access.tokens = vec![reviewer.entry, public.entry];
    cfg.validate().expect("valid config");
    let f = fixture_with(cfg, review_setup);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    App {
        rt,
        f,
        reviewer: reviewer.token,
        public: public.token,
    }
}

thread_local! {
    static APP: App = make_app();
}

/// Status, headers and body of `method uri` sent with `token`.
fn send(
    app: &App,
    method: Method,
    uri: &str,
    token: &str,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    app.rt.block_on(async {
        let resp = app
            .f
            .app
            .clone()
            .oneshot(
                Request::builder()
                    .method(method)
                    .uri(uri)
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap_or_else(|e| panic!("{uri}: {e}")),
            )
            .await
            .expect("response");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 26)
            .await
            .expect("body");
        (status, headers, body.to_vec())
    })
}

/// `Err` unless the answer is below 500 and, when not a 200, a JSON `{error, message}`.
fn check(uri: &str, status: StatusCode, body: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(body);
    if status.as_u16() >= 500 {
        return Err(format!("{uri}: {status} {text}"));
    }
    if status != StatusCode::OK {
        let v: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| format!("{uri}: {status} body is not JSON ({e}): {text}"))?;
        if !(v["error"].is_string() && v["message"].is_string()) {
            return Err(format!("{uri}: {status} without error and message: {v}"));
        }
    }
    Ok(())
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
        Just("contact_24h_rate".to_string()),
        Just("2026-W44".to_string()),
        Just("2026-W53".to_string()),
        Just("2099-W01".to_string()),
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
        Just("false".to_string()),
        Just("firing".to_string()),
        Just(String::new()),
        "[ -~]{0,24}",
        "\\PC{0,8}",
        "[0-9]{1,20}",
        "-?[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}",
    ]
}

/// Written into the URI as they are: percent-encodings of bytes that are not UTF-8
/// (a lone continuation byte, a broken pair, a truncated triple, a surrogate, an overlong
/// slash, a five-byte form), and percent signs that encode nothing.
const RAW: &[&str] = &[
    "%FF",
    "%C3%28",
    "%80",
    "%E2%82",
    "%ED%A0%80",
    "%C0%AF",
    "%F8%88%80%80%80",
    "Z01%FF",
    "%",
    "%G1",
    "%2",
];

/// A URI-ready value: mostly [`value`] percent-encoded, sometimes one of [`RAW`].
fn slot() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => value().prop_map(|v| enc(&v)),
        1 => prop::sample::select(RAW).prop_map(str::to_string),
    ]
}

/// Mostly GET; otherwise a method no route takes.
fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        6 => Just(Method::GET),
        1 => Just(Method::POST),
        1 => Just(Method::PUT),
        1 => Just(Method::DELETE),
        1 => Just(Method::PATCH),
    ]
}

const TEMPLATES: &[&str] = &[
    "/api/v1/zones/{0}/indicators?window={1}&as_of={2}",
    "/api/v1/zones/{0}/indicators?window={1}&as_of={2}&suppress={3}",
    "/api/v1/zones/{0}/indicators/{1}/history?from={2}&to={3}&step={4}&as_of={5}&format={6}",
    "/api/v1/zones/{0}/indicators/{1}/history?from={2}&to={3}&step={4}&suppress={5}&format={6}",
    "/api/v1/zones/citywide/indicators/{0}/history?from={1}&to={2}&step={3}&suppress={4}",
    "/api/v1/compare?zones={0}&window={1}&as_of={2}&format={3}&suppress={4}",
    "/api/v1/session?zones={0}&week={1}",
    "/api/v1/zones/{0}/case-candidates?week={1}",
    "/api/v1/zones/{0}/case-candidates?{1}={2}",
    "/api/v1/snapshots/{0}",
    "/api/v1/snapshots/{0}/export?format={1}&suppress={2}",
    "/api/v1/alerts?state={0}&zone={1}",
    "/api/v1/{0}?{1}={2}",
    "/api/v1/zones/{0}/{1}",
    "/assets/{0}",
    "/{0}",
];

/// `template` with `{i}` replaced by `vals[i]`, which are already URI-ready.
fn fill(template: &str, vals: &[String]) -> String {
    vals.iter()
        .enumerate()
        .fold(template.to_string(), |uri, (i, v)| {
            uri.replace(&format!("{{{i}}}"), v)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_input_gets_a_5xx(
        t in 0..TEMPLATES.len(),
        vals in prop::collection::vec(slot(), 7),
        method in method(),
        public in any::<bool>(),
    ) {
        let uri = fill(TEMPLATES[t], &vals);
        let (status, _, body) = APP.with(|app| {
            let token = if public { &app.public } else { &app.reviewer };
            send(app, method.clone(), &uri, token)
        });
        let who = if public { "public" } else { "reviewer" };
        check(&format!("{method} {uri} as {who}"), status, &body).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn undecodable_path_segments_and_query_values_get_a_json_400() {
    let uris = [
        "/api/v1/zones/%FF/indicators",
        "/api/v1/zones/%C3%28/indicators?suppress=true",
        "/api/v1/zones/Z01/indicators/%ED%A0%80/history?from=2026-10-01&to=2026-10-31",
        "/api/v1/zones/%E2%82/indicators/intakes/history?from=2026-10-01&to=2026-10-31&suppress=true",
        "/api/v1/zones/%FF/case-candidates",
        "/api/v1/snapshots/%C0%AF",
        "/api/v1/snapshots/%80/export",
        "/api/v1/zones/Z01/indicators?window=%FF",
        "/api/v1/zones/Z01/indicators?suppress=%C3%28",
        "/api/v1/zones/Z01/indicators/intakes/history?from=%FF&to=2026-10-31",
        "/api/v1/compare?zones=%C3%28",
        "/api/v1/zones/Z01/case-candidates?week=%FF",
        "/api/v1/zones/Z01/case-candidates?%FF=1",
        "/api/v1/snapshots/2026-W44/export?format=%FF",
        "/api/v1/alerts?state=%FF",
        "/assets/%FF",
    ];
    APP.with(|app| {
        for uri in uris {
            let (status, _, body) = send(app, Method::GET, uri, &app.reviewer);
            check(uri, status, &body).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{uri}: {}",
                String::from_utf8_lossy(&body)
            );
        }
    });
}

#[test]
fn wrong_methods_get_a_json_405_naming_get() {
    let uris = [
        "/api/v1/zones",
        "/api/v1/zones/Z01/indicators",
        "/api/v1/zones/Z01/case-candidates",
        "/api/v1/snapshots/2026-W44/export",
        "/api/v1/compare?zones=Z01",
        "/metrics",
        "/healthz",
        "/",
    ];
    APP.with(|app| {
        for uri in uris {
            for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
                let what = format!("{method} {uri}");
                let (status, headers, body) = send(app, method, uri, &app.reviewer);
                check(&what, status, &body).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{what}");
                let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
                assert_eq!(v["error"], "method_not_allowed", "{what}: {v}");
                let allow = headers
                    .get("allow")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                assert!(allow.contains("GET"), "{what}: Allow `{allow}`");
            }
        }
    });
}

#[test]
fn every_metric_has_help_text() {
    let text = APP.with(|app| {
        let (status, _, body) = send(app, Method::GET, "/metrics", &app.reviewer);
        assert_eq!(status, StatusCode::OK);
        String::from_utf8(body).expect("utf-8")
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
