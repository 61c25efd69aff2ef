//! Property: for every indicator, zone, window and history step, the product's incremental
//! aggregates equal a naive recomputation from `raw_events` (`common::recompute`), whatever
//! the delivery order and batch split, across both DST changes of 2026 in New York.

#[path = "all_indicators_props/adversarial.rs"]
mod adversarial;
mod common;

use childstat_aggregator::ReadPool;
use childstat_config::Config;
use childstat_core::{
    decode, Calendar, DecodeLimits, Dur, Event, Indicator, IndicatorValue, Step, Ts,
};
use childstat_sim::{SimConfig, Simulator};
use chrono::{Days, NaiveDate};
use common::recompute::{load, Naive, Value, INDICATORS};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const ZONES: [Option<&str>; 6] = [
    None,
    Some("Z01"),
    Some("Z02"),
    Some("Z07"),
    Some("Z13"),
    Some("OSI"),
];
const WINDOWS: [Dur; 3] = [Dur::days(7), Dur::days(28), Dur::days(91)];

/// A week around one DST change: the simulator starts on its Monday.
struct Case {
    start: &'static str,
    dst: (i32, u32, u32),
}

const SPRING: Case = Case {
    start: "2026-03-02T00:00:00-05:00",
    dst: (2026, 3, 8),
};
const FALL: Case = Case {
    start: "2026-10-26T00:00:00-04:00",
    dst: (2026, 11, 1),
};

fn cal() -> Calendar {
    Calendar::new(chrono_tz::America::New_York)
}

fn sim_events(start: Ts, seed: u64, n: usize) -> Vec<Event> {
    let zones = Config::embedded_defaults().zone_set();
    let sim = Simulator::new(SimConfig {
        seed,
        zones: zones.clone(),
        start,
        investigations_per_year: 60_000,
        duplicate_fraction: 0.05,
        invalid_fraction: 0.0,
    });
    let now = start.plus(Dur::days(400));
    sim.take(n)
        .filter_map(|m| decode(m.payload(), &zones, &DecodeLimits::default(), now).ok())
        .collect()
}

fn same(got: &IndicatorValue, want: &Value) -> bool {
    let value = match (got.value, want.0) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 1e-12,
        _ => false,
    };
    value && got.numerator == want.1 && got.denominator == want.2
}

fn show(v: &IndicatorValue) -> Value {
    (v.value, v.numerator, v.denominator)
}

/// Fails with the first few differences, so one run shows the pattern.
fn verdict(diffs: Vec<String>) -> Result<(), TestCaseError> {
    if diffs.is_empty() {
        return Ok(());
    }
    Err(TestCaseError::fail(format!(
        "{} differences (product vs naive), first:\n{}",
        diffs.len(),
        diffs[..diffs.len().min(12)].join("\n")
    )))
}

fn check_current(pool: &ReadPool, naive: &Naive, as_ofs: &[Ts], diffs: &mut Vec<String>) {
    for &as_of in as_ofs {
        for zone in ZONES {
            for w in WINDOWS {
                let got = pool.current(zone, w, as_of).expect("current");
                let want = naive.current(zone, w.0, as_of);
                assert_eq!(got.len(), want.len(), "indicator count");
                for v in &got {
                    let n = &want[v.name];
                    if !same(v, n) {
                        diffs.push(format!(
                            "current {} {zone:?} {}d @ {as_of:?}: {:?} vs {n:?}",
                            v.name,
                            w.0 / Dur::days(1).0,
                            show(v)
                        ));
                    }
                }
            }
        }
    }
}

fn check_history(
    pool: &ReadPool,
    naive: &Naive,
    dst: NaiveDate,
    as_of: Ts,
    diffs: &mut Vec<String>,
) {
    let around = |before: u64, after: u64| (dst - Days::new(before), dst + Days::new(after));
    let ranges = [
        (Step::Day, around(3, 3)),
        (Step::Week, around(14, 14)),
        (Step::Month, around(62, 31)),
    ];
    for zone in ZONES {
        for &ind in Indicator::ALL {
            for (step, (from, to)) in ranges {
                let got = pool
                    .history(zone, ind, from, to, step, as_of)
                    .expect("history");
                let want = naive.history(zone, ind.name(), from, to, step, as_of);
                assert_eq!(got.len(), want.len(), "{ind} {step:?} bucket count");
                for (g, (start, w)) in got.iter().zip(&want) {
                    assert_eq!(g.bucket_start, *start, "bucket starts");
                    if !same(&g.value, w) {
                        diffs.push(format!(
                            "history {ind} {zone:?} {} {start} as_of {as_of:?}: {:?} vs {w:?}",
                            step.as_str(),
                            show(&g.value)
                        ));
                    }
                }
            }
        }
    }
}

