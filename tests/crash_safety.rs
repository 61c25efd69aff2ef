//! Crash safety: abandon a batch after rows are written but before the commit, restart on
//! the same DuckDB file, and end with exactly the state and counters of an uncrashed run.

mod common;

use childstat::settings::store_settings;
use childstat::writer::CrashPlan;
use childstat::StartOptions;
use childstat_aggregator::{CrashPoint, Store};
use childstat_config::Config;
use childstat_core::{decode, Accepted, Batch, DecodeLimits, Source, Ts};
use common::snapshot::{assert_same, digest};
use common::{as_kv, sim_messages, Env};
use std::path::Path;
use std::time::Duration;

const POINTS: [CrashPoint; 5] = [
    CrashPoint::AfterRawEvents,
    CrashPoint::AfterState,
    CrashPoint::AfterLedger,
    CrashPoint::AfterAggregates,
    CrashPoint::BeforeCommit,
];

fn batches(n_msgs: usize, per_batch: usize) -> Vec<Batch> {
    let cfg = Config::embedded_defaults();
    let zones = cfg.zone_set();
    let now = Ts::parse_rfc3339("2026-11-01T00:00:00Z").expect("ts");
    let msgs = sim_messages(11, n_msgs, 0.02, 0.01);
    let mut out = Vec::new();
    for (ci, chunk) in msgs.chunks(per_batch).enumerate() {
        let mut b = Batch::default();
        for (i, m) in chunk.iter().enumerate() {
            let offset = (ci * per_batch + i) as i64;
            b.messages += 1;
            b.next_offsets.insert(("t".into(), 0), offset + 1);
            match decode(m.payload(), &zones, &DecodeLimits::default(), now) {
                Ok(event) => b.accepted.push(Accepted {
                    event,
                    payload: String::from_utf8_lossy(m.payload()).into_owned(),
                    source: Source {
                        topic: "t".into(),
                        partition: 0,
                        offset,
                    },
                }),
                Err(r) => *b.dead_letters.entry(r.reason).or_insert(0) += 1,
            }
        }
        out.push(b);
    }
    out
}

fn now_for(i: usize) -> Ts {
    Ts::parse_rfc3339("2026-11-01T00:00:00Z")
        .expect("ts")
        .plus(childstat_core::Dur::secs(i as i64))
}

fn open(path: &Path) -> Store {
    Store::open(path, store_settings(&Config::embedded_defaults())).expect("open store")
}

#[test]
fn every_cut_point_recovers_to_the_uncrashed_state() {
    let bs = batches(3_000, 200);
    let dir = tempfile::tempdir().expect("tempdir");
    let reference = dir.path().join("reference.duckdb");
    {
        let mut s = open(&reference);
        for (i, b) in bs.iter().enumerate() {
            s.apply_batch(b, now_for(i)).expect("apply");
        }
    }
    let want = digest(&reference, true);

    for (k, point) in POINTS.iter().enumerate() {
        let crash_at = 2 + k * 2;
        let path = dir.path().join(format!("crash-{k}.duckdb"));
        let mut s = open(&path);
        for (i, b) in bs.iter().enumerate().take(crash_at) {
            s.apply_batch(b, now_for(i)).expect("apply");
        }
        let err = s.apply_batch_crashing(&bs[crash_at], now_for(crash_at), *point);
        assert!(err.is_err(), "the injected crash surfaces as an error");
        drop(s);
        // Restart: the offsets say where to resume; Kafka would redeliver from there.
        let mut s = open(&path);
        let resume = s
            .stored_offsets("t")
            .expect("offsets")
            .get(&0)
            .copied()
            .unwrap_or(0);
        assert_eq!(
            resume,
            (crash_at * 200) as i64,
            "offsets did not move past the abandoned batch at {point:?}"
        );
        for (i, b) in bs.iter().enumerate().skip(crash_at) {
            s.apply_batch(b, now_for(i)).expect("apply after restart");
        }
        drop(s);
        assert_same(
            &want,
            &digest(&path, true),
            &format!("crash at {point:?} in batch {crash_at}"),
        );
    }
}

#[test]
fn redelivering_a_committed_batch_changes_nothing_but_the_duplicate_count() {
    let bs = batches(1_000, 250);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("redeliver.duckdb");
    let mut s = open(&path);
    for (i, b) in bs.iter().enumerate() {
        s.apply_batch(b, now_for(i)).expect("apply");
    }
    drop(s);
    let before = digest(&path, true);
    let mut s = open(&path);
    let again = s.apply_batch(&bs[1], now_for(99)).expect("redelivery");
    assert_eq!(again.applied, 0);
    assert_eq!(again.duplicates as usize, bs[1].accepted.len());
    drop(s);
    let after = digest(&path, true);
    for ((name, a), (_, b)) in before.iter().zip(&after) {
        if name != "counters" && name != "offsets" {
            assert_eq!(a, b, "table {name} changed on redelivery");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_killed_mid_batch_restarts_to_the_same_state() {
    let msgs = as_kv(&sim_messages(5, 3_000, 0.01, 0.005));

    // Reference: one clean run.
    let clean = Env::new(3);
    clean.produce(&msgs).await;
    let cfg = clean.config();
    let p = clean.start(&cfg, StartOptions::default()).await;
    clean.wait_caught_up(&p, Duration::from_secs(120)).await;
    p.shutdown.cancel();
    p.wait().await.expect("clean stop");

    for (i, point) in [CrashPoint::AfterLedger, CrashPoint::BeforeCommit]
        .into_iter()
        .enumerate()
    {
        let env = Env::new(3);
        env.produce(&msgs).await;
        let cfg = env.config();
        let crash = CrashPlan {
            batch: 3 + i as u64,
            point,
        };
        let p = env
            .start(
                &cfg,
                StartOptions {
                    crash: Some(crash),
                    ..Default::default()
                },
            )
            .await;
        let err = p.wait().await;
        assert!(
            err.is_err(),
            "the writer's injected crash stops the pipeline with an error"
        );
        let p = env.start(&cfg, StartOptions::default()).await;
        env.wait_caught_up(&p, Duration::from_secs(120)).await;
        p.shutdown.cancel();
        p.wait().await.expect("clean stop");
        // Lateness is measured against the arrival order, which interleaves partitions
        // differently from run to run; everything else must match exactly.
        let a = without_lateness(digest(&clean.db_path(), false));
        let b = without_lateness(digest(&env.db_path(), false));
        // Offsets and raw rows carry partition positions, which match because both runs
        // consumed the same produced log.
        assert_same(&a, &b, &format!("pipeline crash at {point:?}"));
    }
}

fn without_lateness(d: Vec<(String, Vec<String>)>) -> Vec<(String, Vec<String>)> {
    d.into_iter()
        .map(|(name, rows)| {
            let rows = rows
                .into_iter()
                .filter(|r| !r.starts_with("Text(\"late\")"))
                .collect();
            (name, rows)
        })
        .collect()
}
