//! The HTTP API: current indicators, zones, health and Prometheus metrics.

pub mod alerts;
pub mod auth;
pub mod cache;
pub mod candidates;
pub mod compare;
pub mod csv;
pub mod dashboard;
pub mod error;
pub mod history;
pub mod layers;
pub mod openapi;
pub mod params;
pub mod routes;
pub mod session;
pub mod session_extras;
pub mod snapshots;
pub mod state;
pub mod status;
pub mod suppression;

pub use error::ApiError;
pub use state::{AppParts, AppState, Health};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use std::future::Future;
use std::time::{Duration, Instant};

pub fn router(state: AppState, request_timeout: Duration) -> Router {
    Router::new()
        .route("/api/v1/zones", get(routes::zones))
        .route("/api/v1/zones/{zone}/indicators", get(routes::indicators))
        .route(
            "/api/v1/zones/{zone}/indicators/{name}/history",
            get(history::history),
        )
        .route(
            "/api/v1/zones/{zone}/case-candidates",
            get(candidates::case_candidates),
        )
        .route("/api/v1/compare", get(compare::compare))
        .route("/api/v1/session", get(session::session))
        .route("/api/v1/status", get(status::status))
        .route("/api/v1/openapi.json", get(openapi::openapi_json))
        .route("/api/v1/docs", get(openapi::docs_page))
        .route("/api/v1/docs/init.js", get(openapi::docs_init))
        .route(
            "/api/v1/docs/swagger-ui-bundle.js",
            get(openapi::docs_bundle),
        )
        .route("/api/v1/docs/swagger-ui.css", get(openapi::docs_css))
        .route("/api/v1/alerts", get(alerts::alerts))
        .route("/api/v1/snapshots", get(snapshots::list))
        .route("/api/v1/snapshots/{iso_week}", get(snapshots::one))
        .route(
            "/api/v1/snapshots/{iso_week}/export",
            get(snapshots::export),
        )
        .route("/", get(dashboard::index))
        .route("/assets/{file}", get(dashboard::asset))
        .route("/metrics", get(routes::metrics))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .fallback(routes::not_found)
        // Inside `auth`, so the caller's role is part of every cached answer's key.
        .layer(middleware::from_fn_with_state(
            (
                state.clone(),
                std::sync::Arc::new(cache::ResponseCache::new(state.config.http.response_cache)),
            ),
            cache::layer,
        ))
        // Tokens and roles, by the route table in auth.rs; inside `track`, so refusals count.
        .layer(middleware::from_fn_with_state(
            std::sync::Arc::new(auth::Keys::new(&state.config.access)),
            auth::require,
        ))
        // Inside the metrics layer, so a timed-out or panicked request is still counted.
        .layer(middleware::from_fn_with_state(
            request_timeout,
            crate::layers::deadline,
        ))
        .layer(middleware::from_fn(crate::layers::json_errors))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// Counts every request by its route template (never the raw path, which could carry ids).
async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| route_label(p.as_str()))
        .unwrap_or_else(|| "unmatched".to_string());
    let started = Instant::now();
    let resp = next.run(req).await;
    st.metrics
        .http_requests
        .with_label_values(&[&route, resp.status().as_str()])
        .inc();
    st.metrics
        .http_request_seconds
        .with_label_values(&[&route])
        .observe(started.elapsed().as_secs_f64());
    resp
}

/// `/zones/{zone}/x` → `/zones/:zone/x`: braces in label values trip up simple parsers and
/// PromQL regexes; the colon form is the common convention.
fn route_label(template: &str) -> String {
    template.replace('{', ":").replace('}', "")
}

/// Serves until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
