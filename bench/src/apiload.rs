//! The API under load while ingest runs: `wrk` with 64 connections on loopback against a
//! state with years of history, while a producer feeds 2,000 events/s through the pipeline.

use crate::ingest::{DLQ, TOPIC};
use crate::load::{start_pipeline, steady_producer};
use crate::server_latency;
use crate::sys::{machine, save, summary};
use anyhow::{anyhow, bail, Context, Result};
use childstat_ingest::EmbeddedBroker;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub struct Args<'a> {
    /// The multi-year state built by the queries scenario; copied, never changed.
    pub state: &'a Path,
    pub rate: u32,
    pub connections: u32,
    pub seconds: u64,
    pub runs: usize,
    pub work: &'a Path,
    pub out: &'a Path,
}

/// What wrk reported for one route.
#[derive(Debug, Default, Clone, Copy)]
pub struct WrkResult {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests_per_sec: f64,
    pub errors: u64,
    /// The same requests as the server timed them (`None` if it saw none): bucket bounds.
    pub server_p50_ms: Option<f64>,
    pub server_p99_ms: Option<f64>,
}

/// wrk prints latencies as `1.23ms`, `456.00us` or `1.02s`.
fn parse_duration_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("us") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1e3)
    } else {
        return None;
    };
    num.trim().parse::<f64>().ok().map(|v| v * mult)
}

pub fn parse_wrk(out: &str) -> Result<WrkResult> {
    let mut r = WrkResult::default();
    for line in out.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => r.p50_ms = parse_duration_ms(v).unwrap_or(f64::NAN),
            ["99%", v] => r.p99_ms = parse_duration_ms(v).unwrap_or(f64::NAN),
            ["Requests/sec:", v] => r.requests_per_sec = v.parse().unwrap_or(f64::NAN),
            ["Non-2xx", "or", "3xx", "responses:", n] => r.errors += n.parse::<u64>().unwrap_or(0),
            ["Socket", "errors:", rest @ ..] => {
                r.errors += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>()
            }
            _ => {}
        }
    }
    if r.requests_per_sec == 0.0 {
        bail!("could not read wrk's output:\n{out}");
    }
    Ok(r)
}

/// A wrk script that walks `paths` in turn, so requests spread over zones and indicators.
fn script(paths: &[String]) -> String {
    let list: Vec<String> = paths.iter().map(|p| format!("\"{p}\"")).collect();
    format!(
        "local paths = {{{}}}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n",
        list.join(", ")
    )
}

