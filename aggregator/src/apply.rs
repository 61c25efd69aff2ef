//! Applying one batch: fold, diff contributions, and commit everything (raw events, state,
//! aggregates, counters and Kafka offsets) in one DuckDB transaction.

use crate::error::{AggError, Result};
use crate::fold::{fold_batch, Folded};
use crate::memory::id_hash;
use crate::store::Store;
use childstat_core::time::{NANOS_PER_DAY, NANOS_PER_HOUR};
use childstat_core::{Accepted, Batch, Ts};
use duckdb::{params, Transaction};
use std::collections::{BTreeMap, HashSet};

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
}

const MERGE_INVESTIGATIONS: &str = "
    INSERT OR REPLACE INTO investigations SELECT * FROM stage_investigations;
    DELETE FROM stage_investigations;";
const DELETE_WORKER_SPANS: &str =
    "DELETE FROM worker_spans WHERE worker_id IN (SELECT worker_id FROM stage_workers)";
const MERGE_WORKERS: &str = "
    INSERT OR REPLACE INTO workers SELECT * FROM stage_workers;
    DELETE FROM stage_workers;";
const MERGE_DAY_AGG: &str = "
    INSERT INTO day_agg
    SELECT indicator, zone, day, sum(num)::BIGINT, sum(den)::BIGINT
    FROM contrib_ledger WHERE batch_id = ?
    GROUP BY indicator, zone, day
    ON CONFLICT (indicator, zone, day) DO UPDATE
    SET num = num + excluded.num, den = den + excluded.den";
const MERGE_MONTH_AGG: &str = "
    INSERT INTO month_agg
    SELECT indicator, zone,
           (year(DATE '1970-01-01' + day) * 12 + month(DATE '1970-01-01' + day) - 1)::INTEGER,
           sum(num)::BIGINT, sum(den)::BIGINT
    FROM contrib_ledger WHERE batch_id = ?
    GROUP BY ALL
    ON CONFLICT (indicator, zone, month) DO UPDATE
    SET num = num + excluded.num, den = den + excluded.den";
const MERGE_CASELOAD_EPOCH: &str = "
    INSERT INTO caseload_epoch
    SELECT worker_id, at_ns >> 51, sum(delta)::BIGINT
    FROM caseload_ledger WHERE batch_id = ?
    GROUP BY ALL
    ON CONFLICT (worker_id, epoch) DO UPDATE SET delta = delta + excluded.delta";
/// Offsets and counters go through staging tables and are merged by one statement each: a
/// separate upsert per counter cost more than all of a batch's ledger rows.
const MERGE_OFFSETS: &str = "
    INSERT INTO kafka_offsets SELECT * FROM stage_offsets
    ON CONFLICT (topic, kafka_partition) DO UPDATE SET next_offset = excluded.next_offset;
    DELETE FROM stage_offsets;";
const MERGE_COUNTERS: &str = "
    INSERT INTO pipeline_counters SELECT * FROM stage_counters
    ON CONFLICT (name, label) DO UPDATE SET value = value + excluded.value;
    DELETE FROM stage_counters;";
const INSERT_BATCH: &str = "INSERT INTO batches VALUES (?, ?, ?, ?, ?)";

impl Store {
    pub fn apply_batch(&mut self, batch: &Batch, now: Ts) -> Result<BatchOutcome> {
        self.apply_batch_inner(batch, now, None)
    }

    /// As `apply_batch`, but abandons the transaction at `crash` (test hook for crash safety).
    pub fn apply_batch_crashing(
        &mut self,
        batch: &Batch,
        now: Ts,
        crash: CrashPoint,
    ) -> Result<BatchOutcome> {
        self.apply_batch_inner(batch, now, Some(crash))
    }

