//! Freshness: a steady stream of events, and how long each takes from the producer's send to
//! the moment the API shows it applied. `/api/v1/status` reports the offsets committed to
//! DuckDB with the state in one transaction, so a message is visible in every figure exactly
//! when its partition's committed offset passes it. The poller asks continuously; a message's
//! visibility time is the arrival of the first answer that shows it, which overstates the
//! delay by at most one poll.

use crate::ingest::{DLQ, TOPIC};
use crate::load::{start_pipeline, steady_producer, Sent};
use crate::stats::{median_spread, percentile};
use crate::sys::{machine, ms, save, summary};
use anyhow::{anyhow, bail, Result};
use childstat_ingest::EmbeddedBroker;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub struct Args<'a> {
    pub rate: u32,
    pub seconds: u64,
    pub partitions: i32,
    pub runs: usize,
    pub work: &'a Path,
    pub out: &'a Path,
}

/// One answer of the status endpoint: when it arrived and the committed offsets it showed.
struct Poll {
    at: Instant,
    committed: HashMap<i32, i64>,
}

struct RunResult {
    p50: f64,
    p99: f64,
    max: f64,
    poll_ms: f64,
    /// Produce → visible for the very first message: group join and assignment included.
    startup_ms: f64,
    messages: usize,
}

/// How long the stream runs before measuring starts: the consumer joins its group and is
/// assigned the partitions (seconds, on the embedded broker), and the backlog from that wait
/// drains. Freshness is a steady-state figure; the start-up is reported on its own.
const WARM_UP: Duration = Duration::from_secs(5);

/// Polls recorded so far, shared while the poller runs.
type Polls = Arc<Mutex<Vec<Poll>>>;

async fn poll_into(url: String, polls: Polls, stop: CancellationToken) -> Result<()> {
    let client = reqwest::Client::new();
    while !stop.is_cancelled() {
        let body: serde_json::Value = client.get(&url).send().await?.json().await?;
        let at = Instant::now();
        let committed = body["committed_offsets"]
            .as_array()
            .ok_or_else(|| anyhow!("status has no committed_offsets: {body}"))?
            .iter()
            .filter_map(|c| Some((c["partition"].as_i64()? as i32, c["next_offset"].as_i64()?)))
            .collect();
        polls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Poll { at, committed });
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

/// For each sent message, the delay until the first poll that shows it committed; `None` for
/// a message no poll shows yet.
fn delays(sent: &[Sent], polls: &[Poll]) -> Vec<Option<Duration>> {
    sent.iter()
        .map(|s| {
            // Polls are in time order and committed offsets only grow: the first poll past the
            // message is found by bisection.
            let i = polls.partition_point(|p| {
                p.committed.get(&s.partition).copied().unwrap_or(0) <= s.offset
            });
            polls
                .get(i)
                .map(|seen| seen.at.saturating_duration_since(s.at))
        })
        .collect()
}

async fn one_run(a: &Args<'_>, run: usize) -> Result<RunResult> {
    let broker = Arc::new(EmbeddedBroker::start(&[TOPIC, DLQ], a.partitions)?);
    let db = a.work.join(format!("freshness-{run}.duckdb"));
    for ext in ["", ".wal"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let p = start_pipeline(&broker, &db).await?;
    let url = format!("http://{}/api/v1/status", p.addr);
    let polls: Polls = Arc::default();
    let stop_polls = CancellationToken::new();
    let poller = tokio::spawn(poll_into(url, polls.clone(), stop_polls.clone()));
    let sent = Arc::new(Mutex::new(Vec::new()));
    let stop_producing = CancellationToken::new();
    let producer = tokio::spawn(steady_producer(
        broker.bootstrap_servers(),
        21 + run as u64,
        a.rate,
        stop_producing.clone(),
        sent.clone(),
    ));
    let started = Instant::now();
    tokio::time::sleep(WARM_UP + Duration::from_secs(a.seconds)).await;
    stop_producing.cancel();
    producer.await??;
    // Let the last batch commit and be seen.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop_polls.cancel();
    poller.await??;
    let polls = std::mem::take(&mut *polls.lock().unwrap_or_else(|p| p.into_inner()));
    p.shutdown.cancel();
    p.wait()
        .await
        .map_err(|e| anyhow!("pipeline stopped with: {e}"))?;
    drop(broker);
    for ext in ["", ".wal"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let mut sent: Vec<Sent> = std::mem::take(&mut *sent.lock().unwrap_or_else(|p| p.into_inner()));
    // Acknowledgements can arrive out of send order; warm-up is by send time.
    sent.sort_by_key(|s| s.at);
    let all = delays(&sent, &polls);
    if let Some(i) = all.iter().position(Option::is_none) {
        bail!(
            "message at partition {} offset {} never became visible",
            sent[i].partition,
            sent[i].offset
        );
    }
    let startup = all.first().copied().flatten().unwrap_or_default();
    // Messages sent during the warm-up are not measured; the first one's delay is the
    // start-up cost.
    let from = started + WARM_UP;
    let mut measured: Vec<Duration> = sent
        .iter()
        .zip(&all)
        .filter(|(s, _)| s.at >= from)
        .filter_map(|(_, d)| *d)
        .collect();
    measured.sort();
    let mut gaps: Vec<Duration> = polls.windows(2).map(|w| w[1].at - w[0].at).collect();
    gaps.sort();
    Ok(RunResult {
        p50: ms(percentile(&measured, 50.0)),
        p99: ms(percentile(&measured, 99.0)),
        max: ms(measured.last().copied().unwrap_or_default()),
        poll_ms: ms(percentile(&gaps, 50.0)),
        startup_ms: ms(startup),
        messages: measured.len(),
    })
}

pub fn run(a: Args<'_>) -> Result<()> {
    std::fs::create_dir_all(a.work)?;
    let rt = tokio::runtime::Runtime::new()?;
    let (mut p50, mut p99, mut max, mut poll) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut startup = Vec::new();
    let mut messages = 0;
    for run in 0..a.runs {
        let r = rt.block_on(one_run(&a, run))?;
        eprintln!(
            "run {}: {} messages at {}/s: produce → visible p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (status polled every {:.1} ms; first message after start-up {:.0} ms)",
            run + 1, r.messages, a.rate, r.p50, r.p99, r.max, r.poll_ms, r.startup_ms
        );
        startup.push(r.startup_ms);
        p50.push(r.p50);
        p99.push(r.p99);
        max.push(r.max);
        poll.push(r.poll_ms);
        messages = r.messages;
    }
    save(
        a.out,
        "freshness",
        serde_json::json!({
            "scenario": "freshness",
            "machine": machine(),
            "rate_per_sec": a.rate,
            "seconds": a.seconds,
            "partitions": a.partitions,
            "messages_per_run": messages,
            "batch_linger_ms": childstat_config::Config::embedded_defaults().kafka.batch_linger.as_secs_f64() * 1e3,
            "delay_p50_ms": summary(&p50),
            "delay_p99_ms": summary(&p99),
            "delay_max_ms": summary(&max),
            "poll_interval_ms": median_spread(poll).0,
            "warm_up_s": WARM_UP.as_secs(),
            "startup_first_visible_ms": summary(&startup),
            "targets": {"delay_p99_ms": 250.0},
        }),
    )
}
