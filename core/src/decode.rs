//! Decoding and validation of contract v1 messages (`shared/events-v1.md`).
//!
//! serde_json makes one pass over the message and fills one slot per field the contract
//! names; every other value is checked for well-formedness and dropped without being kept.
//! Validation then visits the slots in the contract's precedence order, so the first defect
//! found is the one the contract says to report.
//!
//! Readings of the contract chosen here:
//! - A number is a whole number when its value is integral, so `1.0` and `1e0` count. The
//!   judgement is made on serde_json's `f64` for non-integer literals, and a literal too
//!   large for `f64` (`1e400`) is `malformed_json`.
//! - `v` and `type` are reported with `field` set, even when the reason is not
//!   `invalid_field`, so every reason but `too_large` and `malformed_json` names a field.
//! - A well-formed `occurred_at` or `received_at` beyond `Ts::MAX` (year 2262) is
//!   `future_timestamp`. Any timestamp before `Ts::MIN` (1677), and a `recorded_at` beyond
//!   `Ts::MAX`, cannot be represented and is `invalid_field`.
//! - With duplicate keys the last one wins, as in serde_json's own `Value`.
//! - A lone UTF-16 surrogate escape anywhere, even in an ignored field, is `malformed_json`:
//!   the message cannot be the UTF-8 the contract requires. So is a leading byte-order mark.
//! - String lengths count Unicode scalar values (`char`s), not bytes.
//! - Only `occurred_at` and, on `investigation_opened`, `received_at` have a future bound;
//!   `recorded_at` has none. A field that does not belong to the event's type is an extra
//!   field and ignored, whatever it holds.

use std::fmt;

use crate::event::{
    Body, ConferenceKind, ContactKind, Event, EventType, Finding, Opened, Role, SafetyResult,
    WorkerStatus,
};
use crate::time::{Dur, Ts};
use crate::zone::ZoneSet;

mod check;
mod read;

use check::{
    boolean, choice, event_type, flag, id_string, integer, json_error, malformed, not_future,
    optional, quote, reject, representable, required, stamp, string, version, Stamp,
};
use read::Fields;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// A longer message is `too_large`; exactly this many bytes is accepted.
    pub max_message_bytes: usize,
    /// An instant more than this past `now` is `future_timestamp`; exactly this is accepted.
    pub max_future_skew: Dur,
}

impl Default for DecodeLimits {
    fn default() -> DecodeLimits {
        DecodeLimits {
            max_message_bytes: 64 * 1024,
            max_future_skew: Dur::hours(24),
        }
    }
}

/// The dead-letter reason codes, in the contract's precedence order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeadLetterReason {
    TooLarge,
    MalformedJson,
    UnsupportedVersion,
    UnknownType,
    InvalidField,
    UnknownZone,
    FutureTimestamp,
}

impl DeadLetterReason {
    pub const ALL: [DeadLetterReason; 7] = [
        DeadLetterReason::TooLarge,
        DeadLetterReason::MalformedJson,
        DeadLetterReason::UnsupportedVersion,
        DeadLetterReason::UnknownType,
        DeadLetterReason::InvalidField,
        DeadLetterReason::UnknownZone,
        DeadLetterReason::FutureTimestamp,
    ];

    /// The bare code the `reason` header carries.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadLetterReason::TooLarge => "too_large",
            DeadLetterReason::MalformedJson => "malformed_json",
            DeadLetterReason::UnsupportedVersion => "unsupported_version",
            DeadLetterReason::UnknownType => "unknown_type",
            DeadLetterReason::InvalidField => "invalid_field",
            DeadLetterReason::UnknownZone => "unknown_zone",
            DeadLetterReason::FutureTimestamp => "future_timestamp",
        }
    }
}

impl fmt::Display for DeadLetterReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a message was dead-lettered.
///
/// `detail` is for the `detail` header. It never quotes an id field's value, because ids
/// are pseudonymous only as long as they stay out of logs and headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub reason: DeadLetterReason,
    /// The contract field at fault; `None` only for `too_large` and `malformed_json`.
    pub field: Option<&'static str>,
    pub detail: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason, self.detail)
    }
}

impl std::error::Error for Rejection {}

