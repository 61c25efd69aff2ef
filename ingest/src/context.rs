//! The consumer context: where each assigned partition starts, and what is assigned.
//!
//! A partition starts at the furthest of two positions, both our own:
//! - the next offset stored in DuckDB, committed with the state it produced;
//! - the next offset this process has already taken into a batch (gathered, queued or being
//!   committed). Everything taken is committed before the process ends, or the process dies
//!   and restarts from DuckDB, so after a rebalance in the middle of a catch-up nothing is
//!   read twice and no offset goes backwards.
//!
//! A partition with neither starts at `auto_offset_reset`, named explicitly: Kafka's own
//! committed offsets for the group are a mirror for lag tools, and must never decide where
//! a new database starts (they would silently skip all history).

use childstat_telemetry::Metrics;
use rdkafka::bindings as rdsys;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Stored next offsets for a topic, by partition.
pub type OffsetLookup = Arc<dyn Fn(&str) -> Result<HashMap<i32, i64>, String> + Send + Sync>;

/// Where a partition with no position of ours starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartAt {
    Beginning,
    End,
}

impl StartAt {
    /// From `kafka.auto_offset_reset`'s text; anything but "latest" reads everything.
    pub fn from_reset(reset: &str) -> StartAt {
        if reset == "latest" {
            StartAt::End
        } else {
            StartAt::Beginning
        }
    }

    fn offset(self) -> Offset {
        match self {
            StartAt::Beginning => Offset::Beginning,
            StartAt::End => Offset::End,
        }
    }
}

/// What is assigned now, and since when nothing has been.
#[derive(Debug)]
pub struct Assignment {
    pub partitions: BTreeSet<(String, i32)>,
    /// Set while nothing is assigned: when that began.
    pub empty_since: Option<Instant>,
}

pub struct IngestContext {
    pub lookup: OffsetLookup,
    pub metrics: Metrics,
    pub start_at: StartAt,
    /// The first lookup failure, surfaced by the consume loop as a fatal error.
    pub failure: Mutex<Option<String>>,
    /// Next offset after the last message taken into a batch by this process, by topic and
    /// partition (nested so the per-message lookup borrows the topic instead of copying it).
    pub taken: Mutex<HashMap<String, HashMap<i32, i64>>>,
    pub assignment: Mutex<Assignment>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ClientContext for IngestContext {}

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
            self.set_start_offsets(tpl);
            self.note_assigned(tpl, cooperative);
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
            self.note_revoked(tpl, cooperative);
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
    pub fn new(lookup: OffsetLookup, metrics: Metrics, start_at: StartAt) -> IngestContext {
        IngestContext {
            lookup,
            metrics,
            start_at,
            failure: Mutex::new(None),
            taken: Mutex::new(HashMap::new()),
            assignment: Mutex::new(Assignment {
                partitions: BTreeSet::new(),
                empty_since: Some(Instant::now()),
            }),
        }
    }

    /// Records that a message at `offset` was taken; false when it was taken before (a
    /// redelivery, which must not be counted or applied again).
    pub fn take(&self, topic: &str, partition: i32, offset: i64) -> bool {
        let mut taken = lock(&self.taken);
        if !taken.contains_key(topic) {
            taken.insert(topic.to_string(), HashMap::new());
        }
        let Some(by_partition) = taken.get_mut(topic) else {
            return true;
        };
        let next = by_partition.entry(partition).or_insert(offset);
        if offset < *next {
            return false;
        }
        *next = offset + 1;
        true
    }

    pub fn take_failure(&self) -> Option<String> {
        lock(&self.failure).take()
    }

    pub fn assigned(&self) -> (usize, Option<Instant>) {
        let a = lock(&self.assignment);
        (a.partitions.len(), a.empty_since)
    }

    /// Whether exactly `partitions` of `topic` are assigned (order aside).
    pub fn is_assigned(&self, topic: &str, partitions: &[i32]) -> bool {
        let a = lock(&self.assignment);
        a.partitions.len() == partitions.len()
            && partitions
                .iter()
                .all(|p| a.partitions.contains(&(topic.to_string(), *p)))
    }

    pub(crate) fn note_assigned(&self, tpl: &TopicPartitionList, cooperative: bool) {
        let mut a = lock(&self.assignment);
        if !cooperative {
            a.partitions.clear();
        }
        for e in tpl.elements() {
            a.partitions.insert((e.topic().to_string(), e.partition()));
        }
        self.publish(&mut a);
    }

    fn note_revoked(&self, tpl: &TopicPartitionList, cooperative: bool) {
        let mut a = lock(&self.assignment);
        if cooperative {
            for e in tpl.elements() {
                a.partitions.remove(&(e.topic().to_string(), e.partition()));
            }
        } else {
            a.partitions.clear();
        }
        self.publish(&mut a);
    }

