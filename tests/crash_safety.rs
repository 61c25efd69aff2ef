//! Crash safety: stop at every cut point of the write path (within a batch's log
//! transaction, between its commit and its fold, within a checkpoint, during the start-up
//! re-fold), restart on the same DuckDB file, and end with exactly the state and counters of
//! an uncrashed run.

mod common;

use childstat::settings::store_settings;
use childstat::writer::CrashPlan;
use childstat::StartOptions;
use childstat_aggregator::{CheckpointPolicy, CrashPoint, Store};
use childstat_config::Config;
use childstat_core::{decode, Accepted, Batch, DecodeLimits, Source, Ts};
use common::snapshot::{assert_same, digest};
use common::{as_kv, sim_messages, Env};
use std::path::Path;
use std::time::Duration;

/// Cut points within a batch, and whether the batch is in the log after the crash.
const BATCH_POINTS: [(CrashPoint, bool); 3] = [
    (CrashPoint::AfterRawEvents, false),
    (CrashPoint::BeforeCommit, false),
    (CrashPoint::AfterLogCommit, true),
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
    let mut s =
        Store::open(path, store_settings(&Config::embedded_defaults())).expect("open store");
    // A checkpoint every three batches of 200: every crash below has logged batches past
    // the last checkpoint for the restart to fold again.
    s.set_checkpoint_policy(CheckpointPolicy {
        interval: Duration::from_secs(86_400),
        events: 550,
    });
    s
}

/// The uncrashed run's digest.
fn reference(dir: &Path, bs: &[Batch]) -> Vec<(String, Vec<String>)> {
    let path = dir.join("reference.duckdb");
    let mut s = open(&path);
    for (i, b) in bs.iter().enumerate() {
        s.apply_batch(b, now_for(i)).expect("apply");
    }
    s.close().expect("close");
    digest(&path, true)
}

/// Restarts on `path`, checks where the offsets say to resume, feeds the rest and
/// compares with the uncrashed run.
fn resume_and_compare(
    path: &Path,
    bs: &[Batch],
    resume_at: usize,
    want: &[(String, Vec<String>)],
    what: &str,
) {
    let mut s = open(path);
    let resume = s
        .stored_offsets("t")
        .expect("offsets")
        .get(&0)
        .copied()
        .unwrap_or(0);
    assert_eq!(resume, (resume_at * 200) as i64, "{what}: resume offset");
    for (i, b) in bs.iter().enumerate().skip(resume_at) {
        s.apply_batch(b, now_for(i)).expect("apply after restart");
    }
    s.close().expect("close");
    assert_same(want, &digest(path, true), what);
}

#[test]
fn every_cut_point_recovers_to_the_uncrashed_state() {
    let bs = batches(3_000, 200);
    let dir = tempfile::tempdir().expect("tempdir");
    let want = reference(dir.path(), &bs);

    for (k, (point, logged)) in BATCH_POINTS.iter().enumerate() {
        let crash_at = 4 + k * 2;
        let path = dir.path().join(format!("crash-{k}.duckdb"));
        let mut s = open(&path);
        for (i, b) in bs.iter().enumerate().take(crash_at) {
            s.apply_batch(b, now_for(i)).expect("apply");
        }
        let err = s.apply_batch_crashing(&bs[crash_at], now_for(crash_at), *point);
        assert!(err.is_err(), "the injected crash surfaces as an error");
        drop(s);
        // Kafka would redeliver from the stored offsets; a logged batch is folded again
        // from the log instead.
        let resume_at = crash_at + usize::from(*logged);
        let what = format!("crash at {point:?} in batch {crash_at}");
        resume_and_compare(&path, &bs, resume_at, &want, &what);
    }

    // Killed within a checkpoint: its transaction never commits, and the restart folds
    // everything since the previous one again.
    let path = dir.path().join("mid-checkpoint.duckdb");
    let mut s = open(&path);
    for (i, b) in bs.iter().enumerate().take(8) {
        s.apply_batch(b, now_for(i)).expect("apply");
    }
    assert!(s.checkpoint_crashing(CrashPoint::MidCheckpoint).is_err());
    drop(s);
    resume_and_compare(&path, &bs, 8, &want, "crash mid-checkpoint");

    // Killed during the start-up re-fold (which writes nothing), then again restarted.
    let path = dir.path().join("in-recovery.duckdb");
    let mut s = open(&path);
    s.set_checkpoint_policy(CheckpointPolicy {
        interval: Duration::from_secs(86_400),
        events: u64::MAX,
    });
    for (i, b) in bs.iter().enumerate().take(9) {
        s.apply_batch(b, now_for(i)).expect("apply");
    }
    drop(s);
    let settings = store_settings(&Config::embedded_defaults());
    assert!(Store::open_crashing_in_recovery(&path, settings, 5).is_err());
    resume_and_compare(&path, &bs, 9, &want, "crash during recovery");
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
    s.close().expect("close");
    let before = digest(&path, true);
    let mut s = open(&path);
    let again = s.apply_batch(&bs[1], now_for(99)).expect("redelivery");
    assert_eq!(again.applied, 0);
    assert_eq!(again.duplicates as usize, bs[1].accepted.len());
    s.close().expect("close");
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

    for (i, point) in [CrashPoint::BeforeCommit, CrashPoint::AfterLogCommit]
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
