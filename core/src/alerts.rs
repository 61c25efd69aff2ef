//! Compliance-threshold alerts: the rules, and the state each rule is in for each zone.
//!
//! One definition serves the service (this evaluator behind `GET /api/v1/alerts` and the
//! `childstat_alert_firing` gauge) and Prometheus (the rule file `childstat rules` writes),
//! so both judge a zone against the same threshold. The evaluator follows Prometheus's own
//! alerting semantics: a condition must hold for `for` before the alert fires, and a zone
//! with no value (a rate whose denominator is 0) is not in breach, just as an absent series
//! matches no Prometheus rule.

use crate::indicator::{Indicator, Value};
use crate::time::{Dur, Ts, NANOS_PER_SEC};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The comparison that puts a zone in breach: `value op threshold`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Op {
    /// The operator as written in configuration and in PromQL.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Op::Lt => value < threshold,
            Op::Le => value <= threshold,
            Op::Gt => value > threshold,
            Op::Ge => value >= threshold,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// The rolling windows indicators are kept over (`shared/indicators.md`). Point-in-time
/// indicators have the same value under every window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Window {
    #[serde(rename = "7d")]
    D7,
    #[serde(rename = "28d")]
    D28,
    #[serde(rename = "91d")]
    D91,
}

impl Window {
    pub const ALL: [Window; 3] = [Window::D7, Window::D28, Window::D91];

    pub fn name(self) -> &'static str {
        match self {
            Window::D7 => "7d",
            Window::D28 => "28d",
            Window::D91 => "91d",
        }
    }

    pub fn dur(self) -> Dur {
        match self {
            Window::D7 => Dur::days(7),
            Window::D28 => Dur::days(28),
            Window::D91 => Dur::days(91),
        }
    }

    pub fn parse(s: &str) -> Option<Window> {
        Window::ALL.into_iter().find(|w| w.name() == s)
    }
}

/// One threshold, as configured under `[[alerts]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRule {
    /// snake_case and unique; the `alert` label of `childstat_alert_firing`.
    pub name: String,
    pub indicator: Indicator,
    pub op: Op,
    /// The threshold everywhere but the zones in `zone_thresholds`.
    pub threshold: f64,
    /// Zone code (or `citywide`) → the threshold that replaces `threshold` there.
    pub zone_thresholds: BTreeMap<String, f64>,
    pub window: Window,
    /// How long the condition must hold before the alert fires (`for`).
    pub hold: Dur,
    pub severity: Severity,
    pub runbook: String,
}

impl AlertRule {
    pub fn threshold_for(&self, zone: &str) -> f64 {
        self.zone_thresholds
            .get(zone)
            .copied()
            .unwrap_or(self.threshold)
    }

    /// Whether `value` puts `zone` in breach. No value is no data, never a breach.
    pub fn breached(&self, zone: &str, value: Option<f64>) -> bool {
        value.is_some_and(|v| self.op.holds(v, self.threshold_for(zone)))
    }

    /// Whether values are shares (0 to 1), so they read best as percentages.
    pub fn is_rate(&self) -> bool {
        self.indicator.value() == Value::Rate
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Inactive,
    /// In breach, but not yet for `for`.
    Pending,
    Firing,
}

impl AlertState {
    pub const ALL: [AlertState; 3] = [
        AlertState::Inactive,
        AlertState::Pending,
        AlertState::Firing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }

    pub fn parse(s: &str) -> Option<AlertState> {
        AlertState::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Where one rule stands for one zone after the latest evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneStatus {
    pub zone: String,
    pub state: AlertState,
    /// The value last evaluated; `None` before the first evaluation or with no data.
    pub value: Option<f64>,
    pub threshold: f64,
    /// When the current breach began (pending and firing).
    pub pending_since: Option<Ts>,
    /// When the current breach had lasted `for` (firing only).
    pub firing_since: Option<Ts>,
}

impl ZoneStatus {
    fn inactive(zone: String, threshold: f64) -> ZoneStatus {
        ZoneStatus {
            zone,
            state: AlertState::Inactive,
            value: None,
            threshold,
            pending_since: None,
            firing_since: None,
        }
    }

    /// The next state, given whether the zone is in breach at `now`.
    fn step(&mut self, breached: bool, value: Option<f64>, hold: Dur, now: Ts) {
        self.value = value;
        if !breached {
            self.state = AlertState::Inactive;
            self.pending_since = None;
            self.firing_since = None;
            return;
        }
        let since = *self.pending_since.get_or_insert(now);
        if self.state != AlertState::Firing && now.since(since) >= hold {
            self.state = AlertState::Firing;
            self.firing_since = Some(now);
        } else if self.state == AlertState::Inactive {
            self.state = AlertState::Pending;
        }
    }
}

/// A change of state, for the log.
#[derive(Clone, Debug, PartialEq)]
pub struct Transition {
    pub alert: String,
    pub indicator: Indicator,
    pub severity: Severity,
    pub zone: String,
    pub from: AlertState,
    pub to: AlertState,
    pub value: Option<f64>,
    pub threshold: f64,
}

/// Every rule's state in every zone: the evaluator's memory between ticks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlertBoard {
    rules: Vec<AlertRule>,
    zones: Vec<String>,
    /// `statuses[i]` belongs to `rules[i]`, one entry per zone, in the order given.
    statuses: Vec<Vec<ZoneStatus>>,
    evaluated_at: Option<Ts>,
}

impl AlertBoard {
    /// Every rule starts inactive in every zone. `zones` should name the configured zones
    /// and `citywide`, in the order the API should list them.
    pub fn new(rules: Vec<AlertRule>, zones: &[String]) -> AlertBoard {
        let statuses = rules
            .iter()
            .map(|r| {
                zones
                    .iter()
                    .map(|z| ZoneStatus::inactive(z.clone(), r.threshold_for(z)))
                    .collect()
            })
            .collect();
        AlertBoard {
            rules,
            zones: zones.to_vec(),
            statuses,
            evaluated_at: None,
        }
    }

