//! childstat against a Kafka-protocol broker in another process (tansu, and librdkafka's
//! mock cluster in `childstat-mock-broker`), run as `childstat run` in a process of its own:
//! a new database in an existing group, dead letters the broker refuses, and a rebalance in
//! the middle of a catch-up.

mod common;

use childstat_faults::process::{committed, counter, dead_lettered};
use childstat_faults::scenarios::{self, Size};
use childstat_faults::stream::{produce, read_all};
use childstat_faults::{Childstat, ExternalBroker, Kind, Setup, DLQ, TOPIC};
use common::tools;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

const CATCH_UP: Duration = Duration::from_secs(180);

/// The recovery the docs recommend for a damaged database, "point storage.path at a new
/// file", must read the whole topic again, not resume from the group's position in Kafka.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_database_in_an_existing_group_reads_the_whole_history_tansu() {
    let t = tools();
    if t.have_tansu("fresh_database_tansu") {
        let size = Size {
            events: 3_000,
            batch_size: 500,
            seed: 41,
            manual_assignment: false,
        };
        scenarios::fresh_database(&t, Kind::Tansu, size)
            .await
            .assert_exact();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_database_in_an_existing_group_reads_the_whole_history_mock() {
    let size = Size {
        events: 3_000,
        batch_size: 500,
        seed: 42,
        manual_assignment: false,
    };
    scenarios::fresh_database(&tools(), Kind::Mock, size)
        .await
        .assert_exact();
}

fn good_events(n: usize, from: usize) -> Vec<(String, Vec<u8>)> {
    (from..from + n)
        .map(|i| {
            common::events::kv(&common::events::opened(
                &format!("e{i}"),
                &format!("I{i}"),
                "Z03",
                "2026-10-01T12:00:00Z",
            ))
        })
        .collect()
}

/// A message the broker takes but our dead-letter copy of it would be refused for its size:
/// the copy is sent truncated, with its original size and digest, and ingest moves on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_dead_letter_is_sent_truncated_and_ingest_moves_on() {
    let broker = ExternalBroker::mock(&tools(), &[TOPIC, DLQ], 1);
    let huge = format!("{{\"v\":1,\"pad\":\"{}\"}}", "x".repeat(1_020_000)).into_bytes();
    let big = format!("{{\"v\":1,\"pad\":\"{}\"}}", "y".repeat(200_000)).into_bytes();
    let mut msgs = good_events(5, 0);
    msgs.push(("huge".into(), huge.clone()));
    msgs.extend(good_events(5, 5));
    msgs.push(("big".into(), big.clone()));
    msgs.extend(good_events(5, 10));
    let ends = produce(&broker.bootstrap, TOPIC, &msgs).await;
    // The broker refuses the first dead letter sent whole for its size (as a broker with a
    // smaller max.message.bytes would): it is sent again, truncated.
    broker.command("errors Produce MSG_SIZE_TOO_LARGE 1");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cs = Childstat::spawn(
        &tools(),
        &Setup::new(&broker.bootstrap, &dir.path().join("db.duckdb")),
    );
    let s = cs.wait_committed(&ends, CATCH_UP).await;
    assert_eq!(counter(&s, "applied"), 15);
    assert_eq!(dead_lettered(&s), 2);

    let dlq = read_all(&broker.bootstrap, DLQ, 2, Duration::from_secs(30));
    assert_eq!(dlq.len(), 2, "one copy each");
    for (original, key) in [(&huge, "huge"), (&big, "big")] {
        let d = dlq
            .iter()
            .find(|d| d.key.as_deref() == Some(key.as_bytes()))
            .expect("dead letter by key");
        assert_eq!(d.headers["reason"], "too_large");
        assert_eq!(d.headers["truncated"], "true");
        assert_eq!(d.headers["original_size"], original.len().to_string());
        assert_eq!(
            d.headers["original_sha256"],
            hex::encode(Sha256::digest(original))
        );
        assert_eq!(d.payload, original[..16 * 1024]);
    }
    assert_eq!(
        cs.get("/readyz").await.map(|(c, _)| c),
        Some(200),
        "{}",
        cs.log_tail()
    );
    assert!(cs.stop());
}