/// One case: the simulator's stream, the adversarial events, and how they are delivered.
#[derive(Clone, Debug)]
struct Params {
    seed: u64,
    messages: usize,
    adversarial_seed: u64,
    shuffle_seed: u64,
    cuts: Vec<usize>,
    /// The last `as_of`: this far after the simulator's start.
    extra_ns: i64,
    /// Which `as_of` the history is read at.
    history_pick: usize,
}

fn params() -> impl Strategy<Value = Params> {
    (
        0u64..1_000,
        1_700usize..2_000,
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(0usize..3_000, 0..8),
        0i64..Dur::days(14).0,
        0usize..3,
    )
        .prop_map(
            |(seed, messages, adversarial_seed, shuffle_seed, cuts, extra_ns, history_pick)| {
                Params {
                    seed,
                    messages,
                    adversarial_seed,
                    shuffle_seed,
                    cuts,
                    extra_ns,
                    history_pick,
                }
            },
        )
}

fn run_case(case: &Case, p: &Params) -> Result<(), TestCaseError> {
    let cal = cal();
    let start = Ts::parse_rfc3339(case.start).expect("start");
    let dst = NaiveDate::from_ymd_opt(case.dst.0, case.dst.1, case.dst.2).expect("date");
    let midnight = |days_after_dst: i64| {
        let d = if days_after_dst >= 0 {
            dst + Days::new(days_after_dst as u64)
        } else {
            dst - Days::new(days_after_dst.unsigned_abs())
        };
        cal.start_of_date(d)
    };
    // The clock jumps two hours after local midnight on the DST day, either way.
    let dst_instant = midnight(0).plus(Dur::hours(2));
    let as_ofs = [
        midnight(-5),
        start.plus(Dur::hours(30)),
        midnight(0),
        dst_instant,
        midnight(1),
        start.plus(Dur(p.extra_ns)),
    ];
    let mut anchors = as_ofs.to_vec();
    anchors.extend([midnight(-1), midnight(2), dst_instant.minus(Dur(1))]);

    let sim = sim_events(start, p.seed, p.messages);
    let adv = adversarial::generate(p.adversarial_seed, &anchors, dst_instant, &sim);
    let mut events = sim;
    events.extend(adv.events);
    // Deliver out of order, then the held-back openings after everything else.
    let mut rng = adversarial::Rng::new(p.shuffle_seed);
    for i in (1..events.len()).rev() {
        events.swap(i, rng.below(i + 1));
    }
    events.extend(adv.last);

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("all.duckdb");
    let common::events::AppliedStore {
        mut store,
        index: pool,
        sql,
    } = common::events::apply_in_batches(
        &path,
        &common::events::accepted(events, 0),
        &p.cuts,
        start.plus(Dur::days(400)),
    );
    let naive = Naive::new(load(&path));

    let names: Vec<&str> = Indicator::ALL.iter().map(|i| i.name()).collect();
    let naive_names: Vec<&str> = INDICATORS.iter().map(|(n, _)| *n).collect();
    prop_assert_eq!(names, naive_names, "both catalogues list every indicator");

    // The fixed scenes make every indicator non-zero here, so zeros never pass for equality.
    let at_pivot = naive.current(None, Dur::days(91).0, dst_instant);
    for (name, v) in &at_pivot {
        prop_assert!(
            v.1.is_some_and(|n| n > 0),
            "{} is {:?} at the DST instant",
            name,
            v
        );
    }

    // Three read paths, one truth: the serving index maintained batch by batch, plain SQL
    // over the last checkpoint and the batches folded after it, and an index loaded from
    // the file afterwards that keeps single ledger rows only from the DST day on, so reads
    // before it fall back to SQL and reads after cut days in memory. Loading that index
    // writes a checkpoint, so the first two are read before it.
    let history_as_of = [dst_instant, midnight(1), as_ofs[5]][p.history_pick % 3];
    let mut diffs = Vec::new();
    let mut check = |name: &str, pool: &ReadPool| {
        let mut found = Vec::new();
        check_current(pool, &naive, &as_ofs, &mut found);
        // History is the slow part (a caseload query per bucket), so one `as_of` per case.
        check_history(pool, &naive, dst, history_as_of, &mut found);
        diffs.extend(found.into_iter().map(|d| format!("[{name}] {d}")));
    };
    check("index", &pool);
    check("sql", &sql);
    let cut = store
        .read_pool_with_detail_from(1, childstat_core::calendar::day_num(dst))
        .expect("cut pool");
    check("cut index", &cut);
    verdict(diffs)
}

proptest! {
    // Shrinking re-runs whole cases (seconds each) and seeds do not shrink meaningfully.
    #![proptest_config(ProptestConfig { cases: 4, max_shrink_iters: 8, ..ProptestConfig::default() })]

    #[test]
    fn every_indicator_equals_recomputation_across_spring_forward(p in params()) {
        run_case(&SPRING, &p)?;
    }

    #[test]
    fn every_indicator_equals_recomputation_across_fall_back(p in params()) {
        run_case(&FALL, &p)?;
    }
}
