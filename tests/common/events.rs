//! Hand-built contract events for targeted tests.

use childstat_core::event::{Body, ContactKind, Opened};
use childstat_core::{Accepted, Batch, Event, Source, Ts};
use std::collections::BTreeMap;

pub fn ts(s: &str) -> Ts {
    Ts::parse_rfc3339(s).expect("test timestamp")
}

pub fn opened(event_id: &str, inv: &str, zone: &str, received: &str) -> Event {
    Event {
        event_id: event_id.into(),
        occurred_at: ts(received),
        recorded_at: ts(received),
        zone: zone.into(),
        body: Body::InvestigationOpened(Opened {
            investigation_id: inv.into(),
            received_at: ts(received),
            family_id: format!("F-{inv}"),
            children: 2,
            worker_id: "W1".into(),
            supervisor_id: "S1".into(),
            heightened_oversight: false,
            after_hours: false,
        }),
    }
}

pub fn contact(event_id: &str, inv: &str, zone: &str, at: &str) -> Event {
    Event {
        event_id: event_id.into(),
        occurred_at: ts(at),
        recorded_at: ts(at),
        zone: zone.into(),
        body: Body::ContactMade {
            investigation_id: inv.into(),
            kind: ContactKind::Initial,
            children_seen: 2,
            by_ecs: false,
        },
    }
}

pub fn closed(event_id: &str, inv: &str, zone: &str, at: &str) -> Event {
    Event {
        event_id: event_id.into(),
        occurred_at: ts(at),
        recorded_at: ts(at),
        zone: zone.into(),
        body: Body::InvestigationClosed {
            investigation_id: inv.into(),
        },
    }
}

pub fn kv(e: &Event) -> (String, Vec<u8>) {
    (e.body.key().to_string(), e.to_json().into_bytes())
}

/// `events` as accepted messages on topic `t`, partition 0, from `first_offset`.
pub fn accepted(events: Vec<Event>, first_offset: i64) -> Vec<Accepted> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| Accepted {
            payload: event.to_json(),
            event,
            source: Source {
                topic: "t".into(),
                partition: 0,
                offset: first_offset + i as i64,
            },
        })
        .collect()
}

/// One batch of `events` on topic `t`, partition 0, from `first_offset`.
pub fn batch(events: Vec<Event>, first_offset: i64) -> Batch {
    let n = events.len() as i64;
    Batch {
        messages: n as u64,
        next_offsets: BTreeMap::from([(("t".to_string(), 0), first_offset + n)]),
        dead_letters: BTreeMap::new(),
        accepted: accepted(events, first_offset),
    }
}

/// A store fed events in batches, with a serving-index pool and an SQL-only pool that both
/// existed before the first batch.
pub struct AppliedStore {
    pub store: childstat_aggregator::Store,
    pub index: childstat_aggregator::ReadPool,
    pub sql: childstat_aggregator::ReadPool,
}

/// A fresh store at `path` fed `events` in batches cut at `cuts` (taken modulo the length).
pub fn apply_in_batches(
    path: &std::path::Path,
    events: &[Accepted],
    cuts: &[usize],
    now: Ts,
) -> AppliedStore {
    let settings =
        childstat::settings::store_settings(&childstat_config::Config::embedded_defaults());
    let mut store = childstat_aggregator::Store::open(path, settings).expect("store");
    // Half the cases keep no closed investigation in memory past a checkpoint: an event for
    // one reads its state back from DuckDB, and must reach the same values.
    if cuts.len().is_multiple_of(2) {
        store.keep_closed_investigations(0);
    }
    // Checkpoints after every batch, never, or every few dozen or hundred events, by the
    // same cuts: no read may tell the difference.
    let every = [1, u64::MAX, 40, 700][cuts.len() % 4];
    store.set_checkpoint_policy(childstat_aggregator::CheckpointPolicy {
        interval: std::time::Duration::from_secs(86_400),
        events: every,
    });
    // The pools exist before the first batch, so every batch is applied to the serving index
    // incrementally (it keeps every ledger row, so all reads can go through it), and the SQL
    // pool reads the batches past the last checkpoint from the published segments.
    store.serving_detail_days(None);
    let index = store.read_pool(1).expect("serving index");
    let sql = store.read_pool_sql_only(1).expect("sql pool");
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (events.len() + 1)).collect();
    bounds.push(events.len());
    bounds.sort_unstable();
    let mut start = 0;
    for end in bounds {
        if end <= start {
            continue;
        }
        let batch = Batch {
            accepted: events[start..end].to_vec(),
            dead_letters: BTreeMap::new(),
            next_offsets: BTreeMap::from([(("t".to_string(), 0), end as i64)]),
            messages: (end - start) as u64,
        };
        store.apply_batch(&batch, now).expect("apply");
        start = end;
    }
    AppliedStore { store, index, sql }
}
