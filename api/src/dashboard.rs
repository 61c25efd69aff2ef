//! The browser dashboard: static files compiled into the binary, so it works offline and
//! needs nothing beside the executable. `/` is the page; `/assets/{file}` its modules,
//! styles and icon. Each file carries an ETag of its bytes and must be revalidated, so a
//! new binary's files are picked up on the next load without a version in every URL.

use crate::error::ApiError;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
    etag: u64,
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// The page may load only its own files and talk only to its own server.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

macro_rules! assets {
    ($($file:literal => $ty:expr),+ $(,)?) => {
        pub const ASSETS: &[Asset] = &[$(Asset {
            name: $file,
            content_type: $ty,
            bytes: include_bytes!(concat!("../assets/", $file)),
            etag: fnv1a(include_bytes!(concat!("../assets/", $file))),
        }),+];
    };
}

assets! {
    "index.html" => HTML,
    "app.css" => CSS,
    "icon.svg" => SVG,
    "app.js" => JS,
    "api.js" => JS,
    "catalogue.js" => JS,
    "chart.js" => JS,
    "format.js" => JS,
    "health.js" => JS,
    "overview.js" => JS,
    "session.js" => JS,
    "session_data.js" => JS,
    "shared.js" => JS,
    "thresholds.js" => JS,
    "trends.js" => JS,
    "zone.js" => JS,
}

/// FNV-1a: enough to tell two builds' files apart, and computable at compile time.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

pub async fn index(headers: HeaderMap) -> Response {
    match find("index.html") {
        Some(page) => serve(page, &headers),
        None => ApiError::NotFound("the dashboard page is missing from this build".into())
            .into_response(),
    }
}

pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match find(&file).filter(|a| a.name != "index.html") {
        Some(a) => serve(a, &headers),
        None => {
            let shown: String = file.chars().take(40).collect();
            ApiError::NotFound(format!("no dashboard file `{shown}`")).into_response()
        }
    }
}

fn serve(a: &Asset, req: &HeaderMap) -> Response {
    let etag = format!("\"{:016x}\"", a.etag);
    let fresh = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(a.content_type),
            )],
            a.bytes,
        )
            .into_response()
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if a.content_type == HTML {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    fn app() -> Router {
        Router::new()
            .route("/", get(index))
            .route("/assets/{file}", get(asset))
    }

    async fn call(path: &str, etag: Option<&str>) -> Response {
        let mut req = Request::get(path);
        if let Some(e) = etag {
            req = req.header(header::IF_NONE_MATCH, e);
        }
        app()
            .oneshot(req.body(Body::empty()).expect("request"))
            .await
            .expect("response")
    }

    /// Every `/assets/x` the page names and every `./x.js` a module imports is embedded,
    /// so a file added to assets/ but not to the list fails here, not in a browser.
    #[test]
    fn every_referenced_file_is_embedded() {
        let mut referenced = Vec::new();
        for a in ASSETS {
            let text = std::str::from_utf8(a.bytes).expect("assets are text");
            for marker in ["/assets/", "from \"./", "import(\"./"] {
                for (i, _) in text.match_indices(marker) {
                    let rest = &text[i + marker.len()..];
                    let end = rest.find(['"', '?', ')']).unwrap_or(rest.len());
                    referenced.push((a.name, rest[..end].to_string()));
                }
            }
        }
        assert!(referenced.len() > 10, "references found: {referenced:?}");
        for (from, name) in referenced {
            assert!(
                find(&name).is_some(),
                "{from} refers to {name}, which is not embedded"
            );
        }
    }

    #[test]
    fn etags_differ_between_files() {
        let mut tags: Vec<u64> = ASSETS.iter().map(|a| a.etag).collect();
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(tags.len(), ASSETS.len());
    }

    #[tokio::test]
    async fn the_page_and_its_files_are_served_with_their_types() {
        let page = call("/", None).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.headers()[header::CONTENT_TYPE], HTML);
        assert!(page.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ascii")
            .contains("connect-src 'self'"));
        for (path, ty) in [
            ("/assets/app.js", JS),
            ("/assets/app.css", CSS),
            ("/assets/icon.svg", SVG),
        ] {
            let r = call(path, None).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(r.headers()[header::CONTENT_TYPE], ty, "{path}");
            assert_eq!(r.headers()[header::CACHE_CONTROL], "no-cache", "{path}");
        }
    }

    #[tokio::test]
    async fn a_matching_etag_gets_304_and_a_stale_one_the_file() {
        let first = call("/assets/app.js", None).await;
        let tag = first.headers()[header::ETAG]
            .to_str()
            .expect("ascii")
            .to_string();
        let again = call("/assets/app.js", Some(&tag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers()[header::ETAG], tag.as_str());
        let stale = call("/assets/app.js", Some("\"0000000000000000\"")).await;
        assert_eq!(stale.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn unknown_files_are_json_404s() {
        for path in [
            "/assets/nope.js",
            "/assets/index.html",
            "/assets/..%2Fsrc%2Flib.rs",
        ] {
            let r = call(path, None).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
            let body = axum::body::to_bytes(r.into_body(), 1 << 16)
                .await
                .expect("body");
            let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
            assert_eq!(v["error"], "not_found", "{path}");
        }
    }
}
