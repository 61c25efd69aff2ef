//! Decoder tests. Fixtures live here; each file covers one concern.

mod props;
mod rejections;
mod valid;

use super::*;
use serde_json::{json, Value};

/// The wall clock every fixture is judged by.
pub(super) fn now() -> Ts {
    ts("2026-03-08T12:00:00Z")
}

pub(super) fn ts(s: &str) -> Ts {
    Ts::parse_rfc3339(s).unwrap_or_else(|| panic!("bad fixture timestamp {s}"))
}

pub(super) fn decode_bytes(bytes: &[u8]) -> Result<Event, Rejection> {
    decode(bytes, &ZoneSet::standard(), &DecodeLimits::default(), now())
}

pub(super) fn decode_value(v: &Value) -> Result<Event, Rejection> {
    decode_bytes(&serde_json::to_vec(v).unwrap())
}

/// Builder-style edits, so a case reads as "a valid event, except ...".
pub(super) trait Edit {
    fn set(self, key: &str, value: impl Into<Value>) -> Self;
    fn del(self, key: &str) -> Self;
}

impl Edit for Value {
    fn set(mut self, key: &str, value: impl Into<Value>) -> Value {
        self.as_object_mut()
            .expect("fixtures are objects")
            .insert(key.to_owned(), value.into());
        self
    }

    fn del(mut self, key: &str) -> Value {
        self.as_object_mut()
            .expect("fixtures are objects")
            .remove(key);
        self
    }
}

fn envelope(ty: &str) -> Value {
    json!({
        "v": 1,
        "event_id": "evt-0001",
        "type": ty,
        "occurred_at": "2026-03-01T09:30:00-05:00",
        "zone": "Z07",
    })
}

pub(super) fn opened() -> Value {
    envelope("investigation_opened")
        .set("investigation_id", "INV-1")
        .set("received_at", "2026-03-01T14:00:00Z")
        .set("family_id", "FAM-1")
        .set("children", 2)
        .set("worker_id", "W-1")
        .set("supervisor_id", "S-1")
}

pub(super) fn transferred() -> Value {
    envelope("investigation_transferred")
        .set("investigation_id", "INV-1")
        .set("worker_id", "W-2")
        .set("supervisor_id", "S-2")
}

pub(super) fn contact() -> Value {
    envelope("contact_made")
        .set("investigation_id", "INV-1")
        .set("kind", "home_visit")
        .set("children_seen", 2)
}

pub(super) fn safety() -> Value {
    envelope("safety_assessment_completed")
        .set("investigation_id", "INV-1")
        .set("result", "safe_with_plan")
}

pub(super) fn review() -> Value {
    envelope("supervisory_review_completed")
        .set("investigation_id", "INV-1")
        .set("supervisor_id", "S-1")
}

pub(super) fn conference() -> Value {
    envelope("conference_held")
        .set("investigation_id", "INV-1")
        .set("kind", "child_safety")
}

pub(super) fn removal() -> Value {
    envelope("removal")
        .set("investigation_id", "INV-1")
        .set("children", 1)
        .set("emergency", true)
}

pub(super) fn determination() -> Value {
    envelope("determination_made")
        .set("investigation_id", "INV-1")
        .set("finding", "indicated")
}

pub(super) fn closed() -> Value {
    envelope("investigation_closed").set("investigation_id", "INV-1")
}

pub(super) fn worker() -> Value {
    envelope("worker_status_changed")
        .set("worker_id", "W-1")
        .set("role", "supervisor")
        .set("status", "on_leave")
}

/// One valid fixture per event type, in the contract's order.
pub(super) fn every_type() -> Vec<Value> {
    vec![
        opened(),
        transferred(),
        contact(),
        safety(),
        review(),
        conference(),
        removal(),
        determination(),
        closed(),
        worker(),
    ]
}

/// A string of exactly `n` chars, each several bytes long in UTF-8.
pub(super) fn wide(n: usize) -> String {
    "é🦀".chars().cycle().take(n).collect()
}
