//! What the harness reads from the machine: the hardware, resident memory, and results files.

use anyhow::Result;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A `/proc/<pid>/status` field in bytes (`VmHWM`, `VmRSS`); 0 where /proc is not available.
pub fn proc_status_bytes(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// This process's peak resident set (VmHWM), in bytes.
pub fn peak_rss_bytes() -> u64 {
    proc_status_bytes("self", "VmHWM:")
}

/// Bytes a process has read so far (`rchar` of `/proc/<pid>/io`): for a replay, how far
/// through its file it is.
pub fn bytes_read(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("rchar:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

pub fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let mem = proc_meminfo_total();
    serde_json::json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu,
        "memory_bytes": mem,
        "os": std::env::consts::OS,
    })
}

fn proc_meminfo_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Stores one scenario's results under its name in the results file, keeping the others.
pub fn save(out: &Path, scenario: &str, result: serde_json::Value) -> Result<()> {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut all: BTreeMap<String, serde_json::Value> = std::fs::read_to_string(out)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    println!("{}", serde_json::to_string_pretty(&result)?);
    all.insert(scenario.into(), result);
    std::fs::write(out, serde_json::to_string_pretty(&all)?)?;
    Ok(())
}

/// The median and spread of per-run values, as the results file stores them.
pub fn summary(xs: &[f64]) -> serde_json::Value {
    let (m, s) = crate::stats::median_spread(xs.to_vec());
    serde_json::json!({"median": m, "spread": s, "runs": xs})
}
