//! `GET /api/v1/zones/{zone}/indicators/{name}/history`

use crate::error::ApiError;
use crate::params::Params;
use crate::routes::zone_filter;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use childstat_core::{Indicator, IndicatorValue};
use serde::Serialize;
use std::collections::HashMap;

/// Longest range served: ten years of days.
pub const MAX_RANGE_DAYS: i64 = 3_653;
pub const MAX_POINTS: usize = 4_000;

#[derive(Serialize)]
pub struct PointOut {
    pub bucket_start: String,
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
}

#[derive(Serialize)]
pub struct HistoryOut {
    pub zone: String,
    pub indicator: &'static str,
    pub step: &'static str,
    pub as_of: String,
    pub points: Vec<PointOut>,
}

pub async fn history(
    State(st): State<AppState>,
    Path((zone, name)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<HistoryOut>, ApiError> {
    let zone_f = zone_filter(&st, &zone)?;
    let ind = Indicator::parse(&name).ok_or_else(|| {
        let shown: String = name.chars().take(40).collect();
        ApiError::NotFound(format!("unknown indicator `{shown}`"))
    })?;
    let p = Params::new(q, &["from", "to", "step", "as_of"])?;
    let (from, to) = (p.date("from")?, p.date("to")?);
    if from > to {
        return Err(ApiError::bad("to", "to must not be before from"));
    }
    if (to - from).num_days() > MAX_RANGE_DAYS {
        return Err(ApiError::bad(
            "to",
            "the range from..to must not exceed 10 years",
        ));
    }
    let step = p.step()?;
    let as_of = p.as_of(st.now())?;
    let cal = st.pool.settings().calendar;
    let points = cal.buckets(from, to, step).len();
    if points > MAX_POINTS {
        return Err(ApiError::bad(
            "step",
            format!("{points} points requested; at most {MAX_POINTS}: use a coarser step or a shorter range"),
        ));
    }
    let pool = st.pool.clone();
    let hist = tokio::task::spawn_blocking(move || {
        pool.history(zone_f.as_deref(), ind, from, to, step, as_of)
    })
    .await??;
    Ok(Json(HistoryOut {
        zone,
        indicator: ind.name(),
        step: step.as_str(),
        as_of: as_of.to_rfc3339(),
        points: hist
            .into_iter()
            .map(|h| {
                let IndicatorValue {
                    value,
                    numerator,
                    denominator,
                    ..
                } = h.value;
                PointOut {
                    bucket_start: h.bucket_start.format("%Y-%m-%d").to_string(),
                    value,
                    numerator,
                    denominator,
                }
            })
            .collect(),
    }))
}
