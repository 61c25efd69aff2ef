use childstat_sim::{SimConfig, SimMessage, Simulator};

fn config(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        duplicate_fraction: 0.02,
        invalid_fraction: 0.01,
        ..SimConfig::default()
    }
}

fn payloads(cfg: SimConfig, n: usize) -> Vec<Vec<u8>> {
    Simulator::new(cfg)
        .take(n)
        .map(|m| m.payload().to_vec())
        .collect()
}

#[test]
fn same_seed_same_bytes() {
    assert_eq!(payloads(config(42), 30_000), payloads(config(42), 30_000));
}

#[test]
fn different_seeds_differ() {
    let a = payloads(config(1), 5_000);
    let b = payloads(config(2), 5_000);
    let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
    assert!(same < 50, "{same} identical messages");
}

#[test]
fn ndjson_matches_the_stream() {
    let mut out = Vec::new();
    let mut sim = Simulator::new(config(9));
    childstat_sim::write_ndjson(&mut sim, 2_000, &mut out).unwrap();
    let lines: Vec<&[u8]> = out.split(|b| *b == b'\n').collect();
    assert_eq!(lines.len(), 2_001);
    assert!(lines[2_000].is_empty());
    let expected = payloads(config(9), 2_000);
    for (line, payload) in lines.iter().zip(&expected) {
        assert_eq!(line, &payload.as_slice());
    }
}

/// Faults come from their own random stream, so switching them on leaves the valid events
/// untouched: consumers can compare a clean run with a noisy one.
#[test]
fn faults_do_not_perturb_valid_events() {
    let valid = |cfg: SimConfig| -> Vec<Vec<u8>> {
        Simulator::new(cfg)
            .take(20_000)
            .filter_map(|m| match m {
                SimMessage::Valid { payload, .. } => Some(payload),
                _ => None,
            })
            .collect()
    };
    let clean = SimConfig {
        duplicate_fraction: 0.0,
        invalid_fraction: 0.0,
        ..config(5)
    };
    let noisy = valid(config(5));
    let clean = valid(clean);
    assert!(noisy.len() < clean.len());
    assert_eq!(noisy[..], clean[..noisy.len()]);
}

#[test]
fn peek_time_is_the_next_publish_time_and_never_goes_back() {
    let mut sim = Simulator::new(config(3));
    let mut last = childstat_core::Ts::MIN;
    for _ in 0..20_000 {
        let peeked = sim.peek_time();
        let msg = sim.next_message();
        assert_eq!(peeked, msg.publish_time());
        assert!(peeked >= last, "{peeked:?} after {last:?}");
        last = peeked;
    }
}

#[test]
fn bad_configs_are_rejected() {
    assert!(Simulator::try_new(SimConfig {
        duplicate_fraction: 1.5,
        ..SimConfig::default()
    })
    .is_err());
    assert!(Simulator::try_new(SimConfig {
        invalid_fraction: f64::NAN,
        ..SimConfig::default()
    })
    .is_err());
    let empty = childstat_core::ZoneSet::new(Vec::new());
    assert!(Simulator::try_new(SimConfig {
        zones: empty,
        ..SimConfig::default()
    })
    .is_err());
}

#[test]
fn zero_intakes_still_streams_staff_changes() {
    let cfg = SimConfig {
        investigations_per_year: 0,
        ..config(4)
    };
    let msgs: Vec<SimMessage> = Simulator::new(cfg).take(3_000).collect();
    assert_eq!(msgs.len(), 3_000);
}
