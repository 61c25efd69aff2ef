//! childstat's benchmark harness. Build with `--release`:
//!
//! ```sh
//! cargo run --release -p childstat-bench -- all       # every scenario, then docs/benchmarks.md
//! cargo run --release -p childstat-bench -- ingest    # or one scenario at a time
//! ```
//!
//! Scenarios measure what the product promises, side by side in one run, several times, and
//! report medians with the spread. Nothing here is asserted: the numbers go to
//! `bench/results/latest.json` and `docs/benchmarks.md`.

mod apiload;
mod faults;
mod freshness;
mod ingest;
mod load;
mod queries;
mod replay;
mod report;
mod server_latency;
mod stats;
mod sys;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "childstat-bench",
    about = "childstat benchmark harness (build with --release)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Query latency on years of simulated history: current values for one zone, and a
    /// one-year daily history, measured in-process on the read pool.
    Queries {
        /// Years of simulated history.
        #[arg(long, default_value_t = 5)]
        years: u32,
        /// Citywide investigations per year.
        #[arg(long, default_value_t = 60_000)]
        per_year: u32,
        /// Queries per measured run.
        #[arg(long, default_value_t = 2_000)]
        queries: usize,
        /// Measured runs (the median and spread are reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Where the DuckDB file is built (recreated).
        #[arg(long, default_value = "bench/work/queries.duckdb")]
        db: PathBuf,
        /// Reuse an existing database at --db instead of rebuilding it.
        #[arg(long)]
        reuse: bool,
        /// Where the JSON results go.
        #[arg(long, default_value = RESULTS)]
        out: PathBuf,
    },
    /// Ingest throughput end to end (embedded broker → DuckDB) beside a bare rdkafka consumer
    /// reading the same topic.
    Ingest {
        #[arg(long, default_value_t = 2_000_000)]
        events: u64,
        #[arg(long, default_value_t = 6)]
        partitions: i32,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Events per DuckDB transaction (default: the shipped kafka.batch_size).
        #[arg(long)]
        batch_size: Option<usize>,
        #[command(flatten)]
        paths: Paths,
    },
    /// `childstat replay` of an NDJSON file into a fresh DuckDB file, beside `wc -l`.
    Replay {
        #[arg(long, default_value_t = 5_000_000)]
        events: u64,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Lines per transaction (default: the replay command's own).
        #[arg(long)]
        batch_size: Option<usize>,
        /// DuckDB's memory cap (`storage.memory_limit`) for the replays.
        #[arg(long, default_value = replay::SPEED_MEMORY_LIMIT)]
        memory_limit: String,
        #[command(flatten)]
        paths: Paths,
    },
    /// Peak memory and DuckDB size after many events (a replay, with RSS sampled as it goes).
    Memory {
        #[arg(long, default_value_t = 10_000_000)]
        events: u64,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// DuckDB's memory cap (`storage.memory_limit`) for the replays.
        #[arg(long, default_value = replay::LEAN_MEMORY_LIMIT)]
        memory_limit: String,
        #[command(flatten)]
        paths: Paths,
    },
    /// Delay from produce to visible through the API, at a steady event rate.
    Freshness {
        #[arg(long, default_value_t = 2_000)]
        rate: u32,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        #[arg(long, default_value_t = 6)]
        partitions: i32,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[command(flatten)]
        paths: Paths,
    },
    /// The API under `wrk` load while ingest runs, on the state the queries scenario built.
    Api {
        #[arg(long, default_value = "bench/work/queries.duckdb")]
        state: PathBuf,
        #[arg(long, default_value_t = 2_000)]
        rate: u32,
        #[arg(long, default_value_t = 64)]
        connections: u32,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[command(flatten)]
        paths: Paths,
    },
    /// Every scenario with its defaults, then docs/benchmarks.md.
    All {
        #[command(flatten)]
        paths: Paths,
    },
    /// Rewrite docs/benchmarks.md from the last results and bench/notes.md.
    Report {
        #[arg(long, default_value = RESULTS)]
        results: PathBuf,
    },
    /// The fault scenarios (kill -9, broker outage and freeze, new database, rebalance)
    /// against tansu and the mock cluster in their own processes, with exact accounting;
    /// writes docs/reliability.md. Needs tansu (`.ci/run` installs it).
    Faults {
        /// kill -9s in the kill scenarios.
        #[arg(long, default_value_t = 20)]
        kills: usize,
        /// Messages in each scenario's stream.
        #[arg(long, default_value_t = 100_000)]
        events: usize,
        /// How long the mock broker is down.
        #[arg(long, default_value_t = 60)]
        outage_secs: u64,
        /// How long tansu is frozen (SIGSTOP) under manual assignment. Under group
        /// assignment the freeze is 4 s, below the scenarios' 6 s session timeout, past which
        /// tansu 0.6's coordinator wedges (docs/brokers.md).
        #[arg(long, default_value_t = 60)]
        freeze_secs: u64,
        #[arg(long, default_value = "docs/reliability.md")]
        out: PathBuf,
    },
}