/// Decodes and validates one message value. Pure: `now` is the wall clock to judge
/// `future_timestamp` by.
pub fn decode(
    bytes: &[u8],
    zones: &ZoneSet,
    limits: &DecodeLimits,
    now: Ts,
) -> Result<Event, Rejection> {
    if bytes.len() > limits.max_message_bytes {
        return Err(reject(
            DeadLetterReason::TooLarge,
            None,
            format!(
                "message is {} bytes, the limit is {}",
                bytes.len(),
                limits.max_message_bytes
            ),
        ));
    }
    // Checking the whole buffer up front covers ignored fields too, which serde_json would
    // skip over without looking at their bytes.
    let text = std::str::from_utf8(bytes).map_err(|e| {
        malformed(format!(
            "message is not valid UTF-8 (bad byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    let mut f: Fields<'_> = serde_json::from_str(text).map_err(|e| json_error(&e, text))?;

    version(f.v.take())?;
    let ty = event_type(f.ty.take())?;

    let event_id = id_string("event_id", f.event_id.take())?;
    let occurred_at = stamp(
        "occurred_at",
        required("occurred_at", f.occurred_at.take())?,
    )?;
    let recorded_at = match optional(f.recorded_at.take()) {
        None => None,
        Some(raw) => Some(representable("recorded_at", stamp("recorded_at", raw)?)?),
    };
    let zone = string("zone", f.zone.take(), true)?;
    let (body, received_at) = decode_body(ty, &mut f)?;

    if !zones.contains(&zone) {
        return Err(reject(
            DeadLetterReason::UnknownZone,
            Some("zone"),
            format!("field `zone` is {}, not a configured zone", quote(&zone)),
        ));
    }

    let limit = now.plus(limits.max_future_skew);
    let occurred_at = not_future("occurred_at", occurred_at, limit, limits, now)?;
    if let Some(received) = received_at {
        not_future("received_at", received, limit, limits, now)?;
    }

    Ok(Event {
        event_id,
        occurred_at,
        recorded_at: recorded_at.unwrap_or(occurred_at),
        zone,
        body,
    })
}

/// Type fields in the order the contract lists them, which is the order defects are
/// reported in. For `investigation_opened` it also hands back `received_at`, whose future
/// check must wait until the zone has been checked.
fn decode_body(ty: EventType, f: &mut Fields<'_>) -> Result<(Body, Option<Stamp>), Rejection> {
    let body = match ty {
        EventType::InvestigationOpened => {
            let investigation_id = id_string("investigation_id", f.investigation_id.take())?;
            let received = stamp(
                "received_at",
                required("received_at", f.received_at.take())?,
            )?;
            let opened = Opened {
                investigation_id,
                // A received_at past Ts::MAX is always rejected as future_timestamp later,
                // so this stand-in never leaves the decoder.
                received_at: received.at_or_max(),
                family_id: id_string("family_id", f.family_id.take())?,
                children: integer("children", f.children.take(), 1, 100)?,
                worker_id: id_string("worker_id", f.worker_id.take())?,
                supervisor_id: id_string("supervisor_id", f.supervisor_id.take())?,
                heightened_oversight: flag("heightened_oversight", f.heightened_oversight.take())?,
                after_hours: flag("after_hours", f.after_hours.take())?,
            };
            return Ok((Body::InvestigationOpened(opened), Some(received)));
        }
        EventType::InvestigationTransferred => Body::InvestigationTransferred {
            investigation_id: id_string("investigation_id", f.investigation_id.take())?,
            worker_id: id_string("worker_id", f.worker_id.take())?,
            supervisor_id: id_string("supervisor_id", f.supervisor_id.take())?,
        },
        EventType::ContactMade => Body::ContactMade {
            investigation_id: id_string("investigation_id", f.investigation_id.take())?,
            kind: choice(
                "kind",
                f.kind.take(),
                ContactKind::parse,
                ContactKind::expected,
            )?,
            children_seen: integer("children_seen", f.children_seen.take(), 0, 100)?,
            by_ecs: flag("by_ecs", f.by_ecs.take())?,
        },
        EventType::SafetyAssessmentCompleted => Body::SafetyAssessmentCompleted {
            investigation_id: id_string("investigation_id", f.investigation_id.take())?,
            result: choice(
                "result",
                f.result.take(),
                SafetyResult::parse,
                SafetyResult::expected,
            )?,
        },
        EventType::SupervisoryReviewCompleted => Body::SupervisoryReviewCompleted {
            investigation_id: id_string("investigation_id", f.investigation_id.take())?,
            supervisor_id: id_string("supervisor_id", f.supervisor_id.take())?,
        },
        EventType::ConferenceHeld => Body::ConferenceHeld {
            investigation_id: id_string("investigation_id", f.investigation_id.take())?,
            kind: choice(
                "kind",
                f.kind.take(),
                ConferenceKind::parse,
                ConferenceKind::expected,
            )?,
        },
        EventType::Removal => Body::Removal {
            investigation_id: id_string("investigation_id", f.investigation_id.take())?,
            children: integer("children", f.children.take(), 1, 100)?,
            emergency: boolean("emergency", required("emergency", f.emergency.take())?)?,
        },
        EventType::DeterminationMade => Body::DeterminationMade {
            investigation_id: id_string("investigation_id", f.investigation_id.take())?,
            finding: choice(
                "finding",
                f.finding.take(),
                Finding::parse,
                Finding::expected,
            )?,
        },
        EventType::InvestigationClosed => Body::InvestigationClosed {
            investigation_id: id_string("investigation_id", f.investigation_id.take())?,
        },
        EventType::WorkerStatusChanged => Body::WorkerStatusChanged {
            worker_id: id_string("worker_id", f.worker_id.take())?,
            role: choice("role", f.role.take(), Role::parse, Role::expected)?,
            status: choice(
                "status",
                f.status.take(),
                WorkerStatus::parse,
                WorkerStatus::expected,
            )?,
        },
    };
    Ok((body, None))
}

#[cfg(test)]
mod tests;
