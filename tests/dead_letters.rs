//! Bad messages land on the dead-letter topic with their reason and origin; the good ones
//! around them are applied and the partition keeps moving.

mod common;

use childstat::StartOptions;
use common::events::{kv, opened};
use common::{Env, DLQ};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::ClientConfig;
use std::collections::HashMap;
use std::time::Duration;

fn header(m: &rdkafka::message::BorrowedMessage<'_>, key: &str) -> Option<String> {
    let h = m.headers()?;
    h.iter()
        .find(|h| h.key == key)
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_are_dead_lettered_with_reason_and_origin() {
    let env = Env::new(1);
    let good = |i: usize| {
        kv(&opened(
            &format!("e{i}"),
            &format!("I{i}"),
            "Z03",
            "2026-10-01T12:00:00Z",
        ))
    };
    let huge = format!("{{\"v\":1,\"pad\":\"{}\"}}", "x".repeat(70 * 1024));
    let bad: Vec<(&str, String)> = vec![
        ("malformed_json", "{\"v\":1,".into()),
        ("unsupported_version", r#"{"v":2,"event_id":"x","type":"investigation_closed"}"#.into()),
        ("unknown_type", r#"{"v":1,"event_id":"x","type":"investigation_reopened","occurred_at":"2026-10-01T00:00:00Z","zone":"Z01"}"#.into()),
        ("invalid_field", r#"{"v":1,"event_id":"x","type":"investigation_closed","occurred_at":"yesterday","zone":"Z01","investigation_id":"I1"}"#.into()),
        ("unknown_zone", r#"{"v":1,"event_id":"x","type":"investigation_closed","occurred_at":"2026-10-01T00:00:00Z","zone":"Z99","investigation_id":"I1"}"#.into()),
        ("future_timestamp", r#"{"v":1,"event_id":"x","type":"investigation_closed","occurred_at":"2099-10-01T00:00:00Z","zone":"Z01","investigation_id":"I1"}"#.into()),
        ("too_large", huge),
    ];
    let mut msgs = Vec::new();
    let mut expected: HashMap<i64, (&str, Vec<u8>)> = HashMap::new();
    for (i, (reason, payload)) in bad.iter().enumerate() {
        msgs.push(good(i));
        expected.insert(msgs.len() as i64, (reason, payload.clone().into_bytes()));
        msgs.push((format!("k{i}"), payload.clone().into_bytes()));
    }
    msgs.push(good(100));
    env.produce_to_partition(0, &msgs).await;

    let cfg = env.config();
    let p = env.start(&cfg, StartOptions::default()).await;
    env.wait_caught_up(&p, Duration::from_secs(60)).await;

    // The good messages around the bad ones are all applied.
    let c = p.pool.counters().expect("counters");
    assert_eq!(c.get("applied", ""), (bad.len() + 1) as i64);
    assert_eq!(c.get("consumed", ""), msgs.len() as i64);
    for (reason, _) in &bad {
        assert_eq!(c.get("dead_lettered", reason), 1, "{reason}");
    }
    let metrics = p.metrics.render();
    assert!(
        metrics.contains("childstat_events_dead_lettered_total{reason=\"unknown_zone\"} 1"),
        "{metrics}"
    );

    // Each dead letter carries the original bytes, the bare reason, a detail, and its origin.
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &env.brokers)
        .set("group.id", "dlq-reader")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("dlq consumer");
    consumer.subscribe(&[DLQ]).expect("subscribe");
    let mut seen = 0;
    while seen < bad.len() {
        let m = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .expect("dead letter within 30 s")
            .expect("dead letter");
        let offset: i64 = header(&m, "source_offset")
            .expect("source_offset")
            .parse()
            .expect("offset");
        let (reason, payload) = expected
            .get(&offset)
            .expect("a dead letter for a bad offset");
        assert_eq!(header(&m, "reason").as_deref(), Some(*reason));
        assert_eq!(header(&m, "source_topic").as_deref(), Some(common::TOPIC));
        assert_eq!(header(&m, "source_partition").as_deref(), Some("0"));
        assert!(header(&m, "detail").is_some_and(|d| !d.is_empty()));
        assert_eq!(
            m.payload().unwrap_or_default(),
            payload.as_slice(),
            "original bytes kept for {reason}"
        );
        seen += 1;
    }
    p.shutdown.cancel();
    p.wait().await.expect("clean stop");
}
