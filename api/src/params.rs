//! Query-parameter parsing with messages that name the parameter.

use crate::error::ApiError;
use childstat_core::{Dur, Ts};
use std::collections::HashMap;

pub const WINDOWS: [(&str, Dur); 3] = [
    ("7d", Dur::days(7)),
    ("28d", Dur::days(28)),
    ("91d", Dur::days(91)),
];

pub struct Params {
    map: HashMap<String, String>,
}

impl Params {
    /// Rejects parameters the route does not take, so a typo is not silently ignored.
    pub fn new(map: HashMap<String, String>, allowed: &[&str]) -> Result<Params, ApiError> {
        if let Some(k) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            let shown: String = k.chars().take(40).collect();
            return Err(ApiError::bad(
                "query",
                format!(
                    "unknown query parameter `{shown}`; this route takes: {}",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(Params { map })
    }

    pub fn window(&self) -> Result<(&'static str, Dur), ApiError> {
        match self.map.get("window") {
            None => Ok(WINDOWS[1]),
            Some(w) => WINDOWS
                .iter()
                .copied()
                .find(|(name, _)| name == w)
                .ok_or_else(|| ApiError::bad("window", "window must be one of 7d, 28d, 91d")),
        }
    }

    pub fn as_of(&self, now: Ts) -> Result<Ts, ApiError> {
        match self.map.get("as_of") {
            None => Ok(now),
            Some(s) => Ts::parse_rfc3339(s).ok_or_else(|| {
                ApiError::bad(
                    "as_of",
                    "as_of must be an RFC 3339 timestamp with an offset, e.g. 2026-11-23T00:00:00-05:00",
                )
            }),
        }
    }
}
