//! Handlers. Each is thin: parse, run the query on a blocking thread, shape the JSON.

use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use childstat_core::{IndicatorValue, CITYWIDE};
use serde::Serialize;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ZoneOut {
    pub code: String,
    pub name: String,
    pub borough: String,
}

/// The configured zones (20 Child Protection zones and OSI), in display order.
#[utoipa::path(get, path = "/api/v1/zones", tag = "indicators",
    responses((status = 200, description = "Zones", body = Vec<ZoneOut>)))]
pub async fn zones(State(st): State<AppState>) -> Json<Vec<ZoneOut>> {
    Json(
        st.zones
            .iter()
            .map(|z| ZoneOut {
                code: z.code.clone(),
                name: z.name.clone(),
                borough: z.borough.clone(),
            })
            .collect(),
    )
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IndicatorsOut {
    pub zone: String,
    pub as_of: String,
    pub window: &'static str,
    #[schema(value_type = Vec<crate::session::ValueOut>)]
    pub indicators: Vec<IndicatorValue>,
}

/// `zone` is a configured code or `citywide`; anything else is a 404.
pub fn zone_filter(st: &AppState, zone: &str) -> Result<Option<String>, ApiError> {
    if zone == CITYWIDE {
        Ok(None)
    } else if st.zones.contains(zone) {
        Ok(Some(zone.to_string()))
    } else {
        let shown: String = zone.chars().take(40).collect();
        Err(ApiError::NotFound(format!(
            "unknown zone `{shown}`; see /api/v1/zones for the codes, or use `citywide`"
        )))
    }
}

/// Every indicator for one zone (or `citywide`): flows over the rolling window ending at
/// `as_of`, point-in-time ones at `as_of`.
#[utoipa::path(get, path = "/api/v1/zones/{zone}/indicators", tag = "indicators",
    params(
        ("zone" = String, Path, description = "A zone code or `citywide`"),
        ("window" = Option<String>, Query, description = "7d, 28d (default) or 91d"),
        ("as_of" = Option<String>, Query, description = "RFC 3339 instant; default now. In the past: as the data now stands"),
        ("suppress" = Option<bool>, Query, description = "Hide small cells (docs/access.md); always on for the public role"),
    ),
    responses(
        (status = 200, description = "Current values", body = IndicatorsOut),
        (status = 400, description = "A bad parameter", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown zone", body = crate::error::ErrorBody),
    ))]
pub async fn indicators(
    State(st): State<AppState>,
    Path(zone): Path<String>,
    caller: crate::auth::Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<IndicatorsOut>, ApiError> {
    let zone_f = zone_filter(&st, &zone)?;
    let p = Params::new(q, &["window", "as_of", crate::suppression::PARAM])?;
    let (window_name, window) = p.window()?;
    let as_of = p.as_of(st.now())?;
    let suppress = crate::suppression::wanted(caller, &p)?;
    let st2 = st.clone();
    let indicators = tokio::task::spawn_blocking(move || {
        if suppress {
            crate::suppression::current(&st2, zone_f.as_deref(), window, as_of)
        } else {
            Ok(st2.pool.current(zone_f.as_deref(), window, as_of)?)
        }
    })
    .await??;
    Ok(Json(IndicatorsOut {
        zone,
        as_of: as_of.to_rfc3339(),
        window: window_name,
        indicators,
    }))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(),
    )
}

/// Liveness: the process is serving.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive")))]
pub async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

/// Readiness: the broker answers and the writer is turning.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready"),
        (status = 503, description = "Not ready, with the reason"),
    ))]
pub async fn readyz(State(st): State<AppState>) -> impl IntoResponse {
    match st.health.readiness(st.now(), Duration::from_secs(30)) {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ready"}))),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                serde_json::json!({"status": "not_ready", "error": "unavailable", "message": why}),
            ),
        ),
    }
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; the API lives under /api/v1".into())
}
