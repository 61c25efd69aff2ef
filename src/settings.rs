//! Translating the typed configuration into each component's settings.

use childstat_aggregator::{CheckpointPolicy, StoreSettings};
use childstat_config::{Assignment, Config};
use childstat_core::{Calendar, Clocks, DecodeLimits, Dur};
use childstat_ingest::{IngestSettings, EMBEDDED_CONSUMER_PROPERTIES};

pub fn store_settings(cfg: &Config) -> StoreSettings {
    StoreSettings {
        clocks: Clocks {
            contact: Dur::from_std(cfg.clocks.contact),
            safety_assessment: Dur::from_std(cfg.clocks.safety_assessment),
            determination: Dur::from_std(cfg.clocks.determination),
            safety_conference: Dur::from_std(cfg.clocks.safety_conference),
        },
        calendar: Calendar::new(cfg.indicators.time_zone),
        memory_limit: cfg.storage.memory_limit.clone(),
        caseload_threshold: cfg.indicators.caseload_threshold,
        checkpoint: CheckpointPolicy {
            interval: cfg.storage.checkpoint_interval,
            events: cfg.storage.checkpoint_events,
        },
    }
}

pub fn decode_limits(cfg: &Config) -> DecodeLimits {
    DecodeLimits {
        max_message_bytes: cfg.kafka.max_message_bytes,
        max_future_skew: Dur::from_std(cfg.kafka.max_future_skew),
    }
}

/// `embedded`: the brokers are the embedded broker, whose consumers need
/// [`EMBEDDED_CONSUMER_PROPERTIES`].
pub fn ingest_settings(cfg: &Config, brokers: &str, embedded: bool) -> IngestSettings {
    IngestSettings {
        brokers: brokers.to_string(),
        topic: cfg.kafka.topic.clone(),
        dlq_topic: cfg.kafka.dlq_topic(),
        group_id: cfg.kafka.group_id.clone(),
        manual_assignment: cfg.kafka.assignment == Assignment::Manual,
        // A process that never joins the group has no member id to keep.
        group_instance_id: match cfg.kafka.assignment {
            Assignment::Group => cfg.kafka.group_instance_id(),
            Assignment::Manual => None,
        },
        auto_offset_reset: cfg.kafka.auto_offset_reset.as_str().to_string(),
        batch_size: cfg.kafka.batch_size,
        batch_max_bytes: cfg.kafka.batch_max_bytes,
        batch_linger: cfg.kafka.batch_linger,
        limits: decode_limits(cfg),
        properties: cfg.kafka.properties.clone(),
        consumer_defaults: if embedded {
            EMBEDDED_CONSUMER_PROPERTIES
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect()
        } else {
            Default::default()
        },
    }
}
