//! The router served on a real TCP socket by `childstat_api::serve`, read with an HTTP
//! client: every route answers with the content type its clients expect, and the errors a
//! client meets first (no token, no such route, wrong method, undecodable path) are JSON.

mod common;

use childstat_config::Role;
use common::routes::{app, token, ROUTES};
use reqwest::{Client, Method, StatusCode};
use std::time::Duration;

/// A running server and the base URL it answers on; stops when `stop` is called.
struct Server {
    base: String,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(app: axum::Router) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(childstat_api::serve(listener, app, async move {
            let _ = rx.await;
        }));
        Server {
            base,
            shutdown,
            task,
        }
    }

    /// Asks for a graceful shutdown and checks the server drained and exited cleanly.
    async fn stop(self) {
        let _ = self.shutdown.send(());
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("server stops within 5 s")
            .expect("server task")
            .expect("server exits cleanly");
    }
}

/// What a client of `uri` expects in `Content-Type`.
fn expected_type(uri: &str) -> &'static str {
    let path = uri.split('?').next().unwrap_or(uri);
    match path {
        "/" | "/api/v1/docs" => "text/html",
        "/metrics" => "text/plain",
        p if p.ends_with(".css") => "text/css",
        p if p.ends_with(".js") => "text/javascript",
        p if p.ends_with("/export") => "text/csv",
        _ => "application/json",
    }
}

async fn send(
    client: &Client,
    method: Method,
    url: &str,
    token: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let mut req = client.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.text().await.expect("body");
    (status, headers, body)
}

fn content_type(headers: &reqwest::header::HeaderMap) -> &str {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The body is a JSON error `{error, message}`, with `error` equal to `code` when given.
fn assert_json_error(
    what: &str,
    headers: &reqwest::header::HeaderMap,
    body: &str,
    code: Option<&str>,
) {
    let ctype = content_type(headers);
    assert!(ctype.starts_with("application/json"), "{what}: {ctype}");
    let v: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {body}"));
    let error = v["error"].as_str().unwrap_or_default();
    assert!(!error.is_empty(), "{what}: {body}");
    if let Some(code) = code {
        assert_eq!(error, code, "{what}: {body}");
    }
    assert!(
        v["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {body}"
    );
}

#[tokio::test]
async fn every_route_answers_over_a_real_socket_with_its_content_type() {
    let f = app(true);
    let server = Server::start(f.app.clone()).await;
    let client = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let reviewer = Some(token(Role::Reviewer));
    for &(_, uri, _) in ROUTES {
        let url = format!("{}{uri}", server.base);
        let (s, headers, body) = send(&client, Method::GET, &url, reviewer).await;
        assert_eq!(s, StatusCode::OK, "{uri}: {body}");
        let ctype = content_type(&headers);
        assert!(
            ctype.starts_with(expected_type(uri)),
            "{uri}: content type `{ctype}`, expected {}",
            expected_type(uri)
        );
        assert!(!body.is_empty(), "{uri}: empty body");
        if expected_type(uri) == "application/json" {
            serde_json::from_str::<serde_json::Value>(&body)
                .unwrap_or_else(|e| panic!("{uri}: not JSON ({e})"));
        }
    }
    drop(client);
    server.stop().await;
}

#[tokio::test]
async fn errors_over_a_real_socket_are_json() {
    let f = app(true);
    let server = Server::start(f.app.clone()).await;
    let client = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let url = |p: &str| format!("{}{p}", server.base);
    let viewer = Some(token(Role::Viewer));

    let (s, headers, body) = send(&client, Method::GET, &url("/api/v1/zones"), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    let challenge = headers
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert_json_error("no token", &headers, &body, Some("unauthorized"));

    for (path, token) in [("/api/v1/no-such-route", viewer), ("/no-such-route", None)] {
        let (s, headers, body) = send(&client, Method::GET, &url(path), token).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_json_error(path, &headers, &body, Some("not_found"));
    }

    let (s, headers, body) = send(&client, Method::POST, &url("/api/v1/zones"), viewer).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_json_error(
        "POST /api/v1/zones",
        &headers,
        &body,
        Some("method_not_allowed"),
    );
    let allow = headers
        .get(reqwest::header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(allow.contains("GET"), "Allow: `{allow}`");

    // %FF decodes to a byte that is not UTF-8: the path cannot be read, and says so in JSON.
    let path = "/api/v1/zones/%FF/indicators";
    let (s, headers, body) = send(&client, Method::GET, &url(path), viewer).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {body}");
    assert_json_error(path, &headers, &body, Some("bad_request"));

    drop(client);
    server.stop().await;
}
