//! What one applied batch did, and the pipeline counters that sum it: the one place where a
//! batch's outcome becomes counts. The stored counters, the recovery re-fold and the
//! Prometheus metrics all go through [`BatchOutcome::counts`].

use childstat_core::Ts;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Lateness buckets: how far behind the newest applied event time an event was.
pub const LATE_BUCKETS: [&str; 4] = ["lt_1h", "lt_1d", "lt_7d", "ge_7d"];

/// The pipeline's counters, by the name stored in `pipeline_counters`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counter {
    Consumed,
    Applied,
    Duplicate,
    IgnoredOpening,
    /// Labelled by lateness bucket.
    Late,
    /// Labelled by zone: events held for a missing opening.
    Held,
    /// Labelled by reason.
    DeadLettered,
}

impl Counter {
    pub const ALL: [Counter; 7] = [
        Counter::Consumed,
        Counter::Applied,
        Counter::Duplicate,
        Counter::IgnoredOpening,
        Counter::Late,
        Counter::Held,
        Counter::DeadLettered,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Counter::Consumed => "consumed",
            Counter::Applied => "applied",
            Counter::Duplicate => "duplicate",
            Counter::IgnoredOpening => "ignored_opening",
            Counter::Late => "late",
            Counter::Held => "held",
            Counter::DeadLettered => "dead_lettered",
        }
    }

    pub fn parse(name: &str) -> Option<Counter> {
        Counter::ALL.into_iter().find(|c| c.name() == name)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub batch_id: i64,
    pub messages: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub held: BTreeMap<String, u64>,
    pub ignored_openings: u64,
    pub late: [u64; 4],
    pub dead_letters: BTreeMap<String, u64>,
    pub ledger_rows: u64,
    /// Zones whose aggregates this batch changed.
    pub zones_touched: Vec<String>,
    pub max_occurred: Option<Ts>,
    /// Where the writer's time went for this batch.
    pub phases: WriterPhases,
}

impl BatchOutcome {
    /// Every non-zero count this batch adds, with its label ("" where a counter has none).
    pub fn counts(&self) -> Vec<(Counter, &str, u64)> {
        let mut out = vec![
            (Counter::Consumed, "", self.messages),
            (Counter::Applied, "", self.applied),
            (Counter::Duplicate, "", self.duplicates),
            (Counter::IgnoredOpening, "", self.ignored_openings),
        ];
        for (zone, n) in &self.held {
            out.push((Counter::Held, zone.as_str(), *n));
        }
        for (i, label) in LATE_BUCKETS.iter().enumerate() {
            out.push((Counter::Late, label, self.late[i]));
        }
        for (reason, n) in &self.dead_letters {
            out.push((Counter::DeadLettered, reason.as_str(), *n));
        }
        out.retain(|c| c.2 > 0);
        out
    }
}

/// The committed pipeline counters, by (name, label), and the newest applied event time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub values: BTreeMap<(String, String), i64>,
    /// The last batch applied (its id and when it was committed).
    pub last_batch: Option<(i64, Ts)>,
    /// The newest applied event time.
    pub newest_event: Option<Ts>,
    /// Next offsets committed to DuckDB: (topic, partition, next offset).
    pub offsets: Vec<(String, i32, i64)>,
}

