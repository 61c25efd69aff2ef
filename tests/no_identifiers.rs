//! No investigation, family or worker id from an event ever reaches a log line or a metric.
//!
//! Events with distinctive ids (valid ones, a duplicate, an orphan, a late one, and invalid
//! ones for the dead-letter path) go through the real pipeline and the API, with every log
//! line captured at TRACE level from every thread; then the log and the `/metrics` text are
//! searched for the ids.

mod common;

use childstat::StartOptions;
use childstat_api::auth::sha256_hex;
use childstat_config::{Role, TokenConfig};
use childstat_core::event::{Body, ConferenceKind, Finding, WorkerStatus};
use common::events::{contact, kv, opened};
use common::more_events::{assigned, entered_at, in_family, transfer, worker_status};
use common::Env;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Every id below contains one of these; none may appear in logs or metrics.
const MARKERS: [&str; 5] = [
    "INV-SECRET",
    "FAM-SECRET",
    "WRK-SECRET",
    "SUP-SECRET",
    "EVT-SECRET",
];
const REVIEWER: &str = "cst_no-identifiers-reviewer";

#[derive(Clone)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures everything logged in this test process, from any thread, `log` records of
/// librdkafka's client included (the subscriber installs the `log` bridge).
fn captured() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = SharedBuf(buf.clone());
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("the only subscriber in this test binary");
        buf
    })
}

fn ev(id: &str, inv: &str, zone: &str, at: &str, body: Body) -> childstat_core::Event {
    let mut e = contact(&format!("EVT-SECRET-{id}"), inv, zone, at);
    e.body = body;
    e
}

