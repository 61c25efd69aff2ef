//! Query-parameter parsing with messages that name the parameter.

use crate::error::ApiError;
use childstat_core::{Dur, Step, Ts};
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

    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
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

    pub fn date(&self, name: &'static str) -> Result<chrono::NaiveDate, ApiError> {
        let s = self
            .map
            .get(name)
            .ok_or_else(|| ApiError::bad(name, format!("{name} is required, as YYYY-MM-DD")))?;
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .filter(|_| s.len() == 10)
            .ok_or_else(|| ApiError::bad(name, format!("{name} must be a date as YYYY-MM-DD")))
    }

    pub fn step(&self) -> Result<Step, ApiError> {
        match self.map.get("step") {
            None => Ok(Step::Day),
            Some(s) => Step::parse(s)
                .ok_or_else(|| ApiError::bad("step", "step must be one of day, week, month")),
        }
    }

    /// `format=json` (the default) or `format=csv`.
    pub fn wants_csv(&self) -> Result<bool, ApiError> {
        match self.map.get("format").map(String::as_str) {
            None | Some("json") => Ok(false),
            Some("csv") => Ok(true),
            Some(_) => Err(ApiError::bad("format", "format must be json or csv")),
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
