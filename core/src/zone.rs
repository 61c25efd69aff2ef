//! The configured zones: twenty Child Protection zones plus OSI.

use serde::{Deserialize, Serialize};

/// The pseudo-zone that pools every configured zone, OSI included.
pub const CITYWIDE: &str = "citywide";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneInfo {
    pub code: String,
    pub name: String,
    pub borough: String,
}

/// Zone codes in configuration order. Small (21 entries), so a linear scan beats hashing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZoneSet {
    zones: Vec<ZoneInfo>,
}

impl ZoneSet {
    pub fn new(zones: Vec<ZoneInfo>) -> ZoneSet {
        ZoneSet { zones }
    }

    pub fn contains(&self, code: &str) -> bool {
        self.zones.iter().any(|z| z.code == code)
    }

    pub fn get(&self, code: &str) -> Option<&ZoneInfo> {
        self.zones.iter().find(|z| z.code == code)
    }

    pub fn iter(&self) -> impl Iterator<Item = &ZoneInfo> {
        self.zones.iter()
    }

    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.zones.iter().map(|z| z.code.as_str())
    }

    pub fn len(&self) -> usize {
        self.zones.len()
    }

    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// A test and simulator fixture: Z01..Z20 plus OSI, with placeholder names.
    pub fn standard() -> ZoneSet {
        let boroughs = ["Bronx", "Brooklyn", "Manhattan", "Queens", "Staten Island"];
        let mut zones: Vec<ZoneInfo> = (1..=20)
            .map(|i| ZoneInfo {
                code: format!("Z{i:02}"),
                name: format!("Zone {i}"),
                borough: boroughs[(i - 1) % boroughs.len()].to_string(),
            })
            .collect();
        zones.push(ZoneInfo {
            code: "OSI".into(),
            name: "Office of Special Investigations".into(),
            borough: "Citywide".into(),
        });
        ZoneSet { zones }
    }
}
