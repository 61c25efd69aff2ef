//! Stall detection: events waiting in Kafka while nothing commits, judged from the broker's
//! watermarks against the offsets committed to DuckDB, never from the consumer's own
//! statistics (which go stale, at zero, exactly when nothing is assigned).
//!
//! Pure: the caller gathers the observations; [`StallWatch::observe`] judges them.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// One look at the pipeline.
#[derive(Clone, Debug)]
pub struct Observation {
    pub at: Instant,
    /// (low, high) watermarks by partition; `None` when the broker did not answer.
    pub watermarks: Option<BTreeMap<i32, (i64, i64)>>,
    /// Next offsets committed to DuckDB by partition.
    pub committed: HashMap<i32, i64>,
    /// Whether a partition with no committed offset is read from its low watermark
    /// (`earliest`) rather than from its end.
    pub from_beginning: bool,
    /// When the writer last committed a batch in this process.
    pub last_commit: Option<Instant>,
    pub assigned: usize,
    /// While nothing is assigned: since when.
    pub unassigned_since: Option<Instant>,
}

/// What one look concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Messages on the broker not yet committed to DuckDB, by partition; empty when the
    /// broker did not answer.
    pub lag: BTreeMap<i32, i64>,
    /// Why ingest is stalled, when it is.
    pub stalled: Option<String>,
}

/// Remembers since when events have been waiting.
#[derive(Debug)]
pub struct StallWatch {
    stall_after: Duration,
    started: Instant,
    waiting_since: Option<Instant>,
}

impl StallWatch {
    pub fn new(stall_after: Duration, started: Instant) -> StallWatch {
        StallWatch {
            stall_after,
            started,
            waiting_since: None,
        }
    }

    pub fn observe(&mut self, o: &Observation) -> Verdict {
        let Some(marks) = &o.watermarks else {
            // An unreachable broker is its own alert (BrokerDown); waiting restarts with it.
            self.waiting_since = None;
            return Verdict {
                lag: BTreeMap::new(),
                stalled: None,
            };
        };
        let lag: BTreeMap<i32, i64> = marks
            .iter()
            .map(|(p, &(low, high))| {
                let from = match o.committed.get(p) {
                    // Retention may have dropped what was never read: it cannot be waited for.
                    Some(&next) => next.max(low),
                    None if o.from_beginning => low,
                    None => high,
                };
                (*p, (high - from).max(0))
            })
            .collect();
        let waiting: i64 = lag.values().sum();
        if waiting == 0 {
            self.waiting_since = None;
        } else {
            self.waiting_since.get_or_insert(o.at);
        }
        let stalled = self.judge(o, waiting);
        Verdict { lag, stalled }
    }

    fn judge(&self, o: &Observation, waiting: i64) -> Option<String> {
        let secs = self.stall_after.as_secs_f64();
        if let Some(since) = o.unassigned_since {
            if o.assigned == 0 && o.at.saturating_duration_since(since) >= self.stall_after {
                return Some(format!(
                    "ingest is stalled: no partition of the event topic has been assigned to \
                     this consumer for over {secs:.0} s ({waiting} events waiting)"
                ));
            }
        }
        let since = self.waiting_since?;
        // Events waiting is only a stall when nothing has been committed since they began
        // to wait (or since this process started, for a backlog found at start).
        let quiet_from = [Some(since), Some(self.started), o.last_commit]
            .into_iter()
            .flatten()
            .max()?;
        (o.at.saturating_duration_since(quiet_from) >= self.stall_after).then(|| {
            format!(
                "ingest is stalled: {waiting} events are waiting in Kafka and nothing has \
                 been committed for over {secs:.0} s"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AFTER: Duration = Duration::from_secs(60);

    fn look(t0: Instant, secs: u64, high: i64, committed: Option<i64>) -> Observation {
        Observation {
            at: t0 + Duration::from_secs(secs),
            watermarks: Some(BTreeMap::from([(0, (0, high))])),
            committed: committed
                .map(|c| HashMap::from([(0, c)]))
                .unwrap_or_default(),
            from_beginning: true,
            last_commit: None,
            assigned: 1,
            unassigned_since: None,
        }
    }

    #[test]
    fn lag_is_high_watermark_minus_committed_or_minus_the_start() {
        let t0 = Instant::now();
        let mut w = StallWatch::new(AFTER, t0);
        assert_eq!(w.observe(&look(t0, 0, 100, Some(40))).lag[&0], 60);
        // A fresh database reading from the beginning waits for everything.
        assert_eq!(w.observe(&look(t0, 0, 100, None)).lag[&0], 100);
        let mut o = look(t0, 0, 100, None);
        o.from_beginning = false;
        assert_eq!(w.observe(&o).lag[&0], 0);
        // Below the low watermark, retention took it: not waiting.
        o.watermarks = Some(BTreeMap::from([(0, (70, 100))]));
        o.committed = HashMap::from([(0, 10)]);
        assert_eq!(w.observe(&o).lag[&0], 30);
    }

    #[test]
    fn waiting_events_with_no_commit_for_stall_after_is_a_stall() {
        let t0 = Instant::now();
        let mut w = StallWatch::new(AFTER, t0);
        assert_eq!(w.observe(&look(t0, 0, 10, Some(10))).stalled, None);
        // Events arrive after a quiet hour: not a stall before they have waited 60 s.
        assert_eq!(w.observe(&look(t0, 3600, 20, Some(10))).stalled, None);
        assert_eq!(w.observe(&look(t0, 3659, 20, Some(10))).stalled, None);
        let v = w.observe(&look(t0, 3660, 20, Some(10)));
        assert!(v
            .stalled
            .expect("stalled")
            .contains("10 events are waiting"));
        // A commit clears it, even while some still wait.
        let mut o = look(t0, 3665, 30, Some(20));
        o.last_commit = Some(t0 + Duration::from_secs(3664));
        assert_eq!(w.observe(&o).stalled, None);
    }

    #[test]
    fn a_busy_pipeline_that_keeps_committing_is_not_stalled() {
        let t0 = Instant::now();
        let mut w = StallWatch::new(AFTER, t0);
        for s in (0..600).step_by(5) {
            let mut o = look(t0, s, 1_000_000, Some(s as i64 * 100));
            o.last_commit = Some(t0 + Duration::from_secs(s.saturating_sub(1)));
            assert_eq!(w.observe(&o).stalled, None, "at {s} s");
        }
    }

    #[test]
    fn nothing_assigned_for_stall_after_is_a_stall_even_with_nothing_waiting() {
        let t0 = Instant::now();
        let mut w = StallWatch::new(AFTER, t0);
        let mut o = look(t0, 59, 10, Some(10));
        o.assigned = 0;
        o.unassigned_since = Some(t0);
        assert_eq!(w.observe(&o).stalled, None);
        o.at = t0 + AFTER;
        assert!(w
            .observe(&o)
            .stalled
            .expect("stalled")
            .contains("no partition"));
    }

    #[test]
    fn an_unreachable_broker_is_not_judged_here() {
        let t0 = Instant::now();
        let mut w = StallWatch::new(AFTER, t0);
        w.observe(&look(t0, 0, 20, Some(10)));
        let mut o = look(t0, 120, 20, Some(10));
        o.watermarks = None;
        let v = w.observe(&o);
        assert_eq!(v.stalled, None);
        assert!(v.lag.is_empty());
        // Waiting counts again from when the broker is back.
        assert_eq!(w.observe(&look(t0, 130, 20, Some(10))).stalled, None);
        assert!(w.observe(&look(t0, 190, 20, Some(10))).stalled.is_some());
    }
}
