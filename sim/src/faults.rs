//! What goes wrong on the wire: producer re-sends and messages the contract rejects.
//!
//! Faults draw from their own random stream, so changing the fault fractions leaves the
//! valid events (ids, times, bytes) exactly as they were.

use crate::dist::{self, SimRng};
use crate::SimMessage;
use childstat_core::{Event, Ts, ZoneSet};
use serde_json::{Map, Value};
use std::collections::VecDeque;

/// Re-sends pick from this many recent valid messages (a producer retrying a batch)...
const RECENT: usize = 256;
/// ...keeping one in this many, which spans a longer window for fewer copies.
const KEEP_EVERY: u64 = 4;

/// `too_large` needs a 64 KiB message; keep it rare so dead-letter topics stay small.
const TOO_LARGE_SHARE: f64 = 0.02;
const TOO_LARGE_PAD: usize = 70 * 1024;

const ROTATION: [&str; 6] = [
    "malformed_json",
    "unsupported_version",
    "unknown_type",
    "invalid_field",
    "unknown_zone",
    "future_timestamp",
];

const UNKNOWN_TYPES: [&str; 3] = [
    "investigation_reopened",
    "case_note_added",
    "court_hearing_scheduled",
];

struct Sent {
    key: String,
    payload: Vec<u8>,
    event: Event,
}

pub(crate) struct Faults {
    rng: SimRng,
    seed: u64,
    duplicate: f64,
    invalid: f64,
    recent: VecDeque<Sent>,
    turn: usize,
    bad: u64,
    seen: u64,
    unknown_zone: String,
}

impl Faults {
    pub fn new(rng: SimRng, seed: u64, duplicate: f64, invalid: f64, zones: &ZoneSet) -> Faults {
        let unknown_zone = ["Z99", "Z00", "ZZ9", "NOWHERE"]
            .into_iter()
            .find(|c| !zones.contains(c))
            .map_or_else(|| format!("X{}", zones.len() + 1), str::to_string);
        Faults {
            rng,
            seed,
            duplicate,
            invalid,
            recent: VecDeque::with_capacity(RECENT),
            turn: 0,
            bad: 0,
            seen: 0,
            unknown_zone,
        }
    }

    pub fn remember(&mut self, key: &str, payload: &[u8], event: &Event) {
        self.seen += 1;
        if (self.duplicate <= 0.0 && self.invalid <= 0.0) || self.seen % KEEP_EVERY != 1 {
            return;
        }
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(Sent {
            key: key.to_string(),
            payload: payload.to_vec(),
            event: event.clone(),
        });
    }

    /// A fault to publish at `at` instead of the next valid message, if one is due.
    pub fn inject(&mut self, at: Ts) -> Option<SimMessage> {
        if self.recent.is_empty() {
            return None;
        }
        let u = dist::unit(&mut self.rng);
        let i = dist::index(&mut self.rng, self.recent.len());
        let base = &self.recent[i];
        if u < self.duplicate {
            return Some(SimMessage::Duplicate {
                key: base.key.clone(),
                payload: base.payload.clone(),
                event: base.event.clone(),
                published_at: at,
            });
        }
        if u >= self.duplicate + self.invalid {
            return None;
        }
        let key = base.key.clone();
        let event = base.event.clone();
        let (payload, reason) = self.corrupt(&event, at);
        Some(SimMessage::Invalid {
            key,
            payload,
            reason,
            published_at: at,
        })
    }

    fn corrupt(&mut self, event: &Event, at: Ts) -> (Vec<u8>, &'static str) {
        self.bad += 1;
        let Ok(Value::Object(mut m)) = serde_json::to_value(event) else {
            return (b"{".to_vec(), "malformed_json");
        };
        // A fresh id, so a rejected message is never mistaken for a re-send of a good one.
        m.insert(
            "event_id".into(),
            Value::from(format!("e-{}-bad{}", self.seed, self.bad)),
        );
        let rng = &mut self.rng;
        if dist::chance(rng, TOO_LARGE_SHARE) {
            m.insert("attachment".into(), Value::from("A".repeat(TOO_LARGE_PAD)));
            return (to_bytes(m), "too_large");
        }
        let reason = ROTATION[self.turn % ROTATION.len()];
        self.turn += 1;
        match reason {
            "malformed_json" => return (malformed(rng, to_bytes(m)), reason),
            "unsupported_version" => {
                m.insert("v".into(), Value::from([2, 3, 17][dist::index(rng, 3)]));
            }
            "unknown_type" => {
                m.insert(
                    "type".into(),
                    Value::from(UNKNOWN_TYPES[dist::index(rng, UNKNOWN_TYPES.len())]),
                );
            }
            "invalid_field" => invalid_field(rng, &mut m),
            "unknown_zone" => {
                m.insert("zone".into(), Value::from(self.unknown_zone.as_str()));
            }
            _ => {
                // Far enough ahead to be in the future by any clock, simulated or real.
                let year_2099 = Ts(4_070_908_800 * 1_000_000_000);
                let t = year_2099
                    .max(at.plus(childstat_core::Dur::days(3_650)))
                    .to_rfc3339();
                m.insert("occurred_at".into(), Value::from(t.clone()));
                m.insert("recorded_at".into(), Value::from(t));
            }
        }
        (to_bytes(m), reason)
    }
}

fn to_bytes(m: Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(&Value::Object(m)).unwrap_or_else(|_| b"{".to_vec())
}

/// Broken JSON as it really turns up: cut off mid-message, wrapped in an array, with a
/// stray closing brace, or written with single quotes. Never with a raw newline.
fn malformed(rng: &mut SimRng, good: Vec<u8>) -> Vec<u8> {
    match dist::index(rng, 4) {
        0 => {
            let cut = 1 + dist::index(rng, good.len().saturating_sub(1).max(1));
            good[..cut.min(good.len())].to_vec()
        }
        1 => [b"[".as_slice(), &good, b"]"].concat(),
        2 => [good.as_slice(), b"}"].concat(),
        _ => good
            .into_iter()
            .map(|b| if b == b'"' { b'\'' } else { b })
            .collect(),
    }
}

/// One field broken in one of the ways the contract names: missing, wrong type, out of
/// range, not in the enum, or too long.
fn invalid_field(rng: &mut SimRng, m: &mut Map<String, Value>) {
    let mut options: Vec<(&str, Value)> = vec![
        ("event_id", Value::from("e".repeat(200))),
        ("occurred_at", Value::from("last Tuesday")),
        ("zone", Value::Null),
        ("event_id", Value::Null),
        ("v", Value::from(0)),
        ("zone", Value::from(7)),
    ];
    let field_options: [(&str, Value); 6] = [
        ("children", Value::from(0)),
        ("children", Value::from(2.5)),
        ("children_seen", Value::from(101)),
        ("kind", Value::from("phone_call")),
        ("investigation_id", Value::from("I".repeat(200))),
        ("by_ecs", Value::from("yes")),
    ];
    // Type fields are the more interesting case, so prefer them when the event has any.
    let own: Vec<(&str, Value)> = field_options
        .into_iter()
        .filter(|(f, _)| m.contains_key(*f))
        .collect();
    if !own.is_empty() && dist::chance(rng, 0.6) {
        options = own;
    }
    let (field, value) = options.swap_remove(dist::index(rng, options.len()));
    if value.is_null() {
        // A required field that is missing.
        m.remove(field);
    } else {
        m.insert(field.to_string(), value);
    }
}
