//! `GET /api/v1/zones/{zone}/case-candidates?week=2026-W47`: open investigations meeting the
//! configured review criteria at the end of the week, for the reviewer role only.
//!
//! An item carries the pseudonymous investigation id, the criteria it met and its clocks:
//! what Quality Improvement needs to pick two cases, and nothing about the family, the
//! children or the workers.

use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use childstat_aggregator::IsoWeek;
use childstat_core::candidates::{Candidate, ClockState, ClockStatus, Criterion};
use childstat_core::{Ts, CITYWIDE};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Serialize, utoipa::ToSchema)]
pub struct CandidatesOut {
    pub zone: String,
    pub week: String,
    /// The instant judged: the end of the week, or now while the week is still running.
    pub as_of: String,
    #[schema(value_type = Vec<String>)]
    pub criteria: Vec<Criterion>,
    /// Open investigations in the zone that met any criterion, before the list was cut.
    pub total: usize,
    pub candidates: Vec<CandidateOut>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CandidateOut {
    /// The pseudonymous investigation id the events carry.
    pub id: String,
    pub received_at: String,
    pub age_days: f64,
    #[schema(value_type = Vec<String>)]
    pub criteria_met: Vec<Criterion>,
    pub clocks: ClocksOut,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClocksOut {
    pub contact: ClockOut,
    pub safety_assessment: ClockOut,
    pub determination: ClockOut,
    /// One per emergency removal.
    pub safety_conferences: Vec<ClockOut>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClockOut {
    pub deadline: String,
    pub done_at: Option<String>,
    /// met, met_late, overdue or running.
    #[schema(value_type = String, example = "overdue")]
    pub status: ClockStatus,
}

impl From<&ClockState> for ClockOut {
    fn from(c: &ClockState) -> Self {
        ClockOut {
            deadline: c.deadline.to_rfc3339(),
            done_at: c.done_at.map(|t| t.to_rfc3339()),
            status: c.status,
        }
    }
}

impl From<&Candidate> for CandidateOut {
    fn from(c: &Candidate) -> Self {
        CandidateOut {
            id: c.id.clone(),
            received_at: c.received_at.to_rfc3339(),
            age_days: (c.age.0 as f64 / 86_400e9 * 10.0).round() / 10.0,
            criteria_met: c.met.clone(),
            clocks: ClocksOut {
                contact: (&c.contact).into(),
                safety_assessment: (&c.safety_assessment).into(),
                determination: (&c.determination).into(),
                safety_conferences: c.safety_conferences.iter().map(ClockOut::from).collect(),
            },
        }
    }
}

/// `week` (default: this week) and the instant it is judged at.
pub fn week_and_as_of(st: &AppState, p: &Params) -> Result<(IsoWeek, Ts), ApiError> {
    let now = st.now();
    let cal = st.pool.settings().calendar;
    let week = match p.get("week") {
        None => IsoWeek::of(cal.local_date(now)),
        Some(s) => IsoWeek::parse(s)
            .ok_or_else(|| ApiError::bad("week", "week must be an ISO week like 2026-W47"))?,
    };
    if week > IsoWeek::of(cal.local_date(now)) {
        return Err(ApiError::bad(
            "week",
            format!(
                "{week} has not started yet; case candidates are judged at a week's end, or now"
            ),
        ));
    }
    Ok((week, judged_at(st, week)))
}

/// The instant a week's candidates are judged at: its end, or now while it runs.
pub fn judged_at(st: &AppState, week: IsoWeek) -> Ts {
    week.end(&st.pool.settings().calendar).min(st.now())
}

/// Candidates in `zone` at the end of `week`, best first, cut at the configured maximum.
pub fn load(st: &AppState, zone: &str, as_of: Ts) -> Result<(usize, Vec<CandidateOut>), ApiError> {
    let all = st
        .pool
        .case_candidates(zone, as_of, &st.config.case_candidates.criteria)?;
    Ok(cut(st, all))
}

/// The count that met a criterion, and the best `max_results` of them.
pub fn cut(st: &AppState, all: Vec<Candidate>) -> (usize, Vec<CandidateOut>) {
    let max = st.config.case_candidates.max_results;
    (
        all.len(),
        all.iter().take(max).map(CandidateOut::from).collect(),
    )
}

/// Case candidates for the weekly review (reviewer role).
#[utoipa::path(
    get,
    path = "/api/v1/zones/{zone}/case-candidates",
    tag = "review",
    params(
        ("zone" = String, Path, description = "A zone code (not citywide)"),
        ("week" = Option<String>, Query, description = "ISO week, e.g. 2026-W47; default this week"),
    ),
    responses(
        (status = 200, description = "Ranked candidates", body = CandidatesOut),
        (status = 400, description = "A bad parameter", body = crate::error::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Not a reviewer, or no tokens configured", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown zone", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn case_candidates(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    Path(zone): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<CandidatesOut>, ApiError> {
    // The auth layer already refuses; checked again here so the route can never leak.
    caller
        .allows(crate::auth::Need::CaseLevel)
        .map_err(ApiError::Forbidden)?;
    if zone == CITYWIDE || !st.zones.contains(&zone) {
        let shown: String = zone.chars().take(40).collect();
        return Err(ApiError::NotFound(format!(
            "unknown zone `{shown}`: case candidates are listed per zone; see /api/v1/zones"
        )));
    }
    let p = Params::new(q, &["week"])?;
    let (week, as_of) = week_and_as_of(&st, &p)?;
    let st2 = st.clone();
    let zone2 = zone.clone();
    let (total, candidates) =
        tokio::task::spawn_blocking(move || load(&st2, &zone2, as_of)).await??;
    Ok(Json(CandidatesOut {
        zone,
        week: week.to_string(),
        as_of: as_of.to_rfc3339(),
        criteria: st.config.case_candidates.criteria.clone(),
        total,
        candidates,
    }))
}
