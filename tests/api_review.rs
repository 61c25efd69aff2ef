//! The session-facing routes through `Router::oneshot`: compare, session pack, status, CSV
//! exports and the OpenAPI document; case candidates at the store.

mod common;

use axum::http::StatusCode;
use childstat_core::candidates::{ClockStatus, Criterion};
use common::api::{fixture, get_full as get, review_setup, Fixture, NOW};
use common::events::{batch, closed, contact, opened, ts};

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).expect("JSON body")
}

/// The events and snapshot of [`review_setup`], with no tokens configured.
fn review_fixture() -> Fixture {
    fixture(review_setup)
}

#[tokio::test]
async fn compare_ranks_chosen_zones_against_all_and_adds_citywide() {
    let f = review_fixture();
    let (s, _, body) = get(&f.app, "/api/v1/compare?zones=Z01,Z07&window=28d").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v = json(&body);
    assert_eq!(v["zones"], serde_json::json!(["Z01", "Z07", "citywide"]));
    let row = |name: &str| {
        v["indicators"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["indicator"] == name)
            .cloned()
            .expect("row")
    };
    // Contact within 24h: Z01 1 of 2 (A missed, B met; D met by... no contact: missed too).
    let contact = row("contact_24h_rate");
    assert_eq!(contact["better"], "higher");
    assert_eq!(contact["values"]["Z01"]["numerator"], 1);
    assert_eq!(contact["values"]["Z01"]["denominator"], 3);
    assert_eq!(contact["values"]["Z07"]["value"], 1.0);
    assert_eq!(contact["values"]["Z07"]["rank"], 1);
    assert_eq!(contact["values"]["Z01"]["rank"], 2);
    assert_eq!(contact["values"]["Z01"]["of"], 2);
    assert!(contact["values"]["citywide"]["rank"].is_null());
    assert_eq!(contact["values"]["citywide"]["denominator"], 4);
    // Intakes: a volume, ranked highest first.
    let intakes = row("intakes");
    assert!(intakes["better"].is_null());
    assert_eq!(intakes["values"]["Z01"]["value"], 3.0);
    assert_eq!(intakes["values"]["Z01"]["rank"], 1);
    assert_eq!(intakes["values"]["Z07"]["rank"], 2);
    assert_eq!(intakes["values"]["Z07"]["of"], 21);
    // Overdue contact: lower is better; A is still overdue.
    let overdue = row("overdue_contact");
    assert_eq!(overdue["better"], "lower");
    assert_eq!(overdue["values"]["Z01"]["value"], 1.0);
    assert_eq!(overdue["values"]["Z01"]["rank"], 21);
}

