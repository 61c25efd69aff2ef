//! Faults with exact accounting, against brokers in processes of their own: stalls that
//! must be reported, a broker that goes away or freezes, and `kill -9` of childstat again and
//! again. Each run that recovers ends equal, table by table and counter by counter, to a run
//! of the same log without faults.

mod common;

use childstat_faults::process::counter;
use childstat_faults::scenarios::{self, Size};
use childstat_faults::stream::{as_kv, produce, simulated};
use childstat_faults::{Childstat, ExternalBroker, Kind, Setup, DLQ, TOPIC};
use common::tools;
use std::time::{Duration, Instant};

const CATCH_UP: Duration = Duration::from_secs(240);

async fn readyz_says(cs: &mut Childstat, needle: &str, timeout: Duration) -> String {
    let started = Instant::now();
    loop {
        if let Some((503, body)) = cs.get("/readyz").await {
            let why = body["message"].as_str().unwrap_or_default().to_string();
            if why.contains(needle) {
                return why;
            }
        }
        assert!(
            started.elapsed() < timeout,
            "/readyz never said {needle:?}\n{}",
            cs.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn metric(cs: &Childstat, name: &str) -> Option<f64> {
    let text = reqwest::get(cs.url("/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// The broker answers, events wait, and fetches fail: reported as a stall within
/// `ingest.stall_after`, not as a healthy consumer with zero lag; and it clears.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_cannot_fetch_is_reported_stalled() {
    let broker = ExternalBroker::mock(&tools(), &[TOPIC, DLQ], 3);
    let msgs = simulated(51, 600, 0.0, 0.0);
    let ends = produce(&broker.bootstrap, TOPIC, &as_kv(&msgs)).await;
    broker.command("errors Fetch NOT_LEADER_FOR_PARTITION 1000000");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cs = Childstat::spawn(
        &tools(),
        &Setup::new(&broker.bootstrap, &dir.path().join("db.duckdb")),
    );
    let why = readyz_says(&mut cs, "ingest is stalled", Duration::from_secs(60)).await;
    assert!(why.contains("600 events are waiting"), "{why}");
    assert_eq!(metric(&cs, "childstat_ingest_stalled").await, Some(1.0));
    let s = cs.status().await.expect("status");
    assert_eq!(
        s["consumer_lag"]["total"], 600,
        "lag is read from the broker: {s}"
    );

    broker.command("clear Fetch");
    let s = cs.wait_committed(&ends, CATCH_UP).await;
    assert_eq!(counter(&s, "consumed"), 600);
    cs.wait_for("the stall cleared", Duration::from_secs(30), |s| {
        s["ingest_problem"].is_null() && s["consumer_lag"]["total"] == 0
    })
    .await;
    assert_eq!(metric(&cs, "childstat_ingest_stalled").await, Some(0.0));
    assert_eq!(cs.get("/readyz").await.map(|(c, _)| c), Some(200));
    assert!(cs.stop());
}

/// A group that never hands this consumer a partition is a stall too, even with no event
/// waiting yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_with_no_partitions_is_reported_stalled() {
    let broker = ExternalBroker::mock(&tools(), &[TOPIC, DLQ], 3);
    broker.command("errors JoinGroup COORDINATOR_NOT_AVAILABLE 1000000");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cs = Childstat::spawn(
        &tools(),
        &Setup::new(&broker.bootstrap, &dir.path().join("db.duckdb")),
    );
    let why = readyz_says(&mut cs, "no partition", Duration::from_secs(60)).await;
    assert!(why.contains("ingest is stalled"), "{why}");
    assert_eq!(
        metric(&cs, "childstat_assigned_partitions").await,
        Some(0.0)
    );

    broker.command("clear JoinGroup");
    let msgs = simulated(52, 300, 0.0, 0.0);
    let ends = produce(&broker.bootstrap, TOPIC, &as_kv(&msgs)).await;
    let s = cs.wait_committed(&ends, CATCH_UP).await;
    assert_eq!(counter(&s, "consumed"), 300);
    cs.wait_for("the stall cleared", Duration::from_secs(30), |s| {
        s["ingest_problem"].is_null()
    })
    .await;
    assert_eq!(
        metric(&cs, "childstat_assigned_partitions").await,
        Some(3.0)
    );
    assert!(cs.stop());
}

/// The mock broker stops answering for a while during ingest, then comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_outage_during_ingest_loses_and_repeats_nothing() {
    let size = Size {
        events: 6_000,
        batch_size: 200,
        seed: 53,
        manual_assignment: false,
    };
    scenarios::broker_outage(&tools(), Duration::from_secs(8), size)
        .await
        .assert_exact();
}

/// tansu frozen (SIGSTOP) during ingest, then resumed (SIGCONT). For less than the
/// consumer's session timeout (6 s here): a longer freeze wedges tansu 0.6's group
/// coordinator for every member (docs/brokers.md); childstat then reports the stall.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_broker_during_ingest_loses_and_repeats_nothing() {
    let t = tools();
    if t.have_tansu("frozen_broker") {
        let size = Size {
            events: 6_000,
            batch_size: 200,
            seed: 54,
            manual_assignment: false,
        };
        scenarios::broker_frozen(&t, Duration::from_secs(4), size)
            .await
            .assert_exact();
    }
}

/// `kill -9` at random moments during ingest, twenty times, each followed by a restart on
/// the same database: the end state equals an uninterrupted run's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_kill_nines_during_ingest_lose_and_repeat_nothing_tansu() {
    let t = tools();
    if t.have_tansu("kill_nine_tansu") {
        let size = Size {
            events: 8_000,
            batch_size: 100,
            seed: 55,
            manual_assignment: false,
        };
        scenarios::kill_nine(&t, Kind::Tansu, 20, size)
            .await
            .assert_exact();
    }
}

/// On the mock cluster under manual assignment: its group coordinator cannot hand a
/// restarted static member its partitions back at once (it keys members by member id only,
/// so the old one must time out first; docs/brokers.md), and manual assignment has no
/// coordinator to wait for. The group-mode figures are the harness's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nines_under_manual_assignment_lose_and_repeat_nothing_mock() {
    let size = Size {
        events: 4_000,
        batch_size: 100,
        seed: 56,
        manual_assignment: true,
    };
    scenarios::kill_nine(&tools(), Kind::Mock, 10, size)
        .await
        .assert_exact();
}

