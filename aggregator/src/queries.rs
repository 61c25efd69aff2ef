//! The indicator queries, on any connection: the read pool's, or the writer's when it
//! freezes a snapshot.

use crate::error::Result;
use crate::settings::StoreSettings;
use childstat_core::calendar::day_num;
use childstat_core::{Caseload, Dur, Indicator, IndicatorValue, Ts};
use chrono::Datelike;
use duckdb::{params, Connection};
use std::collections::HashMap;

const FLOW_WINDOW: &str = include_str!("../sql/flow_window.sql");
const POINT_IN_TIME: &str = include_str!("../sql/point_in_time.sql");

/// Every ledger indicator for `zone` (`None` = citywide) over `(as_of - window, as_of]`,
/// point-in-time ones at `as_of`.
pub fn current_on(
    conn: &Connection,
    settings: &StoreSettings,
    zone: Option<&str>,
    window: Dur,
    as_of: Ts,
) -> Result<Vec<IndicatorValue>> {
    let mut sums: HashMap<String, (i64, i64)> = HashMap::new();
    let cal = &settings.calendar;
    let lo = as_of.minus(window);
    let (d_lo, d_hi) = (cal.day_of(lo), cal.day_of(as_of));
    let b = cal.start_of_day(d_hi);
    // Whole days strictly inside the window, and the ledger for the partial edges.
    let (days, edge1_end, edge2_start) = if d_lo < d_hi {
        ((d_lo + 1, d_hi), cal.start_of_day(d_lo + 1), b)
    } else {
        (
            (0, 0),
            Ts(as_of.0.saturating_add(1)),
            Ts(as_of.0.saturating_add(1)),
        )
    };
    let mut stmt = conn.prepare_cached(FLOW_WINDOW)?;
    let mut rows = stmt.query(params![
        zone,
        days.0,
        days.1,
        lo.0,
        edge1_end.0,
        edge2_start.0,
        as_of.0
    ])?;
    while let Some(r) = rows.next()? {
        sums.insert(
            r.get(0)?,
            (
                r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                r.get::<_, Option<i64>>(2)?.unwrap_or(0),
            ),
        );
    }
    let mut stmt = conn.prepare_cached(POINT_IN_TIME)?;
    let date = cal.local_date(as_of);
    let month_key = date.year() * 12 + date.month0() as i32;
    let month_first = day_num(date.with_day(1).unwrap_or(date));
    let mut rows = stmt.query(params![zone, month_key, month_first, d_hi, b.0, as_of.0])?;
    while let Some(r) = rows.next()? {
        sums.insert(r.get(0)?, (r.get::<_, Option<i64>>(1)?.unwrap_or(0), 0));
    }
    let load = caseload_on(conn, settings, zone, as_of)?;
    Ok(Indicator::ALL
        .iter()
        .map(|&ind| {
            load.value(ind).unwrap_or_else(|| {
                let (n, d) = sums.get(ind.name()).copied().unwrap_or((0, 0));
                IndicatorValue::from_sums(ind, n, d)
            })
        })
        .collect())
}

/// Caseload figures at `t` for `zone` (`None` = citywide).
pub fn caseload_on(
    conn: &Connection,
    settings: &StoreSettings,
    zone: Option<&str>,
    t: Ts,
) -> Result<Caseload> {
    Ok(
        crate::caseload_read::caseloads_on(conn, settings, zone, &[t])?
            .pop()
            .unwrap_or_default(),
    )
}
