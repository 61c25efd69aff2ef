//! Cross-cutting request handling: a deadline per request, panics caught, and every error
//! response in the API's JSON shape, whoever produced it (axum's own rejections, a 405, a
//! timeout), so clients parse one format and nothing falls through as plain text.

use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use serde_json::json;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

/// Longest error text from a rejection that is passed on to the caller.
const MAX_MESSAGE: usize = 300;

/// Stops waiting for a request after `limit` with a JSON 503, and turns a panic in a handler
/// into a logged JSON 500 instead of a dropped connection.
pub async fn deadline(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let run = AssertUnwindSafe(next.run(req)).catch_unwind();
    match tokio::time::timeout(limit, run).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(_panic)) => {
            ApiError::Internal(format!("a handler panicked serving {route}")).into_response()
        }
        Err(_) => {
            tracing::warn!(%route, limit_s = limit.as_secs_f64(), "request timed out");
            ApiError::Unavailable(format!(
                "the request took longer than {} s and was abandoned; ask for a shorter range or a coarser step",
                limit.as_secs_f64()
            ))
            .into_response()
        }
    }
}

fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "request_error",
    }
}

fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Rewrites any error response that is not already JSON into `{error, message}`.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&resp) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if status.is_server_error() {
        // Whatever a lower layer said about a 5xx stays in the log.
        tracing::error!(status = status.as_u16(), "non-JSON server error rewritten");
        "internal error; see the server log".to_string()
    } else if text.is_empty() {
        match status {
            StatusCode::METHOD_NOT_ALLOWED => {
                "this route only answers GET; see /api/v1/docs".to_string()
            }
            s => s.canonical_reason().unwrap_or("request error").to_string(),
        }
    } else {
        text.chars().take(MAX_MESSAGE).collect()
    };
    let body = json!({"error": code_for(status), "message": message}).to_string();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    fn app() -> Router {
        Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "done"
                }),
            )
            .route(
                "/panics",
                get(|| async {
                    let v: Vec<u8> = Vec::new();
                    // An out-of-bounds index, as a handler bug would.
                    format!("{}", v[usize::from(v.is_empty())])
                }),
            )
            .route(
                "/plain",
                get(|| async { (StatusCode::BAD_REQUEST, "nope") }),
            )
            .layer(axum::middleware::from_fn_with_state(
                Duration::from_millis(50),
                deadline,
            ))
            .layer(axum::middleware::from_fn(json_errors))
    }

    async fn call(uri: &str, method: &str) -> (StatusCode, serde_json::Value) {
        let resp = app()
            .oneshot(
                Request::builder()
                    .method(method)
                    .uri(uri)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .expect("body");
        (status, serde_json::from_slice(&body).expect("JSON body"))
    }

    #[tokio::test]
    async fn a_slow_request_gets_a_json_503() {
        let (s, v) = call("/slow", "GET").await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(v["error"], "unavailable");
        assert!(v["message"].as_str().expect("message").contains("0.05 s"));
    }

    #[tokio::test]
    async fn a_panic_gets_a_json_500_without_details() {
        let (s, v) = call("/panics", "GET").await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(v["error"], "internal");
        assert!(!v["message"].as_str().expect("message").contains("index"));
    }

    #[tokio::test]
    async fn plain_text_and_empty_errors_become_json() {
        let (s, v) = call("/plain", "GET").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(v, json!({"error": "bad_request", "message": "nope"}));
        let (s, v) = call("/plain", "POST").await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(v["error"], "method_not_allowed");
    }
}
