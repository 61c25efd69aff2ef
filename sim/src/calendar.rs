//! New York local time: after-hours classification and the shape of report arrivals.

use childstat_core::Ts;
use chrono::{Datelike, TimeZone, Timelike, Weekday};
use chrono_tz::America::New_York;

/// The parts of local time that drive intake volume.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Local {
    pub weekend: bool,
    pub hour: u32,
    /// Day of year, 1-based.
    pub ordinal: u32,
    /// Days since the Common Era began; identifies a local calendar day.
    pub day_number: i32,
}

pub(crate) fn local(t: Ts) -> Local {
    let dt = New_York.from_utc_datetime(&t.to_datetime().naive_utc());
    Local {
        weekend: matches!(dt.weekday(), Weekday::Sat | Weekday::Sun),
        hour: dt.hour(),
        ordinal: dt.ordinal(),
        day_number: dt.num_days_from_ce(),
    }
}

/// ECS hours: 16:00–08:00 on weekdays, and all weekend. Holidays are not modelled.
pub(crate) fn is_after_hours(t: Ts) -> bool {
    let l = local(t);
    l.weekend || !(8..16).contains(&l.hour)
}

/// Relative report volume by local hour on a weekday. Schools, hospitals and police report
/// mostly in business hours; overnight reports are few. Tuned so that together with the
/// weekend factor about half of all reports arrive after hours.
const WEEKDAY_HOURS: [f64; 24] = [
    0.30, 0.25, 0.20, 0.20, 0.20, 0.25, 0.35, 0.70, // 00–07
    1.50, 1.90, 2.00, 1.95, 1.85, 1.90, 1.85, 1.60, // 08–15
    1.30, 1.15, 1.00, 0.90, 0.75, 0.60, 0.50, 0.40, // 16–23
];

/// Weekends see fewer reports: schools are closed.
const WEEKEND_FACTOR: f64 = 0.62;

pub(crate) fn hour_weight(l: &Local) -> f64 {
    let w = WEEKDAY_HOURS[l.hour as usize % 24];
    if l.weekend {
        w * WEEKEND_FACTOR
    } else {
        w
    }
}

/// Reports dip in summer and over the winter holidays, when schools are out.
pub(crate) fn season_weight(ordinal: u32) -> f64 {
    let d = f64::from(ordinal);
    let summer = 0.18 * (-((d - 205.0) / 28.0).powi(2)).exp();
    let winter = 0.12 * (-((d - 358.0) / 6.0).powi(2)).exp();
    1.0 - summer - winter
}

/// Mean of `hour_weight * season_weight` over a week and a year, for normalising the rate.
pub(crate) fn mean_weight() -> f64 {
    let weekday: f64 = WEEKDAY_HOURS.iter().sum();
    let week = (5.0 * weekday + 2.0 * weekday * WEEKEND_FACTOR) / 168.0;
    let season = (1..=365).map(season_weight).sum::<f64>() / 365.0;
    week * season
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Ts {
        Ts::parse_rfc3339(s).unwrap_or_default()
    }

    #[test]
    fn after_hours_follows_new_york_time() {
        // Tuesday 2026-01-06 15:59 EST is business hours; 16:00 is not.
        assert!(!is_after_hours(at("2026-01-06T20:59:00Z")));
        assert!(is_after_hours(at("2026-01-06T21:00:00Z")));
        // In July (EDT) 08:00 local is 12:00 UTC.
        assert!(!is_after_hours(at("2026-07-07T12:00:00Z")));
        assert!(is_after_hours(at("2026-07-07T11:59:59Z")));
        // Saturday noon.
        assert!(is_after_hours(at("2026-07-11T16:00:00Z")));
    }

    #[test]
    fn expected_after_hours_share_is_about_half() {
        let weekday: f64 = WEEKDAY_HOURS.iter().sum();
        let business: f64 = WEEKDAY_HOURS[8..16].iter().sum();
        let total = 5.0 * weekday + 2.0 * weekday * WEEKEND_FACTOR;
        let share = 1.0 - 5.0 * business / total;
        assert!((0.45..0.55).contains(&share), "{share}");
    }
}
