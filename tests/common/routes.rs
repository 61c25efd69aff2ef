//! Every route with a URI that answers 200 and who may read it, written down independently
//! of `childstat_api::auth::ROUTES`; and a fixture with one token per role to read them with.

use super::api::{fixture_with, Fixture, NOW};
use childstat_aggregator::IsoWeek;
use childstat_api::auth::sha256_hex;
use childstat_config::{Config, Role, TokenConfig};
use childstat_core::Ts;
use std::sync::atomic::Ordering;

/// Who may read a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// No token needed.
    Open,
    /// Every role, `public` included (with small cells suppressed).
    AnyRole,
    /// `viewer` and `reviewer`.
    NotPublic,
    /// `reviewer` only.
    ReviewerOnly,
}

use Access::*;

/// (route template, a URI that answers 200 for an allowed caller, who may read it)
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("/", "/", Open),
    ("/assets/{file}", "/assets/app.css", Open),
    ("/healthz", "/healthz", Open),
    ("/readyz", "/readyz", Open),
    // Metrics name zones and counters of the pipeline: for operators, not the public.
    ("/metrics", "/metrics", NotPublic),
    ("/api/v1/openapi.json", "/api/v1/openapi.json", Open),
    ("/api/v1/docs", "/api/v1/docs", Open),
    ("/api/v1/docs/init.js", "/api/v1/docs/init.js", Open),
    (
        "/api/v1/docs/swagger-ui-bundle.js",
        "/api/v1/docs/swagger-ui-bundle.js",
        Open,
    ),
    (
        "/api/v1/docs/swagger-ui.css",
        "/api/v1/docs/swagger-ui.css",
        Open,
    ),
    ("/api/v1/zones", "/api/v1/zones", AnyRole),
    (
        "/api/v1/zones/{zone}/indicators",
        "/api/v1/zones/Z01/indicators",
        AnyRole,
    ),
    (
        "/api/v1/zones/{zone}/indicators/{name}/history",
        "/api/v1/zones/Z01/indicators/intakes/history?from=2026-10-01&to=2026-10-31&step=week",
        AnyRole,
    ),
    ("/api/v1/snapshots", "/api/v1/snapshots", AnyRole),
    (
        "/api/v1/snapshots/{iso_week}",
        "/api/v1/snapshots/2026-W44",
        AnyRole,
    ),
    (
        "/api/v1/snapshots/{iso_week}/export",
        "/api/v1/snapshots/2026-W44/export",
        AnyRole,
    ),
    ("/api/v1/compare", "/api/v1/compare?zones=Z01,Z07", AnyRole),
    ("/api/v1/session", "/api/v1/session?zones=Z01", NotPublic),
    ("/api/v1/alerts", "/api/v1/alerts", NotPublic),
    ("/api/v1/status", "/api/v1/status", NotPublic),
    (
        "/api/v1/zones/{zone}/case-candidates",
        "/api/v1/zones/Z01/case-candidates",
        ReviewerOnly,
    ),
];

const TOKENS: [(&str, Role); 3] = [
    ("cst_test-viewer", Role::Viewer),
    ("cst_test-reviewer", Role::Reviewer),
    ("cst_test-public", Role::Public),
];

/// The token [`app`] configures for `role`.
pub fn token(role: Role) -> &'static str {
    TOKENS.iter().find(|(_, r)| *r == role).expect("token").0
}

/// A ready API with the 2026-W44 snapshot taken, and with one token per role when
/// `with_tokens`.
pub fn app(with_tokens: bool) -> Fixture {
    let mut cfg = Config::embedded_defaults();
    if with_tokens {
        cfg.access.tokens = TOKENS
            .iter()
            .map(|(t, role)| TokenConfig {
                name: format!("{}-holder", role.as_str()),
                sha256: sha256_hex(t),
                role: *role,
            })
            .collect();
    }
    cfg.validate().expect("valid config");
    let f = fixture_with(cfg, |store, cfg| {
        let zones: Vec<String> = cfg.zone_set().codes().map(str::to_string).collect();
        let week = IsoWeek::parse("2026-W44").expect("week");
        store
            .take_snapshot(week, &zones, Ts::parse_rfc3339(NOW).expect("ts"), false)
            .expect("snapshot");
    });
    // Ready, so /readyz answers 200 like every other open route.
    f.state.health.broker_up.store(true, Ordering::Relaxed);
    f.state.health.beat(Ts::parse_rfc3339(NOW).expect("ts"));
    f
}
