//! Hand-built contract events for targeted tests.

use childstat_core::event::{Body, ContactKind, Opened};
use childstat_core::{Event, Ts};

pub fn ts(s: &str) -> Ts {
    Ts::parse_rfc3339(s).expect("test timestamp")
}

pub fn opened(event_id: &str, inv: &str, zone: &str, received: &str) -> Event {
    Event {
        event_id: event_id.into(),
        occurred_at: ts(received),
        recorded_at: ts(received),
        zone: zone.into(),
        body: Body::InvestigationOpened(Opened {
            investigation_id: inv.into(),
            received_at: ts(received),
            family_id: format!("F-{inv}"),
            children: 2,
            worker_id: "W1".into(),
            supervisor_id: "S1".into(),
            heightened_oversight: false,
            after_hours: false,
        }),
    }
}

pub fn contact(event_id: &str, inv: &str, zone: &str, at: &str) -> Event {
    Event {
        event_id: event_id.into(),
        occurred_at: ts(at),
        recorded_at: ts(at),
        zone: zone.into(),
        body: Body::ContactMade {
            investigation_id: inv.into(),
            kind: ContactKind::Initial,
            children_seen: 2,
            by_ecs: false,
        },
    }
}

pub fn closed(event_id: &str, inv: &str, zone: &str, at: &str) -> Event {
    Event {
        event_id: event_id.into(),
        occurred_at: ts(at),
        recorded_at: ts(at),
        zone: zone.into(),
        body: Body::InvestigationClosed {
            investigation_id: inv.into(),
        },
    }
}

pub fn kv(e: &Event) -> (String, Vec<u8>) {
    (e.body.key().to_string(), e.to_json().into_bytes())
}
