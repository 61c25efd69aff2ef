//! The case-status event model, contract v1 (`shared/events-v1.md`).
//!
//! Decoding and validation live in `decode`; this module is the validated shape only.

use crate::time::Ts;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// A validated event. `recorded_at` already defaults to `occurred_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub event_id: String,
    pub occurred_at: Ts,
    pub recorded_at: Ts,
    /// A configured zone code. For a transfer, the new zone; for a worker event, the worker's.
    pub zone: String,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    InvestigationOpened(Opened),
    InvestigationTransferred {
        investigation_id: String,
        worker_id: String,
        supervisor_id: String,
    },
    ContactMade {
        investigation_id: String,
        kind: ContactKind,
        children_seen: u32,
        by_ecs: bool,
    },
    SafetyAssessmentCompleted {
        investigation_id: String,
        result: SafetyResult,
    },
    SupervisoryReviewCompleted {
        investigation_id: String,
        supervisor_id: String,
    },
    ConferenceHeld {
        investigation_id: String,
        kind: ConferenceKind,
    },
    Removal {
        investigation_id: String,
        children: u32,
        emergency: bool,
    },
    DeterminationMade {
        investigation_id: String,
        finding: Finding,
    },
    InvestigationClosed {
        investigation_id: String,
    },
    WorkerStatusChanged {
        worker_id: String,
        role: Role,
        status: WorkerStatus,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    pub investigation_id: String,
    /// SCR receipt: every clock starts here.
    pub received_at: Ts,
    pub family_id: String,
    pub children: u32,
    pub worker_id: String,
    pub supervisor_id: String,
    pub heightened_oversight: bool,
    pub after_hours: bool,
}

macro_rules! string_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The accepted values, for error messages.
            pub fn expected() -> String {
                [$($text),+].join(", ")
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!("expected one of {}", $name::expected()))
                })
            }
        }
    };
}

string_enum!(EventType {
    InvestigationOpened => "investigation_opened",
    InvestigationTransferred => "investigation_transferred",
    ContactMade => "contact_made",
    SafetyAssessmentCompleted => "safety_assessment_completed",
    SupervisoryReviewCompleted => "supervisory_review_completed",
    ConferenceHeld => "conference_held",
    Removal => "removal",
    DeterminationMade => "determination_made",
    InvestigationClosed => "investigation_closed",
    WorkerStatusChanged => "worker_status_changed",
});
string_enum!(ContactKind { Initial => "initial", HomeVisit => "home_visit", Collateral => "collateral", FollowUp => "follow_up" });
string_enum!(SafetyResult { Safe => "safe", SafeWithPlan => "safe_with_plan", Unsafe => "unsafe" });
string_enum!(ConferenceKind { ChildSafety => "child_safety", FamilyTeam => "family_team" });
string_enum!(Finding { Indicated => "indicated", Unfounded => "unfounded" });
string_enum!(Role { Cps => "cps", Supervisor => "supervisor", Manager => "manager" });
string_enum!(WorkerStatus { Active => "active", OnLeave => "on_leave", Separated => "separated" });

impl Body {
    pub fn event_type(&self) -> EventType {
        match self {
            Body::InvestigationOpened(_) => EventType::InvestigationOpened,
            Body::InvestigationTransferred { .. } => EventType::InvestigationTransferred,
            Body::ContactMade { .. } => EventType::ContactMade,
            Body::SafetyAssessmentCompleted { .. } => EventType::SafetyAssessmentCompleted,
            Body::SupervisoryReviewCompleted { .. } => EventType::SupervisoryReviewCompleted,
            Body::ConferenceHeld { .. } => EventType::ConferenceHeld,
            Body::Removal { .. } => EventType::Removal,
            Body::DeterminationMade { .. } => EventType::DeterminationMade,
            Body::InvestigationClosed { .. } => EventType::InvestigationClosed,
            Body::WorkerStatusChanged { .. } => EventType::WorkerStatusChanged,
        }
    }

