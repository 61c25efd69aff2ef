//! Weekly snapshots: list, read, export.

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

#[derive(Serialize)]
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

#[derive(Serialize)]
pub struct SnapshotOut {
    #[serde(flatten)]
    pub head: SnapshotHead,
    pub values: Vec<SnapshotValue>,
}

fn week(s: &str) -> Result<IsoWeek, ApiError> {
    IsoWeek::parse(s)
        .ok_or_else(|| ApiError::bad("iso_week", "the week must be an ISO week like 2026-W47"))
}

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

pub async fn one(
    State(st): State<AppState>,
    Path(iso_week): Path<String>,
) -> Result<Json<SnapshotOut>, ApiError> {
    let (head, values) = load(&st, week(&iso_week)?).await?;
    Ok(Json(SnapshotOut {
        head: head.into(),
        values,
    }))
}

pub async fn export(
    State(st): State<AppState>,
    Path(iso_week): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let w = week(&iso_week)?;
    let p = Params::new(q, &["format"])?;
    let format = p.get("format").unwrap_or("csv");
    let (_, values) = load(&st, w).await?;
    match format {
        "csv" => {
            let mut out =
                String::from("iso_week,zone,window,indicator,value,numerator,denominator\n");
            let num = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
            for v in &values {
                out.push_str(&format!(
                    "{w},{},{},{},{},{},{}\n",
                    v.zone,
                    v.window,
                    v.indicator,
                    v.value.map(|x| x.to_string()).unwrap_or_default(),
                    num(v.numerator),
                    num(v.denominator)
                ));
            }
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"childstat-{w}.csv\""),
                    ),
                ],
                out,
            )
                .into_response())
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
