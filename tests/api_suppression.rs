//! Small-cell suppression through the API: the `public` role and `?suppress=true` get small
//! cells as `null` with `suppressed: true`, and no hidden zone value can be recovered as
//! citywide minus the visible zones, on the current, history and snapshot routes.

mod common;

use axum::http::StatusCode;
use childstat_aggregator::IsoWeek;
use childstat_api::auth::sha256_hex;
use childstat_config::{Config, Role, TokenConfig};
use childstat_core::Ts;
use common::api::{fixture_with, get_as, Fixture, NOW};
use common::events::{batch, opened};
use serde_json::Value;
use std::collections::BTreeMap;

const VIEWER: &str = "cst_suppression-viewer";
const PUBLIC: &str = "cst_suppression-public";

/// Intakes per zone in October; every other zone has none. Z02 is a small cell, and Z05
/// the smallest other non-zero one.
const INTAKES: &[(&str, usize)] = &[
    ("Z01", 30),
    ("Z02", 4),
    ("Z03", 15),
    ("Z04", 20),
    ("Z05", 12),
];

fn app() -> Fixture {
    let mut cfg = Config::embedded_defaults();
    cfg.access.tokens = [(VIEWER, Role::Viewer), (PUBLIC, Role::Public)]
        .iter()
        .map(|(t, role)| TokenConfig {
            name: role.as_str().into(),
            sha256: sha256_hex(t),
            role: *role,
        })
        .collect();
    fixture_with(cfg, |store, cfg| {
        let mut events = Vec::new();
        for (zone, n) in INTAKES {
            for i in 0..*n {
                let at = format!("2026-10-{:02}T{:02}:00:00Z", 10 + i % 20, 8 + i % 9);
                let inv = format!("I-{zone}-{i}");
                events.push(opened(&format!("e-{inv}"), &inv, zone, &at));
            }
        }
        let now = Ts::parse_rfc3339(NOW).expect("ts");
        store.apply_batch(&batch(events, 0), now).expect("apply");
        let zones: Vec<String> = cfg.zone_set().codes().map(str::to_string).collect();
        store
            .take_snapshot(
                IsoWeek::parse("2026-W44").expect("week"),
                &zones,
                now,
                false,
            )
            .expect("snapshot");
    })
}

