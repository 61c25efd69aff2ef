//! Messages the contract accepts, including its edges.

use super::*;
use crate::event::{ConferenceKind, ContactKind, Finding, Role, SafetyResult, WorkerStatus};

fn ok(v: &Value) -> Event {
    decode_value(v).unwrap_or_else(|r| panic!("{v}: {r}"))
}

fn body(v: &Value) -> Body {
    ok(v).body
}

fn reason(v: &Value) -> (DeadLetterReason, Option<&'static str>) {
    let r = decode_value(v).expect_err("should be rejected");
    (r.reason, r.field)
}

fn invalid(field: &'static str) -> (DeadLetterReason, Option<&'static str>) {
    (DeadLetterReason::InvalidField, Some(field))
}

#[test]
fn every_type_decodes() {
    let occurred = ts("2026-03-01T14:30:00Z");
    let e = ok(&opened());
    assert_eq!(
        e,
        Event {
            event_id: "evt-0001".into(),
            occurred_at: occurred,
            recorded_at: occurred,
            zone: "Z07".into(),
            body: Body::InvestigationOpened(Opened {
                investigation_id: "INV-1".into(),
                received_at: ts("2026-03-01T14:00:00Z"),
                family_id: "FAM-1".into(),
                children: 2,
                worker_id: "W-1".into(),
                supervisor_id: "S-1".into(),
                heightened_oversight: false,
                after_hours: false,
            }),
        }
    );
    let id = || "INV-1".to_owned();
    let expected = [
        Body::InvestigationTransferred {
            investigation_id: id(),
            worker_id: "W-2".into(),
            supervisor_id: "S-2".into(),
        },
        Body::ContactMade {
            investigation_id: id(),
            kind: ContactKind::HomeVisit,
            children_seen: 2,
            by_ecs: false,
        },
        Body::SafetyAssessmentCompleted {
            investigation_id: id(),
            result: SafetyResult::SafeWithPlan,
        },
        Body::SupervisoryReviewCompleted {
            investigation_id: id(),
            supervisor_id: "S-1".into(),
        },
        Body::ConferenceHeld {
            investigation_id: id(),
            kind: ConferenceKind::ChildSafety,
        },
        Body::Removal {
            investigation_id: id(),
            children: 1,
            emergency: true,
        },
        Body::DeterminationMade {
            investigation_id: id(),
            finding: Finding::Indicated,
        },
        Body::InvestigationClosed {
            investigation_id: id(),
        },
        Body::WorkerStatusChanged {
            worker_id: "W-1".into(),
            role: Role::Supervisor,
            status: WorkerStatus::OnLeave,
        },
    ];
    for (v, want) in every_type().iter().skip(1).zip(expected) {
        let e = ok(v);
        assert_eq!(e.body, want);
        assert_eq!((e.occurred_at, e.recorded_at), (occurred, occurred));
        assert_eq!(e.event_type().as_str(), v["type"]);
    }
}

#[test]
fn every_enum_value_is_accepted() {
    for &k in ContactKind::ALL {
        assert!(
            matches!(body(&contact().set("kind", k.as_str())), Body::ContactMade { kind, .. } if kind == k)
        );
    }
    for &r in SafetyResult::ALL {
        assert!(
            matches!(body(&safety().set("result", r.as_str())), Body::SafetyAssessmentCompleted { result, .. } if result == r)
        );
    }
    for &k in ConferenceKind::ALL {
        assert!(
            matches!(body(&conference().set("kind", k.as_str())), Body::ConferenceHeld { kind, .. } if kind == k)
        );
    }
    for &f in Finding::ALL {
        assert!(
            matches!(body(&determination().set("finding", f.as_str())), Body::DeterminationMade { finding, .. } if finding == f)
        );
    }
    for &r in Role::ALL {
        for &s in WorkerStatus::ALL {
            let v = worker().set("role", r.as_str()).set("status", s.as_str());
            assert!(
                matches!(body(&v), Body::WorkerStatusChanged { role, status, .. } if role == r && status == s)
            );
        }
    }
    for zone in ZoneSet::standard().codes() {
        assert_eq!(ok(&closed().set("zone", zone)).zone, zone);
    }
}

#[test]
fn optional_fields() {
    let v = opened()
        .set("recorded_at", "2026-03-05T08:00:00Z")
        .set("heightened_oversight", true)
        .set("after_hours", true);
    let e = ok(&v);
    assert_eq!(e.recorded_at, ts("2026-03-05T08:00:00Z"));
    let Body::InvestigationOpened(o) = e.body else {
        panic!("wrong type")
    };
    assert!(o.heightened_oversight && o.after_hours);

    // A null optional field is an absent one.
    let nulls = opened()
        .set("recorded_at", Value::Null)
        .set("heightened_oversight", Value::Null)
        .set("after_hours", Value::Null);
    assert_eq!(ok(&nulls), ok(&opened()));
    let by_ecs = |v: Value| matches!(body(&v), Body::ContactMade { by_ecs: true, .. });
    assert!(!by_ecs(contact().set("by_ecs", Value::Null)));
    assert!(!by_ecs(contact().set("by_ecs", false)));
    assert!(by_ecs(contact().set("by_ecs", true)));
    // emergency is required, and false is a value like any other.
    assert!(matches!(
        body(&removal().set("emergency", false)),
        Body::Removal {
            emergency: false,
            ..
        }
    ));
}

