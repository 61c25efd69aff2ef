//! Tokens and roles, route by route: 401 without a token or with a wrong one, 403 where the
//! role may not read the route, 200 otherwise; and with no tokens configured, every route but
//! the case-level ones. Adding a route is one line in `ROUTES`.

mod common;

use axum::http::StatusCode;
use childstat_aggregator::IsoWeek;
use childstat_api::auth::sha256_hex;
use childstat_config::{Config, Role, TokenConfig};
use childstat_core::Ts;
use common::api::{fixture_with, get_as, Fixture, NOW};
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

/// Who may read a route, written down here independently of `childstat_api::auth::ROUTES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// No token needed.
    Open,
    /// Every role, `public` included (with small cells suppressed).
    AnyRole,
    /// `viewer` and `reviewer`.
    NotPublic,
    /// `reviewer` only.
    ReviewerOnly,
}

use Access::*;

/// (route template, a URI that answers 200 for an allowed caller, who may read it)
const ROUTES: &[(&str, &str, Access)] = &[
    ("/", "/", Open),
    ("/assets/{file}", "/assets/app.css", Open),
    ("/healthz", "/healthz", Open),
    ("/readyz", "/readyz", Open),
    ("/metrics", "/metrics", Open),
    ("/api/v1/openapi.json", "/api/v1/openapi.json", Open),
    ("/api/v1/docs", "/api/v1/docs", Open),
    ("/api/v1/docs/init.js", "/api/v1/docs/init.js", Open),
    (
        "/api/v1/docs/swagger-ui-bundle.js",
        "/api/v1/docs/swagger-ui-bundle.js",
        Open,
    ),
    (
        "/api/v1/docs/swagger-ui.css",
        "/api/v1/docs/swagger-ui.css",
        Open,
    ),
    ("/api/v1/zones", "/api/v1/zones", AnyRole),
    (
        "/api/v1/zones/{zone}/indicators",
        "/api/v1/zones/Z01/indicators",
        AnyRole,
    ),
    (
        "/api/v1/zones/{zone}/indicators/{name}/history",
        "/api/v1/zones/Z01/indicators/intakes/history?from=2026-10-01&to=2026-10-31&step=week",
        AnyRole,
    ),
    ("/api/v1/snapshots", "/api/v1/snapshots", AnyRole),
    (
        "/api/v1/snapshots/{iso_week}",
        "/api/v1/snapshots/2026-W44",
        AnyRole,
    ),
    (
        "/api/v1/snapshots/{iso_week}/export",
        "/api/v1/snapshots/2026-W44/export",
        AnyRole,
    ),
    ("/api/v1/compare", "/api/v1/compare?zones=Z01,Z07", AnyRole),
    ("/api/v1/session", "/api/v1/session?zones=Z01", NotPublic),
    ("/api/v1/alerts", "/api/v1/alerts", NotPublic),
    ("/api/v1/status", "/api/v1/status", NotPublic),
    (
        "/api/v1/zones/{zone}/case-candidates",
        "/api/v1/zones/Z01/case-candidates",
        ReviewerOnly,
    ),
];

const TOKENS: [(&str, Role); 3] = [
    ("cst_test-viewer", Role::Viewer),
    ("cst_test-reviewer", Role::Reviewer),
    ("cst_test-public", Role::Public),
];

fn token(role: Role) -> &'static str {
    TOKENS.iter().find(|(_, r)| *r == role).expect("token").0
}

