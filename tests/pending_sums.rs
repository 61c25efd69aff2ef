//! Pending day sums and caseload epochs: each batch appends its own, and they are merged into
//! the keyed tables in bulk. Neither a read nor the stored sums may depend on when the merge
//! ran, a restart with rows still pending included, and a merge empties the pending tables.

mod common;

use childstat::settings::store_settings;
use childstat_aggregator::Store;
use childstat_config::Config;
use childstat_core::{Accepted, Batch, Dur, Indicator, Step, Ts};
use common::snapshot::digest;
use std::collections::BTreeMap;
use std::path::Path;

fn accepted(seed: u64, n: usize) -> Vec<Accepted> {
    common::sim_accepted(seed, n, 0.02)
}

fn batch_of(events: &[Accepted], end_offset: i64) -> Batch {
    Batch {
        accepted: events.to_vec(),
        dead_letters: BTreeMap::new(),
        next_offsets: BTreeMap::from([(("t".to_string(), 0), end_offset)]),
        messages: events.len() as u64,
    }
}

fn open(path: &Path) -> Store {
    Store::open(path, store_settings(&Config::embedded_defaults())).expect("store")
}

/// (pending day rows, pending epoch rows, merged day rows) as stored in the file.
fn table_rows(path: &Path) -> (i64, i64, i64) {
    let conn = duckdb::Connection::open(path).expect("open");
    let count = |t: &str| -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .expect("count")
    };
    (
        count("day_agg_pending"),
        count("caseload_epoch_pending"),
        count("day_agg"),
    )
}

/// Current values (7 and 28 days) and a daily history, all by SQL, for a few zones.
fn sql_reads(store: &Store) -> Vec<String> {
    let pool = store.read_pool_sql_only(1).expect("pool");
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
        for ind in [Indicator::Intakes, Indicator::OpenInvestigations] {
            let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 3, d).expect("date");
            let h = pool
                .history(zone, ind, day(1), day(7), Step::Day, t0.plus(Dur::days(5)))
                .expect("history");
            out.push(format!("{h:?}"));
        }
    }
    out
}

#[test]
fn when_pending_sums_are_merged_changes_no_value() {
    let events = accepted(11, 3_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let now = Ts::parse_rfc3339("2026-11-01T00:00:00Z").expect("ts");

    // Reference: merged with every batch.
    let eager_path = dir.path().join("eager.duckdb");
    let mut eager = open(&eager_path);
    eager.merge_pending_after(0);
    for (i, chunk) in events.chunks(400).enumerate() {
        eager
            .apply_batch(&batch_of(chunk, (i * 400 + chunk.len()) as i64), now)
            .expect("apply");
    }
    let eager_reads = sql_reads(&eager);
    drop(eager);
    let (pending_days, pending_epochs, _) = table_rows(&eager_path);
    assert_eq!((pending_days, pending_epochs), (0, 0), "merged every batch");

    // Lazy: the first half never merged, then a restart with the rows pending.
    let lazy_path = dir.path().join("lazy.duckdb");
    let half = events.len() / 2;
    let mut lazy = open(&lazy_path);
    lazy.merge_pending_after(usize::MAX);
    for (i, chunk) in events[..half].chunks(400).enumerate() {
        let end = (i * 400 + chunk.len()) as i64;
        lazy.apply_batch(&batch_of(chunk, end), now).expect("apply");
    }
    drop(lazy);
    let (pending_days, pending_epochs, merged_days) = table_rows(&lazy_path);
    assert!(pending_days > 0 && pending_epochs > 0, "rows pending");
    assert_eq!(merged_days, 0, "nothing merged yet");

    // After the restart, a small batch passes a bound only if the reopened store counted
    // the pending rows the file holds; it merges them all. Then the rest.
    let mut lazy = open(&lazy_path);
    lazy.merge_pending_after(pending_days as usize + pending_epochs as usize + 1);
    let small = half + 100;
    lazy.apply_batch(&batch_of(&events[half..small], small as i64), now)
        .expect("apply");
    drop(lazy);
    let (pending_days, pending_epochs, merged_days) = table_rows(&lazy_path);
    assert_eq!((pending_days, pending_epochs), (0, 0), "all merged");
    assert!(merged_days > 0);
    let mut lazy = open(&lazy_path);
    lazy.merge_pending_after(usize::MAX);
    lazy.apply_batch(&batch_of(&events[small..], events.len() as i64), now)
        .expect("apply");
    assert_eq!(sql_reads(&lazy), eager_reads, "reads by SQL");
    drop(lazy);
    assert_eq!(digest(&lazy_path, true), digest(&eager_path, true));
}