async fn json_as(f: &Fixture, uri: &str, token: &str) -> Value {
    let (s, _, body) = get_as(&f.app, uri, Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{uri}: {body}");
    serde_json::from_str(&body).expect("json")
}

fn zones() -> Vec<String> {
    Config::embedded_defaults()
        .zone_set()
        .codes()
        .map(str::to_string)
        .collect()
}

/// indicator → zone (or `citywide`) → cell, from each zone's `/indicators`.
type Table = BTreeMap<String, BTreeMap<String, Value>>;

async fn current(f: &Fixture, token: &str, extra: &str) -> Table {
    let mut t = Table::new();
    for zone in zones().into_iter().chain(["citywide".to_string()]) {
        let v = json_as(
            f,
            &format!("/api/v1/zones/{zone}/indicators?window=28d{extra}"),
            token,
        )
        .await;
        for cell in v["indicators"].as_array().expect("indicators") {
            let name = cell["name"].as_str().expect("name").to_string();
            t.entry(name)
                .or_default()
                .insert(zone.clone(), cell.clone());
        }
    }
    t
}

fn hidden(cell: &Value) -> bool {
    cell["suppressed"] == true
}

fn small(v: &Value) -> bool {
    v.as_i64().is_some_and(|n| (1..=10).contains(&n))
}

/// `shown` against the unsuppressed `raw`: hidden cells are all null, visible ones are the
/// raw figures and never small, and no hidden zone is citywide minus the visible zones.
fn check(raw: &Table, shown: &Table, what: &str) {
    for (ind, cells) in shown {
        for (zone, cell) in cells {
            let orig = &raw[ind][zone];
            if hidden(cell) {
                for k in ["value", "numerator", "denominator"] {
                    assert!(cell[k].is_null(), "{what} {ind} {zone}: {cell}");
                }
            } else {
                assert_eq!(cell, orig, "{what} {ind} {zone}");
                assert!(
                    !small(&cell["numerator"]) && !small(&cell["denominator"]),
                    "{what} {ind} {zone} shows a small cell: {cell}"
                );
            }
        }
        let city = &cells["citywide"];
        if hidden(city) || ind == "caseload_max" {
            continue;
        }
        for part in ["numerator", "denominator"] {
            let amount = |zone: &str| raw[ind][zone][part].as_i64().unwrap_or(0);
            let total = amount("citywide");
            let visible: i64 = cells
                .iter()
                .filter(|(z, c)| *z != "citywide" && !hidden(c))
                .map(|(z, _)| amount(z))
                .sum();
            for (zone, cell) in cells.iter().filter(|(z, _)| *z != "citywide") {
                if hidden(cell) && amount(zone) != 0 {
                    assert_ne!(
                        amount(zone),
                        total - visible,
                        "{what}: {ind} {part} of {zone} is citywide minus the visible zones"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn public_current_values_hide_small_cells_and_their_complements() {
    let f = app();
    let raw = current(&f, VIEWER, "").await;
    assert_eq!(
        raw["intakes"]["Z02"]["numerator"], 4,
        "the viewer sees small cells"
    );
    let public = current(&f, PUBLIC, "").await;
    check(&raw, &public, "public");
    let intakes = &public["intakes"];
    assert!(hidden(&intakes["Z02"]), "{}", intakes["Z02"]);
    assert!(
        hidden(&intakes["Z05"]),
        "the complement: {}",
        intakes["Z05"]
    );
    assert_eq!(intakes["Z01"]["numerator"], 30);
    assert_eq!(intakes["citywide"]["numerator"], 81);
    // Zeros are published, and unsuppressed cells carry no `suppressed` key.
    assert_eq!(intakes["Z06"]["numerator"], 0);
    assert!(intakes["Z06"].get("suppressed").is_none());
    // Intakes are the repeat rate's denominator, so those cells go too.
    assert!(hidden(&public["repeat_within_12m_rate"]["Z05"]));
    assert!(hidden(&public["open_investigations"]["Z02"]));
}

#[tokio::test]
async fn suppress_true_gives_any_role_the_public_figures() {
    let f = app();
    let public = current(&f, PUBLIC, "").await;
    assert_eq!(current(&f, VIEWER, "&suppress=true").await, public);
    // The public role cannot ask its way out.
    assert_eq!(current(&f, PUBLIC, "&suppress=false").await, public);
    let (s, _, body) = get_as(
        &f.app,
        "/api/v1/zones/Z01/indicators?suppress=yes",
        Some(VIEWER),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["parameter"], "suppress");
}

#[tokio::test]
async fn public_history_is_suppressed_bucket_by_bucket() {
    let f = app();
    let mut raw = Table::new();
    let mut shown = Table::new();
    for ind in ["intakes", "repeat_within_12m_rate", "open_investigations"] {
        for zone in zones().into_iter().chain(["citywide".to_string()]) {
            let uri = format!(
                "/api/v1/zones/{zone}/indicators/{ind}/history?from=2026-10-01&to=2026-10-31&step=month"
            );
            for (token, table) in [(VIEWER, &mut raw), (PUBLIC, &mut shown)] {
                let v = json_as(&f, &uri, token).await;
                let points = v["points"].as_array().expect("points");
                assert_eq!(points.len(), 1, "{uri}");
                let mut cell = points[0].clone();
                cell.as_object_mut().expect("object").remove("bucket_start");
                table
                    .entry(ind.into())
                    .or_default()
                    .insert(zone.clone(), cell);
            }
        }
    }
    check(&raw, &shown, "history");
    assert!(hidden(&shown["intakes"]["Z02"]));
    assert!(hidden(&shown["intakes"]["Z05"]));
    assert!(!hidden(&shown["intakes"]["Z01"]));
    // A history decides with the same table as the current values: the same cells hide.
    let (_, _, csv) = get_as(
        &f.app,
        "/api/v1/zones/Z02/indicators/intakes/history?from=2026-10-01&to=2026-10-31&step=month&format=csv",
        Some(PUBLIC),
    )
    .await;
    let mut lines = csv.lines();
    assert!(
        lines.next().expect("header").ends_with(",suppressed"),
        "{csv}"
    );
    assert!(lines.next().expect("row").ends_with(",true"), "{csv}");
}

#[tokio::test]
async fn public_snapshots_are_suppressed_per_window_and_export_as_csv_only() {
    let f = app();
    let tables = |v: &Value| -> BTreeMap<String, Table> {
        let mut out: BTreeMap<String, Table> = BTreeMap::new();
        for row in v["values"].as_array().expect("values") {
            let mut cell = row.clone();
            let obj = cell.as_object_mut().expect("object");
            let window = obj.remove("window").expect("window");
            let zone = obj.remove("zone").expect("zone");
            let ind = obj.remove("indicator").expect("indicator");
            out.entry(window.as_str().expect("str").into())
                .or_default()
                .entry(ind.as_str().expect("str").into())
                .or_default()
                .insert(zone.as_str().expect("str").into(), cell);
        }
        out
    };
    let raw = tables(&json_as(&f, "/api/v1/snapshots/2026-W44", VIEWER).await);
    let shown = tables(&json_as(&f, "/api/v1/snapshots/2026-W44", PUBLIC).await);
    assert_eq!(shown.len(), 3, "three windows");
    for (window, t) in &shown {
        check(&raw[window], t, window);
    }
    assert!(hidden(&shown["28d"]["intakes"]["Z02"]));
    assert!(hidden(&shown["28d"]["intakes"]["Z05"]));

    let (s, _, csv) = get_as(&f.app, "/api/v1/snapshots/2026-W44/export", Some(PUBLIC)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv
        .starts_with("iso_week,zone,window,indicator,value,numerator,denominator,suppressed\r\n"));
    assert!(
        csv.contains("\r\n2026-W44,Z02,28d,intakes,,,,true\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\r\n2026-W44,Z01,28d,intakes,30,30,,false\r\n"),
        "{csv}"
    );
    let (_, _, csv) = get_as(&f.app, "/api/v1/snapshots/2026-W44/export", Some(VIEWER)).await;
    assert!(
        csv.contains("\r\n2026-W44,Z02,28d,intakes,4,4,\r\n"),
        "{csv}"
    );

    let (s, _, body) = get_as(
        &f.app,
        "/api/v1/snapshots/2026-W44/export?format=parquet",
        Some(PUBLIC),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("\"parameter\":\"format\""), "{body}");
    let (s, _, _) = get_as(
        &f.app,
        "/api/v1/snapshots/2026-W44/export?format=parquet",
        Some(VIEWER),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}
