//! Events before their opening are held and applied when it arrives; a duplicate event_id
//! redelivered after a restart is counted and not applied twice.

mod common;

use childstat::StartOptions;
use childstat_core::Dur;
use common::events::{closed, contact, kv, opened, ts};
use common::Env;
use std::time::Duration;

fn value<'a>(
    v: &'a [childstat_core::IndicatorValue],
    name: &str,
) -> &'a childstat_core::IndicatorValue {
    v.iter()
        .find(|i| i.name == name)
        .expect("indicator present")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_before_the_opening_and_duplicates_after_restart() {
    let env = Env::new(2);
    let cfg = env.config();
    let p = env.start(&cfg, StartOptions::default()).await;

    // A contact and another investigation's closing arrive before either opening.
    env.produce(&[
        kv(&contact("c1", "A", "Z02", "2026-10-01T10:00:00Z")),
        kv(&closed("x1", "B", "Z02", "2026-10-03T00:00:00Z")),
    ])
    .await;
    env.wait_caught_up(&p, Duration::from_secs(60)).await;
    let as_of = ts("2026-10-05T00:00:00Z");
    let v = p
        .pool
        .current(Some("Z02"), Dur::days(28), as_of)
        .expect("query");
    assert_eq!(value(&v, "intakes").numerator, Some(0));
    let c = p.pool.counters().expect("counters");
    assert_eq!(c.get("held", "Z02"), 2);

    // The openings arrive later; the held events now count with their own times.
    env.produce(&[
        kv(&opened("o1", "A", "Z02", "2026-10-01T09:00:00Z")),
        kv(&opened("o2", "B", "Z02", "2026-10-01T08:00:00Z")),
    ])
    .await;
    env.wait_caught_up(&p, Duration::from_secs(60)).await;
    let v = p
        .pool
        .current(Some("Z02"), Dur::days(28), as_of)
        .expect("query");
    assert_eq!(value(&v, "intakes").numerator, Some(2));
    // A was contacted within 24 h; B never was.
    assert_eq!(value(&v, "contact_24h_rate").numerator, Some(1));
    assert_eq!(value(&v, "contact_24h_rate").denominator, Some(2));
    // B closed on the 3rd; A is still open and contacted, so nothing is overdue.
    assert_eq!(value(&v, "open_investigations").numerator, Some(1));
    assert_eq!(value(&v, "overdue_contact").numerator, Some(0));
    let before = p.pool.current(None, Dur::days(28), as_of).expect("query");
    p.shutdown.cancel();
    p.wait().await.expect("clean stop");

    // Restart, then the same event_id again, with different content: a duplicate.
    let p = env.start(&cfg, StartOptions::default()).await;
    env.produce(&[kv(&opened("o1", "A", "Z05", "2026-10-02T09:00:00Z"))])
        .await;
    env.wait_caught_up(&p, Duration::from_secs(60)).await;
    let c = p.pool.counters().expect("counters");
    assert_eq!(c.get("duplicate", ""), 1);
    assert_eq!(c.get("applied", ""), 4);
    let after = p.pool.current(None, Dur::days(28), as_of).expect("query");
    assert_eq!(before, after, "a duplicate changes nothing");
    assert!(p
        .metrics
        .render()
        .contains("childstat_events_duplicate_total 1"));
    p.shutdown.cancel();
    p.wait().await.expect("clean stop");
}
