use super::*;
use std::cell::Cell;

fn t(s: &str) -> Ts {
    Ts::parse_rfc3339(s).expect("test instant")
}

fn contact_rule(hold: Dur) -> AlertRule {
    AlertRule {
        name: "contact_24h_low".into(),
        indicator: Indicator::Contact24hRate,
        op: Op::Lt,
        threshold: 0.90,
        zone_thresholds: BTreeMap::from([("Z07".to_string(), 0.85)]),
        window: Window::D28,
        hold,
        severity: Severity::Critical,
        runbook: "Review the zone's overdue contacts.".into(),
    }
}

fn zones() -> Vec<String> {
    ["Z01", "Z07", "citywide"].map(String::from).to_vec()
}

/// The board with one rule, fed the same value in every zone.
fn board(hold: Dur) -> AlertBoard {
    AlertBoard::new(vec![contact_rule(hold)], &zones())
}

fn status<'a>(b: &'a AlertBoard, zone: &str) -> &'a ZoneStatus {
    let (_, statuses) = b.iter().next().expect("one rule");
    statuses.iter().find(|s| s.zone == zone).expect("zone")
}

fn everywhere(v: Option<f64>) -> impl Fn(&str, Window, Indicator) -> Option<f64> {
    move |_, _, _| v
}

#[test]
fn ops_compare_value_to_threshold() {
    assert!(Op::Lt.holds(0.89, 0.9) && !Op::Lt.holds(0.9, 0.9));
    assert!(Op::Le.holds(0.9, 0.9) && !Op::Le.holds(0.91, 0.9));
    assert!(Op::Gt.holds(13.0, 12.0) && !Op::Gt.holds(12.0, 12.0));
    assert!(Op::Ge.holds(12.0, 12.0) && !Op::Ge.holds(11.9, 12.0));
}

#[test]
fn starts_inactive_with_no_value() {
    let b = board(Dur::hours(1));
    assert_eq!(b.evaluated_at(), None);
    let s = status(&b, "Z01");
    assert_eq!(s.state, AlertState::Inactive);
    assert_eq!(
        (s.value, s.pending_since, s.firing_since),
        (None, None, None)
    );
    assert_eq!(s.threshold, 0.90);
    assert_eq!(status(&b, "Z07").threshold, 0.85);
}

#[test]
fn pending_then_firing_after_for_then_resolved() {
    let mut b = board(Dur::hours(1));
    let t0 = t("2026-11-02T10:00:00Z");
    let changes = b.evaluate(t0, everywhere(Some(0.80)));
    assert_eq!(changes.len(), 3, "every zone breaches");
    assert!(changes
        .iter()
        .all(|c| c.from == AlertState::Inactive && c.to == AlertState::Pending));
    let s = status(&b, "Z01");
    assert_eq!(s.state, AlertState::Pending);
    assert_eq!((s.pending_since, s.firing_since), (Some(t0), None));
    assert_eq!(s.value, Some(0.80));

    // One nanosecond short of `for`: still pending, and nothing changed.
    let almost = t("2026-11-02T10:59:59.999999999Z");
    assert!(b.evaluate(almost, everywhere(Some(0.80))).is_empty());
    assert_eq!(status(&b, "Z01").state, AlertState::Pending);

    let t1 = t("2026-11-02T11:00:00Z");
    let changes = b.evaluate(t1, everywhere(Some(0.81)));
    assert_eq!(changes.len(), 3);
    assert_eq!(changes[0].to, AlertState::Firing);
    assert_eq!(changes[0].value, Some(0.81));
    let s = status(&b, "Z01");
    assert_eq!(s.state, AlertState::Firing);
    assert_eq!((s.pending_since, s.firing_since), (Some(t0), Some(t1)));

    // Staying in breach keeps the original start times.
    let t2 = t("2026-11-02T12:00:00Z");
    assert!(b.evaluate(t2, everywhere(Some(0.70))).is_empty());
    assert_eq!(status(&b, "Z01").firing_since, Some(t1));

    let t3 = t("2026-11-02T12:00:30Z");
    let changes = b.evaluate(t3, everywhere(Some(0.95)));
    assert!(changes
        .iter()
        .all(|c| c.from == AlertState::Firing && c.to == AlertState::Inactive));
    let s = status(&b, "Z01");
    assert_eq!(s.state, AlertState::Inactive);
    assert_eq!((s.pending_since, s.firing_since), (None, None));
    assert_eq!(s.value, Some(0.95));
    assert_eq!(b.evaluated_at(), Some(t3));
}

#[test]
fn for_zero_fires_at_the_first_breach() {
    let mut b = board(Dur(0));
    let t0 = t("2026-11-02T10:00:00Z");
    let changes = b.evaluate(t0, everywhere(Some(0.5)));
    assert!(changes
        .iter()
        .all(|c| c.from == AlertState::Inactive && c.to == AlertState::Firing));
    let s = status(&b, "citywide");
    assert_eq!(s.state, AlertState::Firing);
    assert_eq!((s.pending_since, s.firing_since), (Some(t0), Some(t0)));
}

