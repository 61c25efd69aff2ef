//! Every dead-letter reason, the precedence between them, and what details may say.

use super::*;
use std::collections::HashSet;
use DeadLetterReason::*;

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    reason: DeadLetterReason,
    field: Option<&'static str>,
}

fn case(name: &'static str, v: Value, reason: DeadLetterReason, field: &'static str) -> Case {
    Case {
        name,
        bytes: serde_json::to_vec(&v).unwrap(),
        reason,
        field: Some(field),
    }
}

fn raw(name: &'static str, bytes: impl Into<Vec<u8>>, reason: DeadLetterReason) -> Case {
    Case {
        name,
        bytes: bytes.into(),
        reason,
        field: None,
    }
}

fn future() -> &'static str {
    "2026-03-10T12:00:00Z"
}

// One case per line, so the table reads as a table.
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let huge = "x".repeat(70 * 1024);
    let too_long = "a".repeat(129);
    vec![
        // 1. too_large, even when the oversized bytes are not JSON at all.
        raw("padded valid event", serde_json::to_vec(&opened().set("pad", huge.clone())).unwrap(), TooLarge),
        raw("oversized garbage", huge.as_bytes().to_vec(), TooLarge),
        // 2. malformed_json.
        raw("empty", "", MalformedJson),
        raw("not json", "hello", MalformedJson),
        raw("truncated", r#"{"v":1,"type":"removal""#, MalformedJson),
        raw("truncated with bad v", r#"{"v":2,"type":"#, MalformedJson),
        raw("trailing comma", r#"{"v":1,}"#, MalformedJson),
        raw("trailing data", [serde_json::to_vec(&closed()).unwrap(), b" {}".to_vec()].concat(), MalformedJson),
        raw("top-level array", "[1,2]", MalformedJson),
        raw("top-level string", r#""INV-1""#, MalformedJson),
        raw("top-level null", "null", MalformedJson),
        raw("top-level number", "7", MalformedJson),
        raw("invalid utf-8 in an ignored field", [&br#"{"x":""#[..], b"\xff\xfe", br#"","v":1}"#].concat(), MalformedJson),
        raw("lone surrogate in an ignored field", r#"{"x":"\ud800","v":1}"#, MalformedJson),
        raw("lone surrogate in a key", r#"{"\udc00":1}"#, MalformedJson),
        raw("raw control char in a string", "{\"zone\":\"Z0\u{1}\"}", MalformedJson),
        raw("number beyond f64", r#"{"v":1,"x":1e400}"#, MalformedJson),
        raw("nesting beyond serde_json's limit", format!("{{\"x\":{}{}}}", "[".repeat(200), "]".repeat(200)), MalformedJson),
        raw("nesting deep enough to overflow a naive stack", format!("{{\"x\":{}", "[".repeat(32_000)), MalformedJson),
        raw("byte order mark", [&b"\xef\xbb\xbf"[..], &serde_json::to_vec(&closed()).unwrap()].concat(), MalformedJson),
        // 3. v.
        case("v missing", closed().del("v"), InvalidField, "v"),
        case("v null", closed().set("v", Value::Null), InvalidField, "v"),
        case("v string", closed().set("v", "1"), InvalidField, "v"),
        case("v bool", closed().set("v", true), InvalidField, "v"),
        case("v zero", closed().set("v", 0), InvalidField, "v"),
        case("v negative", closed().set("v", -1), InvalidField, "v"),
        case("v fractional", closed().set("v", 1.5), InvalidField, "v"),
        case("v two", closed().set("v", 2), UnsupportedVersion, "v"),
        case("v two as float", closed().set("v", 2.0), UnsupportedVersion, "v"),
        case("v u64::MAX", closed().set("v", u64::MAX), UnsupportedVersion, "v"),
        case("v 1e300", closed().set("v", 1e300), UnsupportedVersion, "v"),
        // 4. type.
        case("type missing", closed().del("type"), InvalidField, "type"),
        case("type null", closed().set("type", Value::Null), InvalidField, "type"),
        case("type number", closed().set("type", 3), InvalidField, "type"),
        case("type unknown", closed().set("type", "investigation_reopened"), UnknownType, "type"),
        case("type wrong case", closed().set("type", "Investigation_Closed"), UnknownType, "type"),
        case("type empty", closed().set("type", ""), UnknownType, "type"),
        // 5. Envelope fields.
        case("event_id missing", closed().del("event_id"), InvalidField, "event_id"),
        case("event_id empty", closed().set("event_id", ""), InvalidField, "event_id"),
        case("event_id too long", closed().set("event_id", too_long.clone()), InvalidField, "event_id"),
        case("event_id number", closed().set("event_id", 17), InvalidField, "event_id"),
        case("occurred_at missing", closed().del("occurred_at"), InvalidField, "occurred_at"),
        case("occurred_at null", closed().set("occurred_at", Value::Null), InvalidField, "occurred_at"),
        case("occurred_at without offset", closed().set("occurred_at", "2026-03-01T09:30:00"), InvalidField, "occurred_at"),
        case("occurred_at date only", closed().set("occurred_at", "2026-03-01"), InvalidField, "occurred_at"),
        case("occurred_at 10 fraction digits", closed().set("occurred_at", "2026-03-01T09:30:00.1234567890Z"), InvalidField, "occurred_at"),
        case("occurred_at epoch number", closed().set("occurred_at", 1_772_000_000), InvalidField, "occurred_at"),
        case("occurred_at before 1677", closed().set("occurred_at", "1600-01-01T00:00:00Z"), InvalidField, "occurred_at"),
        case("recorded_at garbage", closed().set("recorded_at", "yesterday"), InvalidField, "recorded_at"),
        case("recorded_at false", closed().set("recorded_at", false), InvalidField, "recorded_at"),
        case("recorded_at past 2262", closed().set("recorded_at", "2300-01-01T00:00:00Z"), InvalidField, "recorded_at"),
        case("zone missing", closed().del("zone"), InvalidField, "zone"),
        case("zone empty", closed().set("zone", ""), InvalidField, "zone"),
        case("zone number", closed().set("zone", 7), InvalidField, "zone"),
        case("zone too long", closed().set("zone", too_long.clone()), InvalidField, "zone"),
        // 5. Type fields, one or more per type.
        case("opened investigation_id missing", opened().del("investigation_id"), InvalidField, "investigation_id"),
        case("opened received_at missing", opened().del("received_at"), InvalidField, "received_at"),
        case("opened received_at bad", opened().set("received_at", "2026-13-01T00:00:00Z"), InvalidField, "received_at"),
        case("opened family_id object", opened().set("family_id", json!({"id": 1})), InvalidField, "family_id"),
        case("opened children zero", opened().set("children", 0), InvalidField, "children"),
        case("opened children string", opened().set("children", "2"), InvalidField, "children"),
        case("opened worker_id array", opened().set("worker_id", json!(["W-1"])), InvalidField, "worker_id"),
        case("opened supervisor_id null", opened().set("supervisor_id", Value::Null), InvalidField, "supervisor_id"),
        case("opened heightened_oversight string", opened().set("heightened_oversight", "true"), InvalidField, "heightened_oversight"),
        case("opened after_hours number", opened().set("after_hours", 1), InvalidField, "after_hours"),
        case("transfer worker_id missing", transferred().del("worker_id"), InvalidField, "worker_id"),
        case("transfer supervisor_id missing", transferred().del("supervisor_id"), InvalidField, "supervisor_id"),
        case("contact kind not listed", contact().set("kind", "visit"), InvalidField, "kind"),
        case("contact kind of a conference", contact().set("kind", "child_safety"), InvalidField, "kind"),
        case("contact children_seen negative", contact().set("children_seen", -1), InvalidField, "children_seen"),
        case("contact children_seen 101", contact().set("children_seen", 101), InvalidField, "children_seen"),
        case("contact children_seen fractional", contact().set("children_seen", 1.5), InvalidField, "children_seen"),
        case("contact by_ecs string", contact().set("by_ecs", "no"), InvalidField, "by_ecs"),
        case("safety result wrong case", safety().set("result", "SAFE"), InvalidField, "result"),
        case("review supervisor_id missing", review().del("supervisor_id"), InvalidField, "supervisor_id"),
        case("conference kind of a contact", conference().set("kind", "home_visit"), InvalidField, "kind"),
        case("removal children 101", removal().set("children", 101), InvalidField, "children"),
        case("removal emergency missing", removal().del("emergency"), InvalidField, "emergency"),
        case("removal emergency null", removal().set("emergency", Value::Null), InvalidField, "emergency"),
        case("determination finding not listed", determination().set("finding", "substantiated"), InvalidField, "finding"),
        case("closed investigation_id number", closed().set("investigation_id", 42), InvalidField, "investigation_id"),
        case("worker worker_id missing", worker().del("worker_id"), InvalidField, "worker_id"),
        case("worker role missing", worker().del("role"), InvalidField, "role"),
        case("worker status not listed", worker().set("status", "retired"), InvalidField, "status"),
        // 6. unknown_zone.
        case("zone not configured", closed().set("zone", "Z21"), UnknownZone, "zone"),
        case("zone wrong case", closed().set("zone", "osi"), UnknownZone, "zone"),
        case("zone is the citywide pseudo-zone", closed().set("zone", crate::CITYWIDE), UnknownZone, "zone"),
        // 7. future_timestamp.
        case("occurred_at two days ahead", closed().set("occurred_at", future()), FutureTimestamp, "occurred_at"),
        case("occurred_at past 2262", closed().set("occurred_at", "2300-01-01T00:00:00Z"), FutureTimestamp, "occurred_at"),
        case("received_at two days ahead", opened().set("received_at", future()), FutureTimestamp, "received_at"),
        case("received_at past 2262", opened().set("received_at", "9999-12-31T23:59:59Z"), FutureTimestamp, "received_at"),
        // Precedence between reasons.
        case("bad v beats unknown type", closed().set("v", 0).set("type", "nope"), InvalidField, "v"),
        case("unsupported v beats unknown type", closed().set("v", 3).set("type", "nope"), UnsupportedVersion, "v"),
        case("unsupported v beats everything after it", json!({"v": 2}), UnsupportedVersion, "v"),
        case("bad type beats missing fields", json!({"v": 1, "type": 5}), InvalidField, "type"),
        case("unknown type beats missing fields", json!({"v": 1, "type": "nope"}), UnknownType, "type"),
        case("envelope before type fields", closed().del("zone").del("investigation_id"), InvalidField, "zone"),
        case("event_id before occurred_at", closed().del("event_id").set("occurred_at", "x"), InvalidField, "event_id"),
        case("occurred_at before recorded_at", closed().set("occurred_at", "x").set("recorded_at", "y"), InvalidField, "occurred_at"),
        case("recorded_at before zone", closed().set("recorded_at", "y").set("zone", ""), InvalidField, "recorded_at"),
        case("type fields in contract order", opened().set("children", 0).del("worker_id").del("family_id"), InvalidField, "family_id"),
        case("heightened_oversight before after_hours", opened().set("after_hours", 1).set("heightened_oversight", 1), InvalidField, "heightened_oversight"),
        case("kind before children_seen", contact().set("children_seen", -1).set("kind", "x"), InvalidField, "kind"),
        case("role before status", worker().set("status", "x").set("role", "x"), InvalidField, "role"),
        case("invalid field beats unknown zone", closed().set("zone", "Z99").del("investigation_id"), InvalidField, "investigation_id"),
        case("invalid field beats future", closed().set("occurred_at", future()).set("investigation_id", ""), InvalidField, "investigation_id"),
        case("far-future occurred_at waits behind invalid field", closed().set("occurred_at", "2300-01-01T00:00:00Z").del("investigation_id"), InvalidField, "investigation_id"),
        case("unknown zone beats future", opened().set("zone", "Z99").set("occurred_at", future()), UnknownZone, "zone"),
        case("occurred_at before received_at", opened().set("received_at", future()).set("occurred_at", future()), FutureTimestamp, "occurred_at"),
    ]
}

#[test]
fn table() {
    let mut seen = HashSet::new();
    for c in cases() {
        let got = decode_bytes(&c.bytes).expect_err(c.name);
        assert_eq!(
            (got.reason, got.field),
            (c.reason, c.field),
            "{}: {}",
            c.name,
            got.detail
        );
        if let Some(field) = c.field {
            let named = format!("`{field}`");
            assert!(
                got.detail.contains(&named),
                "{}: detail {:?}",
                c.name,
                got.detail
            );
        }
        assert!(
            got.detail.len() < 512,
            "{}: detail too long: {}",
            c.name,
            got.detail
        );
        seen.insert(c.reason);
    }
    assert_eq!(
        seen,
        HashSet::from(DeadLetterReason::ALL),
        "every reason has a case"
    );
}

#[test]
fn reason_codes() {
    let codes: Vec<&str> = DeadLetterReason::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        codes,
        [
            "too_large",
            "malformed_json",
            "unsupported_version",
            "unknown_type",
            "invalid_field",
            "unknown_zone",
            "future_timestamp"
        ]
    );
    for r in DeadLetterReason::ALL {
        assert_eq!(r.to_string(), r.as_str());
    }
}

#[test]
fn details_read_well() {
    let detail = |v: Value| decode_value(&v).unwrap_err().detail;
    assert_eq!(
        detail(opened().set("children", 0)),
        "field `children` must be an integer from 1 to 100, got 0"
    );
    assert_eq!(
        detail(opened().set("children", "3")),
        "field `children` must be an integer from 1 to 100, got \"3\""
    );
    assert_eq!(
        detail(closed().set("investigation_id", "a".repeat(130))),
        "field `investigation_id` must be 1 to 128 characters, but is 130 characters long"
    );
    assert_eq!(
        detail(closed().del("investigation_id")),
        "required field `investigation_id` is missing"
    );
    assert_eq!(
        detail(contact().set("kind", "visit")),
        "field `kind` must be one of initial, home_visit, collateral, follow_up, got \"visit\""
    );
    assert_eq!(
        detail(closed().set("v", 2)),
        "field `v` is 2, but only contract version 1 is supported"
    );
    assert_eq!(
        detail(closed().set("zone", "Z99")),
        "field `zone` is \"Z99\", not a configured zone"
    );
    assert_eq!(
        detail(closed().set("occurred_at", "2026-03-09T12:00:00.000000001Z")),
        "field `occurred_at` is 2026-03-09T12:00:00.000000001Z, more than 24h ahead of the \
         wall clock (2026-03-08T12:00:00Z)"
    );
    assert_eq!(
        detail(json!([1])),
        "the top level is an array, not an object"
    );
    let too_large = decode_bytes(&vec![b' '; 65 * 1024]).unwrap_err();
    assert_eq!(
        too_large.detail,
        "message is 66560 bytes, the limit is 65536"
    );
    assert!(decode_bytes(b"{\"v\":")
        .unwrap_err()
        .detail
        .contains("line 1 column 5"));
}

#[test]
fn details_never_quote_ids() {
    let secret = "SECRET-4711";
    let long_secret = secret.repeat(12);
    for field in [
        "event_id",
        "investigation_id",
        "family_id",
        "worker_id",
        "supervisor_id",
    ] {
        for bad in [
            json!(long_secret),
            json!(4711),
            json!(true),
            json!([secret]),
        ] {
            let got = decode_value(&opened().set(field, bad.clone())).unwrap_err();
            assert_eq!(got.field, Some(field));
            assert!(
                !got.detail.contains("4711"),
                "{field} = {bad}: {}",
                got.detail
            );
            assert!(
                !got.detail.contains("true"),
                "{field} = {bad}: {}",
                got.detail
            );
        }
    }
    let top = decode_bytes(format!("{secret:?}").as_bytes()).unwrap_err();
    assert!(!top.detail.contains(secret), "{}", top.detail);
    // Ids in an otherwise rejected message stay out of the detail too.
    for v in [
        opened().set("zone", "Z99").set("investigation_id", secret),
        opened()
            .set("occurred_at", "2030-01-01T00:00:00Z")
            .set("worker_id", secret),
    ] {
        let got = decode_value(&v).unwrap_err();
        assert!(!got.detail.contains(secret), "{}", got.detail);
    }
}

#[test]
fn quoted_values_are_short_and_escaped() {
    let got = decode_value(&closed().set("type", "y\n\"".repeat(5_000))).unwrap_err();
    assert_eq!(got.reason, UnknownType);
    assert!(got.detail.len() < 512, "{}", got.detail);
    assert!(!got.detail.contains('\n'), "{}", got.detail);
    assert!(got.detail.contains('…'), "{}", got.detail);
}

#[test]
fn custom_limits_apply() {
    let bytes = serde_json::to_vec(&closed()).unwrap();
    let zones = ZoneSet::standard();
    let small = DecodeLimits {
        max_message_bytes: bytes.len() - 1,
        ..DecodeLimits::default()
    };
    assert_eq!(
        decode(&bytes, &zones, &small, now()).unwrap_err().reason,
        TooLarge
    );

    let event_time = ts("2026-03-01T14:30:00Z");
    let strict = DecodeLimits {
        max_future_skew: Dur(0),
        ..DecodeLimits::default()
    };
    assert!(decode(&bytes, &zones, &strict, event_time).is_ok());
    let before = event_time.minus(Dur(1));
    let got = decode(&bytes, &zones, &strict, before).unwrap_err();
    assert_eq!(
        (got.reason, got.field),
        (FutureTimestamp, Some("occurred_at"))
    );
    assert!(got.detail.contains("more than 0s ahead"), "{}", got.detail);

    let empty = ZoneSet::new(Vec::new());
    let got = decode(&bytes, &empty, &DecodeLimits::default(), now()).unwrap_err();
    assert_eq!(got.reason, UnknownZone);
}
