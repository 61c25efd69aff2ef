//! The indicator catalogue (`shared/indicators.md`) and the ledger series behind it.
//!
//! Every countable indicator reduces to signed contributions at instants:
//! - a flow member adds `num`/`den` at its attribution instant, and a window sums them;
//! - a point-in-time count adds +1 where a span starts and -1 where it ends, and the value
//!   at `t` is the sum of everything at or before `t`.
//!
//! Caseload indicators are not sums (a maximum, a mean over workers), so they are computed
//! at read time from per-worker caseload deltas instead.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Counted in a range: rolling windows and history buckets.
    Flow,
    /// Evaluated at an instant.
    PointInTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// The sum of numerators; no denominator.
    Count,
    /// Numerator over denominator, `null` when the denominator is 0.
    Rate,
    /// Computed from per-worker caseloads at read time.
    Caseload,
}

macro_rules! indicators {
    ($($variant:ident => ($name:literal, $kind:ident, $value:ident)),+ $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Indicator { $($variant),+ }

        impl Indicator {
            pub const ALL: &'static [Indicator] = &[$(Indicator::$variant),+];

            pub fn name(self) -> &'static str {
                match self { $(Indicator::$variant => $name),+ }
            }

            pub fn kind(self) -> Kind {
                match self { $(Indicator::$variant => Kind::$kind),+ }
            }

            pub fn value(self) -> Value {
                match self { $(Indicator::$variant => Value::$value),+ }
            }

            pub fn parse(s: &str) -> Option<Indicator> {
                match s { $($name => Some(Indicator::$variant),)+ _ => None }
            }
        }
    };
}

indicators! {
    Intakes => ("intakes", Flow, Count),
    Contact24hRate => ("contact_24h_rate", Flow, Rate),
    SafetyAssessment7dRate => ("safety_assessment_7d_rate", Flow, Rate),
    Determination60dRate => ("determination_60d_rate", Flow, Rate),
    IndicationRate => ("indication_rate", Flow, Rate),
    SupervisoryReviewRate => ("supervisory_review_rate", Flow, Rate),
    AllChildrenSeenRate => ("all_children_seen_rate", Flow, Rate),
    ChildrenRemoved => ("children_removed", Flow, Count),
    SafetyConferenceRate => ("safety_conference_rate", Flow, Rate),
    RepeatWithin12mRate => ("repeat_within_12m_rate", Flow, Rate),
    EcsInvolved => ("ecs_involved", Flow, Count),
    OpenInvestigations => ("open_investigations", PointInTime, Count),
    ActiveCps => ("active_cps", PointInTime, Count),
    ActiveSupervisors => ("active_supervisors", PointInTime, Count),
    CaseloadAvg => ("caseload_avg", PointInTime, Caseload),
    CaseloadMax => ("caseload_max", PointInTime, Caseload),
    CpsOverThreshold => ("cps_over_threshold", PointInTime, Caseload),
    OverdueContact => ("overdue_contact", PointInTime, Count),
    OverdueSafetyAssessment => ("overdue_safety_assessment", PointInTime, Count),
    OverdueDetermination => ("overdue_determination", PointInTime, Count),
    HeightenedOversightOpen => ("heightened_oversight_open", PointInTime, Count),
}

impl Indicator {
    /// Whether the indicator is kept as ledger contributions (everything but caseload).
    pub fn is_ledger(self) -> bool {
        self.value() != Value::Caseload
    }

    /// Flow members counted only once due (their attribution instant is a deadline), so a
    /// history bucket after `as_of` holds none of them.
    pub fn is_due_based(self) -> bool {
        matches!(
            self,
            Indicator::Contact24hRate
                | Indicator::SafetyAssessment7dRate
                | Indicator::Determination60dRate
                | Indicator::SafetyConferenceRate
        )
    }
}

/// Which direction of an indicator reads as better practice, for ranking zones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
}

impl Indicator {
    /// `None` for volumes and findings, where more is neither better nor worse practice
    /// (intakes, removals, indications, open cases, staff counts).
    pub fn better(self) -> Option<Better> {
        use Indicator::*;
        match self {
            Contact24hRate
            | SafetyAssessment7dRate
            | Determination60dRate
            | SupervisoryReviewRate
            | AllChildrenSeenRate
            | SafetyConferenceRate => Some(Better::Higher),
            RepeatWithin12mRate
            | CaseloadAvg
            | CaseloadMax
            | CpsOverThreshold
            | OverdueContact
            | OverdueSafetyAssessment
            | OverdueDetermination => Some(Better::Lower),
            Intakes
            | IndicationRate
            | ChildrenRemoved
            | EcsInvolved
            | OpenInvestigations
            | ActiveCps
            | ActiveSupervisors
            | HeightenedOversightOpen => None,
        }
    }
}

impl std::fmt::Display for Indicator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One computed value with its parts, as the API returns it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IndicatorValue {
    pub name: &'static str,
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
    /// Hidden by small-cell suppression (`crate::suppress`): the figures above are then
    /// all `null` although the data exist. Serialized only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
}

/// Caseload figures at one instant, for one zone or citywide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caseload {
    pub active_cps: i64,
    pub total: i64,
    pub max: Option<i64>,
    pub over_threshold: i64,
}

impl Caseload {
    pub fn value(&self, ind: Indicator) -> Option<IndicatorValue> {
        let name = ind.name();
        Some(match ind {
            Indicator::CaseloadAvg => IndicatorValue {
                name,
                value: (self.active_cps != 0).then(|| self.total as f64 / self.active_cps as f64),
                numerator: Some(self.total),
                denominator: Some(self.active_cps),
                suppressed: false,
            },
            Indicator::CaseloadMax => IndicatorValue {
                name,
                value: self.max.map(|m| m as f64),
                numerator: self.max,
                denominator: None,
                suppressed: false,
            },
            Indicator::CpsOverThreshold => IndicatorValue {
                name,
                value: Some(self.over_threshold as f64),
                numerator: Some(self.over_threshold),
                denominator: None,
                suppressed: false,
            },
            _ => return None,
        })
    }
}

impl IndicatorValue {
    pub fn from_sums(ind: Indicator, num: i64, den: i64) -> IndicatorValue {
        match ind.value() {
            Value::Rate => IndicatorValue {
                name: ind.name(),
                value: (den != 0).then(|| num as f64 / den as f64),
                numerator: Some(num),
                denominator: Some(den),
                suppressed: false,
            },
            Value::Count | Value::Caseload => IndicatorValue {
                name: ind.name(),
                value: Some(num as f64),
                numerator: Some(num),
                denominator: None,
                suppressed: false,
            },
        }
    }
}
