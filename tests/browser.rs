//! The dashboard in a real browser. Starts a demo instance in-process (embedded broker,
//! simulator backfilling 91 days, pipeline and API on a free port), waits until it has
//! figures and a frozen week, then runs tests/browser/views.mjs: Playwright driving
//! Debian's Chromium through every view, checking real values and saving screenshots to
//! target/screenshots/ (CHILDSTAT_SCREENSHOTS overrides the folder).
//!
//! Needs `node` and Debian's `chromium` (or CHROMIUM=/path). Without them the test says so
//! and passes, except under CI (the CI variable set), where it fails: .ci/run installs both.

use childstat::pipeline::{resolve_brokers, Pipeline, StartOptions};
use childstat::simulate::{self, Pace};
use childstat_config::{Config, Role, TokenConfig};
use childstat_core::Ts;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::Command;

/// Test-only tokens; the configuration holds only their SHA-256
/// (`printf %s browser-test-viewer-token | sha256sum`).
const VIEWER_TOKEN: &str = "browser-test-viewer-token";
const VIEWER_SHA256: &str = "fa821a89474d4b82d2603c895b9cc2c8dec317a3b3c1954d7a5124432c4b1e96";
const REVIEWER_TOKEN: &str = "browser-test-reviewer-token";
const REVIEWER_SHA256: &str = "deaa134b4bbbc36ea33622edd6772fb60e94ac7ff9e695a03c299969c663764d";

/// The public role's token, made as `childstat token --role public` makes one (fixed
/// bytes, so the run is repeatable).
fn public_token() -> childstat::token::NewToken {
    childstat::token::from_bytes("browser test public", Role::Public, [0x5a; 32])
        .expect("a valid token name")
}

/// Simulated seconds per wall second: 91 days of history in about ten seconds, then live.
const BACKFILL_SPEED: f64 = 800_000.0;
/// Every screenshot views.mjs must save: each view as management sees it, and as the
/// public role sees it.
const VIEWS: [&str; 8] = [
    "overview",
    "zone-detail",
    "session",
    "health",
    "public-overview",
    "public-zone-detail",
    "public-session",
    "public-health",
];
const READY_TIMEOUT: Duration = Duration::from_secs(300);
const BROWSER_TIMEOUT: Duration = Duration::from_secs(300);

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Where screenshots go: `target/screenshots` under the workspace, whatever
/// CARGO_TARGET_DIR says, so they are found in the same place on every machine.
fn screenshot_dir() -> PathBuf {
    std::env::var_os("CHILDSTAT_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"))
}

/// Without the browser tools: a skip notice, or under CI a failure.
fn missing(what: &str) -> Option<PathBuf> {
    let msg = format!(
        "browser test: {what}. Install Debian's chromium and Node.js \
         (apt-get install -y chromium nodejs npm), as .ci/run does."
    );
    if std::env::var_os("CI").is_some() {
        panic!("{msg}");
    }
    eprintln!("SKIPPED {msg}");
    None
}

