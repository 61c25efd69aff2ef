//! The typed columns of `raw_events`, so recomputation and audits are plain SQL, and the
//! events read back from them for the recovery re-fold.

use childstat_core::event::{
    ConferenceKind, ContactKind, Finding, Role, SafetyResult, WorkerStatus,
};
use childstat_core::{Accepted, Body, Event, EventType, Opened, Ts};

#[derive(Default)]
pub struct RawRow<'a> {
    pub investigation_id: Option<&'a str>,
    pub worker_id: Option<&'a str>,
    pub supervisor_id: Option<&'a str>,
    pub family_id: Option<&'a str>,
    pub received_at: Option<i64>,
    pub children: Option<u32>,
    pub children_seen: Option<u32>,
    pub kind: Option<&'static str>,
    pub outcome: Option<&'static str>,
    pub role: Option<&'static str>,
    pub status: Option<&'static str>,
    pub heightened: Option<bool>,
    pub after_hours: Option<bool>,
    pub by_ecs: Option<bool>,
    pub emergency: Option<bool>,
}

impl<'a> RawRow<'a> {
    pub fn of(a: &'a Accepted) -> RawRow<'a> {
        let mut r = RawRow {
            investigation_id: a.event.body.investigation_id(),
            ..RawRow::default()
        };
        match &a.event.body {
            Body::InvestigationOpened(o) => {
                r.worker_id = Some(&o.worker_id);
                r.supervisor_id = Some(&o.supervisor_id);
                r.family_id = Some(&o.family_id);
                r.received_at = Some(o.received_at.0);
                r.children = Some(o.children);
                r.heightened = Some(o.heightened_oversight);
                r.after_hours = Some(o.after_hours);
            }
            Body::InvestigationTransferred {
                worker_id,
                supervisor_id,
                ..
            } => {
                r.worker_id = Some(worker_id);
                r.supervisor_id = Some(supervisor_id);
            }
            Body::ContactMade {
                kind,
                children_seen,
                by_ecs,
                ..
            } => {
                r.kind = Some(kind.as_str());
                r.children_seen = Some(*children_seen);
                r.by_ecs = Some(*by_ecs);
            }
            Body::SafetyAssessmentCompleted { result, .. } => r.outcome = Some(result.as_str()),
            Body::SupervisoryReviewCompleted { supervisor_id, .. } => {
                r.supervisor_id = Some(supervisor_id)
            }
            Body::ConferenceHeld { kind, .. } => r.kind = Some(kind.as_str()),
            Body::Removal {
                children,
                emergency,
                ..
            } => {
                r.children = Some(*children);
                r.emergency = Some(*emergency);
            }
            Body::DeterminationMade { finding, .. } => r.outcome = Some(finding.as_str()),
            Body::InvestigationClosed { .. } => {}
            Body::WorkerStatusChanged {
                worker_id,
                role,
                status,
            } => {
                r.worker_id = Some(worker_id);
                r.role = Some(role.as_str());
                r.status = Some(status.as_str());
            }
        }
        r
    }
}

/// A `raw_events` row's typed columns, owned: what the recovery re-fold reads back.
#[derive(Clone, Debug, Default)]
pub struct StoredEvent {
    pub event_id: String,
    pub event_type: String,
    pub zone: String,
    pub occurred_at: i64,
    pub recorded_at: i64,
    pub investigation_id: Option<String>,
    pub worker_id: Option<String>,
    pub supervisor_id: Option<String>,
    pub family_id: Option<String>,
    pub received_at: Option<i64>,
    pub children: Option<i32>,
    pub children_seen: Option<i32>,
    pub kind: Option<String>,
    pub outcome: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    pub heightened: Option<bool>,
    pub after_hours: Option<bool>,
    pub by_ecs: Option<bool>,
    pub emergency: Option<bool>,
}

impl StoredEvent {
    /// The event the row was written from: the inverse of [`RawRow::of`]. `Err` names the
    /// column that does not hold what the event type needs.
    pub fn to_event(&self) -> Result<Event, String> {
        fn need<T: Clone>(v: &Option<T>, col: &str) -> Result<T, String> {
            v.clone().ok_or_else(|| format!("{col} is NULL"))
        }
        fn count(v: Option<i32>, col: &str) -> Result<u32, String> {
            let v = v.ok_or_else(|| format!("{col} is NULL"))?;
            u32::try_from(v).map_err(|_| format!("{col} = {v} is negative"))
        }
        fn parsed<T>(
            v: &Option<String>,
            col: &str,
            parse: fn(&str) -> Option<T>,
        ) -> Result<T, String> {
            let s = v.as_deref().ok_or_else(|| format!("{col} is NULL"))?;
            parse(s).ok_or_else(|| format!("{col} = {s:?} is not a known value"))
        }
        let ty = EventType::parse(&self.event_type)
            .ok_or_else(|| format!("event_type {:?} is not known", self.event_type))?;
        let inv = || need(&self.investigation_id, "investigation_id");
        let body = match ty {
            EventType::InvestigationOpened => Body::InvestigationOpened(Opened {
                investigation_id: inv()?,
                received_at: Ts(need(&self.received_at, "received_at")?),
                family_id: need(&self.family_id, "family_id")?,
                children: count(self.children, "children")?,
                worker_id: need(&self.worker_id, "worker_id")?,
                supervisor_id: need(&self.supervisor_id, "supervisor_id")?,
                heightened_oversight: need(&self.heightened, "flag_heightened")?,
                after_hours: need(&self.after_hours, "flag_after_hours")?,
            }),
            EventType::InvestigationTransferred => Body::InvestigationTransferred {
                investigation_id: inv()?,
                worker_id: need(&self.worker_id, "worker_id")?,
                supervisor_id: need(&self.supervisor_id, "supervisor_id")?,
            },
            EventType::ContactMade => Body::ContactMade {
                investigation_id: inv()?,
                kind: parsed(&self.kind, "kind", ContactKind::parse)?,
                children_seen: count(self.children_seen, "children_seen")?,
                by_ecs: need(&self.by_ecs, "flag_by_ecs")?,
            },
            EventType::SafetyAssessmentCompleted => Body::SafetyAssessmentCompleted {
                investigation_id: inv()?,
                result: parsed(&self.outcome, "outcome", SafetyResult::parse)?,
            },
            EventType::SupervisoryReviewCompleted => Body::SupervisoryReviewCompleted {
                investigation_id: inv()?,
                supervisor_id: need(&self.supervisor_id, "supervisor_id")?,
            },
            EventType::ConferenceHeld => Body::ConferenceHeld {
                investigation_id: inv()?,
                kind: parsed(&self.kind, "kind", ConferenceKind::parse)?,
            },
            EventType::Removal => Body::Removal {
                investigation_id: inv()?,
                children: count(self.children, "children")?,
                emergency: need(&self.emergency, "flag_emergency")?,
            },
            EventType::DeterminationMade => Body::DeterminationMade {
                investigation_id: inv()?,
                finding: parsed(&self.outcome, "outcome", Finding::parse)?,
            },
            EventType::InvestigationClosed => Body::InvestigationClosed {
                investigation_id: inv()?,
            },
            EventType::WorkerStatusChanged => Body::WorkerStatusChanged {
                worker_id: need(&self.worker_id, "worker_id")?,
                role: parsed(&self.role, "role", Role::parse)?,
                status: parsed(&self.status, "status", WorkerStatus::parse)?,
            },
        };
        Ok(Event {
            event_id: self.event_id.clone(),
            occurred_at: Ts(self.occurred_at),
            recorded_at: Ts(self.recorded_at),
            zone: self.zone.clone(),
            body,
        })
    }
}
