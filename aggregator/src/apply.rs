//! Applying one batch: fold, diff contributions, and commit everything (raw events, state,
//! aggregates, counters and Kafka offsets, written by `write_batch.rs`) in one DuckDB
//! transaction.

use crate::error::{AggError, Result};
use crate::fold::{fold_batch, Folded, LedgerRow};
use crate::memory::id_hash;
use crate::serving::ServingIndex;
use crate::store::Store;
use crate::write_batch::write_batch;
use childstat_core::time::{NANOS_PER_DAY, NANOS_PER_HOUR};
use childstat_core::{Accepted, Batch, CaseloadContribs, Ts, WorkerState};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Places where a test can make the writer stop as if the process died: after some rows are
/// written and before the commit. The open transaction is then dropped, never committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    AfterRawEvents,
    AfterState,
    AfterLedger,
    AfterAggregates,
    BeforeCommit,
}

/// Lateness buckets: how far behind the newest applied event time an event was.
pub const LATE_BUCKETS: [&str; 4] = ["lt_1h", "lt_1d", "lt_7d", "ge_7d"];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub batch_id: i64,
    pub messages: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub held: BTreeMap<String, u64>,
    pub ignored_openings: u64,
    pub late: [u64; 4],
    pub dead_letters: BTreeMap<&'static str, u64>,
    pub ledger_rows: u64,
    /// Zones whose aggregates this batch changed.
    pub zones_touched: Vec<String>,
    pub max_occurred: Option<Ts>,
    /// Where the writer's time went for this batch.
    pub phases: WriterPhases,
}

/// Wall-clock time the writer thread spent in each step of one batch. Operators and the
/// benchmark harness read it to see whether a slow writer is folding, appending or
/// committing; it is never part of the state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterPhases {
    /// Duplicate check and reading the touched investigations' states back.
    pub load: Duration,
    /// Folding the events and diffing contributions (no I/O).
    pub fold: Duration,
    pub raw_events: Duration,
    /// Investigation and worker states, staged and merged.
    pub states: Duration,
    pub ledgers: Duration,
    /// Pending sums, counters, offsets and the batch row.
    pub sums: Duration,
    /// Moving pending sums into the keyed tables (every few batches).
    pub merge: Duration,
    /// The commit itself, including any checkpoint DuckDB runs then.
    pub commit: Duration,
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

impl WriterPhases {
    pub const NAMES: [&'static str; 8] = [
        "load",
        "fold",
        "raw_events",
        "states",
        "ledgers",
        "sums",
        "merge",
        "commit",
    ];

    pub fn as_array(&self) -> [Duration; 8] {
        [
            self.load,
            self.fold,
            self.raw_events,
            self.states,
            self.ledgers,
            self.sums,
            self.merge,
            self.commit,
        ]
    }

    pub fn add(&mut self, o: &WriterPhases) {
        self.load += o.load;
        self.fold += o.fold;
        self.raw_events += o.raw_events;
        self.states += o.states;
        self.ledgers += o.ledgers;
        self.sums += o.sums;
        self.merge += o.merge;
        self.commit += o.commit;
    }
}

/// A committed batch's rows for the serving indexes, and the commit generation to move once
/// they are in.
#[must_use = "a committed batch is invisible to reads until its index update is applied"]
pub struct IndexUpdate {
    ledger: Vec<LedgerRow>,
    caseload: CaseloadContribs,
    workers: BTreeMap<String, WorkerState>,
    now: Ts,
    serving: Vec<Arc<RwLock<ServingIndex>>>,
    commits: Arc<AtomicU64>,
}

impl IndexUpdate {
    pub fn apply(self) {
        for ix in &self.serving {
            ix.write().unwrap_or_else(|p| p.into_inner()).apply(
                &self.ledger,
                &self.caseload,
                &self.workers,
                self.now,
            );
        }
        self.commits.fetch_add(1, Ordering::Release);
    }
}

impl Store {
    pub fn apply_batch(&mut self, batch: &Batch, now: Ts) -> Result<BatchOutcome> {
        self.apply_batch_and_index(batch, now, None)
    }

    /// As `apply_batch`, but abandons the transaction at `crash` (test hook for crash safety).
    pub fn apply_batch_crashing(
        &mut self,
        batch: &Batch,
        now: Ts,
        crash: CrashPoint,
    ) -> Result<BatchOutcome> {
        self.apply_batch_and_index(batch, now, Some(crash))
    }

    fn apply_batch_and_index(
        &mut self,
        batch: &Batch,
        now: Ts,
        crash: Option<CrashPoint>,
    ) -> Result<BatchOutcome> {
        let (out, update) = self.apply_batch_deferring_index(batch, now, crash)?;
        update.apply();
        Ok(out)
    }

