//! Rules the types alone cannot express. Each failure names its key.

use crate::{Config, ConfigError};
use childstat_core::CITYWIDE;
use std::fmt::Display;
use std::time::Duration;

/// Zone codes travel in events, whose strings are at most 128 characters.
const MAX_CODE_CHARS: usize = 128;
/// Kafka rejects longer topic names.
const MAX_TOPIC_CHARS: usize = 249;

type Check = Result<(), ConfigError>;

impl Config {
    /// Returns the first rule broken. [`Config::load`] calls this; call it again after
    /// changing a `Config` in code.
    pub fn validate(&self) -> Check {
        self.validate_zones()?;
        self.validate_alerts()?;

        let k = &self.kafka;
        topic("kafka.topic", &k.topic)?;
        if let Some(dlq) = &k.dlq_topic {
            topic("kafka.dlq_topic", dlq)?;
        }
        if k.dlq_topic() == k.topic {
            // Rejected messages would be consumed again and rejected forever.
            return Err(ConfigError::invalid(
                "kafka.dlq_topic",
                format!("kafka.dlq_topic must differ from kafka.topic `{}`", k.topic),
            ));
        }
        not_empty("kafka.group_id", &k.group_id)?;
        at_least("kafka.embedded_partitions", k.embedded_partitions, 1)?;
        at_least("kafka.batch_size", k.batch_size, 1)?;
        // One message of the largest accepted size must fit in a batch.
        at_least(
            "kafka.batch_max_bytes",
            k.batch_max_bytes,
            k.max_message_bytes.max(1),
        )?;
        positive("ingest.stall_after", self.ingest.stall_after)?;
        positive("ingest.watch_interval", self.ingest.watch_interval)?;
        positive("kafka.batch_linger", k.batch_linger)?;
        at_least("kafka.max_message_bytes", k.max_message_bytes, 1)?;
        positive("kafka.max_future_skew", k.max_future_skew)?;
        positive("kafka.orphan_ttl", k.orphan_ttl)?;

        let s = &self.storage;
        if s.path.as_os_str().is_empty() {
            return Err(ConfigError::invalid(
                "storage.path",
                "storage.path must not be empty".into(),
            ));
        }
        at_least("storage.read_connections", s.read_connections, 1)?;
        not_empty_list("case_candidates.criteria", &self.case_candidates.criteria)?;
        at_least(
            "case_candidates.max_results",
            self.case_candidates.max_results,
            1,
        )?;
        if let Some(limit) = &s.memory_limit {
            not_empty("storage.memory_limit", limit)?;
        }
        positive("storage.checkpoint_interval", s.checkpoint_interval)?;
        at_least("storage.checkpoint_events", s.checkpoint_events, 1)?;

        let c = &self.clocks;
        positive("clocks.contact", c.contact)?;
        positive("clocks.safety_assessment", c.safety_assessment)?;
        positive("clocks.determination", c.determination)?;
        positive("clocks.safety_conference", c.safety_conference)?;

        positive("http.request_timeout", self.http.request_timeout)?;
        self.access.validate()?;

        let sim = &self.simulator;
        positive("simulator.history", sim.history)?;
        if !(sim.speed.is_finite() && sim.speed > 0.0) {
            return Err(ConfigError::invalid(
                "simulator.speed",
                format!(
                    "simulator.speed must be a positive number, not {}",
                    sim.speed
                ),
            ));
        }
        fraction("simulator.duplicate_fraction", sim.duplicate_fraction)?;
        fraction("simulator.invalid_fraction", sim.invalid_fraction)?;
        at_least(
            "simulator.investigations_per_year",
            sim.investigations_per_year,
            1,
        )?;
        Ok(())
    }

    fn validate_zones(&self) -> Check {
        if self.zones.is_empty() {
            return Err(ConfigError::invalid(
                "zones",
                "zones must list at least one zone".into(),
            ));
        }
        for (i, zone) in self.zones.iter().enumerate() {
            let key = format!("zones[{i}].code");
            let code = zone.code.as_str();
            let problem = if code.is_empty() {
                "must not be empty".to_owned()
            } else if code.chars().count() > MAX_CODE_CHARS {
                format!("`{code}` is longer than {MAX_CODE_CHARS} characters")
            } else if code.trim() != code {
                // Events carrying "Z01" would never match " Z01".
                format!("`{code}` has leading or trailing whitespace")
            } else if code.eq_ignore_ascii_case(CITYWIDE) {
                format!("`{code}` is reserved for the pool of all zones")
            } else if let Some(first) = self.zones[..i].iter().position(|z| z.code == code) {
                format!("`{code}` is duplicated (first at zones[{first}])")
            } else {
                continue;
            };
            return Err(ConfigError::invalid(&key, format!("{key} {problem}")));
        }
        Ok(())
    }
}

fn at_least<T: PartialOrd + Display>(key: &str, value: T, min: T) -> Check {
    if value < min {
        return Err(ConfigError::invalid(
            key,
            format!("{key} must be at least {min}, not {value}"),
        ));
    }
    Ok(())
}

fn positive(key: &str, value: Duration) -> Check {
    if value.is_zero() {
        return Err(ConfigError::invalid(
            key,
            format!("{key} must be longer than zero"),
        ));
    }
    Ok(())
}

fn fraction(key: &str, value: f64) -> Check {
    if !(0.0..=1.0).contains(&value) {
        return Err(ConfigError::invalid(
            key,
            format!("{key} must be between 0 and 1, not {value}"),
        ));
    }
    Ok(())
}

fn not_empty(key: &str, value: &str) -> Check {
    if value.trim().is_empty() {
        return Err(ConfigError::invalid(
            key,
            format!("{key} must not be empty"),
        ));
    }
    Ok(())
}

fn topic(key: &str, name: &str) -> Check {
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty()
        || name.len() > MAX_TOPIC_CHARS
        || name == "."
        || name == ".."
        || !name.chars().all(legal)
    {
        return Err(ConfigError::invalid(
            key,
            format!(
                "{key} `{name}` is not a Kafka topic name: use 1 to {MAX_TOPIC_CHARS} \
                 of the characters a-z A-Z 0-9 . _ -"
            ),
        ));
    }
    Ok(())
}

fn not_empty_list<T>(key: &str, value: &[T]) -> Check {
    if value.is_empty() {
        return Err(ConfigError::invalid(
            key,
            format!("{key} must list at least one entry"),
        ));
    }
    Ok(())
}
