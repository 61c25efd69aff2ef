//! Field checks, one per kind of contract field. Each takes the field's slot, where
//! `None` is an absent key, and phrases its own `detail`.

use super::read::Raw;
use super::{DeadLetterReason, DecodeLimits, Rejection};
use crate::event::EventType;
use crate::time::{self, Dur, Ts, TsError, NANOS_PER_HOUR, NANOS_PER_SEC};
use serde_json::error::Category;

const SUPPORTED_VERSION: i128 = 1;
const MAX_CHARS: usize = 128;
/// Long enough to recognise a bad value in a dead-letter header, short enough to keep it small.
const MAX_QUOTED_CHARS: usize = 48;

pub(super) fn reject(
    reason: DeadLetterReason,
    field: Option<&'static str>,
    detail: String,
) -> Rejection {
    Rejection {
        reason,
        field,
        detail,
    }
}

fn invalid(field: &'static str, detail: String) -> Rejection {
    reject(DeadLetterReason::InvalidField, Some(field), detail)
}

pub(super) fn malformed(detail: String) -> Rejection {
    reject(DeadLetterReason::MalformedJson, None, detail)
}

pub(super) fn json_error(e: &serde_json::Error, text: &str) -> Rejection {
    match e.classify() {
        // The only type error our visitors can raise is a top level that is not an object.
        // serde_json's own message would quote a top-level string, which may be an id.
        Category::Data => malformed(format!(
            "the top level is {}, not an object",
            top_level_kind(text)
        )),
        // Syntax messages give a position and never quote the input.
        _ => malformed(format!("not valid JSON: {e}")),
    }
}

fn top_level_kind(text: &str) -> &'static str {
    match text.trim_start().bytes().next() {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        Some(b'-' | b'0'..=b'9') => "a number",
        _ => "not a JSON value",
    }
}

/// A required field: absent and null are both missing.
pub(super) fn required<'a>(
    field: &'static str,
    raw: Option<Raw<'a>>,
) -> Result<Raw<'a>, Rejection> {
    match raw {
        None => Err(invalid(
            field,
            format!("required field `{field}` is missing"),
        )),
        Some(Raw::Null) => Err(invalid(field, format!("required field `{field}` is null"))),
        Some(raw) => Ok(raw),
    }
}

/// An optional field: the contract makes null the same as absent.
pub(super) fn optional(raw: Option<Raw<'_>>) -> Option<Raw<'_>> {
    raw.filter(|r| !matches!(r, Raw::Null))
}

pub(super) fn version(raw: Option<Raw<'_>>) -> Result<(), Rejection> {
    let raw = required("v", raw)?;
    match raw.whole() {
        Some(SUPPORTED_VERSION) => Ok(()),
        Some(n) if n > SUPPORTED_VERSION => Err(reject(
            DeadLetterReason::UnsupportedVersion,
            Some("v"),
            format!(
                "field `v` is {}, but only contract version {SUPPORTED_VERSION} is supported",
                describe(&raw, true)
            ),
        )),
        _ => Err(invalid(
            "v",
            format!(
                "field `v` must be a positive integer, got {}",
                describe(&raw, true)
            ),
        )),
    }
}

pub(super) fn event_type(raw: Option<Raw<'_>>) -> Result<EventType, Rejection> {
    match required("type", raw)? {
        Raw::Str(s) => EventType::parse(&s).ok_or_else(|| {
            reject(
                DeadLetterReason::UnknownType,
                Some("type"),
                format!(
                    "field `type` is {}, expected one of {}",
                    quote(&s),
                    EventType::expected()
                ),
            )
        }),
        other => Err(invalid(
            "type",
            format!(
                "field `type` must be a string, got {}",
                describe(&other, true)
            ),
        )),
    }
}

/// An id field: a 1–128 char string whose value never appears in a detail.
pub(super) fn id_string(field: &'static str, raw: Option<Raw<'_>>) -> Result<String, Rejection> {
    string(field, raw, false)
}

pub(super) fn string(
    field: &'static str,
    raw: Option<Raw<'_>>,
    reveal: bool,
) -> Result<String, Rejection> {
    match required(field, raw)? {
        Raw::Str(s) => {
            if s.is_empty() {
                return Err(invalid(
                    field,
                    format!("field `{field}` must be 1 to {MAX_CHARS} characters, but is empty"),
                ));
            }
            // Bytes bound chars from above, so the count is only needed past the limit.
            if s.len() > MAX_CHARS {
                let chars = s.chars().count();
                if chars > MAX_CHARS {
                    return Err(invalid(
                        field,
                        format!(
                            "field `{field}` must be 1 to {MAX_CHARS} characters, but is {chars} characters long"
                        ),
                    ));
                }
            }
            Ok(s.into_owned())
        }
        other => Err(invalid(
            field,
            format!(
                "field `{field}` must be a string of 1 to {MAX_CHARS} characters, got {}",
                describe(&other, reveal)
            ),
        )),
    }
}

/// A parsed timestamp. `AfterMax` is kept apart because the contract makes a far-future
/// `occurred_at` a `future_timestamp`, which is reported after the zone is checked.
#[derive(Clone, Copy, Debug)]
pub(super) enum Stamp {
    At(Ts),
    AfterMax,
}

impl Stamp {
    pub(super) fn at_or_max(self) -> Ts {
        match self {
            Stamp::At(t) => t,
            Stamp::AfterMax => Ts::MAX,
        }
    }
}

pub(super) fn stamp(field: &'static str, raw: Raw<'_>) -> Result<Stamp, Rejection> {
    let Raw::Str(s) = &raw else {
        return Err(invalid(
            field,
            format!(
                "field `{field}` must be an RFC 3339 timestamp string, got {}",
                describe(&raw, true)
            ),
        ));
    };
    match time::parse_rfc3339_detailed(s) {
        Ok(t) => Ok(Stamp::At(t)),
        Err(TsError::AfterMax) => Ok(Stamp::AfterMax),
        Err(TsError::BeforeMin) => Err(invalid(
            field,
            format!(
                "field `{field}` is before {}, the earliest supported instant",
                Ts::MIN
            ),
        )),
        Err(TsError::Malformed) => Err(invalid(
            field,
            format!(
                "field `{field}` must be an RFC 3339 timestamp with an offset, \
                 like 2026-03-08T07:00:00Z, got {}",
                quote(s)
            ),
        )),
    }
}

/// For a timestamp the contract does not bound in the future, so it must fit in a `Ts`.
pub(super) fn representable(field: &'static str, stamp: Stamp) -> Result<Ts, Rejection> {
    match stamp {
        Stamp::At(t) => Ok(t),
        Stamp::AfterMax => Err(invalid(
            field,
            format!(
                "field `{field}` is after {}, the latest supported instant",
                Ts::MAX
            ),
        )),
    }
}

pub(super) fn not_future(
    field: &'static str,
    stamp: Stamp,
    limit: Ts,
    limits: &DecodeLimits,
    now: Ts,
) -> Result<Ts, Rejection> {
    let shown = match stamp {
        Stamp::At(t) if t <= limit => return Ok(t),
        Stamp::At(t) => t.to_string(),
        Stamp::AfterMax => format!("after {}", Ts::MAX),
    };
    Err(reject(
        DeadLetterReason::FutureTimestamp,
        Some(field),
        format!(
            "field `{field}` is {shown}, more than {} ahead of the wall clock ({now})",
            fmt_dur(limits.max_future_skew)
        ),
    ))
}

pub(super) fn integer(
    field: &'static str,
    raw: Option<Raw<'_>>,
    min: u32,
    max: u32,
) -> Result<u32, Rejection> {
    let raw = required(field, raw)?;
    raw.whole()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            invalid(
                field,
                format!(
                    "field `{field}` must be an integer from {min} to {max}, got {}",
                    describe(&raw, true)
                ),
            )
        })
}

