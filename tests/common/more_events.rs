//! More hand-built contract events: workers, transfers, and adjustments to an opening.

use super::events::ts;
use childstat_core::event::{Body, Role, WorkerStatus};
use childstat_core::Event;

pub fn worker_status(
    worker: &str,
    zone: &str,
    at: &str,
    role: Role,
    status: WorkerStatus,
) -> Event {
    Event {
        event_id: format!("w-{worker}-{at}"),
        occurred_at: ts(at),
        recorded_at: ts(at),
        zone: zone.into(),
        body: Body::WorkerStatusChanged {
            worker_id: worker.into(),
            role,
            status,
        },
    }
}

pub fn transfer(event_id: &str, inv: &str, zone: &str, at: &str, worker: &str) -> Event {
    Event {
        event_id: event_id.into(),
        occurred_at: ts(at),
        recorded_at: ts(at),
        zone: zone.into(),
        body: Body::InvestigationTransferred {
            investigation_id: inv.into(),
            worker_id: worker.into(),
            supervisor_id: "S2".into(),
        },
    }
}

/// The opening with `worker` assigned.
pub fn assigned(mut e: Event, worker: &str) -> Event {
    if let Body::InvestigationOpened(o) = &mut e.body {
        o.worker_id = worker.into();
    }
    e
}

pub fn in_family(mut e: Event, family: &str) -> Event {
    if let Body::InvestigationOpened(o) = &mut e.body {
        o.family_id = family.into();
    }
    e
}

/// The event entered at `at`: `occurred_at` and `recorded_at`, not `received_at`.
pub fn entered_at(mut e: Event, at: &str) -> Event {
    e.occurred_at = ts(at);
    e.recorded_at = ts(at);
    e
}
