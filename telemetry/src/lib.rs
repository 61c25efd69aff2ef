//! Every Prometheus metric childstat exports, in one place.
//!
//! Labels are bounded by construction: zone, indicator, window, partition, reason,
//! lateness bucket, HTTP route template and status, alert name. Never a case, family or
//! worker id.

use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
    IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

pub mod names {
    pub const EVENTS_CONSUMED: &str = "childstat_events_consumed_total";
    pub const EVENTS_APPLIED: &str = "childstat_events_applied_total";
    pub const EVENTS_DUPLICATE: &str = "childstat_events_duplicate_total";
    pub const EVENTS_LATE: &str = "childstat_events_late_total";
    pub const EVENTS_ORPHANED: &str = "childstat_events_orphaned_total";
    pub const ORPHANS_WAITING: &str = "childstat_orphans_waiting";
    pub const EVENTS_DEAD_LETTERED: &str = "childstat_events_dead_lettered_total";
    pub const OPENINGS_IGNORED: &str = "childstat_openings_ignored_total";
    pub const BATCH_COMMIT_SECONDS: &str = "childstat_batch_commit_seconds";
    pub const BATCH_EVENTS: &str = "childstat_batch_events";
    pub const CONSUMER_LAG: &str = "childstat_consumer_lag";
    pub const FRESHNESS_SECONDS: &str = "childstat_freshness_seconds";
    pub const NEWEST_EVENT_TIMESTAMP: &str = "childstat_newest_event_timestamp_seconds";
    pub const LAST_COMMIT_TIMESTAMP: &str = "childstat_last_commit_timestamp_seconds";
    pub const HTTP_REQUESTS: &str = "childstat_http_requests_total";
    pub const HTTP_REQUEST_SECONDS: &str = "childstat_http_request_duration_seconds";
    pub const API_CACHE_HITS: &str = "childstat_api_cache_hits_total";
    pub const API_CACHE_MISSES: &str = "childstat_api_cache_misses_total";
    pub const INDICATOR: &str = "childstat_indicator";
    pub const INDICATOR_NUMERATOR: &str = "childstat_indicator_numerator";
    pub const INDICATOR_DENOMINATOR: &str = "childstat_indicator_denominator";
    pub const BROKER_UP: &str = "childstat_broker_up";
    pub const INGEST_STALLED: &str = "childstat_ingest_stalled";
    pub const ASSIGNED_PARTITIONS: &str = "childstat_assigned_partitions";
    pub const DEAD_LETTER_BLOCKED: &str = "childstat_dead_letter_blocked";
    pub const SERVING_INDEX_BYTES: &str = "childstat_serving_index_bytes";
    pub const ALERT_FIRING: &str = "childstat_alert_firing";
    pub const ALERT_PENDING: &str = "childstat_alert_pending";
}

/// Lateness buckets for `childstat_events_late_total`, by how far an event's time was behind
/// the newest applied event time.
pub const LATENESS: [&str; 4] = ["lt_1h", "lt_1d", "lt_7d", "ge_7d"];

#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub consumed: IntCounter,
    pub applied: IntCounter,
    pub duplicate: IntCounter,
    pub late: IntCounterVec,
    pub orphaned: IntCounterVec,
    pub orphans_waiting: IntGaugeVec,
    pub dead_lettered: IntCounterVec,
    pub openings_ignored: IntCounter,
    pub batch_commit_seconds: Histogram,
    pub batch_events: Histogram,
    pub consumer_lag: IntGaugeVec,
    pub freshness_seconds: Gauge,
    pub newest_event_timestamp: Gauge,
    pub last_commit_timestamp: Gauge,
    pub http_requests: IntCounterVec,
    pub http_request_seconds: HistogramVec,
    pub api_cache_hits: IntCounter,
    pub api_cache_misses: IntCounter,
    pub indicator: GaugeVec,
    pub indicator_numerator: IntGaugeVec,
    pub indicator_denominator: IntGaugeVec,
    pub broker_up: IntGauge,
    pub ingest_stalled: IntGauge,
    pub assigned_partitions: IntGauge,
    pub dead_letter_blocked: IntGauge,
    pub serving_index_bytes: IntGauge,
    pub alert_firing: IntGaugeVec,
    pub alert_pending: IntGaugeVec,
}

fn reg<T: prometheus::core::Collector + Clone + 'static>(r: &Registry, c: T) -> T {
    // Names are unique constants, so registration can only fail on a programming error.
    r.register(Box::new(c.clone()))
        .expect("metric names are unique");
    c
}

