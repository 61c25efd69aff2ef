//! Two instances in different consumer groups on the same topic build the same state: the
//! state is a deterministic function of the log, whatever the batch boundaries, so replicas
//! for high availability need no coordination (docs/scaling.md).

mod common;

use childstat::StartOptions;
use childstat_core::{Dur, Ts};
use common::snapshot::{assert_same, digest};
use common::{as_kv, sim_messages, Env};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consumer_groups_end_with_identical_indicators() {
    let env = Env::new(3);
    let msgs = as_kv(&sim_messages(23, 6_000, 0.01, 0.005));
    let (first, second) = msgs.split_at(2_500);

    let mut cfg_a = env.config();
    cfg_a.kafka.group_id = "childstat-a".into();
    cfg_a.storage.path = env.dir.path().join("a.duckdb");
    let mut cfg_b = env.config();
    cfg_b.kafka.group_id = "childstat-b".into();
    cfg_b.storage.path = env.dir.path().join("b.duckdb");
    // Different batch shapes, so equal results cannot come from equal batching.
    cfg_b.kafka.batch_size = 97;
    cfg_b.kafka.batch_linger = Duration::from_millis(3);

    // A starts on an empty topic and sees the log arrive; B starts late and catches up.
    let a = env.start(&cfg_a, StartOptions::default()).await;
    env.produce(first).await;
    env.wait_caught_up(&a, Duration::from_secs(120)).await;
    let b = env.start(&cfg_b, StartOptions::default()).await;
    env.produce(second).await;
    env.wait_caught_up(&a, Duration::from_secs(120)).await;
    env.wait_caught_up(&b, Duration::from_secs(120)).await;

    // Every indicator, zone and window agrees, at several instants.
    let as_of_last = Ts::parse_rfc3339("2026-05-01T00:00:00-04:00").expect("ts");
    let mut compared = 0;
    for as_of in [common::sim_start().plus(Dur::days(10)), as_of_last] {
        for zone in std::iter::once(None).chain(cfg_a.zones.iter().map(|z| Some(z.code.as_str()))) {
            for w in [Dur::days(7), Dur::days(28), Dur::days(91)] {
                let va = a.pool.current(zone, w, as_of).expect("a");
                let vb = b.pool.current(zone, w, as_of).expect("b");
                assert_eq!(va, vb, "{zone:?} window {w:?} at {as_of:?}");
                compared += va.len();
            }
        }
    }
    assert_eq!(compared, 2 * 22 * 3 * 21);
    // Lateness is measured against the newest event time seen so far, which depends on how
    // the partitions happened to interleave on each consumer: an operational measure of
    // arrival, not state. Every other counter is a function of the log.
    let (ca, cb) = (a.pool.counters().expect("a"), b.pool.counters().expect("b"));
    let of_log = |c: &childstat_aggregator::Counters| {
        let mut v: Vec<_> = c
            .values
            .iter()
            .filter(|((name, _), _)| name != "late")
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        v.sort();
        v
    };
    assert_eq!(of_log(&ca), of_log(&cb), "pipeline counters");
    let late = |c: &childstat_aggregator::Counters| {
        ["lt_1h", "lt_1d", "lt_7d", "ge_7d"]
            .iter()
            .map(|b| c.get("late", b))
            .sum::<i64>()
    };
    assert!(late(&ca) > 0 && late(&cb) > 0, "both saw late events");
    assert!(ca.get("applied", "") > 5_000);

    a.shutdown.cancel();
    b.shutdown.cancel();
    a.wait().await.expect("a stops cleanly");
    b.wait().await.expect("b stops cleanly");
    // And the stored state itself, table by table.
    let without_counters = |db| {
        digest(db, false)
            .into_iter()
            .filter(|(table, _)| table != "counters")
            .collect::<Vec<_>>()
    };
    assert_same(
        &without_counters(&cfg_a.storage.path),
        &without_counters(&cfg_b.storage.path),
        "instance A against instance B",
    );
}
