//! Replay and memory: `childstat replay` of an NDJSON file into a fresh DuckDB file, beside
//! `wc -l` on the same file (the I/O floor), with the replay's resident memory sampled as it
//! goes, so growth with the number of events shows.

use crate::sys::{bytes_read, machine, proc_status_bytes, save, summary};
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Args<'a> {
    pub events: u64,
    pub runs: usize,
    pub batch_size: Option<usize>,
    pub work: &'a Path,
    pub out: &'a Path,
    /// Results key: "replay" (5 M events, speed) or "memory" (10 M events, RSS and disk).
    pub scenario: &'a str,
    /// The `storage.memory_limit` the replays run with, in DuckDB's syntax.
    pub memory_limit: &'a str,
}

/// The `childstat` binary built beside this harness (same profile).
pub fn childstat_binary() -> Result<PathBuf> {
    let me = std::env::current_exe()?;
    let bin = me.with_file_name(format!("childstat{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        bail!(
            "{} not found: build it with the harness (`cargo build --release -p childstat -p childstat-bench`)",
            bin.display()
        );
    }
    Ok(bin)
}

/// The NDJSON file of `events` simulator lines, written once and reused while its line count
/// matches.
fn ndjson(work: &Path, events: u64) -> Result<PathBuf> {
    let path = work.join(format!("replay-{events}.ndjson"));
    if path.exists() {
        return Ok(path);
    }
    let tmp = path.with_extension("partial");
    // About ten events per investigation: enough years at a national rate that every event
    // is in the past.
    let per_year = (events / 10 / 4).max(60_000) as u32;
    let mut sim = childstat_sim::Simulator::try_new(childstat_sim::SimConfig {
        investigations_per_year: per_year,
        ..simulator_config(13, 5)?
    })
    .map_err(|e| anyhow::anyhow!("simulator: {e}"))?;
    let t = Instant::now();
    childstat_sim::write_ndjson(&mut sim, events as usize, std::fs::File::create(&tmp)?)?;
    std::fs::rename(&tmp, &path)?;
    eprintln!(
        "wrote {events} events ({per_year} investigations a year) to {} in {:.1} s",
        path.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(path)
}

/// The ingest scenario's zones and time base, with a seed of its own so ids never overlap.
fn simulator_config(seed: u64, years: i64) -> Result<childstat_sim::SimConfig> {
    let cfg = childstat_config::Config::embedded_defaults();
    Ok(childstat_sim::SimConfig {
        seed,
        zones: cfg.zone_set(),
        start: childstat_core::Ts::now().minus(childstat_core::Dur::days(365 * years)),
        investigations_per_year: 60_000,
        duplicate_fraction: 0.01,
        invalid_fraction: 0.005,
    })
}

fn wc_l(file: &Path) -> Result<f64> {
    let t = Instant::now();
    let out = Command::new("wc").arg("-l").arg(file).output()?;
    if !out.status.success() {
        bail!("wc -l failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(t.elapsed().as_secs_f64())
}

struct ReplayRun {
    seconds: f64,
    peak_rss: u64,
    /// Highest resident set in each quarter of the file.
    rss_by_quarter: [u64; 4],
    db_bytes: u64,
    /// The diagnostic lines `childstat replay` printed, by results key (see [`PRINTED`]).
    printed: Vec<(&'static str, String)>,
}

/// The diagnostic lines kept per run: the results key, and the prefix `childstat replay`
/// prints the line with.
const PRINTED: [(&str, &str); 4] = [
    ("recovery_at_open", childstat::replay::RECOVERY_LINE),
    ("writer_time_by_step", childstat::replay::WRITER_TIME_LINE),
    (
        "duckdb_memory_at_peak",
        childstat::replay::DUCKDB_MEMORY_PEAK_LINE,
    ),
    (
        "duckdb_memory_at_end",
        childstat::replay::DUCKDB_MEMORY_END_LINE,
    ),
];

/// The replay scenario's `storage.memory_limit`: room for DuckDB's cache, for speed.
pub const SPEED_MEMORY_LIMIT: &str = "2GB";
/// The memory scenario's: about the smallest cap DuckDB runs a 10 M-event replay under
/// (256 MB fails to pin its not-yet-checkpointed appends there), as a host short of memory
/// would set it.
pub const LEAN_MEMORY_LIMIT: &str = "512MB";

/// How a replay run starts and ends.
#[derive(Clone, Copy)]
enum Run {
    /// Into a fresh database, to the end of the file.
    Whole,
    /// Into a fresh database, killed with SIGKILL once this share of the file is read.
    KilledAt(f64),
    /// On the database a killed run left: it folds the log past its last checkpoint again,
    /// then resumes the file.
    Resumed,
}

fn replay_once(
    file: &Path,
    db: &Path,
    batch_size: Option<usize>,
    memory_limit: &str,
    how: Run,
) -> Result<Option<ReplayRun>> {
    if !matches!(how, Run::Resumed) {
        for ext in ["", ".wal", ".deadletters.ndjson"] {
            let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
        }
    }
    let file_bytes = std::fs::metadata(file)?.len().max(1);
    let mut cmd = Command::new(childstat_binary()?);
    cmd.arg("replay")
        .arg(file)
        .arg("--no-progress")
        .env("CHILDSTAT__STORAGE__PATH", db)
        .env("CHILDSTAT__LOG__LEVEL", "warn")
        // DuckDB's default cache is 80% of physical memory: a host running childstat caps
        // it, and so does the harness, so that the memory figures mean something.
        .env("CHILDSTAT__STORAGE__MEMORY_LIMIT", memory_limit)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(b) = batch_size {
        cmd.arg("--batch-size").arg(b.to_string());
    }
    let t = Instant::now();
    let mut child = cmd.spawn().context("starting childstat replay")?;
    let pid = child.id();
    let mut quarters = [0u64; 4];
    let mut peak = 0u64;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        let rss = proc_status_bytes(&pid.to_string(), "VmRSS:");
        peak = peak.max(proc_status_bytes(&pid.to_string(), "VmHWM:"));
        let read = bytes_read(pid);
        if let Run::KilledAt(share) = how {
            if read as f64 >= share * file_bytes as f64 {
                child.kill()?;
                child.wait()?;
                return Ok(None);
            }
        }
        let q = ((read * 4 / file_bytes) as usize).min(3);
        quarters[q] = quarters[q].max(rss);
        std::thread::sleep(Duration::from_millis(50));
    };
    let seconds = t.elapsed().as_secs_f64();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    if !status.success() {
        bail!("childstat replay failed ({status}): {err}");
    }
    eprint!("    {err}");
    let printed = PRINTED
        .iter()
        .filter_map(|&(key, prefix)| {
            let line = err.lines().find_map(|l| l.strip_prefix(prefix))?;
            Some((key, line.to_string()))
        })
        .collect();
    Ok(Some(ReplayRun {
        printed,
        seconds,
        peak_rss: peak,
        rss_by_quarter: quarters,
        db_bytes: std::fs::metadata(db).map(|m| m.len()).unwrap_or(0),
    }))
}

/// Kills a replay of `file` with SIGKILL near its end, then starts it again on the same
/// database, and returns what the restart printed about its recovery: the re-fold of the
/// batches logged after the last checkpoint.
fn recovery(file: &Path, db: &Path, memory_limit: &str) -> Result<String> {
    replay_once(file, db, None, memory_limit, Run::KilledAt(0.97))?;
    let resumed = replay_once(file, db, None, memory_limit, Run::Resumed)?
        .context("the resumed replay was not killed")?;
    let line = resumed
        .printed
        .into_iter()
        .find_map(|(key, line)| (key == "recovery_at_open").then_some(line))
        .context("the resumed replay printed no recovery line")?;
    eprintln!("recovery after SIGKILL at 97% of the file: {line}");
    Ok(line)
}

pub fn run(a: Args<'_>) -> Result<()> {
    std::fs::create_dir_all(a.work)?;
    let file = ndjson(a.work, a.events)?;
    let file_bytes = std::fs::metadata(&file)?.len();
    let db = a.work.join(format!("{}.duckdb", a.scenario));
    let (mut floor, mut ours, mut ratio, mut peaks, mut dbs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut quarters = Vec::new();
    let mut printed: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for run in 0..a.runs {
        let w = wc_l(&file)?;
        let r = replay_once(&file, &db, a.batch_size, a.memory_limit, Run::Whole)?
            .context("a whole replay ends on its own")?;
        let (w_rate, r_rate) = (a.events as f64 / w, a.events as f64 / r.seconds);
        eprintln!(
            "run {}: wc -l {w_rate:.0} lines/s, childstat replay {r_rate:.0} events/s ({:.1} s), peak RSS {:.0} MB, DuckDB {:.0} MB",
            run + 1,
            r.seconds,
            r.peak_rss as f64 / 1e6,
            r.db_bytes as f64 / 1e6
        );
        floor.push(w_rate);
        ours.push(r_rate);
        ratio.push(r_rate / w_rate);
        peaks.push(r.peak_rss as f64);
        dbs.push(r.db_bytes as f64);
        quarters.push(r.rss_by_quarter);
        for (key, line) in r.printed {
            printed.entry(key).or_default().push(line);
        }
    }
    let recovered = if a.scenario == "memory" {
        Some(recovery(&file, &db, a.memory_limit)?)
    } else {
        None
    };
    for ext in ["", ".wal", ".deadletters.ndjson"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let targets = match a.scenario {
        "memory" => serde_json::json!({"peak_rss_bytes": 300e6}),
        _ => serde_json::json!({"childstat_events_per_sec": 500000.0}),
    };
    let mut results = serde_json::json!({
            "scenario": a.scenario,
            "machine": machine(),
            "events": a.events,
            "file_bytes": file_bytes,
            "batch_size": a.batch_size,
            "memory_limit": a.memory_limit,
            "wc_l_lines_per_sec": summary(&floor),
            "childstat_events_per_sec": summary(&ours),
            "ratio_to_wc_l": summary(&ratio),
            "peak_rss_bytes": summary(&peaks),
            "rss_bytes_by_quarter_of_file": quarters,
            "db_bytes": summary(&dbs),
            "targets": targets,
    });
    for (key, _) in PRINTED {
        results[key] = serde_json::json!(printed.remove(key).unwrap_or_default());
    }
    if let Some(line) = recovered {
        results["recovery_after_sigkill_at_97_percent"] = serde_json::json!(line);
    }
    save(a.out, a.scenario, results)
}
