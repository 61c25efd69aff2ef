//! Small-cell suppression in the API: always for the `public` role, and for any caller who
//! asks with `?suppress=true`. The rules are `childstat_core::suppress`; this module reads
//! the whole table a decision needs (every zone and citywide over the same range) and
//! shapes what the routes return.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;
use childstat_aggregator::{HistoryPoint, SnapshotValue};
use childstat_core::suppress::{decided_with, suppress, suppress_table, Row};
use childstat_core::{Dur, Indicator, IndicatorValue, Step, Ts, ZoneSet, CITYWIDE};
use chrono::NaiveDate;
use serde::Serialize;

/// The query parameter, accepted by every route that can suppress.
pub const PARAM: &str = "suppress";

/// Whether this request's figures are suppressed: `suppress=true|false`, default false,
/// and always for the `public` role whatever it asks.
pub fn wanted(caller: Caller, p: &Params) -> Result<bool, ApiError> {
    let asked = match p.get(PARAM) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::bad(PARAM, "suppress must be true or false")),
    };
    Ok(asked || caller.always_suppressed())
}

/// Every zone's current values and citywide's (last), suppressed. Blocking.
pub fn current_table(
    st: &AppState,
    window: Dur,
    as_of: Ts,
) -> Result<Vec<(String, Vec<IndicatorValue>)>, ApiError> {
    let mut table = crate::compare::all_zones(st, window, as_of)?;
    suppress_table(&mut table);
    Ok(table)
}

/// One zone's (`None` = citywide) current values, suppressed. Blocking.
pub fn current(
    st: &AppState,
    zone: Option<&str>,
    window: Dur,
    as_of: Ts,
) -> Result<Vec<IndicatorValue>, ApiError> {
    let code = zone.unwrap_or(CITYWIDE);
    current_table(st, window, as_of)?
        .into_iter()
        .find(|(z, _)| z == code)
        .map(|(_, vals)| vals)
        .ok_or_else(|| ApiError::Internal(format!("zone {code} missing from its own table")))
}

/// One zone's (`None` = citywide) history of `ind`, suppressed bucket by bucket against
/// every zone and citywide, for `ind` and the indicators decided with it. Blocking.
#[allow(clippy::too_many_arguments)]
pub fn history(
    st: &AppState,
    zone: Option<&str>,
    ind: Indicator,
    from: NaiveDate,
    to: NaiveDate,
    step: Step,
    as_of: Ts,
) -> Result<Vec<HistoryPoint>, ApiError> {
    let columns: Vec<Option<&str>> = st
        .zones
        .codes()
        .map(Some)
        .chain(std::iter::once(None))
        .collect();
    let want = columns
        .iter()
        .position(|c| *c == zone)
        .ok_or_else(|| ApiError::Internal("zone missing from its own table".into()))?;
    let group = decided_with(ind);
    // series[g][col] = the history of group[g] in column col.
    let mut series: Vec<Vec<Vec<HistoryPoint>>> = Vec::with_capacity(group.len());
    for &g in group {
        let mut cols = Vec::with_capacity(columns.len());
        for col in &columns {
            cols.push(st.pool.history(*col, g, from, to, step, as_of)?);
        }
        series.push(cols);
    }
    let mine = group.iter().position(|&g| g == ind).unwrap_or(0);
    let mut out = series[mine][want].clone();
    let city = columns.len() - 1;
    for (b, point) in out.iter_mut().enumerate() {
        let cell = |g: usize, col: usize| -> IndicatorValue {
            series[g][col].get(b).map_or_else(
                || IndicatorValue::from_sums(group[g], 0, 0),
                |p| p.value.clone(),
            )
        };
        let mut rows: Vec<Row> = group
            .iter()
            .enumerate()
            .map(|(g, &indicator)| Row {
                indicator,
                zones: (0..city).map(|col| cell(g, col)).collect(),
                citywide: cell(g, city),
            })
            .collect();
        suppress(&mut rows);
        point.value = if want == city {
            rows[mine].citywide.clone()
        } else {
            rows[mine].zones[want].clone()
        };
    }
    Ok(out)
}

/// A snapshot value as served: the stored row, and whether it was suppressed.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SnapshotValueOut {
    pub zone: String,
    pub window: String,
    pub indicator: String,
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
    /// Hidden by small-cell suppression; present only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
}

impl From<SnapshotValue> for SnapshotValueOut {
    fn from(v: SnapshotValue) -> Self {
        SnapshotValueOut {
            zone: v.zone,
            window: v.window,
            indicator: v.indicator,
            value: v.value,
            numerator: v.numerator,
            denominator: v.denominator,
            suppressed: false,
        }
    }
}

/// A snapshot's values, suppressed window by window when `on`. Zones are taken in the
/// configured order (then any the snapshot has that the configuration no longer does), so
/// ties break as they do on the live routes. A stored indicator the catalogue no longer
/// knows is hidden: no rule covers it.
pub fn snapshot_values(
    zones: &ZoneSet,
    values: Vec<SnapshotValue>,
    on: bool,
) -> Vec<SnapshotValueOut> {
    let mut out: Vec<SnapshotValueOut> = values.into_iter().map(SnapshotValueOut::from).collect();
    if !on {
        return out;
    }
    let mut windows: Vec<String> = out.iter().map(|v| v.window.clone()).collect();
    windows.sort();
    windows.dedup();
    let mut codes: Vec<String> = zones.codes().map(str::to_string).collect();
    let mut extra: Vec<String> = out
        .iter()
        .map(|v| v.zone.clone())
        .filter(|z| z != CITYWIDE && !zones.contains(z))
        .collect();
    extra.sort();
    extra.dedup();
    codes.extend(extra);
    codes.push(CITYWIDE.to_string());
    for w in &windows {
        let mut table: Vec<(String, Vec<IndicatorValue>)> = codes
            .iter()
            .map(|z| {
                let vals = out
                    .iter()
                    .filter(|v| &v.window == w && &v.zone == z)
                    .filter_map(|v| {
                        let ind = Indicator::parse(&v.indicator)?;
                        Some(IndicatorValue {
                            name: ind.name(),
                            value: v.value,
                            numerator: v.numerator,
                            denominator: v.denominator,
                            suppressed: false,
                        })
                    })
                    .collect();
                (z.clone(), vals)
            })
            .collect();
        suppress_table(&mut table);
        for v in out.iter_mut().filter(|v| &v.window == w) {
            let hidden = match Indicator::parse(&v.indicator) {
                None => true,
                Some(ind) => table
                    .iter()
                    .find(|(z, _)| *z == v.zone)
                    .and_then(|(_, vals)| vals.iter().find(|x| x.name == ind.name()))
                    .is_none_or(|x| x.suppressed),
            };
            if hidden {
                v.value = None;
                v.numerator = None;
                v.denominator = None;
                v.suppressed = true;
            }
        }
    }
    out
}
