//! Compliance-threshold alerts: `[alerting]` and the `[[alerts]]` list.
//!
//! The same list drives the service's own evaluator and the Prometheus rule file written
//! by `childstat rules`, so a threshold is written down once.

use crate::{Config, ConfigError};
use childstat_core::alerts::{AlertRule, Op, Severity, Window};
use childstat_core::{Dur, Indicator, CITYWIDE};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Alert names become label values and Prometheus alert names; keep them short.
const MAX_NAME_CHARS: usize = 64;
/// The Office of Special Investigations' code in the shipped zone list.
const OSI: &str = "OSI";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertingConfig {
    /// How often the service evaluates every alert, and the rule group's interval in the
    /// generated Prometheus file.
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
}

/// One `[[alerts]]` entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    pub name: String,
    /// An indicator name from `shared/indicators.md`, e.g. `contact_24h_rate`.
    pub indicator: String,
    pub op: Op,
    pub threshold: f64,
    pub window: Window,
    #[serde(rename = "for", with = "humantime_serde")]
    pub hold: Duration,
    pub severity: Severity,
    pub runbook: String,
    /// Zone code (or `citywide`) → the threshold used there instead of `threshold`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub zones: BTreeMap<String, f64>,
}

impl Config {
    /// The `[[alerts]]` as the core's rules. Fails, naming the key, on anything
    /// [`Config::validate`] would reject in them.
    pub fn alert_rules(&self) -> Result<Vec<AlertRule>, ConfigError> {
        self.alerts
            .iter()
            .enumerate()
            .map(|(i, a)| self.alert_rule(i, a))
            .collect()
    }

    pub(crate) fn validate_alerts(&self) -> Result<(), ConfigError> {
        if self.alerting.interval.is_zero() {
            return Err(ConfigError::invalid(
                "alerting.interval",
                "alerting.interval must be longer than zero".into(),
            ));
        }
        for (i, a) in self.alerts.iter().enumerate() {
            if let Some(first) = self.alerts[..i].iter().position(|b| b.name == a.name) {
                let key = format!("alerts[{i}].name");
                return Err(ConfigError::invalid(
                    &key,
                    format!(
                        "{key} `{}` is duplicated (first at alerts[{first}])",
                        a.name
                    ),
                ));
            }
        }
        self.alert_rules().map(drop)
    }

    fn alert_rule(&self, i: usize, a: &AlertConfig) -> Result<AlertRule, ConfigError> {
        let bad = |field: &str, problem: String| {
            let key = format!("alerts[{i}].{field}");
            ConfigError::invalid(&key, format!("{key} {problem}"))
        };
        if !is_snake_case(&a.name) {
            return Err(bad(
                "name",
                format!(
                    "`{}` must be snake_case: a lowercase letter, then lowercase letters, \
                     digits or `_`, at most {MAX_NAME_CHARS} characters",
                    shown(&a.name)
                ),
            ));
        }
        let indicator = Indicator::parse(&a.indicator).ok_or_else(|| {
            let names: Vec<&str> = Indicator::ALL.iter().map(|i| i.name()).collect();
            bad(
                "indicator",
                format!(
                    "`{}` is not an indicator; expected one of {}",
                    shown(&a.indicator),
                    names.join(", ")
                ),
            )
        })?;
        if !a.threshold.is_finite() {
            return Err(bad(
                "threshold",
                format!("must be a finite number, not {}", a.threshold),
            ));
        }
        // Prometheus rule files take whole seconds more readily than fractions of them.
        if a.hold.subsec_nanos() != 0 {
            return Err(bad("for", "must be a whole number of seconds".into()));
        }
        if a.runbook.trim().is_empty() {
            return Err(bad("runbook", "must not be empty".into()));
        }
        for (zone, threshold) in &a.zones {
            // OSI is named by the domain itself, so the shipped overrides for it stay
            // valid when a user file lists other zones; there they simply never apply.
            let known =
                zone == CITYWIDE || zone == OSI || self.zones.iter().any(|z| &z.code == zone);
            if !known {
                return Err(bad(
                    &format!("zones.{zone}"),
                    "is not a configured zone code, `OSI` or `citywide`".into(),
                ));
            }
            if !threshold.is_finite() {
                return Err(bad(
                    &format!("zones.{zone}"),
                    format!("must be a finite number, not {threshold}"),
                ));
            }
        }
        Ok(AlertRule {
            name: a.name.clone(),
            indicator,
            op: a.op,
            threshold: a.threshold,
            zone_thresholds: a.zones.clone(),
            window: a.window,
            hold: Dur::from_std(a.hold),
            severity: a.severity,
            runbook: a.runbook.trim().to_owned(),
        })
    }
}

fn is_snake_case(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= MAX_NAME_CHARS
}

/// Enough of a user's string to recognise it in a message.
fn shown(s: &str) -> String {
    s.chars().take(MAX_NAME_CHARS).collect()
}
