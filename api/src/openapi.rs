//! The OpenAPI 3.1 document, generated from the handlers' annotations, and a browsable
//! Swagger UI served from embedded files (no CDN, works offline).

use crate::{alerts, candidates, compare, history, routes, session, snapshots, status};
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "childstat",
        description = "ChildStat indicators per Child Protection zone, OSI and citywide: current \
values, history, weekly snapshots and session packs, alerts, case candidates and pipeline status. \
Errors are JSON `{error, message}`. With tokens configured, /api/v1 routes need \
`Authorization: Bearer <token>`; see docs/access.md."
    ),
    paths(
        routes::zones,
        routes::indicators,
        history::history,
        compare::compare,
        session::session,
        candidates::case_candidates,
        snapshots::list,
        snapshots::one,
        snapshots::export,
        alerts::alerts,
        status::status,
        routes::metrics,
        routes::healthz,
        routes::readyz,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "indicators", description = "Current values, history and comparisons"),
        (name = "review", description = "The weekly ChildStat session"),
        (name = "snapshots", description = "Frozen weekly values"),
        (name = "alerts", description = "Compliance thresholds"),
        (name = "pipeline", description = "Ingest and storage health"),
        (name = "operations", description = "Probes and Prometheus"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // Every /api/v1 route takes the token once tokens are configured (docs/access.md).
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

pub async fn openapi_json() -> impl IntoResponse {
    Json(document())
}

const DOCS_HTML: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>childstat API</title>
<link rel="stylesheet" href="/api/v1/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/v1/docs/swagger-ui-bundle.js"></script>
<script src="/api/v1/docs/init.js"></script>
</body>
</html>
"#;

const INIT_JS: &str = r##"window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
  validatorUrl: null
});
"##;

const BUNDLE_JS: &str = include_str!("../vendor/swagger-ui/swagger-ui-bundle.js");
const BUNDLE_CSS: &str = include_str!("../vendor/swagger-ui/swagger-ui.css");

/// Long-lived caching is safe: the files change only with the binary.
const CACHE: &str = "public, max-age=86400";

/// Only this origin's files; Swagger UI needs inline styles.
const DOCS_CSP: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

pub async fn docs_page() -> impl IntoResponse {
    (
        [(header::CONTENT_SECURITY_POLICY, DOCS_CSP)],
        Html(DOCS_HTML),
    )
}

pub async fn docs_init() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        INIT_JS,
    )
}

pub async fn docs_bundle() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        BUNDLE_JS,
    )
}

pub async fn docs_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        BUNDLE_CSS,
    )
}
