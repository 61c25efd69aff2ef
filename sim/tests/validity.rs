use childstat_core::{decode, DecodeLimits, ZoneSet};
use childstat_sim::{SimConfig, SimMessage, Simulator};
use std::collections::{HashMap, HashSet};

#[test]
fn every_message_decodes_as_labelled() {
    let zones = ZoneSet::standard();
    let limits = DecodeLimits::default();
    let cfg = SimConfig {
        seed: 11,
        duplicate_fraction: 0.03,
        invalid_fraction: 0.03,
        ..SimConfig::default()
    };
    let mut sent: HashMap<String, Vec<u8>> = HashMap::new();
    let mut reasons: HashMap<&'static str, usize> = HashMap::new();
    for msg in Simulator::new(cfg).take(150_000) {
        // The simulated clock is the wall clock a consumer would judge future stamps by.
        let now = msg.publish_time();
        assert!(!msg.payload().contains(&b'\n'), "raw newline in a payload");
        match &msg {
            SimMessage::Valid {
                key,
                payload,
                event,
            } => {
                let decoded = decode(payload, &zones, &limits, now)
                    .unwrap_or_else(|r| panic!("{r}: {}", String::from_utf8_lossy(payload)));
                assert_eq!(&decoded, event, "{}", String::from_utf8_lossy(payload));
                assert_eq!(key, event.body.key());
                assert!(event.recorded_at >= event.occurred_at);
                let first = sent.insert(event.event_id.clone(), payload.clone());
                assert!(first.is_none(), "event id {} reused", event.event_id);
            }
            SimMessage::Duplicate { payload, event, .. } => {
                assert_eq!(sent.get(&event.event_id), Some(payload), "not a re-send");
                assert_eq!(
                    &decode(payload, &zones, &limits, now).expect("duplicate decodes"),
                    event
                );
            }
            SimMessage::Invalid {
                payload, reason, ..
            } => {
                let got = decode(payload, &zones, &limits, now);
                match got {
                    Ok(_) => panic!(
                        "accepted, expected {reason}: {}",
                        String::from_utf8_lossy(payload)
                    ),
                    Err(r) => assert_eq!(
                        r.reason.as_str(),
                        *reason,
                        "{r}: {}",
                        String::from_utf8_lossy(&payload[..payload.len().min(400)])
                    ),
                }
                *reasons.entry(reason).or_default() += 1;
            }
        }
    }
    for reason in [
        "malformed_json",
        "unsupported_version",
        "unknown_type",
        "invalid_field",
        "unknown_zone",
        "future_timestamp",
    ] {
        assert!(
            reasons.get(reason).copied().unwrap_or(0) > 50,
            "{reason}: {reasons:?}"
        );
    }
}

#[test]
fn ids_are_pseudonymous_and_bounded() {
    let cfg = SimConfig {
        seed: 12,
        ..SimConfig::default()
    };
    let mut workers = HashSet::new();
    for msg in Simulator::new(cfg).take(30_000) {
        let Some(event) = msg.event() else { continue };
        assert!(event.event_id.len() <= 128);
        if let childstat_core::Body::WorkerStatusChanged { worker_id, .. } = &event.body {
            assert!(
                worker_id.len() == 8 && worker_id.starts_with('W'),
                "{worker_id}"
            );
            assert!(worker_id[1..].bytes().all(|b| b.is_ascii_digit()));
            workers.insert(worker_id.clone());
        }
    }
    assert!(
        (900..1_700).contains(&workers.len()),
        "{} workers",
        workers.len()
    );
}