/// A dead-letter topic that times out is retried while ingest waits and the API serves;
/// /readyz names the cause; once the broker takes it, nothing is lost or sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_outage_makes_ingest_wait_not_stop() {
    let broker = ExternalBroker::mock(&tools(), &[TOPIC, DLQ], 1);
    let mut msgs = good_events(10, 0);
    msgs.push(("bad".to_string(), b"{\"v\":1,".to_vec()));
    msgs.extend(good_events(10, 10));
    let ends = produce(&broker.bootstrap, TOPIC, &msgs).await;
    // From now on every produce request fails, as in an outage of the topic's leader.
    broker.command("errors Produce NOT_ENOUGH_REPLICAS 100000");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut setup = Setup::new(&broker.bootstrap, &dir.path().join("db.duckdb"));
    setup.extra.push((
        "CHILDSTAT__KAFKA__PROPERTIES__MESSAGE_TIMEOUT_MS".into(),
        "1500".into(),
    ));
    let mut cs = Childstat::spawn(&tools(), &setup);
    let started = Instant::now();
    let why = loop {
        if let Some((503, body)) = cs.get("/readyz").await {
            let why = body["message"].as_str().unwrap_or_default().to_string();
            if why.contains("dead letters") {
                break why;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{}",
            cs.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(why.contains("dead letters cannot be delivered"), "{why}");
    // Still waiting a few retries later: the API serves, nothing past the bad message is
    // committed, and the process is up.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let s = cs.status().await.expect("status while waiting");
    assert!(
        committed(&s).get(&0).is_none_or(|next| *next <= 10),
        "no offset passes the waiting dead letter: {s}"
    );
    assert!(s["ingest_problem"]
        .as_str()
        .is_some_and(|p| p.contains("dead letters cannot be delivered")));
    assert!(cs.exited().is_none());

    broker.command("clear Produce");
    let s = cs.wait_committed(&ends, CATCH_UP).await;
    assert_eq!(counter(&s, "applied"), 20);
    assert_eq!(dead_lettered(&s), 1);
    let dlq = read_all(&broker.bootstrap, DLQ, 1, Duration::from_secs(30));
    assert_eq!(dlq.len(), 1, "exactly one copy");
    cs.wait_for("ready again", Duration::from_secs(30), |s| {
        s["ingest_problem"].is_null()
    })
    .await;
    assert!(cs.stop());
}

/// A dead-letter topic that refuses access stops ingest with one clear reason; the process
/// and its API stay up, no offset passes the message, and a restart after the fix is exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_dead_letter_stops_ingest_but_not_the_service() {
    let broker = ExternalBroker::mock(&tools(), &[TOPIC, DLQ], 1);
    let mut msgs = good_events(10, 0);
    msgs.push(("bad".into(), b"not json".to_vec()));
    msgs.extend(good_events(10, 10));
    let ends = produce(&broker.bootstrap, TOPIC, &msgs).await;
    broker.command("errors Produce TOPIC_AUTHORIZATION_FAILED 100000");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cs = Childstat::spawn(
        &tools(),
        &Setup::new(&broker.bootstrap, &dir.path().join("db.duckdb")),
    );
    let s = cs
        .wait_for("ingest stopped", CATCH_UP, |s| {
            s["ingest_problem"]
                .as_str()
                .is_some_and(|p| p.contains("ingest stopped"))
        })
        .await;
    assert!(
        committed(&s).get(&0).is_none_or(|next| *next <= 10),
        "no offset passes the refused message: {s}"
    );
    let (code, body) = cs.get("/readyz").await.expect("readyz");
    assert_eq!(code, 503);
    assert!(body["message"]
        .as_str()
        .unwrap_or_default()
        .contains("refuses"));
    let metrics = reqwest::get(cs.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("childstat_dead_letter_blocked 1"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(cs.exited().is_none(), "the process stays up");

    broker.command("clear Produce");
    assert!(cs.stop());
    cs.start();
    let s = cs.wait_committed(&ends, CATCH_UP).await;
    assert_eq!(counter(&s, "consumed"), 21);
    assert_eq!(counter(&s, "applied"), 20);
    assert_eq!(dead_lettered(&s), 1);
    assert!(cs.stop());
}

/// Another member joins the group in the middle of a catch-up and leaves again: every
/// counter and the dead-letter topic end exact, and committed offsets never go backwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebalance_during_catch_up_loses_and_repeats_nothing_tansu() {
    let t = tools();
    if t.have_tansu("rebalance_tansu") {
        let size = Size {
            events: 6_000,
            batch_size: 100,
            seed: 43,
            manual_assignment: false,
        };
        let o = scenarios::rebalance(&t, Kind::Tansu, size).await;
        o.assert_exact();
        assert_eq!(o.extra_dead_letter_copies, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebalance_during_catch_up_loses_and_repeats_nothing_mock() {
    let size = Size {
        events: 6_000,
        batch_size: 100,
        seed: 44,
        manual_assignment: false,
    };
    let o = scenarios::rebalance(&tools(), Kind::Mock, size).await;
    o.assert_exact();
    assert_eq!(o.extra_dead_letter_copies, 0);
}
