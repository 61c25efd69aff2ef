//! An API over a real DuckDB file, driven through `Router::oneshot`.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use childstat::settings::store_settings;
use childstat_aggregator::Store;
use childstat_api::{AppParts, AppState, Health};
use childstat_config::Config;
use childstat_core::Ts;
use childstat_telemetry::Metrics;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

pub struct Fixture {
    _dir: tempfile::TempDir,
    _store: Store,
    pub app: axum::Router,
    /// What the router serves from: the read pool, alert board and metrics.
    pub state: AppState,
}

/// "Now" for every API fixture.
pub const NOW: &str = "2026-11-02T12:00:00Z";

/// A router over a fresh store, after `setup` has written to it.
pub fn fixture(setup: impl FnOnce(&mut Store, &Config)) -> Fixture {
    fixture_with(Config::embedded_defaults(), setup)
}

/// Z01: A (heightened, never contacted), B (contacted on time), D (closed). Z07: C, contacted
/// on time. Snapshot of 2026-W44 (Oct 26 – Nov 1) taken at NOW.
pub fn review_setup(store: &mut Store, cfg: &Config) {
    use super::events::{batch, closed, contact, opened, ts};
    let mut a = opened("a1", "A", "Z01", "2026-10-20T09:00:00-04:00");
    if let childstat_core::Body::InvestigationOpened(o) = &mut a.body {
        o.heightened_oversight = true;
    }
    let events = vec![
        a,
        opened("b1", "B", "Z01", "2026-10-21T09:00:00-04:00"),
        contact("b2", "B", "Z01", "2026-10-21T15:00:00-04:00"),
        opened("c1", "C", "Z07", "2026-10-22T09:00:00-04:00"),
        contact("c2", "C", "Z07", "2026-10-22T10:00:00-04:00"),
        opened("d1", "D", "Z01", "2026-10-19T09:00:00-04:00"),
        closed("d2", "D", "Z01", "2026-10-19T12:00:00-04:00"),
    ];
    store
        .apply_batch(&batch(events, 0), ts(NOW))
        .expect("apply");
    let zones: Vec<String> = cfg.zone_set().codes().map(str::to_string).collect();
    let week = childstat_aggregator::IsoWeek::parse("2026-W44").expect("week");
    store
        .take_snapshot(week, &zones, ts(NOW), false)
        .expect("snapshot");
}

/// [`fixture`] with a configuration of the test's own.
pub fn fixture_with(cfg: Config, setup: impl FnOnce(&mut Store, &Config)) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store =
        Store::open(&dir.path().join("api.duckdb"), store_settings(&cfg)).expect("store");
    setup(&mut store, &cfg);
    let state = state_for(&mut store, &cfg);
    Fixture {
        _dir: dir,
        _store: store,
        app: childstat_api::router(state.clone(), Duration::from_secs(10)),
        state,
    }
}

/// What a router over `store` serves from, with the clock pinned at [`NOW`]. The serving
/// index keeps every ledger row, so reads at the pinned clock go through it.
pub fn state_for(store: &mut Store, cfg: &Config) -> AppState {
    store.serving_detail_days(None);
    AppState::from(AppParts {
        pool: Arc::new(store.read_pool(2).expect("pool")),
        zones: Arc::new(cfg.zone_set()),
        metrics: Metrics::new(),
        health: Arc::new(Health::default()),
        config: Arc::new(cfg.clone()),
        alerts: childstat::alerting::new_board(cfg).expect("alert rules"),
        clock: Arc::new(|| Ts::parse_rfc3339(NOW).expect("ts")),
    })
}

/// Status, content type and body of a GET.
pub async fn get_full(app: &axum::Router, uri: &str) -> (StatusCode, String, String) {
    let resp = app
        .clone()
        .oneshot(
            Request::builder()
                .uri(uri)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    let status = resp.status();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .expect("body");
    (status, ctype, String::from_utf8_lossy(&body).into_owned())
}

pub async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    let (s, _, body) = get_full(app, uri).await;
    (s, body)
}

/// Status, `WWW-Authenticate` challenge and body of a GET, sending
/// `Authorization: Bearer <token>` when a token is given.
pub async fn get_as(
    app: &axum::Router,
    uri: &str,
    token: Option<&str>,
) -> (StatusCode, Option<String>, String) {
    let mut req = Request::builder().uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = resp.status();
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .expect("body");
    (
        status,
        challenge,
        String::from_utf8_lossy(&body).into_owned(),
    )
}
