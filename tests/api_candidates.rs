//! `GET /api/v1/zones/{zone}/case-candidates` through the router: ranked candidates with the
//! criteria they met and their clocks for a reviewer, refusals as JSON for everyone else, and
//! nothing about families or workers in any answer.

mod common;

use axum::http::StatusCode;
use childstat_config::{Config, Role};
use common::api::{fixture, fixture_with, get_as, review_setup, Fixture};

const URI: &str = "/api/v1/zones/Z01/case-candidates";

struct Tokens {
    reviewer: String,
    viewer: String,
}

/// The events of [`review_setup`] (Z01: A heightened and never contacted, B contacted on
/// time, D closed; Z07: C), now 2026-11-02 (a Monday, in 2026-W45), with a reviewer and a
/// viewer token.
fn candidates_fixture() -> (Fixture, Tokens) {
    let reviewer = childstat::token::from_bytes("qi-team", Role::Reviewer, [3; 32]).expect("token");
    let viewer = childstat::token::from_bytes("board", Role::Viewer, [4; 32]).expect("token");
    let mut cfg = Config::embedded_defaults();
    cfg.access.tokens = vec![reviewer.entry, viewer.entry];
    cfg.validate().expect("valid config");
    let tokens = Tokens {
        reviewer: reviewer.token,
        viewer: viewer.token,
    };
    (fixture_with(cfg, review_setup), tokens)
}

fn json(uri: &str, body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{uri}: not JSON ({e}): {body}"))
}

/// Asserts a JSON error with `status` and `code` and returns its message.
async fn expect_error(
    f: &Fixture,
    uri: &str,
    token: Option<&str>,
    status: StatusCode,
    code: &str,
) -> serde_json::Value {
    let (s, _, body) = get_as(&f.app, uri, token).await;
    assert_eq!(s, status, "{uri}: {body}");
    let v = json(uri, &body);
    assert_eq!(v["error"], code, "{uri}: {body}");
    assert!(v["message"].is_string(), "{uri}: {body}");
    v
}

/// Every string anywhere in `v`.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push(k.clone());
            strings(x, out);
        }),
        _ => {}
    }
}

