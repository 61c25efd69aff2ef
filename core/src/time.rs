//! Instants as exact nanoseconds since the Unix epoch, UTC.
//!
//! Events carry up to nine fractional digits; rounding them to microseconds would turn a
//! deadline missed by a few nanoseconds into a met one, so the core keeps every digit.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use std::fmt;

pub const NANOS_PER_SEC: i64 = 1_000_000_000;
pub const NANOS_PER_HOUR: i64 = 3_600 * NANOS_PER_SEC;
pub const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SEC;

/// An instant: nanoseconds since 1970-01-01T00:00:00Z. Serializes as the bare integer.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Ts(pub i64);

/// An exact duration in nanoseconds. Never stretched by Daylight Saving Time.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Dur(pub i64);

impl Dur {
    pub const fn secs(s: i64) -> Dur {
        Dur(s * NANOS_PER_SEC)
    }
    pub const fn hours(h: i64) -> Dur {
        Dur(h * NANOS_PER_HOUR)
    }
    pub const fn days(d: i64) -> Dur {
        Dur(d * NANOS_PER_DAY)
    }
    pub fn from_std(d: std::time::Duration) -> Dur {
        Dur(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }
}

impl Ts {
    pub const MIN: Ts = Ts(i64::MIN);
    pub const MAX: Ts = Ts(i64::MAX);

    pub fn now() -> Ts {
        Ts::from_datetime(Utc::now())
    }

    /// Saturates outside the representable range (years 1677 to 2262).
    pub fn from_datetime<Z: TimeZone>(dt: DateTime<Z>) -> Ts {
        Ts(dt
            .with_timezone(&Utc)
            .timestamp_nanos_opt()
            .unwrap_or(if dt.timestamp() < 0 {
                i64::MIN
            } else {
                i64::MAX
            }))
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(self.0)
    }

    pub fn plus(self, d: Dur) -> Ts {
        Ts(self.0.saturating_add(d.0))
    }

    pub fn minus(self, d: Dur) -> Ts {
        Ts(self.0.saturating_sub(d.0))
    }

    pub fn since(self, earlier: Ts) -> Dur {
        Dur(self.0.saturating_sub(earlier.0))
    }

    /// RFC 3339 with as many fractional digits as needed and a `Z` offset.
    pub fn to_rfc3339(self) -> String {
        self.to_datetime()
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }

    /// Parses the contract's timestamp form: RFC 3339 with a mandatory offset (`Z` or
    /// `±hh:mm`), `T` or a space between date and time, and 0 to 9 fractional digits.
    pub fn parse_rfc3339(s: &str) -> Option<Ts> {
        parse_rfc3339_detailed(s).ok()
    }
}

impl fmt::Debug for Ts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_rfc3339())
    }
}

impl fmt::Display for Ts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// Why a timestamp string was refused.
///
/// The contract dead-letters a far-future `occurred_at` as `future_timestamp`, so a
/// well-formed instant beyond `Ts::MAX` must be told apart from a malformed string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TsError {
    /// Not the contract's form, or not a real date and time.
    Malformed,
    /// Well-formed, but before `Ts::MIN` (1677-09-21).
    BeforeMin,
    /// Well-formed, but after `Ts::MAX` (2262-04-11).
    AfterMax,
}

/// `Ts::parse_rfc3339`, saying why a string was refused.
pub(crate) fn parse_rfc3339_detailed(s: &str) -> Result<Ts, TsError> {
    let (local, offset_secs, leap) = parse_rfc3339_parts(s).ok_or(TsError::Malformed)?;
    let utc = local.and_utc();
    // i128 so that the range check is exact at both ends, and so that an offset can carry
    // a local time just outside the range back into it.
    let secs = i128::from(utc.timestamp()) - i128::from(offset_secs) + i128::from(leap);
    let nanos = secs * i128::from(NANOS_PER_SEC) + i128::from(utc.timestamp_subsec_nanos());
    i64::try_from(nanos).map(Ts).map_err(|_| {
        if nanos < 0 {
            TsError::BeforeMin
        } else {
            TsError::AfterMax
        }
    })
}

