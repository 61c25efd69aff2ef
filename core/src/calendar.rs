//! Local calendar buckets in the configured time zone.
//!
//! Days, ISO weeks and months start at local midnight, so a day can be 23, 24 or 25 hours
//! long; durations elsewhere stay exact.

use crate::time::Ts;
use chrono::{Datelike, Days, LocalResult, Months, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// A local date as days since 1970-01-01 (the DuckDB `DATE` epoch).
pub type DayNum = i32;

const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => panic!("1970-01-01 is a valid date"),
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Day,
    Week,
    Month,
}

impl Step {
    pub fn parse(s: &str) -> Option<Step> {
        match s {
            "day" => Some(Step::Day),
            "week" => Some(Step::Week),
            "month" => Some(Step::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Day => "day",
            Step::Week => "week",
            Step::Month => "month",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Calendar {
    pub tz: Tz,
}

pub fn day_num(d: NaiveDate) -> DayNum {
    (d - EPOCH).num_days() as DayNum
}

pub fn date_of(n: DayNum) -> NaiveDate {
    if n >= 0 {
        EPOCH + Days::new(n as u64)
    } else {
        EPOCH - Days::new(n.unsigned_abs() as u64)
    }
}

impl Calendar {
    pub fn new(tz: Tz) -> Calendar {
        Calendar { tz }
    }

    pub fn local_date(&self, t: Ts) -> NaiveDate {
        self.tz
            .from_utc_datetime(&t.to_datetime().naive_utc())
            .date_naive()
    }

    pub fn day_of(&self, t: Ts) -> DayNum {
        day_num(self.local_date(t))
    }

    /// The instant of local midnight starting `date`. Where midnight falls in a DST gap
    /// (some zones switch at 00:00), the day starts at the first local instant after it.
    pub fn start_of_date(&self, date: NaiveDate) -> Ts {
        let midnight = date.and_time(NaiveTime::MIN);
        match self.tz.from_local_datetime(&midnight) {
            LocalResult::Single(t) => Ts::from_datetime(t),
            LocalResult::Ambiguous(a, b) => Ts::from_datetime(a.min(b)),
            LocalResult::None => {
                // Gaps are at most a few hours; step forward by minutes to the first valid one.
                (1..=24 * 60)
                    .find_map(|m| {
                        self.tz
                            .from_local_datetime(&(midnight + chrono::Duration::minutes(m)))
                            .earliest()
                    })
                    .map(Ts::from_datetime)
                    .unwrap_or_else(|| Ts::from_datetime(midnight.and_utc()))
            }
        }
    }

    pub fn start_of_day(&self, d: DayNum) -> Ts {
        self.start_of_date(date_of(d))
    }

    /// The first day of the bucket of `step` that contains `date`.
    pub fn bucket_start_date(&self, date: NaiveDate, step: Step) -> NaiveDate {
        match step {
            Step::Day => date,
            Step::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
            Step::Month => date.with_day(1).unwrap_or(date),
        }
    }

    pub fn next_bucket_date(&self, start: NaiveDate, step: Step) -> NaiveDate {
        match step {
            Step::Day => start + Days::new(1),
            Step::Week => start + Days::new(7),
            Step::Month => start + Months::new(1),
        }
    }

    /// Bucket start dates covering `from..=to`, from the bucket containing `from`.
    pub fn buckets(&self, from: NaiveDate, to: NaiveDate, step: Step) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut d = self.bucket_start_date(from, step);
        while d <= to {
            out.push(d);
            d = self.next_bucket_date(d, step);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ny() -> Calendar {
        Calendar::new(chrono_tz::America::New_York)
    }

    #[test]
    fn dst_days_are_23_and_25_hours() {
        let c = ny();
        let spring = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        let fall = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let len = |d: NaiveDate| c.start_of_date(d + Days::new(1)).0 - c.start_of_date(d).0;
        assert_eq!(len(spring), 23 * crate::time::NANOS_PER_HOUR);
        assert_eq!(len(fall), 25 * crate::time::NANOS_PER_HOUR);
        assert_eq!(len(spring - Days::new(1)), 24 * crate::time::NANOS_PER_HOUR);
    }

    #[test]
    fn day_numbers_round_trip() {
        let c = ny();
        let t = Ts::parse_rfc3339("2026-03-08T04:59:59.999999999Z").unwrap();
        assert_eq!(
            c.local_date(t),
            NaiveDate::from_ymd_opt(2026, 3, 7).unwrap()
        );
        let t = Ts::parse_rfc3339("2026-03-08T05:00:00Z").unwrap();
        assert_eq!(
            c.local_date(t),
            NaiveDate::from_ymd_opt(2026, 3, 8).unwrap()
        );
        assert_eq!(c.start_of_day(c.day_of(t)), t);
        assert_eq!(
            date_of(day_num(NaiveDate::from_ymd_opt(1960, 2, 29).unwrap())),
            NaiveDate::from_ymd_opt(1960, 2, 29).unwrap()
        );
    }

    #[test]
    fn weeks_start_monday_and_months_on_the_first() {
        let c = ny();
        let d = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(
            c.bucket_start_date(d, Step::Week),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
        assert_eq!(
            c.bucket_start_date(d, Step::Month),
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
        );
        assert_eq!(c.buckets(d, d + Days::new(10), Step::Week).len(), 3);
    }
}