    fn apply_batch_inner(
        &mut self,
        batch: &Batch,
        now: Ts,
        crash: Option<CrashPoint>,
    ) -> Result<BatchOutcome> {
        if self.poisoned {
            return Err(AggError::Poisoned);
        }
        let fresh = self.dedupe(&batch.accepted)?;
        self.load_working_set(&fresh)?;
        let folded = fold_batch(&self.mem, &fresh, &self.settings, now);
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

        // Any error from here on leaves memory untouched; the dropped transaction rolls back.
        let tx = self.conn.transaction()?;
        write_batch(&tx, batch, &fresh, &folded, &out, now, crash)?;
        if crash == Some(CrashPoint::BeforeCommit) {
            return Err(AggError::InjectedCrash(CrashPoint::BeforeCommit));
        }
        if let Err(e) = tx.commit() {
            self.poisoned = true;
            return Err(e.into());
        }
        for ix in &self.serving {
            ix.write().unwrap_or_else(|p| p.into_inner()).apply(
                &folded.ledger,
                &folded.caseload,
                &folded.workers,
                now,
            );
        }
        self.install(folded, watermark);
        self.commits
            .fetch_add(1, std::sync::atomic::Ordering::Release);
        Ok(out)
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
        let ids: Vec<&str> = keep
            .iter()
            .map(|&i| accepted[i].event.event_id.as_str())
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

fn check(crash: Option<CrashPoint>, here: CrashPoint) -> Result<()> {
    if crash == Some(here) {
        Err(AggError::InjectedCrash(here))
    } else {
        Ok(())
    }
}

fn write_batch(
    tx: &Transaction<'_>,
    batch: &Batch,
    fresh: &[&Accepted],
    folded: &Folded,
    out: &BatchOutcome,
    now: Ts,
    crash: Option<CrashPoint>,
) -> Result<()> {
    let batch_id = out.batch_id;
    {
        let mut app = tx.appender("raw_events")?;
        for a in fresh {
            let r = crate::rawrow::RawRow::of(a);
            app.append_row(params![
                a.event.event_id,
                id_hash(&a.event.event_id),
                a.event.event_type().as_str(),
                a.event.zone,
                a.event.occurred_at.0,
                a.event.recorded_at.0,
                r.investigation_id,
                r.worker_id,
                r.supervisor_id,
                r.family_id,
                r.received_at,
                r.children,
                r.children_seen,
                r.kind,
                r.outcome,
                r.role,
                r.status,
                r.heightened,
                r.after_hours,
                r.by_ecs,
                r.emergency,
                a.payload,
                a.source.topic,
                a.source.partition,
                a.source.offset,
                now.0,
                batch_id,
            ])?;
        }
        app.flush()?;
    }
    check(crash, CrashPoint::AfterRawEvents)?;

    {
        let mut app = tx.appender("stage_investigations")?;
        for (id, s) in &folded.invs {
            let json = serde_json::to_string(s).map_err(|source| AggError::CorruptState {
                table: "investigations",
                source,
            })?;
            let o = s.opening.as_ref();
            app.append_row(params![
                id,
                o.map(|o| o.family_id.as_str()),
                s.zone_at(Ts::MAX),
                o.map(|o| o.received_at.0),
                o.is_some(),
                json,
                s.first_closed.map(|t| t.0),
            ])?;
        }
        app.flush()?;
        let mut app = tx.appender("stage_workers")?;
        for (id, w) in &folded.workers {
            let json = serde_json::to_string(w).map_err(|source| AggError::CorruptState {
                table: "workers",
                source,
            })?;
            app.append_row(params![id, json])?;
        }
        app.flush()?;
    }
    tx.execute_batch(MERGE_INVESTIGATIONS)?;
    tx.execute_batch(DELETE_WORKER_SPANS)?;
    {
        let mut app = tx.appender("worker_spans")?;
        for (id, w) in &folded.workers {
            for (ch, start, end) in w.spans() {
                app.append_row(params![
                    id,
                    ch.role.as_str(),
                    ch.status.as_str(),
                    ch.zone,
                    start.0,
                    end.0
                ])?;
            }
        }
        app.flush()?;
    }
    tx.execute_batch(MERGE_WORKERS)?;
    check(crash, CrashPoint::AfterState)?;

    {
        let mut app = tx.appender("contrib_ledger")?;
        for r in &folded.ledger {
            app.append_row(params![
                r.indicator.name(),
                r.zone,
                r.at.0,
                r.day,
                r.num,
                r.den,
                batch_id
            ])?;
        }
        app.flush()?;
        let mut app = tx.appender("caseload_ledger")?;
        for ((worker, at), delta) in &folded.caseload.map {
            app.append_row(params![worker, at.0, delta, batch_id])?;
        }
        app.flush()?;
    }
    check(crash, CrashPoint::AfterLedger)?;

    if !folded.caseload.map.is_empty() {
        tx.prepare_cached(MERGE_CASELOAD_EPOCH)?
            .execute([batch_id])?;
    }
    if !folded.ledger.is_empty() {
        tx.prepare_cached(MERGE_DAY_AGG)?.execute([batch_id])?;
        tx.prepare_cached(MERGE_MONTH_AGG)?.execute([batch_id])?;
    }
    check(crash, CrashPoint::AfterAggregates)?;

    {
        let mut app = tx.appender("stage_offsets")?;
        for ((topic, partition), next) in &batch.next_offsets {
            app.append_row(params![topic, partition, next])?;
        }
        app.flush()?;
    }
    tx.execute_batch(MERGE_OFFSETS)?;
    let mut counters: Vec<(&str, &str, u64)> = vec![
        ("consumed", "", out.messages),
        ("applied", "", out.applied),
        ("duplicate", "", out.duplicates),
        ("ignored_opening", "", out.ignored_openings),
    ];
    for (zone, n) in &out.held {
        counters.push(("held", zone, *n));
    }
    for (i, label) in LATE_BUCKETS.iter().enumerate() {
        counters.push(("late", label, out.late[i]));
    }
    for (reason, n) in &out.dead_letters {
        counters.push(("dead_lettered", reason, *n));
    }
    {
        let mut app = tx.appender("stage_counters")?;
        for (name, label, value) in counters.into_iter().filter(|c| c.2 > 0) {
            app.append_row(params![name, label, value as i64])?;
        }
        app.flush()?;
    }
    tx.execute_batch(MERGE_COUNTERS)?;
    tx.prepare_cached(INSERT_BATCH)?.execute(params![
        batch_id,
        now.0,
        out.messages as i64,
        out.applied as i64,
        out.max_occurred.map(|t| t.0)
    ])?;
    Ok(())
}
