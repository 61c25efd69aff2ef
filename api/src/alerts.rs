//! `GET /api/v1/alerts`: every compliance alert, its thresholds, and its state in each zone
//! as of the evaluator's latest run (see docs/alerts.md).

use crate::error::ApiError;
use crate::params::Params;
use crate::routes::zone_filter;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::Json;
use childstat_core::alerts::{prom_duration, AlertBoard, AlertRule, AlertState, ZoneStatus};
use childstat_core::{Dur, Ts};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

/// The evaluator's board, shared between the task that writes it and the handlers.
pub type SharedBoard = Arc<RwLock<AlertBoard>>;

#[derive(Serialize, utoipa::ToSchema)]
pub struct AlertsOut {
    /// When the evaluator last ran; null until its first run after startup.
    pub evaluated_at: Option<String>,
    /// How often the evaluator runs (`alerting.interval`).
    pub interval: String,
    pub alerts: Vec<AlertOut>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AlertOut {
    pub name: String,
    pub indicator: &'static str,
    /// `<`, `<=`, `>` or `>=`: a zone is in breach when `value op threshold`.
    #[schema(value_type = String, example = "<")]
    pub op: childstat_core::alerts::Op,
    /// The threshold in every zone not listed in `zone_thresholds`.
    pub threshold: f64,
    pub zone_thresholds: BTreeMap<String, f64>,
    #[schema(value_type = String, example = "28d")]
    pub window: childstat_core::alerts::Window,
    /// How long a breach must last before the alert fires, e.g. `1h`.
    #[serde(rename = "for")]
    pub hold: String,
    pub for_seconds: i64,
    #[schema(value_type = String, example = "critical")]
    pub severity: childstat_core::alerts::Severity,
    pub runbook: String,
    /// One entry per zone, OSI and citywide (only those matching the filters).
    pub zones: Vec<ZoneAlertOut>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ZoneAlertOut {
    pub zone: String,
    #[schema(value_type = String, example = "pending")]
    pub state: AlertState,
    /// The value last evaluated; null before the first run, or when a rate has no members.
    pub value: Option<f64>,
    /// The threshold that applies in this zone.
    pub threshold: f64,
    /// When the current breach began (pending and firing).
    pub pending_since: Option<String>,
    /// When the breach had lasted `for` (firing only).
    pub firing_since: Option<String>,
}

/// Compliance alerts and their state per zone; filter with `state` and `zone`.
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    tag = "alerts",
    params(
        ("state" = Option<String>, Query, description = "inactive, pending or firing: only zones in that state"),
        ("zone" = Option<String>, Query, description = "a zone code or citywide: only that zone"),
    ),
    responses(
        (status = 200, description = "Every alert and its state per zone", body = AlertsOut),
        (status = 400, description = "A bad parameter", body = crate::error::ErrorBody),
        (status = 404, description = "An unknown zone", body = crate::error::ErrorBody),
    )
)]
pub async fn alerts(
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<AlertsOut>, ApiError> {
    let p = Params::new(q, &["state", "zone"])?;
    let state = match p.get("state") {
        None => None,
        Some(s) => Some(AlertState::parse(s).ok_or_else(|| {
            ApiError::bad("state", "state must be one of inactive, pending, firing")
        })?),
    };
    let zone = match p.get("zone") {
        None => None,
        // Checked against the configured zones so a typo is a 404, not an empty list.
        Some(z) => Some(zone_filter(&st, z).map(|_| z.to_string())?),
    };
    let keep = |s: &ZoneStatus| {
        state.is_none_or(|want| s.state == want) && zone.as_ref().is_none_or(|z| &s.zone == z)
    };
    let filtered = state.is_some() || zone.is_some();
    let board = st
        .alerts
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let alerts = board
        .iter()
        .map(|(rule, statuses)| alert_out(rule, statuses.iter().filter(|s| keep(s))))
        .filter(|a| !filtered || !a.zones.is_empty())
        .collect();
    Ok(Json(AlertsOut {
        evaluated_at: board.evaluated_at().map(Ts::to_rfc3339),
        interval: prom_duration(Dur::from_std(st.config.alerting.interval)),
        alerts,
    }))
}

fn alert_out<'a>(rule: &AlertRule, statuses: impl Iterator<Item = &'a ZoneStatus>) -> AlertOut {
    AlertOut {
        name: rule.name.clone(),
        indicator: rule.indicator.name(),
        op: rule.op,
        threshold: rule.threshold,
        zone_thresholds: rule.zone_thresholds.clone(),
        window: rule.window,
        hold: prom_duration(rule.hold),
        for_seconds: rule.hold.0 / childstat_core::time::NANOS_PER_SEC,
        severity: rule.severity,
        runbook: rule.runbook.clone(),
        zones: statuses
            .map(|s| ZoneAlertOut {
                zone: s.zone.clone(),
                state: s.state,
                value: s.value,
                threshold: s.threshold,
                pending_since: s.pending_since.map(Ts::to_rfc3339),
                firing_since: s.firing_since.map(Ts::to_rfc3339),
            })
            .collect(),
    }
}