impl Metrics {
    pub fn new() -> Metrics {
        use names::*;
        let r = Registry::new();
        let counter = |n: &str, h: &str| reg(&r, IntCounter::new(n, h).expect("valid metric"));
        let counter_vec = |n: &str, h: &str, l: &[&str]| {
            reg(
                &r,
                IntCounterVec::new(Opts::new(n, h), l).expect("valid metric"),
            )
        };
        let gauge_vec = |n: &str, h: &str, l: &[&str]| {
            reg(
                &r,
                IntGaugeVec::new(Opts::new(n, h), l).expect("valid metric"),
            )
        };
        let m = Metrics {
            consumed: counter(EVENTS_CONSUMED, "Messages consumed from the event topic, valid or not."),
            applied: counter(EVENTS_APPLIED, "Events applied to the state (first delivery of each event_id)."),
            duplicate: counter(EVENTS_DUPLICATE, "Events whose event_id was seen before: counted, not applied again."),
            late: counter_vec(EVENTS_LATE, "Applied events older than the newest applied event time, by how far behind.", &["lateness"]),
            orphaned: counter_vec(EVENTS_ORPHANED, "Events that arrived before their investigation was opened and were held.", &["zone"]),
            orphans_waiting: gauge_vec(ORPHANS_WAITING, "Held events waiting longer than orphan_ttl for their opening.", &["zone"]),
            dead_lettered: counter_vec(EVENTS_DEAD_LETTERED, "Messages sent to the dead-letter topic, by reason.", &["reason"]),
            openings_ignored: counter(OPENINGS_IGNORED, "investigation_opened events that lost to an earlier opening of the same investigation."),
            batch_commit_seconds: reg(&r, Histogram::with_opts(HistogramOpts::new(BATCH_COMMIT_SECONDS, "Time to fold and commit one batch to DuckDB.").buckets(prometheus::exponential_buckets(0.0005, 2.0, 16).expect("valid buckets"))).expect("valid metric")),
            batch_events: reg(&r, Histogram::with_opts(HistogramOpts::new(BATCH_EVENTS, "Messages per committed batch.").buckets(prometheus::exponential_buckets(1.0, 4.0, 10).expect("valid buckets"))).expect("valid metric")),
            consumer_lag: gauge_vec(CONSUMER_LAG, "Messages between the offset committed to DuckDB and the partition's high watermark, read from the broker.", &["partition"]),
            freshness_seconds: reg(&r, Gauge::new(FRESHNESS_SECONDS, "Wall-clock now minus the newest applied event's occurred_at.").expect("valid metric")),
            newest_event_timestamp: reg(&r, Gauge::new(NEWEST_EVENT_TIMESTAMP, "occurred_at of the newest applied event, Unix seconds.").expect("valid metric")),
            last_commit_timestamp: reg(&r, Gauge::new(LAST_COMMIT_TIMESTAMP, "When the writer last committed a batch, Unix seconds.").expect("valid metric")),
            http_requests: counter_vec(HTTP_REQUESTS, "HTTP requests by route template and status code.", &["route", "status"]),
            http_request_seconds: reg(&r, HistogramVec::new(HistogramOpts::new(HTTP_REQUEST_SECONDS, "HTTP request latency by route template.").buckets(prometheus::exponential_buckets(0.0005, 2.0, 14).expect("valid buckets")), &["route"]).expect("valid metric")),
            api_cache_hits: counter(API_CACHE_HITS, "Aggregate reads answered from the response cache (same commit generation and clock tick)."),
            api_cache_misses: counter(API_CACHE_MISSES, "Aggregate reads computed because no cached answer was current."),
            indicator: reg(&r, GaugeVec::new(Opts::new(INDICATOR, "Current indicator value by zone and rolling window; absent when the rate is undefined."), &["zone", "indicator", "window"]).expect("valid metric")),
            indicator_numerator: gauge_vec(INDICATOR_NUMERATOR, "Current indicator numerator by zone and rolling window.", &["zone", "indicator", "window"]),
            indicator_denominator: gauge_vec(INDICATOR_DENOMINATOR, "Current indicator denominator by zone and rolling window (rates only).", &["zone", "indicator", "window"]),
            broker_up: reg(&r, IntGauge::new(BROKER_UP, "1 when the Kafka broker answered the last metadata request.").expect("valid metric")),
            ingest_stalled: reg(&r, IntGauge::new(INGEST_STALLED, "1 while events wait in Kafka and nothing has committed for ingest.stall_after, or no partition is assigned.").expect("valid metric")),
            assigned_partitions: reg(&r, IntGauge::new(ASSIGNED_PARTITIONS, "Partitions of the event topic assigned to this consumer.").expect("valid metric")),
            dead_letter_blocked: reg(&r, IntGauge::new(DEAD_LETTER_BLOCKED, "1 while the dead-letter topic does not acknowledge dead letters, so ingest waits (or has stopped).").expect("valid metric")),
            serving_index_bytes: reg(&r, IntGauge::new(SERVING_INDEX_BYTES, "Heap bytes of the in-memory serving index that answers current values and histories.").expect("valid metric")),
            alert_firing: gauge_vec(ALERT_FIRING, "1 while a compliance alert fires for the zone (its threshold breached for its `for`), else 0.", &["zone", "alert"]),
            alert_pending: gauge_vec(ALERT_PENDING, "1 while a zone breaches a compliance alert's threshold but not yet for its `for`, else 0.", &["zone", "alert"]),
            registry: r,
        };
        for l in LATENESS {
            m.late.with_label_values(&[l]);
        }
        m
    }

    /// The registry in Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let families = self.registry.gather();
        // Encoding into a Vec cannot fail for well-formed families.
        let _ = TextEncoder::new().encode(&families, &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
