//! Property: whatever the batch split and delivery order, the incremental state equals a
//! naive recomputation from the raw events, and equals a one-batch application.

mod common;

use childstat_core::{Accepted, Dur, Ts};
use common::recompute::{load, Naive};
use proptest::prelude::*;

fn accepted(seed: u64, n: usize) -> Vec<Accepted> {
    common::sim_accepted(seed, n, 0.05)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn any_split_and_order_equals_recomputation(
        seed in 0u64..1_000,
        cuts in prop::collection::vec(0usize..2_000, 0..8),
        shuffle_seed in any::<u64>(),
    ) {
        let mut events = accepted(seed, 1_500);
        // Deliver out of order: a deterministic shuffle of the whole stream.
        let mut x = shuffle_seed | 1;
        for i in (1..events.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            events.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let split = dir.path().join("split.duckdb");
        let whole = dir.path().join("whole.duckdb");
        let now = Ts::parse_rfc3339("2026-11-01T00:00:00Z").expect("ts");
        let s = common::events::apply_in_batches(&split, &events, &cuts, now);
        let pool = &s.index;
        let w = common::events::apply_in_batches(&whole, &events, &[], now);
        let wpool = &w.sql;
        let naive = Naive::new(load(&split));
        let t0 = common::sim_start();
        for as_of in [t0.plus(Dur::hours(30)), t0.plus(Dur::hours(50)), t0.plus(Dur::days(4))] {
            for zone in [None, Some("Z01"), Some("Z02"), Some("Z13"), Some("OSI")] {
                for w in [Dur::days(7), Dur::days(28)] {
                    let got = pool.current(zone, w, as_of).expect("query");
                    prop_assert_eq!(&got, &wpool.current(zone, w, as_of).expect("query"));
                    for (name, (num, den)) in naive.spine(zone, w.0, as_of) {
                        let v = got.iter().find(|v| v.name == name).expect("present");
                        prop_assert_eq!(v.numerator, Some(num), "{} {:?} {:?}", name, zone, as_of);
                        if name.ends_with("_rate") {
                            prop_assert_eq!(v.denominator, Some(den), "{} {:?}", name, zone);
                        }
                    }
                }
            }
        }
    }
}