fn app(with_tokens: bool) -> Fixture {
    let mut cfg = Config::embedded_defaults();
    if with_tokens {
        cfg.access.tokens = TOKENS
            .iter()
            .map(|(t, role)| TokenConfig {
                name: format!("{}-holder", role.as_str()),
                sha256: sha256_hex(t),
                role: *role,
            })
            .collect();
    }
    cfg.validate().expect("valid config");
    let f = fixture_with(cfg, |store, cfg| {
        let zones: Vec<String> = cfg.zone_set().codes().map(str::to_string).collect();
        let week = IsoWeek::parse("2026-W44").expect("week");
        store
            .take_snapshot(week, &zones, Ts::parse_rfc3339(NOW).expect("ts"), false)
            .expect("snapshot");
    });
    // Ready, so /readyz answers 200 like every other open route.
    f.state.health.broker_up.store(true, Ordering::Relaxed);
    f.state.health.beat(Ts::parse_rfc3339(NOW).expect("ts"));
    f
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

async fn expect_ok(f: &Fixture, uri: &str, token: Option<&str>) {
    let (s, _, body) = get_as(&f.app, uri, token).await;
    assert_eq!(s, StatusCode::OK, "{uri} with {token:?}: {body}");
}

async fn expect_forbidden(f: &Fixture, uri: &str, token: Option<&str>, says: &str) {
    let (s, _, body) = get_as(&f.app, uri, token).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{uri} with {token:?}: {body}");
    let v = json(&body);
    assert_eq!(v["error"], "forbidden", "{uri}");
    let message = v["message"].as_str().expect("message");
    assert!(message.contains(says), "{uri}: {message}");
}

async fn expect_unauthorized(f: &Fixture, uri: &str, token: Option<&str>) {
    let (s, challenge, body) = get_as(&f.app, uri, token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{uri} with {token:?}: {body}");
    let challenge = challenge.unwrap_or_else(|| panic!("{uri}: no WWW-Authenticate"));
    assert!(challenge.starts_with("Bearer"), "{uri}: {challenge}");
    assert_eq!(
        challenge.contains("invalid_token"),
        token.is_some(),
        "{uri}: {challenge}"
    );
    let v = json(&body);
    assert_eq!(v["error"], "unauthorized", "{uri}");
    assert!(v["message"].is_string(), "{uri}");
}

/// The role a caller holding `role` gets on each route.
async fn check_role(role: Role) {
    let f = app(true);
    for &(_, uri, access) in ROUTES {
        let t = Some(token(role));
        let allowed = match access {
            Open | AnyRole => true,
            NotPublic => role != Role::Public,
            ReviewerOnly => role == Role::Reviewer,
        };
        if allowed {
            expect_ok(&f, uri, t).await;
        } else if access == ReviewerOnly {
            expect_forbidden(&f, uri, t, "`reviewer` role").await;
        } else {
            expect_forbidden(&f, uri, t, "`public` role").await;
        }
    }
}

#[tokio::test]
async fn viewer_reads_aggregates_but_not_case_candidates() {
    check_role(Role::Viewer).await;
}

#[tokio::test]
async fn reviewer_reads_everything() {
    check_role(Role::Reviewer).await;
}

#[tokio::test]
async fn public_reads_only_the_suppressed_aggregates() {
    check_role(Role::Public).await;
}

#[tokio::test]
async fn without_a_token_or_with_a_wrong_one_every_api_route_is_401() {
    let f = app(true);
    let wrong = [
        "cst_not-configured",
        // The hash of a token is not a token.
        &sha256_hex(token(Role::Reviewer)),
        // Nor is a configured token with something added.
        &format!("{}x", token(Role::Viewer)),
    ];
    for &(_, uri, access) in ROUTES {
        if access == Open {
            expect_ok(&f, uri, None).await;
            expect_ok(&f, uri, Some("cst_not-configured")).await;
            continue;
        }
        expect_unauthorized(&f, uri, None).await;
        for w in &wrong {
            expect_unauthorized(&f, uri, Some(w)).await;
        }
    }
    // Unknown routes under /api/v1 do not answer anonymous callers either.
    expect_unauthorized(&f, "/api/v1/no-such-route", None).await;
    let (s, _, _) = get_as(&f.app, "/api/v1/no-such-route", Some(token(Role::Viewer))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = get_as(&f.app, "/no-such-route", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn with_no_tokens_configured_aggregates_are_served_and_case_candidates_are_disabled() {
    let f = app(false);
    for &(_, uri, access) in ROUTES {
        match access {
            ReviewerOnly => {
                expect_forbidden(&f, uri, None, "until access tokens are configured").await;
                // A token means nothing when none is configured.
                expect_forbidden(&f, uri, Some(token(Role::Reviewer)), "until access tokens").await;
            }
            _ => expect_ok(&f, uri, None).await,
        }
    }
}

#[tokio::test]
async fn the_session_pack_carries_case_candidates_for_reviewers_only() {
    let f = app(true);
    let uri = "/api/v1/session?zones=Z01";
    let (_, _, body) = get_as(&f.app, uri, Some(token(Role::Reviewer))).await;
    assert!(json(&body)["case_candidates"].is_object(), "{body}");
    let (_, _, body) = get_as(&f.app, uri, Some(token(Role::Viewer))).await;
    assert!(json(&body)["case_candidates"].is_null(), "{body}");
    let f = app(false);
    let (_, _, body) = get_as(&f.app, uri, None).await;
    assert!(json(&body)["case_candidates"].is_null(), "{body}");
}

#[tokio::test]
async fn the_route_table_and_this_test_list_the_same_routes() {
    let tested: BTreeSet<&str> = ROUTES.iter().map(|(t, _, _)| *t).collect();
    let table: BTreeSet<&str> = childstat_api::auth::ROUTES
        .iter()
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(tested, table, "add the route to both lists");
}