async fn runs(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

/// The Chromium binary, once node is known to be there too.
async fn chromium() -> Option<PathBuf> {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.exists() {
        return missing(&format!("no Chromium at {}", chromium.display()));
    }
    if !runs("node", "--version").await {
        return missing("`node` is not on PATH");
    }
    Some(chromium)
}

/// `npm ci` from the lockfile, once: playwright-core only (no bundled browser).
async fn install_driver() -> Option<()> {
    let dir = browser_dir();
    if dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        return Some(());
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .status()
        .await;
    match status {
        Ok(s) if s.success() => Some(()),
        other => missing(&format!("`npm ci` in {} failed ({other:?})", dir.display())).map(|_| ()),
    }
}

fn token(name: &str, sha256: &str, role: Role) -> TokenConfig {
    TokenConfig {
        name: name.into(),
        sha256: sha256.into(),
        role,
    }
}

/// Starts what `childstat demo` starts, on a free port with a fresh database.
async fn demo(dir: &Path, public: TokenConfig) -> Pipeline {
    let mut cfg = Config::embedded_defaults();
    cfg.storage.path = dir.join("demo.duckdb");
    cfg.http.bind = "127.0.0.1:0".parse().expect("address");
    cfg.access.tokens = vec![
        token("browser test viewer", VIEWER_SHA256, Role::Viewer),
        token("browser test reviewer", REVIEWER_SHA256, Role::Reviewer),
        public,
    ];
    let brokers = resolve_brokers(&cfg).expect("embedded broker");
    let bootstrap = brokers.0.clone();
    let p = Pipeline::start(&cfg, Some(brokers), StartOptions::default())
        .await
        .expect("pipeline starts");
    let s = &cfg.simulator;
    let pace = Pace {
        start: Ts::now().minus(s.history_dur()),
        speed: BACKFILL_SPEED,
    };
    let sim = simulate::simulator(
        s.seed,
        cfg.zone_set(),
        pace.start,
        s.investigations_per_year,
        s.duplicate_fraction,
        s.invalid_fraction,
    )
    .expect("simulator");
    let (topic, sd) = (cfg.kafka.topic.clone(), p.shutdown.clone());
    tokio::spawn(async move {
        if let Err(e) = simulate::produce(sim, pace, &bootstrap, &topic, None, sd.clone()).await {
            eprintln!("simulator failed: {e}");
            sd.cancel();
        }
    });
    p
}

async fn get_json(client: &reqwest::Client, url: &str) -> Result<serde_json::Value, String> {
    let resp = client
        .get(url)
        .bearer_auth(VIEWER_TOKEN)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = resp.status();
    if !status.is_success() {
        let body = resp.text().await.unwrap_or_default();
        return Err(format!("{url}: {status} {body}"));
    }
    resp.json().await.map_err(|e| format!("{url}: {e}"))
}

/// Ready when the backfill has caught up (citywide rates have values and the newest
/// event is recent) and the last ended week has been frozen, which the session view shows.
async fn wait_ready(base: &str) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < READY_TIMEOUT {
        let city = get_json(
            &client,
            &format!("{base}/api/v1/zones/citywide/indicators?window=28d"),
        )
        .await;
        let status = get_json(&client, &format!("{base}/api/v1/status")).await;
        let snaps = get_json(&client, &format!("{base}/api/v1/snapshots")).await;
        let rate = city.as_ref().ok().and_then(|c| {
            c["indicators"]
                .as_array()?
                .iter()
                .find(|i| i["name"] == "contact_24h_rate")?["value"]
                .as_f64()
        });
        let fresh = status
            .as_ref()
            .ok()
            .and_then(|s| s["freshness_seconds"].as_f64());
        let frozen = snaps
            .as_ref()
            .ok()
            .and_then(|s| s.as_array().map(|a| a.len()))
            .unwrap_or(0);
        let errors: Vec<&String> = [&city, &status, &snaps]
            .into_iter()
            .filter_map(|r| r.as_ref().err())
            .collect();
        last = format!(
            "contact rate {rate:?}, freshness {fresh:?} s, {frozen} snapshots, errors {errors:?}"
        );
        if rate.is_some() && fresh.is_some_and(|f| f < 3600.0) && frozen > 0 {
            eprintln!("demo ready after {:?}: {last}", started.elapsed());
            return;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    panic!("the demo instance was not ready within {READY_TIMEOUT:?}: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_view_shows_real_figures_in_chromium() {
    let Some(chromium) = chromium().await else {
        return;
    };
    if install_driver().await.is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let public = public_token();
    let p = demo(dir.path(), public.entry).await;
    let base = format!("http://{}", p.addr);
    wait_ready(&base).await;

    let shots = screenshot_dir();
    for view in VIEWS {
        let _ = std::fs::remove_file(shots.join(format!("{view}.png")));
    }
    let run = Command::new("node")
        .arg(browser_dir().join("views.mjs"))
        .arg(&base)
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .env("VIEWER_TOKEN", VIEWER_TOKEN)
        .env("REVIEWER_TOKEN", REVIEWER_TOKEN)
        .env("PUBLIC_TOKEN", &public.token)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(BROWSER_TIMEOUT, run)
        .await
        .expect("the browser run finishes in time")
        .expect("node starts");
    eprintln!("{}", String::from_utf8_lossy(&out.stdout));
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "a dashboard check failed (see above); screenshots so far are in {}",
        shots.display()
    );
    for view in VIEWS {
        assert!(
            shots.join(format!("{view}.png")).exists(),
            "no screenshot of {view}"
        );
    }
    p.shutdown.cancel();
    p.wait().await.expect("clean shutdown");
}
