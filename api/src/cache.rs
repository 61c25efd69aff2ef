//! A short-lived response cache for the aggregate read routes.
//!
//! Dashboards, Prometheus-driven panels and a meeting room full of browsers ask the same few
//! questions many times a second. An answer is reused only while nothing has been committed
//! since it was computed (the store's commit generation is part of the key, so the next read
//! after a batch commits always computes afresh) and only within one `max_age` tick of the
//! clock, because "now" moves: a rolling window read "now" is at most `max_age` old. Concurrent
//! requests for the same answer wait for one computation instead of each running it.
//! Only successful responses are kept; errors are always computed per request.

use crate::auth::Caller;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Routes whose answers are a function of the committed state, the caller's role, the
/// request's query and the clock, and nothing else.
pub const CACHED_ROUTES: [&str; 3] = [
    "/api/v1/zones/{zone}/indicators",
    "/api/v1/zones/{zone}/indicators/{name}/history",
    "/api/v1/compare",
];

/// Beyond this many entries, entries of older generations and ticks are dropped.
const SWEEP_AT: usize = 512;
/// Larger bodies are served but not kept.
const MAX_BODY: usize = 8 << 20;

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Key {
    uri: String,
    caller: Caller,
    generation: u64,
    tick: i64,
}

#[derive(Clone)]
struct Cached {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

pub struct ResponseCache {
    max_age: Duration,
    slots: Mutex<HashMap<Key, Slot>>,
}

impl ResponseCache {
    /// `max_age` of zero turns the cache off.
    pub fn new(max_age: Duration) -> ResponseCache {
        ResponseCache {
            max_age,
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, key: &Key) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() >= SWEEP_AT && !slots.contains_key(key) {
            slots.retain(|k, _| k.generation == key.generation && k.tick == key.tick);
            if slots.len() >= SWEEP_AT {
                slots.clear();
            }
        }
        slots.entry(key.clone()).or_default().clone()
    }

    fn tick(&self, now_ns: i64) -> Option<i64> {
        let age = i64::try_from(self.max_age.as_nanos()).ok()?;
        (age > 0).then(|| now_ns.div_euclid(age))
    }
}

fn cacheable_route(req: &Request) -> bool {
    req.method() == Method::GET
        && req
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|m| CACHED_ROUTES.contains(&m.as_str()))
}

/// The middleware: serves a kept answer, or computes it once for everyone waiting.
pub async fn layer(
    State((st, cache)): State<(AppState, Arc<ResponseCache>)>,
    req: Request,
    next: Next,
) -> Response {
    let Some(tick) = cache.tick(st.now().0).filter(|_| cacheable_route(&req)) else {
        return next.run(req).await;
    };
    let key = Key {
        uri: req.uri().to_string(),
        caller: req
            .extensions()
            .get::<Caller>()
            .copied()
            .unwrap_or(Caller::Token(childstat_config::Role::Public)),
        generation: st.pool.generation(),
        tick,
    };
    let slot = cache.slot(&key);
    let mut kept = slot.lock().await;
    if let Some(c) = kept.as_ref() {
        st.metrics.api_cache_hits.inc();
        return respond(c.clone(), "hit");
    }
    st.metrics.api_cache_misses.inc();
    let resp = next.run(req).await;
    if resp.status() != StatusCode::OK {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => {
            let c = Cached {
                status: parts.status,
                headers: parts.headers,
                body,
            };
            *kept = Some(c.clone());
            respond(c, "miss")
        }
        Err(e) => {
            tracing::error!(error = %e, "a response body could not be read for the cache");
            crate::ApiError::Internal("response body".into()).into_response()
        }
    }
}

fn respond(c: Cached, how: &'static str) -> Response {
    let mut resp = Response::new(Body::from(c.body));
    *resp.status_mut() = c.status;
    *resp.headers_mut() = c.headers;
    resp.headers_mut()
        .insert("x-childstat-cache", HeaderValue::from_static(how));
    resp.headers_mut().remove(header::CONTENT_LENGTH);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_follow_max_age_and_zero_disables() {
        let c = ResponseCache::new(Duration::from_millis(500));
        assert_eq!(c.tick(1_499_999_999), Some(2));
        assert_eq!(c.tick(1_500_000_000), Some(3));
        assert_eq!(c.tick(-1), Some(-1));
        assert_eq!(ResponseCache::new(Duration::ZERO).tick(1), None);
    }

    #[test]
    fn old_generations_are_swept() {
        let c = ResponseCache::new(Duration::from_secs(1));
        let key = |generation: u64, n: usize| Key {
            uri: format!("/api/v1/compare?zones=Z0{n}"),
            caller: Caller::Local,
            generation,
            tick: 0,
        };
        for n in 0..SWEEP_AT {
            c.slot(&key(1, n));
        }
        c.slot(&key(2, 0));
        let slots = c.slots.lock().expect("lock");
        assert_eq!(slots.len(), 1);
        assert!(slots.contains_key(&key(2, 0)));
    }
}