pub(super) fn boolean(field: &'static str, raw: Raw<'_>) -> Result<bool, Rejection> {
    match raw {
        Raw::Bool(b) => Ok(b),
        other => Err(invalid(
            field,
            format!(
                "field `{field}` must be true or false, got {}",
                describe(&other, true)
            ),
        )),
    }
}

/// An optional boolean, false when absent.
pub(super) fn flag(field: &'static str, raw: Option<Raw<'_>>) -> Result<bool, Rejection> {
    optional(raw).map_or(Ok(false), |raw| boolean(field, raw))
}

pub(super) fn choice<E>(
    field: &'static str,
    raw: Option<Raw<'_>>,
    parse: fn(&str) -> Option<E>,
    expected: fn() -> String,
) -> Result<E, Rejection> {
    let raw = required(field, raw)?;
    if let Raw::Str(s) = &raw {
        if let Some(value) = parse(s) {
            return Ok(value);
        }
    }
    Err(invalid(
        field,
        format!(
            "field `{field}` must be one of {}, got {}",
            expected(),
            describe(&raw, true)
        ),
    ))
}

/// What a detail says a value was. Without `reveal`, only its JSON type.
fn describe(raw: &Raw<'_>, reveal: bool) -> String {
    match raw {
        Raw::Null => "null".to_owned(),
        Raw::Bool(b) if reveal => b.to_string(),
        Raw::Bool(_) => "a boolean".to_owned(),
        Raw::Int(n) if reveal => n.to_string(),
        // Debug keeps `1.0` and uses an exponent for very large values.
        Raw::Float(x) if reveal => format!("{x:?}"),
        Raw::Int(_) | Raw::Float(_) => "a number".to_owned(),
        Raw::Str(s) if reveal => quote(s),
        Raw::Str(_) => "a string".to_owned(),
        Raw::Array => "an array".to_owned(),
        Raw::Object => "an object".to_owned(),
    }
}

/// Escaped and shortened, so that a hostile value cannot bloat or break a header.
pub(super) fn quote(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
        None => format!("{s:?}"),
    }
}

fn fmt_dur(d: Dur) -> String {
    let n = d.0;
    if n != 0 && n % NANOS_PER_HOUR == 0 {
        format!("{}h", n / NANOS_PER_HOUR)
    } else if n % NANOS_PER_SEC == 0 {
        format!("{}s", n / NANOS_PER_SEC)
    } else {
        format!("{n}ns")
    }
}
