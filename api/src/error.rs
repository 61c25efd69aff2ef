//! API errors: a status code and a JSON body `{error, message}`. 5xx details are logged
//! with a correlation id and never returned.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest {
        param: &'static str,
        message: String,
    },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("{0}")]
    Unavailable(String),
}

impl ApiError {
    pub fn bad(param: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            param,
            message: message.into(),
        }
    }
}

impl From<childstat_aggregator::AggError> for ApiError {
    fn from(e: childstat_aggregator::AggError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::Internal(format!("query task failed: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            ApiError::BadRequest { param, message } => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": "bad_request", "parameter": param, "message": message})),
                )
                    .into_response()
            }
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.clone()),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m.clone()),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m.clone()),
            ApiError::Internal(detail) => {
                let id = format!("{:016x}", rand_id());
                let detail = redact_quoted(detail);
                tracing::error!(error_id = %id, %detail, "internal error serving a request");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    format!("internal error; see the server log for error id {id}"),
                )
            }
        };
        (status, Json(json!({"error": code, "message": message}))).into_response()
    }
}

/// `detail` with every quoted stretch replaced by `'…'`: database and decoding errors quote
/// the offending value, which may be an investigation, family or worker id, and those never
/// go to the log.
pub fn redact_quoted(detail: &str) -> String {
    let mut out = String::with_capacity(detail.len());
    let mut open: Option<char> = None;
    for c in detail.chars() {
        match open {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                open = None;
            }
            Some(_) => {}
            None if c == '"' || c == '\'' || c == '`' => {
                out.push(c);
                open = Some(c);
            }
            None => out.push(c),
        }
    }
    if open.is_some() {
        out.push('…');
    }
    out
}

/// A correlation id for a logged 5xx: unique enough to find the log line.
fn rand_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// The body of every error response, for the OpenAPI document.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code: bad_request, unauthorized, forbidden, not_found,
    /// unavailable, internal.
    pub error: String,
    /// What went wrong and how to fix the request, for people.
    pub message: String,
    /// The query parameter at fault, on a 400.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::redact_quoted;

    #[test]
    fn quoted_values_never_reach_the_log() {
        assert_eq!(
            redact_quoted(r#"invalid type: string "FAM-77", expected u32 at line 1"#),
            r#"invalid type: string "…", expected u32 at line 1"#
        );
        assert_eq!(
            redact_quoted("Conversion Error: could not convert 'I-9' to INT"),
            "Conversion Error: could not convert '…' to INT"
        );
        assert_eq!(redact_quoted("unterminated 'W-1"), "unterminated '…");
        assert_eq!(redact_quoted("no quotes here"), "no quotes here");
    }
}
