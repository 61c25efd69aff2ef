//! Bearer tokens and roles (docs/access.md).
//!
//! One table, [`ROUTES`], says what every route needs; a route missing from it needs the
//! reviewer role, so a route added without a thought for access fails closed. Outside
//! `/api/v1` only the probes, the metrics and the dashboard's static files are served, and
//! they are open: Kubernetes probes and Prometheus carry no token, and the dashboard page
//! holds no data (its script asks for a token and sends it with every API call).

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use childstat_config::{AccessConfig, Role};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::{ConditionallySelectable, ConstantTimeEq};

/// What a route asks of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// No token: probes, metrics, the dashboard's files, the API's description.
    Open,
    /// Any role; the `public` role gets small cells suppressed.
    Aggregates,
    /// Aggregates the handler does not suppress: not for the `public` role.
    Unsuppressed,
    /// Case-level views: the `reviewer` role only.
    CaseLevel,
}

/// Every route template and what it needs. Add a route here when adding it to the router.
pub const ROUTES: &[(&str, Need)] = &[
    ("/", Need::Open),
    ("/assets/{file}", Need::Open),
    ("/healthz", Need::Open),
    ("/readyz", Need::Open),
    // Per-zone gauges carry unsuppressed small counts: with tokens configured, Prometheus
    // scrapes with a viewer token (deploy/prometheus/prometheus.yml).
    ("/metrics", Need::Unsuppressed),
    ("/api/v1/openapi.json", Need::Open),
    ("/api/v1/docs", Need::Open),
    ("/api/v1/docs/init.js", Need::Open),
    ("/api/v1/docs/swagger-ui-bundle.js", Need::Open),
    ("/api/v1/docs/swagger-ui.css", Need::Open),
    ("/api/v1/zones", Need::Aggregates),
    ("/api/v1/zones/{zone}/indicators", Need::Aggregates),
    (
        "/api/v1/zones/{zone}/indicators/{name}/history",
        Need::Aggregates,
    ),
    ("/api/v1/snapshots", Need::Aggregates),
    ("/api/v1/snapshots/{iso_week}", Need::Aggregates),
    ("/api/v1/snapshots/{iso_week}/export", Need::Aggregates),
    ("/api/v1/compare", Need::Aggregates),
    // The session pack (frozen snapshot, trends, breaches) is for management: not suppressed.
    ("/api/v1/session", Need::Unsuppressed),
    ("/api/v1/alerts", Need::Unsuppressed),
    // Pipeline internals (orphans per zone, counters) for operators, not the public.
    ("/api/v1/status", Need::Unsuppressed),
    ("/api/v1/zones/{zone}/case-candidates", Need::CaseLevel),
];

/// What `route` (the matched template, when one matched) at `path` needs.
pub fn required(route: Option<&str>, path: &str) -> Need {
    match route {
        Some(t) => ROUTES
            .iter()
            .find(|(r, _)| *r == t)
            .map_or(Need::CaseLevel, |(_, n)| *n),
        // Unmatched: a 404 either way, but under /api/v1 only for callers with a token, so
        // the API's shape is not probed anonymously.
        None if path == "/api/v1" || path.starts_with("/api/v1/") => Need::Aggregates,
        None => Need::Open,
    }
}

/// Who is asking. Handlers extract it; a request that bypassed the layer counts as public.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A configured token with this role.
    Token(Role),
    /// No tokens are configured: the API listens on loopback only, and this host's callers
    /// read aggregates as a viewer would, without case-level views.
    Local,
}

impl Caller {
    /// Whether this caller must only ever see suppressed figures.
    pub fn always_suppressed(self) -> bool {
        self == Caller::Token(Role::Public)
    }

    /// `Err` with the reason when the caller may not use a route needing `need`.
    pub fn allows(self, need: Need) -> Result<(), String> {
        match (self, need) {
            (_, Need::Open | Need::Aggregates) => Ok(()),
            (Caller::Token(Role::Reviewer), _) => Ok(()),
            (Caller::Token(Role::Viewer) | Caller::Local, Need::Unsuppressed) => Ok(()),
            (Caller::Token(Role::Public), Need::Unsuppressed) => {
                Err("the `public` role reads only the suppressed aggregate routes".into())
            }
            (Caller::Local, Need::CaseLevel) => Err(
                "case candidates are disabled until access tokens are configured \
                 (see docs/access.md)"
                    .into(),
            ),
            (Caller::Token(role), Need::CaseLevel) => Err(format!(
                "this route needs the `reviewer` role, and the token has `{}`",
                role.as_str()
            )),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .copied()
            .unwrap_or(Caller::Token(Role::Public)))
    }
}

/// The configured token hashes, decoded once.
#[derive(Debug, Default)]
pub struct Keys {
    entries: Vec<([u8; 32], u8)>,
}

const ROLES: [Role; 3] = [Role::Viewer, Role::Reviewer, Role::Public];

fn role_code(role: Role) -> u8 {
    ROLES
        .iter()
        .position(|&r| r == role)
        .map_or(0, |i| i as u8 + 1)
}