    fn publish(&self, a: &mut Assignment) {
        if a.partitions.is_empty() {
            a.empty_since.get_or_insert_with(Instant::now);
        } else {
            a.empty_since = None;
        }
        self.metrics
            .assigned_partitions
            .set(a.partitions.len() as i64);
    }

    pub(crate) fn set_start_offsets(&self, tpl: &mut TopicPartitionList) {
        let mut stored: HashMap<String, HashMap<i32, i64>> = HashMap::new();
        let elems: Vec<(String, i32)> = tpl
            .elements()
            .iter()
            .map(|e| (e.topic().to_string(), e.partition()))
            .collect();
        let taken = lock(&self.taken).clone();
        for (topic, partition) in elems {
            if !stored.contains_key(&topic) {
                let found = (self.lookup)(&topic).unwrap_or_else(|e| {
                    lock(&self.failure).get_or_insert(e);
                    HashMap::new()
                });
                stored.insert(topic.clone(), found);
            }
            let ours = [
                stored.get(&topic).and_then(|m| m.get(&partition)).copied(),
                taken.get(&topic).and_then(|m| m.get(&partition)).copied(),
            ];
            let offset = match ours.into_iter().flatten().max() {
                Some(next) => Offset::Offset(next),
                None => self.start_at.offset(),
            };
            // Only fails for a partition not in the list, which cannot happen here.
            let _ = tpl.set_partition_offset(&topic, partition, offset);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(stored: HashMap<i32, i64>, start_at: StartAt) -> IngestContext {
        let lookup: OffsetLookup = Arc::new(move |_| Ok(stored.clone()));
        IngestContext::new(lookup, Metrics::new(), start_at)
    }

    fn starts(c: &IngestContext, partitions: &[i32]) -> Vec<Offset> {
        let mut tpl = TopicPartitionList::new();
        for p in partitions {
            tpl.add_partition("t", *p);
        }
        c.set_start_offsets(&mut tpl);
        partitions
            .iter()
            .map(|p| tpl.find_partition("t", *p).expect("listed").offset())
            .collect()
    }

    #[test]
    fn a_partition_without_a_stored_offset_starts_at_the_configured_end_never_at_kafkas() {
        let c = ctx(HashMap::from([(0, 42)]), StartAt::Beginning);
        assert_eq!(starts(&c, &[0, 1]), [Offset::Offset(42), Offset::Beginning]);
        let c = ctx(HashMap::new(), StartAt::End);
        assert_eq!(starts(&c, &[0]), [Offset::End]);
        assert_eq!(StartAt::from_reset("earliest"), StartAt::Beginning);
        assert_eq!(StartAt::from_reset("latest"), StartAt::End);
    }

    #[test]
    fn a_reassigned_partition_resumes_after_what_this_process_already_took() {
        let c = ctx(HashMap::from([(0, 10), (1, 50)]), StartAt::Beginning);
        for o in 10..30 {
            assert!(c.take("t", 0, o));
        }
        // Taken but not yet committed: 0 resumes at 30, not at the stored 10; 1 keeps 50.
        assert_eq!(
            starts(&c, &[0, 1]),
            [Offset::Offset(30), Offset::Offset(50)]
        );
        assert!(!c.take("t", 0, 29), "a redelivered message is refused");
        assert!(c.take("t", 0, 30));
    }

    #[test]
    fn a_failed_lookup_is_kept_for_the_consume_loop() {
        let lookup: OffsetLookup = Arc::new(|_| Err("disk gone".into()));
        let c = IngestContext::new(lookup, Metrics::new(), StartAt::Beginning);
        assert_eq!(starts(&c, &[0]), [Offset::Beginning]);
        assert_eq!(c.take_failure().as_deref(), Some("disk gone"));
    }

    #[test]
    fn assignment_tracks_when_nothing_is_assigned() {
        let c = ctx(HashMap::new(), StartAt::Beginning);
        assert_eq!(c.assigned().0, 0);
        assert!(c.assigned().1.is_some());
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition("t", 0);
        tpl.add_partition("t", 1);
        c.note_assigned(&tpl, false);
        assert_eq!(c.assigned(), (2, None));
        let mut one = TopicPartitionList::new();
        one.add_partition("t", 1);
        c.note_revoked(&one, true);
        assert_eq!(c.assigned(), (1, None));
        c.note_revoked(&one, false);
        assert_eq!(c.assigned().0, 0);
        assert!(c.assigned().1.is_some());
    }

    #[test]
    fn the_assigned_set_is_compared_whole() {
        let c = ctx(HashMap::new(), StartAt::Beginning);
        assert!(c.is_assigned("t", &[]));
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition("t", 0);
        tpl.add_partition("t", 1);
        c.note_assigned(&tpl, false);
        assert!(c.is_assigned("t", &[1, 0]));
        assert!(!c.is_assigned("t", &[0, 1, 2]), "a grown topic is a change");
        assert!(!c.is_assigned("t", &[0]));
        assert!(!c.is_assigned("u", &[0, 1]));
    }
}