    /// The investigation this event belongs to; `None` for worker events.
    pub fn investigation_id(&self) -> Option<&str> {
        match self {
            Body::InvestigationOpened(o) => Some(&o.investigation_id),
            Body::InvestigationTransferred {
                investigation_id, ..
            }
            | Body::ContactMade {
                investigation_id, ..
            }
            | Body::SafetyAssessmentCompleted {
                investigation_id, ..
            }
            | Body::SupervisoryReviewCompleted {
                investigation_id, ..
            }
            | Body::ConferenceHeld {
                investigation_id, ..
            }
            | Body::Removal {
                investigation_id, ..
            }
            | Body::DeterminationMade {
                investigation_id, ..
            }
            | Body::InvestigationClosed { investigation_id } => Some(investigation_id),
            Body::WorkerStatusChanged { .. } => None,
        }
    }

    /// The Kafka message key the contract describes: investigation id, or worker id.
    pub fn key(&self) -> &str {
        match self {
            Body::WorkerStatusChanged { worker_id, .. } => worker_id,
            other => other.investigation_id().unwrap_or_default(),
        }
    }
}

impl Event {
    pub fn event_type(&self) -> EventType {
        self.body.event_type()
    }

    /// The contract's ordering for "earliest" and "latest": occurred_at, recorded_at, event_id.
    pub fn order_key(&self) -> (Ts, Ts, &str) {
        (self.occurred_at, self.recorded_at, &self.event_id)
    }

    /// Encodes as contract v1 JSON. `recorded_at` is always written out.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an Event always serializes")
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("v", &1)?;
        m.serialize_entry("event_id", &self.event_id)?;
        m.serialize_entry("type", &self.event_type())?;
        m.serialize_entry("occurred_at", &self.occurred_at.to_rfc3339())?;
        m.serialize_entry("recorded_at", &self.recorded_at.to_rfc3339())?;
        m.serialize_entry("zone", &self.zone)?;
        match &self.body {
            Body::InvestigationOpened(o) => {
                m.serialize_entry("investigation_id", &o.investigation_id)?;
                m.serialize_entry("received_at", &o.received_at.to_rfc3339())?;
                m.serialize_entry("family_id", &o.family_id)?;
                m.serialize_entry("children", &o.children)?;
                m.serialize_entry("worker_id", &o.worker_id)?;
                m.serialize_entry("supervisor_id", &o.supervisor_id)?;
                m.serialize_entry("heightened_oversight", &o.heightened_oversight)?;
                m.serialize_entry("after_hours", &o.after_hours)?;
            }
            Body::InvestigationTransferred {
                investigation_id,
                worker_id,
                supervisor_id,
            } => {
                m.serialize_entry("investigation_id", investigation_id)?;
                m.serialize_entry("worker_id", worker_id)?;
                m.serialize_entry("supervisor_id", supervisor_id)?;
            }
            Body::ContactMade {
                investigation_id,
                kind,
                children_seen,
                by_ecs,
            } => {
                m.serialize_entry("investigation_id", investigation_id)?;
                m.serialize_entry("kind", kind)?;
                m.serialize_entry("children_seen", children_seen)?;
                m.serialize_entry("by_ecs", by_ecs)?;
            }
            Body::SafetyAssessmentCompleted {
                investigation_id,
                result,
            } => {
                m.serialize_entry("investigation_id", investigation_id)?;
                m.serialize_entry("result", result)?;
            }
            Body::SupervisoryReviewCompleted {
                investigation_id,
                supervisor_id,
            } => {
                m.serialize_entry("investigation_id", investigation_id)?;
                m.serialize_entry("supervisor_id", supervisor_id)?;
            }
            Body::ConferenceHeld {
                investigation_id,
                kind,
            } => {
                m.serialize_entry("investigation_id", investigation_id)?;
                m.serialize_entry("kind", kind)?;
            }
            Body::Removal {
                investigation_id,
                children,
                emergency,
            } => {
                m.serialize_entry("investigation_id", investigation_id)?;
                m.serialize_entry("children", children)?;
                m.serialize_entry("emergency", emergency)?;
            }
            Body::DeterminationMade {
                investigation_id,
                finding,
            } => {
                m.serialize_entry("investigation_id", investigation_id)?;
                m.serialize_entry("finding", finding)?;
            }
            Body::InvestigationClosed { investigation_id } => {
                m.serialize_entry("investigation_id", investigation_id)?;
            }
            Body::WorkerStatusChanged {
                worker_id,
                role,
                status,
            } => {
                m.serialize_entry("worker_id", worker_id)?;
                m.serialize_entry("role", role)?;
                m.serialize_entry("status", status)?;
            }
        }
        m.end()
    }
}