/// tansu frozen for twice the consumer's session timeout: what wedges its group
/// coordinator. Under manual assignment no coordinator is involved, so ingest resumes once
/// the broker does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_frozen_past_the_session_timeout_under_manual_assignment_loses_nothing() {
    let t = tools();
    if t.have_tansu("frozen_broker_manual") {
        let size = Size {
            events: 6_000,
            batch_size: 200,
            seed: 58,
            manual_assignment: true,
        };
        scenarios::broker_frozen(&t, Duration::from_secs(12), size)
            .await
            .assert_exact();
    }
}

/// The disk under the database fills: the writer stops with a clear error, and after the
/// disk is grown and childstat restarted, nothing is lost or counted twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_the_writer_and_a_restart_after_space_is_freed_is_exact() {
    let t = tools();
    if !t.have_tansu("disk_full") {
        return;
    }
    let size = Size {
        events: 20_000,
        batch_size: 2_000,
        seed: 57,
        manual_assignment: false,
    };
    match scenarios::disk_full(&t, Kind::Tansu, 6, size).await {
        Some(o) => o.assert_exact(),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI runs as root and can mount a tmpfs"
            );
            eprintln!("disk_full: skipped, a tmpfs cannot be mounted here (not root)");
        }
    }
}

/// Peak resident memory of a process, from the kernel (VmHWM).
fn peak_rss_mb(pid: i32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmHWM");
    kb / 1024.0
}

/// Batches are bounded by bytes: 4,000 valid events of 60 KB each (240 MB) pass through a
/// process that stays under 600 MB, where 20,000-message batches alone would be 1.2 GB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_events_stay_within_the_batch_byte_bound() {
    let t = tools();
    if !t.have_tansu("large_events") {
        return;
    }
    let broker = ExternalBroker::tansu(&t, &[TOPIC, DLQ], 3);
    let pad = "p".repeat(60 * 1024);
    let msgs: Vec<(String, Vec<u8>)> = (0..4_000)
        .map(|i| {
            let e = common::events::opened(
                &format!("big-{i}"),
                &format!("I-big-{i}"),
                "Z05",
                "2026-10-01T12:00:00Z",
            );
            let (key, payload) = common::events::kv(&e);
            let mut v: serde_json::Value = serde_json::from_slice(&payload).expect("json");
            v["notes"] = serde_json::Value::String(pad.clone());
            (key, serde_json::to_vec(&v).expect("json"))
        })
        .collect();
    assert!(msgs
        .iter()
        .all(|(_, p)| p.len() > 60 * 1024 && p.len() < 65_536));
    let ends = produce(&broker.bootstrap, TOPIC, &msgs).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut setup = Setup::new(&broker.bootstrap, &dir.path().join("db.duckdb"));
    setup.batch_size = 20_000;
    setup.static_membership = scenarios::static_membership(Kind::Tansu);
    let mut cs = Childstat::spawn(&tools(), &setup);
    let s = cs.wait_committed(&ends, CATCH_UP).await;
    assert_eq!(counter(&s, "applied"), 4_000);
    let peak = peak_rss_mb(cs.pid());
    eprintln!("4,000 events of 60 KB: peak RSS {peak:.0} MB");
    assert!(peak < 600.0, "peak RSS {peak:.0} MB");
    assert!(cs.stop());
}
