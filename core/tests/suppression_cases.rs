//! Small-cell suppression, worked by hand.

use childstat_core::suppress::{decided_with, suppress, suppress_table, Row};
use childstat_core::{Caseload, Indicator, IndicatorValue, CITYWIDE};

fn count_row(ind: Indicator, zones: &[i64]) -> Row {
    Row {
        indicator: ind,
        zones: zones
            .iter()
            .map(|&n| IndicatorValue::from_sums(ind, n, 0))
            .collect(),
        citywide: IndicatorValue::from_sums(ind, zones.iter().sum(), 0),
    }
}

fn rate_row(ind: Indicator, zones: &[(i64, i64)]) -> Row {
    let (n, d) = zones.iter().fold((0, 0), |(a, b), (n, d)| (a + n, b + d));
    Row {
        indicator: ind,
        zones: zones
            .iter()
            .map(|&(n, d)| IndicatorValue::from_sums(ind, n, d))
            .collect(),
        citywide: IndicatorValue::from_sums(ind, n, d),
    }
}

/// Which zone cells are hidden, and whether citywide is.
fn hidden(row: &Row) -> (Vec<usize>, bool) {
    let zones = row
        .zones
        .iter()
        .enumerate()
        .filter(|(_, c)| c.suppressed)
        .map(|(i, _)| i)
        .collect();
    (zones, row.citywide.suppressed)
}

#[test]
fn a_lone_small_count_takes_the_smallest_nonzero_other_zone_with_it() {
    let mut rows = vec![count_row(Indicator::Intakes, &[40, 7, 0, 25, 13, 25])];
    suppress(&mut rows);
    // Zone 1 is small; zone 2 is zero and publishable; zone 4 (13) is the smallest
    // non-zero visible cell.
    assert_eq!(hidden(&rows[0]), (vec![1, 4], false));
    let z1 = &rows[0].zones[1];
    assert_eq!(
        (z1.value, z1.numerator, z1.denominator, z1.suppressed),
        (None, None, None, true)
    );
    assert_eq!(rows[0].zones[0].numerator, Some(40));
    assert_eq!(rows[0].citywide.numerator, Some(110));
}

#[test]
fn ties_go_to_the_first_zone_in_order() {
    let mut rows = vec![count_row(Indicator::OpenInvestigations, &[30, 3, 12, 12])];
    suppress(&mut rows);
    assert_eq!(hidden(&rows[0]), (vec![1, 2], false));
}

#[test]
fn zeros_and_eleven_are_published() {
    let mut rows = vec![count_row(Indicator::ChildrenRemoved, &[0, 11, 0, 40])];
    let before = rows.clone();
    suppress(&mut rows);
    assert_eq!(rows, before);
}

#[test]
fn two_small_zones_need_no_complement() {
    let mut rows = vec![count_row(Indicator::EcsInvolved, &[30, 2, 9, 14])];
    suppress(&mut rows);
    assert_eq!(hidden(&rows[0]), (vec![1, 2], false));
}

#[test]
fn a_small_total_is_hidden_and_then_needs_no_complement() {
    let mut rows = vec![count_row(Indicator::OverdueContact, &[0, 4, 0, 0, 0])];
    suppress(&mut rows);
    assert_eq!(hidden(&rows[0]), (vec![1], true));
}

#[test]
fn a_rate_is_hidden_when_its_numerator_or_denominator_is_small() {
    let mut rows = vec![rate_row(
        Indicator::Contact24hRate,
        &[(90, 100), (3, 40), (20, 20), (8, 8), (0, 0), (15, 30)],
    )];
    suppress(&mut rows);
    // Zone 1's numerator and zone 3's both parts are small; with two hidden, no
    // complement. Zone 4 (0 of 0) is a null rate, not a suppressed one.
    assert_eq!(hidden(&rows[0]), (vec![1, 3], false));
    assert_eq!(rows[0].zones[4].value, None);
    assert!(!rows[0].zones[4].suppressed);
}

#[test]
fn each_part_of_a_rate_gets_its_own_complement() {
    let mut rows = vec![rate_row(
        Indicator::SafetyAssessment7dRate,
        &[(50, 60), (0, 5), (12, 20), (11, 40), (30, 45)],
    )];
    suppress(&mut rows);
    // Zone 1 hides for its denominator (5); its numerator is 0, so only the denominator
    // row needs a partner: zone 2 (20). That puts zone 2's numerator (12) alone among the
    // hidden numerators, so the numerator row takes zone 3 (11) as well.
    assert_eq!(hidden(&rows[0]), (vec![1, 2, 3], false));
}