/// The local date-time, the offset in seconds, and whether a leap second was folded.
fn parse_rfc3339_parts(s: &str) -> Option<(NaiveDateTime, i32, bool)> {
    let b = s.as_bytes();
    // YYYY-MM-DD?hh:mm:ss is 19 bytes, plus at least `Z`.
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b[i] == b'.' {
        let start = i + 1;
        let mut end = start;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        let n = end - start;
        if n == 0 || n > 9 {
            return None;
        }
        nanos = digits(&b[start..end])? * 10u32.pow(9 - n as u32);
        i = end;
    }
    let offset_secs: i32 = match &b[i..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2])? as i32;
            let m = digits(&[*m1, *m2])? as i32;
            if h > 23 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    // RFC 3339 allows a leap second (60); it is folded into the next second.
    let (second, leap) = if second == 60 {
        (59, true)
    } else {
        (second, false)
    };
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let time = chrono::NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some((NaiveDateTime::new(date, time), offset_secs, leap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_contract_forms() {
        let a = Ts::parse_rfc3339("2026-03-08T07:00:00Z").unwrap();
        let b = Ts::parse_rfc3339("2026-03-08 02:00:00-05:00").unwrap();
        assert_eq!(a, b);
        let c = Ts::parse_rfc3339("2026-03-08T07:00:00.123456789+00:00").unwrap();
        assert_eq!(c.0 - a.0, 123_456_789);
        let d = Ts::parse_rfc3339("2026-03-08T07:00:00.5Z").unwrap();
        assert_eq!(d.0 - a.0, 500_000_000);
    }

    #[test]
    fn rejects_bad_forms() {
        for s in [
            "2026-03-08T07:00:00",
            "2026-03-08",
            "2026-03-08T07:00:00.Z",
            "2026-03-08T07:00:00.1234567891Z",
            "2026-02-30T07:00:00Z",
            "2026-03-08T25:00:00Z",
            "2026-03-08T07:00:00+0500",
            "2026-03-08X07:00:00Z",
            "3000000-03-08T07:00:00Z",
            "",
            "2026-03-08T07:00:00Zjunk",
        ] {
            assert!(Ts::parse_rfc3339(s).is_none(), "{s}");
        }
    }

    #[test]
    fn tells_out_of_range_from_malformed() {
        let max = "2262-04-11T23:47:16.854775807Z";
        assert_eq!(parse_rfc3339_detailed(max), Ok(Ts::MAX));
        let min = "1677-09-21T00:12:43.145224192Z";
        assert_eq!(parse_rfc3339_detailed(min), Ok(Ts::MIN));
        for (s, want) in [
            ("2262-04-11T23:47:16.854775808Z", TsError::AfterMax),
            ("9999-12-31T23:59:60Z", TsError::AfterMax),
            ("1677-09-21T00:12:43.145224191Z", TsError::BeforeMin),
            ("0000-01-01T00:00:00Z", TsError::BeforeMin),
            ("2300-02-29T00:00:00Z", TsError::Malformed),
            ("2300-01-01T00:00:00", TsError::Malformed),
        ] {
            assert_eq!(parse_rfc3339_detailed(s), Err(want), "{s}");
        }
        // The offset, not the local time, decides whether the instant is representable.
        let back_in = Ts::parse_rfc3339("2262-04-12T00:47:16.854775807+01:00");
        assert_eq!(back_in, Some(Ts::MAX));
    }

    #[test]
    fn round_trips() {
        let t = Ts::parse_rfc3339("2026-11-01T05:30:00.000000001Z").unwrap();
        assert_eq!(Ts::parse_rfc3339(&t.to_rfc3339()), Some(t));
    }
}