#[test]
fn timestamp_forms() {
    let at = |s: &str| ok(&closed().set("occurred_at", s)).occurred_at;
    let base = ts("2026-03-01T14:30:00Z");
    assert_eq!(at("2026-03-01 14:30:00Z"), base);
    assert_eq!(at("2026-03-01T14:30:00z"), base);
    assert_eq!(at("2026-03-01T09:30:00-05:00"), base);
    assert_eq!(at("2026-03-01T20:00:00+05:30"), base);
    assert_eq!(at("2026-03-01T14:30:00+00:00"), base);
    assert_eq!(at("2026-03-01 14:30:00.123456789Z").0 - base.0, 123_456_789);
    assert_eq!(at("2026-03-01T14:30:00.000000001-00:00").0 - base.0, 1);
    assert_eq!(at("2026-03-01T14:30:00.5+00:00").0 - base.0, 500_000_000);
    // A recorded_at with its own form, far from occurred_at, is kept as given.
    let e = ok(&closed().set("recorded_at", "2026-03-04 01:02:03.000000004+01:00"));
    assert_eq!(e.recorded_at, ts("2026-03-04T00:02:03.000000004Z"));
    assert_eq!(e.occurred_at, base);
    // Past timestamps of any age the type can hold are fine.
    assert_eq!(at("1970-01-01T00:00:00Z"), Ts(0));
    assert_eq!(at("1677-09-21T00:12:43.145224192Z"), Ts::MIN);
}

#[test]
fn integral_numbers() {
    let children = |n: Value| match body(&opened().set("children", n)) {
        Body::InvestigationOpened(o) => o.children,
        other => panic!("{other:?}"),
    };
    assert_eq!(children(json!(3)), 3);
    assert_eq!(children(json!(3.0)), 3);
    assert_eq!(children(serde_json::from_str("3e0").unwrap()), 3);
    assert_eq!(children(serde_json::from_str("0.3e1").unwrap()), 3);
    assert_eq!(children(serde_json::from_str("100.0").unwrap()), 100);
    let seen = |raw: &str| {
        let v = contact().set("children_seen", serde_json::from_str::<Value>(raw).unwrap());
        decode_value(&v).map(|e| e.body)
    };
    assert!(matches!(
        seen("0"),
        Ok(Body::ContactMade {
            children_seen: 0,
            ..
        })
    ));
    assert!(matches!(
        seen("-0"),
        Ok(Body::ContactMade {
            children_seen: 0,
            ..
        })
    ));
    assert!(matches!(
        seen("0.0"),
        Ok(Body::ContactMade {
            children_seen: 0,
            ..
        })
    ));
    assert!(seen("0.5").is_err());
    assert!(seen("1e2").is_ok());
    assert!(seen("1.01e2").is_err());
    for v in ["1.0", "1e0", "0.1e1", "10e-1"] {
        let text = serde_json::to_string(&closed().del("v")).unwrap();
        let text = format!("{{\"v\":{v},{}", &text[1..]);
        assert!(decode_bytes(text.as_bytes()).is_ok(), "v = {v}");
    }
}

#[test]
fn integer_ranges() {
    let opened_children =
        |n: i64| decode_value(&opened().set("children", n)).map_err(|r| (r.reason, r.field));
    let removal_children =
        |n: i64| decode_value(&removal().set("children", n)).map_err(|r| (r.reason, r.field));
    let seen =
        |n: i64| decode_value(&contact().set("children_seen", n)).map_err(|r| (r.reason, r.field));
    for n in [1, 2, 100] {
        assert!(opened_children(n).is_ok(), "{n}");
        assert!(removal_children(n).is_ok(), "{n}");
    }
    for n in [i64::MIN, -1, 0, 101, i64::from(u32::MAX) + 1, i64::MAX] {
        assert_eq!(opened_children(n).unwrap_err(), invalid("children"), "{n}");
        assert_eq!(removal_children(n).unwrap_err(), invalid("children"), "{n}");
    }
    for n in [0, 1, 100] {
        assert!(seen(n).is_ok(), "{n}");
    }
    for n in [-1, 101] {
        assert_eq!(seen(n).unwrap_err(), invalid("children_seen"), "{n}");
    }
}

#[test]
fn string_lengths_count_chars() {
    let id_fields = [
        "event_id",
        "investigation_id",
        "family_id",
        "worker_id",
        "supervisor_id",
    ];
    for field in id_fields {
        for s in ["x".to_owned(), "a".repeat(128), wide(128), wide(1)] {
            let e = ok(&opened().set(field, s.clone()));
            assert!(e.to_json().contains(&s), "{field}");
        }
        for s in ["".to_owned(), "a".repeat(129), wide(129)] {
            assert_eq!(reason(&opened().set(field, s)), invalid(field));
        }
    }
    // 128 chars passes the length check and so reaches zone membership.
    let unknown = (DeadLetterReason::UnknownZone, Some("zone"));
    assert_eq!(reason(&closed().set("zone", wide(128))), unknown);
    assert_eq!(reason(&closed().set("zone", wide(129))), invalid("zone"));
    assert_eq!(wide(128).len(), 128 / 2 * (2 + 4));
}

