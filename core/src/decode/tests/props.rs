//! Properties over generated input: no panics, round trips, and single defects reported
//! against the field that carries them.

use super::*;
use crate::event::{ConferenceKind, ContactKind, Finding, Role, SafetyResult, WorkerStatus};
use proptest::prelude::*;
use proptest::sample::select;

const KEYS: &[&str] = &[
    "v",
    "event_id",
    "type",
    "occurred_at",
    "recorded_at",
    "zone",
    "investigation_id",
    "received_at",
    "family_id",
    "children",
    "worker_id",
    "supervisor_id",
    "heightened_oversight",
    "after_hours",
    "kind",
    "children_seen",
    "by_ecs",
    "result",
    "emergency",
    "finding",
    "role",
    "status",
    "extra",
];

const WORDS: &[&str] = &[
    "",
    "investigation_opened",
    "investigation_transferred",
    "contact_made",
    "safety_assessment_completed",
    "supervisory_review_completed",
    "conference_held",
    "removal",
    "determination_made",
    "investigation_closed",
    "worker_status_changed",
    "initial",
    "home_visit",
    "collateral",
    "follow_up",
    "safe",
    "safe_with_plan",
    "unsafe",
    "child_safety",
    "family_team",
    "indicated",
    "unfounded",
    "cps",
    "supervisor",
    "manager",
    "active",
    "on_leave",
    "separated",
    "Z01",
    "Z20",
    "OSI",
    "Z21",
    "2026-03-01T09:30:00Z",
    "2026-03-01 09:30:00.123456789-05:00",
    "2026-03-09T12:00:00.000000001Z",
    "2300-01-01T00:00:00Z",
    "1600-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "INV-1",
    "\u{0}",
    "é🦀",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-3i64..=130).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-3i32..=130).prop_map(|n| Value::from(f64::from(n))),
        any::<f64>().prop_map(Value::from),
        select(WORDS).prop_map(Value::from),
        "\\PC{0,140}".prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Value> {
    let field = (select(KEYS), value());
    (
        prop::collection::vec(field, 0..12),
        prop_oneof![Just(None), select(WORDS).prop_map(Some)],
    )
        .prop_map(|(fields, ty)| {
            let mut m: serde_json::Map<String, Value> =
                fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            // Give most objects a plausible envelope, so generation reaches the later checks.
            if let Some(ty) = ty {
                m.entry("v").or_insert(json!(1));
                m.entry("type").or_insert(json!(ty));
            }
            Value::Object(m)
        })
}

fn id() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Za-z0-9_-]{1,128}", "\\PC{1,128}"]
}

fn instant() -> impl Strategy<Value = Ts> {
    // 1970 to 2026-03-08, the fixture clock, so nothing is in the future.
    (0i64..=now().0).prop_map(Ts)
}

fn body() -> impl Strategy<Value = Body> {
    let n = 0u32..=100;
    let b = any::<bool>;
    prop_oneof![
        (id(), instant(), id(), 1u32..=100, id(), id(), b(), b()).prop_map(
            |(investigation_id, received_at, family_id, children, w, s, h, a)| {
                Body::InvestigationOpened(Opened {
                    investigation_id,
                    received_at,
                    family_id,
                    children,
                    worker_id: w,
                    supervisor_id: s,
                    heightened_oversight: h,
                    after_hours: a,
                })
            }
        ),
        (id(), id(), id()).prop_map(|(i, w, s)| Body::InvestigationTransferred {
            investigation_id: i,
            worker_id: w,
            supervisor_id: s,
        }),
        (id(), select(ContactKind::ALL), n, b()).prop_map(|(i, kind, children_seen, by_ecs)| {
            Body::ContactMade {
                investigation_id: i,
                kind,
                children_seen,
                by_ecs,
            }
        }),
        (id(), select(SafetyResult::ALL)).prop_map(|(i, result)| Body::SafetyAssessmentCompleted {
            investigation_id: i,
            result
        }),
        (id(), id()).prop_map(|(i, s)| Body::SupervisoryReviewCompleted {
            investigation_id: i,
            supervisor_id: s,
        }),
        (id(), select(ConferenceKind::ALL)).prop_map(|(i, kind)| Body::ConferenceHeld {
            investigation_id: i,
            kind
        }),
        (id(), 1u32..=100, b()).prop_map(|(i, children, emergency)| Body::Removal {
            investigation_id: i,
            children,
            emergency,
        }),
        (id(), select(Finding::ALL)).prop_map(|(i, finding)| Body::DeterminationMade {
            investigation_id: i,
            finding
        }),
        id().prop_map(|i| Body::InvestigationClosed {
            investigation_id: i
        }),
        (id(), select(Role::ALL), select(WorkerStatus::ALL)).prop_map(|(w, role, status)| {
            Body::WorkerStatusChanged {
                worker_id: w,
                role,
                status,
            }
        }),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    let zones: Vec<String> = ZoneSet::standard().codes().map(str::to_owned).collect();
    (id(), instant(), instant(), select(zones), body()).prop_map(
        |(event_id, occurred_at, recorded_at, zone, body)| Event {
            event_id,
            occurred_at,
            recorded_at,
            zone,
            body,
        },
    )
}

/// The keys a fixture of this type has, or may have, whose change only that field checks.
fn mutable_keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| *k != "type")
        .cloned()
        .collect();
    keys.push("recorded_at".into());
    match v["type"].as_str() {
        Some("investigation_opened") => {
            keys.extend(["heightened_oversight".into(), "after_hours".into()]);
        }
        Some("contact_made") => keys.push("by_ecs".into()),
        _ => {}
    }
    keys
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode_bytes(&bytes);
    }

    #[test]
    fn never_panics_on_mangled_json(v in select(every_type()), cut in any::<prop::sample::Index>(),
                                   byte in any::<u8>()) {
        let mut bytes = serde_json::to_vec(&v).unwrap();
        let at = cut.index(bytes.len());
        bytes[at] = byte;
        let _ = decode_bytes(&bytes);
        let _ = decode_bytes(&bytes[..at]);
    }

    #[test]
    fn json_ish_objects(v in object()) {
        let compact = serde_json::to_vec(&v).unwrap();
        let got = decode_bytes(&compact);
        // Layout never matters.
        let pretty = serde_json::to_vec_pretty(&v).unwrap();
        prop_assert_eq!(&decode_bytes(&pretty), &got);
        match got {
            Ok(e) => prop_assert_eq!(decode_bytes(e.to_json().as_bytes()), Ok(e.clone())),
            Err(r) => {
                // serde_json only ever writes valid JSON objects.
                prop_assert!(r.reason != DeadLetterReason::MalformedJson, "{}", r.detail);
                prop_assert_eq!(r.field.is_some(), r.reason != DeadLetterReason::TooLarge);
            }
        }
    }

    #[test]
    fn valid_events_round_trip(e in event()) {
        prop_assert_eq!(decode_bytes(e.to_json().as_bytes()), Ok(e));
    }

    #[test]
    fn a_single_defect_is_reported_on_its_field(v in select(every_type()),
                                                which in any::<prop::sample::Index>(),
                                                new in value()) {
        let keys = mutable_keys(&v);
        let key = which.get(&keys).clone();
        let changed = v.clone().set(&key, new);
        if let Err(r) = decode_value(&changed) {
            prop_assert_eq!(r.field, Some(static_key(&key)), "{}: {}", key, r.detail);
        }
    }
}

/// `Rejection::field` is `'static`; find the same name among the constants.
fn static_key(key: &str) -> &'static str {
    KEYS.iter()
        .copied()
        .find(|k| *k == key)
        .expect("mutable keys are contract keys")
}
