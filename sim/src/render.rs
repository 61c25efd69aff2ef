//! Payload bytes for valid events.
//!
//! Most payloads are `Event::to_json` verbatim. A share use other renderings the contract
//! allows (local offsets, a space before the time, nine fractional digits, omitted or null
//! defaults, extra fields a newer producer might add) so consumers meet them in testing
//! rather than in production.

use crate::dist::{self, SimRng};
use childstat_core::{Event, Ts};
use chrono::SecondsFormat;
use chrono_tz::America::New_York;
use serde_json::{Map, Value};

const VARIANT_SHARE: f64 = 0.1;
const TIMESTAMP_FIELDS: [&str; 3] = ["occurred_at", "recorded_at", "received_at"];
const DEFAULT_FALSE_FIELDS: [&str; 3] = ["heightened_oversight", "after_hours", "by_ecs"];

pub(crate) fn render(rng: &mut SimRng, event: &Event) -> Vec<u8> {
    if !dist::chance(rng, VARIANT_SHARE) {
        return event.to_json().into_bytes();
    }
    let Ok(Value::Object(mut m)) = serde_json::to_value(event) else {
        return event.to_json().into_bytes();
    };
    if dist::chance(rng, 0.5) {
        let space = dist::chance(rng, 0.3);
        let nanos = dist::chance(rng, 0.3);
        for field in TIMESTAMP_FIELDS {
            restamp(&mut m, field, space, nanos);
        }
    }
    if dist::chance(rng, 0.5) {
        let null = dist::chance(rng, 0.5);
        for field in DEFAULT_FALSE_FIELDS {
            if m.get(field) == Some(&Value::Bool(false)) {
                if null {
                    m.insert(field.to_string(), Value::Null);
                } else {
                    m.remove(field);
                }
            }
        }
    }
    if event.recorded_at == event.occurred_at && dist::chance(rng, 0.5) {
        m.remove("recorded_at");
    }
    if dist::chance(rng, 0.3) {
        m.insert("source_system".into(), Value::from("CONNECTIONS"));
        m.insert("schema_minor".into(), Value::from(3));
    }
    serde_json::to_vec(&Value::Object(m)).unwrap_or_else(|_| event.to_json().into_bytes())
}

fn restamp(m: &mut Map<String, Value>, field: &str, space: bool, nanos: bool) {
    let Some(t) = m
        .get(field)
        .and_then(Value::as_str)
        .and_then(Ts::parse_rfc3339)
    else {
        return;
    };
    let format = if nanos {
        SecondsFormat::Nanos
    } else {
        SecondsFormat::AutoSi
    };
    let mut s = t
        .to_datetime()
        .with_timezone(&New_York)
        .to_rfc3339_opts(format, false);
    if space {
        s = s.replacen('T', " ", 1);
    }
    m.insert(field.to_string(), Value::from(s));
}
