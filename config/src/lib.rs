//! childstat's configuration: one typed [`Config`], loaded in three layers.
//!
//! 1. The documented defaults in `config/childstat.toml`, compiled in, so every key
//!    always has a value and the file is the single place defaults are written down.
//! 2. An optional user TOML file, merged over them key by key.
//! 3. Environment variables `CHILDSTAT__<SECTION>__<KEY>`, which win over both.
//!
//! Every struct denies unknown fields: a misspelt key is an error naming the key and
//! where it came from, never a silent fallback to the default.

mod access;
mod alerts;
mod error;
mod load;
mod serde_util;
mod validate;

#[cfg(test)]
mod tests;

use childstat_core::{Dur, ZoneInfo, ZoneSet};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use access::{AccessConfig, ListenAddr, Role, TokenConfig};
pub use alerts::{AlertConfig, AlertingConfig};
pub use error::ConfigError;
pub use load::ENV_PREFIX;

/// The documented defaults file, as compiled in, for printing as a starting point for
/// a user file.
pub const DEFAULTS_TOML: &str = include_str!("../childstat.toml");

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The twenty Child Protection zones plus OSI, in display order.
    pub zones: Vec<ZoneInfo>,
    pub kafka: KafkaConfig,
    pub ingest: IngestConfig,
    pub storage: StorageConfig,
    pub clocks: ClocksConfig,
    pub indicators: IndicatorsConfig,
    pub http: HttpConfig,
    pub simulator: SimulatorConfig,
    pub log: LogConfig,
    /// How often the service evaluates the compliance alerts.
    pub alerting: AlertingConfig,
    /// Compliance thresholds; see docs/alerts.md.
    pub alerts: Vec<AlertConfig>,
    pub case_candidates: CaseCandidatesConfig,
    /// Bearer tokens and their roles; see docs/access.md.
    pub access: AccessConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap servers; empty means "start the embedded broker".
    pub brokers: String,
    pub topic: String,
    /// Use [`KafkaConfig::dlq_topic`], which supplies the `<topic>.dlq` default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dlq_topic: Option<String>,
    pub group_id: String,
    /// Static group membership (`group.instance.id`); empty means "this host's name" (the
    /// pod's name on Kubernetes), see [`KafkaConfig::group_instance_id`].
    pub group_instance_id: String,
    /// Who decides which partitions this process reads; see [`Assignment`].
    pub assignment: Assignment,
    pub auto_offset_reset: OffsetReset,
    pub embedded_partitions: u32,
    pub batch_size: usize,
    /// Bytes of message payload a batch may hold before it is handed over, whatever its
    /// message count.
    pub batch_max_bytes: usize,
    #[serde(with = "humantime_serde")]
    pub batch_linger: Duration,
    pub max_message_bytes: usize,
    #[serde(with = "humantime_serde")]
    pub max_future_skew: Duration,
    #[serde(with = "humantime_serde")]
    pub orphan_ttl: Duration,
    /// Passed to librdkafka as is, except that `_` in a key has become `.`, since
    /// environment variable names cannot hold dots (see `childstat.toml`).
    #[serde(deserialize_with = "serde_util::properties")]
    pub properties: BTreeMap<String, String>,
}

/// Who decides which partitions of the event topic this process reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Assignment {
    /// The consumer group's coordinator hands them out (Kafka's `subscribe`).
    Group,
    /// This process reads every partition itself (Kafka's `assign`), finding new ones as
    /// the topic grows, and never joins the group: no rebalances, no session timeouts. The
    /// group id still names the offsets mirrored to Kafka for lag tools.
    Manual,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OffsetReset {
    Earliest,
    Latest,
}

impl OffsetReset {
    /// The value librdkafka's `auto.offset.reset` expects.
    pub fn as_str(self) -> &'static str {
        match self {
            OffsetReset::Earliest => "earliest",
            OffsetReset::Latest => "latest",
        }
    }
}