#[derive(clap::Args, Clone)]
struct Paths {
    /// Scratch directory for topics' files and databases.
    #[arg(long, default_value = "bench/work")]
    work: PathBuf,
    /// Where the JSON results go (each scenario replaces its own entry).
    #[arg(long, default_value = RESULTS)]
    out: PathBuf,
}

const NOTES: &str = "bench/notes.md";
const REPORT: &str = "docs/benchmarks.md";
const RESULTS: &str = "bench/results/latest.json";

/// Rewrites the report from `results`. Only the official results file rewrites
/// docs/benchmarks.md; a side experiment with `--out elsewhere.json` gets `elsewhere.md`
/// beside it, so trying something never overwrites the published figures.
fn publish(results: &Path) -> Result<()> {
    report::write(results, NOTES.as_ref(), &report_path(results))
}

fn report_path(results: &Path) -> PathBuf {
    if results == Path::new(RESULTS) {
        PathBuf::from(REPORT)
    } else {
        results.with_extension("md")
    }
}

fn main() -> Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("warning: childstat-bench was built without --release; the numbers mean little");
    }
    match Cli::parse().command {
        Command::Queries {
            years,
            per_year,
            queries,
            runs,
            db,
            reuse,
            out,
        } => {
            queries::run(years, per_year, queries, runs, &db, reuse, &out)?;
            publish(&out)
        }
        Command::Ingest {
            events,
            partitions,
            runs,
            batch_size,
            paths,
        } => {
            ingest::run(ingest::Args {
                events,
                partitions,
                runs,
                batch_size,
                work: &paths.work,
                out: &paths.out,
            })?;
            publish(&paths.out)
        }
        Command::Replay {
            events,
            runs,
            batch_size,
            memory_limit,
            paths,
        } => {
            replay_scenario(events, runs, batch_size, "replay", &memory_limit, &paths)?;
            publish(&paths.out)
        }
        Command::Memory {
            events,
            runs,
            memory_limit,
            paths,
        } => {
            replay_scenario(events, runs, None, "memory", &memory_limit, &paths)?;
            publish(&paths.out)
        }
        Command::Freshness {
            rate,
            seconds,
            partitions,
            runs,
            paths,
        } => {
            freshness::run(freshness::Args {
                rate,
                seconds,
                partitions,
                runs,
                work: &paths.work,
                out: &paths.out,
            })?;
            publish(&paths.out)
        }
        Command::Api {
            state,
            rate,
            connections,
            seconds,
            runs,
            paths,
        } => {
            api_scenario(&state, rate, connections, seconds, runs, &paths)?;
            publish(&paths.out)
        }
        Command::All { paths } => {
            let state = paths.work.join("queries.duckdb");
            queries::run(5, 60_000, 2_000, 3, &state, false, &paths.out)?;
            ingest::run(ingest::Args {
                events: 2_000_000,
                partitions: 6,
                runs: 3,
                batch_size: None,
                work: &paths.work,
                out: &paths.out,
            })?;
            replay_scenario(
                5_000_000,
                3,
                None,
                "replay",
                replay::SPEED_MEMORY_LIMIT,
                &paths,
            )?;
            freshness::run(freshness::Args {
                rate: 2_000,
                seconds: 60,
                partitions: 6,
                runs: 3,
                work: &paths.work,
                out: &paths.out,
            })?;
            api_scenario(&state, 2_000, 64, 20, 3, &paths)?;
            replay_scenario(
                10_000_000,
                3,
                None,
                "memory",
                replay::LEAN_MEMORY_LIMIT,
                &paths,
            )?;
            publish(&paths.out)
        }
        Command::Report { results } => publish(&results),
        Command::Faults {
            kills,
            events,
            outage_secs,
            freeze_secs,
            out,
        } => faults::run(faults::Args {
            kills,
            events,
            outage: std::time::Duration::from_secs(outage_secs),
            freeze: std::time::Duration::from_secs(freeze_secs),
            out: &out,
        }),
    }
}

fn replay_scenario(
    events: u64,
    runs: usize,
    batch_size: Option<usize>,
    scenario: &str,
    memory_limit: &str,
    paths: &Paths,
) -> Result<()> {
    replay::run(replay::Args {
        memory_limit,
        events,
        runs,
        batch_size,
        work: &paths.work,
        out: &paths.out,
        scenario,
    })
}

fn api_scenario(
    state: &std::path::Path,
    rate: u32,
    connections: u32,
    seconds: u64,
    runs: usize,
    paths: &Paths,
) -> Result<()> {
    apiload::run(apiload::Args {
        state,
        rate,
        connections,
        seconds,
        runs,
        work: &paths.work,
        out: &paths.out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_official_results_rewrite_the_published_report() {
        assert_eq!(report_path(Path::new(RESULTS)), PathBuf::from(REPORT));
        assert_eq!(
            report_path(Path::new("/tmp/try/mem512.json")),
            PathBuf::from("/tmp/try/mem512.md")
        );
    }
}
