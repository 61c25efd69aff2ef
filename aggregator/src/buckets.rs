//! History buckets: one value per local day, ISO week or month bucket.
//!
//! Flow indicators take the bucket as their range (deadline-based members only once due at
//! `as_of`); point-in-time indicators are evaluated at the bucket's end, or at `as_of` when
//! that end is later. Both read paths (`serving_read.rs` and `history.rs`) share these.

use childstat_core::calendar::day_num;
use childstat_core::{Calendar, DayNum, Indicator, IndicatorValue, Ts};
use chrono::NaiveDate;

#[derive(Clone, Debug, PartialEq)]
pub struct HistoryPoint {
    pub bucket_start: NaiveDate,
    pub value: IndicatorValue,
}

/// Which days a flow history reads: whole days `[whole.0, whole.1)` from the day sums, and,
/// for deadline-based members (which exist only once due), `as_of`'s own day cut at `as_of`.
pub(crate) struct FlowDays {
    pub whole: (DayNum, DayNum),
    pub partial: Option<DayNum>,
}

pub(crate) fn flow_days(
    cal: &Calendar,
    ind: Indicator,
    first: NaiveDate,
    last: NaiveDate,
    as_of: Ts,
) -> FlowDays {
    let (d0, d1) = (day_num(first), day_num(last));
    let d_asof = cal.day_of(as_of);
    if ind.is_due_based() {
        FlowDays {
            whole: (d0, d1.min(d_asof)),
            partial: (d0 <= d_asof && d_asof < d1).then_some(d_asof),
        }
    } else {
        FlowDays {
            whole: (d0, d1),
            partial: None,
        }
    }
}

/// Per-day sums added into the buckets that start at `starts`.
pub(crate) fn bucket_sums(
    starts: &[NaiveDate],
    per_day: impl IntoIterator<Item = (DayNum, (i64, i64))>,
) -> Vec<(i64, i64)> {
    let start_days: Vec<DayNum> = starts.iter().map(|d| day_num(*d)).collect();
    let mut sums = vec![(0i64, 0i64); starts.len()];
    for (day, (n, d)) in per_day {
        let i = start_days.partition_point(|s| *s <= day);
        if let Some(slot) = i.checked_sub(1).and_then(|i| sums.get_mut(i)) {
            slot.0 += n;
            slot.1 += d;
        }
    }
    sums
}

/// Where each bucket's point-in-time value is taken: its end, or `as_of` when that is earlier.
pub(crate) fn evaluations(cal: &Calendar, ends: &[NaiveDate], as_of: Ts) -> Vec<Ts> {
    ends.iter()
        .map(|e| cal.start_of_date(*e).min(as_of))
        .collect()
}
