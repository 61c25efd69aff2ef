//! The parts of the session pack that depend on configuration and the caller's role:
//! thresholds breached by the frozen snapshot, and the reviewer-only case candidates.

use crate::auth::{Caller, Need};
use crate::candidates::{cut, CandidatesOut};
use crate::error::ApiError;
use crate::state::AppState;
use childstat_aggregator::{IsoWeek, SnapshotValue};
use childstat_core::alerts::{breaches as rule_breaches, Window};
use childstat_core::{Indicator, CITYWIDE};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct BreachOut {
    pub zone: String,
    pub alert: String,
    pub indicator: String,
    pub window: String,
    pub op: String,
    pub threshold: f64,
    pub value: f64,
    pub severity: String,
    pub runbook: String,
}

/// The alert thresholds each of `zones` breaches in the snapshot, judged on the frozen values
/// without the alerts' `for` (a snapshot is one reading).
pub fn breaches(st: &AppState, values: &[SnapshotValue], zones: &[String]) -> Vec<BreachOut> {
    // Rules were validated at start-up; a config that no longer yields rules has none.
    let rules = st.config.alert_rules().unwrap_or_default();
    let mut out = Vec::new();
    for zone in zones {
        let value = |w: Window, ind: Indicator| {
            values
                .iter()
                .find(|v| &v.zone == zone && v.window == w.name() && v.indicator == ind.name())
                .and_then(|v| v.value)
        };
        for b in rule_breaches(&rules, zone, value) {
            out.push(BreachOut {
                zone: zone.clone(),
                alert: b.alert,
                indicator: b.indicator.to_string(),
                window: b.window.name().to_string(),
                op: b.op.as_str().to_string(),
                threshold: b.threshold,
                value: b.value,
                severity: b.severity.as_str().to_string(),
                runbook: b.runbook,
            });
        }
    }
    out
}

type CandidatesByZone = Option<BTreeMap<String, CandidatesOut>>;

pub fn candidates_for(
    st: &AppState,
    caller: Caller,
    zones: &[String],
    week: IsoWeek,
) -> Result<(CandidatesByZone, Option<String>), ApiError> {
    if let Err(why) = caller.allows(Need::CaseLevel) {
        return Ok((None, Some(why)));
    }
    let as_of = crate::candidates::judged_at(st, week);
    let zone_codes: Vec<&str> = zones
        .iter()
        .map(String::as_str)
        .filter(|z| *z != CITYWIDE)
        .collect();
    // One scan of the open investigations for all the session's zones.
    let by_zone =
        st.pool
            .case_candidates_by_zone(&zone_codes, as_of, &st.config.case_candidates.criteria)?;
    let mut out = BTreeMap::new();
    for (zone, all) in by_zone {
        let (total, candidates) = cut(st, all);
        out.insert(
            zone.clone(),
            CandidatesOut {
                zone,
                week: week.to_string(),
                as_of: as_of.to_rfc3339(),
                criteria: st.config.case_candidates.criteria.clone(),
                total,
                candidates,
            },
        );
    }
    Ok((Some(out), None))
}
