//! Tokens and roles, route by route: 401 without a token or with a wrong one, 403 where the
//! role may not read the route, 200 otherwise; and with no tokens configured, every route but
//! the case-level ones. Adding a route is one line in `common::routes::ROUTES`.

mod common;

use axum::http::StatusCode;
use childstat_api::auth::sha256_hex;
use childstat_config::Role;
use common::api::{get_as, Fixture};
use common::routes::{app, token, Access::*, ROUTES};
use std::collections::BTreeSet;

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
