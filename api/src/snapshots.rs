//! Weekly snapshots: list, read, export.

use crate::csv::{num, Csv};
use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use childstat_aggregator::{IsoWeek, SnapshotInfo, SnapshotValue};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Serialize, utoipa::ToSchema)]
pub struct SnapshotHead {
    pub iso_week: String,
    pub as_of: String,
    pub taken_at: String,
    pub forced: bool,
    pub took_ms: i64,
}

impl From<SnapshotInfo> for SnapshotHead {
    fn from(s: SnapshotInfo) -> Self {
        SnapshotHead {
            iso_week: s.iso_week,
            as_of: s.as_of.to_rfc3339(),
            taken_at: s.taken_at.to_rfc3339(),
            forced: s.forced,
            took_ms: s.took_ms,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SnapshotOut {
    #[serde(flatten)]
    pub head: SnapshotHead,
    pub values: Vec<crate::suppression::SnapshotValueOut>,
}

fn week(s: &str) -> Result<IsoWeek, ApiError> {
    IsoWeek::parse(s)
        .ok_or_else(|| ApiError::bad("iso_week", "the week must be an ISO week like 2026-W47"))
}

/// The weekly snapshots taken, oldest first.
#[utoipa::path(get, path = "/api/v1/snapshots", tag = "snapshots",
    responses((status = 200, description = "Snapshots", body = Vec<SnapshotHead>)))]
pub async fn list(State(st): State<AppState>) -> Result<Json<Vec<SnapshotHead>>, ApiError> {
    let pool = st.pool.clone();
    let all = tokio::task::spawn_blocking(move || pool.snapshots()).await??;
    Ok(Json(all.into_iter().map(SnapshotHead::from).collect()))
}

async fn load(st: &AppState, w: IsoWeek) -> Result<(SnapshotInfo, Vec<SnapshotValue>), ApiError> {
    let pool = st.pool.clone();
    let name = w.to_string();
    tokio::task::spawn_blocking(move || pool.snapshot(&name))
        .await??
        .ok_or_else(|| ApiError::NotFound(format!("no snapshot for {w}; see /api/v1/snapshots")))
}

/// One week's frozen values: every indicator, zone and window.
#[utoipa::path(get, path = "/api/v1/snapshots/{iso_week}", tag = "snapshots",
    params(
        ("iso_week" = String, Path, description = "e.g. 2026-W47"),
        ("suppress" = Option<bool>, Query, description = "Hide small cells (docs/access.md); always on for the public role"),
    ),
    responses(
        (status = 200, description = "The snapshot", body = SnapshotOut),
        (status = 400, description = "Not an ISO week", body = crate::error::ErrorBody),
        (status = 404, description = "No snapshot for the week", body = crate::error::ErrorBody),
    ))]
pub async fn one(
    State(st): State<AppState>,
    Path(iso_week): Path<String>,
    caller: crate::auth::Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<SnapshotOut>, ApiError> {
    let p = Params::new(q, &[crate::suppression::PARAM])?;
    let suppress = crate::suppression::wanted(caller, &p)?;
    let (head, values) = load(&st, week(&iso_week)?).await?;
    Ok(Json(SnapshotOut {
        head: head.into(),
        values: crate::suppression::snapshot_values(&st.zones, values, suppress),
    }))
}

/// One week's snapshot as a file.
#[utoipa::path(get, path = "/api/v1/snapshots/{iso_week}/export", tag = "snapshots",
    params(
        ("iso_week" = String, Path, description = "e.g. 2026-W47"),
        ("format" = Option<String>, Query, description = "csv (default) or parquet; csv only when suppressed"),
        ("suppress" = Option<bool>, Query, description = "Hide small cells (docs/access.md); always on for the public role"),
    ),
    responses(
        (status = 200, description = "CSV or Parquet", content_type = "text/csv"),
        (status = 400, description = "A bad parameter", body = crate::error::ErrorBody),
        (status = 404, description = "No snapshot for the week", body = crate::error::ErrorBody),
    ))]
pub async fn export(
    State(st): State<AppState>,
    Path(iso_week): Path<String>,
    caller: crate::auth::Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let w = week(&iso_week)?;
    let p = Params::new(q, &["format", crate::suppression::PARAM])?;
    let format = p.get("format").unwrap_or("csv");
    let suppress = crate::suppression::wanted(caller, &p)?;
    if suppress && format == "parquet" {
        // The Parquet file is written by DuckDB straight from the stored rows.
        return Err(ApiError::bad(
            "format",
            "suppressed snapshots are exported as csv only; use format=csv",
        ));
    }
    let (_, values) = load(&st, w).await?;
    match format {
        "csv" => {
            let values = crate::suppression::snapshot_values(&st.zones, values, suppress);
            // With suppression, a last column tells a hidden cell from an empty one.
            let mut header = vec![
                "iso_week",
                "zone",
                "window",
                "indicator",
                "value",
                "numerator",
                "denominator",
            ];
            if suppress {
                header.push("suppressed");
            }
            let mut out = Csv::new(&header);
            let week_s = w.to_string();
            for v in &values {
                let mut cells = vec![
                    week_s.clone(),
                    v.zone.clone(),
                    v.window.clone(),
                    v.indicator.clone(),
                    num(v.value),
                    num(v.numerator),
                    num(v.denominator),
                ];
                if suppress {
                    cells.push(v.suppressed.to_string());
                }
                out.row(cells.iter().map(String::as_str));
            }
            Ok(out.into_response(&format!("childstat-{w}.csv")))
        }
        "parquet" => {
            let pool = st.pool.clone();
            let name = w.to_string();
            let bytes = tokio::task::spawn_blocking(move || pool.snapshot_parquet(&name)).await??;
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.apache.parquet".to_string(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"childstat-{w}.parquet\""),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        _ => Err(ApiError::bad("format", "format must be csv or parquet")),
    }
}