fn messages() -> Vec<(String, Vec<u8>)> {
    let inv = "INV-SECRET-7731";
    let open = in_family(
        assigned(
            opened("EVT-SECRET-1", inv, "Z07", "2026-11-20T09:00:00-05:00"),
            "WRK-SECRET-9090",
        ),
        "FAM-SECRET-4412",
    );
    let mut open = open;
    if let Body::InvestigationOpened(o) = &mut open.body {
        o.supervisor_id = "SUP-SECRET-5150".into();
    }
    let sibling = in_family(
        assigned(
            opened(
                "EVT-SECRET-2",
                "INV-SECRET-7732",
                "Z07",
                "2026-11-21T09:00:00-05:00",
            ),
            "WRK-SECRET-9090",
        ),
        "FAM-SECRET-4412",
    );
    let events = vec![
        worker_status(
            "WRK-SECRET-9090",
            "Z07",
            "2026-11-01T08:00:00-05:00",
            childstat_core::event::Role::Cps,
            WorkerStatus::Active,
        ),
        open.clone(),
        sibling,
        contact("EVT-SECRET-3", inv, "Z07", "2026-11-20T15:00:00-05:00"),
        ev(
            "4",
            inv,
            "Z07",
            "2026-11-22T10:00:00-05:00",
            Body::Removal {
                investigation_id: inv.into(),
                children: 2,
                emergency: true,
            },
        ),
        ev(
            "5",
            inv,
            "Z07",
            "2026-11-23T10:00:00-05:00",
            Body::ConferenceHeld {
                investigation_id: inv.into(),
                kind: ConferenceKind::ChildSafety,
            },
        ),
        ev(
            "6",
            inv,
            "Z07",
            "2026-11-24T10:00:00-05:00",
            Body::DeterminationMade {
                investigation_id: inv.into(),
                finding: Finding::Indicated,
            },
        ),
        transfer(
            "EVT-SECRET-7",
            "INV-SECRET-7732",
            "Z08",
            "2026-11-25T10:00:00-05:00",
            "WRK-SECRET-9191",
        ),
        // The same event again: a duplicate.
        open,
        // Events of an investigation whose opening never arrives: an orphan.
        contact(
            "EVT-SECRET-8",
            "INV-SECRET-ORPHAN",
            "Z03",
            "2026-11-22T10:00:00-05:00",
        ),
        // Entered long after it happened: a late event.
        entered_at(
            contact("EVT-SECRET-9", inv, "Z07", "2026-11-20T16:00:00-05:00"),
            "2026-11-27T16:00:00-05:00",
        ),
    ];
    let mut out: Vec<(String, Vec<u8>)> = events.iter().map(kv).collect();
    let bad = [
        r#"{"v":1,"event_id":"EVT-SECRET-B1","type":"investigation_closed","occurred_at":"2026-11-20T00:00:00Z","zone":"Z99","investigation_id":"INV-SECRET-BAD-1"}"#.to_string(),
        r#"{"v":1,"event_id":"EVT-SECRET-B2","type":"investigation_closed","investigation_id":"INV-SECRET-BAD-2","#.to_string(),
        r#"{"v":1,"event_id":"EVT-SECRET-B3","type":"investigation_closed","occurred_at":"2099-10-01T00:00:00Z","zone":"Z01","investigation_id":"INV-SECRET-BAD-3"}"#.to_string(),
        r#"{"v":1,"event_id":"EVT-SECRET-B4","type":"investigation_opened","occurred_at":"2026-11-20T00:00:00Z","zone":"Z01","investigation_id":"INV-SECRET-BAD-4","received_at":"2026-11-20T00:00:00Z","family_id":"FAM-SECRET-BAD","children":-1,"worker_id":"WRK-SECRET-BAD","supervisor_id":"SUP-SECRET-BAD"}"#.to_string(),
        r#"{"v":1,"event_id":"EVT-SECRET-B5","type":"worker_status_changed","occurred_at":"2026-11-20T00:00:00Z","zone":"Z01","worker_id":"WRK-SECRET-BAD-5","role":"janitor","status":"active"}"#.to_string(),
        format!(r#"{{"v":1,"event_id":"EVT-SECRET-B6","investigation_id":"INV-SECRET-BAD-6","pad":"{}"}}"#, "x".repeat(70 * 1024)),
    ];
    for (i, payload) in bad.into_iter().enumerate() {
        out.push((format!("INV-SECRET-BAD-{i}"), payload.into_bytes()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_event_identifier_reaches_logs_or_metrics() {
    let logs = captured();
    let env = Env::new(1);
    env.produce(&messages()).await;
    let mut cfg = env.config();
    cfg.access.tokens = vec![TokenConfig {
        name: "qi".into(),
        sha256: sha256_hex(REVIEWER),
        role: Role::Reviewer,
    }];
    let p = env
        .start(
            &cfg,
            StartOptions {
                gauge_interval: Some(Duration::from_millis(100)),
                ..StartOptions::default()
            },
        )
        .await;
    env.wait_caught_up(&p, Duration::from_secs(60)).await;
    let counters = p.pool.counters().expect("counters");
    assert!(counters.get("applied", "") >= 9, "{counters:?}");
    assert!(counters.get("duplicate", "") >= 1, "{counters:?}");
    let dead: i64 = counters
        .values
        .iter()
        .filter(|((name, _), _)| name == "dead_lettered")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(dead, 6, "every bad message is dead-lettered: {counters:?}");

    // The API, case-level route included, and paths carrying ids.
    let base = format!("http://{}", p.addr);
    let client = reqwest::Client::new();
    let mut metrics = String::new();
    for path in [
        "/api/v1/zones/Z07/indicators",
        "/api/v1/zones/Z07/indicators/intakes/history?from=2026-11-01&to=2026-11-28",
        "/api/v1/zones/Z07/case-candidates",
        "/api/v1/zones/INV-SECRET-7731/indicators",
        "/api/v1/zones/Z07/case-candidates?week=INV-SECRET-7731",
        "/api/v1/INV-SECRET-7731",
        "/INV-SECRET-7731",
        "/api/v1/status",
        "/api/v1/alerts",
        "/metrics",
    ] {
        let resp = client
            .get(format!("{base}{path}"))
            .bearer_auth(REVIEWER)
            .send()
            .await
            .expect("request");
        assert!(
            !resp.status().is_server_error(),
            "{path}: {}",
            resp.status()
        );
        let body = resp.text().await.expect("body");
        if path == "/api/v1/zones/Z07/case-candidates" {
            assert!(
                body.contains("INV-SECRET-7731"),
                "the reviewer route lists the case, so the search below is meaningful: {body}"
            );
        }
        if path == "/metrics" {
            metrics = body;
        }
    }
    // Let the gauges and the writer's reports run on the data, then stop and flush.
    tokio::time::sleep(Duration::from_millis(500)).await;
    tokio::spawn(async { tracing::trace!("capture canary from a worker thread") })
        .await
        .expect("canary");
    p.shutdown.cancel();
    p.wait().await.expect("clean stop");

    let text =
        String::from_utf8_lossy(&logs.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    assert!(
        text.contains("capture canary from a worker thread") && text.contains("API listening"),
        "the capture must see every thread's lines:\n{text}"
    );
    assert!(
        metrics.contains("childstat_events_dead_lettered_total"),
        "{metrics}"
    );
    for marker in MARKERS {
        let leaks: Vec<&str> = text.lines().filter(|l| l.contains(marker)).collect();
        assert!(
            leaks.is_empty(),
            "{marker} in the log:\n{}",
            leaks.join("\n")
        );
        let leaks: Vec<&str> = metrics.lines().filter(|l| l.contains(marker)).collect();
        assert!(
            leaks.is_empty(),
            "{marker} in the metrics:\n{}",
            leaks.join("\n")
        );
    }
}