    /// As `apply_batch`, but leaves the committed batch's serving-index update to the
    /// caller: the writer runs it on a thread of normal priority, so readers never wait on
    /// the index lock behind the lower-priority writer thread. Until it is applied, the commit
    /// generation does not move, so no read is cached as if it saw this batch.
    pub fn apply_batch_deferring_index(
        &mut self,
        batch: &Batch,
        now: Ts,
        crash: Option<CrashPoint>,
    ) -> Result<(BatchOutcome, IndexUpdate)> {
        if self.poisoned {
            return Err(AggError::Poisoned);
        }
        let mut watch = Stopwatch::start();
        let fresh = self.dedupe(&batch.accepted)?;
        self.load_working_set(&fresh)?;
        let load = watch.lap();
        let mut folded = fold_batch(&self.mem, &fresh, &self.settings, now);
        let batch_id = self.mem.next_batch_id;
        let mut out = BatchOutcome {
            batch_id,
            messages: batch.messages,
            applied: fresh.len() as u64,
            duplicates: (batch.accepted.len() - fresh.len()) as u64,
            held: folded.held.clone(),
            ignored_openings: folded.ignored_openings,
            dead_letters: batch
                .dead_letters
                .iter()
                .map(|(r, n)| (r.as_str(), *n))
                .collect(),
            ledger_rows: folded.ledger.len() as u64,
            phases: WriterPhases {
                load,
                ..WriterPhases::default()
            },
            ..BatchOutcome::default()
        };
        let mut watermark = self.mem.watermark;
        for a in &fresh {
            let t = a.event.occurred_at;
            if let Some(w) = watermark.filter(|w| t < *w) {
                let behind = w.since(t).0;
                let bucket = match behind {
                    b if b < NANOS_PER_HOUR => 0,
                    b if b < NANOS_PER_DAY => 1,
                    b if b < 7 * NANOS_PER_DAY => 2,
                    _ => 3,
                };
                out.late[bucket] += 1;
            }
            watermark = Some(watermark.map_or(t, |w| w.max(t)));
        }
        out.max_occurred = fresh.iter().map(|a| a.event.occurred_at).max();
        let zones: HashSet<&str> = folded.ledger.iter().map(|r| r.zone.as_str()).collect();
        out.zones_touched = zones.into_iter().map(str::to_string).collect();
        out.zones_touched.sort();
        out.phases.fold = watch.lap();

        // Any error from here on leaves memory untouched; the dropped transaction rolls back.
        let tx = self.conn.transaction()?;
        let mut pending =
            self.mem.pending_rows + write_batch(&tx, batch, &fresh, &folded, &mut out, now, crash)?;
        // write_batch timed its own steps; restart the lap for the merge.
        watch.lap();
        if pending > 0 && pending >= self.mem.merge_after {
            crate::pending_sums::merge_pending(&tx)?;
            pending = 0;
            out.phases.merge = watch.lap();
        }
        if crash == Some(CrashPoint::BeforeCommit) {
            return Err(AggError::InjectedCrash(CrashPoint::BeforeCommit));
        }
        if let Err(e) = tx.commit() {
            self.poisoned = true;
            return Err(e.into());
        }
        out.phases.commit = watch.lap();
        for a in &fresh {
            self.mem.seen.insert(id_hash(&a.event.event_id));
        }
        self.mem.pending_rows = pending;
        let update = IndexUpdate {
            ledger: std::mem::take(&mut folded.ledger),
            caseload: std::mem::take(&mut folded.caseload),
            workers: folded.workers.clone(),
            now,
            serving: self.serving.clone(),
            commits: self.commits.clone(),
        };
        self.install(folded, watermark);
        Ok((out, update))
    }

    /// Drops event_ids seen before (in earlier batches or earlier in this one). The first
    /// delivery is the one applied.
    fn dedupe<'a>(&self, accepted: &'a [Accepted]) -> Result<Vec<&'a Accepted>> {
        let mut in_batch: HashSet<&str> = HashSet::with_capacity(accepted.len());
        let mut keep = Vec::with_capacity(accepted.len());
        for (i, a) in accepted.iter().enumerate() {
            if in_batch.insert(a.event.event_id.as_str()) {
                keep.push(i);
            }
        }
        // Only ids the filter cannot clear are looked up; a hit there is confirmed by the
        // exact stored id.
        let ids: Vec<&str> = keep
            .iter()
            .map(|&i| accepted[i].event.event_id.as_str())
            .filter(|id| self.mem.seen.may_contain(id_hash(id)))
            .collect();
        let known = self.seen_before(&ids)?;
        if !known.is_empty() {
            keep.retain(|&i| !known.contains(&accepted[i].event.event_id));
        }
        Ok(keep.into_iter().map(|i| &accepted[i]).collect())
    }

    fn install(&mut self, folded: Folded, watermark: Option<Ts>) {
        self.mem.invs.extend(folded.invs);
        self.mem.workers.extend(folded.workers);
        self.mem.watermark = watermark;
        self.mem.next_batch_id += 1;
        self.mem.trim();
    }
}