#[test]
fn flapping_restarts_the_for_clock() {
    let mut b = board(Dur::hours(1));
    let values = [0.8, 0.95, 0.8, 0.8, 0.8];
    let times = [
        "2026-11-02T10:00:00Z",
        "2026-11-02T10:40:00Z", // recovered: pending is dropped
        "2026-11-02T10:50:00Z", // breached again: a new pending_since
        "2026-11-02T11:10:00Z", // 80 min after the first breach, 20 after the second
        "2026-11-02T11:50:00Z",
    ];
    let mut states = Vec::new();
    for (v, at) in values.iter().zip(times) {
        b.evaluate(t(at), everywhere(Some(*v)));
        states.push(status(&b, "Z01").state);
    }
    use AlertState::*;
    assert_eq!(states, [Pending, Inactive, Pending, Pending, Firing]);
    let s = status(&b, "Z01");
    assert_eq!(s.pending_since, Some(t("2026-11-02T10:50:00Z")));
    assert_eq!(s.firing_since, Some(t("2026-11-02T11:50:00Z")));
}

#[test]
fn zone_override_replaces_the_threshold_in_that_zone_only() {
    let mut b = board(Dur(0));
    // 0.87 breaches the default 0.90 but not Z07's 0.85.
    b.evaluate(t("2026-11-02T10:00:00Z"), everywhere(Some(0.87)));
    assert_eq!(status(&b, "Z01").state, AlertState::Firing);
    assert_eq!(status(&b, "citywide").state, AlertState::Firing);
    assert_eq!(status(&b, "Z07").state, AlertState::Inactive);
    assert_eq!(status(&b, "Z07").value, Some(0.87));

    b.evaluate(t("2026-11-02T10:01:00Z"), everywhere(Some(0.84)));
    assert_eq!(status(&b, "Z07").state, AlertState::Firing);
}

#[test]
fn no_data_is_not_a_breach() {
    let mut b = board(Dur(0));
    b.evaluate(t("2026-11-02T10:00:00Z"), everywhere(Some(0.5)));
    assert_eq!(status(&b, "Z01").state, AlertState::Firing);
    // The denominator dropped to 0: the rate is null, which resolves the alert.
    let changes = b.evaluate(t("2026-11-02T10:01:00Z"), everywhere(None));
    assert_eq!(changes.len(), 3);
    let s = status(&b, "Z01");
    assert_eq!((s.state, s.value), (AlertState::Inactive, None));
}

#[test]
fn each_zone_is_read_with_the_rule_window_and_indicator() {
    let mut b = board(Dur(0));
    let asked = Cell::new(0);
    b.evaluate(t("2026-11-02T10:00:00Z"), |zone, w, ind| {
        asked.set(asked.get() + 1);
        assert_eq!((w, ind), (Window::D28, Indicator::Contact24hRate));
        (zone == "Z01").then_some(0.1)
    });
    assert_eq!(asked.get(), 3);
    assert_eq!(status(&b, "Z01").state, AlertState::Firing);
    assert_eq!(status(&b, "citywide").state, AlertState::Inactive);
}

#[test]
fn windows_are_listed_once() {
    let mut other = contact_rule(Dur(0));
    other.name = "other".into();
    other.window = Window::D7;
    let b = AlertBoard::new(
        vec![contact_rule(Dur(0)), other, contact_rule(Dur(0))],
        &zones(),
    );
    assert_eq!(b.windows(), [Window::D7, Window::D28]);
    assert_eq!(b.zones(), zones());
}

#[test]
fn breaches_judge_one_instant_against_the_zone_threshold() {
    let mut caseload = contact_rule(Dur::hours(6));
    caseload.name = "caseload_high".into();
    caseload.indicator = Indicator::CaseloadAvg;
    caseload.op = Op::Gt;
    caseload.threshold = 12.0;
    caseload.zone_thresholds.clear();
    let rules = vec![contact_rule(Dur::hours(1)), caseload];
    let values = |w: Window, ind: Indicator| match (w, ind) {
        (Window::D28, Indicator::Contact24hRate) => Some(0.87),
        (Window::D28, Indicator::CaseloadAvg) => Some(12.5),
        _ => None,
    };
    let z01 = breaches(&rules, "Z01", values);
    assert_eq!(z01.len(), 2);
    assert_eq!(z01[0].alert, "contact_24h_low");
    assert_eq!((z01[0].value, z01[0].threshold), (0.87, 0.90));
    assert_eq!(z01[1].indicator, "caseload_avg");
    // Z07's own contact threshold is 0.85, which 0.87 meets.
    let z07 = breaches(&rules, "Z07", values);
    assert_eq!(z07.len(), 1);
    assert_eq!(z07[0].alert, "caseload_high");
    assert!(breaches(&rules, "Z01", |_, _| None).is_empty());
}

#[test]
fn prometheus_durations() {
    assert_eq!(prom_duration(Dur(0)), "0s");
    assert_eq!(prom_duration(Dur::hours(1)), "1h");
    assert_eq!(prom_duration(Dur::secs(5400)), "1h30m");
    assert_eq!(prom_duration(Dur::secs(90)), "1m30s");
    assert_eq!(prom_duration(Dur(Dur::days(2).0 + Dur::secs(1).0)), "2d1s");
    assert_eq!(prom_duration(Dur(1_500_000_000)), "1s500ms");
}

#[test]
fn names_round_trip() {
    for w in Window::ALL {
        assert_eq!(Window::parse(w.name()), Some(w));
    }
    for s in AlertState::ALL {
        assert_eq!(AlertState::parse(s.as_str()), Some(s));
    }
    assert_eq!(Window::parse("30d"), None);
    assert_eq!(AlertState::parse("resolved"), None);
    let op: Op = serde_json::from_str("\">=\"").unwrap();
    assert_eq!(op.as_str(), ">=");
    let w: Window = serde_json::from_str("\"91d\"").unwrap();
    assert_eq!(w, Window::D91);
}
