//! Small-cell suppression over random tables shaped like the real ones: rates never exceed
//! their denominators, linked parts are equal, citywide is the pooled total (the largest
//! zone for `caseload_max`).

use childstat_core::suppress::{decided_with, suppress, Row, SMALL_CELL_MAX};
use childstat_core::{Caseload, Indicator, IndicatorValue};
use proptest::prelude::*;

/// Amounts that often land on 0, in the small range, or just past it.
fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        2 => Just(0i64),
        3 => 1i64..=SMALL_CELL_MAX,
        3 => (SMALL_CELL_MAX + 1)..=40,
        1 => 41i64..=500,
    ]
}

/// A share of `den`: an index into 0..=den.
fn share() -> impl Strategy<Value = u32> {
    any::<u32>()
}

#[derive(Clone, Debug)]
struct Zone {
    /// (amount, share) per indicator, in `Indicator::ALL` order.
    draws: Vec<(i64, u32)>,
    /// The share picked for each linked member's numerator.
    extra: [u32; 3],
    max_share: u32,
}

/// Amounts with nothing in the small range.
fn large_amount() -> impl Strategy<Value = i64> {
    prop_oneof![Just(0i64), (SMALL_CELL_MAX + 1)..=500]
}

fn zone() -> impl Strategy<Value = Zone> {
    zone_of(amount())
}

fn zone_of(amount: impl Strategy<Value = i64>) -> impl Strategy<Value = Zone> {
    (
        prop::collection::vec((amount, share()), Indicator::ALL.len()),
        [share(), share(), share()],
        share(),
    )
        .prop_map(|(draws, extra, max_share)| Zone {
            draws,
            extra,
            max_share,
        })
}

fn part(den: i64, s: u32) -> i64 {
    i64::from(s) % (den + 1)
}

/// One zone's full list of values, honouring the identities between indicators. With
/// `large`, derived numerators in the small range become 11, so no cell is small.
fn values(z: &Zone, large: bool) -> Vec<IndicatorValue> {
    let fix = |n: i64| match n {
        1..=SMALL_CELL_MAX if large => SMALL_CELL_MAX + 1,
        n => n,
    };
    let part = |den: i64, s: u32| fix(part(den, s));
    let draw = |ind: Indicator| {
        let i = Indicator::ALL
            .iter()
            .position(|&x| x == ind)
            .expect("listed");
        z.draws[i]
    };
    let intakes = draw(Indicator::Intakes).0;
    let determined = draw(Indicator::IndicationRate).0;
    let cps = draw(Indicator::ActiveCps).0;
    let load = Caseload {
        active_cps: cps,
        total: if cps == 0 {
            0
        } else {
            draw(Indicator::CaseloadAvg).0
        },
        // The largest caseload is at least the average and at most the total.
        max: (cps > 0).then(|| {
            let total = draw(Indicator::CaseloadAvg).0;
            let avg = (total + cps - 1) / cps;
            fix(avg + part(total - avg, z.max_share))
        }),
        over_threshold: part(cps, draw(Indicator::CpsOverThreshold).1),
    };
    Indicator::ALL
        .iter()
        .map(|&ind| {
            let (n, s) = draw(ind);
            if let Some(v) = load.value(ind) {
                return v;
            }
            match ind {
                Indicator::RepeatWithin12mRate => {
                    IndicatorValue::from_sums(ind, part(intakes, s), intakes)
                }
                Indicator::SupervisoryReviewRate => {
                    IndicatorValue::from_sums(ind, part(determined, z.extra[0]), determined)
                }
                Indicator::AllChildrenSeenRate => {
                    IndicatorValue::from_sums(ind, part(determined, z.extra[1]), determined)
                }
                _ if ind.value() == childstat_core::indicator::Value::Rate => {
                    IndicatorValue::from_sums(ind, part(n, s), n)
                }
                _ => IndicatorValue::from_sums(ind, n, 0),
            }
        })
        .collect()
}

fn table(zones: &[Zone]) -> Vec<Row> {
    table_of(zones, false)
}

fn table_of(zones: &[Zone], large: bool) -> Vec<Row> {
    let lists: Vec<Vec<IndicatorValue>> = zones.iter().map(|z| values(z, large)).collect();
    Indicator::ALL
        .iter()
        .enumerate()
        .map(|(i, &ind)| {
            let cells: Vec<IndicatorValue> = lists.iter().map(|l| l[i].clone()).collect();
            let sum = |f: fn(&IndicatorValue) -> Option<i64>| cells.iter().filter_map(f).sum();
            let num: i64 = sum(|v| v.numerator);
            let den: i64 = sum(|v| v.denominator);
            let citywide = match ind {
                Indicator::CaseloadMax => Caseload {
                    max: cells.iter().filter_map(|v| v.numerator).max(),
                    ..Caseload::default()
                }
                .value(ind)
                .expect("caseload"),
                Indicator::CaseloadAvg => Caseload {
                    active_cps: den,
                    total: num,
                    ..Caseload::default()
                }
                .value(ind)
                .expect("caseload"),
                _ => IndicatorValue::from_sums(ind, num, den),
            };
            Row {
                indicator: ind,
                zones: cells,
                citywide,
            }
        })
        .collect()
}

fn small(v: Option<i64>) -> bool {
    matches!(v, Some(1..=SMALL_CELL_MAX))
}