#[test]
fn extra_fields_are_ignored() {
    let base = ok(&closed());
    let noisy = closed()
        .set("schema", "case-status")
        .set("nested", json!({"a": [1, 2, {"b": null}], "c": "\u{00e9}"}))
        .set("list", json!([[], {}, "x", 1.5, -3, true]))
        .set("new_field_in_v1_1", json!(1e300))
        // Fields that belong to other types are extras here, whatever they hold.
        .set("children", "many")
        .set("kind", 5)
        .set("received_at", "2099-01-01T00:00:00Z")
        .set("worker_id", json!({}));
    assert_eq!(ok(&noisy), base);
    // The same, with moderate nesting well inside serde_json's limit.
    let deep = format!(
        "{{\"x\":{}{},{}",
        "[".repeat(100),
        "]".repeat(100),
        &serde_json::to_string(&closed()).unwrap()[1..]
    );
    assert_eq!(decode_bytes(deep.as_bytes()), Ok(base));
}

#[test]
fn json_text_details() {
    let base = ok(&opened());
    // Pretty-printed, with CRLF and tabs.
    let pretty = serde_json::to_string_pretty(&opened())
        .unwrap()
        .replace('\n', "\r\n\t");
    assert_eq!(ok_text(&pretty), base);
    // Escapes decode to the same strings.
    let escaped = serde_json::to_string(&opened())
        .unwrap()
        .replace("INV-1", r"INV\u002d1")
        .replace("\"zone\"", r#""\u007Aone""#);
    assert_eq!(ok_text(&escaped), base);
    // A repeated key: the last one wins.
    let dup = format!(
        "{{\"children\":\"bad\",\"zone\":\"Z99\",{}",
        &serde_json::to_string(&opened()).unwrap()[1..]
    );
    assert_eq!(ok_text(&dup), base);
    // Non-ASCII content in ids survives exactly.
    let e = ok(&closed().set("investigation_id", "Ünïcødé-🦀"));
    assert_eq!(e.body.investigation_id(), Some("Ünïcødé-🦀"));
}

fn ok_text(s: &str) -> Event {
    decode_bytes(s.as_bytes()).unwrap_or_else(|r| panic!("{s}: {r}"))
}

#[test]
fn message_size_boundary() {
    let limit = DecodeLimits::default().max_message_bytes;
    let base = serde_json::to_vec(&closed().set("pad", "")).unwrap();
    let exact = serde_json::to_vec(&closed().set("pad", "p".repeat(limit - base.len()))).unwrap();
    assert_eq!(exact.len(), limit);
    assert!(decode_bytes(&exact).is_ok());
    let over = [&exact[..], b" "].concat();
    assert_eq!(
        decode_bytes(&over).unwrap_err().reason,
        DeadLetterReason::TooLarge
    );
}

#[test]
fn future_skew_boundary() {
    let limit = now().plus(DecodeLimits::default().max_future_skew);
    assert_eq!(limit, ts("2026-03-09T12:00:00Z"));
    let at_limit = "2026-03-09T12:00:00Z";
    let just_over = "2026-03-09T12:00:00.000000001Z";
    // The same instant written with an offset.
    let just_over_local = "2026-03-09 07:00:00.000000001-05:00";

    assert_eq!(
        ok(&closed().set("occurred_at", at_limit)).occurred_at,
        limit
    );
    let future = (DeadLetterReason::FutureTimestamp, Some("occurred_at"));
    assert_eq!(reason(&closed().set("occurred_at", just_over)), future);
    assert_eq!(
        reason(&closed().set("occurred_at", just_over_local)),
        future
    );

    assert!(decode_value(&opened().set("received_at", at_limit)).is_ok());
    let future = (DeadLetterReason::FutureTimestamp, Some("received_at"));
    assert_eq!(reason(&opened().set("received_at", just_over)), future);
    // recorded_at has no future bound in the contract.
    assert!(decode_value(&closed().set("recorded_at", "2200-01-01T00:00:00Z")).is_ok());
    // Neither has received_at on a type that does not define it.
    assert!(decode_value(&closed().set("received_at", just_over)).is_ok());
}

#[test]
fn round_trip_through_to_json() {
    let variants = every_type().into_iter().chain([
        opened()
            .set("heightened_oversight", true)
            .set("after_hours", true)
            .set("occurred_at", "2026-03-01 09:30:00.123456789-05:00")
            .set("recorded_at", "2026-03-02T00:00:00.000000001+14:00"),
        contact().set("by_ecs", true).set("children_seen", 0),
        removal().set("emergency", false).set("children", 100),
        closed().set("investigation_id", wide(128)),
    ]);
    for v in variants {
        let e = ok(&v);
        let again = decode_bytes(e.to_json().as_bytes()).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(again, e);
    }
}