fn wrk(base: &str, script_path: &Path, connections: u32, seconds: u64) -> Result<WrkResult> {
    let out = Command::new("wrk")
        .args([
            "-t",
            "2",
            "-c",
            &connections.to_string(),
            "-d",
            &format!("{seconds}s"),
        ])
        .arg("--latency")
        .arg("-s")
        .arg(script_path)
        .arg(base)
        .output()
        .context("running wrk (Debian package `wrk`)")?;
    if !out.status.success() {
        bail!("wrk failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    parse_wrk(&String::from_utf8_lossy(&out.stdout))
}

pub fn run(a: Args<'_>) -> Result<()> {
    if !a.state.exists() {
        bail!(
            "{} does not exist: run the queries scenario first, which builds it",
            a.state.display()
        );
    }
    std::fs::create_dir_all(a.work)?;
    let cfg = childstat_config::Config::embedded_defaults();
    let zones: Vec<String> = std::iter::once("citywide".to_string())
        .chain(cfg.zone_set().codes().map(str::to_string))
        .collect();
    let today = childstat_core::Calendar::new(cfg.indicators.time_zone)
        .local_date(childstat_core::Ts::now());
    let from = today - chrono::Days::new(364);
    let current: Vec<String> = zones
        .iter()
        .map(|z| format!("/api/v1/zones/{z}/indicators?window=28d"))
        .collect();
    let history: Vec<String> = childstat_core::Indicator::ALL
        .iter()
        .enumerate()
        .map(|(i, ind)| {
            format!(
                "/api/v1/zones/{}/indicators/{}/history?from={from}&to={today}&step=day",
                zones[i % zones.len()],
                ind.name()
            )
        })
        .collect();
    let routes = [
        ("current", "/api/v1/zones/:zone/indicators", current),
        (
            "history_1y_daily",
            "/api/v1/zones/:zone/indicators/:name/history",
            history,
        ),
    ];
    let db = a.work.join("api.duckdb");
    let rt = tokio::runtime::Runtime::new()?;
    let mut results: Vec<(&str, Vec<WrkResult>)> =
        routes.iter().map(|(n, _, _)| (*n, Vec::new())).collect();
    let mut produced = Vec::new();
    for run in 0..a.runs {
        for ext in ["", ".wal"] {
            let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
        }
        std::fs::copy(a.state, &db).context("copying the multi-year state")?;
        let broker = Arc::new(EmbeddedBroker::start(&[TOPIC, DLQ], 6)?);
        let p = rt.block_on(start_pipeline(&broker, &db))?;
        let stop = CancellationToken::new();
        let producer = rt.spawn(steady_producer(
            broker.bootstrap_servers(),
            41 + run as u64,
            a.rate,
            stop.clone(),
            Arc::new(Mutex::new(Vec::new())),
        ));
        // Ingest reaches its steady state before the load starts.
        std::thread::sleep(Duration::from_secs(5));
        let base = format!("http://{}", p.addr);
        let scrape = || -> Result<String> {
            rt.block_on(async {
                Ok(reqwest::get(format!("{base}/metrics"))
                    .await?
                    .text()
                    .await?)
            })
        };
        for (i, (name, label, paths)) in routes.iter().enumerate() {
            let script_path = a.work.join(format!("wrk-{name}.lua"));
            std::fs::write(&script_path, script(paths))?;
            let before = server_latency::route_buckets(&scrape()?, label);
            let mut r = wrk(&base, &script_path, a.connections, a.seconds)?;
            let after = server_latency::route_buckets(&scrape()?, label);
            r.server_p50_ms = server_latency::quantile_bound_ms(&before, &after, 0.5);
            r.server_p99_ms = server_latency::quantile_bound_ms(&before, &after, 0.99);
            eprintln!(
                "run {} {name}: p50 {:.2} ms, p99 {:.2} ms, {:.0} requests/s, {} errors; in the server p50 ≤ {:?} ms, p99 ≤ {:?} ms",
                run + 1,
                r.p50_ms,
                r.p99_ms,
                r.requests_per_sec,
                r.errors,
                r.server_p50_ms,
                r.server_p99_ms,
            );
            results[i].1.push(r);
        }
        stop.cancel();
        produced.push(rt.block_on(producer)?? as f64);
        p.shutdown.cancel();
        rt.block_on(p.wait())
            .map_err(|e| anyhow!("pipeline stopped with: {e}"))?;
    }
    for ext in ["", ".wal"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let mut routes_json = serde_json::Map::new();
    for (name, rs) in &results {
        let col = |f: fn(&WrkResult) -> f64| rs.iter().map(f).collect::<Vec<f64>>();
        let seen = |f: fn(&WrkResult) -> Option<f64>| rs.iter().filter_map(f).collect::<Vec<f64>>();
        routes_json.insert(
            name.to_string(),
            serde_json::json!({
                "p50_ms": summary(&col(|r| r.p50_ms)),
                "p99_ms": summary(&col(|r| r.p99_ms)),
                "requests_per_sec": summary(&col(|r| r.requests_per_sec)),
                "server_p50_ms_bound": summary(&seen(|r| r.server_p50_ms)),
                "server_p99_ms_bound": summary(&seen(|r| r.server_p99_ms)),
                "errors": rs.iter().map(|r| r.errors).sum::<u64>(),
            }),
        );
    }
    save(
        a.out,
        "api",
        serde_json::json!({
            "scenario": "api",
            "machine": machine(),
            "state": a.state.display().to_string(),
            "ingest_rate_per_sec": a.rate,
            "connections": a.connections,
            "seconds_per_route": a.seconds,
            "events_produced_during_runs": summary(&produced),
            "routes": routes_json,
            "targets": {"current_p99_ms": 5.0, "history_1y_daily_p99_ms": 20.0},
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_latency_distribution() {
        let out = "Running 10s test @ http://127.0.0.1:8080/\n  2 threads and 64 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     1.10ms  300.00us   9.00ms   80.00%\n  Latency Distribution\n     50%  812.00us\n     75%    1.20ms\n     90%    1.50ms\n     99%    3.25ms\n  120000 requests in 10.00s, 50.00MB read\n  Socket errors: connect 0, read 1, write 0, timeout 2\n  Non-2xx or 3xx responses: 4\nRequests/sec:  12000.50\nTransfer/sec:      5.00MB\n";
        let r = parse_wrk(out).expect("parsed");
        assert!((r.p50_ms - 0.812).abs() < 1e-9);
        assert!((r.p99_ms - 3.25).abs() < 1e-9);
        assert!((r.requests_per_sec - 12000.5).abs() < 1e-9);
        assert_eq!(r.errors, 7);
        assert!(parse_wrk("garbage").is_err());
    }
}