#[tokio::test]
async fn a_reviewer_gets_ranked_candidates_with_criteria_and_clocks() {
    let (f, t) = candidates_fixture();
    let uri = format!("{URI}?week=2026-W44");
    let (s, _, body) = get_as(&f.app, &uri, Some(&t.reviewer)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v = json(&uri, &body);
    assert_eq!(v["zone"], "Z01");
    assert_eq!(v["week"], "2026-W44");
    // The end of W44 in New York: Monday Nov 2, 00:00 EST.
    assert_eq!(v["as_of"], "2026-11-02T05:00:00Z", "{body}");
    let list = v["candidates"].as_array().expect("candidates");
    let ids: Vec<&str> = list.iter().filter_map(|c| c["id"].as_str()).collect();
    // A is overdue on contact and under heightened oversight, so first; D is closed.
    assert_eq!(ids.first(), Some(&"A"), "{body}");
    assert!(
        !ids.contains(&"D"),
        "a closed investigation is no candidate: {body}"
    );
    assert!(!ids.contains(&"C"), "C is in Z07: {body}");
    assert_eq!(v["total"].as_u64(), Some(list.len() as u64), "{body}");
    let a = &list[0];
    let met: Vec<&str> = a["criteria_met"]
        .as_array()
        .expect("criteria_met")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(met.contains(&"heightened_oversight"), "{a}");
    assert!(met.contains(&"overdue"), "{a}");
    assert_eq!(a["clocks"]["contact"]["status"], "overdue", "{a}");
    assert!(a["clocks"]["contact"]["done_at"].is_null(), "{a}");
    assert!(a["clocks"]["safety_conferences"].is_array(), "{a}");
    for c in list {
        assert!(
            !c["criteria_met"].as_array().expect("met").is_empty(),
            "{c}"
        );
        for clock in ["contact", "safety_assessment", "determination"] {
            let status = c["clocks"][clock]["status"].as_str().expect("status");
            assert!(
                ["met", "met_late", "overdue", "running"].contains(&status),
                "{clock}: {c}"
            );
            assert!(c["clocks"][clock]["deadline"].is_string(), "{clock}: {c}");
        }
    }
    // B's contact clock was met on the day of the report.
    if let Some(b) = list.iter().find(|c| c["id"] == "B") {
        assert_eq!(b["clocks"]["contact"]["status"], "met", "{b}");
    }
    // The week running now (W45, from Monday Nov 2) is judged at now; it is the default.
    let (s, _, body) = get_as(&f.app, URI, Some(&t.reviewer)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v = json(URI, &body);
    assert_eq!(v["week"], "2026-W45", "{body}");
    assert_eq!(v["as_of"], common::api::NOW, "{body}");
}

#[tokio::test]
async fn no_family_or_worker_id_is_in_any_answer() {
    let (f, t) = candidates_fixture();
    for week in ["2026-W44", "2026-W45", "2026-W43"] {
        for zone in ["Z01", "Z07"] {
            let uri = format!("/api/v1/zones/{zone}/case-candidates?week={week}");
            let (s, _, body) = get_as(&f.app, &uri, Some(&t.reviewer)).await;
            assert_eq!(s, StatusCode::OK, "{uri}: {body}");
            assert!(!body.contains("F-"), "{uri}: a family id in {body}");
            let mut all = Vec::new();
            strings(&json(&uri, &body), &mut all);
            for id in ["W1", "S1"] {
                assert!(
                    !all.iter().any(|s| s == id),
                    "{uri}: worker id {id} in {body}"
                );
            }
        }
    }
    // The ids are in the store, so the test would see them if the route leaked them.
    let uri = "/api/v1/zones/Z01/case-candidates?week=2026-W44";
    let (_, _, body) = get_as(&f.app, uri, Some(&t.reviewer)).await;
    assert!(body.contains("\"id\":\"A\""), "{body}");
}

#[tokio::test]
async fn citywide_and_unknown_zones_are_404() {
    let (f, t) = candidates_fixture();
    for zone in ["citywide", "Z99", "z01"] {
        let uri = format!("/api/v1/zones/{zone}/case-candidates");
        let v = expect_error(
            &f,
            &uri,
            Some(&t.reviewer),
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        let message = v["message"].as_str().unwrap_or_default();
        assert!(message.contains(zone), "{uri}: {message}");
    }
}

#[tokio::test]
async fn bad_unknown_and_future_weeks_are_400() {
    let (f, t) = candidates_fixture();
    for week in ["bad", "2026-44", "2026-W54", "", "2026-W46", "2099-W01"] {
        let uri = format!("{URI}?week={week}");
        let v = expect_error(
            &f,
            &uri,
            Some(&t.reviewer),
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await;
        assert_eq!(v["parameter"], "week", "{uri}: {v}");
        assert!(
            v["message"].as_str().unwrap_or_default().contains("week"),
            "{uri}: {v}"
        );
    }
    let uri = format!("{URI}?week=2026-W44&zone=Z07");
    let v = expect_error(
        &f,
        &uri,
        Some(&t.reviewer),
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert!(
        v["message"].as_str().unwrap_or_default().contains("`zone`"),
        "{v}"
    );
}

#[tokio::test]
async fn a_viewer_is_refused_and_without_tokens_candidates_are_disabled() {
    let (f, t) = candidates_fixture();
    let v = expect_error(&f, URI, Some(&t.viewer), StatusCode::FORBIDDEN, "forbidden").await;
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("reviewer"),
        "{v}"
    );
    expect_error(&f, URI, None, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let f = fixture(review_setup);
    for token in [None, Some(t.reviewer.as_str())] {
        let v = expect_error(&f, URI, token, StatusCode::FORBIDDEN, "forbidden").await;
        assert!(
            v["message"]
                .as_str()
                .unwrap_or_default()
                .contains("disabled"),
            "{v}"
        );
    }
}
