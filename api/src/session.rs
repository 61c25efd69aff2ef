//! `GET /api/v1/session?zones=Z01,Z07&week=2026-W47`: the weekly ChildStat session pack.
//!
//! For each chosen zone and citywide: the week's frozen snapshot, 12-week trends of every
//! indicator (as the data now stands), the alert thresholds the snapshot breaches, and, for
//! the reviewer role, the case candidates.

use crate::compare::zone_list;
use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::Json;
use childstat_aggregator::{IsoWeek, SnapshotValue};
use childstat_core::{Indicator, Step, Ts, CITYWIDE};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Weeks of trend in the pack, the chosen week included.
pub const TREND_WEEKS: u64 = 12;

#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct ValueOut {
    pub name: String,
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
    /// Present and true when small-cell suppression hid the figures.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SnapshotPart {
    pub taken_at: String,
    pub as_of: String,
    /// zone → window → values.
    pub values: BTreeMap<String, BTreeMap<String, Vec<ValueOut>>>,
}

#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct TrendPoint {
    pub week: String,
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionOut {
    pub week: String,
    /// The chosen zones, then citywide.
    pub zones: Vec<String>,
    pub snapshot: SnapshotPart,
    /// zone → indicator → the 12 ISO weeks ending with `week`, oldest first.
    pub trends: BTreeMap<String, BTreeMap<String, Vec<TrendPoint>>>,
    pub breaches: Vec<crate::session_extras::BreachOut>,
    /// zone → candidates; present for the reviewer role only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_candidates: Option<BTreeMap<String, crate::candidates::CandidatesOut>>,
    /// Why case candidates are absent, when they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_candidates_note: Option<String>,
}

fn snapshot_part(
    values: &[SnapshotValue],
    zones: &[String],
) -> BTreeMap<String, BTreeMap<String, Vec<ValueOut>>> {
    let mut out: BTreeMap<String, BTreeMap<String, Vec<ValueOut>>> = BTreeMap::new();
    for v in values.iter().filter(|v| zones.contains(&v.zone)) {
        out.entry(v.zone.clone())
            .or_default()
            .entry(v.window.clone())
            .or_default()
            .push(ValueOut {
                name: v.indicator.clone(),
                value: v.value,
                numerator: v.numerator,
                denominator: v.denominator,
                suppressed: false,
            });
    }
    out
}

fn trends(
    st: &AppState,
    zones: &[String],
    week: IsoWeek,
    now: Ts,
) -> Result<BTreeMap<String, BTreeMap<String, Vec<TrendPoint>>>, ApiError> {
    let to = week.monday();
    let from = to - chrono::Days::new(7 * (TREND_WEEKS - 1));
    let mut out = BTreeMap::new();
    for z in zones {
        let filter = (z != CITYWIDE).then_some(z.as_str());
        let mut per = BTreeMap::new();
        for &ind in Indicator::ALL {
            let points = st
                .pool
                .history(filter, ind, from, to, Step::Week, now)?
                .into_iter()
                .map(|h| TrendPoint {
                    week: IsoWeek::of(h.bucket_start).to_string(),
                    value: h.value.value,
                    numerator: h.value.numerator,
                    denominator: h.value.denominator,
                })
                .collect();
            per.insert(ind.name().to_string(), points);
        }
        out.insert(z.clone(), per);
    }
    Ok(out)
}

/// The weekly session pack.
#[utoipa::path(
    get,
    path = "/api/v1/session",
    tag = "review",
    params(
        ("zones" = String, Query, description = "The session's zones, e.g. Z01,Z07"),
        ("week" = Option<String>, Query, description = "ISO week with a snapshot; default the newest snapshot"),
    ),
    responses(
        (status = 200, description = "The session pack", body = SessionOut),
        (status = 400, description = "A bad parameter", body = crate::error::ErrorBody),
        (status = 404, description = "No snapshot for the week", body = crate::error::ErrorBody),
    )
)]
pub async fn session(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<SessionOut>, ApiError> {
    let p = Params::new(q, &["zones", "week"])?;
    let mut zones = zone_list(&st, &p)?;
    zones.push(CITYWIDE.to_string());
    let week = match p.get("week") {
        Some(s) => Some(
            IsoWeek::parse(s)
                .ok_or_else(|| ApiError::bad("week", "week must be an ISO week like 2026-W47"))?,
        ),
        None => None,
    };
    let now = st.now();
    let st2 = st.clone();
    let zones2 = zones.clone();
    tokio::task::spawn_blocking(move || {
        let (st, zones) = (st2, zones2);
        let name = match week {
            Some(w) => w.to_string(),
            None => st
                .pool
                .snapshots()?
                .last()
                .map(|s| s.iso_week.clone())
                .ok_or_else(|| {
                    ApiError::NotFound(
                        "no snapshots yet; one is taken at the end of each ISO week, or by hand with `childstat snapshot --week`".into(),
                    )
                })?,
        };
        let week = IsoWeek::parse(&name).ok_or_else(|| ApiError::Internal(format!("stored snapshot week `{name}` does not parse")))?;
        let (info, values) = st.pool.snapshot(&name)?.ok_or_else(|| {
            ApiError::NotFound(format!(
                "no snapshot for {name}; see /api/v1/snapshots, or take one with `childstat snapshot --week {name}`"
            ))
        })?;
        let breaches = crate::session_extras::breaches(&st, &values, &zones);
        let (case_candidates, case_candidates_note) =
            crate::session_extras::candidates_for(&st, caller, &zones, week)?;
        Ok::<_, ApiError>(Json(SessionOut {
            week: name,
            snapshot: SnapshotPart {
                taken_at: info.taken_at.to_rfc3339(),
                as_of: info.as_of.to_rfc3339(),
                values: snapshot_part(&values, &zones),
            },
            trends: trends(&st, &zones, week, now)?,
            breaches,
            case_candidates,
            case_candidates_note,
            zones,
        }))
    })
    .await?
}