#[tokio::test]
async fn compare_and_history_export_csv() {
    let f = review_fixture();
    let (s, ctype, body) = get(&f.app, "/api/v1/compare?zones=Z07&format=csv").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(ctype.starts_with("text/csv"), "{ctype}");
    let mut lines = body.lines();
    assert_eq!(
        lines.next(),
        Some("indicator,zone,window,as_of,value,numerator,denominator,rank,of")
    );
    // 21 indicators for Z07 and citywide.
    assert_eq!(lines.count(), 42);
    assert!(
        body.contains("\r\nintakes,Z07,28d,2026-11-02T12:00:00Z,1,1,,2,21\r\n"),
        "{body}"
    );

    let (s, ctype, body) = get(
        &f.app,
        "/api/v1/zones/Z01/indicators/intakes/history?from=2026-10-19&to=2026-10-21&format=csv",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(ctype.starts_with("text/csv"));
    let rows: Vec<&str> = body.lines().collect();
    assert_eq!(rows.len(), 4, "{body}");
    assert_eq!(
        rows[1],
        "Z01,intakes,day,2026-10-19,1,1,,2026-11-02T12:00:00Z"
    );
    assert_eq!(
        rows[3],
        "Z01,intakes,day,2026-10-21,1,1,,2026-11-02T12:00:00Z"
    );
}

#[tokio::test]
async fn compare_rejects_bad_zone_lists() {
    let f = review_fixture();
    for (uri, needle) in [
        ("/api/v1/compare", "required"),
        ("/api/v1/compare?zones=", "1 to 6"),
        ("/api/v1/compare?zones=Z99", "Z99"),
        ("/api/v1/compare?zones=Z01,Z01", "twice"),
        (
            "/api/v1/compare?zones=Z01,Z02,Z03,Z04,Z05,Z06,Z07",
            "1 to 6",
        ),
        ("/api/v1/compare?zones=Z01&format=xlsx", "json or csv"),
        ("/api/v1/compare?zones=Z01&window=1y", "window"),
        ("/api/v1/compare?zones=Z01&zone=Z02", "zone"),
    ] {
        let (s, _, body) = get(&f.app, uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {body}");
        let v = json(&body);
        assert_eq!(v["error"], "bad_request");
        assert!(
            v["message"].as_str().expect("msg").contains(needle),
            "{uri}: {body}"
        );
    }
}

#[tokio::test]
async fn session_pack_has_snapshot_trends_and_breaches() {
    let f = review_fixture();
    let (s, _, body) = get(&f.app, "/api/v1/session?zones=Z01,Z07&week=2026-W44").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v = json(&body);
    assert_eq!(v["week"], "2026-W44");
    assert_eq!(v["zones"], serde_json::json!(["Z01", "Z07", "citywide"]));
    let snap = &v["snapshot"]["values"];
    for z in ["Z01", "Z07", "citywide"] {
        for w in ["7d", "28d", "91d"] {
            assert_eq!(snap[z][w].as_array().map(Vec::len), Some(21), "{z} {w}");
        }
    }
    let intakes_28d = snap["Z01"]["28d"]
        .as_array()
        .expect("values")
        .iter()
        .find(|x| x["name"] == "intakes")
        .cloned()
        .expect("intakes");
    assert_eq!(intakes_28d["value"], 3.0);
    // 12 weekly points ending with W44, for every indicator.
    let trend = v["trends"]["Z01"]["intakes"].as_array().expect("trend");
    assert_eq!(trend.len(), 12);
    assert_eq!(trend[11]["week"], "2026-W44");
    assert_eq!(trend[0]["week"], "2026-W33");
    assert_eq!(trend[10]["value"], 3.0, "W43 holds the three Z01 intakes");
    assert_eq!(
        v["trends"]["citywide"].as_object().map(|o| o.len()),
        Some(21)
    );
    // Z01's contact rate (1 of 3) is under the default threshold; Z07's (1 of 1) is not.
    let breaches = v["breaches"].as_array().expect("breaches");
    assert!(
        breaches
            .iter()
            .any(|b| b["zone"] == "Z01" && b["indicator"] == "contact_24h_rate"),
        "{breaches:?}"
    );
    assert!(!breaches
        .iter()
        .any(|b| b["zone"] == "Z07" && b["indicator"] == "contact_24h_rate"));
    // No tokens configured: candidates are withheld, and the pack says why.
    assert!(v.get("case_candidates").is_none());
    assert!(v["case_candidates_note"]
        .as_str()
        .expect("note")
        .contains("disabled"));
}

#[tokio::test]
async fn session_needs_a_snapshot_and_valid_parameters() {
    let f = review_fixture();
    let (s, _, body) = get(&f.app, "/api/v1/session?zones=Z01&week=2026-W40").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert!(json(&body)["message"]
        .as_str()
        .expect("m")
        .contains("childstat snapshot --week 2026-W40"));
    let (s, _, body) = get(&f.app, "/api/v1/session?zones=Z01").await;
    assert_eq!(s, StatusCode::OK, "the newest snapshot by default: {body}");
    assert_eq!(json(&body)["week"], "2026-W44");
    for uri in [
        "/api/v1/session?zones=Z01&week=2026-44",
        "/api/v1/session?zones=Z01&week=2026-W54",
        "/api/v1/session?week=2026-W44",
        "/api/v1/session?zones=Z01&weeks=2",
    ] {
        let (s, _, body) = get(&f.app, uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {body}");
    }
}

#[tokio::test]
async fn status_reports_counters_and_the_last_commit() {
    let f = review_fixture();
    let (s, _, body) = get(&f.app, "/api/v1/status").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v = json(&body);
    assert_eq!(v["counters"]["consumed"], 7);
    assert_eq!(v["counters"]["applied"], 7);
    assert_eq!(v["last_commit"]["committed_at"], "2026-11-02T12:00:00Z");
    assert_eq!(v["newest_event"], "2026-10-22T14:00:00Z");
    assert!(v["freshness_seconds"].as_f64().expect("freshness") > 0.0);
    assert!(
        v["consumer_lag"]["total"].is_null(),
        "no consumer in this fixture"
    );
    assert_eq!(v["dead_letters"], serde_json::json!([]));
    assert_eq!(v["broker_up"], false);
}

#[tokio::test]
async fn openapi_documents_every_route_and_the_ui_is_served_locally() {
    let f = review_fixture();
    let (s, ctype, body) = get(&f.app, "/api/v1/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ctype.starts_with("application/json"));
    let v = json(&body);
    assert!(v["openapi"].as_str().expect("version").starts_with("3.1"));
    let paths: Vec<&str> = v["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    // Every route in the access table is documented, except the files that serve the
    // dashboard and the documentation itself.
    let serves_files = |r: &str| {
        r == "/"
            || r.starts_with("/assets/")
            || r.starts_with("/api/v1/docs")
            || r.ends_with("openapi.json")
    };
    let mut routed: Vec<&str> = childstat_api::auth::ROUTES
        .iter()
        .map(|(r, _)| *r)
        .filter(|r| !serves_files(r))
        .collect();
    routed.sort_unstable();
    let mut documented = paths.clone();
    documented.sort_unstable();
    assert_eq!(
        documented, routed,
        "the OpenAPI paths and the routed API differ"
    );
    assert!(v["components"]["schemas"]["CompareOut"].is_object());
    assert!(v["components"]["securitySchemes"]["bearer"].is_object());
    // Every documented path is routed: a request never falls through to the 404 fallback.
    for p in &paths {
        let uri = p
            .replace("{zone}", "Z01")
            .replace("{name}", "intakes")
            .replace("{iso_week}", "2026-W44");
        let (s, _, body) = get(&f.app, &uri).await;
        assert!(
            !body.contains("no such route"),
            "{uri} is documented but not routed"
        );
        assert!(s != StatusCode::INTERNAL_SERVER_ERROR, "{uri}: {body}");
    }
    let (s, ctype, page) = get(&f.app, "/api/v1/docs").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ctype.starts_with("text/html"));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no CDN"
    );
    for asset in [
        "/api/v1/docs/swagger-ui-bundle.js",
        "/api/v1/docs/swagger-ui.css",
        "/api/v1/docs/init.js",
    ] {
        let (s, _, body) = get(&f.app, asset).await;
        assert_eq!(s, StatusCode::OK, "{asset}");
        assert!(!body.is_empty());
    }
}

#[test]
fn case_candidates_at_the_store_rank_open_investigations_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = childstat_config::Config::embedded_defaults();
    let mut store = childstat_aggregator::Store::open(
        &dir.path().join("c.duckdb"),
        childstat::settings::store_settings(&cfg),
    )
    .expect("store");
    let mut a = opened("a1", "A", "Z01", "2026-10-20T09:00:00-04:00");
    if let childstat_core::Body::InvestigationOpened(o) = &mut a.body {
        o.heightened_oversight = true;
    }
    let events = vec![
        a,
        opened("e1", "E", "Z01", "2026-10-01T09:00:00-04:00"),
        contact("e2", "E", "Z01", "2026-10-01T10:00:00-04:00"),
        opened("d1", "D", "Z01", "2026-10-19T09:00:00-04:00"),
        closed("d2", "D", "Z01", "2026-10-30T12:00:00-04:00"),
    ];
    store
        .apply_batch(&batch(events, 0), ts(NOW))
        .expect("apply");
    let pool = store.read_pool(1).expect("pool");
    let all = Criterion::ALL;
    // Oct 31: A (overdue + heightened) first; E (contact on time, safety assessment overdue)
    // next; D is closed.
    let got = pool
        .case_candidates("Z01", ts("2026-10-31T00:00:00-04:00"), &all)
        .expect("candidates");
    assert_eq!(
        got.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["A", "E"]
    );
    assert_eq!(
        got[0].met,
        [Criterion::Overdue, Criterion::HeightenedOversight]
    );
    assert_eq!(got[1].safety_assessment.status, ClockStatus::Overdue);
    assert_eq!(got[1].determination.status, ClockStatus::Running);
    // Oct 29: D was still open, overdue on contact; between E and D the older comes first.
    let got = pool
        .case_candidates("Z01", ts("2026-10-29T00:00:00-04:00"), &all)
        .expect("candidates");
    assert_eq!(
        got.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["A", "E", "D"]
    );
    // Dec 1: E's 60-day determination deadline has passed too.
    let got = pool
        .case_candidates("Z01", ts("2026-12-01T00:00:00-05:00"), &all)
        .expect("candidates");
    assert_eq!(
        got.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["A", "E"]
    );
    assert_eq!(got[1].determination.status, ClockStatus::Overdue);
    assert_eq!(got[1].contact.status, ClockStatus::Met);
    assert!(pool
        .case_candidates("Z07", ts("2026-12-01T00:00:00-05:00"), &all)
        .expect("candidates")
        .is_empty());
}

#[tokio::test]
async fn compare_suppresses_small_cells_before_ranking() {
    let f = review_fixture();
    let (s, _, body) = get(&f.app, "/api/v1/compare?zones=Z01,Z07&suppress=true").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v = json(&body);
    let intakes = v["indicators"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["indicator"] == "intakes")
        .cloned()
        .expect("intakes");
    for z in ["Z01", "Z07", "citywide"] {
        let cell = &intakes["values"][z];
        assert_eq!(cell["suppressed"], true, "{z}: {cell}");
        assert!(
            cell["value"].is_null() && cell["rank"].is_null(),
            "{z}: {cell}"
        );
    }
    let (s, _, body) = get(&f.app, "/api/v1/compare?zones=Z01&suppress=maybe").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
}
