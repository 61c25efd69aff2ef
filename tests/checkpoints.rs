//! Checkpoints: each batch commits only its log, and the derived tables are written in bulk
//! now and then. No read (by the serving index or by SQL over the last checkpoint plus the
//! batches folded after it) and no stored table may depend on when checkpoints ran, and a
//! restart that folds the logged batches again must land on the same state.

mod common;

use childstat::settings::store_settings;
use childstat_aggregator::{CheckpointPolicy, ReadPool, Store};
use childstat_config::Config;
use childstat_core::{Accepted, Batch, Dur, Indicator, Step, Ts};
use common::snapshot::{assert_same, digest};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

fn batch_of(events: &[Accepted], end_offset: i64) -> Batch {
    Batch {
        accepted: events.to_vec(),
        dead_letters: BTreeMap::new(),
        next_offsets: BTreeMap::from([(("t".to_string(), 0), end_offset)]),
        messages: events.len() as u64,
    }
}

fn open(path: &Path, every: u64) -> Store {
    let mut s = Store::open(path, store_settings(&Config::embedded_defaults())).expect("store");
    s.set_checkpoint_policy(CheckpointPolicy {
        interval: Duration::from_secs(86_400),
        events: every,
    });
    s
}

/// Current values, caseloads and daily histories for a few zones.
fn reads(pool: &ReadPool) -> Vec<String> {
    let t0 = common::sim_start();
    let mut out = Vec::new();
    for zone in [None, Some("Z01"), Some("Z07"), Some("OSI")] {
        for as_of in [t0.plus(Dur::hours(20)), t0.plus(Dur::days(3))] {
            for w in [Dur::days(7), Dur::days(28)] {
                out.push(format!(
                    "{:?}",
                    pool.current(zone, w, as_of).expect("current")
                ));
            }
            out.push(format!(
                "{:?}",
                pool.caseload(zone, as_of).expect("caseload")
            ));
        }
        for ind in [
            Indicator::Intakes,
            Indicator::OpenInvestigations,
            Indicator::CaseloadAvg,
        ] {
            let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 3, d).expect("date");
            let h = pool
                .history(zone, ind, day(1), day(7), Step::Day, t0.plus(Dur::days(5)))
                .expect("history");
            out.push(format!("{h:?}"));
        }
    }
    out
}

/// Feeds `events` in batches of 400 and returns the reads by the serving index and by SQL,
/// both pools made before the first batch.
fn feed(
    path: &Path,
    every: u64,
    events: &[Accepted],
    now: Ts,
) -> (Store, Vec<String>, Vec<String>) {
    let mut s = open(path, every);
    let index = s.read_pool(1).expect("index pool");
    let sql = s.read_pool_sql_only(1).expect("sql pool");
    for (i, chunk) in events.chunks(400).enumerate() {
        s.apply_batch(&batch_of(chunk, (i * 400 + chunk.len()) as i64), now)
            .expect("apply");
    }
    let (a, b) = (reads(&index), reads(&sql));
    (s, a, b)
}

#[test]
fn when_checkpoints_run_changes_no_value_and_no_table() {
    let events = common::sim_accepted(11, 3_000, 0.02);
    let dir = tempfile::tempdir().expect("tempdir");
    let now = Ts::parse_rfc3339("2026-11-01T00:00:00Z").expect("ts");

    let every_path = dir.path().join("every.duckdb");
    let (every, every_index, every_sql) = feed(&every_path, 1, &events, now);
    assert_eq!(
        every_index, every_sql,
        "index and SQL, checkpoint after every batch"
    );
    every.close().expect("close");
    let want = digest(&every_path, true);

    // Never checkpointed while running: the SQL reads see only the batches' segments.
    let never_path = dir.path().join("never.duckdb");
    let (never, never_index, never_sql) = feed(&never_path, u64::MAX, &events, now);
    assert_eq!(never_index, every_index, "index reads, never checkpointed");
    assert_eq!(never_sql, every_sql, "SQL reads over the segments alone");
    never.close().expect("close");
    assert_same(
        &want,
        &digest(&never_path, true),
        "checkpointed once at close",
    );

    // Every 1,000 events, then killed (no closing checkpoint): the restart folds the batches
    // past the last checkpoint again from the log, and reads and tables agree.
    let killed_path = dir.path().join("killed.duckdb");
    let (killed, killed_index, killed_sql) = feed(&killed_path, 1_000, &events, now);
    assert_eq!((&killed_index, &killed_sql), (&every_index, &every_sql));
    drop(killed);
    let mut restarted = open(&killed_path, u64::MAX);
    let (batches, refolded) = restarted.recovered();
    assert!(
        batches > 0 && refolded > 0,
        "batches past the checkpoint were folded again"
    );
    let sql = restarted.read_pool_sql_only(1).expect("sql pool");
    let index = restarted.read_pool(1).expect("index pool");
    assert_eq!(reads(&index), every_index, "index after the re-fold");
    assert_eq!(reads(&sql), every_sql, "SQL after the re-fold");
    restarted.close().expect("close");
    assert_same(&want, &digest(&killed_path, true), "after the re-fold");
}

/// A restart re-folds exactly the batches past the checkpoint, bounded by the policy.
#[test]
fn the_refold_is_bounded_by_the_checkpoint_policy() {
    let events = common::sim_accepted(5, 2_000, 0.0);
    let dir = tempfile::tempdir().expect("tempdir");
    let now = Ts::parse_rfc3339("2026-11-01T00:00:00Z").expect("ts");
    let path = dir.path().join("bound.duckdb");
    let mut s = open(&path, 700);
    for (i, chunk) in events.chunks(200).enumerate() {
        s.apply_batch(&batch_of(chunk, (i * 200 + chunk.len()) as i64), now)
            .expect("apply");
    }
    drop(s);
    // Checkpoints after batches 4 and 8 (800 and 1,600 events); two batches follow.
    let s = open(&path, 700);
    assert_eq!(s.recovered(), (2, 400));
}
