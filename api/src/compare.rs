//! `GET /api/v1/compare?zones=Z01,Z07&window=28d`: chosen zones side by side with citywide,
//! each value with its rank among all zones.

use crate::csv::{num, Csv};
use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use childstat_core::indicator::Kind;
use childstat_core::rank::competition_ranks;
use childstat_core::{Better, Dur, Indicator, IndicatorValue, Ts, CITYWIDE};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// More than this many zones is no longer a comparison a room can read.
pub const MAX_COMPARE_ZONES: usize = 6;

#[derive(Serialize, utoipa::ToSchema)]
pub struct CompareOut {
    pub window: &'static str,
    pub as_of: String,
    /// The chosen zones in the order asked, then `citywide`.
    pub zones: Vec<String>,
    pub indicators: Vec<CompareRow>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CompareRow {
    pub indicator: &'static str,
    #[schema(value_type = String, example = "flow")]
    pub kind: Kind,
    /// Which direction is better practice; null for volumes, where rank 1 is the highest.
    #[schema(value_type = Option<String>, example = "higher")]
    pub better: Option<Better>,
    pub values: BTreeMap<String, RankedValue>,
}

#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct RankedValue {
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
    /// 1 = best among all zones (OSI included); null for citywide and for null values.
    pub rank: Option<u32>,
    /// How many zones have a value to rank.
    pub of: u32,
    /// Present and true when small-cell suppression hid the figures.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
}

/// Parses `zones=Z01,Z07`: configured codes, no repeats; `citywide` is always included.
pub fn zone_list(st: &AppState, p: &Params) -> Result<Vec<String>, ApiError> {
    let raw = p
        .get("zones")
        .ok_or_else(|| ApiError::bad("zones", "zones is required, e.g. zones=Z01,Z07"))?;
    let mut out: Vec<String> = Vec::new();
    for code in raw
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty() && *c != CITYWIDE)
    {
        if !st.zones.contains(code) {
            let shown: String = code.chars().take(40).collect();
            return Err(ApiError::bad(
                "zones",
                format!("unknown zone `{shown}`; see /api/v1/zones for the codes"),
            ));
        }
        if out.iter().any(|c| c == code) {
            return Err(ApiError::bad(
                "zones",
                format!("zone `{code}` is listed twice"),
            ));
        }
        out.push(code.to_string());
    }
    if out.is_empty() || out.len() > MAX_COMPARE_ZONES {
        return Err(ApiError::bad(
            "zones",
            format!("zones must list 1 to {MAX_COMPARE_ZONES} zone codes, e.g. zones=Z01,Z07"),
        ));
    }
    Ok(out)
}

/// Current values for every configured zone and citywide (last).
pub fn all_zones(
    st: &AppState,
    window: Dur,
    as_of: Ts,
) -> Result<Vec<(String, Vec<IndicatorValue>)>, ApiError> {
    let mut out = Vec::with_capacity(st.zones.len() + 1);
    for z in st.zones.iter() {
        out.push((
            z.code.clone(),
            st.pool.current(Some(&z.code), window, as_of)?,
        ));
    }
    out.push((CITYWIDE.to_string(), st.pool.current(None, window, as_of)?));
    Ok(out)
}

