//! Ingest hands batches over as a group commit, against the real embedded broker: while the
//! writer has not said it is ready, events gather into one batch (up to `batch_size`); once
//! it is ready, what gathered goes at once.

mod common;

use childstat::settings::ingest_settings;
use childstat_core::Batch;
use childstat_ingest::{Ingest, OffsetLookup};
use childstat_telemetry::Metrics;
use common::{as_kv, sim_messages, Env};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(20);

async fn next_batch(rx: &mut mpsc::Receiver<Batch>) -> Batch {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("a batch within the timeout")
        .expect("ingest still running")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_gather_while_the_writer_is_busy() {
    let env = Env::new(1);
    let mut cfg = env.config();
    cfg.kafka.batch_size = 100;
    cfg.kafka.batch_linger = Duration::from_millis(10);
    let settings = ingest_settings(&cfg, &env.brokers, true);
    let lookup: OffsetLookup = Arc::new(|_: &str| Ok(HashMap::new()));
    let ingest = Arc::new(
        Ingest::new(settings, Arc::new(cfg.zone_set()), lookup, Metrics::new()).expect("ingest"),
    );
    let (batch_tx, mut batch_rx) = mpsc::channel(2);
    let (_commit_tx, commit_rx) = mpsc::channel(4);
    let ready = Arc::new(Notify::new());
    let shutdown = CancellationToken::new();
    let task = tokio::spawn({
        let (ingest, ready, shutdown) = (ingest.clone(), ready.clone(), shutdown.clone());
        async move { ingest.run(batch_tx, commit_rx, ready, shutdown).await }
    });

    let msgs = as_kv(&sim_messages(7, 400, 0.0, 0.0));
    // The writer starts idle: the first event goes at its linger deadline, alone.
    env.produce(&msgs[..1]).await;
    let first = next_batch(&mut batch_rx).await;
    assert_eq!(first.messages, 1);

    // The writer is now busy with it: 40 events gather and nothing is handed over.
    env.produce(&msgs[1..41]).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        batch_rx.try_recv().is_err(),
        "a batch was handed over before the writer was ready"
    );
    ready.notify_one();
    let gathered = next_batch(&mut batch_rx).await;
    assert_eq!(
        gathered.messages, 40,
        "everything gathered goes as one batch"
    );

    // Still busy: a full batch goes without waiting for the writer, the rest stays.
    env.produce(&msgs[41..191]).await;
    let full = next_batch(&mut batch_rx).await;
    assert_eq!(full.messages, 100);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(batch_rx.try_recv().is_err());
    ready.notify_one();
    let rest = next_batch(&mut batch_rx).await;
    assert_eq!(rest.messages, 50);

    shutdown.cancel();
    task.await.expect("join").expect("ingest stops cleanly");
}