    pub fn rules(&self) -> &[AlertRule] {
        &self.rules
    }

    /// The zones every rule is evaluated for, in listing order.
    pub fn zones(&self) -> &[String] {
        &self.zones
    }

    /// Each rule with its per-zone statuses.
    pub fn iter(&self) -> impl Iterator<Item = (&AlertRule, &[ZoneStatus])> {
        self.rules
            .iter()
            .zip(self.statuses.iter().map(Vec::as_slice))
    }

    pub fn evaluated_at(&self) -> Option<Ts> {
        self.evaluated_at
    }

    /// The windows the rules read, each once.
    pub fn windows(&self) -> Vec<Window> {
        let mut w: Vec<Window> = self.rules.iter().map(|r| r.window).collect();
        w.sort_unstable();
        w.dedup();
        w
    }

    /// One evaluation at `now`. `value(zone, window, indicator)` is the current value, or
    /// `None` when there is none (a rate with no members). Returns the changes of state.
    pub fn evaluate(
        &mut self,
        now: Ts,
        value: impl Fn(&str, Window, Indicator) -> Option<f64>,
    ) -> Vec<Transition> {
        let mut changes = Vec::new();
        for (rule, statuses) in self.rules.iter().zip(self.statuses.iter_mut()) {
            for st in statuses.iter_mut() {
                let v = value(&st.zone, rule.window, rule.indicator);
                let from = st.state;
                st.step(rule.breached(&st.zone, v), v, rule.hold, now);
                if st.state != from {
                    changes.push(Transition {
                        alert: rule.name.clone(),
                        indicator: rule.indicator,
                        severity: rule.severity,
                        zone: st.zone.clone(),
                        from,
                        to: st.state,
                        value: v,
                        threshold: st.threshold,
                    });
                }
            }
        }
        self.evaluated_at = Some(now);
        changes
    }
}

/// A threshold one zone breaches at one instant, with no `for`: the form a frozen
/// snapshot or a one-off reading can be judged in.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Breach {
    pub alert: String,
    pub indicator: &'static str,
    pub window: Window,
    pub op: Op,
    pub threshold: f64,
    pub value: f64,
    pub severity: Severity,
    pub runbook: String,
}

/// The rules `zone` breaches, given its values (`value(window, indicator)`), in rule order.
pub fn breaches(
    rules: &[AlertRule],
    zone: &str,
    value: impl Fn(Window, Indicator) -> Option<f64>,
) -> Vec<Breach> {
    rules
        .iter()
        .filter_map(|r| {
            let v = value(r.window, r.indicator)?;
            r.breached(zone, Some(v)).then(|| Breach {
                alert: r.name.clone(),
                indicator: r.indicator.name(),
                window: r.window,
                op: r.op,
                threshold: r.threshold_for(zone),
                value: v,
                severity: r.severity,
                runbook: r.runbook.clone(),
            })
        })
        .collect()
}

/// A duration as Prometheus writes one: `1h30m`, `45s`, `0s`. Exact to the millisecond;
/// configuration keeps `for` to whole seconds, so nothing is lost.
pub fn prom_duration(d: Dur) -> String {
    const MS: i64 = NANOS_PER_SEC / 1000;
    let mut ms = d.0.max(0) / MS;
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, len) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ] {
        if ms >= len {
            out.push_str(&format!("{}{unit}", ms / len));
            ms %= len;
        }
    }
    out
}

#[cfg(test)]
#[path = "alerts_tests.rs"]
mod tests;
