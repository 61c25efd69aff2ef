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

/// A fresh store at `path` fed `events` in batches cut at `cuts` (taken modulo the length).
pub fn apply_in_batches(
    path: &std::path::Path,
    events: &[Accepted],
    cuts: &[usize],
    now: Ts,
) -> childstat_aggregator::Store {
    let settings =
        childstat::settings::store_settings(&childstat_config::Config::embedded_defaults());
    let mut store = childstat_aggregator::Store::open(path, settings).expect("store");
    // Half the cases keep no state in memory between batches: every batch reads what it
    // needs back from DuckDB, and must reach the same values.
    if cuts.len().is_multiple_of(2) {
        store.keep_investigations(0);
    }
    // Pending sums are merged every batch, every few batches or never, by the same cuts: the
    // reads and the digest must not tell the difference.
    store.merge_pending_after([0, 1, 40, usize::MAX][cuts.len() % 4]);
    // The serving index exists before the first batch, so every batch is applied to it
    // incrementally; it keeps every ledger row, so all reads can go through it.
    store.serving_detail_days(None);
    store.read_pool(1).expect("serving index");
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
    store
}
