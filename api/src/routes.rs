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

#[derive(Serialize)]
pub struct ZoneOut {
    pub code: String,
    pub name: String,
    pub borough: String,
}

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

#[derive(Serialize)]
pub struct IndicatorsOut {
    pub zone: String,
    pub as_of: String,
    pub window: &'static str,
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

pub async fn indicators(
    State(st): State<AppState>,
    Path(zone): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<IndicatorsOut>, ApiError> {
    let zone_f = zone_filter(&st, &zone)?;
    let p = Params::new(q, &["window", "as_of"])?;
    let (window_name, window) = p.window()?;
    let as_of = p.as_of(st.now())?;
    let pool = st.pool.clone();
    let indicators =
        tokio::task::spawn_blocking(move || pool.current(zone_f.as_deref(), window, as_of))
            .await??;
    Ok(Json(IndicatorsOut {
        zone,
        as_of: as_of.to_rfc3339(),
        window: window_name,
        indicators,
    }))
}

pub async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(),
    )
}

pub async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

pub async fn readyz(State(st): State<AppState>) -> impl IntoResponse {
    match st.health.readiness(st.now(), Duration::from_secs(30)) {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ready"}))),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "not_ready", "message": why})),
        ),
    }
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; the API lives under /api/v1".into())
}
