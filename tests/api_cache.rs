//! The response cache: identical aggregate reads reuse one answer, never past a commit and
//! never across roles, and it can be turned off.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use childstat::settings::store_settings;
use childstat_aggregator::Store;
use childstat_api::auth::sha256_hex;
use childstat_config::{Config, Role, TokenConfig};
use common::api::NOW;
use common::events::{batch, opened, ts};
use serde_json::Value;
use std::time::Duration;
use tower::ServiceExt;

const URI: &str = "/api/v1/zones/Z01/indicators?window=28d";

struct Setup {
    _dir: tempfile::TempDir,
    store: Store,
    app: axum::Router,
}

fn setup(cfg: Config) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store =
        Store::open(&dir.path().join("cache.duckdb"), store_settings(&cfg)).expect("store");
    store
        .apply_batch(
            &batch(
                vec![opened("o1", "I1", "Z01", "2026-10-20T09:00:00-04:00")],
                0,
            ),
            ts(NOW),
        )
        .expect("apply");
    let state = common::api::state_for(&mut store, &cfg);
    Setup {
        _dir: dir,
        store,
        app: childstat_api::router(state, Duration::from_secs(10)),
    }
}

/// (cache header, intakes in Z01 over 28 days, body)
async fn read(app: &axum::Router, uri: &str, token: Option<&str>) -> (Option<String>, i64, Value) {
    let mut req = Request::builder().uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    let how = resp
        .headers()
        .get("x-childstat-cache")
        .map(|v| v.to_str().expect("ascii").to_string());
    let body: Value = serde_json::from_slice(
        &axum::body::to_bytes(resp.into_body(), 1 << 24)
            .await
            .expect("body"),
    )
    .expect("json");
    let intakes = body["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|i| i["name"] == "intakes")
        .and_then(|i| i["value"].as_f64())
        .unwrap_or(-1.0) as i64;
    (how, intakes, body)
}

#[tokio::test]
async fn a_commit_ends_reuse_and_the_next_read_is_fresh() {
    let mut s = setup(Config::embedded_defaults());
    let (how, intakes, first) = read(&s.app, URI, None).await;
    assert_eq!((how.as_deref(), intakes), (Some("miss"), 1));
    let (how, _, again) = read(&s.app, URI, None).await;
    assert_eq!(how.as_deref(), Some("hit"));
    assert_eq!(first, again, "a hit is the same answer");

    s.store
        .apply_batch(
            &batch(
                vec![opened("o2", "I2", "Z01", "2026-10-21T09:00:00-04:00")],
                1,
            ),
            ts(NOW),
        )
        .expect("apply");
    let (how, intakes, _) = read(&s.app, URI, None).await;
    assert_eq!(
        (how.as_deref(), intakes),
        (Some("miss"), 2),
        "the read after a commit is computed afresh"
    );
    // A different question is a different entry.
    let (how, _, _) = read(&s.app, "/api/v1/zones/Z01/indicators?window=7d", None).await;
    assert_eq!(how.as_deref(), Some("miss"));
}

#[tokio::test]
async fn roles_never_share_an_answer() {
    let mut cfg = Config::embedded_defaults();
    cfg.access.tokens = vec![
        TokenConfig {
            name: "v".into(),
            sha256: sha256_hex("viewer-token-0123456789abcdef"),
            role: Role::Viewer,
        },
        TokenConfig {
            name: "p".into(),
            sha256: sha256_hex("public-token-0123456789abcdef"),
            role: Role::Public,
        },
    ];
    cfg.validate().expect("valid config");
    let s = setup(cfg);
    let (how, viewer_intakes, _) = read(&s.app, URI, Some("viewer-token-0123456789abcdef")).await;
    assert_eq!((how.as_deref(), viewer_intakes), (Some("miss"), 1));
    let (how, _, public) = read(&s.app, URI, Some("public-token-0123456789abcdef")).await;
    assert_eq!(
        how.as_deref(),
        Some("miss"),
        "the public role does not get the viewer's cached answer"
    );
    let cell = public["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|i| i["name"] == "intakes")
        .expect("intakes")
        .clone();
    assert!(
        cell["value"].is_null(),
        "a count of 1 is suppressed: {cell}"
    );
    let (how, _, _) = read(&s.app, URI, Some("viewer-token-0123456789abcdef")).await;
    assert_eq!(how.as_deref(), Some("hit"));
}

#[tokio::test]
async fn zero_max_age_turns_it_off_and_errors_are_never_kept() {
    let mut cfg = Config::embedded_defaults();
    cfg.http.response_cache = Duration::ZERO;
    let s = setup(cfg);
    for _ in 0..2 {
        let (how, intakes, _) = read(&s.app, URI, None).await;
        assert_eq!((how, intakes), (None, 1));
    }
    let s = setup(Config::embedded_defaults());
    for _ in 0..2 {
        let resp = s
            .app
            .clone()
            .oneshot(
                Request::builder()
                    .uri("/api/v1/zones/Z01/indicators?window=8d")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert_eq!(resp.headers().get("x-childstat-cache"), None);
    }
}
