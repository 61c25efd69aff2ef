//! The typed columns of `raw_events`, so recomputation and audits are plain SQL.

use childstat_core::{Accepted, Body};

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
