//! The consumer context: on assignment, start each partition at the offset stored in DuckDB
//! (committed with the state), and export lag from librdkafka's statistics.

use childstat_telemetry::Metrics;
use rdkafka::bindings as rdsys;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Stored next offsets for a topic, by partition.
pub type OffsetLookup = Arc<dyn Fn(&str) -> Result<HashMap<i32, i64>, String> + Send + Sync>;

pub struct IngestContext {
    pub lookup: OffsetLookup,
    pub metrics: Metrics,
    /// The first lookup failure, surfaced by the consume loop as a fatal error.
    pub failure: Mutex<Option<String>>,
}

impl ClientContext for IngestContext {
    fn stats(&self, stats: Statistics) {
        for topic in stats.topics.values() {
            for (p, part) in &topic.partitions {
                if *p >= 0 && part.consumer_lag >= 0 {
                    self.metrics
                        .consumer_lag
                        .with_label_values(&[&p.to_string()])
                        .set(part.consumer_lag);
                }
            }
        }
    }
}

impl ConsumerContext for IngestContext {
    fn rebalance(
        &self,
        base: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let native = base.client().native_ptr();
        let cooperative = matches!(base.rebalance_protocol(), RebalanceProtocol::Cooperative);
        if err == RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            self.seek_to_stored(tpl);
            // Safety: `native` and `tpl` are live handles for the duration of the callback,
            // exactly as in rdkafka's default implementation.
            unsafe {
                if cooperative {
                    rdsys::rd_kafka_incremental_assign(native, tpl.ptr());
                } else {
                    rdsys::rd_kafka_assign(native, tpl.ptr());
                }
            }
        } else {
            unsafe {
                if cooperative {
                    rdsys::rd_kafka_incremental_unassign(native, tpl.ptr());
                } else {
                    rdsys::rd_kafka_assign(native, std::ptr::null());
                }
            }
        }
    }
}

impl IngestContext {
    /// Partitions with a stored offset start there; the others keep `Offset::Invalid`, which
    /// makes librdkafka apply `auto.offset.reset` (Kafka's own committed offsets are only
    /// informational and are ignored here on purpose).
    fn seek_to_stored(&self, tpl: &mut TopicPartitionList) {
        let mut by_topic: HashMap<String, HashMap<i32, i64>> = HashMap::new();
        let elems: Vec<(String, i32)> = tpl
            .elements()
            .iter()
            .map(|e| (e.topic().to_string(), e.partition()))
            .collect();
        for (topic, partition) in elems {
            if !by_topic.contains_key(&topic) {
                match (self.lookup)(&topic) {
                    Ok(m) => {
                        by_topic.insert(topic.clone(), m);
                    }
                    Err(e) => {
                        let mut f = self.failure.lock().unwrap_or_else(|p| p.into_inner());
                        f.get_or_insert(e);
                        by_topic.insert(topic.clone(), HashMap::new());
                    }
                }
            }
            let offset = match by_topic.get(&topic).and_then(|m| m.get(&partition)) {
                Some(&next) => Offset::Offset(next),
                None => Offset::Invalid,
            };
            // Only fails for a partition not in the list, which cannot happen here.
            let _ = tpl.set_partition_offset(&topic, partition, offset);
        }
    }
}