#[test]
fn with_no_nonzero_partner_left_the_total_is_hidden() {
    // Zone 0's indication rate (3 of 40) is small. The supervisory-review rate has the same
    // members, so its zone-0 cell (35 of 40) goes too; no other zone has any, so only the
    // citywide cell can keep 35 from being read off.
    let mut rows = vec![
        rate_row(Indicator::IndicationRate, &[(3, 40), (0, 0), (0, 0)]),
        rate_row(
            Indicator::SupervisoryReviewRate,
            &[(35, 40), (0, 0), (0, 0)],
        ),
    ];
    suppress(&mut rows);
    assert_eq!(hidden(&rows[0]), (vec![0], true));
    assert_eq!(hidden(&rows[1]), (vec![0], true));
}

#[test]
fn linked_indicators_hide_the_same_zones() {
    let mut rows = vec![
        count_row(Indicator::Intakes, &[40, 30, 60, 25]),
        rate_row(
            Indicator::RepeatWithin12mRate,
            &[(12, 40), (4, 30), (20, 60), (11, 25)],
        ),
    ];
    suppress(&mut rows);
    // Repeat zone 1 (4 of 30) is small; intakes zone 1 (30) must go too, else the repeat
    // denominators give it away. Then each row needs a partner: zone 3 (25, smallest).
    assert_eq!(hidden(&rows[0]), (vec![1, 3], false));
    assert_eq!(hidden(&rows[1]), (vec![1, 3], false));
}

#[test]
fn caseload_max_is_hidden_behind_few_workers() {
    let loads = [
        Caseload {
            active_cps: 20,
            total: 200,
            max: Some(18),
            over_threshold: 3,
        },
        Caseload {
            active_cps: 3,
            total: 60,
            max: Some(25),
            over_threshold: 3,
        },
        Caseload {
            active_cps: 15,
            total: 150,
            max: Some(14),
            over_threshold: 0,
        },
    ];
    let city = Caseload {
        active_cps: 38,
        total: 410,
        max: Some(25),
        over_threshold: 6,
    };
    let row = |ind: Indicator| Row {
        indicator: ind,
        zones: loads
            .iter()
            .map(|l| {
                l.value(ind)
                    .unwrap_or_else(|| IndicatorValue::from_sums(ind, l.active_cps, 0))
            })
            .collect(),
        citywide: city
            .value(ind)
            .unwrap_or_else(|| IndicatorValue::from_sums(ind, city.active_cps, 0)),
    };
    let mut rows = vec![
        row(Indicator::ActiveCps),
        row(Indicator::CaseloadAvg),
        row(Indicator::CaseloadMax),
    ];
    suppress(&mut rows);
    // Zone 1's max (25) is not small, but three workers are; without a partner the
    // citywide maximum (25) would name it.
    assert_eq!(hidden(&rows[2]), (vec![1, 2], false));
    assert_eq!(hidden(&rows[0]), (vec![1, 2], false));
    assert_eq!(hidden(&rows[1]), (vec![1, 2], false));
}

#[test]
fn groups_are_decided_together() {
    assert_eq!(
        decided_with(Indicator::Intakes),
        &[Indicator::Intakes, Indicator::RepeatWithin12mRate]
    );
    assert!(decided_with(Indicator::CaseloadMax).contains(&Indicator::ActiveCps));
    assert_eq!(
        decided_with(Indicator::ChildrenRemoved),
        &[Indicator::ChildrenRemoved]
    );
    for &ind in Indicator::ALL {
        let g = decided_with(ind);
        assert!(g.contains(&ind), "{ind}");
        for &other in g {
            assert_eq!(decided_with(other), g, "{ind} and {other}");
        }
    }
}

#[test]
fn table_form_marks_and_serializes_hidden_cells() {
    let list = |intakes: i64| -> Vec<IndicatorValue> {
        Indicator::ALL
            .iter()
            .map(|&ind| {
                let n = if ind == Indicator::Intakes {
                    intakes
                } else {
                    0
                };
                let d = if ind == Indicator::RepeatWithin12mRate {
                    intakes
                } else {
                    0
                };
                IndicatorValue::from_sums(ind, n, d)
            })
            .collect()
    };
    let mut table = vec![
        ("Z01".to_string(), list(50)),
        ("Z02".to_string(), list(6)),
        ("Z03".to_string(), list(30)),
        (CITYWIDE.to_string(), list(86)),
    ];
    suppress_table(&mut table);
    let get = |zone: usize, ind: Indicator| {
        table[zone]
            .1
            .iter()
            .find(|v| v.name == ind.name())
            .cloned()
            .expect("present")
    };
    for ind in [Indicator::Intakes, Indicator::RepeatWithin12mRate] {
        assert!(!get(0, ind).suppressed);
        assert!(get(1, ind).suppressed);
        assert!(get(2, ind).suppressed);
        assert!(!get(3, ind).suppressed);
    }
    let shown = serde_json::to_value(get(1, Indicator::Intakes)).expect("json");
    assert_eq!(
        shown,
        serde_json::json!({"name": "intakes", "value": null, "numerator": null,
            "denominator": null, "suppressed": true})
    );
    let plain = serde_json::to_value(get(0, Indicator::Intakes)).expect("json");
    assert!(plain.get("suppressed").is_none(), "{plain}");
}