/// The comparison table for `chosen` (plus citywide) out of `all`, ranked over the zones.
pub fn compare_rows(all: &[(String, Vec<IndicatorValue>)], chosen: &[String]) -> Vec<CompareRow> {
    let zone_rows: Vec<&(String, Vec<IndicatorValue>)> =
        all.iter().filter(|(z, _)| z != CITYWIDE).collect();
    Indicator::ALL
        .iter()
        .map(|&ind| {
            let find =
                |vals: &[IndicatorValue]| vals.iter().find(|v| v.name == ind.name()).cloned();
            let zone_vals: Vec<Option<f64>> = zone_rows
                .iter()
                .map(|(_, vals)| find(vals).and_then(|v| v.value))
                .collect();
            let ranks = competition_ranks(&zone_vals, ind.better());
            let of = zone_vals.iter().flatten().count() as u32;
            let mut values = BTreeMap::new();
            for code in chosen.iter().map(String::as_str).chain([CITYWIDE]) {
                let Some((_, vals)) = all.iter().find(|(z, _)| z == code) else {
                    continue;
                };
                let v = find(vals);
                let rank = zone_rows
                    .iter()
                    .position(|(z, _)| z == code)
                    .and_then(|i| ranks[i]);
                values.insert(
                    code.to_string(),
                    RankedValue {
                        value: v.as_ref().and_then(|v| v.value),
                        numerator: v.as_ref().and_then(|v| v.numerator),
                        denominator: v.as_ref().and_then(|v| v.denominator),
                        rank,
                        of,
                        suppressed: v.as_ref().is_some_and(|v| v.suppressed),
                    },
                );
            }
            CompareRow {
                indicator: ind.name(),
                kind: ind.kind(),
                better: ind.better(),
                values,
            }
        })
        .collect()
}

/// Chosen zones against citywide, with ranks; `format=csv` for a spreadsheet.
#[utoipa::path(
    get,
    path = "/api/v1/compare",
    tag = "indicators",
    params(
        ("zones" = String, Query, description = "1 to 6 zone codes, comma-separated, e.g. Z01,Z07"),
        ("window" = Option<String>, Query, description = "7d, 28d (default) or 91d"),
        ("as_of" = Option<String>, Query, description = "RFC 3339 instant; default now"),
        ("format" = Option<String>, Query, description = "json (default) or csv"),
        ("suppress" = Option<bool>, Query, description = "Small-cell suppression; always on for the public role"),
    ),
    responses(
        (status = 200, description = "The comparison", body = CompareOut),
        (status = 400, description = "A bad parameter", body = crate::error::ErrorBody),
    )
)]
pub async fn compare(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let p = Params::new(
        q,
        &[
            "zones",
            "window",
            "as_of",
            "format",
            crate::suppression::PARAM,
        ],
    )?;
    let suppress = crate::suppression::wanted(caller, &p)?;
    let chosen = zone_list(&st, &p)?;
    let (window_name, window) = p.window()?;
    let as_of = p.as_of(st.now())?;
    let csv = p.wants_csv()?;
    let st2 = st.clone();
    let chosen2 = chosen.clone();
    let rows = tokio::task::spawn_blocking(move || {
        let mut all = all_zones(&st2, window, as_of)?;
        // Before ranking, so a hidden value can be neither shown nor ranked.
        if suppress {
            childstat_core::suppress::suppress_table(&mut all);
        }
        Ok::<_, ApiError>(compare_rows(&all, &chosen2))
    })
    .await??;
    let mut zones = chosen;
    zones.push(CITYWIDE.to_string());
    if csv {
        let mut header = vec![
            "indicator",
            "zone",
            "window",
            "as_of",
            "value",
            "numerator",
            "denominator",
            "rank",
            "of",
        ];
        // With suppression, a last column tells a hidden cell from a null rate.
        if suppress {
            header.push("suppressed");
        }
        let mut out = Csv::new(&header);
        let as_of_s = as_of.to_rfc3339();
        for r in &rows {
            for z in &zones {
                if let Some(v) = r.values.get(z) {
                    let mut cells = vec![
                        r.indicator.to_string(),
                        z.clone(),
                        window_name.to_string(),
                        as_of_s.clone(),
                        num(v.value),
                        num(v.numerator),
                        num(v.denominator),
                        num(v.rank),
                        v.of.to_string(),
                    ];
                    if suppress {
                        cells.push(v.suppressed.to_string());
                    }
                    out.row(cells.iter().map(String::as_str));
                }
            }
        }
        return Ok(out.into_response(&format!("childstat-compare-{window_name}.csv")));
    }
    Ok(Json(CompareOut {
        window: window_name,
        as_of: as_of.to_rfc3339(),
        zones,
        indicators: rows,
    })
    .into_response())
}
