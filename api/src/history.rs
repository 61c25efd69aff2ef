//! `GET /api/v1/zones/{zone}/indicators/{name}/history`

use crate::csv::{num, Csv};
use crate::error::ApiError;
use crate::params::Params;
use crate::routes::zone_filter;
use crate::state::AppState;
use crate::suppression::PARAM as SUPPRESS;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use childstat_core::{Indicator, IndicatorValue};
use serde::Serialize;
use std::collections::HashMap;

/// Longest range served: ten years of days.
pub const MAX_RANGE_DAYS: i64 = 3_653;
pub const MAX_POINTS: usize = 4_000;

#[derive(Serialize, utoipa::ToSchema)]
pub struct PointOut {
    pub bucket_start: String,
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
    /// Hidden by small-cell suppression (docs/access.md); present only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HistoryOut {
    pub zone: String,
    pub indicator: &'static str,
    pub step: &'static str,
    pub as_of: String,
    pub points: Vec<PointOut>,
}

/// One indicator per day, week or month bucket, following the history rules.
#[utoipa::path(get, path = "/api/v1/zones/{zone}/indicators/{name}/history", tag = "indicators",
    params(
        ("zone" = String, Path, description = "A zone code or `citywide`"),
        ("name" = String, Path, description = "An indicator name, e.g. contact_24h_rate"),
        ("from" = String, Query, description = "First local date, YYYY-MM-DD"),
        ("to" = String, Query, description = "Last local date, YYYY-MM-DD; at most 10 years after from"),
        ("step" = Option<String>, Query, description = "day (default), week or month; at most 4,000 points"),
        ("as_of" = Option<String>, Query, description = "RFC 3339 instant deadlines are judged at; default now"),
        ("format" = Option<String>, Query, description = "json (default) or csv"),
        ("suppress" = Option<bool>, Query, description = "Hide small cells (docs/access.md); always on for the public role"),
    ),
    responses(
        (status = 200, description = "The series", body = HistoryOut),
        (status = 400, description = "A bad parameter", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown zone or indicator", body = crate::error::ErrorBody),
    ))]
pub async fn history(
    State(st): State<AppState>,
    Path((zone, name)): Path<(String, String)>,
    caller: crate::auth::Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let zone_f = zone_filter(&st, &zone)?;
    let ind = Indicator::parse(&name).ok_or_else(|| {
        let shown: String = name.chars().take(40).collect();
        ApiError::NotFound(format!("unknown indicator `{shown}`"))
    })?;
    let p = Params::new(q, &["from", "to", "step", "as_of", "format", SUPPRESS])?;
    let suppress = crate::suppression::wanted(caller, &p)?;
    let csv = p.wants_csv()?;
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
    let st2 = st.clone();
    let hist = tokio::task::spawn_blocking(move || {
        if suppress {
            crate::suppression::history(&st2, zone_f.as_deref(), ind, from, to, step, as_of)
        } else {
            Ok(st2
                .pool
                .history(zone_f.as_deref(), ind, from, to, step, as_of)?)
        }
    })
    .await??;
    let out = HistoryOut {
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
                    suppressed,
                    ..
                } = h.value;
                PointOut {
                    bucket_start: h.bucket_start.format("%Y-%m-%d").to_string(),
                    value,
                    numerator,
                    denominator,
                    suppressed,
                }
            })
            .collect(),
    };
    if csv {
        return Ok(history_csv(&out, suppress));
    }
    Ok(Json(out).into_response())
}

/// With suppression on, a last `suppressed` column tells a hidden cell from an empty one.
fn history_csv(h: &HistoryOut, suppression: bool) -> Response {
    let mut head = vec![
        "zone",
        "indicator",
        "step",
        "bucket_start",
        "value",
        "numerator",
        "denominator",
        "as_of",
    ];
    if suppression {
        head.push("suppressed");
    }
    let mut out = Csv::new(&head);
    for p in &h.points {
        let mut cells = vec![
            h.zone.clone(),
            h.indicator.to_string(),
            h.step.to_string(),
            p.bucket_start.clone(),
            num(p.value),
            num(p.numerator),
            num(p.denominator),
            h.as_of.clone(),
        ];
        if suppression {
            cells.push(p.suppressed.to_string());
        }
        out.row(cells.iter().map(String::as_str));
    }
    out.into_response(&format!(
        "childstat-{}-{}-{}.csv",
        h.zone, h.indicator, h.step
    ))
}