impl Counters {
    pub fn get(&self, name: &str, label: &str) -> i64 {
        self.values
            .get(&(name.to_string(), label.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Adds what one batch did.
    pub fn add(&mut self, o: &BatchOutcome, committed_at: Ts) {
        for (c, label, n) in o.counts() {
            *self
                .values
                .entry((c.name().to_string(), label.to_string()))
                .or_insert(0) += n as i64;
        }
        self.last_batch = Some((o.batch_id, committed_at));
        if let Some(t) = o.max_occurred {
            self.newest_event = Some(self.newest_event.map_or(t, |n| n.max(t)));
        }
    }

    /// Moves the stored next offsets forward (never back: batches of a partition may commit
    /// in any order).
    pub fn advance_offsets<'a>(
        &mut self,
        next: impl IntoIterator<Item = (&'a (String, i32), &'a i64)>,
    ) {
        for ((topic, partition), n) in next {
            match self
                .offsets
                .iter_mut()
                .find(|(t, p, _)| t == topic && p == partition)
            {
                Some(slot) => slot.2 = slot.2.max(*n),
                None => self.offsets.push((topic.clone(), *partition, *n)),
            }
        }
        self.offsets.sort();
    }
}

/// Wall-clock time the writer spent in each step of one batch. Operators and the benchmark
/// harness read it to see whether a slow writer is appending, folding or checkpointing; it is
/// never part of the state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterPhases {
    /// The duplicate check and reading evicted states back.
    pub load: Duration,
    /// Building the batch's columns and appending them to the log.
    pub append: Duration,
    /// The log transaction's commit.
    pub commit: Duration,
    /// Folding the events and diffing contributions (no I/O), on the second core while the
    /// log appends and commits: it adds to the batch's time only where it is longer.
    pub fold: Duration,
    /// Taking the fold into memory and the checkpoint's accumulators.
    pub index: Duration,
    /// Writing a checkpoint, when this batch brought one due.
    pub checkpoint: Duration,
}

impl WriterPhases {
    pub const NAMES: [&'static str; 6] =
        ["load", "append", "commit", "fold", "index", "checkpoint"];

    pub fn as_array(&self) -> [Duration; 6] {
        [
            self.load,
            self.append,
            self.commit,
            self.fold,
            self.index,
            self.checkpoint,
        ]
    }

    pub fn add(&mut self, o: &WriterPhases) {
        self.load += o.load;
        self.append += o.append;
        self.commit += o.commit;
        self.fold += o.fold;
        self.index += o.index;
        self.checkpoint += o.checkpoint;
    }
}

/// Laps of the writer's steps.
pub(crate) struct Stopwatch(Instant);

impl Stopwatch {
    pub(crate) fn start() -> Stopwatch {
        Stopwatch(Instant::now())
    }

    /// Time since the start or the previous lap.
    pub(crate) fn lap(&mut self) -> Duration {
        let now = Instant::now();
        now.duration_since(std::mem::replace(&mut self.0, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_name_every_counter_once_and_skip_zeros() {
        let o = BatchOutcome {
            messages: 5,
            applied: 3,
            duplicates: 1,
            late: [0, 2, 0, 0],
            held: [("Z01".to_string(), 1)].into(),
            dead_letters: [("bad_json".to_string(), 1)].into(),
            ..BatchOutcome::default()
        };
        let mut c = Counters::default();
        c.add(&o, Ts(1));
        c.add(&o, Ts(2));
        assert_eq!(c.get("consumed", ""), 10);
        assert_eq!(c.get("late", "lt_1d"), 4);
        assert_eq!(c.get("held", "Z01"), 2);
        assert_eq!(c.get("dead_lettered", "bad_json"), 2);
        assert_eq!(c.get("ignored_opening", ""), 0);
        assert!(!c
            .values
            .contains_key(&("ignored_opening".into(), "".into())));
        assert_eq!(c.last_batch, Some((0, Ts(2))));
        for k in Counter::ALL {
            assert_eq!(Counter::parse(k.name()), Some(k));
        }
    }

    #[test]
    fn offsets_only_move_forward() {
        let mut c = Counters::default();
        let a = [(("t".to_string(), 0), 10i64)];
        c.advance_offsets(a.iter().map(|(k, v)| (k, v)));
        let b = [(("t".to_string(), 0), 4i64), (("t".to_string(), 1), 2)];
        c.advance_offsets(b.iter().map(|(k, v)| (k, v)));
        assert_eq!(c.offsets, vec![("t".into(), 0, 10), ("t".into(), 1, 2)]);
    }
}
