//! History: one value per local day, ISO week or month.

use super::{shape, Naive, Shape, Value};
use childstat_core::{Step, Ts};
use chrono::NaiveDate;

impl Naive {
    /// One value per bucket, from the bucket containing `from` to the one containing `to`.
    /// A flow takes the bucket `[start, next start)` as its range, deadline members only once
    /// due at `as_of`; a point-in-time indicator is read at `min(bucket end, as_of)`.
    pub fn history(
        &self,
        zone: Option<&str>,
        indicator: &str,
        from: NaiveDate,
        to: NaiveDate,
        step: Step,
        as_of: Ts,
    ) -> Vec<(NaiveDate, Value)> {
        self.cal
            .buckets(from, to, step)
            .into_iter()
            .map(|start| {
                let lo = self.cal.start_of_date(start).0;
                let hi = self
                    .cal
                    .start_of_date(self.cal.next_bucket_date(start, step))
                    .0;
                let value = match shape(indicator) {
                    Shape::FlowCount | Shape::FlowRate => {
                        self.flow(zone, indicator, |at| lo <= at && at < hi)
                    }
                    Shape::FlowDueRate => {
                        self.flow(zone, indicator, |at| lo <= at && at < hi && at <= as_of.0)
                    }
                    Shape::PointCount | Shape::Caseload => {
                        self.point(zone, hi.min(as_of.0))[indicator]
                    }
                };
                (start, value)
            })
            .collect()
    }
}