impl Keys {
    /// Hashes that do not decode (only possible in a config that skipped validation) can
    /// never match, so they are dropped.
    pub fn new(access: &AccessConfig) -> Keys {
        Keys {
            entries: access
                .tokens
                .iter()
                .filter_map(|t| Some((decode_hex(&t.sha256)?, role_code(t.role))))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The role of `token`, comparing its hash with every configured one in constant time:
    /// neither which entry matched nor how much of a hash did shows in the timing.
    pub fn resolve(&self, token: &str) -> Option<Role> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut code = 0u8;
        for (hash, role) in &self.entries {
            code.conditional_assign(role, digest.ct_eq(hash));
        }
        ROLES.get(usize::from(code).checked_sub(1)?).copied()
    }
}

/// Lower-case hex SHA-256 of a token: what `[access]` stores.
pub fn sha256_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_hex(s: &str) -> Option<[u8; 32]> {
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(bytes.chunks(2)) {
        let digit = |c: u8| (c as char).to_digit(16);
        *o = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The access layer: checks the token against the route's [`Need`] and hands the
/// [`Caller`] (and, for a token, its [`Role`]) to the handler.
pub async fn require(State(keys): State<Arc<Keys>>, mut req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let need = required(route.as_deref(), req.uri().path());
    if need == Need::Open {
        return next.run(req).await;
    }
    let caller = if keys.is_empty() {
        Caller::Local
    } else {
        match bearer(req.headers()) {
            None => {
                return unauthorized(
                    "this route needs `Authorization: Bearer <token>`; see docs/access.md",
                    false,
                )
            }
            Some(token) => match keys.resolve(token) {
                Some(role) => Caller::Token(role),
                None => return unauthorized("the bearer token is not a configured one", true),
            },
        }
    };
    if let Err(why) = caller.allows(need) {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"error": "forbidden", "message": why})),
        )
            .into_response();
    }
    req.extensions_mut().insert(caller);
    if let Caller::Token(role) = caller {
        req.extensions_mut().insert(role);
    }
    next.run(req).await
}

fn unauthorized(message: &str, invalid: bool) -> Response {
    // RFC 6750: a presented but unknown token is `invalid_token`; a missing one gets the
    // bare challenge.
    let challenge = if invalid {
        r#"Bearer realm="childstat", error="invalid_token""#
    } else {
        r#"Bearer realm="childstat""#
    };
    (
        StatusCode::UNAUTHORIZED,
        [(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        )],
        Json(json!({"error": "unauthorized", "message": message})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use childstat_config::TokenConfig;

    fn keys(tokens: &[(&str, Role)]) -> Keys {
        Keys::new(&AccessConfig {
            tokens: tokens
                .iter()
                .enumerate()
                .map(|(i, (t, role))| TokenConfig {
                    name: format!("t{i}"),
                    sha256: sha256_hex(t),
                    role: *role,
                })
                .collect(),
        })
    }

    #[test]
    fn sha256_matches_a_known_vector() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn tokens_resolve_to_their_roles_and_nothing_else_does() {
        let k = keys(&[
            ("tok-v", Role::Viewer),
            ("tok-r", Role::Reviewer),
            ("tok-p", Role::Public),
        ]);
        assert_eq!(k.resolve("tok-v"), Some(Role::Viewer));
        assert_eq!(k.resolve("tok-r"), Some(Role::Reviewer));
        assert_eq!(k.resolve("tok-p"), Some(Role::Public));
        for wrong in ["", "tok-", "tok-v ", "TOK-V", &sha256_hex("tok-v")] {
            assert_eq!(k.resolve(wrong), None, "{wrong:?}");
        }
        assert_eq!(Keys::default().resolve("tok-v"), None);
    }

    #[test]
    fn bearer_header_is_parsed_strictly() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            m
        };
        assert_eq!(bearer(&h("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&h("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(&h("Basic abc")), None);
        assert_eq!(bearer(&h("Bearer ")), None);
        assert_eq!(bearer(&h("abc")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }

    #[test]
    fn unlisted_routes_fail_closed() {
        assert_eq!(
            required(Some("/api/v1/new-thing"), "/api/v1/new-thing"),
            Need::CaseLevel
        );
        assert_eq!(required(None, "/api/v1/nope"), Need::Aggregates);
        assert_eq!(required(None, "/nope"), Need::Open);
        assert_eq!(
            required(Some("/api/v1/zones/{zone}/case-candidates"), "/x"),
            Need::CaseLevel
        );
    }

    #[test]
    fn roles_against_needs() {
        use Need::*;
        let table = [
            (Caller::Local, [true, true, true, false]),
            (Caller::Token(Role::Public), [true, true, false, false]),
            (Caller::Token(Role::Viewer), [true, true, true, false]),
            (Caller::Token(Role::Reviewer), [true, true, true, true]),
        ];
        for (caller, allowed) in table {
            for (need, ok) in [Open, Aggregates, Unsuppressed, CaseLevel]
                .iter()
                .zip(allowed)
            {
                assert_eq!(caller.allows(*need).is_ok(), ok, "{caller:?} {need:?}");
            }
        }
        assert!(Caller::Local
            .allows(CaseLevel)
            .unwrap_err()
            .contains("until access tokens are configured"));
    }
}