fn row(rows: &[Row], ind: Indicator) -> &Row {
    rows.iter().find(|r| r.indicator == ind).expect("row")
}

type Part = fn(&IndicatorValue) -> Option<i64>;
const NUM: Part = |v| v.numerator;
const DEN: Part = |v| v.denominator;

fn additive_parts(ind: Indicator) -> &'static [Part] {
    match ind {
        Indicator::CaseloadMax => &[],
        Indicator::CaseloadAvg => &[NUM, DEN],
        _ if ind.value() == childstat_core::indicator::Value::Rate => &[NUM, DEN],
        _ => &[NUM],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn no_small_cell_is_visible(zones in prop::collection::vec(zone(), 1..=21)) {
        let before = table(&zones);
        let mut after = before.clone();
        suppress(&mut after);
        let workers = row(&before, Indicator::ActiveCps);
        for (b, a) in before.iter().zip(&after) {
            let cells = b.zones.iter().chain([&b.citywide]).zip(a.zones.iter().chain([&a.citywide]));
            for (col, (orig, shown)) in cells.enumerate() {
                if shown.suppressed {
                    prop_assert_eq!((shown.value, shown.numerator, shown.denominator), (None, None, None));
                    continue;
                }
                // Visible cells are published as they were.
                prop_assert_eq!(orig, shown);
                prop_assert!(!small(shown.numerator) && !small(shown.denominator),
                    "{} column {} shows {:?}", b.indicator, col, shown);
                if b.indicator == Indicator::CaseloadMax {
                    let w = workers.zones.iter().chain([&workers.citywide]).nth(col).and_then(|v| v.numerator);
                    prop_assert!(!small(w), "caseload_max shown over {:?} workers", w);
                }
            }
        }
    }

    #[test]
    fn no_hidden_zone_is_citywide_minus_the_visible_ones(zones in prop::collection::vec(zone(), 1..=21)) {
        let before = table(&zones);
        let mut after = before.clone();
        suppress(&mut after);
        for (b, a) in before.iter().zip(&after) {
            if a.citywide.suppressed {
                continue;
            }
            for part in additive_parts(b.indicator) {
                let total = part(&b.citywide).unwrap_or(0);
                let visible: i64 = b.zones.iter().zip(&a.zones)
                    .filter(|(_, s)| !s.suppressed)
                    .map(|(o, _)| part(o).unwrap_or(0))
                    .sum();
                for (z, (o, s)) in b.zones.iter().zip(&a.zones).enumerate() {
                    let hidden = part(o).unwrap_or(0);
                    // Zeros are publishable; a hidden zero may be deduced, a count may not.
                    if s.suppressed && hidden != 0 {
                        prop_assert_ne!(hidden, total - visible,
                            "{} zone {} recoverable by subtraction", b.indicator, z);
                    }
                }
            }
        }
    }

    #[test]
    fn linked_parts_are_hidden_together(zones in prop::collection::vec(zone(), 1..=21)) {
        let mut rows = table(&zones);
        suppress(&mut rows);
        let mask = |ind: Indicator| -> Vec<bool> {
            let r = row(&rows, ind);
            r.zones.iter().chain([&r.citywide]).map(|c| c.suppressed).collect()
        };
        prop_assert_eq!(mask(Indicator::Intakes), mask(Indicator::RepeatWithin12mRate));
        prop_assert_eq!(mask(Indicator::IndicationRate), mask(Indicator::SupervisoryReviewRate));
        prop_assert_eq!(mask(Indicator::IndicationRate), mask(Indicator::AllChildrenSeenRate));
        prop_assert_eq!(mask(Indicator::ActiveCps), mask(Indicator::CaseloadAvg));
    }

    #[test]
    fn a_group_alone_is_decided_as_in_the_full_table(zones in prop::collection::vec(zone(), 1..=21)) {
        let mut all = table(&zones);
        suppress(&mut all);
        for &ind in Indicator::ALL {
            let group = decided_with(ind);
            let mut alone: Vec<Row> = table(&zones).into_iter().filter(|r| group.contains(&r.indicator)).collect();
            alone.reverse();
            suppress(&mut alone);
            prop_assert_eq!(row(&alone, ind), row(&all, ind));
        }
    }

    #[test]
    fn nothing_is_hidden_when_nothing_is_small(zones in prop::collection::vec(zone_of(large_amount()), 1..=21)) {
        let before = table_of(&zones, true);
        let workers = row(&before, Indicator::ActiveCps);
        let any_small = before.iter().any(|r| r.zones.iter().chain([&r.citywide])
            .any(|c| small(c.numerator) || small(c.denominator)))
            || workers.zones.iter().chain([&workers.citywide]).any(|c| small(c.numerator));
        prop_assert!(!any_small, "the generator made a small cell");
        let mut after = before.clone();
        suppress(&mut after);
        prop_assert_eq!(after, before);
    }
}

#[test]
fn a_table_of_large_cells_is_left_alone() {
    let z = Zone {
        draws: vec![(400, 7); Indicator::ALL.len()],
        extra: [300, 301, 302],
        max_share: 20,
    };
    let before = table_of(&[z.clone(), z.clone(), z], true);
    let mut after = before.clone();
    suppress(&mut after);
    assert_eq!(after, before);
    assert!(after.iter().all(|r| !r.citywide.suppressed));
}