/// How ingest watches itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Events waiting in Kafka with nothing committed for this long is a stall.
    #[serde(with = "humantime_serde")]
    pub stall_after: Duration,
    /// How often the broker's high watermarks are read for lag and stall detection.
    #[serde(with = "humantime_serde")]
    pub watch_interval: Duration,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    pub path: PathBuf,
    pub read_connections: usize,
    /// DuckDB syntax, e.g. "1GB"; `None` leaves DuckDB's own default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<String>,
    /// The derived tables are written at most this long after a batch is folded...
    #[serde(with = "humantime_serde")]
    pub checkpoint_interval: Duration,
    /// ...or once this many events have been folded since the last checkpoint.
    pub checkpoint_events: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClocksConfig {
    #[serde(with = "humantime_serde")]
    pub contact: Duration,
    #[serde(with = "humantime_serde")]
    pub safety_assessment: Duration,
    #[serde(with = "humantime_serde")]
    pub determination: Duration,
    #[serde(with = "humantime_serde")]
    pub safety_conference: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsConfig {
    /// Parsed while loading, so an unknown zone name fails at startup, not at the
    /// first query.
    #[serde(with = "serde_util::time_zone")]
    pub time_zone: Tz,
    pub caseload_threshold: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub bind: SocketAddr,
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// How long an aggregate answer may be reused while nothing new is committed; "0s"
    /// turns the response cache off.
    #[serde(with = "humantime_serde")]
    pub response_cache: Duration,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorConfig {
    pub seed: u64,
    #[serde(with = "humantime_serde")]
    pub history: Duration,
    /// Simulated seconds per wall-clock second while backfilling.
    pub speed: f64,
    pub duplicate_fraction: f64,
    pub invalid_fraction: f64,
    pub investigations_per_year: u32,
}

/// What makes an open investigation a candidate for the weekly case review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseCandidatesConfig {
    /// Criteria by name; an investigation meeting any of them is listed.
    pub criteria: Vec<childstat_core::candidates::Criterion>,
    /// Longest list returned per zone and week.
    pub max_results: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// A tracing `EnvFilter` directive.
    pub level: String,
    pub format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    pub fn zone_set(&self) -> ZoneSet {
        ZoneSet::new(self.zones.clone())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::embedded_defaults()
    }
}

impl KafkaConfig {
    pub fn dlq_topic(&self) -> String {
        match &self.dlq_topic {
            Some(t) => t.clone(),
            None => format!("{}.dlq", self.topic),
        }
    }

    /// True when no external cluster is configured and the embedded broker is used.
    pub fn embedded(&self) -> bool {
        self.brokers.trim().is_empty()
    }

    /// The static member id: the configured one, else `POD_NAME` (set from the pod's name
    /// in deploy/kubernetes), else `HOSTNAME`, else the kernel's host name. `None` for "-" or
    /// when no name is known: dynamic membership.
    pub fn group_instance_id(&self) -> Option<String> {
        let configured = self.group_instance_id.trim();
        if configured == "-" {
            return None;
        }
        if !configured.is_empty() {
            return Some(configured.to_string());
        }
        ["POD_NAME", "HOSTNAME"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .chain(std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
            .map(|v| v.trim().to_string())
            .find(|v| !v.is_empty())
    }

    pub fn max_future_skew_dur(&self) -> Dur {
        Dur::from_std(self.max_future_skew)
    }

    pub fn orphan_ttl_dur(&self) -> Dur {
        Dur::from_std(self.orphan_ttl)
    }
}

impl ClocksConfig {
    /// The clock lengths as the core's exact nanosecond durations.
    pub fn clocks(&self) -> childstat_core::Clocks {
        childstat_core::Clocks {
            contact: Dur::from_std(self.contact),
            safety_assessment: Dur::from_std(self.safety_assessment),
            determination: Dur::from_std(self.determination),
            safety_conference: Dur::from_std(self.safety_conference),
        }
    }
}

impl SimulatorConfig {
    pub fn history_dur(&self) -> Dur {
        Dur::from_std(self.history)
    }
}
