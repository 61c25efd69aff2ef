//! Weekly snapshots: every indicator for every zone and citywide, for every window, frozen
//! at the end of an ISO week in local time. Written once by the writer, right after a
//! checkpoint; never rewritten unless forced, and a forced retake is recorded.

use crate::error::{AggError, Result};
use crate::queries::current_on;
use crate::settings::StoreSettings;
use childstat_core::{Dur, Ts, CITYWIDE};
use chrono::{Datelike, NaiveDate, Weekday};
use duckdb::{params, Connection};
use std::fmt;
use std::time::Instant;

pub const SNAPSHOT_WINDOWS: [(&str, Dur); 3] = [
    ("7d", Dur::days(7)),
    ("28d", Dur::days(28)),
    ("91d", Dur::days(91)),
];

/// An ISO week, `YYYY-Www`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    pub year: i32,
    pub week: u32,
}

impl IsoWeek {
    pub fn parse(s: &str) -> Option<IsoWeek> {
        let (y, w) = s.split_once("-W")?;
        if y.len() != 4 || w.len() != 2 || !y.bytes().chain(w.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (year, week) = (y.parse().ok()?, w.parse().ok()?);
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)?;
        Some(IsoWeek { year, week })
    }

    pub fn of(date: NaiveDate) -> IsoWeek {
        let w = date.iso_week();
        IsoWeek {
            year: w.year(),
            week: w.week(),
        }
    }

    pub fn monday(self) -> NaiveDate {
        // Valid by construction (parse and of only make real weeks).
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or_default()
    }

    /// The instant the week ends: local midnight starting the next week.
    pub fn end(self, cal: &childstat_core::Calendar) -> Ts {
        cal.start_of_date(self.monday() + chrono::Days::new(7))
    }

    pub fn previous(self) -> IsoWeek {
        IsoWeek::of(self.monday() - chrono::Days::new(7))
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub iso_week: String,
    pub as_of: Ts,
    pub taken_at: Ts,
    pub forced: bool,
    pub took_ms: i64,
}

const EXISTS: &str = "SELECT count(*) FROM snapshots WHERE iso_week = ?";
const DELETE_SNAPSHOT: &str = "DELETE FROM snapshots WHERE iso_week = ?";
const DELETE_VALUES: &str = "DELETE FROM snapshot_values WHERE iso_week = ?";
const INSERT_SNAPSHOT: &str = "INSERT INTO snapshots VALUES (?, ?, ?, ?, ?)";

pub(crate) fn exists(conn: &Connection, week: IsoWeek) -> Result<bool> {
    let n: i64 = conn.query_row(EXISTS, [week.to_string()], |r| r.get(0))?;
    Ok(n > 0)
}

/// Freezes `week` for `zones` and citywide from the tables, which the caller has just
/// checkpointed. Refused if it exists, unless `force`.
pub(crate) fn freeze(
    conn: &mut Connection,
    settings: &StoreSettings,
    week: IsoWeek,
    zones: &[String],
    now: Ts,
    force: bool,
) -> Result<SnapshotInfo> {
    let started = Instant::now();
    let name = week.to_string();
    if exists(conn, week)? && !force {
        return Err(AggError::SnapshotExists(name));
    }
    let as_of = week.end(&settings.calendar);
    let tx = conn.transaction()?;
    tx.execute(DELETE_SNAPSHOT, [&name])?;
    tx.execute(DELETE_VALUES, [&name])?;
    {
        let mut app = tx.appender("snapshot_values")?;
        let all = std::iter::once(None).chain(zones.iter().map(|z| Some(z.as_str())));
        for zone in all {
            for (wname, w) in SNAPSHOT_WINDOWS {
                for v in current_on(&tx, settings, zone, w, as_of)? {
                    app.append_row(params![
                        name,
                        zone.unwrap_or(CITYWIDE),
                        wname,
                        v.name,
                        v.value,
                        v.numerator,
                        v.denominator
                    ])?;
                }
            }
        }
        app.flush()?;
    }
    let took_ms = started.elapsed().as_millis() as i64;
    tx.execute(
        INSERT_SNAPSHOT,
        params![name, as_of.0, now.0, force, took_ms],
    )?;
    tx.commit()?;
    Ok(SnapshotInfo {
        iso_week: name,
        as_of,
        taken_at: now,
        forced: force,
        took_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iso_weeks() {
        let w = IsoWeek::parse("2026-W47").expect("valid");
        assert_eq!(
            w.monday(),
            NaiveDate::from_ymd_opt(2026, 11, 16).expect("date")
        );
        assert_eq!(w.to_string(), "2026-W47");
        assert_eq!(
            IsoWeek::of(NaiveDate::from_ymd_opt(2027, 1, 1).expect("date")).to_string(),
            "2026-W53"
        );
        for bad in [
            "2026-W54", "2025-W53", "2026-47", "2026-W4", "26-W47", "2026-W00", "2026-W4x",
        ] {
            assert!(IsoWeek::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(
            IsoWeek::parse("2026-W01")
                .expect("valid")
                .previous()
                .to_string(),
            "2025-W52"
        );
    }
}
